//! The lifecycle of Flowstake played on the compiled artifacts in the CosmWasm VM: every
//! artifact must be accepted by the VM, and every step must leave the balances, shares, rate
//! and batches the native build leaves in the scenario tests.

use cosmwasm_std::{Decimal, Uint128};
use flowstake::hub::{BatchStatus, QueryMsg};
use flowstake_vm_tests::chain::BLOCK_TIME;
use flowstake_vm_tests::suite::{
    validator_address, Suite, SuiteBuilder, DAY, DENOM, EPOCH, SEED, UNBONDING,
};
use flowstake_vm_tests::vm::TxError;

fn suite() -> Suite {
    SuiteBuilder::new().build()
}

/// The ledger is the chain: what the hub books as delegated (the backing and the rewards not
/// yet vested into it) is what the chain holds, per validator and in total, and the derivative
/// supply is the hub's share count.
fn assert_books_match_chain(suite: &mut Suite) {
    let state = suite.state();
    assert_eq!(
        state.total_native.u128() + state.unvested_rewards.u128(),
        suite.delegated_on_chain()
    );
    for validator in suite.hub_validators() {
        assert_eq!(
            validator.delegated.u128(),
            suite.delegation_on_chain(&validator.address),
            "ledger of {}",
            validator.address
        );
    }
    assert_eq!(state.total_shares.u128(), suite.total_supply());
}

fn contract_error(result: Result<impl std::fmt::Debug, TxError>) -> String {
    match result {
        Err(TxError::Contract { error, .. }) => error,
        other => panic!("expected a contract error, got {other:?}"),
    }
}

#[test]
fn instantiate_deploys_token_and_collector_through_replies() {
    let mut suite = suite();

    assert_eq!(
        suite.instantiate.trace(),
        vec![
            "flowstake hub instantiate",
            "flowstake derivative token instantiate",
            "flowstake hub reply:1",
            "flowstake derivative token execute:mint",
            "flowstake reward collector instantiate",
            "flowstake hub reply:2",
        ]
    );
    let state = suite.state();
    assert_eq!(state.total_native.u128(), SEED);
    assert_eq!(state.total_shares.u128(), SEED);
    assert_eq!(state.dead_shares.u128(), SEED);
    assert_eq!(state.exchange_rate, Decimal::one());
    let hub = suite.hub.clone();
    assert_eq!(suite.shares(&hub), SEED, "dead shares are held by the hub");
    assert_eq!(suite.total_supply(), SEED);
    assert_eq!(suite.delegated_on_chain(), SEED);
    assert_eq!(suite.vm.chain().withdraw_address(&hub), suite.collector);
    let collector_config: flowstake::collector::ConfigResponse = suite
        .vm
        .query(
            &suite.collector.clone(),
            &flowstake::collector::QueryMsg::Config {},
        )
        .unwrap();
    assert_eq!(collector_config.hub.as_str(), hub);
    assert_eq!(collector_config.denom, DENOM);
    assert_books_match_chain(&mut suite);
}

#[test]
fn bond_mints_at_the_rate_and_delegates_to_the_least_loaded_validator() {
    let mut suite = suite();
    let alice = suite.user("alice");

    let outcome = suite.fund_and_bond(&alice, 5_000_000);

    assert_eq!(
        outcome.trace(),
        vec!["hub execute:bond", "token execute:mint"]
    );
    assert_eq!(outcome.attribute("wasm", "shares_minted"), Some("5000000"));
    // The seed sits on the first validator; the first empty one in address order is next.
    let second = validator_address(1);
    assert_eq!(
        outcome.attribute("wasm", "validator"),
        Some(second.as_str())
    );
    assert_eq!(suite.delegation_on_chain(&second), 5_000_000);
    assert_eq!(suite.shares(&alice), 5_000_000);
    assert_eq!(suite.native(&alice), 0);
    assert_eq!(suite.state().total_native.u128(), SEED + 5_000_000);

    // A bond below the minimum is refused and changes nothing.
    suite.fund(&alice, 999);
    let error = contract_error(suite.bond(&alice, 999));
    assert!(error.contains("below the minimum"), "{error}");
    assert_eq!(
        suite.native(&alice),
        999,
        "the refused deposit stays with alice"
    );
    assert_eq!(suite.shares(&alice), 5_000_000);
    assert_books_match_chain(&mut suite);
}

#[test]
fn harvest_restakes_rewards_less_the_fee() {
    let mut suite = suite();
    suite.spread_stake(3, 3_000_000);
    suite.advance(DAY);
    // A delegation change pays that validator's rewards to the collector at once: they must
    // be counted by the next harvest all the same.
    let bob = suite.user("bob");
    let rewards = suite.vm.chain().pending_rewards(&suite.hub);
    assert!(rewards > 0);
    suite.fund_and_bond(&bob, 1_000_000);
    let collector = suite.collector.clone();
    assert!(
        suite.native(&collector) > 0,
        "auto-withdrawn rewards wait in the collector"
    );
    let before = suite.state();

    let outcome = suite.harvest().unwrap();

    assert_eq!(
        outcome.trace(),
        vec![
            "hub execute:harvest",
            "collector execute:forward",
            "hub execute:receive_rewards",
        ]
    );
    let fee = Uint128::new(rewards).mul_floor(Decimal::percent(5)).u128();
    let after = suite.state();
    assert_eq!(after.totals.rewards.u128(), rewards);
    assert_eq!(after.totals.fees.u128(), fee);
    let fee_receiver = suite.fee_receiver.clone();
    assert_eq!(suite.native(&fee_receiver), fee);
    // A day's rewards at 10 % a year are within the plausible reward rate: they vest at once.
    assert!(after.unvested_rewards.is_zero());
    assert_eq!(
        after.total_native,
        before.total_native + Uint128::new(rewards - fee)
    );
    assert_eq!(after.total_shares, before.total_shares);
    assert!(after.exchange_rate > before.exchange_rate);
    assert_eq!(suite.native(&collector), 0);
    assert_eq!(suite.vm.chain().pending_rewards(&suite.hub), 0);
    assert_books_match_chain(&mut suite);
}

#[test]
fn unbond_queue_cancel_submit_reconcile_withdraw() {
    let mut suite = suite();
    let alice = suite.user("alice");
    let bob = suite.user("bob");
    let carol = suite.user("carol");
    let hub = suite.hub.clone();
    suite.fund_and_bond(&alice, 10_000_000);
    suite.fund_and_bond(&bob, 2_000_000);

    // Queue: the shares move to the hub and join the pending batch.
    let outcome = suite.queue_unbond(&alice, 4_000_000).unwrap();
    assert_eq!(
        outcome.trace(),
        vec!["token execute:send", "hub execute:receive"]
    );
    assert_eq!(suite.shares(&alice), 6_000_000);
    assert_eq!(suite.shares(&hub), SEED + 4_000_000);
    assert_eq!(suite.pending_batch().shares.u128(), 4_000_000);
    let requests = suite.requests(&alice);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, BatchStatus::Pending);
    assert_eq!(requests[0].shares.u128(), 4_000_000);

    // Cancel: the shares come back.
    suite.queue_unbond(&bob, 1_000_000).unwrap();
    let outcome = suite.cancel_unbond(&bob).unwrap();
    assert_eq!(
        outcome.trace(),
        vec!["hub execute:cancel_unbond", "token execute:transfer"]
    );
    assert_eq!(suite.shares(&bob), 2_000_000);
    assert_eq!(suite.pending_batch().shares.u128(), 4_000_000);
    let error = contract_error(suite.cancel_unbond(&carol));
    assert!(error.contains("has no request"), "{error}");

    // Submit: refused before the epoch ends, then burns and undelegates pro rata.
    let error = contract_error(suite.submit_batch());
    assert!(error.contains("can be submitted from"), "{error}");
    let supply_before = suite.total_supply();
    let native_expected: Uint128 = suite.query_hub(&QueryMsg::PreviewUnbond {
        shares: Uint128::new(4_000_000),
    });
    suite.advance(EPOCH);
    let submitted_at = suite.now();
    let outcome = suite.submit_batch().unwrap();
    // The first undelegation replies: the chain's MsgUndelegateResponse sets the completion.
    assert_eq!(
        outcome.trace(),
        vec![
            "hub execute:submit_batch",
            "token execute:burn",
            "hub reply:3"
        ]
    );
    assert_eq!(outcome.attribute("wasm", "submitted"), Some("true"));
    let completes_at = (submitted_at + UNBONDING).to_string();
    assert_eq!(
        outcome.attribute("wasm", "completes_at"),
        Some(completes_at.as_str())
    );
    let batch = suite.batch(1);
    assert_eq!(batch.status, BatchStatus::Unbonding);
    assert_eq!(batch.completes_at, submitted_at + UNBONDING);
    assert_eq!(suite.state().unbonding_time_observed, Some(UNBONDING));
    assert_eq!(batch.shares.u128(), 4_000_000);
    assert_eq!(batch.native_expected, native_expected);
    assert_eq!(suite.total_supply(), supply_before - 4_000_000);
    let unbonding: u128 = suite
        .vm
        .chain()
        .unbondings_of(&hub)
        .iter()
        .map(|entry| entry.amount)
        .sum();
    assert_eq!(unbonding, native_expected.u128());
    assert_eq!(suite.requests(&alice)[0].status, BatchStatus::Unbonding);
    assert_books_match_chain(&mut suite);

    // Reconcile: nothing before maturity. In the block of completion the chain has not paid
    // yet (it pays at the block's end) and the hub waits; a block later it books the funds.
    let error = contract_error(suite.reconcile(None));
    assert!(error.contains("no batch has matured"), "{error}");
    suite.advance_to(batch.completes_at);
    assert_eq!(suite.native(&hub), 0, "paid at the end of the block");
    let outcome = suite.reconcile(None).unwrap();
    assert_eq!(outcome.attribute("wasm", "waiting_for"), Some("1"));
    assert_eq!(outcome.attribute("wasm", "batches"), Some("0"));
    assert_eq!(suite.batch(1).status, BatchStatus::Unbonding);
    suite.advance(BLOCK_TIME);
    assert_eq!(
        suite.native(&hub),
        native_expected.u128(),
        "the chain paid out"
    );
    let outcome = suite.reconcile(None).unwrap();
    assert_eq!(outcome.attribute("wasm", "batches"), Some("1"));
    assert_eq!(outcome.attribute("wasm", "batch_ids"), Some("1"));
    let batch = suite.batch(1);
    assert_eq!(batch.status, BatchStatus::Reconciled);
    assert_eq!(batch.native_received, native_expected);
    assert_eq!(suite.state().reserved_for_claims, native_expected);

    // Withdraw: alice is paid her part, once.
    let outcome = suite.withdraw_unbonded(&alice).unwrap();
    assert_eq!(outcome.trace(), vec!["hub execute:withdraw_unbonded"]);
    assert_eq!(suite.native(&alice), native_expected.u128());
    assert!(suite.requests(&alice).is_empty());
    let state = suite.state();
    assert_eq!(state.totals.paid_out, native_expected);
    assert!(state.reserved_for_claims.is_zero());
    let error = contract_error(suite.withdraw_unbonded(&alice));
    assert!(error.contains("nothing to withdraw"), "{error}");
    assert_books_match_chain(&mut suite);
}

#[test]
fn validators_are_added_and_removed_with_their_stake_redelegated() {
    let mut suite = suite();
    let outsider = suite.outsiders[0].clone();
    suite.spread_stake(3, 2_000_000);

    // Add: checked against the chain, then it takes the next bond (it holds nothing).
    let error = contract_error(suite.add_validator(&validator_address(999), 1));
    assert!(error.contains("does not exist on the chain"), "{error}");
    suite.add_validator(&outsider, 1).unwrap();
    let error = contract_error(suite.add_validator(&outsider, 1));
    assert!(error.contains("already in the set"), "{error}");
    assert_eq!(suite.hub_validators().len(), 4);
    let alice = suite.user("alice");
    let outcome = suite.fund_and_bond(&alice, 1_000_000);
    assert_eq!(
        outcome.attribute("wasm", "validator"),
        Some(outsider.as_str())
    );

    // Remove: the whole stake moves to the others, the backing does not change.
    let first = validator_address(0);
    let second = validator_address(1);
    let total_before = suite.state().total_native;
    let removed_stake = suite.delegation_on_chain(&first);
    assert!(removed_stake > 0);
    let outcome = suite.remove_validator(&first).unwrap();
    assert_eq!(outcome.trace(), vec!["hub execute:remove_validator"]);
    assert_eq!(suite.delegation_on_chain(&first), 0);
    let moved: u128 = suite
        .vm
        .chain()
        .redelegations_of(&suite.hub)
        .iter()
        .map(|entry| entry.amount)
        .sum();
    assert_eq!(moved, removed_stake);
    let set = suite.hub_validators();
    assert_eq!(set.len(), 3);
    assert!(set.iter().all(|v| v.address != first));
    assert_eq!(suite.state().total_native, total_before);
    assert_books_match_chain(&mut suite);

    // A validator still receiving that redelegation cannot be emptied until it matures.
    let error = contract_error(suite.remove_validator(&second));
    assert!(error.contains("can be redelegated now"), "{error}");
    suite.advance(UNBONDING);
    let error = contract_error(suite.remove_validator(&second));
    assert!(
        error.contains("can be redelegated now"),
        "the redelegation ends at the end of the block: {error}"
    );
    suite.advance(BLOCK_TIME);
    suite.remove_validator(&second).unwrap();
    assert_eq!(suite.delegation_on_chain(&second), 0);
    assert_eq!(suite.hub_validators().len(), 2);
    assert_books_match_chain(&mut suite);
}

#[test]
fn rate_queries_agree_with_the_state() {
    let mut suite = suite();
    suite.spread_stake(3, 4_000_000);
    suite.advance(2 * DAY);
    suite.harvest().unwrap();

    let state = suite.state();
    let rate = suite.redemption_rate();
    assert!(rate.redemption_rate > Decimal::one());
    assert_eq!(rate.redemption_rate, state.exchange_rate);
    assert_eq!(
        rate.redemption_rate,
        Decimal::from_ratio(state.total_native, state.total_shares)
    );
    assert_eq!(rate.update_time, state.last_sync);
    let native = Uint128::new(1_000_000);
    let preview_bond: Uint128 = suite.query_hub(&QueryMsg::PreviewBond { native });
    assert_eq!(
        preview_bond,
        native.multiply_ratio(state.total_shares, state.total_native)
    );
    let preview_unbond: Uint128 = suite.query_hub(&QueryMsg::PreviewUnbond { shares: native });
    assert_eq!(
        preview_unbond,
        native.multiply_ratio(state.total_native, state.total_shares)
    );
    // A bond mints what the preview said.
    let bob = suite.user("bob");
    suite.fund_and_bond(&bob, native.u128());
    assert_eq!(suite.shares(&bob), preview_bond.u128());
}

#[test]
fn a_slash_found_at_sync_lowers_the_rate() {
    let mut suite = suite();
    suite.spread_stake(3, 5_000_000);
    let before = suite.state();
    let lost = {
        let hub = suite.hub.clone();
        suite
            .vm
            .chain()
            .slash(&validator_address(1), Decimal::percent(10), &hub)
    };
    assert!(lost > 0);

    let outcome = suite.sync().unwrap();

    assert_eq!(
        outcome.attribute("wasm-flowstake_sync", "slashed"),
        Some(lost.to_string().as_str())
    );
    let after = suite.state();
    assert_eq!(after.totals.slashed.u128(), lost);
    assert_eq!(after.total_native.u128(), before.total_native.u128() - lost);
    assert!(after.exchange_rate < before.exchange_rate);
    assert_books_match_chain(&mut suite);
    // The fall is within the bounds: bonding goes on at the lower rate.
    let alice = suite.user("alice");
    suite.fund_and_bond(&alice, 1_000_000);
    assert!(suite.shares(&alice) > 1_000_000);
}

#[test]
fn sweep_sends_the_collectors_other_denoms_to_the_fee_receiver() {
    let mut suite = suite();
    let collector = suite.collector.clone();
    let fee_receiver = suite.fee_receiver.clone();
    suite.vm.chain().mint(&collector, "uother", 7_000);

    let outcome = suite.sweep_rewards(&["uother"]).unwrap();

    assert_eq!(
        outcome.trace(),
        vec!["hub execute:sweep_rewards", "collector execute:sweep"]
    );
    assert_eq!(suite.vm.chain().balance(&collector, "uother"), 0);
    assert_eq!(suite.vm.chain().balance(&fee_receiver, "uother"), 7_000);
    // The staking denom only ever leaves the collector through the forward.
    suite.vm.chain().mint(&collector, DENOM, 5_000);
    assert!(suite.sweep_rewards(&[DENOM]).is_err());
    assert_eq!(suite.native(&collector), 5_000);
    let too_many: Vec<String> = (0..=flowstake::MAX_SWEEP_DENOMS)
        .map(|i| format!("u{i}"))
        .collect();
    let names: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let error = contract_error(suite.sweep_rewards(&names));
    assert!(error.contains("per sweep"), "{error}");
}

#[test]
fn an_inflow_beyond_a_plausible_reward_enters_the_rate_gradually() {
    let mut suite = suite();
    suite.spread_stake(3, 3_000_000);
    let collector = suite.collector.clone();
    let before = suite.state();
    // A transfer to the collector of a tenth of the backing: far beyond an hour's reward.
    suite.advance(3_600);
    let inflow = before.total_native.u128() / 10;
    suite.vm.chain().mint(&collector, DENOM, inflow);

    suite.harvest().unwrap();

    let after = suite.state();
    assert!(!after.unvested_rewards.is_zero(), "most of it waits");
    assert!(after.total_native > before.total_native);
    let restaked = after.total_native - before.total_native + after.unvested_rewards;
    assert_eq!(restaked, after.totals.rewards - after.totals.fees);
    assert_books_match_chain(&mut suite);
    // The breaker is not tripped: bond stays open.
    let alice = suite.user("alice");
    suite.fund_and_bond(&alice, 1_000_000);

    // Daily syncs vest it at most at the 50 % a year the hub recognises: a tenth of the
    // backing takes about two months, and the rate rises every day without a trip.
    let mut days = 0;
    let mut rate = suite.state().exchange_rate;
    while !suite.state().unvested_rewards.is_zero() {
        assert!(days < 120, "still unvested after {days} days");
        suite.advance(DAY);
        let outcome = suite.sync().unwrap();
        assert!(outcome.attribute("wasm-flowstake_sync", "reason").is_none());
        let now = suite.state().exchange_rate;
        assert!(now > rate, "day {days}: {now} after {rate}");
        rate = now;
        days += 1;
    }
    assert!(days > 30, "vested in {days} days");
    assert_books_match_chain(&mut suite);
}

//! End to end on the real four-validator localnet (`scripts/localnet.sh`), with the artifacts
//! of `scripts/build-wasm.sh`, through the operator tool's library. Run by `scripts/e2e.sh`,
//! which starts the localnet, runs these tests (`--ignored`: they need it) and stops it.

mod common;

use std::time::Duration;

use common::*;
use cosmwasm_std::{Decimal, Uint128};
use flowstake::hub::{BatchResponse, BatchStatus, ExecuteMsg, Operation, QueryMsg, StateResponse};
use flowstake_operator::client::{Signer, TxOutcome};
use flowstake_operator::error::OperatorError;
use flowstake_operator::keeper::KeeperConfig;
use flowstake_operator::ops;

/// Users bond, queue and cancel; the keeper loop submits, reconciles and harvests on its own
/// over several epochs and the chain's real unbonding time; every user withdraws to the unit
/// what the hub's query promised, as the bank shows it.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn users_are_paid_what_the_hub_promised_through_a_real_unbonding() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper_key = account(&chain.file, "keeper");
    let hub = deploy(&chain, &deployer).await;
    let users: Vec<Signer> = ["user1", "user2", "user3"]
        .iter()
        .map(|name| account(&chain.file, name))
        .collect();

    let bonds = [3_000_000_000u128, 2_000_000_000, 1_000_000_000];
    for (user, native) in users.iter().zip(bonds) {
        ok(bond(&chain, user, &hub, native).await);
    }
    // user1 and user2 queue part of their shares; user3 queues and cancels.
    ok(ops::unbond(&chain, &users[0], &hub, 1_000_000_000).await);
    ok(ops::unbond(&chain, &users[1], &hub, 2_000_000_000).await);
    ok(ops::unbond(&chain, &users[2], &hub, 500_000_000).await);
    ok(ops::execute(&chain, &users[2], &hub, &ExecuteMsg::CancelUnbond {}, 0).await);
    assert!(requests(&chain, &hub, &users[2]).await.is_empty());
    check_hub(&chain, &hub, "queued and cancelled").await;
    // A second round of requests in a later epoch.
    let config = KeeperConfig {
        interval: Duration::from_secs(2),
        harvest_every: 20,
    };
    let (_, time) = chain.latest().await.unwrap();
    let status = ops::status(&chain, &hub).await.unwrap();
    let epoch = status.config.epoch_period;
    // Keeper ticks until the first batch is submitted and an epoch has passed.
    while ops::status(&chain, &hub).await.unwrap().pending.id == 1 {
        tick(&chain, &keeper_key, &hub, config).await;
        tokio::time::sleep(config.interval).await;
    }
    ok(ops::unbond(&chain, &users[0], &hub, 500_000_000).await);

    // The keeper runs until every request is reconciled, within the chain's unbonding time
    // and a few epochs.
    let unbonding = chain.unbonding_time().await.unwrap();
    let deadline = time + 4 * epoch + 2 * unbonding + 60;
    loop {
        tick(&chain, &keeper_key, &hub, config).await;
        let mut all = vec![];
        for user in &users[..2] {
            all.extend(requests(&chain, &hub, user).await);
        }
        let done = all
            .iter()
            .all(|r| matches!(r.status, flowstake::hub::BatchStatus::Reconciled));
        check_hub(&chain, &hub, "keeper tick").await;
        if done && all.len() == 3 {
            break;
        }
        let (_, now) = chain.latest().await.unwrap();
        assert!(now < deadline, "requests not reconciled in time: {all:?}");
        tokio::time::sleep(config.interval).await;
    }

    for user in &users[..2] {
        let promised: u128 = requests(&chain, &hub, user)
            .await
            .iter()
            .map(|r| r.native.u128())
            .sum();
        let before = stake(&chain, user).await;
        let withdraw = ExecuteMsg::WithdrawUnbonded {
            receiver: None,
            limit: None,
        };
        ok(ops::execute(&chain, user, &hub, &withdraw, 0).await);
        let paid = stake(&chain, user).await - before;
        assert_eq!(
            paid, promised,
            "{} paid {paid}, promised {promised}",
            user.address
        );
        assert!(requests(&chain, &hub, user).await.is_empty());
        check_hub(&chain, &hub, "withdrawn").await;
    }
    // Real rewards were booked and the rate rose; conservation against the chain's balances.
    let state: StateResponse = chain.query(&hub.hub, &QueryMsg::State {}).await.unwrap();
    assert!(!state.totals.rewards.is_zero(), "no rewards booked");
    assert!(state.exchange_rate > Decimal::one());
    let hub_balance = chain
        .balance(&hub.hub, &chain.file.staking_denom)
        .await
        .unwrap();
    assert!(Uint128::new(hub_balance) >= state.reserved_for_claims + state.unlocked_surplus);
}

/// Every crank the keeper sends twice in a row is refused the second time as not due, and
/// the keeper treats it so: running two keepers at once is safe.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn a_second_keeper_finds_nothing_due() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper_key = account(&chain.file, "user4");
    let hub = deploy(&chain, &deployer).await;
    let user = account(&chain.file, "user5");
    ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    ok(ops::unbond(&chain, &user, &hub, 100_000_000).await);
    let epoch = ops::status(&chain, &hub).await.unwrap().config.epoch_period;
    tokio::time::sleep(Duration::from_secs(epoch + 2)).await;
    let config = KeeperConfig {
        interval: Duration::from_secs(1),
        harvest_every: 0,
    };
    let first = tick(&chain, &keeper_key, &hub, config).await;
    assert!(first.submitted, "{first:?}");
    check_hub(&chain, &hub, "submitted").await;
    // The same submission again: the hub refuses it (the batch is empty now).
    let again = ops::execute(&chain, &keeper_key, &hub, &ExecuteMsg::SubmitBatch {}, 0).await;
    let err = again.unwrap_err();
    assert!(err.is_not_due(), "{err}");
    // Reconcile before anything completed: not due either.
    let early = ops::execute(
        &chain,
        &keeper_key,
        &hub,
        &ExecuteMsg::Reconcile { limit: None },
        0,
    )
    .await
    .unwrap_err();
    assert!(early.is_not_due(), "{early}");
}

/// Eight batches in a row, one an epoch: the hub never sends an undelegation the chain refuses
/// for its limit of seven entries per validator (the eighth waits until the first completed).
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn eight_consecutive_batches_are_all_accepted_by_the_chain() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper_key = account(&chain.file, "keeper");
    let user = account(&chain.file, "user3");
    let hub = deploy(&chain, &deployer).await;
    ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    let config = KeeperConfig {
        interval: Duration::from_secs(2),
        harvest_every: u64::MAX,
    };
    let status = ops::status(&chain, &hub).await.unwrap();
    let (epoch, unbonding) = (
        status.config.epoch_period,
        chain.unbonding_time().await.unwrap(),
    );
    let deadline = status.time + 9 * epoch + unbonding + 60;
    let mut waited_for_room = 0;
    loop {
        let status = ops::status(&chain, &hub).await.unwrap();
        if status.pending.id > 8 {
            break;
        }
        assert!(
            status.time < deadline,
            "only {} batches submitted",
            status.pending.id - 1
        );
        if status.pending.shares.is_zero() {
            ok(ops::unbond(&chain, &user, &hub, 10_000_000).await);
        }
        let done = tick(&chain, &keeper_key, &hub, config).await;
        assert!(done.refused.is_empty(), "{:?}", done.refused);
        check_hub(&chain, &hub, "keeper tick").await;
        waited_for_room += done.not_due.iter().filter(|c| **c == "submit").count();
        tokio::time::sleep(config.interval).await;
    }
    // Every submission was a transaction the chain accepted, undelegations included.
    let status = ops::status(&chain, &hub).await.unwrap();
    assert_eq!(status.pending.id, 9);
    eprintln!("submissions the hub held back for the entry limit: {waited_for_room}");
}

/// A validator's node stops while a batch unbonds from it: the chain jails it and slashes it
/// for downtime; the hub's next sync books the loss and marks it inactive, new stake goes
/// elsewhere, and the batch (whose entries predate the infraction) is paid in full.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn a_validator_jailed_for_downtime_is_booked_and_gets_no_new_stake() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper_key = account(&chain.file, "keeper");
    let user = account(&chain.file, "user2");
    let hub = deploy(&chain, &deployer).await;
    // One bond per validator: each goes to the one furthest below its share.
    for _ in 0..4 {
        ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    }
    ok(ops::unbond(&chain, &user, &hub, 400_000_000).await);
    let config = KeeperConfig {
        interval: Duration::from_secs(2),
        harvest_every: u64::MAX,
    };
    while ops::status(&chain, &hub).await.unwrap().pending.id == 1 {
        tick(&chain, &keeper_key, &hub, config).await;
        tokio::time::sleep(config.interval).await;
    }

    let jailed = valoper("val2");
    localnet(&["stop-validator", "2"]);
    let (_, stopped_at) = chain.latest().await.unwrap();
    loop {
        if !chain.bonded_validators().await.unwrap().contains(&jailed) {
            break;
        }
        let (_, now) = chain.latest().await.unwrap();
        assert!(now < stopped_at + 180, "validator 2 was not jailed");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let (_, now) = chain.latest().await.unwrap();
    eprintln!("jailed {} s after its node stopped", now - stopped_at);

    let before = check_hub(&chain, &hub, "validator 2 jailed, not yet synced").await;
    ok(ops::execute(&chain, &keeper_key, &hub, &ExecuteMsg::Sync {}, 0).await);
    check_hub(&chain, &hub, "synced after the jail").await;
    let after: StateResponse = chain.query(&hub.hub, &QueryMsg::State {}).await.unwrap();
    assert!(
        after.totals.slashed > before.totals.slashed,
        "the downtime slash was not booked"
    );
    let validators: Vec<flowstake::hub::ValidatorResponse> = chain
        .query(
            &hub.hub,
            &QueryMsg::Validators {
                start_after: None,
                limit: None,
            },
        )
        .await
        .unwrap();
    let entry = validators.iter().find(|v| v.address == jailed).unwrap();
    assert!(!entry.active, "the hub still counts validator 2 active");
    for _ in 0..3 {
        let outcome = ok(bond(&chain, &user, &hub, 1_000_000_000).await);
        assert_ne!(
            outcome.wasm_attributes("validator").first().copied(),
            Some(jailed.as_str())
        );
    }
    check_hub(&chain, &hub, "bonded elsewhere").await;
    localnet(&["start-validator", "2"]);

    // The batch completes on the chain's time and pays what the hub promised.
    loop {
        tick(&chain, &keeper_key, &hub, config).await;
        let all = requests(&chain, &hub, &user).await;
        if all
            .iter()
            .all(|r| matches!(r.status, flowstake::hub::BatchStatus::Reconciled))
        {
            break;
        }
        let (_, now) = chain.latest().await.unwrap();
        assert!(now < stopped_at + 400, "not reconciled: {all:?}");
        tokio::time::sleep(config.interval).await;
    }
    let promised: u128 = requests(&chain, &hub, &user)
        .await
        .iter()
        .map(|r| r.native.u128())
        .sum();
    let before = stake(&chain, &user).await;
    let withdraw = ExecuteMsg::WithdrawUnbonded {
        receiver: None,
        limit: None,
    };
    ok(ops::execute(&chain, &user, &hub, &withdraw, 0).await);
    assert_eq!(stake(&chain, &user).await - before, promised);
    check_hub(&chain, &hub, "withdrawn").await;
    // Later tests get four validators again.
    localnet(&["start-validator", "2", "--unjail"]);
    let (_, start) = chain.latest().await.unwrap();
    while !chain.bonded_validators().await.unwrap().contains(&jailed) {
        let (_, now) = chain.latest().await.unwrap();
        assert!(
            now < start + 60,
            "validator 2 not bonded again after its unjail"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The chain's entries of the batch a submission made: those created at its height.
async fn batch_entries(
    chain: &flowstake_operator::client::Chain,
    hub: &flowstake_operator::config::Deployment,
    height: u64,
) -> Vec<UnbondingEntry> {
    let entries: Vec<UnbondingEntry> = chain_unbondings(chain, &hub.hub)
        .await
        .into_iter()
        .filter(|e| e.creation_height == height as i64)
        .collect();
    assert!(!entries.is_empty(), "no unbonding entry at height {height}");
    entries
}

/// `user` queues `shares`, and the batch is submitted (by the request itself if its epoch has
/// ended, else once it has) and checked against the chain: its completion time is the one of
/// the chain's entries, and the entries' balances add up to what it expects. Returns the
/// batch and its entries.
async fn queue_and_submit(
    chain: &flowstake_operator::client::Chain,
    user: &Signer,
    keeper: &Signer,
    hub: &flowstake_operator::config::Deployment,
    shares: u128,
) -> (BatchResponse, Vec<UnbondingEntry>) {
    let pending = ops::status(chain, hub).await.unwrap().pending;
    let queued = ok(ops::unbond(chain, user, hub, shares).await);
    let mut outcomes = vec![];
    if queued.wasm_attributes("submitted").first() == Some(&"true") {
        let continues = queued.wasm_attributes("submission_done").first() == Some(&"false");
        outcomes.push(queued);
        if continues {
            outcomes.extend(submit(chain, keeper, hub).await);
        }
    } else {
        check_hub(chain, hub, "queued").await;
        wait_until(chain, pending.submit_after).await;
        outcomes.extend(submit(chain, keeper, hub).await);
    }
    let batch: BatchResponse = chain
        .query(&hub.hub, &QueryMsg::Batch { id: pending.id })
        .await
        .unwrap();
    let mut entries = vec![];
    for outcome in &outcomes {
        entries.extend(batch_entries(chain, hub, outcome.height).await);
    }
    let completion = entries.iter().map(|e| e.completes_at).max().unwrap();
    assert_eq!(
        batch.completes_at, completion,
        "batch {} completes at the chain's time",
        batch.id
    );
    // The chain may keep back a unit per entry on a slashed validator (its share rounding):
    // the hub books that at reconcile, as the batch's shortfall.
    let initial: u128 = entries.iter().map(|e| e.initial_balance).sum();
    let mut allowance = 0;
    for entry in &entries {
        allowance += entry_truncation(chain, &entry.validator).await;
    }
    // The entries hold the batch's native and the buffer's top-up riding with it.
    let expected = batch.native_expected.u128() + batch.buffer_topup.u128();
    assert!(
        initial <= expected && expected - initial <= allowance,
        "batch {}: the chain's entries hold {initial}, the hub expects {expected} (rounding \
         allowed on slashed validators: {allowance})",
        batch.id
    );
    if initial < expected {
        eprintln!(
            "batch {}: the chain's share rounding kept back {} of {expected}",
            batch.id,
            expected - initial
        );
    }
    (batch, entries)
}

/// A harvest books, to the unit, what x/distribution paid into the collector: the collector's
/// balance before (rewards paid out automatically since the last harvest, and anything sent
/// to it) plus the rewards this transaction withdrew is what the hub received and booked
/// (`rewards`, `totals.rewards`); the fee receiver gets exactly the fee. Returns the rewards.
async fn harvest_and_check(
    chain: &flowstake_operator::client::Chain,
    keeper: &Signer,
    hub: &flowstake_operator::config::Deployment,
    step: &str,
) -> u128 {
    let denom = chain.file.staking_denom.clone();
    let config = ops::status(chain, hub).await.unwrap().config;
    let before = hub_state(chain, hub).await;
    let collector_before = balance(chain, &hub.collector).await;
    let fee_receiver_before = balance(chain, config.fee_receiver.as_str()).await;
    let outcome = ok(ops::execute(chain, keeper, hub, &ExecuteMsg::Harvest {}, 0).await);
    let events = grouped_events(&outcome);
    let withdrawn: u128 = events
        .iter()
        .filter(|(kind, e)| kind == "withdraw_rewards" && e["delegator"] == hub.hub)
        .map(|(_, e)| coins_amount(&e["amount"], &denom))
        .sum();
    let forwarded: u128 = events
        .iter()
        .filter(|(kind, e)| {
            kind == "transfer" && e["sender"] == hub.collector && e["recipient"] == hub.hub
        })
        .map(|(_, e)| coins_amount(&e["amount"], &denom))
        .sum();
    let rewards = wasm_number(&outcome, "rewards");
    let fee = wasm_number(&outcome, "fee");
    let restaked = wasm_number(&outcome, "native_restaked");
    let collector_after = balance(chain, &hub.collector).await;
    eprintln!(
        "{step}: collector held {collector_before}, the harvest withdrew {withdrawn}, \
         forwarded {forwarded}, booked {rewards} (fee {fee})"
    );
    assert_eq!(
        collector_before + withdrawn,
        rewards + collector_after,
        "{step}: booked rewards against x/distribution's payouts"
    );
    assert_eq!(forwarded, rewards, "{step}: forwarded against booked");
    assert_eq!(collector_after, 0, "{step}: the collector keeps nothing");
    assert_eq!(
        fee,
        Uint128::new(rewards).mul_floor(config.fee_rate).u128(),
        "{step}: fee"
    );
    assert_eq!(fee + restaked, rewards);
    let fee_receiver_after = balance(chain, config.fee_receiver.as_str()).await;
    assert_eq!(
        fee_receiver_after - fee_receiver_before,
        fee,
        "{step}: fee receiver"
    );
    let after = check_hub(chain, hub, step).await;
    assert_eq!(
        after.totals.rewards - before.totals.rewards,
        Uint128::new(rewards)
    );
    assert_eq!(after.totals.fees - before.totals.fees, Uint128::new(fee));
    rewards
}

/// The rate moved by at most the rise bound since `before`, and nothing paused itself.
async fn assert_rate_held(
    chain: &flowstake_operator::client::Chain,
    hub: &flowstake_operator::config::Deployment,
    before: &StateResponse,
    step: &str,
) {
    let status = ops::status(chain, hub).await.unwrap();
    let bound = status.config.rate_bounds.max_rise;
    let now = status.state.exchange_rate;
    assert!(
        now <= before.exchange_rate * (Decimal::one() + bound) && now >= before.exchange_rate,
        "{step}: rate {} -> {now}",
        before.exchange_rate
    );
    assert!(
        status.paused.operations.is_empty(),
        "{step}: paused {:?}",
        status.paused.operations
    );
}

fn refusal(result: Result<TxOutcome, OperatorError>) -> String {
    match result {
        Err(OperatorError::Refused { log, .. }) => log,
        Err(other) => panic!("not a refusal: {other}"),
        Ok(outcome) => panic!("accepted: {}", outcome.hash),
    }
}

/// A hub with a liquidity buffer on the real chain: the deposit fills the buffer first (the
/// chain holds the rest as delegations), an instant exit pays the holder at once from the
/// hub's bank balance exactly what the preview promised, the fee stays with the holders (the
/// rate rises), and an exit the buffer cannot pay is refused with its typed error. The next
/// batch tops the buffer up through a real unbonding: its entries hold the batch's native and
/// the top-up, reconcile moves the top-up into the buffer, and the holder is paid the batch's.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn holders_exit_at_once_from_the_buffer() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let user = account(&chain.file, "user2");
    let keeper = account(&chain.file, "keeper");
    let mut params = deploy_params();
    params.buffer_target = Decimal::percent(10);
    params.exit_fee = Decimal::permille(5);
    let hub = deploy_with(&chain, &deployer, &params).await;
    ok(bond(&chain, &user, &hub, 2_000_000_000).await);
    let state = check_hub(&chain, &hub, "bonded into the buffer").await;
    assert_eq!(
        state.buffer,
        state.total_native.mul_floor(Decimal::percent(10)),
        "the deposit fills the buffer to its goal"
    );
    let held = balance(&chain, &hub.hub).await;
    assert!(held >= state.buffer.u128());

    // The preview values the stored ledger and the exit syncs first: a delegation to a validator
    // slashed by an earlier test may be worth a unit less than delegated. Sync, so that the
    // preview and the exit see the same ledger and the payout can be compared to the unit.
    ok(ops::execute(&chain, &keeper, &hub, &ExecuteMsg::Sync {}, 0).await);
    let shares = 100_000_000u128;
    let preview: flowstake::hub::InstantUnbondPreview = chain
        .query(
            &hub.hub,
            &QueryMsg::PreviewInstantUnbond {
                shares: Uint128::new(shares),
            },
        )
        .await
        .unwrap();
    assert!(preview.payable && !preview.fee.is_zero());
    let wallet = stake(&chain, &user).await;
    ok(ops::instant_unbond(&chain, &user, &hub, shares, Some(preview.payout.u128())).await);
    assert_eq!(stake(&chain, &user).await - wallet, preview.payout.u128());
    let after = check_hub(&chain, &hub, "instant exit").await;
    assert_eq!(after.totals.instant_paid, preview.payout);
    assert_eq!(after.totals.exit_fees, preview.fee);
    assert!(after.exchange_rate > state.exchange_rate);
    assert_eq!(
        balance(&chain, &hub.hub).await,
        held - preview.payout.u128(),
        "the payout left the hub's own balance"
    );

    let too_much = 1_000_000_000u128;
    let log = refusal(ops::instant_unbond(&chain, &user, &hub, too_much, None).await);
    assert!(log.contains("the buffer holds"), "{log}");
    let drained = check_hub(&chain, &hub, "refused exit").await;

    // The exit left the buffer short of its goal: the next batch tops it up through the
    // chain's real unbonding, and the holder is paid only the batch's own native.
    let (batch, _) = queue_and_submit(&chain, &user, &keeper, &hub, 500_000_000).await;
    assert!(!batch.buffer_topup.is_zero(), "{batch:?}");
    let submitted = check_hub(&chain, &hub, "batch with a top-up submitted").await;
    assert_eq!(submitted.buffer_incoming, batch.buffer_topup);
    assert_eq!(submitted.buffer, drained.buffer);
    reconcile_batch(&chain, &keeper, &hub, batch.id, batch.completes_at + 60).await;
    let reconciled = check_hub(&chain, &hub, "top-up arrived").await;
    assert!(reconciled.buffer_incoming.is_zero());
    let arrived = reconciled.buffer.u128() - drained.buffer.u128();
    // Up to a unit per entry kept back by the chain's share rounding on a slashed validator.
    assert!(
        arrived <= batch.buffer_topup.u128() && batch.buffer_topup.u128() - arrived <= 4,
        "{arrived} of the top-up {} arrived in the buffer",
        batch.buffer_topup
    );
    // What the hub's requests promised, checked against the bank by `withdraw_all`.
    let paid = withdraw_all(&chain, &user, &hub).await;
    let booked: BatchResponse = chain
        .query(&hub.hub, &QueryMsg::Batch { id: batch.id })
        .await
        .unwrap();
    assert_eq!(paid, booked.native_received.u128());
    check_hub(&chain, &hub, "withdrawn").await;
}

/// The chain's unbonding time is changed by a real governance proposal (x/staking's
/// `MsgUpdateParams` signed by the gov module, four votes yes) while batches are in flight:
/// the batch submitted before keeps the chain's old completion time, the one after gets the new
/// one and completes first, each is paid exactly what the chain returned for it, and users are
/// paid what the hub promised, whatever the hub's configured unbonding period says. While the
/// batches unbond: real rewards harvested to the unit, a donation to the collector and one to
/// the hub, pause and unpause, and a migration to a new code id. The hub is held against the
/// chain after every step; the unbonding time is put back at the end.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn governance_changes_the_unbonding_time_while_batches_are_in_flight() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper = account(&chain.file, "keeper");
    let guardian = account(&chain.file, "user5");
    let donor = account(&chain.file, "user3");
    let users = [account(&chain.file, "user1"), account(&chain.file, "user2")];
    let original = chain.unbonding_time().await.unwrap();
    // Batch 2 must be submitted after the proposal passes (about 25 s) and complete first.
    assert!(
        original >= 60,
        "the unbonding time is {original} s: a failed run left it changed (reset the localnet)"
    );
    let shorter = original / 3;
    let mut params = deploy_params();
    params.guardian = Some(guardian.address.to_string());
    let mut hub = deploy_with(&chain, &deployer, &params).await;
    check_hub(&chain, &hub, "deployed").await;
    let validators = hub_validators(&chain, &hub).await.len();
    for i in 0..validators {
        let user = &users[i % 2];
        ok(bond(&chain, user, &hub, 1_000_000_000 + i as u128).await);
    }
    check_hub(&chain, &hub, "bonded").await;
    // Batch 1 under the original unbonding time.
    let (first, first_entries) =
        queue_and_submit(&chain, &users[0], &keeper, &hub, 900_000_000).await;
    assert!(
        (original..=original + 1).contains(&(first.completes_at - first.submitted_at)),
        "batch 1: {first:?}"
    );
    check_hub(&chain, &hub, "batch 1 submitted").await;

    let proposal = propose_unbonding_time(&chain, shorter).await;

    // While the proposal is voted on: real rewards, then a donation to the collector.
    harvest_and_check(&chain, &keeper, &hub, "harvest of real rewards").await;
    let before = hub_state(&chain, &hub).await;
    let donation = 400_000_000;
    transfer(&chain, &donor, &hub.collector, donation).await;
    let rewards = harvest_and_check(&chain, &keeper, &hub, "harvest after a donation").await;
    assert!(rewards > donation, "the donation is booked as rewards");
    let after = hub_state(&chain, &hub).await;
    assert!(after.unvested_rewards > before.unvested_rewards);
    assert_rate_held(&chain, &hub, &before, "collector donation").await;

    // Pause and unpause.
    let all = vec![Operation::Bond, Operation::Unbond, Operation::Harvest];
    let pause = ExecuteMsg::Pause {
        operations: all.clone(),
    };
    let log = refusal(ops::execute(&chain, &users[0], &hub, &pause, 0).await);
    assert_eq!(
        log,
        format!(
            "sender {} is neither the guardian nor the owner",
            users[0].address
        )
    );
    ok(ops::execute(&chain, &guardian, &hub, &pause, 0).await);
    let paused: flowstake::hub::PausedResponse =
        chain.query(&hub.hub, &QueryMsg::Paused {}).await.unwrap();
    assert_eq!(paused.operations, all);
    let log = refusal(bond(&chain, &users[1], &hub, 1_000_000).await);
    assert_eq!(log, "operation Bond is paused");
    let log = refusal(ops::unbond(&chain, &users[1], &hub, 1_000_000).await);
    assert!(log.contains("operation Unbond is paused"), "{log}");
    let log = refusal(ops::execute(&chain, &keeper, &hub, &ExecuteMsg::Harvest {}, 0).await);
    assert_eq!(log, "operation Harvest is paused");
    let log = refusal(ops::execute(&chain, &keeper, &hub, &ExecuteMsg::SubmitBatch {}, 0).await);
    assert_eq!(log, "operation Unbond is paused");
    // The keeper takes a paused crank for one that is not due, and goes on.
    let config = KeeperConfig {
        interval: Duration::from_secs(1),
        harvest_every: 0,
    };
    let done = tick(&chain, &keeper, &hub, config).await;
    assert_eq!(done.not_due, vec!["harvest"], "{done:?}");
    assert!(done.refused.is_empty(), "{done:?}");
    // Sync is never paused; only the owner unpauses.
    ok(ops::execute(&chain, &keeper, &hub, &ExecuteMsg::Sync {}, 0).await);
    let unpause = ExecuteMsg::Unpause {
        operations: all.clone(),
    };
    let log = refusal(ops::execute(&chain, &guardian, &hub, &unpause, 0).await);
    assert!(log.contains("not the contract's current owner"), "{log}");
    check_hub(&chain, &hub, "paused").await;
    ok(ops::execute(&chain, &deployer, &hub, &unpause, 0).await);
    let paused: flowstake::hub::PausedResponse =
        chain.query(&hub.hub, &QueryMsg::Paused {}).await.unwrap();
    assert!(paused.operations.is_empty());
    ok(bond(&chain, &users[1], &hub, 1_000_000).await);
    check_hub(&chain, &hub, "unpaused").await;

    await_proposal(&chain, proposal, shorter).await;
    // Batch 2 under the new unbonding time: it completes before batch 1.
    let (second, second_entries) =
        queue_and_submit(&chain, &users[1], &keeper, &hub, 800_000_000).await;
    assert!(
        (shorter..=shorter + 1).contains(&(second.completes_at - second.submitted_at)),
        "batch 2: {second:?}"
    );
    assert!(second.completes_at < first.completes_at);
    let config = ops::status(&chain, &hub).await.unwrap().config;
    assert_eq!(
        config.unbonding_period, original,
        "the hub's estimate is kept"
    );
    check_hub(&chain, &hub, "batch 2 submitted").await;

    // A donation to the hub: held in suspense, the rate unchanged.
    let before = hub_state(&chain, &hub).await;
    let donation = 300_000_000;
    transfer(&chain, &donor, &hub.hub, donation).await;
    let after = check_hub(&chain, &hub, "hub donation").await;
    assert_eq!(after.suspense.u128(), before.suspense.u128() + donation);
    assert_eq!(after.exchange_rate, before.exchange_rate);

    // Put the unbonding time back while both batches unbond.
    let restore = propose_unbonding_time(&chain, original).await;

    // Migration to a new code id: everything kept.
    let status = ops::status(&chain, &hub).await.unwrap();
    let ledger = hub_validators(&chain, &hub).await;
    let old_code = hub.hub_code_id;
    let outcome = ops::migrate(&chain, &deployer, &mut hub, &root().join("artifacts"))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_ne!(hub.hub_code_id, old_code);
    assert_eq!(
        outcome.attribute("migrate", "code_id"),
        Some(hub.hub_code_id.to_string().as_str())
    );
    let migrated = ops::status(&chain, &hub).await.unwrap();
    assert_eq!(migrated.state, status.state);
    assert_eq!(migrated.config, status.config);
    assert_eq!(migrated.pending, status.pending);
    assert_eq!(migrated.open_batches, status.open_batches);
    assert_eq!(hub_validators(&chain, &hub).await, ledger);
    check_hub(&chain, &hub, "migrated").await;

    // Batch 2 is paid first, to the unit, with the donation found beside it as surplus; batch
    // 1 is still unbonding on the chain.
    let hub_before = balance(&chain, &hub.hub).await;
    let outcomes =
        reconcile_batch(&chain, &keeper, &hub, second.id, second.completes_at + 60).await;
    let settled = outcomes.last().unwrap();
    assert_eq!(
        settled.wasm_attributes("batch_ids"),
        vec![second.id.to_string()]
    );
    let paid: u128 = second_entries.iter().map(|e| e.balance).sum();
    let booked: BatchResponse = chain
        .query(&hub.hub, &QueryMsg::Batch { id: second.id })
        .await
        .unwrap();
    assert_eq!(balance(&chain, &hub.hub).await - hub_before, paid);
    // The batch is booked what it expected: on a validator slashed earlier the chain's entries
    // may hold a unit less each than was undelegated, and with the donation in the balance
    // the hub cannot tell that unit from the donation. It takes the unit from the surplus,
    // never more than that, and the two together are what arrived.
    let mut truncation = 0;
    for entry in &second_entries {
        truncation += entry_truncation(&chain, &entry.validator).await;
    }
    let received = booked.native_received.u128();
    assert!(
        (paid..=paid + truncation).contains(&received),
        "batch 2 booked {received}, its entries paid {paid} (truncation up to {truncation})"
    );
    let excess = received - paid;
    assert_eq!(wasm_number(settled, "shortfall"), 0);
    assert_eq!(wasm_number(settled, "surplus"), donation - excess);
    let unbonding: BatchResponse = chain
        .query(&hub.hub, &QueryMsg::Batch { id: first.id })
        .await
        .unwrap();
    assert!(matches!(unbonding.status, BatchStatus::Unbonding));
    let still = chain_unbondings(&chain, &hub.hub).await;
    assert_eq!(still.len(), first_entries.len(), "batch 1's entries stay");
    let state = check_hub(&chain, &hub, "batch 2 reconciled").await;
    assert_eq!(state.unlocked_surplus.u128(), donation - excess);
    withdraw_all(&chain, &users[1], &hub).await;
    check_hub(&chain, &hub, "user2 withdrew").await;
    // The surplus is re-staked for all holders, gradually.
    let before = hub_state(&chain, &hub).await;
    let outcome = ok(ops::execute(&chain, &keeper, &hub, &ExecuteMsg::Harvest {}, 0).await);
    assert_eq!(wasm_number(&outcome, "surplus_restaked"), donation - excess);
    check_hub(&chain, &hub, "surplus re-staked").await;
    assert_rate_held(&chain, &hub, &before, "hub donation").await;

    await_proposal(&chain, restore, original).await;
    // Batch 1 completes at the time the chain gave it, not earlier.
    reconcile_batch(&chain, &keeper, &hub, first.id, first.completes_at + 60).await;
    let booked: BatchResponse = chain
        .query(&hub.hub, &QueryMsg::Batch { id: first.id })
        .await
        .unwrap();
    let paid: u128 = first_entries.iter().map(|e| e.balance).sum();
    assert_eq!(booked.native_received.u128(), paid);
    assert!(chain_unbondings(&chain, &hub.hub).await.is_empty());
    withdraw_all(&chain, &users[0], &hub).await;
    // Everything works after the migration.
    ok(bond(&chain, &users[0], &hub, 5_000_000).await);
    harvest_and_check(&chain, &keeper, &hub, "harvest after migration").await;
    check_hub(&chain, &hub, "end").await;
}

fn ledger_of(ledger: &[flowstake::hub::ValidatorResponse], address: &str) -> u128 {
    ledger
        .iter()
        .find(|v| v.address == address)
        .map_or(0, |v| v.delegated.u128())
}

/// The hub removes `address`: the chain's redelegation entries made by that transaction move
/// exactly what the hub says it redelegated, each destination's ledger rose by its entry, and
/// the ledger matches the chain's delegations. Returns the entries.
async fn remove_and_check(
    chain: &flowstake_operator::client::Chain,
    owner: &Signer,
    hub: &flowstake_operator::config::Deployment,
    address: &str,
) -> Vec<RedelegationEntry> {
    let before = hub_validators(chain, hub).await;
    let held = chain_delegations(chain, &hub.hub)
        .await
        .get(address)
        .copied()
        .unwrap_or(0);
    let msg = ExecuteMsg::RemoveValidator {
        address: address.to_string(),
    };
    let outcome = ok(ops::execute(chain, owner, hub, &msg, 0).await);
    assert_eq!(wasm_number(&outcome, "redelegated"), held);
    let entries: Vec<RedelegationEntry> = chain_redelegations(chain, &hub.hub)
        .await
        .into_iter()
        // A validator leaves the set once: every entry from it is this removal's. (From an
        // unbonding validator the chain dates them at its unbonding height, not this one.)
        .filter(|e| e.source == address)
        .collect();
    // From a slashed source the chain may keep back a unit per entry (its share rounding);
    // the hub's next sync books it.
    let truncation = entry_truncation(chain, address).await;
    let moved: u128 = entries.iter().map(|e| e.initial_balance).sum();
    assert!(
        moved <= held && held - moved <= truncation * entries.len() as u128,
        "the chain redelegated {moved} of the {held} the hub held on {address}"
    );
    let after = hub_validators(chain, hub).await;
    assert!(after.iter().all(|v| v.address != address));
    for entry in &entries {
        // The entry's balance is its destination shares in tokens: on a destination slashed
        // earlier the chain's share rounding shows a unit less than was moved.
        let shown = entry_truncation(chain, &entry.destination).await;
        assert!(
            entry.balance <= entry.initial_balance
                && entry.initial_balance - entry.balance <= shown,
            "entry to {}: balance {}, initial balance {}",
            entry.destination,
            entry.balance,
            entry.initial_balance
        );
        let rise = ledger_of(&after, &entry.destination) - ledger_of(&before, &entry.destination);
        assert!(
            rise >= entry.initial_balance && rise - entry.initial_balance <= truncation,
            "ledger of {} rose {rise}, the chain's entry holds {}",
            entry.destination,
            entry.initial_balance
        );
    }
    check_hub(chain, hub, &format!("{address} removed")).await;
    entries
}

/// Validator removal with real redelegations, and validators the chain deletes. Two
/// validators without a node join the chain and the hub's set (one paused, so that it never
/// holds the hub's stake). Their operators unbond their whole self-delegation, which jails them
/// at once (below their minimum self-delegation, no slash). A batch unbonds from the hub's
/// stake, also on one of them, and the hub removes that one: the chain's redelegations match
/// the ledger, and removing a destination is refused while they mature. Once the unbonding
/// time has passed the chain deletes both: sync, bond, harvest, submit, reconcile and removal
/// keep working, the batch is paid in full and the user what the hub promised, and removing a
/// bonded validator then redelegates with the chain's full unbonding time.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn validators_the_chain_deletes_leave_the_hub_whole() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper = account(&chain.file, "keeper");
    let user = account(&chain.file, "user1");
    let unbonding = chain.unbonding_time().await.unwrap();
    let hub = deploy(&chain, &deployer).await;
    let initial = hub_validators(&chain, &hub).await.len();
    for _ in 0..initial {
        ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    }
    check_hub(&chain, &hub, "bonded").await;

    // Two validators without a node: the chain would jail them for downtime about 30 s after
    // they are bonded, so everything up to their operators' unbonding is done at once.
    let self_bond = 1_000_000_000_000_000_000_000u128;
    let funder = account(&chain.file, "user4");
    let doomed_operator = fresh_account(&chain, &funder, self_bond, "doomed").await;
    let idle_operator = fresh_account(&chain, &funder, self_bond, "idle").await;
    let doomed = create_validator(&chain, &doomed_operator, self_bond, "doomed").await;
    let idle = create_validator(&chain, &idle_operator, self_bond, "idle").await;
    for address in [&doomed, &idle] {
        let add = ExecuteMsg::AddValidator {
            address: address.clone(),
            weight: 1,
        };
        ok(ops::execute(&chain, &deployer, &hub, &add, 0).await);
    }
    let pause = ExecuteMsg::PauseValidator {
        address: idle.clone(),
    };
    ok(ops::execute(&chain, &deployer, &hub, &pause, 0).await);
    let outcome = ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    assert_eq!(
        outcome.wasm_attributes("validator").first().copied(),
        Some(doomed.as_str()),
        "the least loaded validator takes the bond"
    );
    for (operator, address) in [(&doomed_operator, &doomed), (&idle_operator, &idle)] {
        let validator = chain_validator(&chain, address).await.unwrap();
        assert!(
            !validator.jailed,
            "{address} was jailed for downtime before its operator unbonded: too slow"
        );
        undelegate(&chain, operator, address, self_bond).await;
    }
    let (_, jailed_at) = chain.latest().await.unwrap();
    for address in [&doomed, &idle] {
        let validator = chain_validator(&chain, address).await.unwrap();
        assert!(validator.jailed, "{address} is not jailed");
    }
    check_hub(&chain, &hub, "validators jailed").await;
    let synced = ok(ops::execute(&chain, &keeper, &hub, &ExecuteMsg::Sync {}, 0).await);
    // Nothing was slashed but the chain's share rounding on a validator an earlier test had
    // slashed: a delegation to it may be credited a unit less than it was sent.
    let mut rounding = 0;
    for validator in hub_validators(&chain, &hub).await {
        rounding += ROUNDING_UNITS * entry_truncation(&chain, &validator.address).await;
    }
    let slashed = wasm_number(&synced, "slashed");
    assert!(
        slashed <= rounding,
        "{slashed} slashed, rounding allows {rounding}"
    );
    let left = synced
        .attribute("wasm-flowstake_sync", "left_active_set")
        .unwrap_or_default()
        .to_string();
    assert!(
        left.contains(&doomed) && left.contains(&idle),
        "left: {left}"
    );
    check_hub(&chain, &hub, "synced").await;

    // A batch unbonds from every validator holding the hub's stake, the jailed one included.
    let (batch, batch_entries) =
        queue_and_submit(&chain, &user, &keeper, &hub, 1_500_000_000).await;
    assert!(batch_entries.iter().any(|e| e.validator == doomed));
    check_hub(&chain, &hub, "batch submitted").await;

    // Removal: the chain redelegates the hub's stake on the jailed validator; the entries
    // mature when the validator has finished unbonding.
    let moved = remove_and_check(&chain, &deployer, &hub, &doomed).await;
    assert!(!moved.is_empty());
    let validator = chain_validator(&chain, &doomed).await.unwrap();
    let unbonded_at = validator.unbonding_time.unwrap();
    let unbonded_at = unbonded_at.seconds as u64 + u64::from(unbonded_at.nanos > 0);
    assert!(moved.iter().all(|e| e.completes_at == unbonded_at));
    let shares: f64 = validator.delegator_shares.parse().unwrap();
    assert_eq!(shares, 0.0, "nobody's shares are left on {doomed}");
    // A destination with an incoming redelegation cannot be removed until it matures.
    let destination = moved[0].destination.clone();
    let remove = ExecuteMsg::RemoveValidator {
        address: destination.clone(),
    };
    let log = refusal(ops::execute(&chain, &deployer, &hub, &remove, 0).await);
    assert!(
        log.contains("an incoming redelegation is maturing"),
        "{log}"
    );

    // The chain deletes both validators once they have unbonded.
    loop {
        let doomed_left = chain_validator(&chain, &doomed).await.is_some();
        let idle_left = chain_validator(&chain, &idle).await.is_some();
        if !doomed_left && !idle_left {
            break;
        }
        let (_, now) = chain.latest().await.unwrap();
        assert!(
            now < jailed_at + unbonding + 60,
            "not deleted: {doomed} {doomed_left}, {idle} {idle_left}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let (_, now) = chain.latest().await.unwrap();
    eprintln!(
        "both validators deleted {} s after they were jailed",
        now - jailed_at
    );
    assert!(chain_redelegations(&chain, &hub.hub).await.is_empty());

    // Every crank works with a deleted validator in the set (the idle one).
    ok(ops::execute(&chain, &keeper, &hub, &ExecuteMsg::Sync {}, 0).await);
    check_hub(&chain, &hub, "synced after deletion").await;
    let outcome = ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    let target = outcome.wasm_attributes("validator");
    assert!(!target.contains(&idle.as_str()) && !target.contains(&doomed.as_str()));
    check_hub(&chain, &hub, "bonded after deletion").await;
    let before = hub_state(&chain, &hub).await;
    harvest_and_check(&chain, &keeper, &hub, "harvest after deletion").await;
    assert_rate_held(&chain, &hub, &before, "harvest after deletion").await;
    // The batch, with its entry on the deleted validator, is paid in full.
    reconcile_batch(&chain, &keeper, &hub, batch.id, batch.completes_at + 60).await;
    let booked: BatchResponse = chain
        .query(&hub.hub, &QueryMsg::Batch { id: batch.id })
        .await
        .unwrap();
    let paid: u128 = batch_entries.iter().map(|e| e.balance).sum();
    // In full: everything the chain put in the batch's entries (none was slashed).
    let initial: u128 = batch_entries.iter().map(|e| e.initial_balance).sum();
    assert_eq!(booked.native_received.u128(), initial);
    assert_eq!(booked.native_received.u128(), paid);
    check_hub(&chain, &hub, "batch reconciled").await;
    withdraw_all(&chain, &user, &hub).await;
    check_hub(&chain, &hub, "withdrawn").await;

    // Removing a bonded validator: the chain's redelegations complete after its full
    // unbonding time.
    let moved = remove_and_check(&chain, &deployer, &hub, &destination).await;
    let (_, now) = chain.latest().await.unwrap();
    assert!(!moved.is_empty());
    for entry in &moved {
        assert!(
            (now + unbonding - 5..=now + unbonding + 1).contains(&entry.completes_at),
            "{entry:?}, now {now}"
        );
    }
    // The deleted validator leaves the set too, with nothing to move.
    let outcome = ok(ops::execute(
        &chain,
        &deployer,
        &hub,
        &ExecuteMsg::RemoveValidator {
            address: idle.clone(),
        },
        0,
    )
    .await);
    assert_eq!(wasm_number(&outcome, "redelegated"), 0);
    check_hub(&chain, &hub, "deleted validator removed").await;
    let (second, entries) = queue_and_submit(&chain, &user, &keeper, &hub, 500_000_000).await;
    assert!(entries
        .iter()
        .all(|e| e.validator != doomed && e.validator != idle && e.validator != destination));
    assert!(second.native_expected.u128() > 0);
    check_hub(&chain, &hub, "submitted after deletion").await;
}

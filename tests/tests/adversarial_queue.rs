//! Attacks on the unbond queue: spam of minimum-size requests, a user with a thousand
//! requests, a hundred batches left unreconciled, and a batch that would need an 8th
//! unbonding entry. Every call stays bounded, and a refused call changes nothing.

use cosmwasm_std::{coins, Decimal, Uint128};
use cw_multi_test::{AppResponse, BankSudo, SudoMsg};
use flowstake::hub::{BatchStatus, ConfigUpdate, ExecuteMsg};
use flowstake_hub::error::ContractError;
use flowstake_hub::execute::withdraw::{MAX_RECONCILE_LIMIT, MAX_WITHDRAW_LIMIT};
use flowstake_tests::model::claim;
use flowstake_tests::strict::fixture::chain_error;
use flowstake_tests::strict::{ChainError, MAX_ENTRIES};
use flowstake_tests::*;

/// The shortest epoch a one-day unbonding allows: seven epochs exceed it by a day.
const SHORT_EPOCH: u64 = (2 * DAY).div_ceil(7);

/// Funds, bonds and queues `count` minimum-size requests from as many new accounts.
fn spam(suite: &mut Suite, count: usize, shares: u128) {
    for index in 0..count {
        let spammer = format!("spammer{index}");
        let address = suite.addr(&spammer);
        suite
            .app
            .sudo(SudoMsg::Bank(BankSudo::Mint {
                to_address: address.into_string(),
                amount: coins(shares, DENOM),
            }))
            .unwrap();
        suite.bond(&spammer, shares).unwrap();
        suite.queue_unbond(&spammer, shares).unwrap();
    }
}

/// What a submission sends and records, whatever the batch holds.
fn shape(response: &AppResponse) -> Vec<(String, usize)> {
    response
        .events
        .iter()
        .map(|event| (event.ty.clone(), event.attributes.len()))
        .collect()
}

/// Requests below the minimum are refused; at the minimum, a thousand of them from a thousand
/// accounts make the pending batch no more expensive to submit: submission reads the batch's
/// total, never its requests, and sends exactly what it sends for a single request.
#[test]
fn spam_of_minimum_size_requests_leaves_every_call_bounded() {
    let min_unbond = 1_000;
    let mut single = SuiteBuilder::new().min_unbond(min_unbond).build();
    let mut spammed = SuiteBuilder::new().min_unbond(min_unbond).build();
    for suite in [&mut single, &mut spammed] {
        suite.bond(ALICE, 50_000_000).unwrap();
        suite.queue_unbond(ALICE, 5_000_000).unwrap();
    }
    spam(&mut single, 1, min_unbond);

    let before = spammed.snapshot();
    let shares_before = spammed.shares(ALICE);
    assert_hub_error(
        spammed.queue_unbond(ALICE, min_unbond - 1),
        ContractError::UnbondTooSmall {
            shares: Uint128::new(min_unbond - 1),
            min_unbond: Uint128::new(min_unbond),
        },
    );
    assert_eq!(spammed.snapshot(), before);
    assert_eq!(spammed.shares(ALICE), shares_before);

    spam(&mut spammed, 1_000, min_unbond);
    assert_eq!(
        spammed.pending_batch().shares.u128(),
        5_000_000 + 1_000 * min_unbond
    );
    let staked = |suite: &Suite| (0..3).filter(|i| suite.chain_delegation(*i) > 0).count();
    assert_eq!(staked(&single), staked(&spammed));

    single.advance_to_submit();
    spammed.advance_to_submit();
    let one = single.submit_batch().unwrap();
    let thousand = spammed.submit_batch().unwrap();
    assert_eq!(shape(&one), shape(&thousand));

    // Each spammer's withdrawal pays its own request only.
    spammed.advance_to(spammed.batch(1).completes_at);
    spammed.reconcile().unwrap();
    let funds = spammed.native_balance("spammer7");
    let paid = spammed.withdraw_unbonded("spammer7").unwrap();
    assert_eq!(paid.events.iter().filter(|e| e.ty == "transfer").count(), 1);
    assert_eq!(spammed.native_balance("spammer7"), funds + min_unbond);
    spammed.assert_invariants();
}

/// Queues one request per batch for `batches` consecutive epochs, each request coming after
/// the end of the epoch and so submitting its batch, then lets them all mature.
fn requests_in_many_batches(suite: &mut Suite, user: &str, batches: u64, shares: u128) {
    for _ in 0..batches {
        suite.advance_to_submit();
        suite.queue_unbond(user, shares).unwrap();
    }
    let last = suite.pending_batch().id - 1;
    suite.advance_to(suite.batch(last).completes_at);
}

/// A user with a thousand requests in a thousand reconciled batches: each withdrawal pays at
/// most the hub's maximum of requests, oldest first, each its pro rata part; a few calls pay
/// everything.
#[test]
fn user_with_a_thousand_requests_withdraws_in_bounded_calls() {
    let mut suite = SuiteBuilder::new()
        .unbonding_days(1)
        .epoch_seconds(SHORT_EPOCH)
        .build();
    suite.bond(ALICE, 5_000_000_000).unwrap();
    requests_in_many_batches(&mut suite, ALICE, 1_000, 1_000);
    assert_eq!(suite.requests(ALICE).len(), 1_000);
    while suite.reconcile().is_ok() {}
    assert!(suite
        .batches()
        .iter()
        .all(|batch| batch.status == BatchStatus::Reconciled));

    let owed: u128 = suite
        .batches()
        .iter()
        .map(|b| claim(b.native_received.u128(), 1_000, b.shares.u128()))
        .sum();
    let funds = suite.native_balance(ALICE);
    let msg = ExecuteMsg::WithdrawUnbonded {
        receiver: None,
        limit: Some(u32::MAX),
    };
    suite.execute_hub(ALICE, &msg, &[]).unwrap();
    let max = MAX_WITHDRAW_LIMIT as usize;
    assert_eq!(suite.requests(ALICE).len(), 1_000 - max);
    assert_eq!(suite.requests(ALICE)[0].batch_id, max as u64 + 1);

    let mut calls = 1;
    while !suite.requests(ALICE).is_empty() {
        suite.withdraw_unbonded(ALICE).unwrap();
        calls += 1;
    }
    assert_eq!(calls, 1 + (1_000 - max).div_ceil(30));
    assert_eq!(suite.native_balance(ALICE), funds + owed);
    let alice = suite.addr(ALICE).into_string();
    assert_hub_error(
        suite.withdraw_unbonded(ALICE),
        ContractError::NothingToWithdraw { user: alice },
    );
    suite.assert_invariants();
}

/// A hundred matured batches nobody reconciled: each reconcile books at most its limit
/// (default 10, at most 30), oldest first; a slash during unbonding is shared over all of them
/// in the same proportion (to the unit of rounding) however many calls it takes.
#[test]
fn a_hundred_unreconciled_batches_are_reconciled_in_bounded_calls() {
    let mut suite = SuiteBuilder::new()
        .unbonding_days(1)
        .epoch_seconds(SHORT_EPOCH)
        .max_unbond_shortfall(Decimal::percent(50))
        .rate_bounds(Decimal::percent(50), Decimal::percent(20))
        .build();
    suite.bond(ALICE, 1_000_000_000).unwrap();
    requests_in_many_batches(&mut suite, ALICE, 99, 1_000_000);
    // The last batch is cut by a slash while it unbonds.
    suite.advance_to_submit();
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    suite.advance_seconds(60);
    suite.slash(0, 30);
    suite.advance_to(suite.batch(100).completes_at);

    let arrived = suite.native_balance_of(&suite.hub);
    let expected: u128 = suite
        .batches()
        .iter()
        .map(|b| b.native_expected.u128())
        .sum();
    assert!(arrived < expected);
    let msg = ExecuteMsg::Reconcile { limit: None };
    suite.execute_hub(KEEPER, &msg, &[]).unwrap();
    assert!(!suite.state().reserved_for_claims.is_zero());
    assert_eq!(reconciled(&suite), 10);
    let msg = ExecuteMsg::Reconcile {
        limit: Some(u32::MAX),
    };
    let mut calls = 1;
    while reconciled(&suite) < 100 {
        let done = reconciled(&suite);
        suite.execute_hub(KEEPER, &msg, &[]).unwrap();
        assert!(reconciled(&suite) - done <= MAX_RECONCILE_LIMIT as usize);
        calls += 1;
    }
    assert_eq!(calls, 1 + 90_usize.div_ceil(MAX_RECONCILE_LIMIT as usize));
    for batch in suite.batches() {
        let share = claim(arrived, batch.native_expected.u128(), expected);
        assert!(
            batch.native_received.u128().abs_diff(share) <= calls as u128,
            "batch {} received {}, its share is {share}",
            batch.id,
            batch.native_received
        );
    }
    assert_hub_error(suite.reconcile(), ContractError::NothingToReconcile {});
    suite.sync().unwrap();
    suite.assert_invariants();
}

fn reconciled(suite: &Suite) -> usize {
    suite
        .batches()
        .iter()
        .filter(|b| b.status == BatchStatus::Reconciled)
        .count()
}

/// Configuration keeps seven epochs longer than the unbonding period
/// (`back_to_back_batches_stay_within_seven_unbonding_entries`), but the hub cannot read the
/// chain's unbonding time: governance can set a shorter one. Then the eighth batch needs an
/// eighth entry and the chain refuses it. The whole submission fails, by a keeper or by the
/// request that triggers it: nothing is burnt, the batch and the request stay, nothing is
/// lost; once an entry matures, the batch goes through.
#[test]
fn a_batch_that_would_need_an_eighth_unbonding_entry_fails_whole_and_goes_through_later() {
    let mut suite = SuiteBuilder::new()
        .validators(1)
        .unbonding_days(21)
        .epoch_days(4)
        .max_unbond_shortfall(Decimal::percent(50))
        .build();
    suite.bond(ALICE, 100_000_000).unwrap();
    suite
        .update_config(
            OWNER,
            ConfigUpdate {
                unbonding_period: Some(7 * DAY),
                epoch_period: Some(SHORT_EPOCH * 4),
                ..ConfigUpdate::default()
            },
        )
        .unwrap();
    for _ in 0..MAX_ENTRIES {
        suite.advance_to_submit();
        suite.queue_unbond(ALICE, 1_000_000).unwrap();
    }
    assert_eq!(suite.chain_unbondings().len(), MAX_ENTRIES);

    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    suite.advance_to_submit();
    let before = suite.snapshot();
    let shares = suite.shares(ALICE);
    let err = suite.submit_batch().unwrap_err();
    assert!(matches!(
        chain_error(&err),
        Some(ChainError::MaxUnbondingEntries { .. })
    ));
    assert_eq!(suite.snapshot(), before);
    // The first request after the epoch would submit the batch: it fails with it.
    let err = suite.queue_unbond(ALICE, 1_000_000).unwrap_err();
    assert!(matches!(
        chain_error(&err),
        Some(ChainError::MaxUnbondingEntries { .. })
    ));
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.shares(ALICE), shares);

    let oldest = suite.chain_unbondings()[0].payout_at.seconds();
    // Paid at the end of the block that reaches it; the next block may use its place.
    suite.advance_to(oldest + BLOCK_SECONDS);
    suite.submit_batch().unwrap();
    assert_eq!(suite.pending_batch().id, before.pending.id + 1);
    suite.assert_invariants();
}

/// A slash that takes everything a batch was unbonding. Reconcile refuses a shortfall beyond
/// `max_unbond_shortfall` and leaves it to the owner, who accepts the loss by raising the bound:
/// up to one, which accepts any loss, so that the requests resolve and later batches move on.
/// (The bound used to stop below one, leaving reconcile stopped after a total loss.)
#[test]
fn a_loss_beyond_the_highest_shortfall_bound_can_still_be_reconciled() {
    let mut suite = SuiteBuilder::new()
        .validators(1)
        .rate_bounds(Decimal::percent(99), Decimal::percent(20))
        .build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 10_000_000).unwrap();
    suite.queue_unbond(ALICE, 10_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    suite.advance_seconds(60);
    suite.slash(0, 100);
    suite.advance_to(suite.batch(1).completes_at);
    assert_eq!(
        suite.native_balance_of(&suite.hub),
        0,
        "the unbonding was lost"
    );

    // Below one, the bound still refuses a total loss.
    suite
        .update_config(
            OWNER,
            ConfigUpdate {
                max_unbond_shortfall: Some(Decimal::percent(99)),
                ..ConfigUpdate::default()
            },
        )
        .unwrap();
    assert!(suite.reconcile().is_err());
    assert_hub_error(
        suite.update_config(
            OWNER,
            ConfigUpdate {
                max_unbond_shortfall: Some(Decimal::percent(101)),
                ..ConfigUpdate::default()
            },
        ),
        ContractError::InvalidFraction {
            field: "max_unbond_shortfall".to_string(),
            value: Decimal::percent(101),
        },
    );
    // A bound of one accepts any loss: governance lets the queue move on.
    let highest = Decimal::one();
    suite
        .update_config(
            OWNER,
            ConfigUpdate {
                max_unbond_shortfall: Some(highest),
                ..ConfigUpdate::default()
            },
        )
        .unwrap();
    let result = suite.reconcile();
    assert!(
        result.is_ok(),
        "reconcile refused with the highest bound the owner can set: {}",
        result.map(|_| ()).unwrap_err().root_cause()
    );
    let batch = suite.batch(1);
    assert_eq!(batch.native_received.u128(), 0);
    assert_eq!(batch.status, flowstake::hub::BatchStatus::Reconciled);
    assert!(suite.state().totals.slashed >= batch.native_expected);
    suite.assert_invariants();
}

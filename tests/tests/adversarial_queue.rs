//! Attacks on the unbond queue: spam of minimum-size requests, a user with a thousand
//! requests, batches left unreconciled up to the open-batch bound, and a batch that would
//! need an 8th unbonding entry. Every call stays bounded, and a refused call changes nothing.

use cosmwasm_std::{coins, Decimal, Uint128};
use cw_multi_test::{AppResponse, BankSudo, SudoMsg};
use flowstake::hub::{BatchStatus, ConfigUpdate, ExecuteMsg};
use flowstake_hub::error::ContractError;
use flowstake_hub::execute::unbond::{MAX_OPEN_BATCHES, MAX_UNBONDING_ENTRIES};
use flowstake_hub::execute::withdraw::{MAX_RECONCILE_LIMIT, MAX_WITHDRAW_LIMIT};
use flowstake_tests::model::claim;
use flowstake_tests::strict::MAX_ENTRIES;
use flowstake_tests::suite::has_wasm_attr;
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
/// the end of the epoch and so submitting its batch, then lets them all mature. A keeper
/// reconciles what has matured before each request: the hub keeps at most
/// `MAX_OPEN_BATCHES` batches open and would otherwise stop submitting.
fn requests_in_many_batches(suite: &mut Suite, user: &str, batches: u64, shares: u128) {
    for _ in 0..batches {
        suite.advance_to_submit();
        match suite.reconcile() {
            Ok(_) => {}
            Err(err) => assert_eq!(
                hub_error(&err),
                Some(&ContractError::NothingToReconcile {}),
                "{err}"
            ),
        }
        let pending = suite.pending_batch().id;
        suite.queue_unbond(user, shares).unwrap();
        assert_eq!(
            suite.pending_batch().id,
            pending + 1,
            "the request submitted its batch"
        );
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

/// Matured batches nobody reconciled: submission stops at `MAX_OPEN_BATCHES` open batches
/// (refused for a keeper, skipped quietly for the request that would submit), so no loop over
/// batches grows without bound. Each reconcile books at most its limit (default 10, at most
/// 30), oldest first; a slash during unbonding is charged newest batch first, the same however
/// many calls it takes; once reconcile frees room, submission resumes.
#[test]
fn open_batches_stop_at_the_bound_and_submission_resumes_after_reconcile() {
    let mut suite = SuiteBuilder::new()
        .unbonding_days(1)
        .epoch_seconds(SHORT_EPOCH)
        .max_unbond_shortfall(Decimal::percent(50))
        .rate_bounds(Decimal::percent(50), Decimal::percent(20))
        .build();
    suite.bond(ALICE, 1_000_000_000).unwrap();
    let bound = MAX_OPEN_BATCHES;
    for id in 1..=bound {
        suite.advance_to_submit();
        suite.queue_unbond(ALICE, 1_000_000).unwrap();
        assert_eq!(suite.pending_batch().id, id + 1);
    }
    // A slash while the newest batches unbond: 10 % of validator 0, which holds almost all of
    // each batch (the one large bond went to it), cuts each of the 4 entries still unbonding
    // (a batch unbonds 86_401 s, under 4 epochs of 24_686 s) by about 10 %.
    suite.advance_seconds(60);
    suite.slash(0, 10);

    // The next request joins the pending batch without submitting it; a keeper's submission
    // is refused and changes nothing.
    suite.advance_to_submit();
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    assert_eq!(suite.pending_batch().id, bound + 1);
    assert_eq!(suite.pending_batch().shares.u128(), 1_000_000);
    let before = suite.snapshot();
    assert_hub_error(
        suite.submit_batch(),
        ContractError::TooManyOpenBatches {
            open: bound,
            max: bound,
        },
    );
    assert_eq!(suite.snapshot(), before);

    // All open batches mature; the first call in the block of the newest completion waits
    // for a later block to prove it paid.
    suite.advance_to(suite.batch(bound).completes_at);
    let waiting = suite.reconcile_once().unwrap();
    assert!(has_wasm_attr(&waiting, "waiting_for"));
    assert_eq!(reconciled(&suite), 0);
    suite.advance_seconds(BLOCK_SECONDS);

    let arrived = suite.native_balance_of(&suite.hub);
    let expected: u128 = suite
        .batches()
        .iter()
        .map(|b| b.native_expected.u128())
        .sum();
    assert!(arrived < expected);
    let shortfall = expected - arrived;
    // All of the shortfall falls on the newest batch, within the per-batch bound of 50 %.
    let newest = suite.batch(bound).native_expected.u128();
    assert!(shortfall * 2 <= newest, "shortfall {shortfall} of {newest}");
    suite.reconcile_once().unwrap();
    assert_eq!(reconciled(&suite), 10);
    assert!(!suite.state().reserved_for_claims.is_zero());

    // Room again: the waiting batch goes through.
    suite.submit_batch().unwrap();
    assert_eq!(suite.pending_batch().id, bound + 2);

    let msg = ExecuteMsg::Reconcile {
        limit: Some(u32::MAX),
    };
    let mut calls = 1;
    while reconciled(&suite) < bound as usize {
        let done = reconciled(&suite);
        suite.execute_hub(KEEPER, &msg, &[]).unwrap();
        assert!(reconciled(&suite) - done <= MAX_RECONCILE_LIMIT as usize);
        calls += 1;
    }
    // 10 by the first call, the remaining 4 (at most 30) by the second.
    assert_eq!(
        calls,
        1 + (bound as usize - 10).div_ceil(MAX_RECONCILE_LIMIT as usize)
    );
    // Newest first: each batch, from the newest, bears what is left of the shortfall up to
    // its whole expectation; everything that arrived is booked.
    let mut left = shortfall;
    let mut received = 0;
    for batch in suite.batches().iter().rev().filter(|b| b.id <= bound) {
        let charge = left.min(batch.native_expected.u128());
        left -= charge;
        assert_eq!(
            batch.native_received.u128(),
            batch.native_expected.u128() - charge,
            "batch {}",
            batch.id
        );
        received += batch.native_received.u128();
    }
    assert_eq!(received, arrived);
    // The batch submitted after reconcile has not matured.
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

/// Seven epochs shorter than the chain's unbonding time (governance shortened the epoch and
/// set an unbonding period shorter than the chain's): the eighth batch would need an eighth
/// entry. The hub counts the batches that may still hold entries from the completion times
/// the chain returned, so it never sends that undelegation: a keeper's submission is refused
/// with `UnbondingEntriesFull` and changes nothing, and the request that would submit it
/// simply joins the batch. Once a crank in an earlier block proves the oldest entry paid, the
/// batch goes through.
#[test]
fn a_batch_that_would_need_an_eighth_unbonding_entry_waits_and_goes_through_later() {
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
    // The completion time is the chain's (21 days), not the configured 7: the entry's time
    // rounded up to the second.
    let first = suite.chain_unbondings()[0].payout_at;
    let chain_completion = first.seconds() + u64::from(first.subsec_nanos() > 0);
    assert_eq!(suite.batch(1).completes_at, chain_completion);

    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    suite.advance_to_submit();
    let before = suite.snapshot();
    let shares = suite.shares(ALICE);
    let full = || ContractError::UnbondingEntriesFull {
        in_flight: MAX_UNBONDING_ENTRIES,
        max: MAX_UNBONDING_ENTRIES,
    };
    assert_hub_error(suite.submit_batch(), full());
    assert_eq!(suite.snapshot(), before);
    // The first request after the epoch would submit the batch: it joins it instead.
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    assert_eq!(suite.pending_batch().id, before.pending.id);
    assert_eq!(
        suite.pending_batch().shares.u128(),
        before.pending.shares.u128() + 1_000_000
    );
    assert_eq!(suite.shares(ALICE), shares - 1_000_000);
    assert_eq!(suite.chain_unbondings().len(), MAX_ENTRIES);

    // At the oldest entry's completion the chain has not yet been seen to pay it: still full.
    suite.advance_to(suite.batch(1).completes_at);
    assert_hub_error(suite.submit_batch(), full());
    // A crank in this block proves it paid from the next block on.
    suite.sync().unwrap();
    suite.advance_seconds(BLOCK_SECONDS);
    suite.submit_batch().unwrap();
    assert_eq!(suite.pending_batch().id, before.pending.id + 1);
    // The oldest entry was paid, the eighth batch's took its place.
    assert_eq!(suite.chain_unbondings().len(), MAX_ENTRIES);
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

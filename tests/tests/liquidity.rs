//! The liquidity buffer and instant exits, the rate's history and its APR/APY, and a holder's
//! position.

use cosmwasm_std::{Decimal, SignedDecimal, Uint128};
use flowstake::hub::{ConfigUpdate, Liquidity, Operation, RATE_POINT_SPACING};
use flowstake_hub::error::ContractError;
use flowstake_tests::suite::wasm_attr;
use flowstake_tests::*;

const TARGET: Decimal = Decimal::percent(10);
const EXIT_FEE: Decimal = Decimal::permille(5);

fn liquid_suite() -> Suite {
    SuiteBuilder::new().liquidity(TARGET, EXIT_FEE).build()
}

fn ledger_total(suite: &Suite) -> u128 {
    suite.validators().iter().map(|v| v.delegated.u128()).sum()
}

#[test]
fn deposits_fill_the_buffer_before_anything_is_delegated() {
    let mut suite = liquid_suite();
    let before = suite.state();
    assert_eq!(before.buffer, Uint128::zero());
    suite.bond(ALICE, 10_000_000).unwrap();
    let state = suite.state();
    // The goal is a tenth of the backing after the deposit; the deposit covers it all.
    let goal = state.total_native.mul_floor(TARGET);
    assert_eq!(state.buffer, goal);
    assert_eq!(state.buffer_goal, goal);
    assert_eq!(
        ledger_total(&suite),
        (state.total_native - state.buffer).u128()
    );
    assert_eq!(suite.native_balance_of(&suite.hub.clone()), goal.u128());
    // A full buffer lets the next deposit go to the validators whole.
    suite.bond(BOB, 5_000_000).unwrap();
    let after = suite.state();
    let goal = after.total_native.mul_floor(TARGET);
    assert_eq!(after.buffer, goal);
    suite.assert_invariants();
}

#[test]
fn an_instant_exit_pays_the_value_less_the_fee_and_the_fee_stays_with_holders() {
    let mut suite = liquid_suite();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 10_000_000).unwrap();
    let before = suite.state();
    let shares = 1_000_000;
    let preview = suite.preview_instant_unbond(shares);
    let native = shares * before.total_native.u128() / before.total_shares.u128();
    let fee = (native * 5).div_ceil(1_000);
    assert_eq!(preview.native.u128(), native);
    assert_eq!(preview.fee.u128(), fee);
    assert_eq!(preview.payout.u128(), native - fee);
    assert!(preview.payable);

    let wallet = suite.native_balance(ALICE);
    suite
        .instant_unbond(ALICE, shares, Some(native - fee))
        .unwrap();
    assert_eq!(suite.native_balance(ALICE), wallet + native - fee);
    assert_eq!(suite.shares(ALICE), 10_000_000 - shares);
    let after = suite.state();
    assert_eq!(
        after.total_shares.u128(),
        before.total_shares.u128() - shares
    );
    assert_eq!(
        after.total_native.u128(),
        before.total_native.u128() - (native - fee)
    );
    assert_eq!(after.buffer.u128(), before.buffer.u128() - (native - fee));
    assert_eq!(after.totals.instant_paid.u128(), native - fee);
    assert_eq!(after.totals.exit_fees.u128(), fee);
    assert!(
        after.exchange_rate > before.exchange_rate,
        "the fee raises the remaining holders' rate: {} -> {}",
        before.exchange_rate,
        after.exchange_rate
    );
    // The rise is the fee's and nothing else: no breaker trips at the next sync.
    suite.advance_seconds(10);
    suite.sync().unwrap();
    assert!(suite.paused().is_empty());
    suite.assert_invariants();
}

#[test]
fn an_exit_the_buffer_cannot_pay_or_below_the_minimum_is_refused_and_moves_nothing() {
    let mut suite = liquid_suite();
    suite.bond(ALICE, 10_000_000).unwrap();
    let buffer = suite.state().buffer.u128();
    // Two million shares are worth two million: more than the buffer's 1.1 million.
    let shares = 2_000_000;
    let preview = suite.preview_instant_unbond(shares);
    assert!(!preview.payable);
    let before = suite.snapshot();
    assert_hub_error(
        suite.instant_unbond(ALICE, shares, None),
        ContractError::BufferTooSmall {
            payout: preview.payout,
            buffer: Uint128::new(buffer),
        },
    );
    assert_eq!(suite.snapshot(), before);

    let preview = suite.preview_instant_unbond(100_000);
    assert_hub_error(
        suite.instant_unbond(ALICE, 100_000, Some(preview.payout.u128() + 1)),
        ContractError::ExitBelowMinimum {
            payout: preview.payout,
            min_native: preview.payout + Uint128::one(),
        },
    );
    assert_eq!(suite.snapshot(), before);

    // One share is worth one unit, all of it fee.
    assert_hub_error(
        suite.instant_unbond(ALICE, 1, None),
        ContractError::ExitPaysZero {
            shares: Uint128::one(),
        },
    );
    assert_eq!(suite.snapshot(), before);

    suite.pause(GUARDIAN, &[Operation::Unbond]).unwrap();
    let paused = suite.snapshot();
    assert_hub_error(
        suite.instant_unbond(ALICE, 100_000, None),
        ContractError::Paused {
            operation: Operation::Unbond,
        },
    );
    assert_eq!(suite.snapshot(), paused);
    suite.assert_invariants();
}

#[test]
fn without_a_buffer_instant_exits_are_refused_and_deposits_are_delegated_whole() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    let state = suite.state();
    assert!(state.buffer.is_zero());
    assert_eq!(ledger_total(&suite), state.total_native.u128());
    assert_hub_error(
        suite.instant_unbond(ALICE, 1_000, None),
        ContractError::BufferTooSmall {
            payout: Uint128::new(1_000),
            buffer: Uint128::zero(),
        },
    );
    suite.assert_invariants();
}

#[test]
fn governance_bounds_the_buffer_target_and_the_exit_fee() {
    let mut suite = liquid_suite();
    let update = |buffer_target, exit_fee| ConfigUpdate {
        liquidity: Some(Liquidity {
            buffer_target,
            exit_fee,
        }),
        ..ConfigUpdate::default()
    };
    assert_hub_error(
        suite.update_config(OWNER, update(Decimal::percent(21), EXIT_FEE)),
        ContractError::BufferTargetTooHigh {
            value: Decimal::percent(21),
            max: Decimal::percent(20),
        },
    );
    assert_hub_error(
        suite.update_config(OWNER, update(TARGET, Decimal::permille(11))),
        ContractError::ExitFeeTooHigh {
            value: Decimal::permille(11),
            max: Decimal::percent(1),
        },
    );
    suite
        .update_config(OWNER, update(Decimal::percent(20), Decimal::percent(1)))
        .unwrap();
    assert_eq!(
        suite.config().liquidity,
        Liquidity {
            buffer_target: Decimal::percent(20),
            exit_fee: Decimal::percent(1),
        }
    );
}

#[test]
fn rewards_refill_a_drained_buffer_and_a_lowered_target_is_staked_at_harvest() {
    let mut suite = liquid_suite();
    suite.bond(ALICE, 100_000_000).unwrap();
    let full = suite.state().buffer.u128();
    let shares = suite.shares(ALICE) / 20;
    suite.instant_unbond(ALICE, shares, None).unwrap();
    let drained = suite.state().buffer.u128();
    assert!(drained < full);
    suite.advance_days(3);
    suite.harvest().unwrap();
    let refilled = suite.state();
    assert!(
        refilled.buffer.u128() > drained,
        "rewards refill the buffer first: {drained} -> {}",
        refilled.buffer
    );
    assert!(refilled.buffer <= refilled.total_native.mul_floor(TARGET));
    suite.assert_invariants();

    let lowered = ConfigUpdate {
        liquidity: Some(Liquidity {
            buffer_target: Decimal::percent(2),
            exit_fee: EXIT_FEE,
        }),
        ..ConfigUpdate::default()
    };
    suite.update_config(OWNER, lowered).unwrap();
    suite.advance_seconds(60);
    suite.harvest().unwrap();
    let state = suite.state();
    assert!(state.buffer <= state.total_native.mul_floor(Decimal::percent(2)));
    suite.assert_invariants();
}

#[test]
fn a_slash_falls_on_the_delegated_stake_and_not_on_the_buffer() {
    let mut suite = liquid_suite();
    suite.bond(ALICE, 50_000_000).unwrap();
    let before = suite.state();
    let delegated_before = ledger_total(&suite);
    suite.slash(0, 10);
    suite.sync().unwrap();
    let after = suite.state();
    let lost = delegated_before - ledger_total(&suite);
    assert!(lost > 0);
    assert_eq!(after.buffer, before.buffer);
    assert_eq!(after.total_native.u128(), before.total_native.u128() - lost);
    suite.assert_invariants();
}

#[test]
fn the_rate_history_keeps_spaced_points_and_gives_the_apr_and_apy() {
    let mut suite = liquid_suite();
    suite.bond(ALICE, 100_000_000).unwrap();
    for _ in 0..6 {
        suite.advance_seconds(RATE_POINT_SPACING / 3);
        suite.sync().unwrap();
    }
    for _ in 0..5 {
        suite.advance_days(1);
        suite.harvest().unwrap();
    }
    let history = suite.rate_history();
    assert!(history.len() >= 6, "{history:?}");
    for pair in history[..history.len() - 1].windows(2) {
        assert!(
            pair[1].time >= pair[0].time + RATE_POINT_SPACING,
            "kept points are spaced: {pair:?}"
        );
        assert!(pair[1].rate >= pair[0].rate);
    }
    let newest = history.last().unwrap();
    let state = suite.state();
    assert_eq!(newest.time, state.last_sync);
    assert_eq!(newest.rate, state.exchange_rate);

    let apr = suite.apr(None);
    assert_eq!(apr.end, *newest);
    assert_eq!(apr.start, history[0]);
    assert!(apr.apr > SignedDecimal::zero());
    assert!(
        suite.apy(None).apy > apr.apr,
        "daily compounding adds to the simple rate"
    );
    // A window shorter than the history starts at the first point inside it.
    let day = suite.apr(Some(DAY));
    assert!(day.start.time >= newest.time - DAY);
}

#[test]
fn a_position_shows_balance_value_requests_exit_and_daily_reward() {
    let mut suite = liquid_suite();
    suite.bond(ALICE, 100_000_000).unwrap();
    suite.advance_days(2);
    suite.harvest().unwrap();
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    let position = suite.position(ALICE);
    let shares = suite.shares(ALICE);
    assert_eq!(position.shares.u128(), shares);
    assert_eq!(position.native_value.u128(), suite.preview_unbond(shares));
    assert_eq!(position.requests, suite.requests(ALICE));
    assert_eq!(position.requests.len(), 1);
    assert!(!position.more_requests);
    assert_eq!(position.instant_exit, suite.preview_instant_unbond(shares));
    let apr = suite.apr(None).apr;
    assert_eq!(position.apr, apr);
    let apr = Decimal::try_from(apr).unwrap();
    assert_eq!(
        position.daily_reward,
        position.native_value.mul_floor(apr) / Uint128::new(365)
    );
    assert!(!position.daily_reward.is_zero(), "{position:?}");
    let nobody = suite.position(DAVE);
    assert!(nobody.shares.is_zero() && nobody.requests.is_empty());
}

/// Alice and Bob hold 10,000,000 each; Alice drains most of the buffer by instant exits and
/// Bob queues 1,000,000 in the pending batch, whose epoch has ended.
fn drained_suite() -> Suite {
    let mut suite = liquid_suite();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 10_000_000).unwrap();
    for _ in 0..3 {
        suite.instant_unbond(ALICE, 500_000, None).unwrap();
    }
    suite.queue_unbond(BOB, 1_000_000).unwrap();
    suite.advance_to_submit();
    suite
}

#[test]
fn a_submission_tops_the_buffer_up_and_reconcile_delivers_it() {
    let mut suite = drained_suite();
    // Rewards vest at the submission's sync: sync first, so only the submission moves things.
    suite.sync().unwrap();
    let before = suite.state();
    let pending = suite.pending_batch();
    let response = suite.submit_batch().unwrap();
    let batch = suite.batch(pending.id);
    let state = suite.state();
    // The buffer is short of its goal for the backing after the batch leaves it, by exactly
    // what rides with the batch.
    let goal = state.total_native.mul_floor(TARGET);
    let topup = goal - before.buffer;
    assert!(!topup.is_zero());
    assert_eq!(batch.buffer_topup, topup);
    assert_eq!(state.buffer_incoming, topup);
    assert_eq!(
        wasm_attr(&response, "buffer_topup"),
        Some(topup.to_string())
    );
    let unbonding: u128 = suite
        .chain_unbondings()
        .iter()
        .map(|e| e.amount.u128())
        .sum();
    assert_eq!(unbonding, (batch.native_expected + topup).u128());
    // The top-up is still the holders': only the batch's native left the backing (rounded
    // down, so the rate can only rise by the rounding).
    assert_eq!(
        state.total_native,
        before.total_native - batch.native_expected
    );
    assert!(state.exchange_rate >= before.exchange_rate);
    suite.assert_invariants();
    // A second submission while it unbonds asks for no more.
    suite.queue_unbond(BOB, 1_000_000).unwrap();
    suite.advance_to_submit();
    let next = suite.pending_batch();
    suite.submit_batch().unwrap();
    let second = suite.batch(next.id);
    let goal = suite.state().total_native.mul_floor(TARGET);
    assert_eq!(
        second.buffer_topup,
        goal.saturating_sub(before.buffer + topup)
    );
    suite.assert_invariants();

    suite.advance_to(batch.completes_at + 10);
    suite.reconcile().unwrap();
    let reconciled = suite.batch(batch.id);
    assert_eq!(reconciled.native_received, reconciled.native_expected);
    let after = suite.state();
    assert_eq!(after.buffer, before.buffer + topup);
    assert_eq!(after.buffer_incoming, second.buffer_topup);
    suite.assert_invariants();
    // Bob is paid what his batch expected, not a unit of the top-up.
    let wallet = suite.native_balance(BOB);
    suite.withdraw_unbonded(BOB).unwrap();
    let paid = suite.native_balance(BOB) - wallet;
    assert_eq!(paid, reconciled.native_expected.u128());
    suite.assert_invariants();
}

#[test]
fn a_deposit_while_a_top_up_is_on_its_way_fills_only_what_the_buffer_still_lacks() {
    let mut suite = drained_suite();
    suite.sync().unwrap();
    suite.submit_batch().unwrap();
    let before = suite.state();
    assert!(!before.buffer_incoming.is_zero());
    let ledger_before = ledger_total(&suite);
    suite.bond(DAVE, 3_000_000).unwrap();
    let state = suite.state();
    // The top-up already covers what the buffer lacked of its goal before the deposit; the
    // deposit adds to the backing, so the buffer takes its target share of the deposit, no
    // more, and the rest is staked at once.
    let goal = state.total_native.mul_floor(TARGET);
    let fill = goal.saturating_sub(before.buffer + before.buffer_incoming);
    assert_eq!(state.buffer, before.buffer + fill);
    assert_eq!(state.buffer + state.buffer_incoming, goal);
    assert_eq!(
        ledger_total(&suite) - ledger_before,
        (Uint128::new(3_000_000) - fill).u128()
    );
    suite.assert_invariants();
}

/// A hub whose buffer keeps a fifth of the backing, for batches that take most of it.
fn fifth_suite() -> Suite {
    SuiteBuilder::new()
        .liquidity(Decimal::percent(20), EXIT_FEE)
        .build()
}

#[test]
fn a_batch_taking_more_than_is_delegated_stakes_the_rest_from_the_buffer_first() {
    let mut suite = fifth_suite();
    suite.bond(ALICE, 10_000_000).unwrap();
    let shares = suite.shares(ALICE);
    suite.queue_unbond(ALICE, shares).unwrap();
    suite.advance_to_submit();
    suite.sync().unwrap();
    let before = suite.state();
    let delegated = ledger_total(&suite);
    let pending = suite.pending_batch();
    let native = pending
        .shares
        .multiply_ratio(before.total_native, before.total_shares);
    assert!(native.u128() > delegated, "{native} within {delegated}");
    let response = suite.submit_batch().unwrap();
    let batch = suite.batch(pending.id);
    let state = suite.state();
    assert_eq!(batch.native_expected, native);
    // What the delegations lacked left the buffer, was staked and undelegated with the rest:
    // the entries hold the whole batch, and nothing is left delegated beyond the backing.
    let lacking = native.u128() - delegated;
    assert_eq!(state.buffer.u128(), before.buffer.u128() - lacking);
    let unbonding: u128 = suite
        .chain_unbondings()
        .iter()
        .map(|e| e.amount.u128())
        .sum();
    assert_eq!(unbonding, (native + batch.buffer_topup).u128());
    assert!(
        response
            .events
            .iter()
            .any(|e| e.ty == "delegate"
                && e.attributes.iter().any(|a| a.value == lacking.to_string()))
    );
    suite.assert_invariants();
    // Alice is paid the whole batch at its maturity.
    suite.advance_to(batch.completes_at + 10);
    suite.reconcile().unwrap();
    let wallet = suite.native_balance(ALICE);
    suite.withdraw_unbonded(ALICE).unwrap();
    assert_eq!(
        suite.native_balance(ALICE) - wallet,
        suite.batch(pending.id).native_received.u128()
    );
    assert_eq!(suite.batch(pending.id).native_received, native);
    suite.assert_invariants();
}

#[test]
fn a_batch_the_delegations_and_the_buffer_cannot_cover_waits_for_the_top_ups() {
    let mut suite = fifth_suite();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 10_000_000).unwrap();
    // Alice drains the buffer, Bob's batch then tops it up through a real unbonding.
    for _ in 0..7 {
        suite.instant_unbond(ALICE, 500_000, None).unwrap();
    }
    suite.queue_unbond(BOB, 1_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let first = suite.batch(suite.pending_batch().id - 1);
    assert!(!first.buffer_topup.is_zero());
    // Everyone leaves while the top-up is still unbonding.
    let (alice, bob) = (suite.shares(ALICE), suite.shares(BOB));
    suite.queue_unbond(ALICE, alice).unwrap();
    suite.queue_unbond(BOB, bob).unwrap();
    suite.advance_to_submit();
    suite.sync().unwrap();
    let state = suite.state();
    let pending = suite.pending_batch();
    let native = pending
        .shares
        .multiply_ratio(state.total_native, state.total_shares);
    let available = Uint128::new(ledger_total(&suite)) + state.buffer;
    assert!(native > available);
    let refused = suite.submit_batch();
    assert_hub_error(
        refused,
        ContractError::BatchAwaitsTopUps { native, available },
    );
    suite.assert_invariants();
    // Once the first batch is reconciled its top-up is in the buffer, and the batch goes.
    suite.advance_to(first.completes_at + 10);
    suite.reconcile().unwrap();
    let response = suite.submit_batch().unwrap();
    assert_eq!(wasm_attr(&response, "submitted"), Some("true".to_string()));
    suite.assert_invariants();
    let batch = suite.batch(pending.id);
    suite.advance_to(batch.completes_at + 10);
    suite.reconcile().unwrap();
    for user in [ALICE, BOB] {
        suite.withdraw_unbonded(user).unwrap();
    }
    assert_eq!(
        suite.batch(pending.id).native_received,
        batch.native_expected
    );
    suite.assert_invariants();
}

#[test]
fn a_slash_of_the_entries_falls_on_the_batch_and_the_top_up_in_proportion() {
    let mut suite = drained_suite();
    let pending = suite.pending_batch();
    let submitted_height = suite.height();
    suite.submit_batch().unwrap();
    let batch = suite.batch(pending.id);
    assert!(!batch.buffer_topup.is_zero());
    let buffer = suite.state().buffer;
    // Every validator is slashed 5 % for an infraction in the block of the submission: the
    // entries made in it are slashed too.
    suite.advance_seconds(60);
    for index in 0..3 {
        suite.slash_at_height(index, 5, submitted_height).unwrap();
    }
    suite.advance_to(batch.completes_at + 10);
    let native_before = suite.state().total_native;
    suite.reconcile().unwrap();
    let reconciled = suite.batch(batch.id);
    let after = suite.state();
    let entries = batch.native_expected + batch.buffer_topup;
    let lost_by_batch = batch.native_expected - reconciled.native_received;
    let topup_arrived = after.buffer - buffer;
    let lost_by_topup = batch.buffer_topup - topup_arrived;
    assert!(
        !lost_by_batch.is_zero() && !lost_by_topup.is_zero(),
        "{batch:?} {reconciled:?} buffer {buffer} -> {}",
        after.buffer
    );
    // Each part lost the same share of what it put in the entries, to a unit.
    let batch_share = lost_by_batch.multiply_ratio(entries, batch.native_expected);
    let topup_share = lost_by_topup.multiply_ratio(entries, batch.buffer_topup);
    assert!(
        batch_share.abs_diff(topup_share) <= Uint128::new(10),
        "{lost_by_batch} of {} against {lost_by_topup} of {}",
        batch.native_expected,
        batch.buffer_topup
    );
    assert!(after.buffer_incoming.is_zero());
    // The top-up's loss is every holder's: the backing fell by it at reconcile.
    assert!(after.total_native <= native_before - lost_by_topup);
    suite.assert_invariants();
}

#[test]
fn without_a_buffer_target_no_submission_tops_up() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    suite.advance_to_submit();
    let pending = suite.pending_batch();
    suite.submit_batch().unwrap();
    let batch = suite.batch(pending.id);
    assert!(batch.buffer_topup.is_zero());
    assert!(suite.state().buffer_incoming.is_zero());
    let unbonding: u128 = suite
        .chain_unbondings()
        .iter()
        .map(|e| e.amount.u128())
        .sum();
    assert_eq!(unbonding, batch.native_expected.u128());
}

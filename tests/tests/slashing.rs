//! Slashing: of bonded stake (found by a sync, lowering the rate) and of stake in unbonding
//! (found at reconcile, shared pro rata by the batch).

use cosmwasm_std::{Decimal, Uint128};
use flowstake::hub::{BatchStatus, Operation};
use flowstake_hub::error::ContractError;
use flowstake_tests::model::{claim, RateModel};
use flowstake_tests::*;

/// What the chain takes from `amount` in a slash of `percent`: x/staking burns
/// `slashFactor.MulInt(amount).TruncateInt()`, so the loss rounds down and the stake keeps the
/// fraction.
fn slash_of(amount: u128, percent: u128) -> u128 {
    amount * percent / 100
}

/// What the chain leaves of `amount` after a slash of `percent`.
fn after_slash(amount: u128, percent: u128) -> u128 {
    amount - slash_of(amount, percent)
}

/// The validator of the initial set with the most of the hub's bonded stake.
fn most_staked(suite: &Suite) -> usize {
    (0..3)
        .max_by_key(|index| suite.chain_delegation(*index))
        .unwrap()
}

/// The validator with the largest unbonding entry of the hub.
fn most_unbonding(suite: &Suite) -> usize {
    (0..3)
        .max_by_key(|index| suite.chain_unbonding(*index))
        .unwrap()
}

fn bonded_suite() -> Suite {
    let mut suite = SuiteBuilder::new().validators(3).build();
    for (user, native) in [(ALICE, 10_000_000), (BOB, 20_000_000), (CAROL, 30_000_000)] {
        suite.bond(user, native).unwrap();
    }
    suite.assert_invariants();
    suite
}

#[test]
fn slash_on_bonded_stake_lowers_the_rate_after_sync() {
    let mut suite = bonded_suite();
    let index = most_staked(&suite);
    let delegated = suite.chain_delegation(index);
    let before = suite.state();
    let total_native = before.total_native.u128();
    let total_shares = before.total_shares.u128();

    suite.advance_days(1);
    suite.slash(index, 10);
    let lost = delegated - after_slash(delegated, 10);
    assert!(lost > 0);
    assert_eq!(suite.chain_delegation(index), delegated - lost);
    // The hub has not looked at the chain yet.
    assert_eq!(suite.state().total_native, before.total_native);

    suite.sync().unwrap();
    suite.assert_invariants();
    let state = suite.state();
    let slashed = RateModel {
        total_native: total_native - lost,
        total_shares,
    };
    assert_eq!(state.total_native.u128(), slashed.total_native);
    assert_eq!(state.total_shares.u128(), total_shares);
    assert_eq!(state.totals.slashed.u128(), lost);
    assert_eq!(
        state.exchange_rate,
        Decimal::from_ratio(slashed.total_native, total_shares)
    );
    assert!(state.exchange_rate < Decimal::one());
    assert_eq!(suite.ledger_delegation(index), Some(delegated - lost));
    let rate = suite.redemption_rate();
    assert_eq!(rate.redemption_rate, state.exchange_rate);
    assert_eq!(rate.update_time, suite.now());
    // A fall of about five per cent is within the bounds: nothing paused itself.
    assert!(suite.paused().is_empty());

    // Every holder lost the same fraction, and a new bond mints at the lower rate.
    assert_eq!(
        suite.preview_unbond(10_000_000),
        slashed.preview_unbond(10_000_000)
    );
    let shares = slashed.preview_bond(9_000_000);
    assert!(shares > 9_000_000);
    suite.bond(DAVE, 9_000_000).unwrap();
    assert_eq!(suite.shares(DAVE), shares);
    suite.assert_invariants();
}

#[test]
fn slash_beyond_the_rate_bound_pauses_bond_and_unbond() {
    let mut suite = SuiteBuilder::new()
        .rate_bounds(Decimal::percent(20), Decimal::percent(20))
        .build();
    for (user, native) in [(ALICE, 10_000_000), (BOB, 20_000_000), (CAROL, 30_000_000)] {
        suite.bond(user, native).unwrap();
    }
    let index = most_staked(&suite);
    // Half of the most staked validator is about a quarter of the backing.
    suite.slash(index, 50);
    suite.sync().unwrap();
    suite.assert_invariants();

    assert_eq!(suite.paused(), vec![Operation::Bond, Operation::Unbond]);
    assert_hub_error(
        suite.bond(DAVE, 1_000_000),
        ContractError::Paused {
            operation: Operation::Bond,
        },
    );
    assert_hub_error(
        suite.queue_unbond(ALICE, 1_000_000),
        ContractError::Paused {
            operation: Operation::Unbond,
        },
    );

    suite
        .unpause(OWNER, &[Operation::Bond, Operation::Unbond])
        .unwrap();
    suite.bond(DAVE, 1_000_000).unwrap();
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    suite.assert_invariants();
}

#[test]
fn slash_during_unbonding_is_shared_pro_rata_by_the_batch() {
    let mut suite = SuiteBuilder::new()
        .validators(3)
        .max_unbond_shortfall(Decimal::percent(10))
        .build();
    let funds = suite.native_balance(ALICE);
    suite.bond(ALICE, 30_000_000).unwrap();
    suite.bond(BOB, 60_000_000).unwrap();
    suite.bond(CAROL, 10_000_000).unwrap();
    // Bob asks for twice what Alice asks for.
    suite.queue_unbond(ALICE, 12_000_000).unwrap();
    suite.queue_unbond(BOB, 24_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    suite.assert_invariants();
    let batch = suite.batch(1);
    let expected = batch.native_expected.u128();
    assert_eq!(
        expected, 36_000_000,
        "no reward was harvested: the rate is one"
    );
    assert_eq!(suite.chain_unbonding_total(), expected);

    let index = most_unbonding(&suite);
    let unbonding = suite.chain_unbonding(index);
    let bonded = suite.chain_delegation(index);
    suite.advance_days(1);
    // The infraction predates the submission: x/staking takes 10 % of the validator's tokens
    // at that height, bonded and since unbonded, cuts the unbonding entry by 10 % of its
    // initial balance and burns the rest of the 10 % from the bonded tokens.
    suite.slash(index, 10);
    let unbonding_lost = slash_of(unbonding, 10);
    let bonded_lost = slash_of(bonded + unbonding, 10) - unbonding_lost;
    assert_eq!(suite.chain_unbonding(index), unbonding - unbonding_lost);
    assert_eq!(suite.chain_delegation(index), bonded - bonded_lost);

    // The chain pays the entries at the end of the block that reaches their completion: the
    // funds are there from the next block on.
    suite.advance_to(batch.completes_at);
    suite.advance_seconds(BLOCK_SECONDS);
    let arrived = expected - unbonding_lost;
    assert_eq!(suite.native_balance_of(&suite.hub), arrived);
    suite.reconcile().unwrap();
    let batch = suite.batch(1);
    assert_eq!(batch.status, BatchStatus::Reconciled);
    assert_eq!(batch.native_received.u128(), arrived);
    assert_eq!(suite.state().reserved_for_claims.u128(), arrived);

    suite.withdraw_unbonded(ALICE).unwrap();
    suite.withdraw_unbonded(BOB).unwrap();
    let alice_paid = suite.native_balance(ALICE) - (funds - 30_000_000);
    let bob_paid = suite.native_balance(BOB) - (funds - 60_000_000);
    assert_eq!(alice_paid, claim(arrived, 12_000_000, 36_000_000));
    assert_eq!(bob_paid, claim(arrived, 24_000_000, 36_000_000));
    assert!(alice_paid < 12_000_000);
    // The same fraction lost by both, to the unit of rounding.
    let alice_lost = 12_000_000 - alice_paid;
    let bob_lost = 24_000_000 - bob_paid;
    assert!(
        bob_lost.abs_diff(2 * alice_lost) <= 1,
        "Alice lost {alice_lost} of 12M, Bob {bob_lost} of 24M"
    );

    // The bonded part of the slash is booked by the next sync; then every book balances.
    suite.sync().unwrap();
    let state = suite.state();
    assert_eq!(state.totals.slashed.u128(), unbonding_lost + bonded_lost);
    assert_eq!(state.totals.paid_out.u128(), alice_paid + bob_paid);
    suite.assert_invariants();
}

#[test]
fn reconcile_refuses_a_shortfall_beyond_the_bound() {
    let mut suite = SuiteBuilder::new()
        .max_unbond_shortfall(Decimal::percent(10))
        .rate_bounds(Decimal::percent(60), Decimal::percent(20))
        .build();
    suite.bond(ALICE, 30_000_000).unwrap();
    suite.bond(BOB, 60_000_000).unwrap();
    suite.queue_unbond(ALICE, 12_000_000).unwrap();
    suite.queue_unbond(BOB, 24_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let batch = suite.batch(1);

    suite.advance_days(1);
    for index in 0..3 {
        suite.slash(index, 50);
    }
    let arrived = suite.chain_unbonding_total();
    assert!(arrived < 18_100_000);
    // Paid at the end of the block that reaches the completion, seen from the next block.
    suite.advance_to(batch.completes_at);
    suite.advance_seconds(BLOCK_SECONDS);
    assert_eq!(suite.native_balance_of(&suite.hub), arrived);
    // No crank ran at or after the completion yet: the first call only records the block.
    let waiting = suite.reconcile_once().unwrap();
    assert!(flowstake_tests::suite::has_wasm_attr(
        &waiting,
        "waiting_for"
    ));
    suite.advance_seconds(BLOCK_SECONDS);
    let before = suite.snapshot();

    // The only batch settled would receive all that arrived.
    assert_hub_error(
        suite.reconcile_once(),
        ContractError::ShortfallTooLarge {
            expected: batch.native_expected,
            arrived: Uint128::new(arrived),
        },
    );
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.batch(1).status, BatchStatus::Unbonding);
    let alice = suite.addr(ALICE).into_string();
    assert_hub_error(
        suite.withdraw_unbonded(ALICE),
        ContractError::NothingToWithdraw { user: alice },
    );
}

/// The design syncs the ledger "at harvest, at batch submission and at reconcile": a slash of
/// bonded stake is booked by whichever comes first.
#[test]
fn reconcile_books_a_slash_of_bonded_stake() {
    let mut suite = bonded_suite();
    suite.queue_unbond(ALICE, 5_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    // The chain pays the unbonding at the end of the block that reaches its completion.
    suite.advance_to(suite.batch(1).completes_at);
    suite.advance_seconds(BLOCK_SECONDS);
    // The unbonding has been paid out; this slash reaches bonded stake only.
    let index = most_staked(&suite);
    let delegated = suite.chain_delegation(index);
    suite.slash(index, 10);
    let lost = delegated - after_slash(delegated, 10);
    let total_native = suite.state().total_native.u128();

    suite.reconcile().unwrap();

    let state = suite.state();
    assert_eq!(state.totals.slashed.u128(), lost);
    assert_eq!(state.total_native.u128(), total_native - lost);
    suite.assert_invariants();
}

#[test]
fn harvest_and_submit_book_a_slash_of_bonded_stake() {
    let mut suite = bonded_suite();
    suite.advance_days(2);
    let index = most_staked(&suite);
    let delegated = suite.chain_delegation(index);
    suite.slash(index, 10);
    let lost = delegated - after_slash(delegated, 10);
    suite.harvest().unwrap();
    assert_eq!(suite.state().totals.slashed.u128(), lost);
    suite.assert_invariants();

    let delegated = suite.chain_delegation(index);
    suite.slash(index, 10);
    let lost_again = delegated - after_slash(delegated, 10);
    suite.queue_unbond(BOB, 2_000_000).unwrap();
    suite.advance_to_submit();
    let state = suite.state();
    let native = RateModel {
        total_native: state.total_native.u128() - lost_again,
        total_shares: state.total_shares.u128(),
    }
    .preview_unbond(2_000_000);
    suite.submit_batch().unwrap();
    assert_eq!(suite.state().totals.slashed.u128(), lost + lost_again);
    assert_eq!(
        suite.batch(1).native_expected.u128(),
        native,
        "the batch was converted at the rate after the slash"
    );
    suite.assert_invariants();
}

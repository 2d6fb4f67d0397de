//! Checks of the harness itself: its chain-side views agree with the chain, and its invariant
//! checks do fail when the books and the chain disagree.

use cosmwasm_std::Decimal;
use flowstake_tests::strict::ChainError;
use flowstake_tests::*;

#[test]
fn reward_meter_agrees_with_the_chain() {
    let mut suite = SuiteBuilder::new().apr(Decimal::percent(10)).build();
    suite.bond(ALICE, 7_777_777).unwrap();
    suite.bond(BOB, 3_141_592).unwrap();
    for days in [1, 3, 7] {
        suite.advance_days(days);
        assert_eq!(suite.expected_rewards(), suite.chain_pending_rewards());
        suite.bond(CAROL, 1_234_567).unwrap();
    }
    suite.harvest().unwrap();
    assert_eq!(suite.expected_rewards(), 0);
    assert_eq!(suite.chain_pending_rewards(), 0);
}

#[test]
fn unbonding_entries_are_read_from_the_chain() {
    let mut suite = SuiteBuilder::new().unbonding_days(21).build();
    suite.bond(ALICE, 6_000_000).unwrap();
    suite.bond(BOB, 6_000_000).unwrap();
    suite.queue_unbond(ALICE, 4_500_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();

    let entries = suite.chain_unbondings();
    assert!(!entries.is_empty());
    let total: u128 = entries.iter().map(|entry| entry.amount.u128()).sum();
    assert_eq!(total, 4_500_000);
    let completes_at = suite.batch(1).completes_at;
    assert!(entries.iter().all(|entry| entry.payout_at.seconds()
        + u64::from(entry.payout_at.subsec_nanos() > 0)
        == completes_at));
    let per_validator: u128 = (0..3).map(|index| suite.chain_unbonding(index)).sum();
    assert_eq!(per_validator, total);

    // The chain pays at the end of the block that reaches the payout time, seen from the
    // next block on.
    suite.advance_to(completes_at);
    assert_eq!(suite.chain_unbonding_total(), 4_500_000);
    suite.advance_seconds(BLOCK_SECONDS);
    assert!(suite.chain_unbondings().is_empty());
    assert_eq!(suite.native_balance_of(&suite.hub), 4_500_000);
}

#[test]
#[should_panic(expected = "but the chain holds")]
fn invariants_fail_while_a_slash_is_unseen() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.assert_invariants();
    for index in 0..3 {
        suite.slash(index, 10);
    }
    suite.assert_invariants();
}

#[test]
fn invariants_hold_again_once_the_slash_is_synced() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    for index in 0..3 {
        suite.slash(index, 10);
    }
    suite.sync().unwrap();
    suite.assert_invariants();
}

/// `advance_seconds` makes at least two blocks, so that what matured a block before the new
/// time is paid; the reward meter still books every second.
#[test]
fn advancing_time_runs_the_end_of_block_of_an_earlier_block() {
    let mut suite = SuiteBuilder::new().unbonding_days(21).build();
    suite.bond(ALICE, 6_000_000).unwrap();
    suite.queue_unbond(ALICE, 3_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let payout = suite.chain_unbondings()[0].payout_at.seconds();
    let height = suite.height();
    suite.advance_to(payout + BLOCK_SECONDS);
    assert!(suite.chain_unbondings().is_empty());
    assert!(suite.height() >= height + 2);
    assert_eq!(suite.now(), payout + BLOCK_SECONDS);

    suite.advance_days(3);
    assert_eq!(suite.expected_rewards(), suite.chain_pending_rewards());
}

/// Chain governance shortens the unbonding time: the next batch's chain entries complete after
/// the new time; the hub's own `unbonding_period` is unchanged.
#[test]
fn chain_governance_changes_the_unbonding_time_of_later_undelegations() {
    let mut suite = SuiteBuilder::new().unbonding_days(21).build();
    suite.bond(ALICE, 6_000_000).unwrap();
    suite.set_unbonding_time(14 * DAY).unwrap();
    suite.queue_unbond(ALICE, 3_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let now = suite.now();
    let entries = suite.chain_unbondings();
    assert!(!entries.is_empty());
    assert!(entries
        .iter()
        .all(|entry| entry.payout_at.seconds() == now + 14 * DAY));
}

/// A tombstoned validator is jailed and can never be unjailed.
#[test]
fn a_tombstoned_validator_cannot_be_unjailed() {
    let mut suite = SuiteBuilder::new().validators(2).build();
    suite.bond(ALICE, 6_000_000).unwrap();
    suite.tombstone(0).unwrap();
    let state = suite.app.validator_state(&suite.validator(0)).unwrap();
    assert!(state.jailed);
    let err = suite.unjail(0).unwrap_err();
    assert!(matches!(
        err.downcast_ref::<ChainError>(),
        Some(ChainError::Tombstoned { .. })
    ));
}

/// Donations to the hub and to the collector are plain bank transfers.
#[test]
fn donations_reach_the_hub_and_the_collector() {
    let mut suite = SuiteBuilder::new().build();
    let hub = suite.native_balance_of(&suite.hub);
    let collector = suite.native_balance_of(&suite.collector);
    suite.donate(BOB, 1_000).unwrap();
    suite.donate_to_collector(BOB, 2_000).unwrap();
    assert_eq!(suite.native_balance_of(&suite.hub), hub + 1_000);
    assert_eq!(suite.native_balance_of(&suite.collector), collector + 2_000);
    assert_eq!(suite.config().collector, suite.collector);
}

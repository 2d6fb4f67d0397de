//! Checks of the harness itself: its chain-side views agree with the chain, and its invariant
//! checks do fail when the books and the chain disagree.

use cosmwasm_std::Decimal;
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
    assert!(entries
        .iter()
        .all(|entry| entry.payout_at.seconds() + u64::from(entry.payout_at.subsec_nanos() > 0)
            == completes_at));
    let per_validator: u128 = (0..3).map(|index| suite.chain_unbonding(index)).sum();
    assert_eq!(per_validator, total);

    suite.advance_to(completes_at);
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

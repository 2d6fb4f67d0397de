//! The unbond queue before submission: requests, cancellation, minimums, and the cranks that
//! have nothing to do yet.

use flowstake::hub::BatchStatus;
use flowstake_hub::error::ContractError;
/// A block after completion: the hub books a batch once a later block proves it paid.
const PAYOUT_MARGIN: u64 = 5;
use flowstake_tests::*;

#[test]
fn cancel_before_submit_returns_the_shares() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.bond(BOB, 5_000_000).unwrap();
    suite.queue_unbond(ALICE, 3_000_000).unwrap();
    suite.queue_unbond(BOB, 1_000_000).unwrap();
    suite.assert_invariants();
    assert_eq!(suite.shares(ALICE), 2_000_000);
    let supply = suite.token_supply();

    suite.cancel_unbond(ALICE).unwrap();
    suite.assert_invariants();

    assert_eq!(suite.shares(ALICE), 5_000_000);
    assert!(suite.requests(ALICE).is_empty());
    assert_eq!(suite.pending_batch().shares.u128(), 1_000_000);
    assert_eq!(suite.requests(BOB)[0].shares.u128(), 1_000_000);
    assert_eq!(suite.token_supply(), supply, "cancelling burns nothing");

    // The batch goes ahead with Bob's request alone.
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    assert_eq!(suite.batch(1).shares.u128(), 1_000_000);
    suite.assert_invariants();
}

#[test]
fn cancelled_batch_left_empty_cannot_be_submitted() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.queue_unbond(ALICE, 3_000_000).unwrap();
    suite.cancel_unbond(ALICE).unwrap();
    suite.advance_to_submit();
    assert_hub_error(suite.submit_batch(), ContractError::EmptyBatch { id: 1 });
    assert_eq!(suite.shares(ALICE), 5_000_000);
    suite.assert_invariants();
}

#[test]
fn cancel_without_a_pending_request_is_refused() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    let alice = suite.addr(ALICE).into_string();
    assert_hub_error(
        suite.cancel_unbond(ALICE),
        ContractError::NoPendingRequest {
            user: alice,
            batch_id: 1,
        },
    );
}

#[test]
fn cancel_after_submission_is_refused() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.queue_unbond(ALICE, 3_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let before = suite.snapshot();

    let alice = suite.addr(ALICE).into_string();
    assert_hub_error(
        suite.cancel_unbond(ALICE),
        ContractError::NoPendingRequest {
            user: alice,
            batch_id: 2,
        },
    );
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.requests(ALICE)[0].status, BatchStatus::Unbonding);
    assert_eq!(suite.shares(ALICE), 2_000_000);
}

#[test]
fn unbond_below_the_minimum_is_refused() {
    let mut suite = SuiteBuilder::new().min_unbond(1_000).build();
    suite.bond(ALICE, 5_000_000).unwrap();
    let before = suite.snapshot();
    assert_hub_error(
        suite.queue_unbond(ALICE, 999),
        ContractError::UnbondTooSmall {
            shares: 999u128.into(),
            min_unbond: 1_000u128.into(),
        },
    );
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.shares(ALICE), 5_000_000, "the shares were not moved");
    suite.queue_unbond(ALICE, 1_000).unwrap();
}

#[test]
fn reconcile_with_no_matured_batch_is_refused() {
    let mut suite = SuiteBuilder::new().unbonding_days(21).build();
    assert_hub_error(suite.reconcile(), ContractError::NothingToReconcile {});

    suite.bond(ALICE, 5_000_000).unwrap();
    suite.queue_unbond(ALICE, 3_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    suite.advance_days(21);
    // The chain pays at the end of the block that reaches the completion time.
    suite.advance_seconds(BLOCK_SECONDS);
    // The chain has paid, but the payout margin has not passed yet.
    assert_eq!(suite.native_balance_of(&suite.hub), 3_000_000);
    assert_hub_error(suite.reconcile(), ContractError::NothingToReconcile {});
    suite.advance_seconds(PAYOUT_MARGIN);
    suite.reconcile().unwrap();
    suite.assert_invariants();
}

#[test]
fn withdraw_before_reconcile_is_refused() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.queue_unbond(ALICE, 3_000_000).unwrap();
    let alice = suite.addr(ALICE).into_string();
    let nothing = || ContractError::NothingToWithdraw {
        user: alice.clone(),
    };

    assert_hub_error(suite.withdraw_unbonded(ALICE), nothing());
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    assert_hub_error(suite.withdraw_unbonded(ALICE), nothing());
    // Matured and paid out by the chain, but not reconciled yet.
    suite.advance_to(suite.batch(1).completes_at);
    assert_eq!(suite.native_balance_of(&suite.hub), 3_000_000);
    assert_hub_error(suite.withdraw_unbonded(ALICE), nothing());

    suite.reconcile().unwrap();
    let before = suite.native_balance(ALICE);
    suite.withdraw_unbonded(ALICE).unwrap();
    assert_eq!(suite.native_balance(ALICE), before + 3_000_000);
    assert_hub_error(suite.withdraw_unbonded(ALICE), nothing());
    suite.assert_invariants();
}

#[test]
fn requests_report_status_amount_and_expected_time() {
    let mut suite = SuiteBuilder::new().epoch_days(4).unbonding_days(21).build();
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.queue_unbond(ALICE, 2_000_000).unwrap();
    let pending = suite.pending_batch();

    let request = &suite.requests(ALICE)[0];
    assert_eq!(request.status, BatchStatus::Pending);
    assert_eq!(request.native.u128(), 2_000_000);
    assert_eq!(
        request.expected_at,
        pending.submit_after + 21 * DAY
    );

    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let request = &suite.requests(ALICE)[0];
    assert_eq!(request.status, BatchStatus::Unbonding);
    assert_eq!(request.expected_at, suite.batch(1).completes_at);
    assert_eq!(request.expected_at, suite.now() + 21 * DAY);

    suite.advance_to(request.expected_at);
    suite.reconcile().unwrap();
    let request = &suite.requests(ALICE)[0];
    assert_eq!(request.status, BatchStatus::Reconciled);
    assert_eq!(request.native.u128(), 2_000_000);
}

//! The unbond queue before submission: requests, cancellation, minimums, and the cranks that
//! have nothing to do yet.

use flowstake::hub::BatchStatus;
use flowstake_hub::error::ContractError;
use flowstake_tests::*;

/// The completion time the chain gives an undelegation made in the current block, `unbonding`
/// seconds on, rounded up to the whole second as the hub rounds the chain's answer (the test
/// chain's block times carry nanoseconds).
fn completion_of_undelegation_now(suite: &Suite, unbonding: u64) -> u64 {
    let time = suite.app.block_info().time.plus_seconds(unbonding);
    time.seconds() + u64::from(time.subsec_nanos() > 0)
}

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
    let completes_at = suite.batch(1).completes_at;
    suite.advance_days(21);
    // This block reaches the chain's completion time to the nanosecond, but the batch's
    // completion (rounded up to the whole second) is still ahead: nothing has matured yet.
    assert!(suite.now() < completes_at);
    assert_hub_error(suite.reconcile(), ContractError::NothingToReconcile {});
    // By the batch's completion the chain has paid it (at the end of the block that reached its
    // completion time), but no crank ran in a block that proves it: one call books nothing and
    // waits for the batch; a call a block later books it.
    suite.advance_to(completes_at);
    assert_eq!(suite.native_balance_of(&suite.hub), 3_000_000);
    let response = suite.reconcile_once().unwrap();
    assert_eq!(
        flowstake_tests::suite::wasm_attr(&response, "waiting_for").as_deref(),
        Some("1")
    );
    assert_eq!(suite.batch(1).status, BatchStatus::Unbonding);
    suite.advance_seconds(BLOCK_SECONDS);
    suite.reconcile_once().unwrap();
    assert_eq!(suite.batch(1).status, BatchStatus::Reconciled);
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
    // Matured and paid out by the chain (at the end of the first block that reached the
    // completion time, so seen from the block after), but not reconciled yet.
    suite.advance_to(suite.batch(1).completes_at);
    suite.advance_seconds(BLOCK_SECONDS);
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
    assert_eq!(request.expected_at, pending.submit_after + 21 * DAY);

    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let request = &suite.requests(ALICE)[0];
    assert_eq!(request.status, BatchStatus::Unbonding);
    assert_eq!(request.expected_at, suite.batch(1).completes_at);
    // The chain's completion time of the undelegation, rounded up to the second.
    assert_eq!(
        request.expected_at,
        completion_of_undelegation_now(&suite, 21 * DAY)
    );

    suite.advance_to(request.expected_at);
    suite.reconcile().unwrap();
    let request = &suite.requests(ALICE)[0];
    assert_eq!(request.status, BatchStatus::Reconciled);
    assert_eq!(request.native.u128(), 2_000_000);
}

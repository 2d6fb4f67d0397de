use cosmwasm_std::coins;
use flowstake::hub::{BatchResponse, BatchStatus, QueryMsg};

use super::*;

fn reconcile(hub: &mut Hub, limit: Option<u32>) -> Result<Response, ContractError> {
    hub.reconcile(limit)
}

fn withdraw(hub: &mut Hub, user: &str, limit: Option<u32>) -> Result<Response, ContractError> {
    let msg = ExecuteMsg::WithdrawUnbonded {
        receiver: None,
        limit,
    };
    hub.execute_as(user, msg)
}

fn batch(hub: &Hub, id: u64) -> BatchResponse {
    hub.query(QueryMsg::Batch { id })
}

/// Queues `requests`, lets the epoch pass and submits them as one batch.
fn submit_batch(hub: &mut Hub, requests: &[(&str, u128)]) {
    for (user, shares) in requests {
        hub.queue_unbond(user, *shares).unwrap();
    }
    hub.advance(EPOCH);
    hub.execute_as("keeper", ExecuteMsg::SubmitBatch {})
        .unwrap();
}

/// 6_000 native staked at rate one; alice holds 3_000 shares and bob 2_000.
fn funded() -> Hub {
    let mut hub = setup();
    hub.bond("alice", 3_000);
    hub.bond("bob", 2_000);
    hub
}

/// Batch 1 (alice 3_000) and batch 2 (bob 1_000), both matured and paid out by the chain.
fn two_matured_batches() -> Hub {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 3_000)]);
    submit_batch(&mut hub, &[("bob", 1_000)]);
    hub.advance(MATURITY);
    hub
}

#[test]
fn reconcile_before_maturity_is_refused() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 1_000)]);
    hub.advance(MATURITY - 1);
    let before = hub.snapshot();

    assert_eq!(
        reconcile(&mut hub, None).unwrap_err(),
        ContractError::NothingToReconcile {}
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn reconcile_after_full_arrival_books_what_was_expected() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 1_000), ("bob", 500)]);
    hub.advance(MATURITY);
    assert_eq!(hub.balance, u(1_500));

    let response = reconcile(&mut hub, None).unwrap();

    assert_eq!(attr(&response, "shortfall"), "0");
    let reconciled = batch(&hub, 1);
    assert_eq!(reconciled.status, BatchStatus::Reconciled);
    assert_eq!(reconciled.native_received, u(1_500));
    let state = hub.state();
    assert_eq!(state.reserved_for_claims, u(1_500));
    assert_eq!(state.totals.unbonding, Uint128::zero());
    assert_eq!(state.totals.slashed, Uint128::zero());
    assert_eq!(
        reconcile(&mut hub, None).unwrap_err(),
        ContractError::NothingToReconcile {}
    );
}

#[test]
fn reconcile_charges_a_shortfall_to_the_newest_batch_first() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 3_000)]);
    submit_batch(&mut hub, &[("bob", 1_000)]);
    hub.slash_unbonding(41); // 4.1 % of batch 2, the bound is 5 %
    hub.advance(MATURITY);

    let response = reconcile(&mut hub, None).unwrap();

    assert_eq!(attr(&response, "native_arrived"), "3959");
    assert_eq!(attr(&response, "shortfall"), "41");
    // x/staking slashes the entries created at or after an infraction: the newest batch
    // carries the loss, the older one is paid in full; all that arrived is booked.
    assert_eq!(batch(&hub, 1).native_received, u(3_000));
    assert_eq!(batch(&hub, 2).native_received, u(959));
    let state = hub.state();
    assert_eq!(state.totals.slashed, u(41));
    assert_eq!(state.reserved_for_claims, u(3_959));
    assert_eq!(state.unlocked_surplus, Uint128::zero());
}

#[test]
fn reconcile_refuses_a_shortfall_beyond_the_bound_and_changes_nothing() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 3_000)]);
    hub.slash_unbonding(300); // 10 %
    hub.advance(MATURITY);
    // The first call only records the block; the next one, a block later, judges the loss.
    let first = hub
        .execute_as("keeper", ExecuteMsg::Reconcile { limit: None })
        .unwrap();
    assert_eq!(attr(&first, "waiting_for"), "1");
    hub.advance(5);
    let before = hub.snapshot();

    let err = hub
        .execute_as("keeper", ExecuteMsg::Reconcile { limit: None })
        .unwrap_err();

    assert_eq!(
        err,
        ContractError::ShortfallTooLarge {
            expected: u(3_000),
            arrived: u(2_700)
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn reconcile_in_steps_books_a_shortfall_as_one_call_does() {
    // The limit is the caller's choice; it must not decide who bears a slash.
    let mut whole = funded();
    submit_batch(&mut whole, &[("alice", 3_000)]);
    submit_batch(&mut whole, &[("bob", 1_000)]);
    whole.slash_unbonding(40);
    whole.advance(MATURITY);
    reconcile(&mut whole, None).unwrap();

    let mut stepped = funded();
    submit_batch(&mut stepped, &[("alice", 3_000)]);
    submit_batch(&mut stepped, &[("bob", 1_000)]);
    stepped.slash_unbonding(40);
    stepped.advance(MATURITY);
    reconcile(&mut stepped, Some(1)).unwrap();
    reconcile(&mut stepped, Some(1)).unwrap();

    for id in [1, 2] {
        assert_eq!(
            batch(&stepped, id).native_received,
            batch(&whole, id).native_received,
            "batch {id}"
        );
    }
}

#[test]
fn reconcile_respects_its_limit() {
    let mut hub = two_matured_batches();

    reconcile(&mut hub, Some(1)).unwrap();
    assert_eq!(batch(&hub, 1).status, BatchStatus::Reconciled);
    assert_eq!(batch(&hub, 2).status, BatchStatus::Unbonding);

    reconcile(&mut hub, Some(1)).unwrap();
    assert_eq!(batch(&hub, 2).native_received, u(1_000));
    assert_eq!(hub.state().reserved_for_claims, u(4_000));
}

#[test]
fn reconcile_books_a_stray_transfer_as_surplus_restaked_at_harvest() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 1_000)]);
    hub.donate(50);
    hub.advance(MATURITY);

    let response = reconcile(&mut hub, None).unwrap();
    assert_eq!(attr(&response, "surplus"), "50");
    assert_eq!(batch(&hub, 1).native_received, u(1_000));
    assert_eq!(hub.state().unlocked_surplus, u(50));

    let native_before = hub.state().total_native;
    let harvest = hub.execute_as("keeper", ExecuteMsg::Harvest {}).unwrap();
    assert_eq!(attr(&harvest, "surplus_restaked"), "50");
    let state = hub.state();
    assert_eq!(state.total_native, native_before + u(50));
    assert_eq!(state.unlocked_surplus, Uint128::zero());
    assert_eq!(hub.balance, u(1_000));
}

#[test]
fn withdraw_pays_the_pro_rata_share_rounded_down() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 2_000), ("bob", 1_001)]);
    hub.slash_unbonding(100);
    hub.advance(MATURITY);
    reconcile(&mut hub, None).unwrap();
    assert_eq!(batch(&hub, 1).native_received, u(2_901));

    let alice = withdraw(&mut hub, "alice", None).unwrap();
    let bob = withdraw(&mut hub, "bob", None).unwrap();

    // 2_000 * 2_901 / 3_001 = 1_933.35 and 1_001 * 2_901 / 3_001 = 967.64.
    assert_eq!(
        bank_sends(&alice),
        vec![(hub.addr("alice").to_string(), coins(1_933, DENOM))]
    );
    assert_eq!(
        bank_sends(&bob),
        vec![(hub.addr("bob").to_string(), coins(967, DENOM))]
    );
    let claimed = batch(&hub, 1);
    assert_eq!(claimed.shares_claimed, u(3_001));
    assert_eq!(claimed.native_claimed, u(2_900));
    let state = hub.state();
    assert_eq!(state.totals.paid_out, u(2_900));
    // Every request is paid: the unit of dust goes back to all holders.
    assert_eq!(state.reserved_for_claims, Uint128::zero());
    assert_eq!(state.unlocked_surplus, u(1));
    assert_eq!(hub.balance, u(1));
}

#[test]
fn withdraw_before_reconcile_is_refused() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 1_000)]);
    hub.advance(MATURITY);
    let before = hub.snapshot();

    let err = withdraw(&mut hub, "alice", None).unwrap_err();

    assert_eq!(
        err,
        ContractError::NothingToWithdraw {
            user: hub.addr("alice").to_string()
        }
    );
    assert_eq!(hub.snapshot(), before);
    reconcile(&mut hub, None).unwrap();
    let err = withdraw(&mut hub, "carol", None).unwrap_err();
    assert!(matches!(err, ContractError::NothingToWithdraw { .. }));
}

#[test]
fn withdraw_pays_the_named_receiver_once() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 1_000)]);
    hub.advance(MATURITY);
    reconcile(&mut hub, None).unwrap();
    let carol = hub.addr("carol").to_string();

    let msg = ExecuteMsg::WithdrawUnbonded {
        receiver: Some(carol.clone()),
        limit: None,
    };
    let response = hub.execute_as("alice", msg).unwrap();

    assert_eq!(bank_sends(&response), vec![(carol, coins(1_000, DENOM))]);
    assert!(matches!(
        withdraw(&mut hub, "alice", None).unwrap_err(),
        ContractError::NothingToWithdraw { .. }
    ));
}

#[test]
fn withdraw_respects_its_limit() {
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 1_000)]);
    submit_batch(&mut hub, &[("alice", 500)]);
    hub.advance(MATURITY);
    reconcile(&mut hub, None).unwrap();

    let first = withdraw(&mut hub, "alice", Some(1)).unwrap();
    let second = withdraw(&mut hub, "alice", Some(1)).unwrap();

    assert_eq!(attr(&first, "requests"), "1");
    assert_eq!(attr(&first, "native_paid"), "1000");
    assert_eq!(attr(&second, "native_paid"), "500");
    assert!(matches!(
        withdraw(&mut hub, "alice", Some(1)).unwrap_err(),
        ContractError::NothingToWithdraw { .. }
    ));
}

#[test]
fn reconcile_waits_while_a_batch_may_already_be_paid_out() {
    // A batch whose completion has passed may or may not have been paid (the chain pays at the
    // end of a block): until a later block proves it paid, nothing is attributed, so batch 2's
    // funds are never booked as batch 1's or as a stray transfer.
    let mut hub = funded();
    submit_batch(&mut hub, &[("alice", 3_000)]);
    submit_batch(&mut hub, &[("bob", 1_000)]);
    hub.advance(UNBONDING - EPOCH);
    let first = hub
        .execute_as("keeper", ExecuteMsg::Reconcile { limit: None })
        .unwrap();
    assert_eq!(attr(&first, "waiting_for"), "1");
    assert_eq!(batch(&hub, 1).status, BatchStatus::Unbonding);

    // Batch 1 is proven paid now, but batch 2 has completed since and may be in the balance.
    hub.advance(EPOCH);
    assert_eq!(hub.balance, u(4_000));
    let second = hub
        .execute_as("keeper", ExecuteMsg::Reconcile { limit: None })
        .unwrap();
    assert_eq!(attr(&second, "waiting_for"), "2");
    assert_eq!(batch(&hub, 1).status, BatchStatus::Unbonding);

    hub.advance(5);
    reconcile(&mut hub, None).unwrap();
    assert_eq!(batch(&hub, 1).native_received, u(3_000));
    assert_eq!(batch(&hub, 2).native_received, u(1_000));
    let state = hub.state();
    assert_eq!(state.totals.surplus, Uint128::zero());
    assert_eq!(state.unlocked_surplus, Uint128::zero());
    assert_eq!(state.reserved_for_claims, u(4_000));
}

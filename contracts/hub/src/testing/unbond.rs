use cosmwasm_std::Decimal;
use flowstake::hub::{
    BatchResponse, BatchStatus, PendingBatchResponse, QueryMsg, UnbondRequestResponse,
};

use super::*;
use crate::state::UNBOND_REQUESTS;

/// val1 holds the 1_000 seed, val2 alice's 3_000, val3 bob's 2_000.
fn funded() -> Hub {
    let mut hub = setup();
    hub.bond("alice", 3_000);
    hub.bond("bob", 2_000);
    hub
}

fn request(hub: &Hub, user: &str, batch_id: u64) -> Option<Uint128> {
    UNBOND_REQUESTS
        .may_load(&hub.deps.storage, (&hub.addr(user), batch_id))
        .unwrap()
}

fn pending(hub: &Hub) -> PendingBatchResponse {
    hub.query(QueryMsg::PendingBatch {})
}

fn submit(hub: &mut Hub) -> Result<Response, ContractError> {
    hub.execute_as("keeper", ExecuteMsg::SubmitBatch {})
}

/// The undelegations of a submission: they add up to what the batch converted to and none
/// is above the validator's delegation before the submission.
fn check_undelegations(response: &Response, before: &BTreeMap<String, Uint128>, native: u128) {
    let mut sum = 0u128;
    for msg in staking_msgs(response) {
        let StakingMsg::Undelegate { validator, amount } = msg else {
            panic!("unexpected {msg:?}");
        };
        assert!(
            amount.amount <= before[&validator],
            "{validator} over-undelegated"
        );
        sum += amount.amount.u128();
    }
    assert_eq!(sum, native);
}

#[test]
fn queue_unbond_refuses_a_foreign_token() {
    let mut hub = funded();
    let fake = hub.addr("fake_token");
    let msg = hub.queue_msg("alice", 400);
    let before = hub.snapshot();

    let err = hub.execute(&fake, &[], msg).unwrap_err();

    assert_eq!(
        err,
        ContractError::ForeignToken {
            token: hub.token().to_string(),
            sender: fake.to_string()
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn queue_unbond_refuses_the_hub_as_sender_or_receiver() {
    let mut hub = funded();
    let token = hub.token();
    let hub_addr = hub.hub_addr().to_string();
    let from_hub = ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: hub_addr.clone(),
        amount: Uint128::new(400),
        msg: to_json_binary(&ReceiveMsg::QueueUnbond { receiver: None }).unwrap(),
    });
    let to_hub = ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: hub.addr("alice").to_string(),
        amount: Uint128::new(400),
        msg: to_json_binary(&ReceiveMsg::QueueUnbond {
            receiver: Some(hub_addr),
        })
        .unwrap(),
    });
    let before = hub.snapshot();

    for msg in [from_hub, to_hub] {
        let err = hub.execute(&token, &[], msg).unwrap_err();
        assert_eq!(err, ContractError::HubAsRequester {});
    }
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn queue_unbond_books_the_request_for_the_cw20_sender_not_the_token() {
    let mut hub = funded();

    let response = hub.queue_unbond("alice", 400).unwrap();

    assert_eq!(attr(&response, "user"), hub.addr("alice").to_string());
    assert_eq!(request(&hub, "alice", 1), Some(u(400)));
    assert_eq!(request(&hub, "token", 1), None);
    assert_eq!(pending(&hub).shares, u(400));
    let requests: Vec<UnbondRequestResponse> = hub.query(QueryMsg::UnbondRequestsByUser {
        user: hub.addr("alice").to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, BatchStatus::Pending);
    assert_eq!(requests[0].native, u(400));
    assert_eq!(
        requests[0].expected_at,
        pending(&hub).submit_after + MATURITY
    );
}

#[test]
fn queue_unbond_books_the_request_for_the_named_receiver() {
    let mut hub = funded();
    let token = hub.token();
    let msg = ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: hub.addr("alice").to_string(),
        amount: u(400),
        msg: to_json_binary(&ReceiveMsg::QueueUnbond {
            receiver: Some(hub.addr("bob").to_string()),
        })
        .unwrap(),
    });

    hub.execute(&token, &[], msg).unwrap();

    assert_eq!(request(&hub, "bob", 1), Some(u(400)));
    assert_eq!(request(&hub, "alice", 1), None);
}

#[test]
fn queue_unbond_below_the_minimum_is_refused() {
    let mut hub = funded();
    let before = hub.snapshot();

    let err = hub.queue_unbond("alice", MIN_UNBOND - 1).unwrap_err();

    assert_eq!(
        err,
        ContractError::UnbondTooSmall {
            shares: u(MIN_UNBOND - 1),
            min_unbond: u(MIN_UNBOND)
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn two_requests_of_one_user_add_up() {
    let mut hub = funded();
    hub.queue_unbond("alice", 300).unwrap();
    hub.queue_unbond("alice", 200).unwrap();
    hub.queue_unbond("bob", 100).unwrap();

    assert_eq!(request(&hub, "alice", 1), Some(u(500)));
    assert_eq!(request(&hub, "bob", 1), Some(u(100)));
    assert_eq!(pending(&hub).shares, u(600));
}

#[test]
fn cancel_returns_the_shares_by_transfer() {
    let mut hub = funded();
    hub.queue_unbond("alice", 400).unwrap();
    hub.queue_unbond("bob", 100).unwrap();

    let response = hub
        .execute_as("alice", ExecuteMsg::CancelUnbond {})
        .unwrap();

    let transfer = Cw20ExecuteMsg::Transfer {
        recipient: hub.addr("alice").to_string(),
        amount: u(400),
    };
    assert_eq!(cw20_msgs(&response, &hub.token()), vec![transfer]);
    assert_eq!(request(&hub, "alice", 1), None);
    assert_eq!(pending(&hub).shares, u(100));
}

#[test]
fn cancel_without_a_pending_request_is_refused() {
    let mut hub = funded();
    let before = hub.snapshot();

    let err = hub
        .execute_as("alice", ExecuteMsg::CancelUnbond {})
        .unwrap_err();

    assert_eq!(
        err,
        ContractError::NoPendingRequest {
            user: hub.addr("alice").to_string(),
            batch_id: 1
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn submit_before_the_epoch_ends_is_refused() {
    let mut hub = funded();
    hub.queue_unbond("alice", 400).unwrap();
    let submit_after = pending(&hub).submit_after;
    hub.advance(EPOCH - 1);

    let err = submit(&mut hub).unwrap_err();

    assert_eq!(
        err,
        ContractError::EpochNotElapsed {
            submit_after,
            now: submit_after - 1
        }
    );
}

#[test]
fn submit_of_an_empty_batch_is_refused() {
    let mut hub = funded();
    hub.advance(EPOCH);
    let before = hub.snapshot();

    assert_eq!(
        submit(&mut hub).unwrap_err(),
        ContractError::EmptyBatch { id: 1 }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn submit_burns_the_shares_and_undelegates_in_proportion_to_delegations() {
    let mut hub = funded();
    hub.queue_unbond("alice", 3_000).unwrap();
    hub.advance(EPOCH);
    let before = hub.delegations.clone();

    let response = submit(&mut hub).unwrap();

    assert_eq!(
        cw20_msgs(&response, &hub.token()),
        vec![Cw20ExecuteMsg::Burn { amount: u(3_000) }]
    );
    let undelegate = |validator: &str, native: u128| StakingMsg::Undelegate {
        validator: validator.to_string(),
        amount: cosmwasm_std::coin(native, DENOM),
    };
    assert_eq!(
        staking_msgs(&response),
        vec![
            undelegate("val1", 500),
            undelegate("val2", 1_500),
            undelegate("val3", 1_000)
        ]
    );
    check_undelegations(&response, &before, 3_000);

    let batch: BatchResponse = hub.query(QueryMsg::Batch { id: 1 });
    assert_eq!(batch.status, BatchStatus::Unbonding);
    assert_eq!(batch.shares, u(3_000));
    assert_eq!(batch.native_expected, u(3_000));
    assert_eq!(batch.completes_at, hub.now() + MATURITY);
    let next = pending(&hub);
    assert_eq!((next.id, next.shares), (2, Uint128::zero()));
    assert_eq!(next.submit_after, hub.now() + EPOCH);
    let state = hub.state();
    assert_eq!(state.total_native, u(3_000));
    assert_eq!(state.total_shares, u(3_000));
    assert_eq!(state.totals.unbonding, u(3_000));
    for validator in SET {
        assert_eq!(
            hub.ledger(validator),
            hub.on_chain(validator),
            "{validator}"
        );
    }
}

#[test]
fn submit_after_a_slash_converts_at_the_synced_rate() {
    let mut hub = funded();
    hub.queue_unbond("alice", 1_234).unwrap();
    hub.queue_unbond("bob", 777).unwrap();
    hub.advance(EPOCH);
    hub.slash("val3", 7);
    let before = hub.delegations.clone();

    let response = submit(&mut hub).unwrap();

    // 2_011 shares at 5_993 / 6_000, rounded down.
    let native = 2_011u128 * 5_993 / 6_000;
    assert_eq!(attr(&response, "native_unbonded"), native.to_string());
    check_undelegations(&response, &before, native);
    let state = hub.state();
    assert_eq!(state.totals.slashed, u(7));
    assert_eq!(state.total_native, u(5_993 - native));
    assert_eq!(state.total_shares, u(6_000 - 2_011));
    assert!(state.exchange_rate >= Decimal::from_ratio(5_993u128, 6_000u128));
}

#[test]
fn first_queue_after_the_epoch_ends_submits_the_batch() {
    let mut hub = funded();
    hub.queue_unbond("bob", 100).unwrap();
    hub.advance(EPOCH);
    let before = hub.delegations.clone();

    let response = hub.queue_unbond("alice", 500).unwrap();

    assert_eq!(attr(&response, "action"), "queue_unbond");
    assert_eq!(attr(&response, "batch_id"), "1");
    assert_eq!(attr(&response, "shares_burned"), "600");
    assert_eq!(
        cw20_msgs(&response, &hub.token()),
        vec![Cw20ExecuteMsg::Burn { amount: u(600) }]
    );
    check_undelegations(&response, &before, 600);
    let batch: BatchResponse = hub.query(QueryMsg::Batch { id: 1 });
    assert_eq!(batch.shares, u(600));
    assert_eq!(pending(&hub).id, 2);
    // The request is no longer pending: it cannot be cancelled.
    let err = hub
        .execute_as("alice", ExecuteMsg::CancelUnbond {})
        .unwrap_err();
    assert_eq!(
        err,
        ContractError::NoPendingRequest {
            user: hub.addr("alice").to_string(),
            batch_id: 2
        }
    );
}

#[test]
fn submissions_never_undelegate_more_than_a_validator_holds() {
    let mut hub = setup_with(|msg| msg.validators[1].weight = 3);
    for (user, native) in [("alice", 12_345), ("bob", 67_891), ("carol", 2_357)] {
        hub.bond(user, native);
    }
    for round in 0..6u128 {
        for (index, validator) in SET.iter().enumerate() {
            hub.slash(validator, (round * 7 + index as u128 * 3) % 23);
        }
        hub.queue_unbond("alice", 1_001 + round * 997).unwrap();
        hub.queue_unbond("bob", 3_333 - round * 211).unwrap();
        hub.advance(EPOCH);
        let before = hub.delegations.clone();

        let response = submit(&mut hub).unwrap();

        let native: u128 = attr(&response, "native_unbonded").parse().unwrap();
        check_undelegations(&response, &before, native);
        for validator in SET {
            assert_eq!(
                hub.ledger(validator),
                hub.on_chain(validator),
                "{validator}"
            );
        }
    }
    let state = hub.state();
    let ledger_sum: u128 = SET.iter().map(|v| hub.ledger(v)).sum();
    assert_eq!(state.total_native.u128(), ledger_sum);
}

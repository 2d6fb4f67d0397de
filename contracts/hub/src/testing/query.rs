use cosmwasm_std::{coins, Decimal};
use flowstake::hub::{
    BatchResponse, BatchStatus, QueryMsg, RedemptionRateResponse, UnbondRequestResponse,
};

use super::*;

fn rate(hub: &Hub) -> RedemptionRateResponse {
    hub.query(QueryMsg::RedemptionRate {})
}

fn submit_after_epoch(hub: &mut Hub) {
    hub.advance(EPOCH);
    hub.execute_as("keeper", ExecuteMsg::SubmitBatch {})
        .unwrap();
}

#[test]
fn redemption_rate_update_time_is_the_last_sync_not_the_block_time() {
    let mut hub = setup();
    let instantiated_at = hub.now();
    // Two days in, rewards of 90 on 2_000 fit what the time allows: they enter at once.
    hub.advance(2 * DAY);
    hub.bond("alice", 1_000);
    hub.receive_rewards(100).unwrap();

    let before_sync = rate(&hub);
    assert_eq!(before_sync.update_time, instantiated_at);
    assert_eq!(
        before_sync.redemption_rate,
        Decimal::from_ratio(2_090u128, 2_000u128)
    );

    hub.advance(DAY);
    hub.execute_as("keeper", ExecuteMsg::Sync {}).unwrap();
    let synced_at = hub.now();
    hub.advance(DAY);

    assert_eq!(rate(&hub).update_time, synced_at);
    assert_eq!(hub.state().last_sync, synced_at);
}

#[test]
fn previews_round_down_at_the_current_rate() {
    let mut hub = setup();
    hub.vested_rewards(100); // 1_090 native for 1_000 shares

    let shares: Uint128 = hub.query(QueryMsg::PreviewBond { native: u(1_000) });
    let native: Uint128 = hub.query(QueryMsg::PreviewUnbond { shares: u(333) });

    assert_eq!(shares, u(917));
    assert_eq!(native, u(362)); // 333 * 1.09 = 362.97
}

#[test]
fn state_reports_rewards_waiting_in_the_collector() {
    let mut hub = setup();
    let collector = hub.collector();
    hub.deps
        .querier
        .bank
        .update_balance(collector, coins(77, DENOM));

    assert_eq!(hub.state().pending_rewards, u(77));
}

#[test]
fn unbond_requests_show_each_batch_status() {
    let mut hub = setup();
    hub.bond("alice", 3_000);
    hub.queue_unbond("alice", 1_000).unwrap();
    submit_after_epoch(&mut hub);
    hub.queue_unbond("alice", 500).unwrap();
    submit_after_epoch(&mut hub);
    hub.queue_unbond("alice", 200).unwrap();
    hub.advance(MATURITY - EPOCH);
    hub.reconcile(None).unwrap();

    let requests: Vec<UnbondRequestResponse> = hub.query(QueryMsg::UnbondRequestsByUser {
        user: hub.addr("alice").to_string(),
        start_after: None,
        limit: None,
    });

    let summary: Vec<(u64, BatchStatus, u128)> = requests
        .iter()
        .map(|r| (r.batch_id, r.status.clone(), r.native.u128()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, BatchStatus::Reconciled, 1_000),
            (2, BatchStatus::Unbonding, 500),
            (3, BatchStatus::Pending, 200),
        ]
    );
    let second: BatchResponse = hub.query(QueryMsg::Batch { id: 2 });
    assert_eq!(requests[1].expected_at, second.completes_at);
}

#[test]
fn batches_and_validators_page_with_start_after_and_limit() {
    let mut hub = setup();
    hub.bond("alice", 3_000);
    for _ in 0..3 {
        hub.queue_unbond("alice", 100).unwrap();
        submit_after_epoch(&mut hub);
    }

    let page: Vec<BatchResponse> = hub.query(QueryMsg::Batches {
        start_after: Some(1),
        limit: Some(1),
    });
    assert_eq!(page.iter().map(|b| b.id).collect::<Vec<_>>(), vec![2]);

    let page: Vec<flowstake::hub::ValidatorResponse> = hub.query(QueryMsg::Validators {
        start_after: Some("val1".to_string()),
        limit: Some(1),
    });
    assert_eq!(
        page.iter().map(|v| v.address.as_str()).collect::<Vec<_>>(),
        vec!["val2"]
    );
}

//! Cranks whose work grows with the set are bounded per call: harvest takes validators in
//! turns, a batch spread over more validators than one call may undelegate from is submitted
//! over several calls, and a removal redelegates to a bounded number of validators.

use std::collections::BTreeSet;

use cosmwasm_std::DistributionMsg;
use flowstake::hub::{BatchResponse, BatchStatus, QueryMsg};
use flowstake::{MAX_HARVEST_WITHDRAWALS, MAX_REDELEGATION_TARGETS, MAX_SUBMIT_UNDELEGATIONS};

use super::*;

/// Validators whose rewards a response withdraws, in order.
fn withdrawn(response: &Response) -> Vec<String> {
    response
        .messages
        .iter()
        .filter_map(|sub| match &sub.msg {
            cosmwasm_std::CosmosMsg::Distribution(DistributionMsg::WithdrawDelegatorReward {
                validator,
            }) => Some(validator.clone()),
            _ => None,
        })
        .collect()
}

/// The undelegations of a response, by validator.
fn undelegations(response: &Response) -> Vec<(String, u128)> {
    staking_msgs(response)
        .into_iter()
        .map(|msg| match msg {
            StakingMsg::Undelegate { validator, amount } => (validator, amount.amount.u128()),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn submit(hub: &mut Hub) -> Result<Response, ContractError> {
    hub.execute_as("keeper", ExecuteMsg::SubmitBatch {})
}

fn batch(hub: &Hub, id: u64) -> BatchResponse {
    hub.query(QueryMsg::Batch { id })
}

/// Every holder of a wide hub queues `shares`; the epoch passes.
fn queue_all(hub: &mut Hub, count: usize, shares: u128) {
    for i in 0..count {
        hub.queue_unbond(&format!("holder{i}"), shares).unwrap();
    }
    hub.advance(EPOCH);
}

/// The ledger sums to the backing, the unvested rewards and what a submission still holds,
/// and equals the chain's delegations validator by validator.
fn check_ledger(hub: &Hub) {
    let state = hub.state();
    let ledger: u128 = hub
        .validator_list()
        .iter()
        .map(|v| v.delegated.u128())
        .sum();
    let submitting = state.submission.map_or(0, |s| s.native_left.u128());
    assert_eq!(
        ledger,
        state.total_native.u128() + state.unvested_rewards.u128() + submitting
    );
    for validator in hub.validator_list() {
        assert_eq!(
            validator.delegated.u128(),
            hub.on_chain(&validator.address),
            "{}",
            validator.address
        );
    }
}

#[test]
fn harvest_takes_the_validators_in_turns_of_the_bound() {
    let count = MAX_HARVEST_WITHDRAWALS + 5;
    let mut hub = setup_wide(count);
    let all: Vec<String> = (0..count).map(|i| format!("wide{i:03}")).collect();

    let first = hub.execute_as("keeper", ExecuteMsg::Harvest {}).unwrap();
    let second = hub.execute_as("keeper", ExecuteMsg::Harvest {}).unwrap();

    assert_eq!(withdrawn(&first), all[..MAX_HARVEST_WITHDRAWALS]);
    assert_eq!(
        attr(&first, "withdrawn"),
        MAX_HARVEST_WITHDRAWALS.to_string()
    );
    // The second starts after the first's last and wraps round to the first validators.
    let mut expected: Vec<String> = all[MAX_HARVEST_WITHDRAWALS..].to_vec();
    expected.extend_from_slice(&all[..MAX_HARVEST_WITHDRAWALS - 5]);
    assert_eq!(withdrawn(&second), expected);
    // Each harvest withdraws from a validator at most once.
    let unique: BTreeSet<String> = withdrawn(&second).into_iter().collect();
    assert_eq!(unique.len(), MAX_HARVEST_WITHDRAWALS);
}

#[test]
fn harvest_of_a_set_within_the_bound_withdraws_from_every_validator_each_time() {
    let mut hub = setup_wide(5);
    let all: Vec<String> = (0..5).map(|i| format!("wide{i:03}")).collect();
    for _ in 0..3 {
        let response = hub.execute_as("keeper", ExecuteMsg::Harvest {}).unwrap();
        let mut got = withdrawn(&response);
        got.sort();
        assert_eq!(got, all);
    }
}

#[test]
fn a_batch_over_more_validators_than_the_bound_is_submitted_over_several_calls() {
    let count = 2 * MAX_SUBMIT_UNDELEGATIONS + 5;
    let mut hub = setup_wide(count);
    queue_all(&mut hub, count, 600);
    let before: BTreeMap<String, Uint128> = hub.delegations.clone();

    let first = submit(&mut hub).unwrap();
    let native = attr(&first, "native_unbonded").parse::<u128>().unwrap();
    assert_eq!(attr(&first, "submission_done"), "false");
    assert_eq!(undelegations(&first).len(), MAX_SUBMIT_UNDELEGATIONS);
    let status = hub.state().submission.expect("a submission in progress");
    assert_eq!(status.batch_id, 1);
    check_ledger(&hub);

    // While it lasts: a new request waits in the next batch, nothing is reconciled, no
    // validator is removed.
    hub.queue_unbond("holder0", 100).unwrap();
    assert_eq!(
        hub.execute_as(
            "owner",
            ExecuteMsg::RemoveValidator {
                address: "wide000".into()
            }
        )
        .unwrap_err(),
        ContractError::SubmissionInProgress {
            batch_id: 1,
            native_left: status.native_left
        }
    );
    hub.advance(MATURITY + 10);
    let waiting = hub
        .execute_as("keeper", ExecuteMsg::Reconcile { limit: None })
        .unwrap();
    assert_eq!(attr(&waiting, "waiting_for"), "1");

    let second = submit(&mut hub).unwrap();
    assert_eq!(attr(&second, "submission_done"), "false");
    let third = submit(&mut hub).unwrap();
    assert_eq!(attr(&third, "submission_done"), "true");
    assert!(hub.state().submission.is_none());
    check_ledger(&hub);

    let mut seen = BTreeSet::new();
    let mut sum = 0;
    for (validator, amount) in [&first, &second, &third]
        .iter()
        .flat_map(|r| undelegations(r))
    {
        assert!(
            seen.insert(validator.clone()),
            "{validator} undelegated twice"
        );
        assert!(
            amount <= before[&validator].u128(),
            "{validator} over-undelegated"
        );
        sum += amount;
    }
    assert_eq!(seen.len(), count);
    assert_eq!(sum, native);
    // The batch completes with its last entries.
    let submitted = batch(&hub, 1);
    assert_eq!(submitted.completes_at, hub.now() + UNBONDING);
    assert_eq!(submitted.native_expected.u128(), native);

    // The next call submits the next batch as usual, once its epoch passed; batch 1 is paid in
    // full once the chain paid its last entries.
    hub.advance(MATURITY + 1);
    hub.reconcile(None).unwrap();
    let paid = batch(&hub, 1);
    assert_eq!(paid.status, BatchStatus::Reconciled);
    assert_eq!(paid.native_received.u128(), native);
    check_ledger(&hub);
}

/// The batch's part of a validator still to come is in proportion to its delegation, so a
/// slash there is shared in that proportion; a slash on a validator already done is the
/// holders' alone.
#[test]
fn a_slash_during_a_submission_is_shared_between_the_batch_and_the_holders() {
    let count = MAX_SUBMIT_UNDELEGATIONS + 10;
    let mut hub = setup_wide(count);
    queue_all(&mut hub, count, 500);
    let first = submit(&mut hub).unwrap();
    let native = attr(&first, "native_unbonded").parse::<u128>().unwrap();
    let before = hub.state();
    let left = before.submission.unwrap().native_left.u128();
    // What the validators still to come hold: the batch's part of it is left.
    let holding: u128 = (MAX_SUBMIT_UNDELEGATIONS..count)
        .map(|i| hub.on_chain(&format!("wide{i:03}")))
        .sum();

    // A validator whose turn has not come loses 300.
    let last = format!("wide{:03}", count - 1);
    hub.slash(&last, 300);
    // One already done loses 100: none of it falls on the batch.
    hub.slash("wide000", 100);
    let second = submit(&mut hub).unwrap();

    let batch_loss = 300 * left / holding;
    assert!(batch_loss > 0);
    let after = hub.state();
    assert_eq!(attr(&second, "submission_done"), "true");
    assert_eq!(
        batch(&hub, 1).native_expected.u128(),
        native - batch_loss,
        "the batch bears its part of the slash"
    );
    let sent: u128 = undelegations(&second).iter().map(|(_, a)| a).sum();
    assert_eq!(sent, left - batch_loss);
    assert_eq!(
        before.total_native.u128() + before.unvested_rewards.u128()
            - after.total_native.u128()
            - after.unvested_rewards.u128(),
        400 - batch_loss
    );
    assert_eq!(after.totals.slashed.u128(), 400);
    check_ledger(&hub);

    hub.advance(MATURITY + 1);
    hub.reconcile(None).unwrap();
    assert_eq!(batch(&hub, 1).native_received.u128(), native - batch_loss);
}

#[test]
fn validators_the_cursor_passed_give_what_is_left_when_the_rest_was_slashed_away() {
    let count = MAX_SUBMIT_UNDELEGATIONS + 2;
    let mut hub = setup_wide(count);
    queue_all(&mut hub, count, 300);
    submit(&mut hub).unwrap();
    // The two validators still to come lose nearly everything.
    for i in [count - 2, count - 1] {
        let name = format!("wide{i:03}");
        let held = hub.on_chain(&name);
        hub.slash(&name, held - 1);
    }
    let mut calls = 0;
    while hub.state().submission.is_some() {
        submit(&mut hub).unwrap();
        calls += 1;
        assert!(calls < 5, "the submission never ended");
        check_ledger(&hub);
    }
    let state = hub.state();
    assert_eq!(
        state.totals.unbonding.u128(),
        batch(&hub, 1).native_expected.u128()
    );
    hub.advance(MATURITY + 1);
    hub.reconcile(None).unwrap();
    let paid = batch(&hub, 1);
    assert_eq!(paid.native_received, paid.native_expected);
}

#[test]
fn a_removal_redelegates_to_the_least_loaded_validators_within_the_bound() {
    let count = MAX_REDELEGATION_TARGETS + 10;
    let mut hub = setup_wide(count);
    let removed = "wide000".to_string();
    let held = hub.on_chain(&removed);
    let mut others: Vec<(u128, String)> = hub
        .validator_list()
        .into_iter()
        .filter(|v| v.address != removed)
        .map(|v| (v.delegated.u128(), v.address))
        .collect();
    others.sort();
    let mut expected: Vec<String> = others[..MAX_REDELEGATION_TARGETS]
        .iter()
        .map(|(_, address)| address.clone())
        .collect();
    expected.sort();
    let before: u128 = expected.iter().map(|t| hub.on_chain(t)).sum();

    let response = hub
        .execute_as(
            "owner",
            ExecuteMsg::RemoveValidator {
                address: removed.clone(),
            },
        )
        .unwrap();

    let targets: Vec<String> = staking_msgs(&response)
        .into_iter()
        .map(|msg| match msg {
            StakingMsg::Redelegate {
                src_validator,
                dst_validator,
                ..
            } => {
                assert_eq!(src_validator, removed);
                dst_validator
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(targets, expected, "the least loaded, in address order");
    assert_eq!(hub.on_chain(&removed), 0);
    let after: u128 = targets.iter().map(|t| hub.on_chain(t)).sum();
    assert_eq!(after - before, held);
    check_ledger(&hub);
}

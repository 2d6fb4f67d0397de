use cosmwasm_std::{coins, to_json_binary, CosmosMsg, Decimal, DistributionMsg, WasmMsg};
use cw_utils::PaymentError;

use super::*;

const SYNC_EVENT: &str = "flowstake_sync";

fn harvest(hub: &mut Hub) -> Response {
    hub.execute_as("keeper", ExecuteMsg::Harvest {}).unwrap()
}

fn sync(hub: &mut Hub) -> Response {
    hub.execute_as("keeper", ExecuteMsg::Sync {}).unwrap()
}

fn withdraw_reward(validator: &str) -> CosmosMsg {
    DistributionMsg::WithdrawDelegatorReward {
        validator: validator.to_string(),
    }
    .into()
}

fn forward(hub: &Hub) -> CosmosMsg {
    WasmMsg::Execute {
        contract_addr: hub.collector().to_string(),
        msg: to_json_binary(&flowstake::collector::ExecuteMsg::Forward {}).unwrap(),
        funds: vec![],
    }
    .into()
}

fn messages(response: &Response) -> Vec<CosmosMsg> {
    response
        .messages
        .iter()
        .map(|sub| sub.msg.clone())
        .collect()
}

#[test]
fn harvest_withdraws_from_every_delegated_validator_then_forwards() {
    let mut hub = setup();
    hub.bond("alice", 500); // val2; val3 holds nothing

    let response = harvest(&mut hub);

    assert_eq!(
        messages(&response),
        vec![
            withdraw_reward("val1"),
            withdraw_reward("val2"),
            forward(&hub)
        ]
    );
    assert!(response
        .messages
        .iter()
        .all(|sub| sub.reply_on == cosmwasm_std::ReplyOn::Never));
    assert_eq!(attr(&response, "slashed"), "0");
}

#[test]
fn harvest_skips_a_validator_whose_stake_was_slashed_away() {
    let mut hub = setup();
    hub.bond("alice", 5_000); // val2
    hub.bond("alice", 5_000); // val3
    hub.slash("val1", SEED);

    let response = harvest(&mut hub);

    assert_eq!(
        messages(&response),
        vec![
            withdraw_reward("val2"),
            withdraw_reward("val3"),
            forward(&hub)
        ]
    );
    assert_eq!(attr(&response, "slashed"), SEED.to_string());
    assert_eq!(hub.ledger("val1"), 0);
}

#[test]
fn receive_rewards_from_anyone_but_the_collector_is_refused() {
    let mut hub = setup();
    let stranger = hub.addr("stranger");
    let before = hub.snapshot();

    let err = hub
        .execute(&stranger, &coins(100, DENOM), ExecuteMsg::ReceiveRewards {})
        .unwrap_err();

    assert_eq!(
        err,
        ContractError::NotCollector {
            sender: stranger.to_string()
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn receive_rewards_pays_the_fee_and_restakes_the_rest() {
    let mut hub = setup();

    // 10 % of 99 is 9.9: the fee rounds down, the rest is re-staked. A week has passed, so
    // the rewards fit what the time allows (1,000 % a year) and enter the rate at once.
    hub.advance(7 * DAY);
    let response = hub.receive_rewards(99).unwrap();

    assert_eq!(
        bank_sends(&response),
        vec![(hub.fee_receiver().to_string(), coins(9, DENOM))]
    );
    assert_eq!(staking_msgs(&response), vec![delegate_msg("val2", 90)]);
    let state = hub.state();
    assert_eq!(state.total_native, u(SEED + 90));
    assert_eq!(state.total_shares, u(SEED));
    assert_eq!(state.totals.rewards, u(99));
    assert_eq!(state.totals.fees, u(9));
    assert_eq!(state.exchange_rate, Decimal::from_ratio(SEED + 90, SEED));
    assert_eq!(hub.ledger("val2"), 90);
    assert_eq!(hub.balance, Uint128::zero());
}

#[test]
fn receive_rewards_without_a_fee_rate_sends_no_fee() {
    let mut hub = setup_with(|msg| msg.fee_rate = Decimal::zero());

    let response = hub.receive_rewards(150).unwrap();

    assert!(bank_sends(&response).is_empty());
    assert_eq!(staking_msgs(&response), vec![delegate_msg("val2", 150)]);
    assert_eq!(hub.state().totals.fees, Uint128::zero());
}

#[test]
fn receive_rewards_in_another_denom_is_refused() {
    let mut hub = setup();
    let collector = hub.collector();

    let err = hub
        .execute(
            &collector,
            &coins(100, "uother"),
            ExecuteMsg::ReceiveRewards {},
        )
        .unwrap_err();

    assert_eq!(
        err,
        ContractError::Payment(PaymentError::MissingDenom(DENOM.to_string()))
    );
}

#[test]
fn sync_books_a_shortfall_as_a_slash_and_lowers_the_rate() {
    let mut hub = setup();
    hub.bond("alice", 2_000); // val2
    hub.advance(DAY);
    hub.slash("val2", 100);

    let response = sync(&mut hub);

    assert_eq!(attr(&response, "slashed"), "100");
    assert_eq!(
        event_attr(&response, SYNC_EVENT, "slashed").as_deref(),
        Some("100")
    );
    assert_eq!(event_attr(&response, SYNC_EVENT, "paused"), None);
    assert_eq!(hub.ledger("val2"), 1_900);
    let state = hub.state();
    assert_eq!(state.total_native, u(2_900));
    assert_eq!(state.totals.slashed, u(100));
    assert_eq!(
        state.exchange_rate,
        Decimal::from_ratio(2_900u128, 3_000u128)
    );
    assert_eq!(state.last_sync, hub.now());
    assert!(hub.paused().is_empty());
}

#[test]
fn sync_books_stake_the_chain_holds_beyond_the_ledger_as_surplus() {
    // Share rounding after a slash leaves a unit of an undelegation behind: the hub's stake.
    let mut hub = setup();
    *hub.delegations.get_mut("val1").unwrap() += u(2);
    hub.push_chain();
    let before = hub.state();

    let response = sync(&mut hub);

    assert_eq!(hub.ledger("val1"), SEED + 2);
    let state = hub.state();
    assert_eq!(state.total_native, before.total_native + u(2));
    assert_eq!(state.totals.surplus, before.totals.surplus + u(2));
    assert_eq!(state.totals.slashed, before.totals.slashed);
    assert!(state.exchange_rate > before.exchange_rate);
    let event = &response.events[0];
    assert!(event
        .attributes
        .iter()
        .any(|a| a.key == "surplus" && a.value == "2"));
}

#[test]
fn sync_pauses_a_validator_whose_delegation_fell_to_nothing() {
    // A validator slashed to zero tokens refuses every delegation: bonds must go elsewhere.
    let mut hub = setup();
    hub.bond("alice", 100_000);
    assert_eq!(hub.ledger("val1"), SEED);
    *hub.delegations.get_mut("val1").unwrap() = Uint128::zero();
    hub.push_chain();

    sync(&mut hub);

    assert_eq!(hub.ledger("val1"), 0);
    let paused = |address: &str| {
        hub.validator_list()
            .into_iter()
            .any(|v| v.address == address && v.paused)
    };
    assert!(paused("val1"));
    assert!(!paused("val2"));
    let response = hub.bond("bob", 1_000);
    assert!(response
        .attributes
        .iter()
        .any(|a| a.key == "validator" && a.value != "val1"));
}

#[test]
fn rate_fall_beyond_the_bound_pauses_bond_and_unbond() {
    let mut hub = setup();
    hub.bond("alice", 1_000); // val2
    hub.slash("val1", 300); // 15 % of the backing, the bound is 10 %

    let response = harvest(&mut hub);

    assert_eq!(
        event_attr(&response, SYNC_EVENT, "paused").as_deref(),
        Some("bond,unbond")
    );
    assert_eq!(
        event_attr(&response, SYNC_EVENT, "reason").as_deref(),
        Some("rate_fell_beyond_bound")
    );
    assert_eq!(
        event_attr(&response, SYNC_EVENT, "previous_rate").as_deref(),
        Some("1")
    );
    assert_eq!(
        event_attr(&response, SYNC_EVENT, "exchange_rate").as_deref(),
        Some("0.85")
    );
    assert_eq!(hub.paused(), vec![Operation::Bond, Operation::Unbond]);
    assert_eq!(
        hub.try_bond("bob", 500).unwrap_err(),
        ContractError::Paused {
            operation: Operation::Bond
        }
    );
    assert_eq!(
        hub.queue_unbond("alice", 100).unwrap_err(),
        ContractError::Paused {
            operation: Operation::Unbond
        }
    );
    // The next sync measures from the new rate and finds nothing more.
    let again = sync(&mut hub);
    assert_eq!(event_attr(&again, SYNC_EVENT, "reason"), None);
}

#[test]
fn rate_fall_within_the_bound_pauses_nothing() {
    let mut hub = setup();
    hub.bond("alice", 1_000);
    hub.slash("val1", 200); // exactly the 10 % bound

    let response = harvest(&mut hub);

    assert_eq!(event_attr(&response, SYNC_EVENT, "reason"), None);
    assert!(hub.paused().is_empty());
}

#[test]
fn an_inflow_beyond_a_plausible_reward_enters_the_rate_gradually_and_trips_nothing() {
    let mut hub = setup();
    hub.advance(DAY);
    // 500 forwarded, 450 re-staked: 45 % of the backing, far beyond a day's reward at 1,000 %
    // a year (27 of 1_000) and the 20 % rise bound.
    let response = hub.receive_rewards(500).unwrap();
    assert_eq!(attr(&response, "rewards_vested"), "27");
    let state = hub.state();
    assert_eq!(state.total_native, u(SEED + 27));
    assert_eq!(state.unvested_rewards, u(450 - 27));

    let response = sync(&mut hub);
    assert_eq!(event_attr(&response, SYNC_EVENT, "reason"), None);
    assert!(hub.paused().is_empty());
    // The rest follows day by day, never more than half the rise bound at once.
    let mut days = 0;
    while !hub.state().unvested_rewards.is_zero() {
        let before = hub.state().total_native;
        hub.advance(DAY);
        sync(&mut hub);
        assert!(hub.state().total_native <= before + before.multiply_ratio(1u128, 10u128));
        days += 1;
    }
    assert!(hub.paused().is_empty());
    assert_eq!(hub.state().total_native, u(SEED + 450));
    assert!(days >= 10, "vested in {days} days");
}

#[test]
fn stake_found_beyond_the_ledger_beyond_the_rise_bound_pauses_bond_and_unbond() {
    let mut hub = setup();
    // Only the chain can put stake in the hub's name: 300 more than the ledger on a backing of
    // 1_000 is a 30 % rise, beyond the 20 % bound.
    *hub.delegations.get_mut("val1").unwrap() += Uint128::new(300);
    hub.push_chain();

    let response = sync(&mut hub);

    assert_eq!(
        event_attr(&response, SYNC_EVENT, "reason").as_deref(),
        Some("rate_rose_beyond_bound")
    );
    assert_eq!(hub.paused(), vec![Operation::Bond, Operation::Unbond]);
}

#[test]
fn harvest_leaves_unbonded_funds_awaiting_reconcile_alone() {
    let mut hub = setup();
    hub.bond("alice", 2_000);
    hub.queue_unbond("alice", 500).unwrap();
    hub.advance(EPOCH);
    hub.execute_as("keeper", ExecuteMsg::SubmitBatch {})
        .unwrap();
    hub.advance(MATURITY);
    assert_eq!(hub.balance, u(500));

    let response = harvest(&mut hub);

    assert!(staking_msgs(&response).is_empty());
    assert_eq!(attr(&response, "surplus_restaked"), "0");
    assert_eq!(hub.balance, u(500));
}

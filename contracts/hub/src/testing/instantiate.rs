use cosmwasm_std::{
    coin, coins, CosmosMsg, Decimal, DistributionMsg, ReplyOn, SubMsgResult, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;
use cw_utils::PaymentError;
use flowstake::hub::{ConfigResponse, InstantiateMsg, QueryMsg, ValidatorWeight};
use flowstake::MAX_FEE_RATE;

use super::*;
use crate::state::{COLLECTOR, TOKEN};

/// Instantiates a bare hub with the default message changed by `change` and the default seed.
fn try_instantiate(change: impl FnOnce(&mut InstantiateMsg)) -> Result<Response, ContractError> {
    let mut hub = Hub::bare();
    let mut msg = hub.default_msg();
    change(&mut msg);
    hub.instantiate(msg, &coins(SEED, DENOM))
}

/// A change to the instantiate message.
type Change = fn(&mut InstantiateMsg);

fn weight(address: &str, weight: u64) -> ValidatorWeight {
    ValidatorWeight {
        address: address.to_string(),
        weight,
    }
}

#[test]
fn instantiate_delegates_the_seed_and_deploys_token_and_collector() {
    let mut hub = Hub::bare();
    let msg = hub.default_msg();
    let response = hub.instantiate(msg, &coins(SEED, DENOM)).unwrap();

    assert_eq!(staking_msgs(&response), vec![delegate_msg("val1", SEED)]);
    let replies: Vec<(u64, ReplyOn)> = response
        .messages
        .iter()
        .filter(|sub| matches!(sub.msg, CosmosMsg::Wasm(WasmMsg::Instantiate { .. })))
        .map(|sub| (sub.id, sub.reply_on.clone()))
        .collect();
    assert_eq!(
        replies,
        vec![
            (ReplyId::InstantiateToken as u64, ReplyOn::Success),
            (ReplyId::InstantiateCollector as u64, ReplyOn::Success),
        ]
    );
    assert_eq!(attr(&response, "seed"), SEED.to_string());

    let state = crate::state::STATE.load(&hub.deps.storage).unwrap();
    assert_eq!(state.total_native, u(SEED));
    assert_eq!(state.total_shares, u(SEED));
    assert_eq!(state.dead_shares, u(SEED));
    assert_eq!(state.last_sync, hub.now());
    let set: Vec<String> = hub
        .validator_list()
        .into_iter()
        .map(|v| v.address)
        .collect();
    assert_eq!(set, SET.to_vec());
    assert_eq!(hub.ledger("val1"), SEED);
    assert_eq!(hub.on_chain("val1"), SEED);
}

#[test]
fn instantiate_refuses_a_missing_seed() {
    let mut hub = Hub::bare();
    let msg = hub.default_msg();
    let err = hub.instantiate(msg, &[]).unwrap_err();
    assert_eq!(err, ContractError::Payment(PaymentError::NoFunds {}));
}

#[test]
fn instantiate_refuses_a_seed_in_another_denom() {
    let mut hub = Hub::bare();
    let msg = hub.default_msg();
    let err = hub.instantiate(msg, &coins(SEED, "uother")).unwrap_err();
    assert_eq!(
        err,
        ContractError::Payment(PaymentError::MissingDenom(DENOM.to_string()))
    );
}

#[test]
fn instantiate_refuses_a_seed_of_two_coins() {
    let mut hub = Hub::bare();
    let msg = hub.default_msg();
    let funds = vec![coin(SEED, DENOM), coin(5, "uother")];
    let err = hub.instantiate(msg, &funds).unwrap_err();
    assert_eq!(err, ContractError::Payment(PaymentError::MultipleDenoms {}));
}

#[test]
fn instantiate_refuses_an_empty_validator_set() {
    let err = try_instantiate(|msg| msg.validators.clear()).unwrap_err();
    assert_eq!(err, ContractError::NoValidators {});
}

#[test]
fn instantiate_refuses_a_validator_not_on_chain() {
    let err = try_instantiate(|msg| msg.validators.push(weight("ghost", 1))).unwrap_err();
    assert_eq!(
        err,
        ContractError::ValidatorNotOnChain {
            address: "ghost".to_string()
        }
    );
}

#[test]
fn instantiate_refuses_a_duplicate_validator() {
    let err = try_instantiate(|msg| msg.validators.push(weight("val2", 3))).unwrap_err();
    assert_eq!(
        err,
        ContractError::ValidatorExists {
            address: "val2".to_string()
        }
    );
}

#[test]
fn instantiate_refuses_a_zero_weight() {
    let err = try_instantiate(|msg| msg.validators[1].weight = 0).unwrap_err();
    assert_eq!(
        err,
        ContractError::InvalidWeight {
            weight: 0,
            max: crate::execute::validators::MAX_WEIGHT
        }
    );
}

#[test]
fn instantiate_refuses_a_fee_above_ten_percent() {
    let fee_rate = Decimal::permille(101);
    let err = try_instantiate(|msg| msg.fee_rate = fee_rate).unwrap_err();
    assert_eq!(
        err,
        ContractError::FeeTooHigh {
            fee_rate,
            max: MAX_FEE_RATE
        }
    );
    // The cap itself is allowed.
    try_instantiate(|msg| msg.fee_rate = MAX_FEE_RATE).unwrap();
}

#[test]
fn instantiate_refuses_zero_limits() {
    let cases: [(&str, Change); 4] = [
        ("min_bond", |msg| msg.min_bond = Uint128::zero()),
        ("min_unbond", |msg| msg.min_unbond = Uint128::zero()),
        ("unbonding_period", |msg| msg.unbonding_period = 0),
        ("denom", |msg| msg.denom = String::new()),
    ];
    for (field, change) in cases {
        let err = try_instantiate(change).unwrap_err();
        assert_eq!(
            err,
            ContractError::ZeroValue {
                field: field.to_string()
            },
            "{field}"
        );
    }
}

#[test]
fn instantiate_refuses_an_epoch_too_short_for_a_batch_every_epoch() {
    // Seven epochs must span the unbonding period; the entry limit itself is kept at
    // submission from the chain's completion times.
    let shortest = UNBONDING.div_ceil(7);
    try_instantiate(|msg| msg.epoch_period = shortest).unwrap();
    let err = try_instantiate(|msg| msg.epoch_period = shortest - 1).unwrap_err();
    assert_eq!(
        err,
        ContractError::EpochTooShort {
            epoch_period: shortest - 1,
            unbonding_period: UNBONDING,
        }
    );
    // A test chain's two-minute unbonding with 20-second epochs is accepted.
    try_instantiate(|msg| {
        msg.unbonding_period = 120;
        msg.epoch_period = 20;
    })
    .unwrap();
    let err = try_instantiate(|msg| msg.epoch_period = 0).unwrap_err();
    assert_eq!(
        err,
        ContractError::ZeroValue {
            field: "epoch_period".to_string()
        }
    );
}

#[test]
fn instantiate_refuses_fractions_out_of_range() {
    let shortfall: fn(&mut InstantiateMsg, Decimal) = |m, v| m.max_unbond_shortfall = v;
    let fall: fn(&mut InstantiateMsg, Decimal) = |m, v| m.rate_bounds.max_fall = v;
    let rise: fn(&mut InstantiateMsg, Decimal) = |m, v| m.rate_bounds.max_rise = v;
    let cases = [
        ("max_unbond_shortfall", Decimal::zero(), shortfall),
        ("max_unbond_shortfall", Decimal::percent(101), shortfall),
        ("rate_bounds.max_fall", Decimal::zero(), fall),
        ("rate_bounds.max_fall", Decimal::percent(150), fall),
        ("rate_bounds.max_rise", Decimal::zero(), rise),
        ("rate_bounds.max_rise", Decimal::one(), rise),
    ];
    for (field, value, change) in cases {
        let err = try_instantiate(|msg| change(msg, value)).unwrap_err();
        assert_eq!(
            err,
            ContractError::InvalidFraction {
                field: field.to_string(),
                value
            },
            "{field} = {value}"
        );
    }
}

#[test]
fn token_reply_saves_the_token_and_mints_dead_shares_to_the_hub() {
    let mut hub = Hub::bare();
    let msg = hub.default_msg();
    hub.instantiate(msg, &coins(SEED, DENOM)).unwrap();
    let token = hub.token();

    let response = hub.reply(ReplyId::InstantiateToken as u64, &token).unwrap();

    assert_eq!(TOKEN.load(&hub.deps.storage).unwrap(), token);
    let mint = Cw20ExecuteMsg::Mint {
        recipient: hub.hub_addr().to_string(),
        amount: u(SEED),
    };
    assert_eq!(cw20_msgs(&response, &token), vec![mint]);
    assert_eq!(response.messages.len(), 1);
}

#[test]
fn collector_reply_saves_the_collector_and_sets_the_withdraw_address() {
    let mut hub = Hub::bare();
    let msg = hub.default_msg();
    hub.instantiate(msg, &coins(SEED, DENOM)).unwrap();
    let collector = hub.collector();

    let response = hub
        .reply(ReplyId::InstantiateCollector as u64, &collector)
        .unwrap();

    assert_eq!(COLLECTOR.load(&hub.deps.storage).unwrap(), collector);
    let expected: CosmosMsg = DistributionMsg::SetWithdrawAddress {
        address: collector.to_string(),
    }
    .into();
    let msgs: Vec<CosmosMsg> = response.messages.iter().map(|s| s.msg.clone()).collect();
    assert_eq!(msgs, vec![expected]);
}

#[test]
fn setup_leaves_a_complete_configuration() {
    let hub = setup();
    let config: ConfigResponse = hub.query(QueryMsg::Config {});
    assert_eq!(config.token, hub.token());
    assert_eq!(config.collector, hub.collector());
    assert_eq!(config.guardian, Some(hub.guardian()));
    assert_eq!(config.denom, DENOM);
    let ownership: cw_ownable::Ownership<Addr> = hub.query(QueryMsg::Ownership {});
    assert_eq!(ownership.owner, Some(hub.owner()));
}

#[test]
fn reply_with_an_unknown_id_is_refused() {
    let mut hub = Hub::bare();
    let msg = hub.default_msg();
    hub.instantiate(msg, &coins(SEED, DENOM)).unwrap();
    let token = hub.token();
    let err = hub.reply(7, &token).unwrap_err();
    assert_eq!(err, ContractError::UnknownReply { id: 7 });
    assert!(TOKEN.may_load(&hub.deps.storage).unwrap().is_none());
}

#[test]
fn reply_without_a_contract_address_is_refused() {
    let mut hub = Hub::bare();
    let msg = hub.default_msg();
    hub.instantiate(msg, &coins(SEED, DENOM)).unwrap();
    let mut reply = instantiate_reply(ReplyId::InstantiateToken as u64, &hub.token());
    if let SubMsgResult::Ok(response) = &mut reply.result {
        response.events.clear();
    }
    let err = contract::reply(hub.deps.as_mut(), hub.env.clone(), reply).unwrap_err();
    assert_eq!(err, ContractError::ReplyWithoutAddress {});
}

//! Readers of a hub response: its messages by kind, its attributes and events.

use cosmwasm_std::{
    coin, from_json, Addr, BankMsg, Coin, CosmosMsg, Response, StakingMsg, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;

use super::DENOM;

/// The staking messages of a response, in order.
pub fn staking_msgs(response: &Response) -> Vec<StakingMsg> {
    response
        .messages
        .iter()
        .filter_map(|sub| match &sub.msg {
            CosmosMsg::Staking(msg) => Some(msg.clone()),
            _ => None,
        })
        .collect()
}

/// The cw20 messages a response sends to `token`, in order.
pub fn cw20_msgs(response: &Response, token: &Addr) -> Vec<Cw20ExecuteMsg> {
    response
        .messages
        .iter()
        .filter_map(|sub| match &sub.msg {
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr, msg, ..
            }) if contract_addr == token.as_str() => Some(from_json(msg).unwrap()),
            _ => None,
        })
        .collect()
}

/// The bank sends of a response, as (recipient, coins).
pub fn bank_sends(response: &Response) -> Vec<(String, Vec<Coin>)> {
    response
        .messages
        .iter()
        .filter_map(|sub| match &sub.msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                Some((to_address.clone(), amount.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The value of the response attribute `key`.
pub fn attr(response: &Response, key: &str) -> String {
    response
        .attributes
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .value
        .clone()
}

/// Whether the response carries the attribute `key`.
pub fn has_attr(response: &Response, key: &str) -> bool {
    response.attributes.iter().any(|a| a.key == key)
}

/// The value of attribute `key` in the event of type `ty`, if any.
pub fn event_attr(response: &Response, ty: &str, key: &str) -> Option<String> {
    response
        .events
        .iter()
        .filter(|e| e.ty == ty)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

pub fn delegate_msg(validator: &str, native: u128) -> StakingMsg {
    StakingMsg::Delegate {
        validator: validator.to_string(),
        amount: coin(native, DENOM),
    }
}

pub fn u(value: u128) -> Uint128 {
    Uint128::new(value)
}

//! The gas floor: the least a bond can cost in the VM. `execute` reads one config item, emits
//! one `Delegate` of the attached coin and one cw20 `Mint` of the same amount to the sender,
//! and does nothing else: no rate, no ledger, no validation beyond finding the coin. The gas
//! report measures the hub against it.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Coin, DepsMut, Env, MessageInfo, Response, StakingMsg, StdResult, WasmMsg,
};
use cw20::Cw20ExecuteMsg;
use cw_storage_plus::Item;
use serde::{Deserialize, Serialize};

/// Where the floor sends what it receives. Also its instantiate message.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub denom: String,
    pub validator: String,
    pub token: String,
}

pub type InstantiateMsg = Config;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    Bond {},
}

/// The one item the floor reads.
pub const CONFIG: Item<Config> = Item::new("config");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> StdResult<Response> {
    CONFIG.save(deps.storage, &msg)?;
    Ok(Response::new())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> StdResult<Response> {
    let ExecuteMsg::Bond {} = msg;
    let config = CONFIG.load(deps.storage)?;
    let native = info
        .funds
        .iter()
        .find(|coin| coin.denom == config.denom)
        .map(|coin| coin.amount)
        .unwrap_or_default();
    let delegate = StakingMsg::Delegate {
        validator: config.validator,
        amount: Coin::new(native, config.denom),
    };
    let mint = WasmMsg::Execute {
        contract_addr: config.token,
        msg: to_json_binary(&Cw20ExecuteMsg::Mint {
            recipient: info.sender.into_string(),
            amount: native,
        })?,
        funds: vec![],
    };
    Ok(Response::new().add_message(delegate).add_message(mint))
}

//! Entry points of the reward collector.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    coin, to_json_binary, BankMsg, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult,
    Storage, WasmMsg,
};
use cw2::{get_contract_version, set_contract_version};
use flowstake::collector::{ConfigResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use flowstake::hub::ExecuteMsg as HubExecuteMsg;

use crate::error::ContractError;
use crate::state::{Config, CONFIG};

/// Name recorded in cw2, checked at migration.
pub const CONTRACT_NAME: &str = "crates.io:flowstake-collector";
/// Version recorded in cw2, checked at migration.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The sender becomes the hub: the hub instantiates its own collector.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let config = Config {
        hub_addr: info.sender,
        denom: msg.denom,
    };
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("hub", config.hub_addr)
        .add_attribute("denom", config.denom))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.hub_addr {
        return Err(ContractError::Unauthorized {
            sender: info.sender.to_string(),
        });
    }
    match msg {
        ExecuteMsg::Forward {} => forward(deps.as_ref(), env, config),
        ExecuteMsg::Sweep { denoms, receiver } => {
            sweep(deps.as_ref(), env, config, denoms, receiver)
        }
    }
}

/// Sends the collector's whole balance of each denom to `receiver`: fee rewards the chain pays
/// in denoms other than the staking denom. Denoms with no balance are skipped; the hub bounds
/// the list.
fn sweep(
    deps: Deps,
    env: Env,
    config: Config,
    denoms: Vec<String>,
    receiver: String,
) -> Result<Response, ContractError> {
    let receiver_addr = deps.api.addr_validate(&receiver)?;
    let mut amounts = vec![];
    for denom in denoms {
        if denom == config.denom {
            return Err(ContractError::SweepStakingDenom { denom });
        }
        let balance = deps.querier.query_balance(&env.contract.address, &denom)?;
        if !balance.amount.is_zero() && !amounts.contains(&balance) {
            amounts.push(balance);
        }
    }
    let swept: Vec<String> = amounts.iter().map(|c| c.to_string()).collect();
    let mut response = Response::new()
        .add_attribute("action", "sweep")
        .add_attribute("receiver", &receiver_addr)
        .add_attribute("swept", swept.join(","));
    if !amounts.is_empty() {
        amounts.sort_by(|a, b| a.denom.cmp(&b.denom));
        response = response.add_message(BankMsg::Send {
            to_address: receiver_addr.to_string(),
            amount: amounts,
        });
    }
    Ok(response)
}

/// Sends the whole balance of the staking denom to the hub's `ReceiveRewards` in one message;
/// with nothing to send it sends nothing and still succeeds, so the hub can always call it.
fn forward(deps: Deps, env: Env, config: Config) -> Result<Response, ContractError> {
    let amount = deps
        .querier
        .query_balance(env.contract.address, &config.denom)?
        .amount;
    let mut response = Response::new()
        .add_attribute("action", "forward")
        .add_attribute("amount", amount);
    if !amount.is_zero() {
        response = response.add_message(WasmMsg::Execute {
            contract_addr: config.hub_addr.to_string(),
            msg: to_json_binary(&HubExecuteMsg::ReceiveRewards {})?,
            funds: vec![coin(amount.u128(), config.denom)],
        });
    }
    Ok(response)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => {
            let config = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                hub: config.hub_addr,
                denom: config.denom,
            })
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from_version = record_upgrade(deps.storage)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from_version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

/// Refuses a migration from another contract or from a newer version of this one (cw2's own
/// check; an equal version is accepted), then records this build's version. Returns the
/// version migrated from.
fn record_upgrade(storage: &mut dyn Storage) -> Result<String, ContractError> {
    let stored = get_contract_version(storage)?;
    cw2::ensure_from_older_version(storage, CONTRACT_NAME, CONTRACT_VERSION).map_err(|_| {
        ContractError::MigrationRefused {
            from: format!("{}@{}", stored.contract, stored.version),
            to: format!("{CONTRACT_NAME}@{CONTRACT_VERSION}"),
        }
    })?;
    Ok(stored.version)
}

//! Entry points. Everything is cw20-base except three restrictions (the token needs a minter,
//! only the minter burns, and the minter never changes) and one addition: the minter's
//! `MintAndSend`.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult, Storage, Uint128,
};
use cw2::{get_contract_version, set_contract_version};
use cw20::Cw20ReceiveMsg;
use cw20_base::msg::{InstantiateMsg, QueryMsg};
use cw20_base::state::TOKEN_INFO;

use crate::error::ContractError;
use crate::msg::{ExecuteMsg, MinterMsg};

/// Name recorded in cw2, checked at migration.
pub const CONTRACT_NAME: &str = "crates.io:flowstake-token";
/// Version recorded in cw2, checked at migration.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    if msg.mint.is_none() {
        return Err(ContractError::MinterRequired {});
    }
    let response = cw20_base::contract::instantiate(deps.branch(), env, info, msg)?;
    // cw20-base records its own name; this contract answers to its own.
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(response)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Minter(MinterMsg::MintAndSend {
            owner,
            contract,
            amount,
            msg,
        }) => mint_and_send(deps, env, info, owner, contract, amount, msg),
        ExecuteMsg::Cw20(msg) => {
            ensure_allowed(deps.as_ref(), &info, &msg)?;
            Ok(cw20_base::contract::execute(deps, env, info, msg)?)
        }
    }
}

/// Mints to the contract (cw20-base checks the minter and the cap) and calls its receive hook
/// in the owner's name, as a mint to the owner followed by the owner's `Send` would.
fn mint_and_send(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    owner: String,
    contract: String,
    amount: Uint128,
    msg: Binary,
) -> Result<Response, ContractError> {
    let owner_addr = deps.api.addr_validate(&owner)?;
    let contract_addr = deps.api.addr_validate(&contract)?;
    cw20_base::contract::execute_mint(deps, env, info, contract_addr.to_string(), amount)?;
    let hook = Cw20ReceiveMsg {
        sender: owner_addr.to_string(),
        amount,
        msg,
    }
    .into_cosmos_msg(contract_addr.clone())?;
    Ok(Response::new()
        .add_message(hook)
        .add_attribute("action", "mint_and_send")
        .add_attribute("owner", owner_addr)
        .add_attribute("contract", contract_addr)
        .add_attribute("amount", amount))
}

/// The one place where the token departs from cw20-base: burning is the minter's alone and
/// the minter cannot be replaced. Every other message passes unchanged.
fn ensure_allowed(
    deps: Deps,
    info: &MessageInfo,
    msg: &cw20_base::msg::ExecuteMsg,
) -> Result<(), ContractError> {
    use cw20_base::msg::ExecuteMsg;
    match msg {
        ExecuteMsg::Burn { .. } | ExecuteMsg::BurnFrom { .. } => {
            let token_info = TOKEN_INFO.load(deps.storage)?;
            let sender_is_minter = token_info
                .mint
                .is_some_and(|minter_data| minter_data.minter == info.sender);
            if sender_is_minter {
                Ok(())
            } else {
                Err(ContractError::BurnNotAllowed {
                    sender: info.sender.to_string(),
                })
            }
        }
        ExecuteMsg::UpdateMinter { .. } => Err(ContractError::MinterFixed {}),
        _ => Ok(()),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    cw20_base::contract::query(deps, env, msg)
}

/// The storage layout is cw20-base 2.0.0's from the first version, so no data moves; only the
/// cw2 version is checked and advanced.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: Empty) -> Result<Response, ContractError> {
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

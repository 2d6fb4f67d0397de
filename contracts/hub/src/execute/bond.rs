//! Bond: native in, derivative out, at the current rate.

use cosmwasm_std::{
    to_json_binary, CheckedMultiplyRatioError, DepsMut, Env, MessageInfo, Response, Uint128,
    WasmMsg,
};
use cw20::Cw20ExecuteMsg;

use crate::error::ContractError;
use crate::ledger;
use crate::math::shares_for_deposit;
use crate::state::{State, CONFIG, STATE, TOKEN};

/// Shares a deposit of `native` mints now, with the errors a bond would meet.
pub fn shares_to_mint(state: &State, native: Uint128) -> Result<Uint128, ContractError> {
    let shares = shares_for_deposit(native, state.total_native, state.total_shares).map_err(
        |err| match err {
            CheckedMultiplyRatioError::DivideByZero => ContractError::NoBacking {
                total_shares: state.total_shares,
            },
            other => ContractError::MultiplyRatio(other),
        },
    )?;
    if shares.is_zero() {
        return Err(ContractError::MintsZero { native });
    }
    Ok(shares)
}

pub fn bond(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    receiver: Option<String>,
    min_shares: Option<Uint128>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let native = cw_utils::must_pay(&info, &config.denom)?;
    let receiver_addr = match receiver {
        Some(receiver) => deps.api.addr_validate(&receiver)?,
        None => info.sender,
    };
    if native < config.min_bond {
        return Err(ContractError::BondTooSmall {
            amount: native,
            min_bond: config.min_bond,
        });
    }

    let mut state = STATE.load(deps.storage)?;
    let shares = shares_to_mint(&state, native)?;
    if let Some(min_shares) = min_shares {
        if shares < min_shares {
            return Err(ContractError::MintBelowMinimum { shares, min_shares });
        }
    }

    state.total_native = state.total_native.checked_add(native)?;
    let buffer_before = state.buffer;
    let placed = ledger::place(deps.storage, &deps.querier, &config, &mut state, native)?;
    state.total_shares = state.total_shares.checked_add(shares)?;
    state.totals.bonded = state.totals.bonded.checked_add(native)?;
    STATE.save(deps.storage, &state)?;

    let mint = WasmMsg::Execute {
        contract_addr: TOKEN.load(deps.storage)?.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Mint {
            recipient: receiver_addr.to_string(),
            amount: shares,
        })?,
        funds: vec![],
    };
    let mut response = Response::new();
    if let Some((delegate, validator)) = placed {
        response = response
            .add_message(delegate)
            .add_attribute("validator", validator);
    }
    Ok(response
        .add_message(mint)
        .add_attribute("action", "bond")
        .add_attribute("receiver", receiver_addr)
        .add_attribute("native_bonded", native)
        .add_attribute("to_buffer", state.buffer - buffer_before)
        .add_attribute("shares_minted", shares))
}

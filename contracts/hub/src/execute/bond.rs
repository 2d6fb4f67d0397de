//! Bond: native in, derivative out, at the current rate.

use cosmwasm_std::{
    to_json_binary, Addr, Api, Binary, CheckedMultiplyRatioError, DepsMut, Env, MessageInfo,
    Response, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;
use flowstake::hub::Forward;
use flowstake::token::MinterMsg;

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

/// A bond's options, as the message gives them.
pub struct BondRequest {
    pub receiver: Option<String>,
    pub min_shares: Option<Uint128>,
    pub forward: Option<Forward>,
}

/// Where the minted derivative goes: a wallet, or a contract's receive hook in the sender's
/// name.
enum Delivery {
    Mint { receiver_addr: Addr },
    Forward { contract_addr: Addr, msg: Binary },
}

/// Validates the receiver and the forward at the edge. A forward delivers in the sender's name
/// (the hook's `sender`), so it refuses another receiver: naming someone else there would let
/// anyone act in that account's name in the receiving contract.
fn delivery(
    api: &dyn Api,
    sender: &Addr,
    receiver: Option<String>,
    forward: Option<Forward>,
) -> Result<Delivery, ContractError> {
    let receiver_addr = match receiver {
        Some(receiver) => api.addr_validate(&receiver)?,
        None => sender.clone(),
    };
    match forward {
        None => Ok(Delivery::Mint { receiver_addr }),
        Some(_) if receiver_addr != sender => Err(ContractError::ForwardForAnother {
            receiver: receiver_addr.to_string(),
            sender: sender.to_string(),
        }),
        Some(Forward { contract, msg }) => Ok(Delivery::Forward {
            contract_addr: api.addr_validate(&contract)?,
            msg,
        }),
    }
}

pub fn bond(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    request: BondRequest,
) -> Result<Response, ContractError> {
    let BondRequest {
        receiver,
        min_shares,
        forward,
    } = request;
    let config = CONFIG.load(deps.storage)?;
    let native = cw_utils::must_pay(&info, &config.denom)?;
    let delivery = delivery(deps.api, &info.sender, receiver, forward)?;
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

    let (token_msg, receiver_addr, forwarded_to) = match delivery {
        Delivery::Mint { receiver_addr } => {
            let mint = to_json_binary(&Cw20ExecuteMsg::Mint {
                recipient: receiver_addr.to_string(),
                amount: shares,
            })?;
            (mint, receiver_addr, None)
        }
        Delivery::Forward { contract_addr, msg } => {
            let mint = to_json_binary(&MinterMsg::MintAndSend {
                owner: info.sender.to_string(),
                contract: contract_addr.to_string(),
                amount: shares,
                msg,
            })?;
            (mint, info.sender, Some(contract_addr))
        }
    };
    let mint = WasmMsg::Execute {
        contract_addr: TOKEN.load(deps.storage)?.to_string(),
        msg: token_msg,
        funds: vec![],
    };
    let mut response = Response::new();
    if let Some((delegate, validator)) = placed {
        response = response
            .add_message(delegate)
            .add_attribute("validator", validator);
    }
    response = response
        .add_message(mint)
        .add_attribute("action", "bond")
        .add_attribute("receiver", receiver_addr)
        .add_attribute("native_bonded", native)
        .add_attribute("shares_minted", shares);
    let to_buffer = state.buffer - buffer_before;
    if !to_buffer.is_zero() {
        response = response.add_attribute("to_buffer", to_buffer);
    }
    if let Some(contract_addr) = forwarded_to {
        response = response.add_attribute("forwarded_to", contract_addr);
    }
    Ok(response)
}

//! The unbond queue: requests join the pending batch, which is submitted once per epoch.

use cosmwasm_std::{
    from_json, to_json_binary, Addr, Coin, DepsMut, Env, Response, StakingMsg, Uint128, WasmMsg,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use flowstake::hub::ReceiveMsg;

use crate::error::ContractError;
use crate::ledger;
use crate::math::{native_for_shares, split_pro_rata};
use crate::state::{
    validators, Batch, PendingBatch, BATCHES, CONFIG, PENDING_BATCH, STATE, TOKEN, UNBOND_REQUESTS,
};

/// Time after the chain's completion of an unbonding before its batch counts as matured. The
/// chain pays matured unbondings at the end of a block, after that block's transactions, so a
/// reconcile in the very block of completion would find the funds missing and, with other
/// batches beside it, could mistake them for a slash. An hour spans hundreds of blocks.
pub const PAYOUT_MARGIN: u64 = 3_600;

fn token_msg(token: &Addr, msg: &Cw20ExecuteMsg) -> Result<WasmMsg, ContractError> {
    Ok(WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    })
}

/// The derivative token's `Send` hook. Only the hub's own token is accepted, and the request
/// belongs to the account that sent the tokens (or the receiver it names), never to the token
/// contract.
pub fn receive(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    cw20_msg: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let token = TOKEN.load(deps.storage)?;
    if sender != token {
        return Err(ContractError::ForeignToken {
            token: token.to_string(),
            sender: sender.to_string(),
        });
    }
    match from_json(&cw20_msg.msg)? {
        ReceiveMsg::QueueUnbond { receiver } => {
            let user = deps
                .api
                .addr_validate(receiver.as_deref().unwrap_or(&cw20_msg.sender))?;
            // The hub never sends its own derivative (its dead shares and the pending batch stay
            // put), and a request it owned could never be withdrawn.
            if cw20_msg.sender == env.contract.address.as_str() || user == env.contract.address {
                return Err(ContractError::HubAsRequester {});
            }
            queue(deps, env, user, cw20_msg.amount)
        }
    }
}

fn queue(deps: DepsMut, env: Env, user: Addr, shares: Uint128) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if shares < config.min_unbond {
        return Err(ContractError::UnbondTooSmall {
            shares,
            min_unbond: config.min_unbond,
        });
    }
    let mut pending = PENDING_BATCH.load(deps.storage)?;
    pending.shares = pending.shares.checked_add(shares)?;
    PENDING_BATCH.save(deps.storage, &pending)?;
    UNBOND_REQUESTS.update(deps.storage, (&user, pending.id), |existing| {
        existing
            .unwrap_or_default()
            .checked_add(shares)
            .map_err(ContractError::from)
    })?;

    let response = Response::new()
        .add_attribute("action", "queue_unbond")
        .add_attribute("user", &user)
        .add_attribute("batch_id", pending.id.to_string())
        .add_attribute("shares", shares);
    // The first request after the epoch ends submits the batch it joined.
    if env.block.time.seconds() >= pending.submit_after {
        let submitted = submit_pending(deps, &env, pending)?;
        return Ok(response
            .add_submessages(submitted.messages)
            .add_attributes(submitted.attributes)
            .add_events(submitted.events));
    }
    Ok(response)
}

pub fn cancel(deps: DepsMut, user: Addr) -> Result<Response, ContractError> {
    let mut pending = PENDING_BATCH.load(deps.storage)?;
    let key = (&user, pending.id);
    let shares = UNBOND_REQUESTS
        .may_load(deps.storage, key)?
        .ok_or_else(|| ContractError::NoPendingRequest {
            user: user.to_string(),
            batch_id: pending.id,
        })?;
    UNBOND_REQUESTS.remove(deps.storage, key);
    pending.shares = pending.shares.checked_sub(shares)?;
    PENDING_BATCH.save(deps.storage, &pending)?;

    let token = TOKEN.load(deps.storage)?;
    let transfer = Cw20ExecuteMsg::Transfer {
        recipient: user.to_string(),
        amount: shares,
    };
    Ok(Response::new()
        .add_message(token_msg(&token, &transfer)?)
        .add_attribute("action", "cancel_unbond")
        .add_attribute("user", user)
        .add_attribute("batch_id", pending.id.to_string())
        .add_attribute("shares", shares))
}

pub fn submit(deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let pending = PENDING_BATCH.load(deps.storage)?;
    let submitted = submit_pending(deps, &env, pending)?;
    Ok(submitted)
}

/// Submits the pending batch: syncs the ledger so that the conversion uses the real backing,
/// converts the batch's shares at that rate (rounding down), burns them, undelegates the
/// native from every validator in proportion to its delegation, and opens the next batch.
///
/// Undelegations happen here only, at most once per epoch, and configuration keeps seven
/// epochs longer than the unbonding period, so no validator ever holds more than seven of the
/// hub's unbonding entries. Each part is at most the validator's synced delegation, so the
/// chain never refuses it for rounding.
fn submit_pending(
    mut deps: DepsMut,
    env: &Env,
    pending: PendingBatch,
) -> Result<Response, ContractError> {
    let now = env.block.time.seconds();
    if now < pending.submit_after {
        return Err(ContractError::EpochNotElapsed {
            submit_after: pending.submit_after,
            now,
        });
    }
    if pending.shares.is_zero() {
        return Err(ContractError::EmptyBatch { id: pending.id });
    }
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let mut report = ledger::sync(&mut deps, env, &config, &mut state)?;

    let native = native_for_shares(pending.shares, state.total_native, state.total_shares)
        .map_err(|_| ContractError::NoBacking {
            total_shares: state.total_shares,
        })?;
    let delegations: Vec<Uint128> = report.validators.iter().map(|v| v.delegated).collect();
    let parts = split_pro_rata(native, &delegations).ok_or(ContractError::NoBacking {
        total_shares: state.total_shares,
    })?;
    let mut undelegations = vec![];
    for (validator, amount) in report.validators.iter_mut().zip(parts) {
        if amount.is_zero() {
            continue;
        }
        validator.delegated -= amount;
        validators().save(deps.storage, &validator.address.clone(), validator)?;
        undelegations.push(StakingMsg::Undelegate {
            validator: validator.address.clone(),
            amount: Coin::new(amount, &config.denom),
        });
    }

    state.total_native = state.total_native.checked_sub(native)?;
    state.total_shares = state.total_shares.checked_sub(pending.shares)?;
    state.totals.unbonding = state.totals.unbonding.checked_add(native)?;
    STATE.save(deps.storage, &state)?;
    let batch = Batch {
        id: pending.id,
        shares: pending.shares,
        native_expected: native,
        native_received: Uint128::zero(),
        reconciled: false,
        submitted_at: now,
        completes_at: now + config.unbonding_period + PAYOUT_MARGIN,
        shares_claimed: Uint128::zero(),
        native_claimed: Uint128::zero(),
    };
    BATCHES.save(deps.storage, batch.id, &batch)?;
    PENDING_BATCH.save(
        deps.storage,
        &PendingBatch {
            id: pending.id + 1,
            shares: Uint128::zero(),
            submit_after: now + config.epoch_period,
        },
    )?;

    let token = TOKEN.load(deps.storage)?;
    let burn = Cw20ExecuteMsg::Burn {
        amount: pending.shares,
    };
    Ok(Response::new()
        .add_event(report.event)
        .add_message(token_msg(&token, &burn)?)
        .add_messages(undelegations)
        .add_attribute("action", "submit_batch")
        .add_attribute("batch_id", batch.id.to_string())
        .add_attribute("shares_burned", pending.shares)
        .add_attribute("native_unbonded", native)
        .add_attribute("completes_at", batch.completes_at.to_string()))
}

//! Harvest, the collector's forward of rewards, and the permissionless ledger sync.

use cosmwasm_std::{
    to_json_binary, BankMsg, Coin, DepsMut, DistributionMsg, Env, MessageInfo, Response, Uint128,
    WasmMsg,
};

use crate::error::ContractError;
use crate::ledger;
use crate::math::{buffer_excess, fee_split};
use crate::state::{Validator, COLLECTOR, CONFIG, HARVEST_CURSOR, STATE};
use flowstake::{MAX_HARVEST_WITHDRAWALS, MAX_SWEEP_DENOMS};

/// Syncs the ledger, withdraws the rewards of up to [`MAX_HARVEST_WITHDRAWALS`] delegations
/// into the collector (in address order from where the last harvest stopped, so every
/// delegation takes its turn whatever the size of the set), re-stakes
/// the surplus found at reconcile (as unvested rewards: it enters the rate gradually), and has
/// the collector forward what it holds. The forward
/// comes last, so rewards the chain paid out automatically since the last harvest travel with
/// it and are counted once, in `receive_rewards`.
pub fn harvest(mut deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let report = ledger::sync(&mut deps, &env, &config, &mut state)?;

    let mut response = Response::new().add_event(report.event);
    let turn = harvest_turn(&report.validators, HARVEST_CURSOR.may_load(deps.storage)?);
    if let Some(last) = turn.last() {
        HARVEST_CURSOR.save(deps.storage, &last.address)?;
    }
    for validator in &turn {
        response = response.add_message(DistributionMsg::WithdrawDelegatorReward {
            validator: validator.address.clone(),
        });
    }

    let surplus = state.unlocked_surplus;
    if !surplus.is_zero() {
        state.unlocked_surplus = Uint128::zero();
        if let Some((delegate, _)) =
            ledger::place(deps.storage, &deps.querier, &config, &mut state, surplus)?
        {
            response = response.add_message(delegate);
        }
        state.unvested_rewards = state.unvested_rewards.checked_add(surplus)?;
        ledger::vest(&mut state, &config, env.block.time.seconds());
    }
    // A buffer above its target (the target lowered, or the backing fallen) is staked again,
    // counting the top-ups on their way to it.
    let excess = buffer_excess(
        state.buffer.checked_add(state.buffer_incoming)?,
        state.total_native,
        config.liquidity.buffer_target,
    )
    .min(state.buffer);
    if !excess.is_zero() {
        let (delegate, _) = ledger::delegate(deps.storage, &deps.querier, excess, &config.denom)?;
        state.buffer -= excess;
        response = response.add_message(delegate);
    }
    ledger::save_state(deps.storage, &state, &env)?;

    let forward = WasmMsg::Execute {
        contract_addr: COLLECTOR.load(deps.storage)?.to_string(),
        msg: to_json_binary(&flowstake::collector::ExecuteMsg::Forward {})?,
        funds: vec![],
    };
    Ok(response
        .add_message(forward)
        .add_attribute("action", "harvest")
        .add_attribute("withdrawn", turn.len().to_string())
        .add_attribute("surplus_restaked", surplus)
        .add_attribute("buffer_excess_staked", excess)
        .add_attribute("slashed", report.slashed))
}

/// The delegations whose rewards this harvest withdraws: the next
/// [`MAX_HARVEST_WITHDRAWALS`] validators holding stake after `cursor` (address order),
/// wrapping round to the first; each at most once.
fn harvest_turn(set: &[Validator], cursor: Option<String>) -> Vec<&Validator> {
    let holding: Vec<&Validator> = set.iter().filter(|v| !v.delegated.is_zero()).collect();
    let start = cursor.map_or(0, |cursor| {
        holding.iter().position(|v| v.address > cursor).unwrap_or(0)
    });
    holding
        .iter()
        .cycle()
        .skip(start)
        .take(holding.len().min(MAX_HARVEST_WITHDRAWALS))
        .copied()
        .collect()
}

/// The collector's forward: the attached funds are what the collector received, rewards and
/// anything anyone sent it. The fee goes to the fee receiver and the rest is delegated as
/// unvested rewards, which enter the rate at most at a plausible reward rate for the time
/// elapsed ([`ledger::vest`]): a transfer to the collector cannot move the rate in one step by
/// more than a plausible reward, nor trip the rate breaker.
pub fn receive_rewards(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    if info.sender != COLLECTOR.load(deps.storage)? {
        return Err(ContractError::NotCollector {
            sender: info.sender.to_string(),
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let rewards = cw_utils::must_pay(&info, &config.denom)?;
    let (fee, native_to_stake) = fee_split(rewards, config.fee_rate);

    let mut state = STATE.load(deps.storage)?;
    let mut response = Response::new().add_attribute("action", "receive_rewards");
    if let Some((delegate, validator)) = ledger::place(
        deps.storage,
        &deps.querier,
        &config,
        &mut state,
        native_to_stake,
    )? {
        response = response
            .add_message(delegate)
            .add_attribute("validator", validator);
    }
    state.unvested_rewards = state.unvested_rewards.checked_add(native_to_stake)?;
    state.totals.rewards = state.totals.rewards.checked_add(rewards)?;
    state.totals.fees = state.totals.fees.checked_add(fee)?;
    let vested = ledger::vest(&mut state, &config, env.block.time.seconds());
    // Vesting moves the rate: the history's newest point follows it.
    ledger::save_state(deps.storage, &state, &env)?;

    if !fee.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: config.fee_receiver.to_string(),
            amount: vec![Coin::new(fee, &config.denom)],
        });
    }
    Ok(response
        .add_attribute("rewards", rewards)
        .add_attribute("fee", fee)
        .add_attribute("native_restaked", native_to_stake)
        .add_attribute("rewards_vested", vested)
        .add_attribute("unvested_rewards", state.unvested_rewards))
}

/// Has the collector send its balance of each of `denoms` (fee rewards the chain pays in other
/// denoms) to the fee receiver. Permissionless and bounded.
pub fn sweep_rewards(deps: DepsMut, denoms: Vec<String>) -> Result<Response, ContractError> {
    if denoms.len() > MAX_SWEEP_DENOMS {
        return Err(ContractError::TooManySweepDenoms {
            count: denoms.len(),
            max: MAX_SWEEP_DENOMS,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let sweep = WasmMsg::Execute {
        contract_addr: COLLECTOR.load(deps.storage)?.to_string(),
        msg: to_json_binary(&flowstake::collector::ExecuteMsg::Sweep {
            denoms: denoms.clone(),
            receiver: config.fee_receiver.to_string(),
        })?,
        funds: vec![],
    };
    Ok(Response::new()
        .add_message(sweep)
        .add_attribute("action", "sweep_rewards")
        .add_attribute("denoms", denoms.join(","))
        .add_attribute("receiver", config.fee_receiver))
}

pub fn sync(mut deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let report = ledger::sync(&mut deps, &env, &config, &mut state)?;
    ledger::save_state(deps.storage, &state, &env)?;
    Ok(Response::new()
        .add_event(report.event)
        .add_attribute("action", "sync")
        .add_attribute("slashed", report.slashed))
}

//! The hub's ledger of delegations: where new stake goes, and how the ledger is brought back in
//! line with the chain.

use std::collections::HashMap;

use cosmwasm_std::{DepsMut, Env, Event, Order, StakingMsg, Storage, Uint128};
use flowstake::hub::Operation;

use crate::error::ContractError;
use crate::math::{exchange_rate, rate_move, RateMove};
use crate::state::{validators, Config, State, Validator, PAUSED};

/// The active validator furthest below its target share: the lowest delegation per unit of
/// weight. One index read, whatever the size of the set.
pub fn delegation_target(storage: &dyn Storage) -> Result<Validator, ContractError> {
    let first = validators()
        .idx
        .load
        .range(storage, None, None, Order::Ascending)
        .next()
        .transpose()?;
    match first {
        Some((_, validator)) if validator.is_active() => Ok(validator),
        _ => Err(ContractError::NoActiveValidator {}),
    }
}

/// Books `amount` as delegated to the target validator and returns the message that does it.
/// The caller adds `amount` to the state's total.
pub fn delegate(
    storage: &mut dyn Storage,
    amount: Uint128,
    denom: &str,
) -> Result<(StakingMsg, String), ContractError> {
    let mut target = delegation_target(storage)?;
    target.delegated = target.delegated.checked_add(amount)?;
    validators().save(storage, &target.address.clone(), &target)?;
    let msg = StakingMsg::Delegate {
        validator: target.address.clone(),
        amount: cosmwasm_std::Coin::new(amount, denom),
    };
    Ok((msg, target.address))
}

/// Adds `amount` to a validator's ledger entry, keeping the load index in step.
pub fn add_to_ledger(
    storage: &mut dyn Storage,
    validator: &mut Validator,
    amount: Uint128,
) -> Result<(), ContractError> {
    validator.delegated = validator.delegated.checked_add(amount)?;
    validators().save(storage, &validator.address.clone(), validator)?;
    Ok(())
}

/// All validators of the set, in address order.
pub fn all_validators(storage: &dyn Storage) -> Result<Vec<Validator>, ContractError> {
    validators()
        .range(storage, None, None, Order::Ascending)
        .map(|item| Ok(item?.1))
        .collect()
}

/// What a sync found.
pub struct SyncReport {
    /// The whole set, ledger corrected, in address order.
    pub validators: Vec<Validator>,
    /// Stake found missing since the last sync, booked as a slash.
    pub slashed: Uint128,
    /// Stake of the hub found beyond the ledger (share rounding), booked as surplus.
    pub surplus: Uint128,
    pub event: Event,
}

/// Reads every delegation of the hub in one query and brings the ledger of the set in line
/// with the chain:
/// - where the chain holds less (a slash, or share rounding on a delegation), the ledger is
///   lowered and the difference booked as a slash;
/// - where it holds more, the difference is the hub's own stake that share rounding left
///   behind (after a slash, an undelegation or redelegation of `a` tokens may take shares worth
///   `a - 1` and leave the rest delegated): no one else can delegate in the hub's name, so it
///   is booked as surplus, already staked;
/// - a validator whose delegation fell to nothing although the ledger held some (slashed to
///   zero tokens: the chain refuses any new delegation to it) is paused, so that bonds go
///   elsewhere; governance unpauses or removes it.
///
/// If the rate moved beyond the configured bounds since the last sync, bond and unbond pause
/// themselves and the event says why.
pub fn sync(
    deps: &mut DepsMut,
    env: &Env,
    config: &Config,
    state: &mut State,
) -> Result<SyncReport, ContractError> {
    let storage = &mut *deps.storage;
    let on_chain: HashMap<String, Uint128> = deps
        .querier
        .query_all_delegations(&env.contract.address)?
        .into_iter()
        .filter(|d| d.amount.denom == config.denom)
        .map(|d| (d.validator, d.amount.amount))
        .collect();
    let mut set = all_validators(storage)?;
    let mut slashed = Uint128::zero();
    let mut surplus = Uint128::zero();
    let mut emptied = vec![];
    for validator in set.iter_mut() {
        let chain_amount = on_chain
            .get(&validator.address)
            .copied()
            .unwrap_or_default();
        if chain_amount == validator.delegated {
            continue;
        }
        if chain_amount < validator.delegated {
            slashed += validator.delegated - chain_amount;
            if chain_amount.is_zero() && !validator.paused {
                validator.paused = true;
                emptied.push(validator.address.clone());
            }
        } else {
            surplus = surplus.checked_add(chain_amount - validator.delegated)?;
        }
        validator.delegated = chain_amount;
        validators().save(storage, &validator.address.clone(), validator)?;
    }
    book_slash(state, slashed)?;
    state.total_native = state.total_native.checked_add(surplus)?;
    state.totals.surplus = state.totals.surplus.checked_add(surplus)?;

    let rate = exchange_rate(state.total_native, state.total_shares);
    let mut event = Event::new("flowstake_sync")
        .add_attribute("slashed", slashed)
        .add_attribute("surplus", surplus)
        .add_attribute("exchange_rate", rate.to_string());
    if !emptied.is_empty() {
        event = event.add_attribute("paused_validators", emptied.join(","));
    }
    let moved = rate_move(state.last_sync_rate, rate, &config.rate_bounds);
    if moved != RateMove::Within {
        let mut paused = PAUSED.load(storage)?;
        for operation in [Operation::Bond, Operation::Unbond] {
            if !paused.contains(&operation) {
                paused.push(operation);
            }
        }
        PAUSED.save(storage, &paused)?;
        let reason = match moved {
            RateMove::FellBeyond => "rate_fell_beyond_bound",
            _ => "rate_rose_beyond_bound",
        };
        event = event
            .add_attribute("paused", "bond,unbond")
            .add_attribute("reason", reason)
            .add_attribute("previous_rate", state.last_sync_rate.to_string());
    }
    state.last_sync = env.block.time.seconds();
    state.last_sync_rate = rate;
    Ok(SyncReport {
        validators: set,
        slashed,
        surplus,
        event,
    })
}

/// Lowers the backing by a loss found on bonded stake.
pub fn book_slash(state: &mut State, slashed: Uint128) -> Result<(), ContractError> {
    state.total_native = state.total_native.checked_sub(slashed)?;
    state.totals.slashed = state.totals.slashed.checked_add(slashed)?;
    Ok(())
}

//! Governance of the validator set. The owner check is made before dispatch (`guard`).

use cosmwasm_std::{Coin, DepsMut, Env, Order, QuerierWrapper, Response, StakingMsg, Uint128};

use crate::error::ContractError;
use crate::ledger::{add_to_ledger, all_validators, book_slash};
use crate::math::split_pro_rata;
use crate::state::{validators, Validator, CONFIG, STATE, SUBMISSION};
use flowstake::MAX_REDELEGATION_TARGETS;

/// Most validators the set may hold: bounds every loop over the set.
pub const MAX_VALIDATORS: u32 = 200;
/// Largest target weight of one validator.
pub const MAX_WEIGHT: u64 = 1_000_000;

pub fn check_weight(weight: u64) -> Result<(), ContractError> {
    if weight == 0 || weight > MAX_WEIGHT {
        return Err(ContractError::InvalidWeight {
            weight,
            max: MAX_WEIGHT,
        });
    }
    Ok(())
}

pub fn check_on_chain(querier: &QuerierWrapper, address: &str) -> Result<(), ContractError> {
    if querier.query_validator(address)?.is_none() {
        return Err(ContractError::ValidatorNotOnChain {
            address: address.to_string(),
        });
    }
    Ok(())
}

fn load(deps: &DepsMut, address: &str) -> Result<Validator, ContractError> {
    validators()
        .may_load(deps.storage, address)?
        .ok_or_else(|| ContractError::UnknownValidator {
            address: address.to_string(),
        })
}

pub fn add(deps: DepsMut, address: String, weight: u64) -> Result<Response, ContractError> {
    check_weight(weight)?;
    if validators().has(deps.storage, &address) {
        return Err(ContractError::ValidatorExists { address });
    }
    let count = validators()
        .keys_raw(deps.storage, None, None, Order::Ascending)
        .count();
    if count >= MAX_VALIDATORS as usize {
        return Err(ContractError::TooManyValidators {
            max: MAX_VALIDATORS,
        });
    }
    check_on_chain(&deps.querier, &address)?;
    let validator = Validator {
        address: address.clone(),
        weight,
        paused: false,
        inactive: false,
        delegated: Uint128::zero(),
    };
    validators().save(deps.storage, &address, &validator)?;
    Ok(Response::new()
        .add_attribute("action", "add_validator")
        .add_attribute("validator", address)
        .add_attribute("weight", weight.to_string()))
}

pub fn set_weight(deps: DepsMut, address: String, weight: u64) -> Result<Response, ContractError> {
    check_weight(weight)?;
    let mut validator = load(&deps, &address)?;
    validator.weight = weight;
    validators().save(deps.storage, &address, &validator)?;
    Ok(Response::new()
        .add_attribute("action", "set_validator_weight")
        .add_attribute("validator", address)
        .add_attribute("weight", weight.to_string()))
}

pub fn set_paused(deps: DepsMut, address: String, paused: bool) -> Result<Response, ContractError> {
    let mut validator = load(&deps, &address)?;
    validator.paused = paused;
    validators().save(deps.storage, &address, &validator)?;
    let action = if paused {
        "pause_validator"
    } else {
        "unpause_validator"
    };
    Ok(Response::new()
        .add_attribute("action", action)
        .add_attribute("validator", address))
}

/// Removes a validator and redelegates its whole stake to the remaining active validators in
/// proportion to their weights. The chain's own figures decide: what it holds is what moves
/// (any shortfall against the ledger is booked as a slash first), and if part of the stake
/// cannot be redelegated yet (an incoming redelegation still maturing), removal is refused
/// rather than leaving stake behind.
/// Removes a validator from the set and redelegates the hub's stake on it to the
/// [`MAX_REDELEGATION_TARGETS`] least loaded active validators, in proportion to their weights.
/// Refused while a batch is being submitted over several calls: its undelegations are spread
/// over the set as it was.
pub fn remove(deps: DepsMut, env: Env, address: String) -> Result<Response, ContractError> {
    if let Some(submission) = SUBMISSION.may_load(deps.storage)? {
        return Err(ContractError::SubmissionInProgress {
            batch_id: submission.batch_id,
            native_left: STATE.load(deps.storage)?.submitting,
        });
    }
    let removed = load(&deps, &address)?;
    let config = CONFIG.load(deps.storage)?;
    let hub = env.contract.address;
    let (on_chain, can_redelegate) = match deps.querier.query_delegation(&hub, &address)? {
        Some(full) => (full.amount.amount, full.can_redelegate.amount),
        None => (Uint128::zero(), Uint128::zero()),
    };
    if can_redelegate < on_chain {
        return Err(ContractError::RedelegationMaturing {
            address,
            delegated: on_chain,
            can_redelegate,
        });
    }
    let mut rest = vec![];
    for mut validator in all_validators(deps.storage)? {
        if validator.address == address || !validator.is_active() {
            continue;
        }
        // Only a validator holding none of the hub's stake can have been deleted by the
        // chain since the last sync; a redelegation into it would fail the removal.
        if validator.delegated.is_zero()
            && deps.querier.query_validator(&validator.address)?.is_none()
        {
            validator.inactive = true;
            validators().save(deps.storage, &validator.address.clone(), &validator)?;
            continue;
        }
        rest.push(validator);
    }
    if rest.is_empty() {
        return Err(ContractError::NoActiveValidator {});
    }
    // The least loaded first, then back in address order: with no more candidates than the
    // bound, every active validator takes a part, as weights say.
    rest.sort_by_key(Validator::load);
    rest.truncate(MAX_REDELEGATION_TARGETS);
    rest.sort_by(|a, b| a.address.cmp(&b.address));

    let mut state = STATE.load(deps.storage)?;
    let slashed = removed.delegated.saturating_sub(on_chain);
    // No batch is being submitted (checked above), so the loss is the holders' alone.
    book_slash(&mut state, slashed, Uint128::zero())?;
    // Stake the ledger never booked cannot appear by itself; if the chain holds more, it is
    // moved too and counted as surplus so that nothing stays behind.
    let surplus = on_chain.saturating_sub(removed.delegated);
    state.total_native += surplus;
    state.totals.surplus += surplus;
    STATE.save(deps.storage, &state)?;

    let weights: Vec<Uint128> = rest.iter().map(|v| Uint128::from(v.weight)).collect();
    let mut parts =
        split_pro_rata(on_chain, &weights).ok_or(ContractError::NoActiveValidator {})?;
    fold_single_units(&mut parts);
    let mut msgs = vec![];
    for (destination, amount) in rest.iter_mut().zip(parts) {
        if amount.is_zero() {
            continue;
        }
        add_to_ledger(deps.storage, destination, amount)?;
        msgs.push(StakingMsg::Redelegate {
            src_validator: address.clone(),
            dst_validator: destination.address.clone(),
            amount: Coin::new(amount, &config.denom),
        });
    }
    validators().remove(deps.storage, &address)?;

    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute("action", "remove_validator")
        .add_attribute("validator", address)
        .add_attribute("redelegated", on_chain)
        .add_attribute("slashed", slashed))
}

/// Moves every one-unit part into the largest part. After a slash, one token may stand for
/// shares worth less than a token, which the chain refuses to redelegate
/// (`ErrTinyRedelegationAmount`), failing the whole removal; two or more tokens always move.
/// A stake of exactly one unit stays one part: writing it off could leave the hub with shares
/// and no backing, and on a validator that was never slashed it moves.
fn fold_single_units(parts: &mut [Uint128]) {
    let Some(largest) = (0..parts.len()).max_by_key(|&i| (parts[i], std::cmp::Reverse(i))) else {
        return;
    };
    for index in 0..parts.len() {
        if index != largest && parts[index] == Uint128::one() {
            parts[index] = Uint128::zero();
            parts[largest] += Uint128::one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(values: &[u128]) -> Vec<Uint128> {
        values.iter().map(|v| Uint128::new(*v)).collect()
    }

    #[test]
    fn single_units_move_into_the_largest_part() {
        let mut split = parts(&[1, 5, 1, 5, 0, 2]);
        fold_single_units(&mut split);
        // The first of the largest parts takes both single units; the sum is kept.
        assert_eq!(split, parts(&[0, 7, 0, 5, 0, 2]));

        let mut tiny = parts(&[1, 1, 1]);
        fold_single_units(&mut tiny);
        assert_eq!(tiny, parts(&[3, 0, 0]));

        let mut one = parts(&[0, 1]);
        fold_single_units(&mut one);
        assert_eq!(one, parts(&[0, 1]));
    }
}

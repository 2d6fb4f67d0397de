//! x/distribution on the strict chain: every bonded validator's reward index grows each second
//! by `apr * (1 - commission)` per token; a delegation earns its tokens times the growth of the
//! index since its reward period started. A withdrawal pays the whole tokens to the withdraw
//! address and drops the fraction (x/distribution sends it to the community pool), then starts
//! a new period. The chain withdraws by itself before any change of a delegation's shares
//! (the `BeforeDelegationSharesModified` hook).

use cosmwasm_std::{
    Addr, BlockInfo, Coin, CustomMsg, CustomQuery, Event, Order, StdResult, Storage, Timestamp,
    Uint128, Uint256,
};
use cw_multi_test::error::AnyResult;
use cw_multi_test::BankSudo;

use super::error::ChainError;
use super::math::{index_per_second, rewards_of, whole_tokens};
use super::state::{
    load_validator, params, withdraw_address, ChainParams, DelegationState, ValidatorState,
    ValidatorStatus, DELEGATIONS,
};
use super::Env;

/// The validator's reward index at `now`. Only a bonded validator earns: a jailed one has left
/// the active set, and x/distribution allocates rewards to the active set only.
pub fn current_index(validator: &ValidatorState, params: &ChainParams, now: Timestamp) -> Uint256 {
    if validator.status != ValidatorStatus::Bonded {
        return validator.reward_index;
    }
    let seconds = now.seconds().saturating_sub(validator.index_time.seconds());
    validator.reward_index
        + index_per_second(params.apr, validator.info.commission) * Uint256::from(seconds)
}

/// Brings the stored index up to `now`, before the validator's status changes.
pub fn touch_index(validator: &mut ValidatorState, params: &ChainParams, now: Timestamp) {
    validator.reward_index = current_index(validator, params, now);
    validator.index_time = now;
}

/// Rewards a delegation has earned and not withdrawn, in index units.
pub fn pending_units(
    delegation: &DelegationState,
    validator: &ValidatorState,
    index_now: Uint256,
) -> Uint256 {
    delegation.accrued
        + rewards_of(
            delegation.shares,
            validator.tokens,
            validator.delegator_shares,
            index_now.saturating_sub(delegation.index_start),
        )
}

/// Pending rewards of `delegator` at `validator`, in index units; `None` without a delegation.
pub fn pending_rewards(
    storage: &dyn Storage,
    block: &BlockInfo,
    delegator: &Addr,
    validator: &str,
) -> Result<Option<Uint256>, ChainError> {
    let Some(delegation) = DELEGATIONS.may_load(storage, (delegator, validator))? else {
        return Ok(None);
    };
    let params = params(storage)?;
    let validator = load_validator(storage, validator)?;
    let index = current_index(&validator, &params, block.time);
    Ok(Some(pending_units(&delegation, &validator, index)))
}

/// Withdraws the rewards of one delegation: pays the whole tokens to the withdraw address (no
/// transfer when they are zero, as on a chain) and starts a new reward period.
pub fn withdraw<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    delegator: &Addr,
    validator_address: &str,
) -> AnyResult<(Uint128, Event)> {
    let params = params(storage)?;
    let validator = load_validator(storage, validator_address)?;
    let mut delegation = DELEGATIONS
        .may_load(storage, (delegator, validator_address))?
        .ok_or_else(|| ChainError::NoDelegation {
            delegator: delegator.to_string(),
            validator: validator_address.to_string(),
        })?;
    let index = current_index(&validator, &params, env.block.time);
    let paid = whole_tokens(pending_units(&delegation, &validator, index));
    delegation.accrued = Uint256::zero();
    delegation.index_start = index;
    delegation.rewards_since = env.block.time;
    DELEGATIONS.save(storage, (delegator, validator_address), &delegation)?;

    if !paid.is_zero() {
        let receiver = withdraw_address(storage, delegator)?;
        let mint = BankSudo::Mint {
            to_address: receiver.into_string(),
            amount: vec![Coin::new(paid, &params.bonded_denom)],
        };
        env.router.sudo(env.api, storage, env.block, mint.into())?;
    }
    let event = Event::new("withdraw_rewards")
        .add_attribute("amount", format!("{paid}{}", params.bonded_denom))
        .add_attribute("validator", validator_address)
        .add_attribute("delegator", delegator.as_str());
    Ok((paid, event))
}

/// x/distribution `BeforeValidatorSlashed`: books every delegation's rewards at the stake it
/// had before the slash, so that the slash only lowers what is earned after it.
pub fn settle_before_slash(
    storage: &mut dyn Storage,
    validator: &ValidatorState,
    index_now: Uint256,
) -> StdResult<()> {
    let address = validator.info.address.as_str();
    let delegations: Vec<(Addr, DelegationState)> = DELEGATIONS
        .range(storage, None, None, Order::Ascending)
        .filter_map(|item| match item {
            Ok(((delegator, validator), delegation)) if validator == address => {
                Some(Ok((delegator, delegation)))
            }
            Ok(_) => None,
            Err(err) => Some(Err(err)),
        })
        .collect::<StdResult<_>>()?;
    for (delegator, mut delegation) in delegations {
        delegation.accrued = pending_units(&delegation, validator, index_now);
        delegation.index_start = index_now;
        DELEGATIONS.save(storage, (&delegator, address), &delegation)?;
    }
    Ok(())
}

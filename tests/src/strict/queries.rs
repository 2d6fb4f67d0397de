//! The staking queries of the strict chain, answered as wasmd answers them.

use cosmwasm_std::{
    to_json_binary, Addr, AllDelegationsResponse, AllValidatorsResponse, Api, Binary, BlockInfo,
    BondedDenomResponse, Coin, Delegation, DelegationResponse, FullDelegation, Order, StakingQuery,
    StdResult, Storage, ValidatorResponse,
};
use cw_multi_test::error::AnyResult;

use super::error::ChainError;
use super::math::{tokens_from_shares, whole_tokens};
use super::rewards::pending_rewards;
use super::state::{
    has_receiving_redelegation, load_validator, params, ValidatorStatus, DELEGATIONS, VALIDATORS,
};

pub fn staking_query(
    api: &dyn Api,
    storage: &dyn Storage,
    block: &BlockInfo,
    request: StakingQuery,
) -> AnyResult<Binary> {
    match request {
        StakingQuery::BondedDenom {} => Ok(to_json_binary(&BondedDenomResponse::new(
            params(storage)?.bonded_denom,
        ))?),
        StakingQuery::AllDelegations { delegator } => {
            let delegator = api.addr_validate(&delegator)?;
            Ok(to_json_binary(&AllDelegationsResponse::new(
                all_delegations(storage, &delegator)?,
            ))?)
        }
        StakingQuery::Delegation {
            delegator,
            validator,
        } => {
            let delegator = api.addr_validate(&delegator)?;
            let full = full_delegation(storage, block, delegator, validator)?;
            Ok(to_json_binary(&DelegationResponse::new(full))?)
        }
        // wasmd answers with the bonded validators only.
        StakingQuery::AllValidators {} => {
            let validators = VALIDATORS
                .range(storage, None, None, Order::Ascending)
                .filter_map(|item| match item {
                    Ok((_, state)) if state.status == ValidatorStatus::Bonded => {
                        Some(Ok(state.info))
                    }
                    Ok(_) => None,
                    Err(err) => Some(Err(err)),
                })
                .collect::<StdResult<Vec<_>>>()?;
            Ok(to_json_binary(&AllValidatorsResponse::new(validators))?)
        }
        // Any validator, whatever its status.
        StakingQuery::Validator { address } => {
            let validator = VALIDATORS
                .may_load(storage, &address)?
                .map(|state| state.info);
            Ok(to_json_binary(&ValidatorResponse::new(validator))?)
        }
        other => Err(ChainError::Unsupported {
            what: format!("{other:?}"),
        }
        .into()),
    }
}

/// Every delegation of `delegator`, each worth its shares at the validator's exchange rate,
/// rounded down.
fn all_delegations(storage: &dyn Storage, delegator: &Addr) -> AnyResult<Vec<Delegation>> {
    let denom = params(storage)?.bonded_denom;
    let mut delegations = vec![];
    for item in DELEGATIONS
        .prefix(delegator)
        .range(storage, None, None, Order::Ascending)
    {
        let (validator, delegation) = item?;
        let state = load_validator(storage, &validator)?;
        let amount = tokens_from_shares(delegation.shares, state.tokens, state.delegator_shares);
        delegations.push(Delegation::new(
            delegator.clone(),
            validator,
            Coin::new(amount, &denom),
        ));
    }
    Ok(delegations)
}

fn full_delegation(
    storage: &dyn Storage,
    block: &BlockInfo,
    delegator: Addr,
    validator: String,
) -> AnyResult<Option<FullDelegation>> {
    let Some(delegation) = DELEGATIONS.may_load(storage, (&delegator, &validator))? else {
        return Ok(None);
    };
    let denom = params(storage)?.bonded_denom;
    let state = load_validator(storage, &validator)?;
    let amount = Coin::new(
        tokens_from_shares(delegation.shares, state.tokens, state.delegator_shares),
        &denom,
    );
    // wasmd: a delegation receiving a redelegation still maturing cannot be redelegated at all
    // (x/staking refuses any transitive redelegation); otherwise all of it can.
    let can_redelegate = if has_receiving_redelegation(storage, &delegator, &validator)? {
        Coin::new(0u128, &denom)
    } else {
        amount.clone()
    };
    let units = pending_rewards(storage, block, &delegator, &validator)?.unwrap_or_default();
    let accumulated_rewards = if units.is_zero() {
        vec![]
    } else {
        vec![Coin::new(whole_tokens(units), &denom)]
    };
    Ok(Some(FullDelegation::new(
        delegator,
        validator,
        amount,
        can_redelegate,
        accumulated_rewards,
    )))
}

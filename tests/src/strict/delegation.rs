//! x/staking's delegation messages on the strict chain: delegate, undelegate, redelegate, with
//! the chain's share arithmetic, entry limits and redelegation rules, and the automatic
//! withdrawal of rewards before every change of a delegation.

use cosmwasm_std::{
    Addr, BankMsg, Binary, Coin, CustomMsg, CustomQuery, Decimal256, Event, Storage, Timestamp,
    Uint128, Uint256,
};
use cw_multi_test::error::AnyResult;
use cw_multi_test::AppResponse;
use flowstake::chain::MsgUndelegateResponse;
use prost::Message;

use super::error::ChainError;
use super::math::{shares_for_delegation, shares_from_tokens, tokens_from_shares};
use super::rewards::{current_index, withdraw};
use super::state::{
    has_receiving_redelegation, is_removable, load_validator, note_maturity, params,
    remove_validator, save_validator, ChainParams, DelegationState, RedelegationEntry,
    UnbondingEntry, ValidatorStatus, DELEGATIONS, MAX_ENTRIES, REDELEGATIONS, UNBONDINGS,
};
use super::Env;

/// `ValidateBasic` of the three messages: a positive amount of the bonded denom.
fn check_amount(params: &ChainParams, amount: &Coin) -> Result<(), ChainError> {
    if amount.denom != params.bonded_denom {
        return Err(ChainError::BadDenom {
            got: amount.denom.clone(),
            expected: params.bonded_denom.clone(),
        });
    }
    if amount.amount.is_zero() {
        return Err(ChainError::ZeroAmount {});
    }
    Ok(())
}

/// `MsgDelegate`: moves the tokens to the staking pool and issues shares.
pub fn delegate<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    delegator: &Addr,
    validator: &str,
    amount: Coin,
) -> AnyResult<AppResponse> {
    let params = params(storage)?;
    load_validator(storage, validator)?;
    check_amount(&params, &amount)?;
    let send = BankMsg::Send {
        to_address: env.pool.to_string(),
        amount: vec![amount.clone()],
    };
    env.router
        .execute(env.api, storage, env.block, delegator.clone(), send.into())?;
    let (shares, mut events) = add_shares(env, storage, delegator, validator, amount.amount)?;
    events.push(
        Event::new("delegate")
            .add_attribute("validator", validator)
            .add_attribute("amount", amount.to_string())
            .add_attribute("new_shares", shares.to_string()),
    );
    Ok(AppResponse {
        events,
        ..AppResponse::default()
    })
}

/// `MsgUndelegate`: refused when the pair already has `MAX_ENTRIES` unbonding entries (checked
/// before the merge, as x/staking does); an entry created in the same block with the same
/// completion time is merged into the existing one. The response's `data` is the protobuf
/// `MsgUndelegateResponse` the chain returns: the completion time and the tokens this message
/// unbonded (after share rounding), which cw-multi-test hands to a reply in `msg_responses`.
pub fn undelegate<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    delegator: &Addr,
    validator: &str,
    amount: Coin,
) -> AnyResult<AppResponse> {
    let params = params(storage)?;
    check_amount(&params, &amount)?;
    let shares = validate_unbond_amount(storage, delegator, validator, amount.amount)?;
    let mut entries = UNBONDINGS
        .may_load(storage, (delegator, validator))?
        .unwrap_or_default();
    if entries.len() >= MAX_ENTRIES {
        return Err(ChainError::MaxUnbondingEntries {
            delegator: delegator.to_string(),
            validator: validator.to_string(),
            max: MAX_ENTRIES,
        }
        .into());
    }
    let (returned, mut events) = remove_shares(env, storage, delegator, validator, shares)?;
    let completion_time = env.block.time.plus_seconds(params.unbonding_time);
    let same_block = entries.iter_mut().find(|entry| {
        entry.creation_height == env.block.height && entry.completion_time == completion_time
    });
    match same_block {
        Some(entry) => {
            entry.initial_balance += returned;
            entry.balance += returned;
        }
        None => entries.push(UnbondingEntry {
            creation_height: env.block.height,
            completion_time,
            initial_balance: returned,
            balance: returned,
        }),
    }
    UNBONDINGS.save(storage, (delegator, validator), &entries)?;
    note_maturity(storage, completion_time)?;
    events.push(
        Event::new("unbond")
            .add_attribute("validator", validator)
            .add_attribute("amount", format!("{returned}{}", params.bonded_denom))
            .add_attribute("completion_time", completion_time.seconds().to_string()),
    );
    let data = undelegate_response(completion_time, returned, &params.bonded_denom);
    Ok(AppResponse {
        events,
        data: Some(data),
        ..AppResponse::default()
    })
}

/// The protobuf encoding of x/staking's `MsgUndelegateResponse`.
fn undelegate_response(completion_time: Timestamp, amount: Uint128, denom: &str) -> Binary {
    let response = MsgUndelegateResponse::new(completion_time, &Coin::new(amount, denom));
    Binary::from(response.encode_to_vec())
}

/// `MsgBeginRedelegate`, with the checks of x/staking `BeginRedelegation` in its order.
pub fn redelegate<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    delegator: &Addr,
    source: &str,
    destination: &str,
    amount: Coin,
) -> AnyResult<AppResponse> {
    let params = params(storage)?;
    check_amount(&params, &amount)?;
    let shares = validate_unbond_amount(storage, delegator, source, amount.amount)?;
    if source == destination {
        return Err(ChainError::SelfRedelegation {
            validator: source.to_string(),
        }
        .into());
    }
    load_validator(storage, destination)?;
    let source_status = load_validator(storage, source)?.status;
    if has_receiving_redelegation(storage, delegator, source)? {
        return Err(ChainError::TransitiveRedelegation {
            validator: source.to_string(),
        }
        .into());
    }
    let mut entries = REDELEGATIONS
        .may_load(storage, (delegator, source, destination))?
        .unwrap_or_default();
    if entries.len() >= MAX_ENTRIES {
        return Err(ChainError::MaxRedelegationEntries {
            delegator: delegator.to_string(),
            src_validator: source.to_string(),
            dst_validator: destination.to_string(),
            max: MAX_ENTRIES,
        }
        .into());
    }
    let (returned, mut events) = remove_shares(env, storage, delegator, source, shares)?;
    if returned.is_zero() {
        return Err(ChainError::TinyRedelegation {}.into());
    }
    let (shares_dst, more_events) = add_shares(env, storage, delegator, destination, returned)?;
    events.extend(more_events);

    // x/staking `getBeginInfo` of the source: a bonded source holds the entry for the full
    // unbonding time, an unbonding one until its own unbonding ends, an unbonded one not at all.
    let begin = match source_status {
        ValidatorStatus::Bonded => Some((
            env.block.height,
            env.block.time.plus_seconds(params.unbonding_time),
        )),
        ValidatorStatus::Unbonding {
            height,
            completes_at,
        } => Some((height, completes_at)),
        ValidatorStatus::Unbonded => None,
    };
    if let Some((creation_height, completion_time)) = begin {
        entries.push(RedelegationEntry {
            creation_height,
            completion_time,
            initial_balance: returned,
            shares_dst,
        });
        REDELEGATIONS.save(storage, (delegator, source, destination), &entries)?;
        note_maturity(storage, completion_time)?;
    }
    events.push(
        Event::new("redelegate")
            .add_attribute("source_validator", source)
            .add_attribute("destination_validator", destination)
            .add_attribute("amount", format!("{returned}{}", params.bonded_denom)),
    );
    Ok(AppResponse {
        events,
        ..AppResponse::default()
    })
}

/// x/staking `ValidateUnbondAmount`: the shares that `amount` tokens stand for, refused when
/// they exceed the delegation's shares.
fn validate_unbond_amount(
    storage: &dyn Storage,
    delegator: &Addr,
    validator: &str,
    amount: Uint128,
) -> Result<Decimal256, ChainError> {
    let state = load_validator(storage, validator)?;
    let delegation = DELEGATIONS
        .may_load(storage, (delegator, validator))?
        .ok_or_else(|| ChainError::NoDelegation {
            delegator: delegator.to_string(),
            validator: validator.to_string(),
        })?;
    let too_much = || ChainError::InsufficientDelegation {
        validator: validator.to_string(),
        requested: amount,
        delegated: tokens_from_shares(delegation.shares, state.tokens, state.delegator_shares),
    };
    let shares =
        shares_from_tokens(state.delegator_shares, state.tokens, amount).ok_or_else(too_much)?;
    if shares > delegation.shares {
        return Err(too_much());
    }
    Ok(shares)
}

/// x/staking `Delegate` after the bank transfer: withdraws the rewards of an existing
/// delegation, issues shares for `amount` and starts a new reward period.
pub fn add_shares<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    delegator: &Addr,
    validator: &str,
    amount: Uint128,
) -> AnyResult<(Decimal256, Vec<Event>)> {
    let params = params(storage)?;
    let mut state = load_validator(storage, validator)?;
    let shares =
        shares_for_delegation(state.delegator_shares, state.tokens, amount).ok_or_else(|| {
            ChainError::InvalidExchangeRate {
                address: validator.to_string(),
            }
        })?;
    let mut events = vec![];
    if DELEGATIONS.has(storage, (delegator, validator)) {
        events.push(withdraw(env, storage, delegator, validator)?.1);
    }
    state.tokens += amount;
    state.delegator_shares += shares;
    save_validator(storage, env.block.height, &state)?;

    let index = current_index(&state, &params, env.block.time);
    let mut delegation = DELEGATIONS
        .may_load(storage, (delegator, validator))?
        .unwrap_or(DelegationState {
            shares: Decimal256::zero(),
            index_start: index,
            accrued: Uint256::zero(),
            rewards_since: env.block.time,
        });
    delegation.shares += shares;
    delegation.index_start = index;
    DELEGATIONS.save(storage, (delegator, validator), &delegation)?;
    Ok((shares, events))
}

/// x/staking `Unbond`: withdraws the rewards, removes `shares` from the delegation (and the
/// delegation once empty) and returns the tokens they are worth (`TokensFromShares`, then
/// truncated); the last shares of a validator take all its tokens. An unbonded validator left
/// with no shares is deleted (`RemoveValidator`, as x/staking `unbond` does).
pub fn remove_shares<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    delegator: &Addr,
    validator: &str,
    shares: Decimal256,
) -> AnyResult<(Uint128, Vec<Event>)> {
    let (_, event) = withdraw(env, storage, delegator, validator)?;
    let mut delegation = DELEGATIONS.load(storage, (delegator, validator))?;
    let mut state = load_validator(storage, validator)?;
    if delegation.shares < shares {
        return Err(ChainError::InsufficientDelegation {
            validator: validator.to_string(),
            requested: tokens_from_shares(shares, state.tokens, state.delegator_shares),
            delegated: tokens_from_shares(delegation.shares, state.tokens, state.delegator_shares),
        }
        .into());
    }
    delegation.shares -= shares;
    if delegation.shares.is_zero() {
        DELEGATIONS.remove(storage, (delegator, validator));
    } else {
        DELEGATIONS.save(storage, (delegator, validator), &delegation)?;
    }

    let remaining = state.delegator_shares - shares;
    let returned = if remaining.is_zero() {
        state.tokens
    } else {
        tokens_from_shares(shares, state.tokens, state.delegator_shares)
    };
    state.tokens -= returned;
    state.delegator_shares = remaining;
    if is_removable(&state) {
        remove_validator(storage, validator)?;
    } else {
        save_validator(storage, env.block.height, &state)?;
    }
    Ok((returned, vec![event]))
}

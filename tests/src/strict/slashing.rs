//! Slashing and jailing on the strict chain, as x/staking `Slash`, `Jail` and `Unjail` do them.
//!
//! A slash for an infraction at height `h` burns `fraction` of the validator's power at `h`: the
//! tokens it held when block `h` began (x/staking takes the power CometBFT reports for the
//! infraction; at the current height the model takes the current tokens), counted in whole
//! units of consensus power (`PowerReduction` tokens each), as x/staking converts it back. The unbonding entries
//! and redelegations out of the validator created at or after `h` (and not matured) carry their
//! part: each is cut by `fraction` of its initial balance, and what they carried is deducted
//! from what the bonded tokens lose. Entries created before `h` are untouched: that stake no
//! longer backed the validator when it misbehaved.

use cosmwasm_std::{
    Addr, BankMsg, Coin, CustomMsg, CustomQuery, Decimal, Event, Storage, Timestamp, Uint128,
};
use cw_multi_test::error::AnyResult;
use cw_multi_test::AppResponse;

use super::delegation::remove_shares;
use super::error::ChainError;
use super::math::{fraction_of, fraction_of_shares};
use super::rewards::{current_index, settle_before_slash, touch_index};
use super::state::{
    all_redelegations, all_unbondings, load_validator, note_maturity, params, save_validator,
    tokens_at, RedelegationEntry, UnbondingEntry, ValidatorStatus, DELEGATIONS, PARAMS, TOMBSTONED,
    UNBONDINGS,
};
use super::Env;

/// Slashes `validator` for an infraction at `infraction_height`; the `slash` event says what
/// was burnt.
pub fn slash<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    validator: &str,
    infraction_height: u64,
    fraction: Decimal,
) -> AnyResult<AppResponse> {
    let params = params(storage)?;
    if fraction > Decimal::one() {
        return Err(ChainError::InvalidSlashFraction {
            fraction: fraction.to_string(),
        }
        .into());
    }
    let height = env.block.height;
    if infraction_height > height {
        return Err(ChainError::FutureInfraction {
            infraction_height,
            height,
        }
        .into());
    }
    let state = load_validator(storage, validator)?;
    if state.status == ValidatorStatus::Unbonded {
        return Err(ChainError::SlashUnbonded {
            address: validator.to_string(),
        }
        .into());
    }
    let power = if infraction_height == height {
        state.tokens
    } else if infraction_height == 0 {
        Uint128::zero()
    } else {
        // What the validator held when the infraction's block began.
        tokens_at(storage, validator, infraction_height - 1)?
    };
    // x/staking takes the power as CometBFT counts it, whole units of `PowerReduction` tokens,
    // and turns it back into tokens: what is below one unit is never slashed.
    let reduction = params.power_reduction.max(Uint128::one());
    let power = power / reduction * reduction;
    let slash_amount = fraction_of(power, fraction);
    let mut remaining = slash_amount;
    let mut burnt = Uint128::zero();
    let mut events = vec![];

    // At the current height nothing has unbonded since the infraction (x/staking skips the
    // entries then).
    if infraction_height < height {
        for ((delegator, from), mut entries) in all_unbondings(storage)? {
            if from != validator {
                continue;
            }
            let (owed, cut) = slash_unbonding(&mut entries, infraction_height, fraction, env);
            remaining = remaining.saturating_sub(owed);
            burnt += cut;
            UNBONDINGS.save(storage, (&delegator, validator), &entries)?;
        }
        for ((delegator, source, destination), entries) in all_redelegations(storage)? {
            if source != validator {
                continue;
            }
            for entry in &entries {
                let (owed, cut, more_events) = slash_redelegation_entry(
                    env,
                    storage,
                    &delegator,
                    &destination,
                    entry,
                    infraction_height,
                    fraction,
                )?;
                remaining = remaining.saturating_sub(owed);
                burnt += cut;
                events.extend(more_events);
            }
        }
    }

    let mut state = load_validator(storage, validator)?;
    let bonded_cut = remaining.min(state.tokens);
    let index = current_index(&state, &params, env.block.time);
    settle_before_slash(storage, &state, index)?;
    state.tokens -= bonded_cut;
    save_validator(storage, height, &state)?;
    burnt += bonded_cut;

    if !burnt.is_zero() {
        let burn = BankMsg::Burn {
            amount: vec![Coin::new(burnt, &params.bonded_denom)],
        };
        env.router
            .execute(env.api, storage, env.block, env.pool.clone(), burn.into())?;
    }
    events.push(
        Event::new("slash")
            .add_attribute("address", validator)
            .add_attribute("infraction_height", infraction_height.to_string())
            .add_attribute("power", power.to_string())
            .add_attribute("bonded_cut", bonded_cut.to_string())
            .add_attribute("burned", format!("{burnt}{}", params.bonded_denom)),
    );
    Ok(AppResponse {
        events,
        ..AppResponse::default()
    })
}

/// x/staking skips an entry created before the infraction (that stake did not back it) and a
/// matured one (it has left the chain's reach).
fn slashable(
    creation_height: u64,
    completion: Timestamp,
    infraction_height: u64,
    env: &Env<impl CustomMsg, impl CustomQuery>,
) -> bool {
    creation_height >= infraction_height && completion > env.block.time
}

/// x/staking `SlashUnbondingDelegation`: cuts each slashable entry by `fraction` of its initial
/// balance (no more than its balance). Returns what the entries owed and what was cut.
fn slash_unbonding(
    entries: &mut [UnbondingEntry],
    infraction_height: u64,
    fraction: Decimal,
    env: &Env<impl CustomMsg, impl CustomQuery>,
) -> (Uint128, Uint128) {
    let mut owed = Uint128::zero();
    let mut cut = Uint128::zero();
    for entry in entries.iter_mut() {
        if !slashable(
            entry.creation_height,
            entry.completion_time,
            infraction_height,
            env,
        ) {
            continue;
        }
        let amount = fraction_of(entry.initial_balance, fraction);
        owed += amount;
        let entry_cut = amount.min(entry.balance);
        entry.balance -= entry_cut;
        cut += entry_cut;
    }
    (owed, cut)
}

/// x/staking `SlashRedelegation` for one entry: the stake moved to `destination` pays
/// `fraction` of the entry's initial balance, first from unbonding entries the delegator has
/// since started at the destination, then by unbonding `fraction` of the shares the
/// redelegation created there. Returns what the entry owed, what was burnt and the events of
/// the reward withdrawal that unbonding triggers.
fn slash_redelegation_entry<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    delegator: &Addr,
    destination: &str,
    entry: &RedelegationEntry,
    infraction_height: u64,
    fraction: Decimal,
) -> AnyResult<(Uint128, Uint128, Vec<Event>)> {
    if !slashable(
        entry.creation_height,
        entry.completion_time,
        infraction_height,
        env,
    ) {
        return Ok((Uint128::zero(), Uint128::zero(), vec![]));
    }
    let owed = fraction_of(entry.initial_balance, fraction);
    let mut to_cut = owed;
    let mut burnt = Uint128::zero();
    if let Some(mut unbonding) = UNBONDINGS.may_load(storage, (delegator, destination))? {
        for later in unbonding.iter_mut() {
            let cut = to_cut.min(later.balance);
            if cut.is_zero()
                || !slashable(
                    later.creation_height,
                    later.completion_time,
                    infraction_height,
                    env,
                )
            {
                continue;
            }
            to_cut -= cut;
            later.balance -= cut;
            burnt += cut;
        }
        UNBONDINGS.save(storage, (delegator, destination), &unbonding)?;
    }
    let shares = fraction_of_shares(entry.shares_dst, fraction);
    if shares.is_zero() || to_cut.is_zero() {
        return Ok((owed, burnt, vec![]));
    }
    let Some(delegation) = DELEGATIONS.may_load(storage, (delegator, destination))? else {
        return Ok((owed, burnt, vec![]));
    };
    let shares = shares.min(delegation.shares);
    let (tokens, events) = remove_shares(env, storage, delegator, destination, shares)?;
    Ok((owed, burnt + tokens, events))
}

/// x/staking `Jail`: the validator leaves the active set, stops earning rewards and starts
/// unbonding; it becomes unbonded after the unbonding time unless unjailed.
pub fn jail<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    validator: &str,
) -> AnyResult<AppResponse> {
    let params = params(storage)?;
    let mut state = load_validator(storage, validator)?;
    if state.jailed {
        return Err(ChainError::JailState {
            address: validator.to_string(),
            jailed: true,
        }
        .into());
    }
    touch_index(&mut state, &params, env.block.time);
    state.jailed = true;
    if state.status == ValidatorStatus::Bonded {
        let completes_at = env.block.time.plus_seconds(params.unbonding_time);
        state.status = ValidatorStatus::Unbonding {
            height: env.block.height,
            completes_at,
        };
        note_maturity(storage, completes_at)?;
    }
    save_validator(storage, env.block.height, &state)?;
    Ok(AppResponse {
        events: vec![Event::new("jail").add_attribute("validator", validator)],
        ..AppResponse::default()
    })
}

/// x/slashing `Unjail`: the validator returns to the active set and earns again from now. A
/// tombstoned validator is refused (x/slashing `ErrValidatorJailed`: jailed forever).
pub fn unjail<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    validator: &str,
) -> AnyResult<AppResponse> {
    let params = params(storage)?;
    let mut state = load_validator(storage, validator)?;
    if !state.jailed {
        return Err(ChainError::JailState {
            address: validator.to_string(),
            jailed: false,
        }
        .into());
    }
    if TOMBSTONED.has(storage, validator) {
        return Err(ChainError::Tombstoned {
            address: validator.to_string(),
        }
        .into());
    }
    touch_index(&mut state, &params, env.block.time);
    state.jailed = false;
    state.status = ValidatorStatus::Bonded;
    save_validator(storage, env.block.height, &state)?;
    Ok(AppResponse {
        events: vec![Event::new("unjail").add_attribute("validator", validator)],
        ..AppResponse::default()
    })
}

/// x/evidence `HandleEquivocationEvidence` for a double sign, without its slash (run a
/// [`slash`] for that): the validator is jailed if it is not already, and tombstoned, so that
/// it can never be unjailed. Evidence against a validator already tombstoned is ignored, as
/// x/evidence ignores it.
pub fn tombstone<ExecC: CustomMsg, QueryC: CustomQuery>(
    env: &Env<ExecC, QueryC>,
    storage: &mut dyn Storage,
    validator: &str,
) -> AnyResult<AppResponse> {
    let state = load_validator(storage, validator)?;
    if TOMBSTONED.has(storage, validator) {
        return Ok(AppResponse::default());
    }
    let mut events = vec![];
    if !state.jailed {
        events.extend(jail(env, storage, validator)?.events);
    }
    TOMBSTONED.save(storage, validator, &true)?;
    events.push(Event::new("tombstone").add_attribute("validator", validator));
    Ok(AppResponse {
        events,
        ..AppResponse::default()
    })
}

/// x/staking `MsgUpdateParams` passed by governance, changing only `unbonding_time`: it
/// applies to undelegations, redelegations and jailings from now on; entries already created
/// keep their completion time, as x/staking stores it in each entry.
pub fn set_unbonding_time(storage: &mut dyn Storage, seconds: u64) -> AnyResult<AppResponse> {
    let mut params = params(storage)?;
    if seconds == 0 {
        return Err(ChainError::InvalidParams {
            reason: "unbonding time must be positive".to_string(),
        }
        .into());
    }
    params.unbonding_time = seconds;
    PARAMS.save(storage, &params)?;
    Ok(AppResponse {
        events: vec![
            Event::new("update_params").add_attribute("unbonding_time", format!("{seconds}s"))
        ],
        ..AppResponse::default()
    })
}

//! The hub's ledger of delegations: where new stake goes, and how the ledger is brought back in
//! line with the chain.

use std::collections::{HashMap, HashSet};

use cosmwasm_std::{DepsMut, Env, Event, Order, QuerierWrapper, StakingMsg, Storage, Uint128};
use flowstake::hub::Operation;

use crate::error::ContractError;
use crate::math::{
    allowance_time_used, exchange_rate, rate_move, reward_allowance, split_loss, vestable,
    vesting_headroom, RateMove,
};
use crate::state::{validators, Config, State, Validator, BATCHES, PAUSED, STATE, SUBMISSION};

/// The active validator furthest below its target share: the lowest delegation per unit of
/// weight, one index read whatever the size of the set.
///
/// x/staking deletes an unbonded validator once its last shares leave, and a delegation to a
/// deleted validator fails. The hub holds shares in every validator its ledger credits, so only
/// a validator with nothing delegated by the hub can have vanished: that one is looked up on
/// the chain first, and if it is gone it is marked inactive and the next one is taken.
pub fn delegation_target(
    storage: &mut dyn Storage,
    querier: &QuerierWrapper,
) -> Result<Validator, ContractError> {
    loop {
        let first = validators()
            .idx
            .load
            .range(storage, None, None, Order::Ascending)
            .next()
            .transpose()?;
        let mut validator = match first {
            Some((_, validator)) if validator.is_active() => validator,
            _ => return Err(ContractError::NoActiveValidator {}),
        };
        if !validator.delegated.is_zero() || querier.query_validator(&validator.address)?.is_some()
        {
            return Ok(validator);
        }
        validator.inactive = true;
        validators().save(storage, &validator.address.clone(), &validator)?;
    }
}

/// Books `amount` as delegated to the target validator and returns the message that does it.
/// The caller adds `amount` to the state's total.
pub fn delegate(
    storage: &mut dyn Storage,
    querier: &QuerierWrapper,
    amount: Uint128,
    denom: &str,
) -> Result<(StakingMsg, String), ContractError> {
    let mut target = delegation_target(storage, querier)?;
    target.delegated = target.delegated.checked_add(amount)?;
    validators().save(storage, &target.address.clone(), &target)?;
    let msg = StakingMsg::Delegate {
        validator: target.address.clone(),
        amount: cosmwasm_std::Coin::new(amount, denom),
    };
    Ok((msg, target.address))
}

/// Places an inflow of `amount` that already counts in the backing (a bond) or in the unvested
/// rewards: the liquidity buffer takes what it lacks of its target first
/// ([`crate::math::buffer_fill`]), counting the top-ups still on their way to it (as the
/// harvest and the submissions do), the rest is delegated. Returns the delegation, if any, and
/// its validator.
pub fn place(
    storage: &mut dyn Storage,
    querier: &QuerierWrapper,
    config: &Config,
    state: &mut State,
    amount: Uint128,
) -> Result<Option<(StakingMsg, String)>, ContractError> {
    let fill = crate::math::buffer_fill(
        amount,
        state.buffer.checked_add(state.buffer_incoming)?,
        state.total_native,
        config.liquidity.buffer_target,
    );
    state.buffer = state.buffer.checked_add(fill)?;
    let rest = amount - fill;
    if rest.is_zero() {
        return Ok(None);
    }
    Ok(Some(delegate(storage, querier, rest, &config.denom)?))
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
    /// The rate moved beyond its bounds: bond and unbond are now paused, and the operation
    /// that synced must not convert at this rate.
    pub tripped: bool,
    pub event: Event,
}

/// Saves the state after an operation that synced or vested, and records its rate in the
/// history ([`crate::history::record`]). Recorded here, with the state, so that a call refused
/// after its sync writes nothing.
pub fn save_state(
    storage: &mut dyn Storage,
    state: &State,
    env: &Env,
) -> Result<(), ContractError> {
    STATE.save(storage, state)?;
    crate::history::record(storage, state, env.block.time.seconds())?;
    Ok(())
}

/// Records that a crank runs in the current block. Once a later block begins, every unbonding
/// entry completing at or before the recorded block's time has been paid by the chain (x/staking
/// pays matured entries in the end blocker of the first block whose time reaches their
/// completion), so `paid_through` moves up to it. Nothing here assumes how far apart blocks are.
pub fn observe_block(state: &mut State, env: &Env) {
    let height = env.block.height;
    if state.seen.height < height {
        state.paid_through = state.paid_through.max(state.seen.time);
        state.seen = crate::state::BlockMark {
            height,
            time: env.block.time.seconds(),
        };
    }
}

/// Moves unvested rewards into the backing as far as [`vestable`] allows for the time since the
/// last recognition (rewards accrue on the chain every second, so the allowance does too, but
/// at most one [`crate::math::VESTING_WINDOW`] of it is ever stored up), and never beyond
/// [`vesting_headroom`]: all vests since the last sync together raise the rate by at most half
/// the rise bound, so recognised rewards alone never trip the breaker.
pub fn vest(state: &mut State, config: &Config, now: u64) -> Uint128 {
    if state.unvested_rewards.is_zero() {
        return Uint128::zero();
    }
    let elapsed = now
        .saturating_sub(state.vested_at)
        .min(crate::math::VESTING_WINDOW);
    let vested = vestable(
        state.unvested_rewards,
        state.total_native,
        config.max_reward_rate,
        elapsed,
        config.rate_bounds.max_rise,
    )
    .min(vesting_headroom(
        state.total_native,
        state.total_shares,
        state.last_sync_rate,
        config.rate_bounds.max_rise,
    ));
    if !vested.is_zero() {
        // Only the time the vested amount needed is used up: a small vest (claim dust, say)
        // leaves the rest of the allowance to the rewards that follow it.
        let allowance = reward_allowance(state.total_native, config.max_reward_rate, elapsed);
        state.vested_at = now - elapsed + allowance_time_used(elapsed, vested, allowance);
    }
    state.unvested_rewards -= vested;
    state.total_native += vested;
    vested
}

/// Reads every delegation of the hub and the chain's active set in one query each and brings
/// the ledger of the set in line with the chain:
/// - where the chain holds less (a slash, or share rounding on a delegation), the ledger is
///   lowered and the difference booked as a slash;
/// - where it holds more, the difference is the hub's own stake that share rounding left
///   behind (after a slash, an undelegation or redelegation of `a` tokens may take shares worth
///   `a - 1` and leave the rest delegated): no one else can delegate in the hub's name, so it
///   is booked as surplus, already staked;
/// - a validator whose delegation fell to nothing although the ledger held some (slashed to
///   zero tokens: the chain refuses any new delegation to it) is paused, so that bonds go
///   elsewhere; governance unpauses or removes it;
/// - a validator that is not in the chain's bonded set (jailed, tombstoned, unbonding,
///   unbonded or deleted) is marked inactive and gets no new stake until it returns; the event
///   names those that left and those that came back.
///
/// Then unvested rewards vest as far as the time allows. If the rate moved beyond the
/// configured bounds since the last sync, bond and unbond pause themselves and the event says
/// why.
pub fn sync(
    deps: &mut DepsMut,
    env: &Env,
    config: &Config,
    state: &mut State,
) -> Result<SyncReport, ContractError> {
    observe_block(state, env);
    let storage = &mut *deps.storage;
    let on_chain: HashMap<String, Uint128> = deps
        .querier
        .query_all_delegations(&env.contract.address)?
        .into_iter()
        .filter(|d| d.amount.denom == config.denom)
        .map(|d| (d.validator, d.amount.amount))
        .collect();
    let bonded: HashSet<String> = deps
        .querier
        .query_all_validators()?
        .into_iter()
        .map(|v| v.address)
        .collect();
    let mut set = all_validators(storage)?;
    // A batch being submitted still has `submitting` on the validators after its cursor.
    let cursor = match state.submitting.is_zero() {
        true => None,
        false => Some(SUBMISSION.load(storage)?.after),
    };
    let to_come = |address: &str| cursor.as_deref().is_some_and(|after| address > after);
    let holding: Uint128 = set
        .iter()
        .filter(|v| to_come(&v.address))
        .map(|v| v.delegated)
        .sum();
    let mut lost_to_come = Uint128::zero();
    let mut slashed = Uint128::zero();
    let mut surplus = Uint128::zero();
    let mut emptied = vec![];
    let mut left_active = vec![];
    let mut rejoined = vec![];
    for validator in set.iter_mut() {
        let chain_amount = on_chain
            .get(&validator.address)
            .copied()
            .unwrap_or_default();
        let inactive = !bonded.contains(&validator.address);
        if chain_amount == validator.delegated && inactive == validator.inactive {
            continue;
        }
        if inactive != validator.inactive {
            if inactive {
                left_active.push(validator.address.clone());
            } else {
                rejoined.push(validator.address.clone());
            }
            validator.inactive = inactive;
        }
        if chain_amount < validator.delegated {
            slashed += validator.delegated - chain_amount;
            if to_come(&validator.address) {
                lost_to_come += validator.delegated - chain_amount;
            }
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
    let batch_loss = submission_loss(lost_to_come, state.submitting, holding).min(state.submitting);
    book_slash(state, slashed, batch_loss)?;
    charge_submitting_batch(storage, state, batch_loss)?;
    state.total_native = state.total_native.checked_add(surplus)?;
    state.totals.surplus = state.totals.surplus.checked_add(surplus)?;
    let now = env.block.time.seconds();
    let vested = vest(state, config, now);

    let rate = exchange_rate(state.total_native, state.total_shares);
    let mut event = Event::new("flowstake_sync")
        .add_attribute("slashed", slashed)
        .add_attribute("surplus", surplus)
        .add_attribute("rewards_vested", vested)
        .add_attribute("exchange_rate", rate.to_string());
    if !emptied.is_empty() {
        event = event.add_attribute("paused_validators", emptied.join(","));
    }
    if !left_active.is_empty() {
        event = event.add_attribute("left_active_set", left_active.join(","));
    }
    if !rejoined.is_empty() {
        event = event.add_attribute("rejoined_active_set", rejoined.join(","));
    }
    let moved = rate_move(state.last_sync_rate, rate, &config.rate_bounds);
    let tripped = moved != RateMove::Within;
    if tripped {
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
    state.last_sync = now;
    state.last_sync_rate = rate;
    Ok(SyncReport {
        validators: set,
        slashed,
        surplus,
        tripped,
        event,
    })
}

/// Lowers the backing by a loss found on delegated stake, less `batch_loss`, the part that
/// fell on what a batch being submitted still has delegated ([`submission_loss`]). The rest is
/// shared between the backing and the unvested rewards in proportion.
pub fn book_slash(
    state: &mut State,
    slashed: Uint128,
    batch_loss: Uint128,
) -> Result<(), ContractError> {
    let batch_loss = batch_loss.min(state.submitting).min(slashed);
    // The buffer and its top-ups on their way are not delegated: only the delegated part of
    // the backing shares the loss.
    let (native_loss, unvested_loss) = split_loss(
        slashed - batch_loss,
        state
            .total_native
            .saturating_sub(state.buffer)
            .saturating_sub(state.buffer_incoming),
        state.unvested_rewards,
    );
    state.unvested_rewards = state.unvested_rewards.checked_sub(unvested_loss)?;
    state.total_native = state.total_native.checked_sub(native_loss)?;
    state.submitting = state.submitting.checked_sub(batch_loss)?;
    state.totals.unbonding = state.totals.unbonding.checked_sub(batch_loss)?;
    state.totals.slashed = state.totals.slashed.checked_add(slashed)?;
    Ok(())
}

/// The part of `lost`, a loss on validators the batch being submitted has still to undelegate
/// from, that fell on the batch: it holds `submitting` of the `holding` those validators held,
/// in proportion to each one's delegation, so it bears that share of their loss.
pub fn submission_loss(lost: Uint128, submitting: Uint128, holding: Uint128) -> Uint128 {
    if holding.is_zero() {
        return Uint128::zero();
    }
    lost.multiply_ratio(submitting.min(holding), holding)
}

/// Charges a batch being submitted its part of a slash ([`book_slash`]): it is owed that much
/// less. If nothing of it is left delegated, its submission is over.
pub fn charge_submitting_batch(
    storage: &mut dyn Storage,
    state: &State,
    loss: Uint128,
) -> Result<(), ContractError> {
    if loss.is_zero() {
        return Ok(());
    }
    let submission = SUBMISSION.load(storage)?;
    BATCHES.update(storage, submission.batch_id, |batch| {
        let mut batch = batch.ok_or(ContractError::SubmissionWithoutBatch {
            batch_id: submission.batch_id,
        })?;
        batch.native_expected = batch.native_expected.checked_sub(loss)?;
        Ok::<_, ContractError>(batch)
    })?;
    if state.submitting.is_zero() {
        SUBMISSION.remove(storage);
    }
    Ok(())
}

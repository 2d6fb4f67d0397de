//! The design's rules, written from the design and used to predict what an operation must do:
//! where a delegation goes, what a ledger sync books, when the rate bounds pause the hub, and
//! how conversions round. Independent of the hub's code, so that a difference is a finding.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::{Decimal, Uint128, Uint256};
use flowstake::hub::{Operation, RateBounds};
use flowstake_hub::state::{BlockMark, Config, State, Validator};

use super::observe::Observation;

/// Scale of a validator's load (delegation per unit of weight).
const LOAD_SCALE: u128 = 1_000_000;

/// `floor(a * b / c)`, in 256 bits; zero when `c` is zero.
pub fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    if c == 0 {
        return 0;
    }
    let quotient = Uint256::from(a) * Uint256::from(b) / Uint256::from(c);
    Uint128::try_from(quotient)
        .expect("quotient above u128")
        .u128()
}

/// Native per share, as the hub reports it: one before any share exists.
pub fn rate(total_native: u128, total_shares: u128) -> Decimal {
    if total_shares == 0 {
        return Decimal::one();
    }
    Decimal::checked_from_ratio(total_native, total_shares).unwrap_or(Decimal::MAX)
}

/// Whether a move of the rate from `old` to `new` between two syncs is beyond the bounds:
/// a fall by more than `max_fall` of `old` or a rise by more than `max_rise` of `old`.
pub fn beyond_bounds(old: Decimal, new: Decimal, bounds: &RateBounds) -> bool {
    (new < old && old - new > old * bounds.max_fall)
        || (new > old && new - old > old * bounds.max_rise)
}

/// How far below its target share a validator is: delegation per unit of weight, scaled. A
/// paused validator, or one outside the chain's active set, takes no delegation.
fn load(validator: &Validator) -> Option<u128> {
    if validator.paused || validator.inactive || validator.weight == 0 {
        return None;
    }
    let scaled = validator
        .delegated
        .u128()
        .checked_mul(LOAD_SCALE)
        .unwrap_or(u128::MAX - 1);
    Some((scaled / u128::from(validator.weight)).min(u128::MAX - 1))
}

/// The validator a new delegation goes to: the active one furthest below its target (ties to
/// the lowest address). One the ledger credits nothing and that the chain no longer has (it
/// deleted it once unbonded and empty) is marked inactive in `ledger` and skipped. `None` when
/// no validator is active.
pub fn delegation_target(
    ledger: &mut BTreeMap<String, Validator>,
    on_chain: &BTreeSet<String>,
) -> Option<String> {
    loop {
        let (_, address) = ledger
            .values()
            .filter_map(|validator| load(validator).map(|load| (load, validator.address.clone())))
            .min()?;
        let validator = ledger.get_mut(&address).expect("target in the ledger");
        if !validator.delegated.is_zero() || on_chain.contains(&address) {
            return Some(address);
        }
        validator.inactive = true;
    }
}

/// [`delegation_target`] without keeping what it marks.
pub fn peek_target(
    ledger: &BTreeMap<String, Validator>,
    on_chain: &BTreeSet<String>,
) -> Option<String> {
    delegation_target(&mut ledger.clone(), on_chain)
}

/// Books `amount` on the delegation target; returns it, or `None` without an active validator.
pub fn delegate(
    ledger: &mut BTreeMap<String, Validator>,
    on_chain: &BTreeSet<String>,
    amount: u128,
) -> Option<String> {
    let target = delegation_target(ledger, on_chain)?;
    let validator = ledger.get_mut(&target).expect("target in the ledger");
    validator.delegated += Uint128::new(amount);
    Some(target)
}

/// Whether `parts` split `total` in proportion to `weights`: they add up to `total` and each is
/// the exact share rounded down or up.
pub fn is_pro_rata(total: u128, weights: &[u128], parts: &[u128]) -> bool {
    let weight_sum: u128 = weights.iter().sum();
    if parts.iter().sum::<u128>() != total {
        return false;
    }
    weights.iter().zip(parts).all(|(weight, part)| {
        let floor = mul_div(total, *weight, weight_sum);
        let exact = Uint256::from(total) * Uint256::from(*weight)
            == Uint256::from(floor) * Uint256::from(weight_sum);
        *part == floor || (!exact && *part == floor + 1)
    })
}

/// Whether `parts` are what one call of a submission sends of a split of `total` in proportion
/// to `weights`: with nothing `left` for later calls, the whole split ([`is_pro_rata`]);
/// otherwise exactly MAX_SUBMIT_UNDELEGATIONS parts, each the exact share rounded down or up,
/// the first non-zero ones in address order (none skipped before the last one sent, none sent
/// after it), and the sent parts and what is left add up to `total`.
pub fn is_first_of_split(total: u128, weights: &[u128], parts: &[u128], left: u128) -> bool {
    if left == 0 {
        return is_pro_rata(total, weights, parts);
    }
    let weight_sum: u128 = weights.iter().sum();
    let sent: Vec<usize> = (0..parts.len()).filter(|&i| parts[i] > 0).collect();
    let Some(&last) = sent.last() else {
        return false;
    };
    let each_in_proportion = weights.iter().zip(parts).all(|(weight, part)| {
        let floor = mul_div(total, *weight, weight_sum);
        *part == 0 || *part == floor || *part == floor + 1
    });
    // Before the last one sent, a validator is skipped only if its share rounds to nothing.
    let none_skipped =
        (0..last).all(|i| parts[i] > 0 || mul_div(total, weights[i], weight_sum) == 0);
    sent.len() == flowstake::MAX_SUBMIT_UNDELEGATIONS
        && each_in_proportion
        && none_skipped
        && parts.iter().sum::<u128>() + left == total
}

/// The last validator a submission call undelegated from (address order); empty if none.
pub fn last_sent(parts: &[(String, u128)]) -> String {
    parts
        .iter()
        .rev()
        .find(|(_, part)| *part > 0)
        .map(|(address, _)| address.clone())
        .unwrap_or_default()
}

/// A removal's split: [`is_pro_rata`], except that every part of a single unit (which the
/// chain may refuse to redelegate after a slash) is moved into the largest part; a stake of
/// one unit stays one part.
pub fn is_removal_split(total: u128, weights: &[u128], parts: &[u128]) -> bool {
    if total == 1 {
        return is_pro_rata(total, weights, parts);
    }
    let weight_sum: u128 = weights.iter().sum();
    if parts.iter().sum::<u128>() != total || parts.contains(&1) {
        return false;
    }
    let Some(largest) = parts.iter().copied().max() else {
        return total == 0;
    };
    weights.iter().zip(parts).all(|(weight, part)| {
        let floor = mul_div(total, *weight, weight_sum);
        let exact = Uint256::from(total) * Uint256::from(*weight)
            == Uint256::from(floor) * Uint256::from(weight_sum);
        let pro_rata = *part == floor || (!exact && *part == floor + 1);
        pro_rata || (*part == 0 && floor <= 1) || (*part == largest && *part > floor)
    })
}

/// Seconds in a year of 365 days, and the longest time a reward allowance accumulates.
const YEAR_SECONDS: u64 = 31_536_000;
const VESTING_WINDOW: u64 = 7 * 86_400;
/// x/staking's unbonding entries per (delegator, validator), and the most batches the hub
/// keeps open from the oldest unreconciled one.
pub const MAX_UNBONDING_ENTRIES: usize = 7;
pub const MAX_OPEN_BATCHES: u64 = 14;

/// A crank in a block after the one last seen: every entry completing by the time of the
/// block seen last has been paid by the chain since.
pub fn observe_block(state: &mut State, height: u64, now: u64) {
    if state.seen.height < height {
        state.paid_through = state.paid_through.max(state.seen.time);
        state.seen = BlockMark { height, time: now };
    }
}

/// The plausible reward on `native` at `max_reward_rate` a year for `elapsed` seconds (at most
/// seven days of it), rounded down.
fn reward_allowance(native: u128, max_reward_rate: Decimal, elapsed: u64) -> u128 {
    let elapsed = elapsed.min(VESTING_WINDOW);
    let by_time =
        Uint256::from(native) * Uint256::from(max_reward_rate.atomics()) * Uint256::from(elapsed)
            / (Uint256::from(Decimal::one().atomics()) * Uint256::from(YEAR_SECONDS));
    Uint128::try_from(by_time).map_or(u128::MAX, |v| v.u128())
}

/// Moves unvested rewards into the backing: at most the reward allowance for the time since
/// the last recognition (at most seven days), at most half the rise bound, at most what is
/// unvested; each bound rounds down. Only the time the vested amount needed is used up: the
/// recognition time moves by that fraction of the elapsed time, rounded up (all of it when the
/// allowance is used in full). Returns what vested.
pub fn vest(state: &mut State, config: &Config, now: u64) -> u128 {
    let unvested = state.unvested_rewards.u128();
    if unvested == 0 {
        return 0;
    }
    let native = state.total_native.u128();
    let elapsed = now.saturating_sub(state.vested_at).min(VESTING_WINDOW);
    let allowance = reward_allowance(native, config.max_reward_rate, elapsed);
    let by_bound = Uint128::new(native)
        .mul_floor(config.rate_bounds.max_rise)
        .u128()
        / 2;
    // Nor beyond half the rise bound above the rate of the last sync, however many vests
    // share the step: the ceiling's shares times rate, rounded down, less the backing.
    let ceiling = state.last_sync_rate
        * (Decimal::one() + config.rate_bounds.max_rise * Decimal::percent(50));
    let headroom = state
        .total_shares
        .checked_mul_floor(ceiling)
        .map_or(u128::MAX, |v| v.u128())
        .saturating_sub(native);
    let vested = unvested.min(allowance).min(by_bound).min(headroom);
    if vested > 0 {
        let used = if vested >= allowance {
            elapsed
        } else {
            let allowance = Uint256::from(allowance);
            let used = (Uint256::from(elapsed) * Uint256::from(vested) + allowance
                - Uint256::one())
                / allowance;
            u64::try_from(Uint128::try_from(used).map_or(u128::MAX, |v| v.u128()))
                .unwrap_or(elapsed)
                .min(elapsed)
        };
        state.vested_at = now - elapsed + used;
    }
    state.unvested_rewards -= Uint128::new(vested);
    state.total_native += Uint128::new(vested);
    vested
}

/// A loss on delegated stake, shared between the backing and the unvested rewards in
/// proportion (the unvested part rounded down): `(backing part, unvested part)`.
pub fn split_loss(loss: u128, native: u128, unvested: u128) -> (u128, u128) {
    let stake = Uint256::from(native) + Uint256::from(unvested);
    if stake.is_zero() {
        return (loss, 0);
    }
    let part = Uint256::from(loss) * Uint256::from(unvested) / stake;
    let part = Uint128::try_from(part)
        .map_or(unvested, |v| v.u128())
        .min(unvested);
    (loss - part, part)
}

/// Books a loss found on delegated stake (a sync or a removal).
pub fn book_slash(state: &mut State, slashed: u128) -> u128 {
    let (native_loss, unvested_loss) = split_loss(
        slashed,
        state.total_native.u128(),
        state.unvested_rewards.u128(),
    );
    state.unvested_rewards -= Uint128::new(unvested_loss);
    state.total_native -= Uint128::new(native_loss);
    state.totals.slashed += Uint128::new(slashed);
    native_loss
}

/// What a ledger sync finds: the ledger set to the chain's figure for every validator of the
/// set, lower (a slash; a validator left with nothing is paused) or higher (share rounding),
/// each validator marked active or not as the chain's active set says; then unvested rewards
/// vest.
#[derive(Clone, Debug)]
pub struct Synced {
    pub ledger: BTreeMap<String, Validator>,
    /// The hub's state after the sync (block seen, losses, surplus, vesting, rate reference).
    pub state: State,
    /// Stake of the hub found beyond the ledger, booked as surplus.
    pub surplus: u128,
    /// The part of the stake found missing (booked as a slash) that the backing bore; the
    /// rest came off the unvested rewards.
    pub native_loss: u128,
    /// The part of it that fell on a batch being submitted over several calls.
    pub batch_loss: u128,
    /// Rewards that vested.
    pub vested: u128,
    /// `total_native` after the sync.
    pub total_native: u128,
    /// Whether the rate moved beyond the bounds since the last sync.
    pub beyond_bounds: bool,
    /// Whether it did only because of what entered the rate (vested rewards, the stake
    /// share rounding left behind): an inflow, which anyone can send, tripped the breaker.
    pub inflow_tripped: bool,
}

/// The sync every harvest, submission, reconcile and `Sync` starts with.
pub fn sync(before: &Observation) -> Synced {
    let mut state = before.state.clone();
    observe_block(&mut state, before.height, before.now);
    let mut ledger = before.ledger.clone();
    let mut slashed = 0;
    let mut surplus = 0;
    // A batch being submitted over several calls holds its share of every validator still to
    // come (after the submission's cursor), and bears that share of a loss on them.
    let cursor = before.submission.as_ref().map(|s| s.after.clone());
    let to_come = |address: &str| cursor.as_deref().is_some_and(|after| address > after);
    let holding: u128 = ledger
        .values()
        .filter(|v| to_come(&v.address))
        .map(|v| v.delegated.u128())
        .sum();
    let mut lost_to_come = 0;
    for validator in ledger.values_mut() {
        let on_chain = before.chain.delegation(&validator.address);
        let booked = validator.delegated.u128();
        let inactive = !before.active_set.contains(&validator.address);
        validator.inactive = inactive;
        if on_chain < booked {
            slashed += booked - on_chain;
            if to_come(&validator.address) {
                lost_to_come += booked - on_chain;
            }
            // A delegation that fell to nothing: the validator is paused.
            validator.paused |= on_chain == 0;
        } else {
            // The hub's own stake that share rounding left behind: surplus.
            surplus += on_chain - booked;
        }
        validator.delegated = Uint128::new(on_chain);
    }
    let submitting = state.submitting.u128();
    let batch_loss = mul_div(lost_to_come, submitting.min(holding), holding).min(submitting);
    state.submitting -= Uint128::new(batch_loss);
    state.totals.unbonding -= Uint128::new(batch_loss);
    state.totals.slashed += Uint128::new(batch_loss);
    let native_loss = book_slash(&mut state, slashed - batch_loss);
    state.total_native += Uint128::new(surplus);
    state.totals.surplus += Uint128::new(surplus);
    let vested = vest(&mut state, &before.config, before.now);
    let total_native = state.total_native.u128();
    let rate = rate(total_native, state.total_shares.u128());
    let bounds = &before.config.rate_bounds;
    let beyond_bounds = beyond_bounds(state.last_sync_rate, rate, bounds);
    let without_inflow = self::rate(total_native - surplus - vested, state.total_shares.u128());
    let inflow_tripped =
        beyond_bounds && !self::beyond_bounds(state.last_sync_rate, without_inflow, bounds);
    state.last_sync = before.now;
    state.last_sync_rate = rate;
    Synced {
        ledger,
        state,
        native_loss,
        batch_loss,
        surplus,
        vested,
        total_native,
        beyond_bounds,
        inflow_tripped,
    }
}

/// Applies a sync to the expected observation: ledger, state, and bond and unbond paused if
/// the rate moved beyond the bounds.
pub fn apply_sync(expected: &mut Observation, synced: &Synced) {
    expected.ledger = synced.ledger.clone();
    expected.state = synced.state.clone();
    if synced.batch_loss > 0 {
        let submission = expected
            .submission
            .clone()
            .expect("a submission bears the loss");
        let batch = expected
            .batches
            .get_mut(&submission.batch_id)
            .expect("the batch being submitted");
        batch.native_expected -= Uint128::new(synced.batch_loss);
        if synced.state.submitting.is_zero() {
            expected.submission = None;
        }
    }
    if synced.beyond_bounds {
        for operation in [Operation::Bond, Operation::Unbond] {
            if !expected.paused.contains(&operation) {
                expected.paused.push(operation);
            }
        }
    }
}

/// Why the pending batch may not be submitted now, judged as the hub does before a
/// submission: too many batches open since the oldest unreconciled one, or seven batches
/// whose entries the chain may still hold (not certainly paid once this block is recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRoom {
    TooManyOpenBatches,
    UnbondingEntriesFull,
}

pub fn room(before: &Observation) -> Result<(), NoRoom> {
    let cursor = before.state.next_reconcile_id;
    if before.pending.id - cursor >= MAX_OPEN_BATCHES {
        return Err(NoRoom::TooManyOpenBatches);
    }
    let mut state = before.state.clone();
    observe_block(&mut state, before.height, before.now);
    let in_flight = before
        .batches
        .range(cursor..)
        .filter(|(_, batch)| !batch.reconciled && batch.completes_at > state.paid_through)
        .count();
    if in_flight >= MAX_UNBONDING_ENTRIES {
        return Err(NoRoom::UnbondingEntriesFull);
    }
    Ok(())
}

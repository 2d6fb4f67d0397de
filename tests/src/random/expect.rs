//! The design's rules, written from the design and used to predict what an operation must do:
//! where a delegation goes, what a ledger sync books, when the rate bounds pause the hub, and
//! how conversions round. Independent of the hub's code, so that a difference is a finding.

use std::collections::BTreeMap;

use cosmwasm_std::{Decimal, Uint128, Uint256};
use flowstake::hub::{Operation, RateBounds};
use flowstake_hub::state::Validator;

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
/// paused validator takes no delegation.
fn load(validator: &Validator) -> Option<u128> {
    if validator.paused || validator.weight == 0 {
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
/// the lowest address). `None` when every validator is paused.
pub fn delegation_target(ledger: &BTreeMap<String, Validator>) -> Option<String> {
    ledger
        .values()
        .filter_map(|validator| load(validator).map(|load| (load, &validator.address)))
        .min()
        .map(|(_, address)| address.clone())
}

/// Books `amount` on the delegation target; returns it, or `None` without an active validator.
pub fn delegate(ledger: &mut BTreeMap<String, Validator>, amount: u128) -> Option<String> {
    let target = delegation_target(ledger)?;
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

/// What a ledger sync finds: the ledger set to the chain's figure for every validator of the
/// set, lower (a slash; a validator left with nothing is paused) or higher (share rounding).
#[derive(Clone, Debug)]
pub struct Synced {
    pub ledger: BTreeMap<String, Validator>,
    /// Stake of the hub found beyond the ledger, booked as surplus.
    pub surplus: u128,
    /// Stake missing from the chain, booked as a slash.
    pub slashed: u128,
    /// `total_native` after booking it.
    pub total_native: u128,
    /// The rate after the sync; the reference for the next one.
    pub rate: Decimal,
    /// Whether the rate moved beyond the bounds since the last sync.
    pub beyond_bounds: bool,
}

/// The sync every harvest, submission, reconcile and `Sync` starts with.
pub fn sync(before: &Observation) -> Synced {
    let mut ledger = before.ledger.clone();
    let mut slashed = 0;
    let mut surplus = 0;
    for validator in ledger.values_mut() {
        let on_chain = before.chain.delegation(&validator.address);
        let booked = validator.delegated.u128();
        if on_chain < booked {
            slashed += booked - on_chain;
            // A delegation that fell to nothing: the validator is paused.
            validator.paused |= on_chain == 0;
        } else {
            // The hub's own stake that share rounding left behind: surplus.
            surplus += on_chain - booked;
        }
        validator.delegated = Uint128::new(on_chain);
    }
    let total_native = before.total_native() - slashed + surplus;
    let rate = rate(total_native, before.total_shares());
    Synced {
        ledger,
        slashed,
        surplus,
        total_native,
        rate,
        beyond_bounds: beyond_bounds(
            before.state.last_sync_rate,
            rate,
            &before.config.rate_bounds,
        ),
    }
}

/// Applies a sync to the expected observation: ledger, backing, slash total, sync time, and
/// bond and unbond paused if the rate moved beyond the bounds.
pub fn apply_sync(expected: &mut Observation, synced: &Synced, now: u64) {
    expected.ledger = synced.ledger.clone();
    expected.state.total_native = Uint128::new(synced.total_native);
    expected.state.totals.slashed += Uint128::new(synced.slashed);
    expected.state.totals.surplus += Uint128::new(synced.surplus);
    expected.state.last_sync = now;
    expected.state.last_sync_rate = synced.rate;
    if synced.beyond_bounds {
        for operation in [Operation::Bond, Operation::Unbond] {
            if !expected.paused.contains(&operation) {
                expected.paused.push(operation);
            }
        }
    }
}

//! Pure arithmetic of the hub: no storage, no environment. Every function names its rounding,
//! and every rounding favours the protocol, so an error never leaves it poorer.

use cosmwasm_std::{
    CheckedMultiplyRatioError, Decimal, Decimal256, SignedDecimal, Uint128, Uint256,
};
use flowstake::hub::RateBounds;

/// Derivative minted for a deposit of `native`. Rounds down, so the depositor never receives
/// more than the deposit is worth and the rate cannot fall through minting.
/// With no shares yet, shares are minted one for one (the seed deposit).
/// Errors when there are shares but no backing (a total loss) or the result overflows.
pub fn shares_for_deposit(
    native: Uint128,
    total_native: Uint128,
    total_shares: Uint128,
) -> Result<Uint128, CheckedMultiplyRatioError> {
    if total_shares.is_zero() {
        return Ok(native);
    }
    native.checked_multiply_ratio(total_shares, total_native)
}

/// Native that `shares` are worth. Rounds down, so a redeemer never receives more than the
/// shares' part of the backing. Zero shares in existence are worth zero.
pub fn native_for_shares(
    shares: Uint128,
    total_native: Uint128,
    total_shares: Uint128,
) -> Result<Uint128, CheckedMultiplyRatioError> {
    if total_shares.is_zero() {
        return Ok(Uint128::zero());
    }
    shares.checked_multiply_ratio(total_native, total_shares)
}

/// Native per derivative unit. One before any share exists; rounds down to 18 decimals.
pub fn exchange_rate(total_native: Uint128, total_shares: Uint128) -> Decimal {
    if total_shares.is_zero() {
        return Decimal::one();
    }
    // The ratio only overflows above 3.4e20 native per share, far beyond any real rate.
    Decimal::checked_from_ratio(total_native, total_shares).unwrap_or(Decimal::MAX)
}

/// Splits rewards into the protocol fee (rounded down) and the part to re-stake (the rest),
/// so the two add up to `amount` exactly.
pub fn fee_split(amount: Uint128, fee_rate: Decimal) -> (Uint128, Uint128) {
    let fee = amount.mul_floor(fee_rate);
    (fee, amount - fee)
}

/// Splits `total` in proportion to `weights` so that the parts add up to `total` exactly:
/// each part is first rounded down, then the units left over go one each to the parts with
/// the largest remainders (ties to the lower index).
///
/// When `total <= sum(weights)` no part exceeds its weight: a part that receives an extra
/// unit had a fractional remainder, so it becomes `ceil(total * w / W) <= w`. This is what
/// lets the weights be the delegations an undelegation is taken from.
/// Returns `None` when the weights sum to zero but `total` does not.
pub fn split_pro_rata(total: Uint128, weights: &[Uint128]) -> Option<Vec<Uint128>> {
    // Sums and products are taken in 256 bits: neither can overflow there.
    let weight_sum: Uint256 = weights.iter().map(|w| Uint256::from(*w)).sum();
    if weight_sum.is_zero() {
        return total
            .is_zero()
            .then(|| vec![Uint128::zero(); weights.len()]);
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let product = total.full_mul(*weight);
        // The quotient is at most `total`, so it fits back in 128 bits.
        let part = product / weight_sum;
        remainders.push((product - part * weight_sum, index));
        parts.push(Uint128::try_from(part).ok()?);
    }
    let assigned: Uint256 = parts.iter().map(|p| Uint256::from(*p)).sum();
    // Each part lost less than one unit, so the leftover is below the number of parts.
    let leftover = usize::try_from(
        Uint128::try_from(Uint256::from(total) - assigned)
            .ok()?
            .u128(),
    )
    .ok()?;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders.into_iter().take(leftover) {
        parts[index] += Uint128::one();
    }
    Some(parts)
}

/// Charges a shortfall found at reconcile to the batches settled together, newest submission
/// first: `batches` lists `(submitted_height, expected)`, and the result is what each batch
/// loses, in the same order, each at most its expectation and adding up to
/// `min(shortfall, sum(expected))`.
///
/// x/staking slashes an unbonding entry for an infraction only if the entry was created at or
/// after the infraction's height, so of the batches unbonding when a slash lands, those hit are
/// always the most recently submitted. Charging newest first is exact whenever the shortfall
/// belongs to one batch (a batch reconciled alone always is), and leaves an older batch whole
/// whenever a newer one could have carried the loss.
pub fn charge_newest_first(shortfall: Uint128, batches: &[(u64, Uint128)]) -> Vec<Uint128> {
    let mut order: Vec<usize> = (0..batches.len()).collect();
    order.sort_by(|a, b| batches[*b].0.cmp(&batches[*a].0).then(b.cmp(a)));
    let mut left = shortfall;
    let mut charges = vec![Uint128::zero(); batches.len()];
    for index in order {
        let charge = left.min(batches[index].1);
        charges[index] = charge;
        left -= charge;
    }
    charges
}

/// Unvested rewards that may enter the rate now: at most `max_reward_rate` a year on the
/// backing for the time since the last recognition (counted up to [`VESTING_WINDOW`], so a
/// quiet spell does not store up an allowance), and never more than half the rate's rise
/// bound, so recognition alone can never trip the breaker. Rounds down.
pub fn vestable(
    unvested: Uint128,
    total_native: Uint128,
    max_reward_rate: Decimal,
    elapsed: u64,
    max_rise: Decimal,
) -> Uint128 {
    let by_time = reward_allowance(total_native, max_reward_rate, elapsed);
    let by_bound = total_native.mul_floor(max_rise) / Uint128::new(2);
    unvested.min(by_time).min(by_bound)
}

/// How much vesting may still add to `total_native` before the rate would stand more than half
/// the rise bound above `last_sync_rate` (the rate the breaker compares with): several vests
/// between two syncs (a sync's, then a harvest's) share one half-bound step, so recognised
/// rewards alone never trip the breaker. Rounds down; zero once the rate is at that ceiling.
pub fn vesting_headroom(
    total_native: Uint128,
    total_shares: Uint128,
    last_sync_rate: Decimal,
    max_rise: Decimal,
) -> Uint128 {
    let ceiling = last_sync_rate * (Decimal::one() + max_rise * Decimal::percent(50));
    total_shares
        .checked_mul_floor(ceiling)
        .unwrap_or(Uint128::MAX)
        .saturating_sub(total_native)
}

/// The plausible reward on `total_native` at `max_reward_rate` a year for `elapsed` seconds
/// (counted up to [`VESTING_WINDOW`]). Rounds down.
pub fn reward_allowance(total_native: Uint128, max_reward_rate: Decimal, elapsed: u64) -> Uint128 {
    let elapsed = elapsed.min(VESTING_WINDOW);
    // native * rate * elapsed / year in 256 bits: below 2^128 * 10^19 * 2^20, no overflow.
    let by_time = Uint256::from(total_native)
        * Uint256::from(max_reward_rate.atomics())
        * Uint256::from(elapsed)
        / (Uint256::from(Decimal::one().atomics()) * Uint256::from(YEAR_SECONDS));
    Uint128::try_from(by_time).unwrap_or(Uint128::MAX)
}

/// Seconds of allowance that vesting `vested` of an `allowance` earned over `elapsed` seconds
/// uses up: the same fraction of the time, rounded up, so the unused rest of the allowance is
/// kept for the next recognition and never overstated.
pub fn allowance_time_used(elapsed: u64, vested: Uint128, allowance: Uint128) -> u64 {
    if allowance.is_zero() || vested >= allowance {
        return elapsed;
    }
    let used = Uint128::from(elapsed).full_mul(vested);
    let allowance = Uint256::from(allowance);
    let rounded_up = (used + allowance - Uint256::one()) / allowance;
    u64::try_from(Uint128::try_from(rounded_up).unwrap_or(Uint128::MAX).u128())
        .unwrap_or(elapsed)
        .min(elapsed)
}

/// Seconds in a year of 365 days.
pub const YEAR_SECONDS: u64 = 31_536_000;
/// Longest time an allowance of reward recognition accumulates: seven days, the longest gap
/// between harvests whose rewards still enter the rate at once.
pub const VESTING_WINDOW: u64 = 7 * 86_400;

/// Splits a loss on the delegated stake between the counted backing and the unvested rewards,
/// in proportion to the two (the unvested part rounded down), so that a slash lowers both as
/// it lowers the stake. Neither part exceeds its pool when `loss <= native + unvested`.
pub fn split_loss(loss: Uint128, native: Uint128, unvested: Uint128) -> (Uint128, Uint128) {
    let stake = Uint256::from(native) + Uint256::from(unvested);
    if stake.is_zero() {
        return (loss, Uint128::zero());
    }
    let unvested_part = Uint128::try_from(loss.full_mul(unvested) / stake)
        .unwrap_or(unvested)
        .min(unvested);
    (loss - unvested_part, unvested_part)
}

/// Native paid for a request of `shares` in a batch that received `native_received` for
/// `batch_shares`. Rounds down: a user is paid at most their pro rata part.
pub fn claim_for_shares(
    shares: Uint128,
    native_received: Uint128,
    batch_shares: Uint128,
) -> Uint128 {
    if batch_shares.is_zero() {
        return Uint128::zero();
    }
    // shares <= batch_shares, so the result is at most native_received: no overflow.
    shares.multiply_ratio(native_received, batch_shares)
}

/// Whether a shortfall at reconcile is too large to be a slash: more than `max_shortfall` of
/// what was expected is missing.
pub fn shortfall_too_large(expected: Uint128, arrived: Uint128, max_shortfall: Decimal) -> bool {
    let tolerated = expected.mul_floor(max_shortfall);
    arrived < expected.saturating_sub(tolerated)
}

/// How the rate moved between two syncs, judged against the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateMove {
    Within,
    FellBeyond,
    RoseBeyond,
}

/// Compares `new` with `old`: a fall by more than `max_fall` of `old`, or a rise by more than
/// `max_rise` of `old`, is beyond the bounds. Products round down, which makes the bound a
/// hair stricter, never looser.
pub fn rate_move(old: Decimal, new: Decimal, bounds: &RateBounds) -> RateMove {
    if new < old && old - new > old * bounds.max_fall {
        RateMove::FellBeyond
    } else if new > old && new - old > old * bounds.max_rise {
        RateMove::RoseBeyond
    } else {
        RateMove::Within
    }
}

#[cfg(test)]
#[path = "math_tests.rs"]
mod tests;

/// What the buffer takes of an inflow of `amount`: up to what it lacks of `target` of
/// `backing` (the goal rounded down), the rest is delegated.
pub fn buffer_fill(amount: Uint128, buffer: Uint128, backing: Uint128, target: Decimal) -> Uint128 {
    backing.mul_floor(target).saturating_sub(buffer).min(amount)
}

/// Splits `charge`, a slash of a batch's unbonding entries, between the batch's own native
/// `own` and the buffer's top-up `topup` riding with it, in proportion (the top-up's part
/// rounded down): `(own_charge, topup_charge)`. Entries that hold nothing carry no charge.
pub fn split_entry_charge(charge: Uint128, own: Uint128, topup: Uint128) -> (Uint128, Uint128) {
    if topup.is_zero() {
        return (charge, Uint128::zero());
    }
    // In 256 bits: the product cannot overflow there, nor the sum; the quotient is at most
    // `charge`, so it fits back in 128 bits.
    let held = Uint256::from(own) + Uint256::from(topup);
    let part = charge.full_mul(topup) / held;
    let topup_charge = Uint128::try_from(part).unwrap_or(charge).min(topup);
    (charge - topup_charge, topup_charge)
}

/// What the buffer holds beyond `target` of `backing`: delegated at the next harvest.
pub fn buffer_excess(buffer: Uint128, backing: Uint128, target: Decimal) -> Uint128 {
    buffer.saturating_sub(backing.mul_floor(target))
}

/// Splits the native value of an instant exit into the exit fee (rounded up, so the remaining
/// holders never subsidise an exit) and the payout (the rest): `(fee, payout)`.
pub fn exit_fee_split(native: Uint128, exit_fee: Decimal) -> (Uint128, Uint128) {
    let fee = native.mul_ceil(exit_fee).min(native);
    (fee, native - fee)
}

/// Simple annual growth of the rate from `start` to `end` over `seconds`, and the same growth
/// compounded daily, `(1 + apr / 365)^365 - 1`: `(apr, apy)`. Zero over no time or from a zero
/// rate. Negative after a loss.
pub fn annual_yield(start: Decimal, end: Decimal, seconds: u64) -> (SignedDecimal, SignedDecimal) {
    if seconds == 0 || start.is_zero() {
        return (SignedDecimal::zero(), SignedDecimal::zero());
    }
    let year = Decimal256::from_ratio(YEAR_SECONDS, seconds);
    let ratio = Decimal256::from(end) / Decimal256::from(start);
    let one = Decimal256::one();
    let (growth, negative) = if ratio >= one {
        (ratio - one, false)
    } else {
        (one - ratio, true)
    };
    let apr = growth.checked_mul(year).unwrap_or(Decimal256::MAX);
    let daily = apr / Decimal256::from_ratio(365u32, 1u32);
    let apy = if negative {
        let base = one.checked_sub(daily).unwrap_or_default();
        one - base.checked_pow(365).unwrap_or_default()
    } else {
        (one + daily).checked_pow(365).unwrap_or(Decimal256::MAX) - one
    };
    let signed = |value: Decimal256| {
        let value = SignedDecimal::try_from(Decimal::try_from(value).unwrap_or(Decimal::MAX))
            .unwrap_or(SignedDecimal::MAX);
        if negative {
            -value
        } else {
            value
        }
    };
    (signed(apr), signed(apy))
}

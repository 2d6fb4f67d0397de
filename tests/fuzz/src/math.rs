//! The `math` target: every function of the hub's `math` module against a reference written
//! with arbitrary-precision integers, on values drawn across the whole `u128` range. Results
//! must match the reference exactly, which fixes each rounding direction; the properties the
//! module's documentation promises are checked as well: splits add up exactly and never
//! exceed their caps, nobody is paid more than their part, a bond then unbond never profits, a
//! shortfall is charged newest batch first and never beyond what the batches expect, vesting
//! never exceeds the unvested rewards nor half the rise bound (so it alone never trips the
//! breaker), a loss splits between backing and unvested rewards without exceeding either.
//!
//! Functions are called only within their documented preconditions (`claim_for_shares` with
//! `shares <= batch_shares`, fractions at most one, reward rates at most the cap), as the hub
//! calls them.

use arbitrary::{Arbitrary, Unstructured};
use cosmwasm_std::{Decimal, Uint128};
use flowstake::hub::RateBounds;
use flowstake::MAX_REWARD_RATE_CAP;
use flowstake_hub::math::{
    charge_newest_first, claim_for_shares, exchange_rate, fee_split, native_for_shares, rate_move,
    shares_for_deposit, shortfall_too_large, split_loss, split_pro_rata, vestable, RateMove,
    VESTING_WINDOW, YEAR_SECONDS,
};
use num_bigint::BigUint;
use num_traits::{ToPrimitive, Zero};

use crate::amount::Amount;

/// Longest list drawn: the hub's largest validator set.
const MAX_LEN: usize = 200;
/// `10^18`: the scale of `Decimal`.
const UNIT: u128 = 1_000_000_000_000_000_000;

fn big(value: u128) -> BigUint {
    BigUint::from(value)
}

fn big_of(value: Uint128) -> BigUint {
    big(value.u128())
}

/// The reference result fits in 128 bits, or `None`.
fn narrow(value: &BigUint) -> Option<u128> {
    value.to_u128()
}

/// A fraction in `[0, 1]`, as the atomics of a `Decimal`.
fn fraction(atomics: u64) -> Decimal {
    Decimal::new(Uint128::new(u128::from(atomics) % (UNIT + 1)))
}

/// How a loss is drawn against the stake it falls on.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Loss {
    /// At most the stake, as the hub calls it (a slash never takes more than is delegated).
    WithinStake(Amount),
    /// Anything, even beyond the stake.
    Any(Amount),
}

#[derive(Arbitrary, Clone, Debug)]
pub enum MathCase {
    SharesForDeposit {
        native: Amount,
        total_native: Amount,
        total_shares: Amount,
    },
    NativeForShares {
        shares: Amount,
        total_native: Amount,
        total_shares: Amount,
    },
    SplitProRata {
        total: Amount,
        weights: Vec<Amount>,
    },
    ChargeNewestFirst {
        shortfall: Amount,
        /// `(submitted_height, expected)` of each batch settled together.
        batches: Vec<(u64, Amount)>,
    },
    Vestable {
        unvested: Amount,
        total_native: Amount,
        /// Atomics of the reward rate, reduced into `(0, MAX_REWARD_RATE_CAP]`.
        max_reward_rate: u128,
        elapsed: u64,
        max_rise: u64,
        /// For the breaker property: the shares the backing is spread over.
        total_shares: Amount,
    },
    SplitLoss {
        loss: Loss,
        native: Amount,
        unvested: Amount,
    },
    ClaimForShares {
        native_received: Amount,
        requests: Vec<Amount>,
    },
    FeeSplit {
        amount: Amount,
        fee_rate: u64,
    },
    ExchangeRate {
        total_native: Amount,
        total_shares: Amount,
    },
    ShortfallTooLarge {
        expected: Amount,
        arrived: Amount,
        max_shortfall: u64,
    },
    RateMove {
        old: Amount,
        new: Amount,
        max_fall: u64,
        max_rise: u64,
    },
}

/// Checks every case the bytes describe; panics on a mismatch.
pub fn run(data: &[u8]) {
    let mut input = Unstructured::new(data);
    while !input.is_empty() {
        let Ok(case) = MathCase::arbitrary(&mut input) else {
            return;
        };
        check(&case);
    }
}

pub fn check(case: &MathCase) {
    match case {
        MathCase::SharesForDeposit {
            native,
            total_native,
            total_shares,
        } => check_shares_for_deposit(native.value(), total_native.value(), total_shares.value()),
        MathCase::NativeForShares {
            shares,
            total_native,
            total_shares,
        } => check_native_for_shares(shares.value(), total_native.value(), total_shares.value()),
        MathCase::SplitProRata { total, weights } => {
            let weights: Vec<u128> = weights.iter().take(MAX_LEN).map(|w| w.value()).collect();
            check_split_pro_rata(total.value(), &weights);
        }
        MathCase::ChargeNewestFirst { shortfall, batches } => {
            let batches: Vec<(u64, u128)> = batches
                .iter()
                .take(MAX_LEN)
                .map(|(height, expected)| (*height, expected.value()))
                .collect();
            check_charge_newest_first(shortfall.value(), &batches);
        }
        MathCase::Vestable {
            unvested,
            total_native,
            max_reward_rate,
            elapsed,
            max_rise,
            total_shares,
        } => {
            let cap = MAX_REWARD_RATE_CAP.atomics().u128();
            let rate = Decimal::new(Uint128::new(max_reward_rate % cap + 1));
            check_vestable(
                unvested.value(),
                total_native.value(),
                rate,
                *elapsed,
                fraction(*max_rise),
                total_shares.value(),
            );
        }
        MathCase::SplitLoss {
            loss,
            native,
            unvested,
        } => check_split_loss(*loss, native.value(), unvested.value()),
        MathCase::ClaimForShares {
            native_received,
            requests,
        } => {
            let requests: Vec<u128> = requests.iter().take(MAX_LEN).map(|r| r.value()).collect();
            check_claims(native_received.value(), &requests);
        }
        MathCase::FeeSplit { amount, fee_rate } => {
            check_fee_split(amount.value(), fraction(*fee_rate));
        }
        MathCase::ExchangeRate {
            total_native,
            total_shares,
        } => check_exchange_rate(total_native.value(), total_shares.value()),
        MathCase::ShortfallTooLarge {
            expected,
            arrived,
            max_shortfall,
        } => check_shortfall(expected.value(), arrived.value(), fraction(*max_shortfall)),
        MathCase::RateMove {
            old,
            new,
            max_fall,
            max_rise,
        } => check_rate_move(
            Decimal::new(Uint128::new(old.value())),
            Decimal::new(Uint128::new(new.value())),
            fraction(*max_fall),
            fraction(*max_rise),
        ),
    }
}

/// `floor(a * b / c)` if it fits in 128 bits; `None` on overflow. `c` is not zero.
fn mul_div(a: u128, b: u128, c: u128) -> Option<u128> {
    narrow(&(big(a) * big(b) / big(c)))
}

fn check_shares_for_deposit(native: u128, total_native: u128, total_shares: u128) {
    let got = shares_for_deposit(
        Uint128::new(native),
        Uint128::new(total_native),
        Uint128::new(total_shares),
    )
    .ok()
    .map(|n| n.u128());
    let expected = if total_shares == 0 {
        Some(native)
    } else if total_native == 0 {
        None
    } else {
        mul_div(native, total_shares, total_native)
    };
    assert_eq!(
        got, expected,
        "shares_for_deposit({native}, {total_native}, {total_shares})"
    );
    let Some(shares) = got else { return };
    if total_shares == 0 {
        return;
    }
    // Rounded down: the shares are worth at most the deposit.
    assert!(big(shares) * big(total_native) <= big(native) * big(total_shares));
    // No round trip profits: redeeming the shares at the rate after the deposit returns at
    // most the deposit.
    let (Some(native_after), Some(shares_after)) = (
        total_native.checked_add(native),
        total_shares.checked_add(shares),
    ) else {
        return;
    };
    let back = native_for_shares(
        Uint128::new(shares),
        Uint128::new(native_after),
        Uint128::new(shares_after),
    )
    .expect("shares no more than the supply convert without overflow");
    assert!(
        back.u128() <= native,
        "bond of {native} at {total_native}/{total_shares} minted {shares} worth {back}"
    );
}

fn check_native_for_shares(shares: u128, total_native: u128, total_shares: u128) {
    let got = native_for_shares(
        Uint128::new(shares),
        Uint128::new(total_native),
        Uint128::new(total_shares),
    )
    .ok()
    .map(|n| n.u128());
    let expected = if total_shares == 0 {
        Some(0)
    } else {
        mul_div(shares, total_native, total_shares)
    };
    assert_eq!(
        got, expected,
        "native_for_shares({shares}, {total_native}, {total_shares})"
    );
    if shares <= total_shares {
        // At most the backing: a part of the supply is worth at most all of it.
        assert!(got.expect("no overflow below the supply") <= total_native);
    }
}

/// The reference split: floors, then one unit each to the largest remainders (ties to the
/// lower index).
fn reference_split(total: u128, weights: &[u128]) -> Option<Vec<u128>> {
    let weight_sum: BigUint = weights.iter().map(|w| big(*w)).sum();
    if weight_sum.is_zero() {
        return (total == 0).then(|| vec![0; weights.len()]);
    }
    let mut parts = vec![];
    let mut remainders = vec![];
    for (index, weight) in weights.iter().enumerate() {
        let product = big(total) * big(*weight);
        parts.push(narrow(&(&product / &weight_sum)).expect("a part is at most the total"));
        remainders.push((&product % &weight_sum, index));
    }
    let assigned: BigUint = parts.iter().map(|p| big(*p)).sum();
    let leftover = narrow(&(big(total) - assigned)).expect("below the number of parts");
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders.into_iter().take(leftover as usize) {
        parts[index] += 1;
    }
    Some(parts)
}

fn check_split_pro_rata(total: u128, weights: &[u128]) {
    let as_uint: Vec<Uint128> = weights.iter().map(|w| Uint128::new(*w)).collect();
    let got = split_pro_rata(Uint128::new(total), &as_uint)
        .map(|parts| parts.into_iter().map(|n| n.u128()).collect::<Vec<_>>());
    let expected = reference_split(total, weights);
    assert_eq!(got, expected, "split_pro_rata({total}, {weights:?})");
    let Some(parts) = got else { return };
    assert_eq!(parts.len(), weights.len());
    let parts_sum: BigUint = parts.iter().map(|p| big(*p)).sum();
    assert_eq!(
        parts_sum,
        big(total),
        "the parts do not add up to the total"
    );
    let weight_sum: BigUint = weights.iter().map(|w| big(*w)).sum();
    for (part, weight) in parts.iter().zip(weights) {
        if big(total) <= weight_sum {
            assert!(
                part <= weight,
                "part {part} above its cap {weight} though the total fits"
            );
        }
        if !weight_sum.is_zero() {
            // Each part is its exact share rounded down or up.
            let exact_floor = big(total) * big(*weight) / &weight_sum;
            let part = big(*part);
            assert!(part == exact_floor || part == exact_floor + 1u32);
        }
    }
}

/// The reference charge: newest submission first (ties: the later in the list first), each
/// batch charged what is left of the shortfall up to its expectation.
fn reference_charges(shortfall: u128, batches: &[(u64, u128)]) -> Vec<u128> {
    let mut order: Vec<usize> = (0..batches.len()).collect();
    order.sort_by(|a, b| (batches[*b].0, *b).cmp(&(batches[*a].0, *a)));
    let mut left = shortfall;
    let mut charges = vec![0; batches.len()];
    for index in order {
        let charge = left.min(batches[index].1);
        charges[index] = charge;
        left -= charge;
    }
    charges
}

fn check_charge_newest_first(shortfall: u128, batches: &[(u64, u128)]) {
    let as_uint: Vec<(u64, Uint128)> = batches
        .iter()
        .map(|(height, expected)| (*height, Uint128::new(*expected)))
        .collect();
    let got: Vec<u128> = charge_newest_first(Uint128::new(shortfall), &as_uint)
        .into_iter()
        .map(|n| n.u128())
        .collect();
    assert_eq!(
        got,
        reference_charges(shortfall, batches),
        "charge_newest_first({shortfall}, {batches:?})"
    );
    assert_eq!(got.len(), batches.len());
    // Each batch loses at most what it expected; the charges add up to the shortfall, or to
    // everything expected when the shortfall is larger.
    for (charge, (_, expected)) in got.iter().zip(batches) {
        assert!(
            charge <= expected,
            "charged {charge}, above its expectation {expected}"
        );
    }
    let expected_sum: BigUint = batches.iter().map(|(_, e)| big(*e)).sum();
    let charged: BigUint = got.iter().map(|c| big(*c)).sum();
    assert_eq!(
        charged,
        big(shortfall).min(expected_sum),
        "the charges do not add up"
    );
    // Newest first: a batch is charged only once every strictly newer batch has lost all it
    // expected.
    for (index, charge) in got.iter().enumerate() {
        if *charge == 0 {
            continue;
        }
        for (other, (height, expected)) in batches.iter().enumerate() {
            if *height > batches[index].0 {
                assert_eq!(
                    got[other], *expected,
                    "batch {index} charged while the newer batch {other} was not fully"
                );
            }
        }
    }
    // A shortfall one batch can carry (the newest) is charged to it alone.
    if let Some(newest) = (0..batches.len()).max_by_key(|i| (batches[*i].0, *i)) {
        if shortfall <= batches[newest].1 {
            assert_eq!(got[newest], shortfall);
        }
    }
}

fn check_vestable(
    unvested: u128,
    total_native: u128,
    max_reward_rate: Decimal,
    elapsed: u64,
    max_rise: Decimal,
    total_shares: u128,
) {
    let got = vestable(
        Uint128::new(unvested),
        Uint128::new(total_native),
        max_reward_rate,
        elapsed,
        max_rise,
    )
    .u128();
    let counted = elapsed.min(VESTING_WINDOW);
    let by_time =
        big(total_native) * big(max_reward_rate.atomics().u128()) * BigUint::from(counted)
            / (big(UNIT) * BigUint::from(YEAR_SECONDS));
    let by_time = narrow(&by_time).unwrap_or(u128::MAX);
    let by_bound = mul_div(total_native, max_rise.atomics().u128(), UNIT).expect("a fraction") / 2;
    let reference = unvested.min(by_time).min(by_bound);
    assert_eq!(
        got, reference,
        "vestable({unvested}, {total_native}, {max_reward_rate}, {elapsed}, {max_rise})"
    );
    assert!(got <= unvested, "more vested than was unvested");
    if elapsed == 0 || total_native == 0 {
        assert_eq!(got, 0, "vesting without time or backing");
    }
    // The allowance grows with time, up to the window, and not beyond.
    let later = vestable(
        Uint128::new(unvested),
        Uint128::new(total_native),
        max_reward_rate,
        elapsed.saturating_add(1),
        max_rise,
    )
    .u128();
    assert!(later >= got, "a longer wait vests less");
    if elapsed >= VESTING_WINDOW {
        assert_eq!(later, got, "an allowance stored up beyond the window");
    }
    // Recognition alone never trips the breaker: the rate rises by at most the bound, once the
    // bound is more than the rounding of the rates (a few atomics).
    if total_shares == 0 {
        return;
    }
    let Some(after) = total_native.checked_add(got) else {
        return;
    };
    let old = exchange_rate(Uint128::new(total_native), Uint128::new(total_shares));
    let new = exchange_rate(Uint128::new(after), Uint128::new(total_shares));
    let bound = mul_div(old.atomics().u128(), max_rise.atomics().u128(), UNIT).expect("a fraction");
    if new == Decimal::MAX || bound < 8 {
        return;
    }
    let bounds = RateBounds {
        max_fall: Decimal::zero(),
        max_rise,
    };
    assert_eq!(
        rate_move(old, new, &bounds),
        RateMove::Within,
        "vesting {got} on {total_native}/{total_shares} moves the rate {old} -> {new} beyond \
         a rise of {max_rise}"
    );
}

fn check_split_loss(loss: Loss, native: u128, unvested: u128) {
    let stake = big(native) + big(unvested);
    let (loss, within) = match loss {
        Loss::WithinStake(amount) => (
            narrow(&(big(amount.value()) % (&stake + 1u32))).expect("at most the amount"),
            true,
        ),
        Loss::Any(amount) => (amount.value(), big(amount.value()) <= stake),
    };
    let (native_part, unvested_part) = split_loss(
        Uint128::new(loss),
        Uint128::new(native),
        Uint128::new(unvested),
    );
    let (native_part, unvested_part) = (native_part.u128(), unvested_part.u128());
    let reference_unvested = if stake.is_zero() {
        0
    } else {
        narrow(&(big(loss) * big(unvested) / &stake))
            .expect("at most the loss")
            .min(unvested)
    };
    assert_eq!(
        (native_part, unvested_part),
        (loss - reference_unvested, reference_unvested),
        "split_loss({loss}, {native}, {unvested})"
    );
    assert_eq!(
        big(native_part) + big(unvested_part),
        big(loss),
        "the parts do not add up to the loss"
    );
    assert!(
        unvested_part <= unvested,
        "more taken from the unvested than it holds"
    );
    if within {
        assert!(
            native_part <= native,
            "loss {loss} on {native} + {unvested} takes {native_part} from the backing"
        );
    }
}

/// The requests of one batch: each is paid its part rounded down, none more than the batch
/// received in all, and the dust left is less than one unit per request.
fn check_claims(native_received: u128, requests: &[u128]) {
    let mut batch_shares: u128 = 0;
    let mut kept = vec![];
    for request in requests {
        let Some(sum) = batch_shares.checked_add(*request) else {
            break;
        };
        batch_shares = sum;
        kept.push(*request);
    }
    let mut paid = BigUint::zero();
    for shares in &kept {
        let got = claim_for_shares(
            Uint128::new(*shares),
            Uint128::new(native_received),
            Uint128::new(batch_shares),
        )
        .u128();
        let reference = if batch_shares == 0 {
            0
        } else {
            mul_div(*shares, native_received, batch_shares).expect("at most what was received")
        };
        assert_eq!(
            got, reference,
            "claim_for_shares({shares}, {native_received}, {batch_shares})"
        );
        paid += big(got);
    }
    assert!(
        paid <= big(native_received),
        "requests paid more than the batch received"
    );
    if batch_shares > 0 {
        assert!(big(native_received) - paid < BigUint::from(kept.len().max(1)));
    }
}

fn check_fee_split(amount: u128, fee_rate: Decimal) {
    let (fee, rest) = fee_split(Uint128::new(amount), fee_rate);
    let reference = mul_div(amount, fee_rate.atomics().u128(), UNIT).expect("at most the amount");
    assert_eq!(fee.u128(), reference, "fee_split({amount}, {fee_rate})");
    assert_eq!(
        big_of(fee) + big_of(rest),
        big(amount),
        "fee and rest do not add up"
    );
}

fn check_exchange_rate(total_native: u128, total_shares: u128) {
    let got = exchange_rate(Uint128::new(total_native), Uint128::new(total_shares));
    let expected = if total_shares == 0 {
        Decimal::one()
    } else {
        mul_div(total_native, UNIT, total_shares)
            .map_or(Decimal::MAX, |atomics| Decimal::new(Uint128::new(atomics)))
    };
    assert_eq!(
        got, expected,
        "exchange_rate({total_native}, {total_shares})"
    );
}

fn check_shortfall(expected: u128, arrived: u128, max_shortfall: Decimal) {
    let got = shortfall_too_large(Uint128::new(expected), Uint128::new(arrived), max_shortfall);
    let tolerated =
        mul_div(expected, max_shortfall.atomics().u128(), UNIT).expect("a fraction of expected");
    let reference = arrived < expected - tolerated;
    assert_eq!(
        got, reference,
        "shortfall_too_large({expected}, {arrived}, {max_shortfall})"
    );
}

fn check_rate_move(old: Decimal, new: Decimal, max_fall: Decimal, max_rise: Decimal) {
    let bounds = RateBounds { max_fall, max_rise };
    let got = rate_move(old, new, &bounds);
    let (o, n) = (old.atomics().u128(), new.atomics().u128());
    // Products of decimals round down to 18 decimals.
    let fall_bound = mul_div(o, max_fall.atomics().u128(), UNIT).expect("a fraction of old");
    let rise_bound = mul_div(o, max_rise.atomics().u128(), UNIT).expect("a fraction of old");
    let reference = if n < o && o - n > fall_bound {
        RateMove::FellBeyond
    } else if n > o && n - o > rise_bound {
        RateMove::RoseBeyond
    } else {
        RateMove::Within
    };
    assert_eq!(
        got, reference,
        "rate_move({old}, {new}, fall {max_fall}, rise {max_rise})"
    );
}

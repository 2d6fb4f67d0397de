//! The `math` target: every function of the hub's `math` module against a reference written
//! with arbitrary-precision integers, on values drawn across the whole `u128` range. Results
//! must match the reference exactly, which fixes each rounding direction; the properties the
//! module's documentation promises are checked as well: splits add up exactly and never
//! exceed their caps, nobody is paid more than their part, a bond then unbond never profits.
//!
//! Functions are called only within their documented preconditions (`claim_for_shares` with
//! `shares <= batch_shares`, fractions at most one), as the hub calls them.

use arbitrary::{Arbitrary, Unstructured};
use cosmwasm_std::{Decimal, Uint128};
use flowstake::hub::RateBounds;
use flowstake_hub::math::{
    claim_for_shares, exchange_rate, fee_split, native_for_shares, rate_move, reconcile_split,
    shares_for_deposit, shortfall_too_large, split_pro_rata, RateMove,
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

/// What the expected total of a reconcile is drawn as.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ExpectedTotal {
    /// The batches booked now and `extra` more waiting, as the hub calls it.
    AtLeastSum(Amount),
    /// Anything, even below what the batches expect.
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
    ReconcileSplit {
        arrived: Amount,
        expected_total: ExpectedTotal,
        expected: Vec<Amount>,
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
        MathCase::ReconcileSplit {
            arrived,
            expected_total,
            expected,
        } => {
            let expected: Vec<u128> = expected.iter().take(MAX_LEN).map(|e| e.value()).collect();
            check_reconcile_split(arrived.value(), *expected_total, &expected);
        }
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

fn check_reconcile_split(arrived: u128, expected_total: ExpectedTotal, expected: &[u128]) {
    let expected_sum: BigUint = expected.iter().map(|e| big(*e)).sum();
    let (total, at_least_sum) = match expected_total {
        ExpectedTotal::AtLeastSum(extra) => {
            match narrow(&(expected_sum.clone() + big(extra.value()))) {
                Some(total) => (total, true),
                None => return,
            }
        }
        ExpectedTotal::Any(total) => (total.value(), false),
    };
    let as_uint: Vec<Uint128> = expected.iter().map(|e| Uint128::new(*e)).collect();
    let got: Vec<u128> = reconcile_split(Uint128::new(arrived), Uint128::new(total), &as_uint)
        .into_iter()
        .map(|n| n.u128())
        .collect();
    let reference: Vec<u128> = if arrived >= total {
        expected.to_vec()
    } else {
        expected
            .iter()
            .map(|e| mul_div(*e, arrived, total).expect("below the expectation"))
            .collect()
    };
    assert_eq!(
        got, reference,
        "reconcile_split({arrived}, {total}, {expected:?})"
    );
    for (part, e) in got.iter().zip(expected) {
        assert!(
            part <= e,
            "a batch booked {part}, more than it expected, {e}"
        );
    }
    if at_least_sum && arrived < total {
        let booked: BigUint = got.iter().map(|p| big(*p)).sum();
        assert!(booked <= big(arrived), "more booked than arrived");
        if big(total) == expected_sum {
            // What is left is rounding dust: less than one unit per batch.
            assert!(big(arrived) - booked < BigUint::from(expected.len()));
        }
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

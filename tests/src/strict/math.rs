//! The chain's conversions between tokens and shares, and the reward arithmetic, as pure
//! functions. Shares are `Decimal256` with 18 decimals, as x/staking's `LegacyDec`; products
//! are taken in 512 bits so no conversion can overflow.

use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256, Uint512};

use super::state::YEAR_SECONDS;

const DECIMAL_ATOMICS: u128 = 1_000_000_000_000_000_000;

fn to_u256(value: Uint512) -> Uint256 {
    Uint256::try_from(value).expect("strict chain arithmetic above 256 bits")
}

fn to_u128(value: Uint512) -> Uint128 {
    Uint128::try_from(value).expect("strict chain arithmetic above 128 bits")
}

/// Index units per native token: one unit is `1 / (10^36 * YEAR_SECONDS)` native.
pub fn index_units_per_native() -> Uint256 {
    Uint256::from(DECIMAL_ATOMICS) * Uint256::from(DECIMAL_ATOMICS) * Uint256::from(YEAR_SECONDS)
}

/// x/staking `AddTokensFromDel`: the shares a delegation of `amount` receives. The first
/// delegation sets the exchange rate to one; later ones get
/// `delegator_shares * amount / tokens`, truncated to 18 decimals (`MulInt` then `QuoInt`).
/// `None` when the validator has shares but no tokens (a slash to zero).
pub fn shares_for_delegation(
    delegator_shares: Decimal256,
    tokens: Uint128,
    amount: Uint128,
) -> Option<Decimal256> {
    if delegator_shares.is_zero() {
        return Some(Decimal256::from_atomics(amount, 0).expect("amount fits"));
    }
    shares_from_tokens(delegator_shares, tokens, amount)
}

/// x/staking `SharesFromTokens`: `delegator_shares * amount / tokens`, truncated. `None` when
/// the validator has no tokens.
pub fn shares_from_tokens(
    delegator_shares: Decimal256,
    tokens: Uint128,
    amount: Uint128,
) -> Option<Decimal256> {
    if tokens.is_zero() {
        return None;
    }
    let atomics =
        Uint512::from(delegator_shares.atomics()) * Uint512::from(amount) / Uint512::from(tokens);
    Some(Decimal256::new(to_u256(atomics)))
}

/// x/staking `TokensFromShares(shares).TruncateInt()`: what `shares` are worth in whole
/// tokens. `TokensFromShares` is `shares.MulInt(tokens).Quo(delegator_shares)`, and
/// `LegacyDec.Quo` rounds its 18-decimal result half to even (`chopPrecisionAndRound`), so a
/// worth of `99.9999999999999999999` becomes `100.000000000000000000` before the truncation:
/// the result is rounded down, except when the exact worth lies within half an atto-token below
/// a whole token.
pub fn tokens_from_shares(
    shares: Decimal256,
    tokens: Uint128,
    delegator_shares: Decimal256,
) -> Uint128 {
    if delegator_shares.is_zero() {
        return Uint128::zero();
    }
    let atomics = Uint512::from(DECIMAL_ATOMICS);
    // `Quo`: the quotient with 36 decimals, truncated, then rounded to 18.
    let wide = Uint512::from(shares.atomics()) * Uint512::from(tokens) * atomics * atomics
        / Uint512::from(delegator_shares.atomics());
    let worth = round_half_even(wide, atomics);
    to_u128(worth / atomics)
}

/// `value / divisor` rounded half to even, as the SDK's `chopPrecisionAndRound`.
fn round_half_even(value: Uint512, divisor: Uint512) -> Uint512 {
    let quotient = value / divisor;
    let remainder = value - quotient * divisor;
    let twice = remainder + remainder;
    let one = Uint512::one();
    if twice > divisor || (twice == divisor && quotient % Uint512::from(2u8) == one) {
        quotient + one
    } else {
        quotient
    }
}

/// `floor(amount * fraction)`: x/staking `slashFactor.MulInt(amount).TruncateInt()`.
pub fn fraction_of(amount: Uint128, fraction: Decimal) -> Uint128 {
    amount.mul_floor(fraction)
}

/// `shares * fraction`, truncated to 18 decimals (`LegacyDec.Mul` of the SDK rounds the last
/// digit; the difference is one atto-share).
pub fn fraction_of_shares(shares: Decimal256, fraction: Decimal) -> Decimal256 {
    let atomics = Uint512::from(shares.atomics()) * Uint512::from(fraction.atomics().u128())
        / Uint512::from(DECIMAL_ATOMICS);
    Decimal256::new(to_u256(atomics))
}

/// Reward index growth per second of a bonded validator:
/// `apr * (1 - commission)` in units of `10^-36` per token.
pub fn index_per_second(apr: Decimal, commission: Decimal) -> Uint256 {
    let kept = Decimal::one().saturating_sub(commission);
    Uint256::from(apr.atomics().u128()) * Uint256::from(kept.atomics().u128())
}

/// Rewards of `shares` over an index growth of `index_growth`, in index units:
/// `shares * tokens / delegator_shares * index_growth`, rounded down. Exact while the
/// validator's exchange rate is one.
pub fn rewards_of(
    shares: Decimal256,
    tokens: Uint128,
    delegator_shares: Decimal256,
    index_growth: Uint256,
) -> Uint256 {
    if delegator_shares.is_zero() || index_growth.is_zero() {
        return Uint256::zero();
    }
    to_u256(
        Uint512::from(shares.atomics()) * Uint512::from(tokens) * Uint512::from(index_growth)
            / Uint512::from(delegator_shares.atomics()),
    )
}

/// Index units as whole tokens, rounded down: what a withdrawal pays (x/distribution
/// `TruncateDecimal`, the remainder going to the community pool).
pub fn whole_tokens(index_units: Uint256) -> Uint128 {
    Uint128::try_from(index_units / index_units_per_native()).expect("rewards above 128 bits")
}

/// Index units as a decimal amount (18 decimals, rounded down), as the reward queries report.
pub fn decimal_tokens(index_units: Uint256) -> Decimal256 {
    Decimal256::new(index_units / (index_units_per_native() / Uint256::from(DECIMAL_ATOMICS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(value: &str) -> Decimal256 {
        value.parse().unwrap()
    }

    #[test]
    fn first_delegation_sets_the_rate_to_one() {
        let shares = shares_for_delegation(Decimal256::zero(), Uint128::zero(), 1_000u128.into());
        assert_eq!(shares, Some(dec("1000")));
    }

    #[test]
    fn shares_after_a_slash_are_worth_less_and_round_down() {
        // 1000 shares backed by 900 tokens: 100 tokens buy 111.111... shares, truncated.
        let shares = shares_from_tokens(dec("1000"), 900u128.into(), 100u128.into()).unwrap();
        assert_eq!(shares, dec("111.111111111111111111"));
        // Those shares are worth 99.9999999999999999999: `Quo` rounds that to 18 decimals,
        // 100.000000000000000000, so undelegating returns the 100 asked for.
        assert_eq!(
            tokens_from_shares(shares, 900u128.into(), dec("1000")),
            Uint128::new(100)
        );
        // 1005 tokens buy 1116.666666666666666666 shares (of 1_000_000 on 900_000 tokens),
        // worth 1004.9999999999999999994: rounded to 18 decimals it stays below 1005, and the
        // truncation returns 1004.
        let shares =
            shares_from_tokens(dec("1000000"), 900_000u128.into(), 1_005u128.into()).unwrap();
        assert_eq!(shares, dec("1116.666666666666666666"));
        assert_eq!(
            tokens_from_shares(shares, 900_000u128.into(), dec("1000000")),
            Uint128::new(1_004)
        );
        // Half an atto-token rounds to even.
        assert_eq!(
            round_half_even(Uint512::from(25u8), Uint512::from(10u8)),
            Uint512::from(2u8)
        );
        assert_eq!(
            round_half_even(Uint512::from(35u8), Uint512::from(10u8)),
            Uint512::from(4u8)
        );
        assert_eq!(
            shares_for_delegation(dec("10"), Uint128::zero(), 5u128.into()),
            None
        );
    }

    #[test]
    fn slash_fractions_truncate() {
        assert_eq!(
            fraction_of(Uint128::new(19), Decimal::percent(10)),
            Uint128::new(1)
        );
        assert_eq!(
            fraction_of_shares(dec("3"), Decimal::percent(50)),
            dec("1.5")
        );
    }

    #[test]
    fn a_year_at_ten_percent_pays_a_tenth() {
        let growth =
            index_per_second(Decimal::percent(10), Decimal::zero()) * Uint256::from(YEAR_SECONDS);
        let units = rewards_of(dec("1000"), 1_000u128.into(), dec("1000"), growth);
        assert_eq!(whole_tokens(units), Uint128::new(100));
        assert_eq!(decimal_tokens(units), dec("100"));
        // A 20 % commission leaves 80 % of that to the delegators.
        let growth = index_per_second(Decimal::percent(10), Decimal::percent(20))
            * Uint256::from(YEAR_SECONDS);
        let units = rewards_of(dec("1000"), 1_000u128.into(), dec("1000"), growth);
        assert_eq!(whole_tokens(units), Uint128::new(80));
    }

    #[test]
    fn one_second_of_rewards_is_a_fraction_of_a_token() {
        let growth = index_per_second(Decimal::percent(10), Decimal::zero());
        let units = rewards_of(dec("1000"), 1_000u128.into(), dec("1000"), growth);
        assert_eq!(whole_tokens(units), Uint128::zero());
        // 1000 * 0.1 / 31_536_000
        assert_eq!(decimal_tokens(units), dec("0.000003170979198376"));
    }
}

use super::*;
use std::str::FromStr;

fn u(v: u128) -> Uint128 {
    Uint128::new(v)
}

#[test]
fn first_deposit_mints_one_for_one() {
    assert_eq!(shares_for_deposit(u(1_000), u(0), u(0)).unwrap(), u(1_000));
}

#[test]
fn deposit_rounds_down_in_favour_of_holders() {
    // 10 native back 3 shares: 1 native is worth 0.3 shares, rounded down to 0.
    assert_eq!(shares_for_deposit(u(1), u(10), u(3)).unwrap(), u(0));
    // 7 * 3 / 10 = 2.1 -> 2
    assert_eq!(shares_for_deposit(u(7), u(10), u(3)).unwrap(), u(2));
}

#[test]
fn deposit_against_lost_backing_is_an_error() {
    assert_eq!(
        shares_for_deposit(u(5), u(0), u(100)),
        Err(CheckedMultiplyRatioError::DivideByZero)
    );
}

#[test]
fn deposit_at_uint128_max_scale() {
    let max = Uint128::MAX;
    assert_eq!(shares_for_deposit(max, max, max).unwrap(), max);
    // Rate 2: half of MAX fits.
    assert_eq!(
        shares_for_deposit(max, max, max / u(2)).unwrap(),
        max / u(2)
    );
    // Rate 1/2 would mint 2 * MAX: an overflow error, not a panic.
    assert_eq!(
        shares_for_deposit(max, max / u(2), max),
        Err(CheckedMultiplyRatioError::Overflow)
    );
}

#[test]
fn shares_redeem_rounding_down() {
    assert_eq!(native_for_shares(u(2), u(10), u(3)).unwrap(), u(6)); // 6.66 -> 6
    assert_eq!(native_for_shares(u(1), u(1), u(3)).unwrap(), u(0)); // dust
    assert_eq!(native_for_shares(u(5), u(0), u(0)).unwrap(), u(0));
    let max = Uint128::MAX;
    assert_eq!(native_for_shares(max, max, max).unwrap(), max);
}

#[test]
fn round_trip_never_profits() {
    // Invariant 5 on a grid of rates and amounts.
    for total_native in [1u128, 7, 1_000, 999_999_937] {
        for total_shares in [1u128, 3, 1_000, 1_000_003] {
            for native in [1u128, 2, 10, 12_345, 1_000_000] {
                let shares =
                    shares_for_deposit(u(native), u(total_native), u(total_shares)).unwrap();
                let back =
                    native_for_shares(shares, u(total_native + native), u(total_shares) + shares)
                        .unwrap();
                assert!(
                    back <= u(native),
                    "{native} at {total_native}/{total_shares}"
                );
            }
        }
    }
}

#[test]
fn exchange_rate_edges() {
    assert_eq!(exchange_rate(u(0), u(0)), Decimal::one());
    assert_eq!(exchange_rate(u(3), u(2)), Decimal::percent(150));
    assert_eq!(exchange_rate(Uint128::MAX, u(1)), Decimal::MAX);
}

#[test]
fn fee_split_adds_up() {
    assert_eq!(fee_split(u(1_000), Decimal::percent(10)), (u(100), u(900)));
    assert_eq!(fee_split(u(9), Decimal::percent(10)), (u(0), u(9))); // 0.9 -> 0
    assert_eq!(fee_split(u(0), Decimal::percent(10)), (u(0), u(0)));
    let (fee, rest) = fee_split(Uint128::MAX, Decimal::percent(10));
    assert_eq!(fee + rest, Uint128::MAX);
}

#[test]
fn split_is_exact_and_proportional() {
    let parts = split_pro_rata(u(100), &[u(1), u(1), u(1)]).unwrap();
    assert_eq!(parts, vec![u(34), u(33), u(33)]);
    let parts = split_pro_rata(u(10), &[u(0), u(3), u(1)]).unwrap();
    assert_eq!(parts, vec![u(0), u(8), u(2)]); // 7.5 -> 8 (larger remainder first), 2.5 -> 2
    assert_eq!(
        split_pro_rata(u(0), &[u(0), u(0)]).unwrap(),
        vec![u(0), u(0)]
    );
    assert_eq!(split_pro_rata(u(1), &[u(0), u(0)]), None);
    assert_eq!(split_pro_rata(u(0), &[]).unwrap(), Vec::<Uint128>::new());
}

#[test]
fn split_never_exceeds_caps_when_total_fits() {
    // Exhaustive over small delegations: an undelegation never asks a validator for more
    // than it holds.
    for a in 0u128..8 {
        for b in 0u128..8 {
            for c in 0u128..8 {
                let caps = [u(a), u(b), u(c)];
                for total in 0..=(a + b + c) {
                    let parts = split_pro_rata(u(total), &caps).unwrap();
                    assert_eq!(parts.iter().copied().sum::<Uint128>(), u(total));
                    for (part, cap) in parts.iter().zip(caps.iter()) {
                        assert!(part <= cap, "{total} over {caps:?} gave {parts:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn split_at_uint128_max_scale() {
    let max = Uint128::MAX;
    let parts = split_pro_rata(max, &[max, max]).unwrap();
    assert_eq!(parts[0] + parts[1], max);
    assert!(parts[0].abs_diff(parts[1]) <= u(1));
}

#[test]
fn a_shortfall_is_charged_to_the_newest_batches_first() {
    // Heights 10, 30, 20: the batch of height 30 carries the loss first, then 20.
    let batches = [(10, u(100)), (30, u(40)), (20, u(60))];
    assert_eq!(
        charge_newest_first(u(30), &batches),
        vec![u(0), u(30), u(0)]
    );
    assert_eq!(
        charge_newest_first(u(70), &batches),
        vec![u(0), u(40), u(30)]
    );
    // More than all expected: each batch loses its whole expectation, no more.
    assert_eq!(
        charge_newest_first(u(500), &batches),
        vec![u(100), u(40), u(60)]
    );
    assert_eq!(charge_newest_first(u(0), &batches), vec![u(0); 3]);
}

#[test]
fn vesting_is_bounded_by_time_window_and_rise_bound() {
    let rate = Decimal::percent(50);
    let rise = Decimal::percent(5);
    // A day at 50 % a year on 365,000,000: 500,000.
    let day = vestable(u(10_000_000), u(365_000_000), rate, 86_400, rise);
    assert_eq!(day, u(500_000));
    // Longer gaps count as the seven-day window.
    assert_eq!(
        vestable(u(10_000_000), u(365_000_000), rate, 30 * 86_400, rise),
        day * u(7)
    );
    // Less unvested than allowed: all of it.
    assert_eq!(
        vestable(u(1_000), u(365_000_000), rate, 86_400, rise),
        u(1_000)
    );
    // No time, no vesting.
    assert_eq!(vestable(u(1_000), u(365_000_000), rate, 0, rise), u(0));
    // A high rate is still held to half the rise bound: 1 % of the backing here.
    let ten = Decimal::percent(1000);
    assert_eq!(
        vestable(
            u(10_000_000),
            u(1_000_000),
            ten,
            86_400,
            Decimal::percent(2)
        ),
        u(10_000)
    );
    let max = Uint128::MAX;
    assert!(vestable(max, max, ten, 86_400, rise) <= max.mul_floor(rise));
}

#[test]
fn vests_between_two_syncs_share_one_half_bound_step() {
    let rise = Decimal::percent(2);
    // At the last sync's rate, 1 % of the backing may still vest.
    assert_eq!(
        vesting_headroom(u(1_000_000), u(1_000_000), Decimal::one(), rise),
        u(10_000)
    );
    // A vest since then used 6,000 of it: 4,000 are left for the next one.
    assert_eq!(
        vesting_headroom(u(1_006_000), u(1_000_000), Decimal::one(), rise),
        u(4_000)
    );
    // At or above the ceiling (a donation re-staked, say): nothing.
    assert_eq!(
        vesting_headroom(u(1_020_000), u(1_000_000), Decimal::one(), rise),
        u(0)
    );
    // A rate of 1.5: the ceiling is 1.515 per share, rounded down.
    assert_eq!(
        vesting_headroom(u(1_500), u(1_000), Decimal::percent(150), rise),
        u(15)
    );
}

#[test]
fn a_partial_vest_uses_only_its_share_of_the_time() {
    // 10 of an allowance of 100 earned over 1_000 s uses 100 s of it.
    assert_eq!(allowance_time_used(1_000, u(10), u(100)), 100);
    // Rounded up: never more allowance kept than earned.
    assert_eq!(allowance_time_used(1_000, u(1), u(3)), 334);
    assert_eq!(allowance_time_used(1_000, u(100), u(100)), 1_000);
    assert_eq!(allowance_time_used(1_000, u(5), u(0)), 1_000);
    assert_eq!(
        reward_allowance(u(365_000_000), Decimal::percent(50), 86_400),
        u(500_000)
    );
}

#[test]
fn a_loss_is_split_between_backing_and_unvested_rewards() {
    assert_eq!(split_loss(u(100), u(900), u(100)), (u(90), u(10)));
    assert_eq!(split_loss(u(100), u(1_000), u(0)), (u(100), u(0)));
    assert_eq!(split_loss(u(7), u(0), u(0)), (u(7), u(0)));
    let (native, unvested) = split_loss(u(1_000), u(1), u(999));
    assert_eq!((native, unvested), (u(1), u(999)));
}

#[test]
fn claims_round_down_and_never_exceed_the_batch() {
    assert_eq!(claim_for_shares(u(1), u(10), u(3)), u(3));
    assert_eq!(claim_for_shares(u(3), u(10), u(3)), u(10));
    assert_eq!(claim_for_shares(u(5), u(0), u(0)), u(0));
    let total: Uint128 = (0..3).map(|_| claim_for_shares(u(1), u(10), u(3))).sum();
    assert!(total <= u(10));
    let max = Uint128::MAX;
    assert_eq!(claim_for_shares(max, max, max), max);
}

#[test]
fn shortfall_bound() {
    let bound = Decimal::percent(20);
    assert!(!shortfall_too_large(u(100), u(100), bound));
    assert!(!shortfall_too_large(u(100), u(80), bound));
    assert!(shortfall_too_large(u(100), u(79), bound));
    assert!(shortfall_too_large(u(100), u(0), bound));
}

#[test]
fn rate_moves_against_bounds() {
    let bounds = RateBounds {
        max_fall: Decimal::percent(10),
        max_rise: Decimal::percent(5),
    };
    let one = Decimal::one();
    assert_eq!(
        rate_move(one, Decimal::percent(90), &bounds),
        RateMove::Within
    );
    assert_eq!(
        rate_move(one, Decimal::percent(89), &bounds),
        RateMove::FellBeyond
    );
    assert_eq!(
        rate_move(one, Decimal::percent(105), &bounds),
        RateMove::Within
    );
    assert_eq!(
        rate_move(one, Decimal::percent(106), &bounds),
        RateMove::RoseBeyond
    );
    assert_eq!(rate_move(one, one, &bounds), RateMove::Within);
}

#[test]
fn the_buffer_takes_what_it_lacks_of_its_goal_and_no_more() {
    let target = Decimal::percent(10);
    // Goal 100 of 1,000; 30 held: a deposit of 50 goes all to it, one of 500 gives it 70.
    assert_eq!(buffer_fill(u(50), u(30), u(1_000), target), u(50));
    assert_eq!(buffer_fill(u(500), u(30), u(1_000), target), u(70));
    // A full buffer, or none configured, takes nothing.
    assert_eq!(buffer_fill(u(500), u(100), u(1_000), target), u(0));
    assert_eq!(buffer_fill(u(500), u(0), u(1_000), Decimal::zero()), u(0));
    assert_eq!(buffer_excess(u(130), u(1_000), target), u(30));
    assert_eq!(buffer_excess(u(90), u(1_000), target), u(0));
}

#[test]
fn the_exit_fee_rounds_up_so_holders_never_subsidise_an_exit() {
    // 0.5 % of 1,001 is 5.005: the fee is 6, the payout 995.
    assert_eq!(
        exit_fee_split(u(1_001), Decimal::permille(5)),
        (u(6), u(995))
    );
    assert_eq!(
        exit_fee_split(u(1_000), Decimal::permille(5)),
        (u(5), u(995))
    );
    assert_eq!(exit_fee_split(u(1), Decimal::permille(5)), (u(1), u(0)));
    assert_eq!(exit_fee_split(u(1_000), Decimal::zero()), (u(0), u(1_000)));
}

#[test]
fn a_five_percent_apr_compounds_daily_to_about_5_127_percent() {
    // Thirty days at 5 % a year simple: the rate grows by 0.05 * 30 / 365.
    let days = 30u64;
    let seconds = days * 86_400;
    let growth = Decimal::percent(5) * Decimal::from_ratio(days, 365u64);
    let (apr, apy) = annual_yield(Decimal::one(), Decimal::one() + growth, seconds);
    let apr = Decimal::try_from(apr).unwrap();
    let apy = Decimal::try_from(apy).unwrap();
    assert!(
        apr.abs_diff(Decimal::percent(5)) < Decimal::raw(1_000),
        "{apr}"
    );
    // (1 + 0.05 / 365)^365 - 1 = 0.0512674...
    assert!(
        apy.abs_diff(Decimal::from_str("0.051267").unwrap())
            < Decimal::from_str("0.000001").unwrap(),
        "{apy}"
    );
    // A holding of 1,000 tokens (1e9 units at 6 decimals) earns about 0.137 a day at 5 % APR.
    let daily = Uint128::new(1_000_000_000).mul_floor(apr) / Uint128::new(365);
    assert_eq!(daily, Uint128::new(136_986));
}

#[test]
fn a_loss_gives_a_negative_yield_and_no_time_gives_none() {
    let (apr, apy) = annual_yield(Decimal::one(), Decimal::percent(99), 365 * 86_400);
    assert_eq!(apr, SignedDecimal::percent(-1));
    assert!(apy < SignedDecimal::zero() && apy > apr);
    let none = (SignedDecimal::zero(), SignedDecimal::zero());
    assert_eq!(annual_yield(Decimal::one(), Decimal::percent(120), 0), none);
}

#[test]
fn an_entry_charge_splits_in_proportion_and_entries_holding_nothing_carry_none() {
    let u = Uint128::new;
    // 300 of 900 is the top-up: a third of the charge, rounded down.
    assert_eq!(split_entry_charge(u(100), u(600), u(300)), (u(67), u(33)));
    // No top-up: the batch carries it all; and a batch whose entries hold nothing (its shares
    // converted to nothing) divides by nothing.
    assert_eq!(split_entry_charge(u(5), u(600), u(0)), (u(5), u(0)));
    assert_eq!(split_entry_charge(u(0), u(0), u(0)), (u(0), u(0)));
    // Only a top-up: it carries the charge, never more than it holds.
    assert_eq!(split_entry_charge(u(50), u(0), u(40)), (u(10), u(40)));
    assert_eq!(
        split_entry_charge(Uint128::MAX, Uint128::MAX, Uint128::MAX),
        (
            Uint128::MAX - Uint128::MAX.multiply_ratio(1u128, 2u128),
            Uint128::MAX.multiply_ratio(1u128, 2u128)
        )
    );
}

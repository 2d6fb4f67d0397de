//! Bond: what it refuses, whom it mints to, and why a donation cannot move the rate.

use cosmwasm_std::{coin, coins, Decimal, Uint128};
use cw_utils::PaymentError;
use flowstake_hub::error::ContractError;
use flowstake_tests::model::RateModel;
use flowstake_tests::*;

#[test]
fn bond_below_the_minimum_is_refused() {
    let mut suite = SuiteBuilder::new().min_bond(1_000).build();
    let before = suite.snapshot();
    assert_hub_error(
        suite.bond(ALICE, 999),
        ContractError::BondTooSmall {
            amount: Uint128::new(999),
            min_bond: Uint128::new(1_000),
        },
    );
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.shares(ALICE), 0);
    suite.bond(ALICE, 1_000).unwrap();
    assert_eq!(suite.shares(ALICE), 1_000);
}

#[test]
fn bond_refuses_to_mint_fewer_than_min_shares() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 20_000_000).unwrap();
    suite.advance_days(5);
    suite.harvest().unwrap();
    let state = suite.state();
    let model = RateModel {
        total_native: state.total_native.u128(),
        total_shares: state.total_shares.u128(),
    };
    let shares = model.preview_bond(3_000_000);
    assert!(shares < 3_000_000, "the rate rose above one");
    assert_eq!(suite.preview_bond(3_000_000), shares);

    let before = suite.snapshot();
    assert_hub_error(
        suite.bond_with(BOB, &coins(3_000_000, DENOM), None, Some(shares + 1)),
        ContractError::MintBelowMinimum {
            shares: Uint128::new(shares),
            min_shares: Uint128::new(shares + 1),
        },
    );
    assert_eq!(suite.snapshot(), before);

    suite
        .bond_with(BOB, &coins(3_000_000, DENOM), None, Some(shares))
        .unwrap();
    assert_eq!(suite.shares(BOB), shares);
    suite.assert_invariants();
}

#[test]
fn bond_refuses_a_wrong_denom() {
    let mut suite = SuiteBuilder::new().build();
    let before = suite.snapshot();
    assert_hub_error(
        suite.bond_with(ALICE, &coins(5_000_000, OTHER_DENOM), None, None),
        ContractError::Payment(PaymentError::MissingDenom(DENOM.to_string())),
    );
    assert_eq!(suite.snapshot(), before);
}

#[test]
fn bond_refuses_several_coins() {
    let mut suite = SuiteBuilder::new().build();
    let before = suite.snapshot();
    let funds = vec![coin(5_000_000, OTHER_DENOM), coin(5_000_000, DENOM)];
    assert_hub_error(
        suite.bond_with(ALICE, &funds, None, None),
        ContractError::Payment(PaymentError::MultipleDenoms {}),
    );
    assert_eq!(suite.snapshot(), before);
}

#[test]
fn bond_refuses_no_funds() {
    let mut suite = SuiteBuilder::new().build();
    assert_hub_error(
        suite.bond_with(ALICE, &[], None, None),
        ContractError::Payment(PaymentError::NoFunds {}),
    );
}

#[test]
fn bond_mints_to_the_receiver() {
    let mut suite = SuiteBuilder::new().build();
    let funds = suite.native_balance(ALICE);
    suite
        .bond_with(ALICE, &coins(4_000_000, DENOM), Some(BOB), None)
        .unwrap();
    assert_eq!(suite.shares(ALICE), 0);
    assert_eq!(suite.shares(BOB), 4_000_000);
    assert_eq!(suite.native_balance(ALICE), funds - 4_000_000);
    suite.assert_invariants();
}

#[test]
fn cranks_refuse_attached_funds() {
    let mut suite = SuiteBuilder::new().build();
    let before = suite.snapshot();
    let msg = flowstake::hub::ExecuteMsg::Sync {};
    let err = suite
        .execute_hub(KEEPER, &msg, &coins(1_000, DENOM))
        .expect_err("funds sent to sync were kept");
    assert!(matches!(
        hub_error(&err),
        Some(ContractError::Payment(PaymentError::NonPayable {}))
    ));
    assert_eq!(suite.snapshot(), before);
}

/// The classic first-depositor attack: bond the minimum, then send the hub a large amount
/// directly so that the next depositor's bond rounds down to nothing. The rate comes from the
/// hub's own ledger, never from its bank balance, so the donation moves nothing.
#[test]
fn donation_to_the_hub_does_not_move_the_rate() {
    let mut suite = SuiteBuilder::new().min_bond(1_000).seed(1_000_000).build();
    suite.bond(ATTACKER, 1_000).unwrap();
    assert_eq!(suite.shares(ATTACKER), 1_000);
    let rate = suite.redemption_rate().redemption_rate;
    assert_eq!(rate, Decimal::one());

    let donation = 500_000_000_000;
    suite.donate(ATTACKER, donation).unwrap();
    assert_eq!(suite.native_balance_of(&suite.hub), donation);
    assert_eq!(suite.redemption_rate().redemption_rate, rate);
    assert_eq!(suite.state().total_native.u128(), suite.seed + 1_000);
    suite.assert_invariants();

    let model = RateModel::seeded(suite.seed);
    let mut model = RateModel {
        total_native: model.total_native + 1_000,
        total_shares: model.total_shares + 1_000,
    };
    let victim_shares = model.bond(50_000_000);
    assert_eq!(victim_shares, 50_000_000);
    suite.bond(VICTIM, 50_000_000).unwrap();
    assert_eq!(suite.shares(VICTIM), victim_shares);
    assert_eq!(suite.preview_unbond(victim_shares), 50_000_000);
    assert_eq!(
        suite.preview_unbond(1_000),
        1_000,
        "the attacker gained nothing"
    );
    assert_eq!(suite.redemption_rate().redemption_rate, rate);
    suite.assert_invariants();
}

/// A stray transfer is not lost: reconcile books it as surplus and the next harvest re-stakes
/// it for every holder in proportion to their shares. It is re-staked as unvested rewards: it
/// enters the rate at most at `max_reward_rate` (50 % a year by default) on the backing, for at
/// most seven days at a time, so no one can move the rate with a transfer.
#[test]
fn stray_transfer_is_restaked_for_all_holders() {
    let mut suite = SuiteBuilder::new()
        .rate_bounds(Decimal::percent(20), Decimal::percent(50))
        .build();
    suite.bond(ALICE, 9_000_000).unwrap();
    suite.queue_unbond(ALICE, 2_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    suite.donate(MALLORY, 1_000_000).unwrap();
    suite.advance_to(suite.batch(1).completes_at);

    suite.reconcile().unwrap();
    suite.assert_invariants();
    let state = suite.state();
    assert_eq!(suite.batch(1).native_received.u128(), 2_000_000);
    assert_eq!(state.totals.surplus.u128(), 1_000_000);
    assert_eq!(state.unlocked_surplus.u128(), 1_000_000);
    let before = state.total_native.u128();
    // Nothing was harvested or vested yet: the backing is the seed and Alice's 7 million left.
    assert_eq!(before, 8_000_000);
    assert_eq!(state.unvested_rewards.u128(), 0);

    suite.harvest().unwrap();
    let state = suite.state();
    assert_eq!(state.unlocked_surplus.u128(), 0);
    let rewards = state.totals.rewards.u128() - state.totals.fees.u128();
    assert!(rewards > 0);
    // All of it is delegated: the surplus and the rewards, vested or not.
    assert_eq!(
        state.total_native.u128() + state.unvested_rewards.u128(),
        before + 1_000_000 + rewards
    );
    assert_eq!(suite.chain_delegated_total(), before + 1_000_000 + rewards);
    // The surplus vests first, for the time since instantiation (no vesting yet) capped at
    // seven days: floor(8,000,000 * 50 % * 7 / 365) = 76,712. The forwarded rewards arrive in
    // the same block, with no time left since that vesting, and wait.
    let first = 8_000_000 * 7 / (2 * 365);
    assert_eq!(first, 76_712);
    assert_eq!(state.total_native.u128(), before + first);

    // Each weekly sync vests at most floor(total_native * 50 % * 7 / 365) more.
    let mut total_native = before + first;
    let mut unvested = 1_000_000 + rewards - first;
    while unvested > 0 {
        suite.advance_days(7);
        suite.sync().unwrap();
        let vested = unvested.min(total_native * 7 / (2 * 365));
        total_native += vested;
        unvested -= vested;
        let state = suite.state();
        assert_eq!(state.total_native.u128(), total_native);
        assert_eq!(state.unvested_rewards.u128(), unvested);
    }
    assert_eq!(total_native, before + 1_000_000 + rewards);
    suite.assert_invariants();
    suite.withdraw_unbonded(ALICE).unwrap();
    suite.assert_invariants();
}

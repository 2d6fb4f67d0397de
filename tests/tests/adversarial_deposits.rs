//! Attacks on deposits and rewards: first-depositor inflation by donation, dust bonds, amounts
//! near `Uint128::MAX`, reward sniping just before a harvest, a harvest with nothing to
//! harvest, and a chain that refuses delegations. Each asserts that no funds are lost and that
//! a refused call changes nothing.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cosmwasm_std::{coins, Decimal, StdError, Uint128};
use cw_multi_test::{BankSudo, SudoMsg};
use flowstake::hub::QueryMsg;
use flowstake_hub::error::ContractError;
use flowstake_tests::model::mul_div_floor;
use flowstake_tests::strict::fixture::chain_error;
use flowstake_tests::strict::{ChainError, StrictSudo};
use flowstake_tests::*;

/// What the hub's books say `shares` are worth now.
fn worth(suite: &Suite, shares: u128) -> u128 {
    let state = suite.state();
    mul_div_floor(shares, state.total_native.u128(), state.total_shares.u128())
}

/// The first-depositor attack. The hub refuses a seed below `max(1_000, min_bond)`, so the
/// attacker can no longer start from one unit of dead shares; with the smallest seed it
/// accepts and no minimum bond, the attacker holds half the supply, unbonds nearly all of it
/// and donates. A donation never moves the rate by itself
/// (`donation_to_the_hub_does_not_move_the_rate`); it enters the books only as surplus once a
/// batch has matured and a reconcile and a harvest ran, and the harvest re-stakes it as
/// unvested rewards, which enter the rate at most at `max_reward_rate` on the backing: a
/// backing of a thousand units recognises a few units a week. No bond mints zero, a bond with
/// `min_shares` from an earlier preview is still refused, and whatever a victim loses to
/// rounding, the attacker has lost the whole donation.
#[test]
fn first_depositor_inflation_costs_the_attacker_more_than_any_victim_loses() {
    let build = |seed: u128| {
        SuiteBuilder::new()
            .seed(seed)
            .min_bond(1)
            .min_unbond(1)
            .apr(Decimal::zero())
    };
    // With `min_bond` 1 the minimum seed is 1_000.
    for seed in [1, 999] {
        let err = build(seed)
            .try_build()
            .err()
            .expect("a seed below the minimum");
        assert_eq!(
            hub_error(&err),
            Some(&ContractError::SeedTooSmall {
                seed: Uint128::new(seed),
                min: Uint128::new(1_000),
            })
        );
    }
    let seed = 1_000;
    let mut suite = build(seed).build();
    let attacker_funds = suite.native_balance(ATTACKER);
    suite.bond(ATTACKER, seed).unwrap();
    suite.queue_unbond(ATTACKER, seed - 1).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let donation = 1_000_000_000;
    suite.donate(ATTACKER, donation).unwrap();
    let victim_preview = suite.preview_bond(600_000_000);
    suite.advance_to(suite.batch(1).completes_at);
    suite.reconcile().unwrap();
    suite.withdraw_unbonded(ATTACKER).unwrap();
    suite.harvest().unwrap();
    suite.assert_invariants();
    let state = suite.state();
    // The dead shares and the attacker's one share.
    let shares = seed + 1;
    assert_eq!(state.total_shares.u128(), shares);
    // The harvest vests at most 50 %/year on the backing of 1_001 for the 7 days the
    // allowance accumulates at most: floor(1_001 * 0.5 * 7 / 365) = 9 (the bound of half the
    // 20 % max_rise, 100, is larger). The rest of the donation waits, delegated.
    let vested = 1_001 * 7 / (2 * 365);
    assert_eq!(vested, 9);
    assert_eq!(state.total_native.u128(), shares + vested);
    assert_eq!(state.unvested_rewards.u128(), donation - vested);

    // No bond mints zero at this rate; with `min_shares` from a preview taken before the
    // donation counted, the bond is refused and nothing changes.
    let before = suite.snapshot();
    let victim_funds = suite.native_balance(VICTIM);
    assert_eq!(victim_preview, 600_000_000);
    let at_rate = mul_div_floor(600_000_000, shares, shares + vested);
    assert_hub_error(
        suite.bond_with(
            VICTIM,
            &coins(600_000_000, DENOM),
            None,
            Some(victim_preview),
        ),
        ContractError::MintBelowMinimum {
            shares: Uint128::new(at_rate),
            min_shares: Uint128::new(victim_preview),
        },
    );
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.native_balance(VICTIM), victim_funds);

    // Without protection the victim loses to rounding less than one share (worth
    // 1_010 / 1_001 < 2) plus a unit of the worth's own rounding; the attacker lost the
    // donation: it spent `donation + 1` (1_000 bonded, 999 paid back) and its one share is
    // worth a unit.
    let victim_bond = 1_500_000_000;
    suite.bond(VICTIM, victim_bond).unwrap();
    let victim_loss = victim_bond - worth(&suite, suite.shares(VICTIM));
    let attacker_spent = attacker_funds - suite.native_balance(ATTACKER);
    assert_eq!(attacker_spent, donation + 1);
    let attacker_loss = attacker_spent - worth(&suite, suite.shares(ATTACKER));
    assert!(victim_loss <= 2, "the victim lost {victim_loss}");
    assert!(
        attacker_loss >= donation && attacker_loss > victim_loss,
        "the attacker lost {attacker_loss}, the victim {victim_loss}"
    );
    suite.assert_invariants();
}

/// With the rate above one, a bond of one unit would mint zero shares: refused even when the
/// configured minimum allows it, and nothing changes.
#[test]
fn dust_bond_that_would_mint_zero_is_refused() {
    let mut suite = SuiteBuilder::new()
        .min_bond(1)
        .apr(Decimal::percent(50))
        .build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.advance_days(30);
    suite.harvest().unwrap();
    assert!(suite.redemption_rate().redemption_rate > Decimal::one());

    let before = suite.snapshot();
    let funds = suite.native_balance(BOB);
    assert_hub_error(
        suite.bond(BOB, 1),
        ContractError::MintsZero {
            native: Uint128::one(),
        },
    );
    let preview = suite
        .app
        .wrap()
        .query_wasm_smart::<Uint128>(
            &suite.hub,
            &QueryMsg::PreviewBond {
                native: Uint128::one(),
            },
        )
        .unwrap_err();
    assert!(preview.to_string().contains("would mint zero shares"));
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.native_balance(BOB), funds);
    assert_eq!(suite.shares(BOB), 0);

    suite.bond(BOB, 2).unwrap();
    assert_eq!(suite.shares(BOB), 1);
    suite.assert_invariants();
}

/// Gives `user` everything up to `Uint128::MAX` of the staking denom.
fn fund_to_the_limit(suite: &mut Suite, user: &str) {
    let address = suite.addr(user);
    let top_up = u128::MAX - suite.native_balance(user);
    suite
        .app
        .sudo(SudoMsg::Bank(BankSudo::Mint {
            to_address: address.into_string(),
            amount: coins(top_up, DENOM),
        }))
        .unwrap();
}

/// Previews and arguments at `Uint128::MAX` answer or refuse with a typed error; a bond
/// asking for `Uint128::MAX` shares is refused and changes nothing.
#[test]
fn amounts_near_uint128_max_are_answered_or_refused_cleanly() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    fund_to_the_limit(&mut suite, MALLORY);

    // One share per native unit: the previews of the largest amount are that amount.
    assert_eq!(suite.preview_bond(u128::MAX), u128::MAX);
    assert_eq!(suite.preview_unbond(u128::MAX), u128::MAX);

    let before = suite.snapshot();
    assert_hub_error(
        suite.bond_with(MALLORY, &coins(1_000_000, DENOM), None, Some(u128::MAX)),
        ContractError::MintBelowMinimum {
            shares: Uint128::new(1_000_000),
            min_shares: Uint128::MAX,
        },
    );
    // A request for more shares than anyone holds is refused by the token.
    let err = suite.queue_unbond(ALICE, u128::MAX).unwrap_err();
    assert!(matches!(
        token_error(&err),
        Some(flowstake_token::error::ContractError::Base(
            cw20_base::ContractError::Std(StdError::Overflow { .. })
        ))
    ));
    for limit in [Some(u32::MAX), Some(0)] {
        let msg = flowstake::hub::ExecuteMsg::Reconcile { limit };
        assert_hub_error(
            suite.execute_hub(KEEPER, &msg, &[]),
            ContractError::NothingToReconcile {},
        );
    }
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.native_balance(MALLORY), u128::MAX);
    suite.assert_invariants();
}

/// A bond of nearly `Uint128::MAX`: the validator's ledger entry cannot hold it. The hub must
/// refuse with a typed error (checked arithmetic, as `style.md` requires), changing nothing;
/// a panic aborts the transaction on a chain too, but with no error a client can read.
#[test]
fn bond_that_overflows_a_validator_ledger_is_refused_with_a_typed_error() {
    let mut suite = SuiteBuilder::new().validators(1).build();
    fund_to_the_limit(&mut suite, MALLORY);
    let before = suite.snapshot();
    let native = u128::MAX - 10;

    let result = catch_unwind(AssertUnwindSafe(|| suite.bond(MALLORY, native)));
    let outcome = result.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!("the hub panicked instead of refusing the bond: {message}")
    });
    let err = outcome.expect_err("a bond beyond Uint128::MAX of backing was accepted");
    assert!(
        matches!(hub_error(&err), Some(ContractError::Overflow(_))),
        "{err:?}"
    );
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.native_balance(MALLORY), u128::MAX);
}

/// Reward sniping, bounded by design: rewards enter the rate only at a harvest, so a bond just
/// before one takes a share of the rewards accrued since the previous harvest in proportion to
/// its shares, and nothing more. The holders lose exactly what the sniper gains (to the unit of
/// rounding); frequent permissionless harvests keep that amount small, and the sniper then
/// waits out the unbond queue like everyone else.
#[test]
fn bonding_just_before_a_harvest_takes_at_most_a_pro_rata_share_of_the_pending_rewards() {
    let mut suite = SuiteBuilder::new()
        .apr(Decimal::permille(365))
        .fee_percent(5)
        .build();
    suite.bond(ALICE, 100_000_000).unwrap();
    suite.harvest().unwrap();
    suite.advance_days(10);
    let alice_before = worth(&suite, suite.shares(ALICE));

    let sniped = 100_000_000;
    suite.bond(ATTACKER, sniped).unwrap();
    let shares = suite.shares(ATTACKER);
    let total_shares = suite.state().total_shares.u128();
    let rewards_before = suite.state().totals.rewards.u128();
    let fees_before = suite.state().totals.fees.u128();
    suite.harvest().unwrap();
    let state = suite.state();
    let restaked =
        (state.totals.rewards.u128() - rewards_before) - (state.totals.fees.u128() - fees_before);
    assert!(restaked > 0);

    let gain = worth(&suite, shares) - sniped;
    let bound = mul_div_floor(restaked, shares, total_shares) + 1;
    assert!(gain > 0, "the sniper's shares took part in the harvest");
    assert!(gain <= bound, "gained {gain}, bound {bound}");
    // The seed's dead shares and Alice held the rest while the rewards accrued.
    let alice_gain = worth(&suite, suite.shares(ALICE)) - alice_before;
    let alice_part = mul_div_floor(restaked, suite.shares(ALICE), total_shares);
    assert!(alice_gain.abs_diff(alice_part) <= 1);
    suite.assert_invariants();
}

/// A chain that refuses new delegations (here, the only validator slashed to zero tokens:
/// x/staking refuses delegations at an invalid exchange rate): the bond fails as a whole,
/// nothing is minted, and the depositor keeps the funds.
#[test]
fn bond_fails_cleanly_when_the_chain_refuses_delegations() {
    let mut suite = SuiteBuilder::new().validators(1).build();
    suite.bond(ALICE, 10_000_000).unwrap();
    let validator = suite.validator(0);
    let height = suite.height();
    suite
        .app
        .strict_sudo(StrictSudo::Slash {
            validator,
            infraction_height: height,
            fraction: Decimal::one(),
        })
        .unwrap();
    let before = suite.snapshot();
    let funds = suite.native_balance(BOB);

    let err = suite.bond(BOB, 5_000_000).unwrap_err();
    assert!(matches!(
        chain_error(&err),
        Some(ChainError::InvalidExchangeRate { .. })
    ));
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.native_balance(BOB), funds);
    assert_eq!(suite.shares(BOB), 0);
    assert_eq!(suite.token_supply(), before.token_supply);
}

/// With nothing to harvest (no reward accrues), harvest succeeds, delegates nothing, pays no
/// fee and changes nothing but the time of the last sync; twice in one block too.
#[test]
fn harvest_with_zero_rewards_changes_nothing_but_the_sync_time() {
    let mut suite = SuiteBuilder::new()
        .apr(Decimal::zero())
        .fee_percent(10)
        .build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.advance_days(3);
    for _ in 0..2 {
        let mut before = suite.snapshot();
        let response = suite.harvest().unwrap();
        assert!(!response.events.iter().any(|e| e.ty == "delegate"));
        assert!(!response.events.iter().any(|e| e.ty == "transfer"));
        before.state.last_sync = suite.now();
        assert_eq!(suite.snapshot(), before);
        assert_eq!(suite.native_balance_of(&suite.collector), 0);
        assert_eq!(suite.native_balance(FEE_RECEIVER), 0);
    }
    suite.assert_invariants();
}

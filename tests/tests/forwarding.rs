//! Bond and forward: one transaction from native tokens to collateral in a lending contract,
//! and what that lender sees of the hub afterwards (a slash, a stale rate, a breaker trip).

use cosmwasm_std::{to_json_binary, Binary, Decimal};
use flowstake::hub::Operation;
use flowstake_hub::error::ContractError;
use flowstake_tests::lender::LenderHook;
use flowstake_tests::suite::wasm_attr;
use flowstake_tests::*;

/// The lender's staleness window: a day.
const STALENESS: u64 = DAY;

fn deposit() -> Binary {
    to_json_binary(&LenderHook::DepositCollateral {}).unwrap()
}

#[test]
fn a_forwarded_bond_becomes_collateral_in_the_senders_name() {
    let mut suite = SuiteBuilder::new().build();
    let lender = suite.instantiate_lender(STALENESS);
    let before = suite.state();
    let response = suite
        .bond_and_forward(ALICE, 2_000_000, None, &lender, deposit())
        .unwrap();
    assert_eq!(
        wasm_attr(&response, "forwarded_to").as_deref(),
        Some(lender.as_str())
    );
    let minted = suite.state().total_shares - before.total_shares;
    // The derivative is the lender's, held for Alice: none reached her wallet.
    assert_eq!(suite.shares(ALICE), 0);
    assert_eq!(suite.shares_of(&lender), minted.u128());
    let collateral = suite.lender_collateral(&lender, ALICE).unwrap();
    assert_eq!(collateral.shares, minted);
    assert_eq!(collateral.rate, suite.redemption_rate().redemption_rate);
    assert_eq!(collateral.value, minted.mul_floor(collateral.rate));
    assert_eq!(suite.token_supply(), suite.state().total_shares.u128());
    suite.assert_invariants();
}

#[test]
fn a_slash_lowers_the_collateral_as_the_lender_sees_it() {
    let mut suite = SuiteBuilder::new().validators(3).build();
    let lender = suite.instantiate_lender(STALENESS);
    suite
        .bond_and_forward(ALICE, 3_000_000, None, &lender, deposit())
        .unwrap();
    let before = suite.lender_collateral(&lender, ALICE).unwrap();
    suite.slash(0, 10);
    suite.sync().unwrap();
    let after = suite.lender_collateral(&lender, ALICE).unwrap();
    assert_eq!(after.shares, before.shares);
    assert!(
        after.rate < before.rate,
        "{} -> {}",
        before.rate,
        after.rate
    );
    assert!(after.value < before.value);
    // The lender's view is the hub's own: value at the rate the hub now redeems at.
    let state = suite.state();
    let expected = after
        .shares
        .multiply_ratio(state.total_native, state.total_shares);
    assert!(expected.abs_diff(after.value).u128() <= 1);
    suite.assert_invariants();
}

#[test]
fn the_lender_refuses_a_rate_older_than_its_window() {
    let mut suite = SuiteBuilder::new().build();
    let lender = suite.instantiate_lender(STALENESS);
    suite
        .bond_and_forward(ALICE, 1_000_000, None, &lender, deposit())
        .unwrap();
    suite.sync().unwrap();
    assert!(suite.lender_collateral(&lender, ALICE).is_ok());
    suite.advance_seconds(STALENESS + 1);
    let err = suite.lender_collateral(&lender, ALICE).unwrap_err();
    assert!(
        err.to_string().contains("more than 86400 s before"),
        "{err}"
    );
    // A sync refreshes the rate's time and the lender prices again.
    suite.sync().unwrap();
    assert!(suite.lender_collateral(&lender, ALICE).is_ok());
}

#[test]
fn the_lender_sees_a_breaker_trip() {
    let mut suite = SuiteBuilder::new()
        .validators(3)
        .rate_bounds(Decimal::percent(5), Decimal::percent(5))
        .build();
    let lender = suite.instantiate_lender(STALENESS);
    suite
        .bond_and_forward(ALICE, 3_000_000, None, &lender, deposit())
        .unwrap();
    for index in 0..3 {
        suite.slash(index, 20);
    }
    suite.sync().unwrap();
    assert!(suite.paused().contains(&Operation::Bond));
    let err = suite.lender_collateral(&lender, ALICE).unwrap_err();
    assert!(err.to_string().contains("paused bonds"), "{err}");
}

#[test]
fn a_forward_the_hook_refuses_fails_the_whole_bond() {
    let mut suite = SuiteBuilder::new().build();
    let lender = suite.instantiate_lender(STALENESS);
    let snapshot = suite.snapshot();
    let wallet = suite.native_balance(ALICE);
    // The lender cannot read this message: its hook fails, and so does the bond.
    let unreadable = to_json_binary(&"borrow_everything").unwrap();
    suite
        .bond_and_forward(ALICE, 1_000_000, None, &lender, unreadable)
        .unwrap_err();
    // A wallet has no hook at all.
    let wallet_addr = suite.addr(BOB);
    suite
        .bond_and_forward(ALICE, 1_000_000, None, &wallet_addr, deposit())
        .unwrap_err();
    assert_eq!(suite.snapshot(), snapshot);
    assert_eq!(suite.native_balance(ALICE), wallet);
    assert_eq!(suite.shares_of(&lender), 0);
    suite.assert_invariants();
}

#[test]
fn a_forward_cannot_speak_for_another_account() {
    let mut suite = SuiteBuilder::new().build();
    let lender = suite.instantiate_lender(STALENESS);
    let snapshot = suite.snapshot();
    let err = suite
        .bond_and_forward(ALICE, 1_000_000, Some(BOB), &lender, deposit())
        .unwrap_err();
    assert_eq!(
        hub_error(&err),
        Some(&ContractError::ForwardForAnother {
            receiver: suite.addr(BOB).into_string(),
            sender: suite.addr(ALICE).into_string(),
        })
    );
    // Naming oneself as the receiver is the same as naming no one.
    suite
        .bond_and_forward(ALICE, 1_000_000, Some(ALICE), &lender, deposit())
        .unwrap();
    assert!(suite.snapshot() != snapshot);
    assert_eq!(
        suite.lender_collateral(&lender, BOB).unwrap().shares.u128(),
        0
    );
}

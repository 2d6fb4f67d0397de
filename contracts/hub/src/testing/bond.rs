use cosmwasm_std::{coin, coins, Decimal};
use cw_utils::PaymentError;
use flowstake::hub::QueryMsg;

use super::*;

fn bond_msg(receiver: Option<String>, min_shares: Option<u128>) -> ExecuteMsg {
    ExecuteMsg::Bond {
        receiver,
        min_shares: min_shares.map(Uint128::new),
        forward: None,
    }
}

fn pause_validator(hub: &mut Hub, address: &str) {
    let msg = ExecuteMsg::PauseValidator {
        address: address.to_string(),
    };
    hub.execute_as("owner", msg).unwrap();
}

/// Rewards of 100 less the 10 % fee: 1_090 native back the 1_000 seed shares.
fn raise_rate(hub: &mut Hub) {
    hub.vested_rewards(100);
    assert_eq!(hub.state().total_native, u(1_090));
    assert_eq!(hub.state().total_shares, u(SEED));
}

#[test]
fn bond_at_par_mints_one_share_per_native_to_the_sender() {
    let mut hub = setup();
    let response = hub.bond("alice", 500);

    let mint = Cw20ExecuteMsg::Mint {
        recipient: hub.addr("alice").to_string(),
        amount: u(500),
    };
    assert_eq!(cw20_msgs(&response, &hub.token()), vec![mint]);
    let state = hub.state();
    assert_eq!(state.total_native, u(SEED + 500));
    assert_eq!(state.total_shares, u(SEED + 500));
    assert_eq!(state.totals.bonded, u(SEED + 500));
    assert_eq!(state.exchange_rate, Decimal::one());
}

#[test]
fn bond_mints_shares_rounded_down_at_the_current_rate() {
    let mut hub = setup();
    raise_rate(&mut hub);

    let response = hub.bond("alice", 1_000);

    // 1_000 * 1_000 / 1_090 = 917.43, rounded down.
    assert_eq!(attr(&response, "shares_minted"), "917");
    let mint = Cw20ExecuteMsg::Mint {
        recipient: hub.addr("alice").to_string(),
        amount: u(917),
    };
    assert_eq!(cw20_msgs(&response, &hub.token()), vec![mint]);
    let state = hub.state();
    assert_eq!(state.total_native, u(2_090));
    assert_eq!(state.total_shares, u(1_917));
    // Rounding down leaves the rate no lower than before.
    assert!(state.exchange_rate >= Decimal::from_ratio(1_090u128, 1_000u128));
}

#[test]
fn bond_delegates_to_the_validator_lowest_in_delegation_per_weight() {
    let mut hub = setup_with(|msg| msg.validators[2].weight = 4);
    let mut targets = vec![];
    for _ in 0..6 {
        let response = hub.bond("alice", 1_000);
        targets.push(attr(&response, "validator"));
        assert_eq!(
            staking_msgs(&response),
            vec![delegate_msg(targets.last().unwrap(), 1_000)]
        );
    }
    // Loads (delegated / weight) before each bond: val1 holds the seed; val3 has weight 4.
    assert_eq!(targets, ["val2", "val3", "val3", "val3", "val3", "val1"]);
    assert_eq!(hub.ledger("val3"), 4_000);
    assert_eq!(hub.on_chain("val3"), 4_000);
}

#[test]
fn bond_skips_a_paused_validator() {
    let mut hub = setup();
    pause_validator(&mut hub, "val2");

    let first = hub.bond("alice", 500);
    let second = hub.bond("alice", 400);

    assert_eq!(staking_msgs(&first), vec![delegate_msg("val3", 500)]);
    assert_eq!(staking_msgs(&second), vec![delegate_msg("val3", 400)]);
    assert_eq!(hub.ledger("val2"), 0);
}

#[test]
fn bond_without_an_active_validator_is_refused() {
    let mut hub = setup();
    for validator in SET {
        pause_validator(&mut hub, validator);
    }
    let before = hub.snapshot();

    let err = hub.try_bond("alice", 500).unwrap_err();

    assert_eq!(err, ContractError::NoActiveValidator {});
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn bond_below_the_minimum_is_refused() {
    let mut hub = setup();
    let before = hub.snapshot();

    let err = hub.try_bond("alice", MIN_BOND - 1).unwrap_err();

    assert_eq!(
        err,
        ContractError::BondTooSmall {
            amount: u(MIN_BOND - 1),
            min_bond: u(MIN_BOND)
        }
    );
    assert_eq!(hub.snapshot(), before);
    hub.try_bond("alice", MIN_BOND).unwrap();
}

#[test]
fn bond_refuses_a_payment_that_is_not_one_coin_of_the_denom() {
    let mut hub = setup();
    let alice = hub.addr("alice");
    let before = hub.snapshot();
    let cases = [
        (
            coins(500, "uother"),
            PaymentError::MissingDenom(DENOM.to_string()),
        ),
        (
            vec![coin(500, DENOM), coin(1, "uother")],
            PaymentError::MultipleDenoms {},
        ),
        (vec![], PaymentError::NoFunds {}),
    ];
    for (funds, expected) in cases {
        let err = hub
            .execute(&alice, &funds, bond_msg(None, None))
            .unwrap_err();
        assert_eq!(err, ContractError::Payment(expected));
    }
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn bond_refuses_to_mint_fewer_than_min_shares() {
    let mut hub = setup();
    raise_rate(&mut hub);
    let alice = hub.addr("alice");
    let funds = coins(1_000, DENOM);
    let before = hub.snapshot();

    let err = hub
        .execute(&alice, &funds, bond_msg(None, Some(918)))
        .unwrap_err();

    assert_eq!(
        err,
        ContractError::MintBelowMinimum {
            shares: u(917),
            min_shares: u(918)
        }
    );
    assert_eq!(hub.snapshot(), before);
    hub.execute(&alice, &funds, bond_msg(None, Some(917)))
        .unwrap();
}

#[test]
fn bond_that_would_mint_zero_shares_is_refused() {
    let mut hub = setup_with(|msg| msg.min_bond = Uint128::one());
    raise_rate(&mut hub);

    let err = hub.try_bond("alice", 1).unwrap_err();

    assert_eq!(err, ContractError::MintsZero { native: u(1) });
}

#[test]
fn bond_mints_to_the_named_receiver() {
    let mut hub = setup();
    let alice = hub.addr("alice");
    let bob = hub.addr("bob");

    let response = hub
        .execute(
            &alice,
            &coins(300, DENOM),
            bond_msg(Some(bob.to_string()), None),
        )
        .unwrap();

    let mint = Cw20ExecuteMsg::Mint {
        recipient: bob.to_string(),
        amount: u(300),
    };
    assert_eq!(cw20_msgs(&response, &hub.token()), vec![mint]);
    assert_eq!(attr(&response, "receiver"), bob.to_string());
}

#[test]
fn bank_donation_to_the_hub_does_not_move_the_rate() {
    let mut hub = setup();
    hub.bond("alice", 1_000);
    hub.donate(50_000);

    hub.execute_as("keeper", ExecuteMsg::Sync {}).unwrap();
    let preview: Uint128 = hub.query(QueryMsg::PreviewBond { native: u(1_000) });
    let response = hub.bond("bob", 1_000);

    assert_eq!(preview, u(1_000));
    assert_eq!(attr(&response, "shares_minted"), "1000");
    let state = hub.state();
    assert_eq!(state.exchange_rate, Decimal::one());
    assert_eq!(state.total_native, u(3_000));
}

//! Roles and pause: every privileged call from anyone but its role is refused and changes
//! nothing; the hub accepts only its own token; holders cannot burn; withdrawals never pause.

use cosmwasm_std::{coins, to_json_binary, Decimal, Uint128};
use cw20::{Cw20Coin, Cw20ExecuteMsg, Cw20ReceiveMsg, MinterResponse};
use cw_multi_test::Executor;
use cw_ownable::{Action, OwnershipError};
use flowstake::hub::{ConfigUpdate, ExecuteMsg, Operation, ReceiveMsg};
use flowstake_hub::error::ContractError;
use flowstake_tests::*;

/// Three validators with stake, a spare one on the chain, validator 1 paused and harvest
/// paused, so that every privileged message below would change something if it were accepted.
fn governed_suite() -> Suite {
    let mut suite = SuiteBuilder::new()
        .validators(3)
        .spare_validators(1)
        .build();
    for (user, native) in [(ALICE, 10_000_000), (BOB, 20_000_000), (CAROL, 30_000_000)] {
        suite.bond(user, native).unwrap();
    }
    let paused = suite.validator(1);
    suite.pause_validator(OWNER, &paused).unwrap();
    suite.pause(OWNER, &[Operation::Harvest]).unwrap();
    suite
}

fn privileged_messages(suite: &Suite) -> Vec<(&'static str, ExecuteMsg)> {
    let mallory = suite.addr(MALLORY).into_string();
    vec![
        (
            "add_validator",
            ExecuteMsg::AddValidator {
                address: suite.validator(3),
                weight: 1,
            },
        ),
        (
            "remove_validator",
            ExecuteMsg::RemoveValidator {
                address: suite.validator(0),
            },
        ),
        (
            "set_validator_weight",
            ExecuteMsg::SetValidatorWeight {
                address: suite.validator(0),
                weight: 7,
            },
        ),
        (
            "pause_validator",
            ExecuteMsg::PauseValidator {
                address: suite.validator(0),
            },
        ),
        (
            "unpause_validator",
            ExecuteMsg::UnpauseValidator {
                address: suite.validator(1),
            },
        ),
        (
            "update_config_fee",
            ExecuteMsg::UpdateConfig(Box::new(ConfigUpdate {
                fee_rate: Some(Decimal::percent(1)),
                ..ConfigUpdate::default()
            })),
        ),
        (
            "update_config_roles",
            ExecuteMsg::UpdateConfig(Box::new(ConfigUpdate {
                guardian: Some(mallory.clone()),
                fee_receiver: Some(mallory.clone()),
                ..ConfigUpdate::default()
            })),
        ),
        (
            "unpause",
            ExecuteMsg::Unpause {
                operations: vec![Operation::Harvest],
            },
        ),
        (
            "transfer_ownership",
            ExecuteMsg::UpdateOwnership(Action::TransferOwnership {
                new_owner: mallory,
                expiry: None,
            }),
        ),
        (
            "renounce_ownership",
            ExecuteMsg::UpdateOwnership(Action::RenounceOwnership),
        ),
    ]
}

#[test]
fn every_privileged_message_is_refused_for_anyone_but_the_owner() {
    let mut suite = governed_suite();
    for sender in [MALLORY, GUARDIAN, ALICE, KEEPER] {
        for (label, msg) in privileged_messages(&suite) {
            let before = suite.snapshot();
            let result = suite.execute_hub(sender, &msg, &[]);
            let err = result.expect_err(&format!("{label} from {sender} was accepted"));
            assert_eq!(
                hub_error(&err),
                Some(&ContractError::Ownership(OwnershipError::NotOwner)),
                "{label} from {sender}: {err:?}"
            );
            assert_eq!(
                suite.snapshot(),
                before,
                "{label} from {sender} changed state"
            );
        }
    }
    suite.assert_invariants();
}

/// The control for the table above: from the owner, each message is accepted and changes
/// something, so a refusal there is the role check and nothing else.
#[test]
fn every_privileged_message_is_accepted_from_the_owner() {
    let template = governed_suite();
    for (label, msg) in privileged_messages(&template) {
        let mut suite = governed_suite();
        let before = suite.snapshot();
        suite
            .execute_hub(OWNER, &msg, &[])
            .unwrap_or_else(|err| panic!("{label} from the owner failed: {err:?}"));
        assert_ne!(suite.snapshot(), before, "{label} changed nothing");
        suite.assert_invariants();
    }
}

#[test]
fn pause_is_refused_for_anyone_but_the_guardian_or_the_owner() {
    let mut suite = SuiteBuilder::new().build();
    let before = suite.snapshot();
    let mallory = suite.addr(MALLORY).into_string();
    assert_hub_error(
        suite.pause(MALLORY, &[Operation::Bond]),
        ContractError::NotGuardian { sender: mallory },
    );
    assert_eq!(suite.snapshot(), before);

    suite.pause(GUARDIAN, &[Operation::Bond]).unwrap();
    assert_eq!(suite.paused(), vec![Operation::Bond]);
    assert_hub_error(
        suite.bond(ALICE, 1_000_000),
        ContractError::Paused {
            operation: Operation::Bond,
        },
    );
    // The guardian may pause, never unpause.
    assert_hub_error(
        suite.unpause(GUARDIAN, &[Operation::Bond]),
        ContractError::Ownership(OwnershipError::NotOwner),
    );
    suite.unpause(OWNER, &[Operation::Bond]).unwrap();
    assert!(suite.paused().is_empty());
    suite.bond(ALICE, 1_000_000).unwrap();

    suite.pause(OWNER, &[Operation::Harvest]).unwrap();
    assert_eq!(suite.paused(), vec![Operation::Harvest]);
}

#[test]
fn paused_bond_still_lets_matured_withdrawals_pay() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 10_000_000).unwrap();
    suite.queue_unbond(ALICE, 4_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    suite.queue_unbond(BOB, 2_000_000).unwrap();
    suite.advance_to(suite.batch(1).completes_at);

    suite
        .pause(
            GUARDIAN,
            &[Operation::Bond, Operation::Unbond, Operation::Harvest],
        )
        .unwrap();
    let paused = |operation| ContractError::Paused { operation };
    assert_hub_error(suite.bond(CAROL, 1_000_000), paused(Operation::Bond));
    assert_hub_error(
        suite.queue_unbond(ALICE, 1_000_000),
        paused(Operation::Unbond),
    );
    assert_hub_error(suite.cancel_unbond(BOB), paused(Operation::Unbond));
    assert_hub_error(suite.submit_batch(), paused(Operation::Unbond));
    assert_hub_error(suite.harvest(), paused(Operation::Harvest));

    // Reconcile and withdraw are never paused.
    let before = suite.native_balance(ALICE);
    suite.reconcile().unwrap();
    suite.withdraw_unbonded(ALICE).unwrap();
    assert_eq!(suite.native_balance(ALICE), before + 4_000_000);
    suite.sync().unwrap();
    suite.assert_invariants();

    suite.unpause(OWNER, &[Operation::Bond]).unwrap();
    suite.bond(CAROL, 1_000_000).unwrap();
    assert_hub_error(suite.cancel_unbond(BOB), paused(Operation::Unbond));
    suite.assert_invariants();
}

#[test]
fn rewards_are_accepted_from_the_collector_only() {
    let mut suite = SuiteBuilder::new().build();
    let before = suite.snapshot();
    let mallory = suite.addr(MALLORY).into_string();
    assert_hub_error(
        suite.execute_hub(
            MALLORY,
            &ExecuteMsg::ReceiveRewards {},
            &coins(1_000, DENOM),
        ),
        ContractError::NotCollector { sender: mallory },
    );
    assert_eq!(suite.snapshot(), before);
}

#[test]
fn ownership_moves_in_two_steps() {
    let mut suite = SuiteBuilder::new().build();
    let bob = suite.addr(BOB);
    suite
        .update_ownership(
            OWNER,
            Action::TransferOwnership {
                new_owner: bob.to_string(),
                expiry: None,
            },
        )
        .unwrap();
    assert_eq!(suite.ownership().owner, Some(suite.addr(OWNER)));
    assert_eq!(suite.ownership().pending_owner, Some(bob.clone()));

    assert_hub_error(
        suite.update_ownership(MALLORY, Action::AcceptOwnership),
        ContractError::Ownership(OwnershipError::NotPendingOwner),
    );
    suite
        .update_ownership(BOB, Action::AcceptOwnership)
        .unwrap();
    assert_eq!(suite.ownership().owner, Some(bob));

    let validator = suite.validator(0);
    assert_hub_error(
        suite.set_validator_weight(OWNER, &validator, 3),
        ContractError::Ownership(OwnershipError::NotOwner),
    );
    suite.set_validator_weight(BOB, &validator, 3).unwrap();
}

#[test]
fn queue_unbond_refuses_a_foreign_token() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    let alice = suite.addr(ALICE);
    let foreign = suite
        .app
        .instantiate_contract(
            suite.code_ids.token,
            alice.clone(),
            &cw20_base::msg::InstantiateMsg {
                name: "Lookalike staked token".to_string(),
                symbol: "fsSTAKE".to_string(),
                decimals: 6,
                initial_balances: vec![Cw20Coin {
                    address: alice.to_string(),
                    amount: Uint128::new(5_000_000),
                }],
                mint: Some(MinterResponse {
                    minter: alice.to_string(),
                    cap: None,
                }),
                marketing: None,
            },
            &[],
            "lookalike",
            None,
        )
        .unwrap();
    let before = suite.snapshot();

    let hook = ReceiveMsg::QueueUnbond { receiver: None };
    assert_hub_error(
        suite.send_cw20(ALICE, &foreign, 1_000_000, &hook),
        ContractError::ForeignToken {
            token: suite.token.to_string(),
            sender: foreign.to_string(),
        },
    );
    assert_eq!(suite.snapshot(), before);
    assert_eq!(suite.cw20_balance(&foreign, &alice), 5_000_000);
    assert!(suite.requests(ALICE).is_empty());

    // Nor can an account call the hook itself, posing as a token.
    let forged = ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: alice.to_string(),
        amount: Uint128::new(1_000_000),
        msg: to_json_binary(&hook).unwrap(),
    });
    assert_hub_error(
        suite.execute_hub(ALICE, &forged, &[]),
        ContractError::ForeignToken {
            token: suite.token.to_string(),
            sender: alice.to_string(),
        },
    );
    assert_eq!(suite.snapshot(), before);
    suite.assert_invariants();
}

#[test]
fn holders_cannot_burn_the_derivative() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    let supply = suite.token_supply();
    let alice = suite.addr(ALICE).into_string();
    let bob = suite.addr(BOB).into_string();

    let err = suite
        .execute_token(
            ALICE,
            &Cw20ExecuteMsg::Burn {
                amount: Uint128::new(1_000_000),
            },
        )
        .expect_err("a holder burned");
    assert_eq!(
        token_error(&err),
        Some(&flowstake_token::error::ContractError::BurnNotAllowed {
            sender: alice.clone()
        })
    );

    suite
        .execute_token(
            ALICE,
            &Cw20ExecuteMsg::IncreaseAllowance {
                spender: bob.clone(),
                amount: Uint128::new(1_000_000),
                expires: None,
            },
        )
        .unwrap();
    let err = suite
        .execute_token(
            BOB,
            &Cw20ExecuteMsg::BurnFrom {
                owner: alice,
                amount: Uint128::new(1_000_000),
            },
        )
        .expect_err("a spender burned");
    assert_eq!(
        token_error(&err),
        Some(&flowstake_token::error::ContractError::BurnNotAllowed { sender: bob })
    );

    assert_eq!(suite.token_supply(), supply);
    assert_eq!(suite.shares(ALICE), 5_000_000);
    suite.assert_invariants();
}

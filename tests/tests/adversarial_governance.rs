//! Attacks on the hub's controls: every pausable path while paused, an ownership transfer
//! never accepted, a migration downgrade, malformed and unknown messages. Every refusal
//! changes nothing and no funds move.

use cosmwasm_std::{coins, to_json_binary, Binary, Empty, Uint128, WasmMsg};
use cw20::Cw20ExecuteMsg;
use cw_multi_test::error::AnyResult;
use cw_multi_test::{AppResponse, Executor};
use cw_ownable::{Action, Expiration, OwnershipError};
use flowstake::hub::{MigrateMsg, Operation, QueryMsg, ReceiveMsg};
use flowstake_hub::error::ContractError;
use flowstake_tests::*;

/// What a user holds: native and derivative.
fn holdings(suite: &Suite, user: &str) -> (u128, u128) {
    (suite.native_balance(user), suite.shares(user))
}

type Attempt = (
    &'static str,
    Operation,
    fn(&mut Suite) -> AnyResult<AppResponse>,
);

/// Every entry point a pause covers, each taken by the path a user or keeper would take.
fn paused_paths() -> Vec<Attempt> {
    vec![
        ("bond", Operation::Bond, |s| s.bond(DAVE, 1_000_000)),
        ("bond for another receiver", Operation::Bond, |s| {
            s.bond_with(DAVE, &coins(1_000_000, DENOM), Some(CAROL), None)
        }),
        ("queue unbond", Operation::Unbond, |s| {
            s.queue_unbond(CAROL, 1_000_000)
        }),
        (
            "queue unbond for another receiver",
            Operation::Unbond,
            |s| s.queue_unbond_for(CAROL, 1_000_000, DAVE),
        ),
        ("cancel", Operation::Unbond, |s| s.cancel_unbond(BOB)),
        ("submit", Operation::Unbond, |s| s.submit_batch()),
        ("harvest", Operation::Harvest, |s| s.harvest()),
    ]
}

/// With every operation paused, each path of each operation is refused with the operation's
/// `Paused` error and changes nothing, the one through the token's `Send` included (the
/// derivative stays with its holder); reconcile, withdrawals of matured funds, sync and
/// derivative transfers go on.
#[test]
fn every_paused_operation_is_refused_and_matured_withdrawals_still_pay() {
    let mut suite = SuiteBuilder::new().build();
    for (user, native) in [(ALICE, 10_000_000), (BOB, 10_000_000), (CAROL, 10_000_000)] {
        suite.bond(user, native).unwrap();
    }
    suite.queue_unbond(ALICE, 4_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    suite.queue_unbond(BOB, 2_000_000).unwrap();
    // Past the epoch and the batch's maturity: a request would submit the pending batch.
    suite.advance_to(
        suite
            .batch(1)
            .completes_at
            .max(suite.pending_batch().submit_after),
    );
    suite
        .pause(
            GUARDIAN,
            &[Operation::Bond, Operation::Unbond, Operation::Harvest],
        )
        .unwrap();

    for (label, operation, attempt) in paused_paths() {
        let before = suite.snapshot();
        let held: Vec<(u128, u128)> = [BOB, CAROL, DAVE].map(|u| holdings(&suite, u)).into();
        let err = attempt(&mut suite).expect_err(label);
        assert_eq!(
            hub_error(&err),
            Some(&ContractError::Paused { operation }),
            "{label}"
        );
        assert_eq!(suite.snapshot(), before, "{label} changed the hub");
        let after: Vec<(u128, u128)> = [BOB, CAROL, DAVE].map(|u| holdings(&suite, u)).into();
        assert_eq!(after, held, "{label} moved funds");
    }

    let alice_funds = suite.native_balance(ALICE);
    suite.sync().unwrap();
    suite.reconcile().unwrap();
    suite.withdraw_unbonded(ALICE).unwrap();
    assert_eq!(suite.native_balance(ALICE), alice_funds + 4_000_000);
    suite.transfer_shares(CAROL, DAVE, 1_000).unwrap();
    suite.assert_invariants();
}

/// A transfer of ownership that is never accepted changes nothing: the owner keeps every
/// power, the pending owner has none, nobody else can accept, and once the offer expires the
/// pending owner cannot either. A configuration update cannot move ownership.
#[test]
fn ownership_transfer_not_accepted_leaves_the_owner_in_charge() {
    let mut suite = SuiteBuilder::new().validators(3).build();
    suite.bond(ALICE, 10_000_000).unwrap();
    let expiry = suite.height() + 100;
    let bob = suite.addr(BOB).into_string();
    suite
        .update_ownership(
            OWNER,
            Action::TransferOwnership {
                new_owner: bob.clone(),
                expiry: Some(Expiration::AtHeight(expiry)),
            },
        )
        .unwrap();
    let validator = suite.validator(0);
    let before = suite.snapshot();

    assert_hub_error(
        suite.set_validator_weight(BOB, &validator, 5),
        ContractError::Ownership(OwnershipError::NotOwner),
    );
    assert_hub_error(
        suite.unpause(BOB, &[Operation::Bond]),
        ContractError::Ownership(OwnershipError::NotOwner),
    );
    assert_hub_error(
        suite.update_ownership(MALLORY, Action::AcceptOwnership),
        ContractError::Ownership(OwnershipError::NotPendingOwner),
    );
    // The guardian, set by a configuration update, is not an owner.
    let mallory = suite.addr(MALLORY).into_string();
    let update = flowstake::hub::ConfigUpdate {
        guardian: Some(mallory),
        ..Default::default()
    };
    assert_hub_error(
        suite.update_config(BOB, update.clone()),
        ContractError::Ownership(OwnershipError::NotOwner),
    );
    assert_eq!(suite.snapshot(), before);

    suite.advance_seconds(1_000);
    assert!(suite.height() > expiry);
    assert_hub_error(
        suite.update_ownership(BOB, Action::AcceptOwnership),
        ContractError::Ownership(OwnershipError::TransferExpired),
    );
    assert_eq!(suite.ownership().owner, Some(suite.addr(OWNER)));

    suite.update_config(OWNER, update).unwrap();
    assert_eq!(suite.ownership().owner, Some(suite.addr(OWNER)));
    assert_hub_error(
        suite.unpause(MALLORY, &[Operation::Bond]),
        ContractError::Ownership(OwnershipError::NotOwner),
    );
    suite.set_validator_weight(OWNER, &validator, 5).unwrap();
    suite.assert_invariants();
}

/// Sets the cw2 version `contract` records, as a newer release would have.
fn record_version(suite: &mut Suite, contract: &cosmwasm_std::Addr, name: &str, version: &str) {
    let mut storage = suite.app.contract_storage_mut(contract);
    cw2::set_contract_version(storage.as_mut(), name, version).unwrap();
}

/// A migration to an older version, or from another contract, is refused by each of the
/// three contracts and changes nothing; a migration to the same version goes through.
#[test]
fn migration_downgrade_is_refused() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    let owner = suite.addr(OWNER);
    let (hub, token, collector) = (
        suite.hub.clone(),
        suite.token.clone(),
        suite.collector.clone(),
    );
    let ids = suite.code_ids;
    let current = env!("CARGO_PKG_VERSION");
    suite
        .app
        .migrate_contract(owner.clone(), hub.clone(), &MigrateMsg {}, ids.hub)
        .unwrap();

    record_version(&mut suite, &hub, "crates.io:flowstake-hub", "99.0.0");
    let before = suite.snapshot();
    let err = suite
        .app
        .migrate_contract(owner.clone(), hub.clone(), &MigrateMsg {}, ids.hub)
        .unwrap_err();
    assert_eq!(
        hub_error(&err),
        Some(&ContractError::MigrationRefused {
            contract: "crates.io:flowstake-hub".to_string(),
            from: "99.0.0".to_string(),
            to: current.to_string(),
        })
    );
    assert_eq!(suite.snapshot(), before);

    // The hub's code cannot take over the token, nor the token's code the hub.
    let err = suite
        .app
        .migrate_contract(owner.clone(), token.clone(), &MigrateMsg {}, ids.hub)
        .unwrap_err();
    assert!(matches!(
        hub_error(&err),
        Some(ContractError::MigrationRefused { .. })
    ));
    let err = suite
        .app
        .migrate_contract(owner.clone(), hub.clone(), &Empty {}, ids.token)
        .unwrap_err();
    assert!(matches!(
        token_error(&err),
        Some(flowstake_token::error::ContractError::MigrationRefused { .. })
    ));

    record_version(&mut suite, &token, "crates.io:flowstake-token", "99.0.0");
    record_version(
        &mut suite,
        &collector,
        "crates.io:flowstake-collector",
        "99.0.0",
    );
    let err = suite
        .app
        .migrate_contract(owner.clone(), token, &Empty {}, ids.token)
        .unwrap_err();
    assert!(matches!(
        token_error(&err),
        Some(flowstake_token::error::ContractError::MigrationRefused { .. })
    ));
    let err = suite
        .app
        .migrate_contract(
            owner,
            collector,
            &flowstake::collector::MigrateMsg {},
            ids.collector,
        )
        .unwrap_err();
    assert!(matches!(
        err.downcast_ref::<flowstake_collector::error::ContractError>(),
        Some(flowstake_collector::error::ContractError::MigrationRefused { .. })
    ));
    assert_eq!(suite.snapshot(), before);
}

/// Sends raw bytes as an execute message, with funds.
fn raw(suite: &mut Suite, sender: &str, msg: &str, native: u128) -> AnyResult<AppResponse> {
    let funds = if native == 0 {
        vec![]
    } else {
        coins(native, DENOM)
    };
    let execute = WasmMsg::Execute {
        contract_addr: suite.hub.to_string(),
        msg: Binary::new(msg.as_bytes().to_vec()),
        funds,
    };
    let sender = suite.addr(sender);
    suite.app.execute(sender, execute.into())
}

/// Malformed JSON, unknown messages and fields, out-of-range numbers, and a malformed hook in
/// a genuine `Send` of the derivative: all refused, nothing changes, funds and derivative stay
/// with the sender. Malformed queries are refused too.
#[test]
fn malformed_and_unknown_messages_are_refused() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    let nested = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let cases: Vec<(&str, String, u128)> = vec![
        ("not json", "bond".to_string(), 1_000_000),
        ("empty", String::new(), 0),
        ("empty object", "{}".to_string(), 0),
        ("deep nesting", nested, 0),
        (
            "unknown message",
            r#"{"mint":{"amount":"1000"}}"#.to_string(),
            0,
        ),
        (
            "two messages",
            r#"{"bond":{},"harvest":{}}"#.to_string(),
            1_000_000,
        ),
        (
            "receiver not a string",
            r#"{"bond":{"receiver":42}}"#.to_string(),
            1_000_000,
        ),
        (
            "receiver not an address",
            r#"{"bond":{"receiver":"x"}}"#.to_string(),
            1_000_000,
        ),
        (
            "negative amount",
            r#"{"bond":{"min_shares":"-1"}}"#.to_string(),
            1_000_000,
        ),
        (
            "amount above u128",
            r#"{"bond":{"min_shares":"340282366920938463463374607431768211456"}}"#.to_string(),
            1_000_000,
        ),
        (
            "limit above u32",
            r#"{"reconcile":{"limit":4294967296}}"#.to_string(),
            0,
        ),
        (
            "negative limit",
            r#"{"withdraw_unbonded":{"limit":-1}}"#.to_string(),
            0,
        ),
    ];
    for (label, msg, native) in cases {
        let before = suite.snapshot();
        let held = holdings(&suite, ALICE);
        assert!(
            raw(&mut suite, ALICE, &msg, native).is_err(),
            "{label} was accepted"
        );
        assert_eq!(suite.snapshot(), before, "{label} changed the hub");
        assert_eq!(holdings(&suite, ALICE), held, "{label} moved funds");
    }

    // A genuine `Send` of the derivative with a malformed hook: the derivative stays.
    let before = suite.snapshot();
    let held = holdings(&suite, ALICE);
    for hook in [
        to_json_binary(&ReceiveMsg::QueueUnbond {
            receiver: Some("not an address".to_string()),
        })
        .unwrap(),
        Binary::new(br#"{"queue_unbond":{},"cancel":{}}"#.to_vec()),
        Binary::new(b"\x00\x01".to_vec()),
    ] {
        let send = Cw20ExecuteMsg::Send {
            contract: suite.hub.to_string(),
            amount: Uint128::new(1_000_000),
            msg: hook,
        };
        assert!(suite.execute_token(ALICE, &send).is_err());
    }
    assert_eq!(suite.snapshot(), before);
    assert_eq!(holdings(&suite, ALICE), held);

    for query in [
        r#"{"nothing":{}}"#,
        r#"{"preview_bond":{"native":"-1"}}"#,
        r#"{"batch":{"id":"one"}}"#,
        "[]",
    ] {
        let request = cosmwasm_std::WasmQuery::Smart {
            contract_addr: suite.hub.to_string(),
            msg: Binary::new(query.as_bytes().to_vec()),
        };
        let answer: AnyResult<Empty> = suite.app.wrap().query(&request.into()).map_err(Into::into);
        assert!(answer.is_err(), "{query} answered");
    }
    let _: flowstake::hub::StateResponse = suite.query_hub(&QueryMsg::State {});
    suite.assert_invariants();
}

/// A field the message does not have is refused, not ignored: a client that misspells
/// `min_shares` must not bond without the protection it asked for. (`cw_serde` of
/// cosmwasm-schema 2 does not deny unknown fields; every message type of the hub and the
/// collector says `#[serde(deny_unknown_fields)]` itself.)
#[test]
fn misspelt_field_is_refused_not_ignored() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 10_000_000).unwrap();
    let before = suite.snapshot();
    let held = holdings(&suite, BOB);
    let misspelt = r#"{"bond":{"min_share":"999999999999"}}"#;
    let result = raw(&mut suite, BOB, misspelt, 1_000_000);
    assert!(
        result.is_err(),
        "bonded with `min_share` ignored: {} shares minted",
        suite.shares(BOB)
    );
    assert_eq!(suite.snapshot(), before);
    assert_eq!(holdings(&suite, BOB), held);
}

use cosmwasm_std::{coins, Decimal};
use cw_ownable::{Action, Ownership, OwnershipError};
use cw_utils::PaymentError;
use flowstake::hub::{ConfigResponse, ConfigUpdate, MigrateMsg, QueryMsg};
use flowstake::MAX_FEE_RATE;

use super::*;
use crate::execute::admin::{CONTRACT_NAME, CONTRACT_VERSION};

const ALL: [Operation; 3] = [Operation::Bond, Operation::Unbond, Operation::Harvest];

fn owner_only_msgs() -> Vec<ExecuteMsg> {
    let address = || "val1".to_string();
    vec![
        ExecuteMsg::AddValidator {
            address: OUTSIDER.to_string(),
            weight: 1,
        },
        ExecuteMsg::RemoveValidator { address: address() },
        ExecuteMsg::SetValidatorWeight {
            address: address(),
            weight: 2,
        },
        ExecuteMsg::PauseValidator { address: address() },
        ExecuteMsg::UnpauseValidator { address: address() },
        ExecuteMsg::UpdateConfig(Box::new(ConfigUpdate {
            fee_rate: Some(Decimal::percent(1)),
            ..ConfigUpdate::default()
        })),
        ExecuteMsg::Unpause {
            operations: ALL.to_vec(),
        },
        ExecuteMsg::UpdateOwnership(Action::TransferOwnership {
            new_owner: "cosmwasm1thief".to_string(),
            expiry: None,
        }),
    ]
}

fn pause(operations: &[Operation]) -> ExecuteMsg {
    ExecuteMsg::Pause {
        operations: operations.to_vec(),
    }
}

fn update(change: impl FnOnce(&mut ConfigUpdate)) -> ExecuteMsg {
    let mut update = ConfigUpdate::default();
    change(&mut update);
    ExecuteMsg::UpdateConfig(Box::new(update))
}

fn migrate(hub: &mut Hub) -> Result<Response, ContractError> {
    contract::migrate(hub.deps.as_mut(), hub.env.clone(), MigrateMsg {})
}

#[test]
fn owner_only_messages_from_anyone_else_are_refused() {
    let mut hub = setup();
    hub.execute_as("owner", pause(&[Operation::Harvest]))
        .unwrap();
    let before = hub.snapshot();

    for sender in ["stranger", "guardian"] {
        for msg in owner_only_msgs() {
            let err = hub.execute_as(sender, msg.clone()).unwrap_err();
            assert_eq!(
                err,
                ContractError::Ownership(OwnershipError::NotOwner),
                "{sender}: {msg:?}"
            );
        }
    }
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn guardian_and_owner_may_pause() {
    let mut hub = setup();

    hub.execute_as("guardian", pause(&[Operation::Harvest, Operation::Bond]))
        .unwrap();
    assert_eq!(hub.paused(), vec![Operation::Bond, Operation::Harvest]);

    hub.execute_as("owner", pause(&[Operation::Unbond]))
        .unwrap();
    assert_eq!(hub.paused(), ALL.to_vec());
}

#[test]
fn pause_by_a_stranger_is_refused() {
    let mut hub = setup();
    let before = hub.snapshot();

    let err = hub.execute_as("stranger", pause(&ALL)).unwrap_err();

    assert_eq!(
        err,
        ContractError::NotGuardian {
            sender: hub.addr("stranger").to_string()
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn only_the_owner_unpauses() {
    let mut hub = setup();
    hub.execute_as("guardian", pause(&ALL)).unwrap();
    let unpause = ExecuteMsg::Unpause {
        operations: vec![Operation::Bond],
    };

    let err = hub.execute_as("guardian", unpause.clone()).unwrap_err();
    assert_eq!(err, ContractError::Ownership(OwnershipError::NotOwner));

    hub.execute_as("owner", unpause).unwrap();
    assert_eq!(hub.paused(), vec![Operation::Unbond, Operation::Harvest]);
    hub.bond("alice", 500);
}

#[test]
fn paused_operations_refuse_their_messages() {
    let mut hub = setup();
    hub.bond("alice", 1_000);
    hub.queue_unbond("alice", 100).unwrap();
    hub.advance(EPOCH);
    hub.execute_as("guardian", pause(&ALL)).unwrap();
    let before = hub.snapshot();
    let paused = |operation| ContractError::Paused { operation };

    assert_eq!(
        hub.try_bond("alice", 500).unwrap_err(),
        paused(Operation::Bond)
    );
    assert_eq!(
        hub.queue_unbond("alice", 100).unwrap_err(),
        paused(Operation::Unbond)
    );
    for msg in [ExecuteMsg::CancelUnbond {}, ExecuteMsg::SubmitBatch {}] {
        let err = hub.execute_as("alice", msg).unwrap_err();
        assert_eq!(err, paused(Operation::Unbond));
    }
    let err = hub.execute_as("alice", ExecuteMsg::Harvest {}).unwrap_err();
    assert_eq!(err, paused(Operation::Harvest));
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn reconcile_and_withdraw_are_never_paused() {
    let mut hub = setup();
    hub.bond("alice", 1_000);
    hub.queue_unbond("alice", 400).unwrap();
    hub.advance(EPOCH);
    hub.execute_as("keeper", ExecuteMsg::SubmitBatch {})
        .unwrap();
    hub.advance(MATURITY);
    hub.execute_as("guardian", pause(&ALL)).unwrap();

    hub.reconcile(None).unwrap();
    let msg = ExecuteMsg::WithdrawUnbonded {
        receiver: None,
        limit: None,
    };
    let response = hub.execute_as("alice", msg).unwrap();

    assert_eq!(
        bank_sends(&response),
        vec![(hub.addr("alice").to_string(), coins(400, DENOM))]
    );
}

#[test]
fn update_config_changes_the_given_fields_only() {
    let mut hub = setup();
    let new_guardian = hub.addr("new_guardian");
    let msg = update(|u| {
        u.guardian = Some(new_guardian.to_string());
        u.fee_rate = Some(MAX_FEE_RATE);
        u.min_bond = Some(Uint128::new(7));
    });

    hub.execute_as("owner", msg).unwrap();

    let config: ConfigResponse = hub.query(QueryMsg::Config {});
    assert_eq!(config.guardian, Some(new_guardian));
    assert_eq!(config.fee_rate, MAX_FEE_RATE);
    assert_eq!(config.min_bond, Uint128::new(7));
    assert_eq!(config.min_unbond, Uint128::new(MIN_UNBOND));
    assert_eq!(config.epoch_period, EPOCH);

    hub.execute_as("owner", update(|u| u.clear_guardian = Some(true)))
        .unwrap();
    let config: ConfigResponse = hub.query(QueryMsg::Config {});
    assert_eq!(config.guardian, None);
}

#[test]
fn update_config_validates_every_bound() {
    let mut hub = setup();
    let before = hub.snapshot();
    let fee_rate = Decimal::percent(11);
    let cases = [
        (
            update(|u| u.fee_rate = Some(fee_rate)),
            ContractError::FeeTooHigh {
                fee_rate,
                max: MAX_FEE_RATE,
            },
        ),
        (
            update(|u| u.min_unbond = Some(Uint128::zero())),
            ContractError::ZeroValue {
                field: "min_unbond".to_string(),
            },
        ),
        (
            update(|u| u.unbonding_period = Some(28 * DAY + 1)),
            ContractError::EpochTooShort {
                epoch_period: EPOCH,
                unbonding_period: 28 * DAY + 1,
            },
        ),
        (
            update(|u| u.max_unbond_shortfall = Some(Decimal::percent(101))),
            ContractError::InvalidFraction {
                field: "max_unbond_shortfall".to_string(),
                value: Decimal::percent(101),
            },
        ),
    ];
    for (msg, expected) in cases {
        assert_eq!(hub.execute_as("owner", msg).unwrap_err(), expected);
    }
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn ownership_moves_in_two_steps() {
    let mut hub = setup();
    let heir = hub.addr("heir");
    let transfer = Action::TransferOwnership {
        new_owner: heir.to_string(),
        expiry: None,
    };
    hub.execute_as("owner", ExecuteMsg::UpdateOwnership(transfer))
        .unwrap();
    let ownership: Ownership<Addr> = hub.query(QueryMsg::Ownership {});
    assert_eq!(ownership.owner, Some(hub.owner()));
    assert_eq!(ownership.pending_owner, Some(heir.clone()));

    let accept = ExecuteMsg::UpdateOwnership(Action::AcceptOwnership);
    let err = hub.execute_as("stranger", accept.clone()).unwrap_err();
    assert_eq!(
        err,
        ContractError::Ownership(OwnershipError::NotPendingOwner)
    );
    hub.execute_as("heir", accept).unwrap();

    let ownership: Ownership<Addr> = hub.query(QueryMsg::Ownership {});
    assert_eq!(ownership.owner, Some(heir));
    let add = ExecuteMsg::AddValidator {
        address: OUTSIDER.to_string(),
        weight: 1,
    };
    let err = hub.execute_as("owner", add.clone()).unwrap_err();
    assert_eq!(err, ContractError::Ownership(OwnershipError::NotOwner));
    hub.execute_as("heir", add).unwrap();
}

#[test]
fn messages_other_than_bond_and_rewards_refuse_funds() {
    let mut hub = setup();
    let keeper = hub.addr("keeper");
    let err = hub
        .execute(&keeper, &coins(5, DENOM), ExecuteMsg::Harvest {})
        .unwrap_err();
    assert_eq!(err, ContractError::Payment(PaymentError::NonPayable {}));
}

#[test]
fn migrate_from_an_older_or_equal_version_records_this_one() {
    let mut hub = setup();
    migrate(&mut hub).unwrap();

    cw2::set_contract_version(&mut hub.deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
    let response = migrate(&mut hub).unwrap();

    assert_eq!(attr(&response, "from_version"), "0.0.1");
    let stored = cw2::get_contract_version(&hub.deps.storage).unwrap();
    assert_eq!(stored.version, CONTRACT_VERSION);
}

#[test]
fn migrate_refuses_a_downgrade() {
    let mut hub = setup();
    cw2::set_contract_version(&mut hub.deps.storage, CONTRACT_NAME, "99.0.0").unwrap();

    let err = migrate(&mut hub).unwrap_err();

    assert_eq!(
        err,
        ContractError::MigrationRefused {
            contract: CONTRACT_NAME.to_string(),
            from: "99.0.0".to_string(),
            to: CONTRACT_VERSION.to_string()
        }
    );
}

#[test]
fn migrate_refuses_another_contract() {
    let mut hub = setup();
    cw2::set_contract_version(&mut hub.deps.storage, "crates.io:other", "0.0.1").unwrap();

    let err = migrate(&mut hub).unwrap_err();

    assert_eq!(
        err,
        ContractError::MigrationRefused {
            contract: "crates.io:other".to_string(),
            from: "0.0.1".to_string(),
            to: CONTRACT_VERSION.to_string()
        }
    );
}

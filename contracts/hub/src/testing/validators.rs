use cosmwasm_std::coin;

use super::*;
use crate::execute::validators::MAX_WEIGHT;

fn owner_exec(hub: &mut Hub, msg: ExecuteMsg) -> Result<Response, ContractError> {
    hub.execute_as("owner", msg)
}

fn add(address: &str, weight: u64) -> ExecuteMsg {
    ExecuteMsg::AddValidator {
        address: address.to_string(),
        weight,
    }
}

fn remove(address: &str) -> ExecuteMsg {
    ExecuteMsg::RemoveValidator {
        address: address.to_string(),
    }
}

fn set_weight(address: &str, weight: u64) -> ExecuteMsg {
    ExecuteMsg::SetValidatorWeight {
        address: address.to_string(),
        weight,
    }
}

fn redelegate(src: &str, dst: &str, native: u128) -> StakingMsg {
    StakingMsg::Redelegate {
        src_validator: src.to_string(),
        dst_validator: dst.to_string(),
        amount: coin(native, DENOM),
    }
}

/// Weights 1, 1 and 3; val1 holds the 1_000 seed and val2 alice's 5_000.
fn weighted() -> Hub {
    let mut hub = setup_with(|msg| msg.validators[2].weight = 3);
    let response = hub.bond("alice", 5_000);
    assert_eq!(attr(&response, "validator"), "val2");
    hub
}

fn set(hub: &Hub) -> Vec<String> {
    hub.validator_list()
        .into_iter()
        .map(|v| v.address)
        .collect()
}

#[test]
fn add_validator_on_chain_joins_the_set_with_no_stake() {
    let mut hub = setup();

    owner_exec(&mut hub, add(OUTSIDER, 2)).unwrap();

    let added = hub
        .validator_list()
        .into_iter()
        .find(|v| v.address == OUTSIDER)
        .unwrap();
    assert_eq!((added.weight, added.paused), (2, false));
    assert_eq!(added.delegated, Uint128::zero());
}

#[test]
fn add_validator_not_on_chain_is_refused() {
    let mut hub = setup();
    let before = hub.snapshot();

    let err = owner_exec(&mut hub, add("ghost", 1)).unwrap_err();

    assert_eq!(
        err,
        ContractError::ValidatorNotOnChain {
            address: "ghost".to_string()
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn add_validator_already_in_the_set_is_refused() {
    let mut hub = setup();
    let before = hub.snapshot();

    let err = owner_exec(&mut hub, add("val2", 5)).unwrap_err();

    assert_eq!(
        err,
        ContractError::ValidatorExists {
            address: "val2".to_string()
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn weights_outside_one_to_max_are_refused() {
    let mut hub = setup();
    let before = hub.snapshot();
    for weight in [0, MAX_WEIGHT + 1] {
        let expected = ContractError::InvalidWeight {
            weight,
            max: MAX_WEIGHT,
        };
        assert_eq!(
            owner_exec(&mut hub, add(OUTSIDER, weight)).unwrap_err(),
            expected
        );
        assert_eq!(
            owner_exec(&mut hub, set_weight("val1", weight)).unwrap_err(),
            expected
        );
    }
    assert_eq!(hub.snapshot(), before);
    owner_exec(&mut hub, set_weight("val1", MAX_WEIGHT)).unwrap();
}

#[test]
fn set_weight_of_an_unknown_validator_is_refused() {
    let mut hub = setup();
    let err = owner_exec(&mut hub, set_weight(OUTSIDER, 2)).unwrap_err();
    assert_eq!(
        err,
        ContractError::UnknownValidator {
            address: OUTSIDER.to_string()
        }
    );
}

#[test]
fn set_weight_moves_new_delegations() {
    let mut hub = setup();
    hub.bond("alice", 1_000); // val2
    hub.bond("alice", 1_000); // val3
    owner_exec(&mut hub, set_weight("val3", 4)).unwrap();

    let targets: Vec<String> = (0..3)
        .map(|_| attr(&hub.bond("bob", 1_000), "validator"))
        .collect();

    assert_eq!(targets, ["val3", "val3", "val3"]);
}

#[test]
fn unpaused_validator_receives_delegations_again() {
    let mut hub = setup();
    let pause = ExecuteMsg::PauseValidator {
        address: "val2".to_string(),
    };
    owner_exec(&mut hub, pause).unwrap();
    assert_eq!(attr(&hub.bond("alice", 500), "validator"), "val3");

    let unpause = ExecuteMsg::UnpauseValidator {
        address: "val2".to_string(),
    };
    owner_exec(&mut hub, unpause).unwrap();

    assert_eq!(attr(&hub.bond("alice", 500), "validator"), "val2");
}

#[test]
fn remove_redelegates_to_the_rest_in_proportion_to_weights() {
    let mut hub = weighted();

    let response = owner_exec(&mut hub, remove("val2")).unwrap();

    assert_eq!(
        staking_msgs(&response),
        vec![
            redelegate("val2", "val1", 1_250),
            redelegate("val2", "val3", 3_750)
        ]
    );
    assert_eq!(set(&hub), ["val1", "val3"]);
    assert_eq!(hub.ledger("val1"), 2_250);
    assert_eq!(hub.ledger("val3"), 3_750);
    assert_eq!(hub.on_chain("val2"), 0);
    assert_eq!(hub.state().total_native, u(6_000));
}

#[test]
fn remove_books_a_missing_part_as_a_slash_and_moves_what_the_chain_holds() {
    let mut hub = weighted();
    hub.slash("val2", 100);

    let response = owner_exec(&mut hub, remove("val2")).unwrap();

    assert_eq!(attr(&response, "slashed"), "100");
    assert_eq!(attr(&response, "redelegated"), "4900");
    assert_eq!(
        staking_msgs(&response),
        vec![
            redelegate("val2", "val1", 1_225),
            redelegate("val2", "val3", 3_675)
        ]
    );
    let state = hub.state();
    assert_eq!(state.total_native, u(5_900));
    assert_eq!(state.totals.slashed, u(100));
}

#[test]
fn remove_is_refused_while_a_redelegation_into_the_validator_is_maturing() {
    let mut hub = weighted();
    owner_exec(&mut hub, remove("val2")).unwrap();
    let before = hub.snapshot();

    let err = owner_exec(&mut hub, remove("val3")).unwrap_err();

    assert_eq!(
        err,
        ContractError::RedelegationMaturing {
            address: "val3".to_string(),
            delegated: u(3_750),
            can_redelegate: Uint128::zero()
        }
    );
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn remove_of_a_validator_without_stake_sends_nothing() {
    let mut hub = weighted();

    let response = owner_exec(&mut hub, remove("val3")).unwrap();

    assert!(staking_msgs(&response).is_empty());
    assert_eq!(set(&hub), ["val1", "val2"]);
}

#[test]
fn removing_the_last_active_validator_is_refused() {
    let mut hub = weighted();
    for address in ["val2", "val3"] {
        let pause = ExecuteMsg::PauseValidator {
            address: address.to_string(),
        };
        owner_exec(&mut hub, pause).unwrap();
    }
    let before = hub.snapshot();

    let err = owner_exec(&mut hub, remove("val1")).unwrap_err();

    assert_eq!(err, ContractError::NoActiveValidator {});
    assert_eq!(hub.snapshot(), before);
}

#[test]
fn remove_of_an_unknown_validator_is_refused() {
    let mut hub = setup();
    let err = owner_exec(&mut hub, remove(OUTSIDER)).unwrap_err();
    assert_eq!(
        err,
        ContractError::UnknownValidator {
            address: OUTSIDER.to_string()
        }
    );
}

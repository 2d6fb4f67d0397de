//! The validator set: where bonds are delegated, adding, pausing and removing validators.

use flowstake_hub::error::ContractError;
use flowstake_tests::*;

/// Chain delegation and ledger weight of every validator of the set, by index.
fn loads(suite: &Suite, count: usize) -> Vec<(u128, u64)> {
    let set = suite.validators();
    (0..count)
        .map(|index| {
            let address = suite.validator(index);
            let weight = set
                .iter()
                .find(|v| v.address == address)
                .map_or(0, |v| v.weight);
            (suite.chain_delegation(index), weight)
        })
        .collect()
}

#[test]
fn bonds_go_to_the_validator_furthest_below_its_target() {
    let mut suite = SuiteBuilder::new()
        .validators(3)
        .weights(&[1, 2, 3])
        .build();
    let deposits = [
        4_000_000, 1_500_000, 7_000_000, 2_000_000, 3_300_000, 900_000, 5_000_000, 2_500_000,
    ];
    for native in deposits {
        let before = loads(&suite, 3);
        suite.bond(ALICE, native).unwrap();
        let after = loads(&suite, 3);
        let received: Vec<usize> = (0..3).filter(|i| after[*i].0 != before[*i].0).collect();
        assert_eq!(received.len(), 1, "one bond, one delegation");
        let chosen = received[0];
        assert_eq!(after[chosen].0, before[chosen].0 + native);
        // delegated / weight of the chosen one is the lowest: compare cross-multiplied.
        let (chosen_delegated, chosen_weight) = before[chosen];
        for (delegated, weight) in &before {
            assert!(
                chosen_delegated * u128::from(*weight) <= delegated * u128::from(chosen_weight),
                "bond of {native} went to {chosen} with loads {before:?}"
            );
        }
        suite.assert_invariants();
    }
}

#[test]
fn paused_validator_receives_no_new_delegation() {
    let mut suite = SuiteBuilder::new().validators(3).build();
    let paused = suite.validator(1);
    suite.pause_validator(OWNER, &paused).unwrap();
    assert!(suite
        .validators()
        .iter()
        .any(|v| v.address == paused && v.paused));

    // The seed may sit on the paused validator; whatever it holds stays, nothing is added.
    let held = suite.chain_delegation(1);
    for _ in 0..6 {
        suite.bond(ALICE, 2_000_000).unwrap();
    }
    assert_eq!(suite.chain_delegation(1), held);
    assert_eq!(suite.chain_delegated_total(), suite.seed + 12_000_000);

    // Unpaused, it is the furthest below its target again.
    suite.unpause_validator(OWNER, &paused).unwrap();
    suite.bond(ALICE, 2_000_000).unwrap();
    assert_eq!(suite.chain_delegation(1), held + 2_000_000);
    suite.assert_invariants();
}

#[test]
fn removing_a_validator_moves_its_stake_to_the_rest() {
    let mut suite = SuiteBuilder::new()
        .validators(3)
        .weights(&[1, 1, 2])
        .build();
    for (user, native) in [(ALICE, 10_000_000), (BOB, 20_000_000), (CAROL, 30_000_000)] {
        suite.bond(user, native).unwrap();
    }
    let removed = (0..3)
        .max_by_key(|index| suite.chain_delegation(*index))
        .unwrap();
    let moved = suite.chain_delegation(removed);
    assert!(moved > 0);
    let before = loads(&suite, 3);
    let state_before = suite.state();
    let chain_total = suite.chain_delegated_total();

    let address = suite.validator(removed);
    suite.remove_validator(OWNER, &address).unwrap();
    suite.assert_invariants();

    assert_eq!(suite.chain_delegation(removed), 0);
    assert_eq!(suite.chain_delegated_total(), chain_total);
    assert!(suite.validators().iter().all(|v| v.address != address));
    assert_eq!(suite.validators().len(), 2);
    let state = suite.state();
    assert_eq!(state.total_native, state_before.total_native);
    assert_eq!(state.exchange_rate, state_before.exchange_rate);

    // The stake is shared by the remaining weights, to the unit.
    let rest: Vec<usize> = (0..3).filter(|index| *index != removed).collect();
    let weight_sum: u128 = rest.iter().map(|i| u128::from(before[*i].1)).sum();
    let mut received_sum = 0;
    for index in &rest {
        let received = suite.chain_delegation(*index) - before[*index].0;
        let share = moved * u128::from(before[*index].1) / weight_sum;
        assert!(
            received == share || received == share + 1,
            "validator {index} received {received}, its share is {share}"
        );
        assert_eq!(
            suite.ledger_delegation(*index),
            Some(before[*index].0 + received)
        );
        received_sum += received;
    }
    assert_eq!(received_sum, moved);

    // New bonds go to the remaining validators only.
    suite.bond(DAVE, 5_000_000).unwrap();
    assert_eq!(suite.chain_delegation(removed), 0);
    suite.assert_invariants();
}

#[test]
fn removed_validator_stake_is_unbonded_from_its_new_home() {
    let mut suite = SuiteBuilder::new().validators(3).build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 20_000_000).unwrap();
    let address = suite.validator(0);
    suite.remove_validator(OWNER, &address).unwrap();
    suite.queue_unbond(BOB, 20_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    assert_eq!(suite.chain_unbonding(0), 0);
    assert_eq!(suite.chain_unbonding_total(), 20_000_000);
    suite.advance_to(suite.batch(1).completes_at);
    suite.reconcile().unwrap();
    suite.withdraw_unbonded(BOB).unwrap();
    suite.assert_invariants();
}

#[test]
fn added_validator_must_exist_on_the_chain() {
    let mut suite = SuiteBuilder::new()
        .validators(2)
        .spare_validators(1)
        .build();
    let unknown = suite.addr("not-a-validator").into_string();
    let before = suite.snapshot();
    assert_hub_error(
        suite.add_validator(OWNER, &unknown, 1),
        ContractError::ValidatorNotOnChain {
            address: unknown.clone(),
        },
    );
    assert_eq!(suite.snapshot(), before);

    let existing = suite.validator(0);
    assert_hub_error(
        suite.add_validator(OWNER, &existing, 1),
        ContractError::ValidatorExists { address: existing },
    );

    // Both validators of the set hold stake before the spare one joins.
    suite.bond(ALICE, 5_000_000).unwrap();
    assert!(suite.chain_delegation(0) > 0 && suite.chain_delegation(1) > 0);
    let spare = suite.validator(2);
    suite.add_validator(OWNER, &spare, 1).unwrap();
    let added = suite
        .validators()
        .into_iter()
        .find(|v| v.address == spare)
        .expect("the validator joined the set");
    assert_eq!(added.weight, 1);
    assert_eq!(added.delegated.u128(), 0);
    assert!(!added.paused);

    // It is the furthest below its target, so the next bond goes to it.
    suite.bond(ALICE, 3_000_000).unwrap();
    assert_eq!(suite.chain_delegation(2), 3_000_000);
    suite.assert_invariants();
}

#[test]
fn weight_out_of_range_is_refused() {
    let mut suite = SuiteBuilder::new().build();
    let address = suite.validator(0);
    let error = suite
        .set_validator_weight(OWNER, &address, 0)
        .expect_err("a zero weight was accepted");
    assert!(matches!(
        hub_error(&error),
        Some(ContractError::InvalidWeight { weight: 0, .. })
    ));
    suite.set_validator_weight(OWNER, &address, 5).unwrap();
    assert_eq!(
        suite
            .validators()
            .iter()
            .find(|v| v.address == address)
            .unwrap()
            .weight,
        5
    );
}

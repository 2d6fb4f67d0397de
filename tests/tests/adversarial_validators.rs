//! Attacks through the validator set: a jailed validator, and the removal of a validator whose
//! shares a slash has devalued.

use cosmwasm_std::Decimal;
use flowstake::hub::BatchStatus;
use flowstake_tests::strict::StrictChain;
use flowstake_tests::*;

/// The validator of the initial set with the most of the hub's stake.
fn most_staked(suite: &Suite, count: usize) -> usize {
    (0..count)
        .max_by_key(|index| suite.chain_delegation(*index))
        .unwrap()
}

/// A jailed validator leaves the active set: it earns nothing, but the hub keeps working
/// around it. Harvest, bonds, a batch that undelegates from it, and its removal all go
/// through; once its unbonding ends it is unbonded; nothing is lost and no slash is booked.
#[test]
fn a_jailed_validator_neither_blocks_the_hub_nor_loses_funds() {
    let mut suite = SuiteBuilder::new()
        .validators(3)
        .apr(Decimal::permille(365))
        .build();
    suite.bond(ALICE, 30_000_000).unwrap();
    suite.bond(BOB, 30_000_000).unwrap();
    let jailed = most_staked(&suite, 3);
    let address = suite.validator(jailed);
    suite.jail(jailed).unwrap();
    suite.advance_days(1);

    suite.harvest().unwrap();
    suite.bond(CAROL, 10_000_000).unwrap();
    suite.queue_unbond(ALICE, 10_000_000).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    assert!(
        suite.chain_unbonding(jailed) > 0,
        "the batch undelegated from it"
    );
    suite.remove_validator(OWNER, &address).unwrap();
    assert_eq!(suite.chain_delegation(jailed), 0);
    assert_eq!(suite.ledger_delegation(jailed), None);
    suite.assert_invariants();

    let batch = suite.batch(1);
    suite.advance_to(batch.completes_at);
    // Unbonded and emptied by the removal: x/staking has deleted it.
    assert!(suite.app.validator_state(&address).is_none());
    suite.reconcile().unwrap();
    let batch = suite.batch(1);
    assert_eq!(batch.status, BatchStatus::Reconciled);
    assert_eq!(batch.native_received, batch.native_expected);
    let funds = suite.native_balance(ALICE);
    suite.withdraw_unbonded(ALICE).unwrap();
    assert_eq!(
        suite.native_balance(ALICE),
        funds + batch.native_expected.u128()
    );
    suite.harvest().unwrap();
    assert!(suite.state().totals.slashed.is_zero());
    suite.assert_invariants();
}

/// Removing a validator after a slash has devalued its shares. The hub redelegates what the
/// chain says the delegation is worth, split over the rest by weight; x/staking turns each
/// amount into shares and back, both rounded down, so each redelegation may move one unit less
/// than asked. That unit stays with the removed validator's shares, outside the set. The hub
/// cannot ask for more (the chain refuses more shares than the delegation holds), so the loss
/// must be bounded and booked: at most one unit per destination, booked as a slash by the next
/// sync, never more than what was actually left behind. (A sweep of such residue back into the
/// set is a known follow-up: see `docs/reliability.md`.)
#[test]
fn removing_a_slashed_validator_loses_at_most_a_unit_per_destination_and_books_it() {
    let mut suite = SuiteBuilder::new().validators(4).build();
    for (user, native) in [(ALICE, 10_000_001), (BOB, 20_000_003), (CAROL, 30_000_007)] {
        suite.bond(user, native).unwrap();
    }
    suite.advance_days(1);
    let removed = most_staked(&suite, 4);
    suite.slash(removed, 10);
    suite.sync().unwrap();
    suite.assert_invariants();
    let slashed = suite.state().totals.slashed;
    let address = suite.validator(removed);
    let destinations = 3;

    suite.remove_validator(OWNER, &address).unwrap();
    let left = suite.chain_delegation(removed);
    suite.sync().unwrap();
    let booked = (suite.state().totals.slashed - slashed).u128();
    assert!(
        left <= booked && booked <= destinations,
        "{left} left delegated to the removed validator; {booked} booked as a slash after the \
         removal over {destinations} destinations"
    );
    suite.assert_invariants();
}

/// Removing a slashed validator that holds little of the hub's stake. Split over the rest by
/// weight, a part can be one unit; on a validator whose tokens per share fell below one, the
/// shares one unit stands for are worth less than a unit, so x/staking refuses that
/// redelegation (`ErrTinyRedelegationAmount`) and with it the whole removal: governance cannot
/// take the validator out of the set. The removal should go through.
#[test]
fn removing_a_slashed_validator_with_little_stake_goes_through() {
    // The seed can no longer be a few units (at least 1_000): the validator with little stake
    // is one added to the set after the bonds, which takes a bond of 3 units (it is the one
    // furthest below its target).
    let mut suite = SuiteBuilder::new()
        .validators(4)
        .spare_validators(1)
        .min_bond(1)
        .build();
    for (user, native) in [(ALICE, 10_000_000), (BOB, 10_000_000), (CAROL, 10_000_000)] {
        suite.bond(user, native).unwrap();
    }
    let seeded = 4;
    let address = suite.validator(seeded);
    suite.add_validator(OWNER, &address, 1).unwrap();
    suite.bond(DAVE, 3).unwrap();
    assert_eq!(suite.chain_delegation(seeded), 3);
    // Another delegator's stake makes the slash bite: 22 % of its tokens are burnt.
    let dave = suite.addr(DAVE);
    let delegate = cosmwasm_std::StakingMsg::Delegate {
        validator: address.clone(),
        amount: cosmwasm_std::coin(10_000_000, DENOM),
    };
    cw_multi_test::Executor::execute(&mut suite.app, dave, delegate.into()).unwrap();
    suite.advance_days(1);
    suite.slash(seeded, 22);
    suite.sync().unwrap();
    assert_eq!(suite.ledger_delegation(seeded), Some(2));

    let result = suite.remove_validator(OWNER, &address);
    assert!(
        result.is_ok(),
        "removal refused: {}",
        result.map(|_| ()).unwrap_err().root_cause()
    );
    assert_eq!(suite.ledger_delegation(seeded), None);
    // The redelegations may each move a unit less than asked; the next sync books it.
    suite.sync().unwrap();
    suite.assert_invariants();
}

/// A validator slashed to zero tokens (x/staking: every later delegation to it fails with
/// `ErrDelegatorShareExRateInvalid`). Once a sync lowers its ledger to zero, it is the
/// validator furthest below its target, so the hub sends every new delegation there: every
/// bond, and every harvest with rewards to re-stake, fails until governance pauses or removes
/// it. Bonds should go to a validator that can take them.
#[test]
fn a_validator_slashed_to_zero_does_not_block_bonds() {
    let mut suite = SuiteBuilder::new()
        .validators(3)
        .rate_bounds(Decimal::percent(90), Decimal::percent(20))
        .build();
    for (user, native) in [(ALICE, 10_000_000), (BOB, 10_000_000), (CAROL, 10_000_000)] {
        suite.bond(user, native).unwrap();
    }
    let emptied = most_staked(&suite, 3);
    let height = suite.height();
    let validator = suite.validator(emptied);
    suite
        .app
        .strict_sudo(flowstake_tests::strict::StrictSudo::Slash {
            validator,
            infraction_height: height,
            fraction: Decimal::one(),
        })
        .unwrap();
    suite.sync().unwrap();
    assert_eq!(suite.ledger_delegation(emptied), Some(0));

    let result = suite.bond(DAVE, 5_000_000);
    assert!(
        result.is_ok(),
        "bond refused: {}",
        result.map(|_| ()).unwrap_err().root_cause()
    );
    assert!(suite.shares(DAVE) > 0);
    suite.assert_invariants();
}

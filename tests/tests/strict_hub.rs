//! The hub on the strict chain, in the situations where a chain differs from cw-multi-test's
//! own staking model: rewards paid out automatically, redelegation entries, the unbonding entry
//! limit, slashes that reach redelegated stake, and the share rounding after a slash.

use cosmwasm_std::{coin, Decimal, StakingMsg, Uint128};
use cw_multi_test::Executor;
use flowstake_hub::error::ContractError;
use flowstake_tests::strict::StrictChain;
use flowstake_tests::*;

/// Rewards the chain pays to the collector when a bond changes a delegation (x/distribution's
/// `BeforeDelegationSharesModified`) are forwarded at the next harvest with the withdrawn ones:
/// nothing is lost, nothing is counted twice.
#[test]
fn rewards_paid_out_by_a_bond_are_harvested_with_the_rest() {
    let mut suite = SuiteBuilder::new().apr(Decimal::permille(365)).build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 10_000_000).unwrap();
    suite.advance_days(2);
    let accrued = suite.expected_rewards();
    // The seed's validator is the furthest below its target: two days on one million.
    suite.bond(CAROL, 5_000_000).unwrap();
    let auto_paid = suite.expected_auto_paid_rewards();
    assert_eq!(auto_paid, 2_000);
    assert_eq!(suite.native_balance_of(&suite.collector), auto_paid);
    assert_eq!(suite.state().pending_rewards.u128(), auto_paid);
    assert_eq!(suite.expected_rewards(), accrued - auto_paid);
    assert_eq!(suite.chain_pending_rewards(), accrued - auto_paid);
    suite.assert_invariants();

    suite.harvest().unwrap();
    assert_eq!(suite.state().totals.rewards.u128(), accrued);
    assert_eq!(suite.native_balance_of(&suite.collector), 0);
    suite.assert_invariants();
}

/// A jailed validator earns nothing (it left the active set); the reward meter leaves it out,
/// and harvest withdraws zero from it without failing, as x/distribution allows.
#[test]
fn harvest_withdraws_nothing_from_a_jailed_validator() {
    let mut suite = SuiteBuilder::new().apr(Decimal::permille(365)).build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 20_000_000).unwrap();
    suite.harvest().unwrap();
    let jailed = (0..3)
        .max_by_key(|index| suite.chain_delegation(*index))
        .unwrap();
    suite.jail(jailed).unwrap();
    suite.advance_days(2);
    // Two days on the seed's million and Alice's ten: the jailed twenty earn nothing.
    assert_eq!(suite.expected_rewards(), 22_000);
    assert_eq!(suite.chain_pending_rewards(), 22_000);
    suite.harvest().unwrap();
    assert_eq!(suite.state().totals.rewards.u128(), 22_000);
    suite.assert_invariants();
}

/// Removing a validator redelegates its stake; the chain pays the rewards of the source and of
/// every destination delegation to the collector at once, so harvest still collects every
/// reward, though the validator left the set it withdraws from.
#[test]
fn rewards_of_a_removed_validator_reach_the_next_harvest() {
    let mut suite = SuiteBuilder::new().apr(Decimal::permille(365)).build();
    suite.bond(ALICE, 30_000_000).unwrap();
    suite.advance_days(3);
    let accrued = suite.expected_rewards();
    let removed = (0..3)
        .max_by_key(|index| suite.chain_delegation(*index))
        .unwrap();
    let address = suite.validator(removed);
    suite.remove_validator(OWNER, &address).unwrap();
    // Three days on Alice's 30 million and on the seed's million, each a redelegation side.
    assert_eq!(accrued, 93_000);
    assert_eq!(suite.expected_auto_paid_rewards(), accrued);
    assert_eq!(suite.native_balance_of(&suite.collector), accrued);
    suite.harvest().unwrap();
    assert_eq!(suite.state().totals.rewards.u128(), accrued);
    suite.assert_invariants();
}

/// A validator that received a redelegation cannot pass it on while it matures (x/staking
/// `ErrTransitiveRedelegation`): the hub reads `can_redelegate` and refuses the removal,
/// changing nothing, until the redelegation has matured.
#[test]
fn removing_a_validator_that_received_a_redelegation_waits_for_it() {
    let mut suite = SuiteBuilder::new().validators(3).build();
    suite.bond(ALICE, 10_000_000).unwrap();
    suite.bond(BOB, 10_000_000).unwrap();
    let first = suite.validator(0);
    suite.remove_validator(OWNER, &first).unwrap();
    assert_eq!(suite.chain_redelegations().len(), 2);

    let receiving = suite.validator(1);
    let delegated = Uint128::new(suite.chain_delegation(1));
    let before = suite.snapshot();
    assert_hub_error(
        suite.remove_validator(OWNER, &receiving),
        ContractError::RedelegationMaturing {
            address: receiving.clone(),
            delegated,
            can_redelegate: Uint128::zero(),
        },
    );
    assert_eq!(suite.snapshot(), before);

    suite.advance_days(21);
    // Matured at the end of the block that reaches the completion time.
    suite.advance_seconds(BLOCK_SECONDS);
    assert!(suite.chain_redelegations().is_empty());
    suite.remove_validator(OWNER, &receiving).unwrap();
    assert_eq!(suite.chain_delegation(1), 0);
    suite.assert_invariants();
}

/// With the shortest epoch the configuration allows (seven epochs exceed the unbonding period
/// by a day), batches submitted back to back never need an 8th unbonding entry on any
/// validator, whether a keeper or the first request after the epoch submits them. The hub
/// counts an entry as gone only once a crank in an earlier block proves it paid: with a
/// keeper's crank a block before each submission, every batch goes through and the chain holds
/// seven entries at most; with no crank since the last submission, the submission waits.
#[test]
fn back_to_back_batches_stay_within_seven_unbonding_entries() {
    let shortest = (22 * DAY).div_ceil(7);
    let mut suite = SuiteBuilder::new()
        .unbonding_days(21)
        .epoch_seconds(shortest)
        .build();
    suite.bond(ALICE, 100_000_000).unwrap();
    let mut most_entries = 0;
    for round in 0..20 {
        suite.queue_unbond(ALICE, 1_000_000).unwrap();
        suite.advance_to_submit();
        // A keeper's crank when the epoch ends: it proves paid, from the next block on, every
        // entry complete by now, the batch of seven epochs ago among them (7 * shortest = 22
        // days > 21 days + 1 s). A reconcile, which keeps the open batches below their bound
        // of 14; a sync while nothing has matured.
        match suite.reconcile() {
            Ok(_) => {}
            Err(err) => {
                assert_eq!(
                    hub_error(&err),
                    Some(&ContractError::NothingToReconcile {}),
                    "{err}"
                );
                suite.sync().unwrap();
            }
        }
        suite.advance_seconds(BLOCK_SECONDS);
        if round % 2 == 0 {
            suite.submit_batch().unwrap();
        } else {
            // The first request after the epoch submits the pending batch itself.
            suite.queue_unbond(ALICE, 1_000_000).unwrap();
        }
        assert_eq!(
            suite.pending_batch().id,
            round + 2,
            "batch {} waits",
            round + 1
        );
        for index in 0..3 {
            let validator = suite.validator(index);
            let entries = suite
                .chain_unbondings()
                .iter()
                .filter(|entry| entry.validator == validator)
                .count();
            most_entries = most_entries.max(entries);
        }
    }
    assert_eq!(most_entries, 7);

    // No crank since the last submission: the hub cannot tell that the oldest of its seven
    // batches was paid, so it sends no undelegation; after a sync it does.
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    suite.advance_to_submit();
    assert_hub_error(
        suite.submit_batch(),
        ContractError::UnbondingEntriesFull {
            in_flight: 7,
            max: 7,
        },
    );
    suite.sync().unwrap();
    suite.advance_seconds(BLOCK_SECONDS);
    suite.submit_batch().unwrap();
    suite.assert_invariants();
}

/// A slash for an infraction committed before a validator was removed reaches the stake
/// redelegated out of it (x/staking `SlashRedelegation`): the destinations hold less, and the
/// next sync books it.
#[test]
fn slash_of_a_removed_validator_reaches_the_redelegated_stake() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 30_000_000).unwrap();
    suite.advance_days(1);
    let removed = (0..3)
        .max_by_key(|index| suite.chain_delegation(*index))
        .unwrap();
    let moved = suite.chain_delegation(removed);
    let address = suite.validator(removed);
    suite.remove_validator(OWNER, &address).unwrap();
    let total = suite.chain_delegated_total();
    suite.advance_days(1);

    suite.slash(removed, 10);
    assert_eq!(suite.chain_delegated_total(), total - moved / 10);
    suite.sync().unwrap();
    assert_eq!(suite.state().totals.slashed.u128(), moved / 10);
    suite.assert_invariants();
}

/// After a slash a validator's tokens per share fall below one. An undelegation of `amount`
/// then removes `amount * shares / tokens` shares (truncated to 18 decimals), worth
/// `shares * tokens / total_shares` rounded to 18 decimals and then truncated: on a validator
/// shared with another delegator, for the amounts here, one unit less than asked. The batch
/// receives that much less and reconcile books it as a shortfall of the batch.
#[test]
fn share_rounding_after_a_slash_is_booked_at_reconcile() {
    let mut suite = SuiteBuilder::new().build();
    for (user, native) in [(ALICE, 10_000_003), (BOB, 20_000_007), (CAROL, 30_000_011)] {
        suite.bond(user, native).unwrap();
    }
    let dave = suite.addr(DAVE);
    for index in 0..3 {
        let delegate = StakingMsg::Delegate {
            validator: suite.validator(index),
            amount: coin(3_333_337, DENOM),
        };
        suite.app.execute(dave.clone(), delegate.into()).unwrap();
    }
    suite.advance_days(1);
    for index in 0..3 {
        suite.slash(index, 7);
    }
    suite.sync().unwrap();
    suite.queue_unbond(ALICE, 5_000_001).unwrap();
    suite.queue_unbond(BOB, 7_777_790).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let batch = suite.batch(1);
    let arrived = suite.chain_unbonding_total();
    assert_eq!(
        batch.native_expected.u128() - arrived,
        3,
        "one unit short per validator"
    );
    let entries = suite.app.unbonding_entries(&suite.hub);
    assert_eq!(entries.len(), 3);

    suite.advance_to(batch.completes_at);
    suite.reconcile().unwrap();
    assert_eq!(suite.batch(1).native_received.u128(), arrived);
    suite.withdraw_unbonded(ALICE).unwrap();
    suite.withdraw_unbonded(BOB).unwrap();
    suite.assert_invariants();
}

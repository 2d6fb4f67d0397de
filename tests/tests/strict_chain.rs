//! The strict chain's staking rules, each tested on the chain alone and citing the x/staking
//! behaviour it mirrors. Rewards are switched off here (APR zero) so that balances move only by
//! stake; the reward rules are in `strict_rewards.rs`.

use cosmwasm_std::{coin, Decimal, Decimal256, StakingMsg, Uint128};
use cw_multi_test::Executor;
use flowstake_tests::strict::fixture::{chain_error, ChainFixture, BLOCK_TIME, UNBONDING_TIME};
use flowstake_tests::strict::{ChainError, StrictChain, MAX_ENTRIES};
use flowstake_tests::{ALICE, BOB};

/// Asserts that a call failed with a chain error matching the pattern.
macro_rules! assert_refused {
    ($result:expr, $pattern:pat) => {
        let err = $result.expect_err("the chain accepted it");
        assert!(
            matches!(chain_error(&err), Some($pattern)),
            "unexpected error: {err:?}"
        );
    };
}

fn chain(validators: usize) -> ChainFixture {
    ChainFixture::new(
        Decimal::zero(),
        &vec![Decimal::zero(); validators],
        &[ALICE, BOB],
    )
}

fn pool_balance(chain: &ChainFixture) -> u128 {
    let pool = chain.app.staking_pool();
    chain
        .app
        .wrap()
        .query_balance(pool, "ustake")
        .unwrap()
        .amount
        .u128()
}

/// x/staking `MaxEntries` = 7: `Undelegate` checks `HasMaxUnbondingDelegationEntries` for the
/// (delegator, validator) pair and fails with `ErrMaxUnbondingDelegationEntries`; another
/// validator has its own limit, and a matured entry frees its place.
#[test]
fn eighth_unbonding_entry_of_a_pair_is_refused() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 1, 1_000_000).unwrap();
    let first_block = chain.now() + BLOCK_TIME;
    for _ in 0..MAX_ENTRIES {
        chain.next_block(BLOCK_TIME);
        chain.undelegate(ALICE, 0, 1_000).unwrap();
    }
    assert_eq!(chain.unbonding_entries(ALICE).len(), 7);

    chain.next_block(BLOCK_TIME);
    let err = chain.undelegate(ALICE, 0, 1_000).unwrap_err();
    assert_eq!(
        chain_error(&err),
        Some(&ChainError::MaxUnbondingEntries {
            delegator: chain.addr(ALICE).into_string(),
            validator: chain.validator(0),
            max: 7,
        })
    );
    assert_eq!(chain.delegated(ALICE, 0), 1_000_000 - 7_000);
    chain.undelegate(ALICE, 1, 1_000).unwrap();

    // The first entry matures at the end of the block that reaches its completion time.
    chain.next_block(first_block + UNBONDING_TIME - chain.now());
    assert_eq!(chain.unbonding_entries(ALICE).len(), 7);
    chain.undelegate(ALICE, 0, 1_000).unwrap();
}

/// x/staking `UnbondingDelegation.AddEntry` (SDK 0.47+): an undelegation with the creation
/// height and completion time of an existing entry is added to it, so ten undelegations in one
/// block take one entry.
#[test]
fn undelegations_in_one_block_merge_into_one_entry() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    for _ in 0..10 {
        chain.undelegate(ALICE, 0, 1_000).unwrap();
    }
    let entries = chain.unbonding_entries(ALICE);
    assert_eq!(entries.len(), 1);
    let (validator, entry) = &entries[0];
    assert_eq!(*validator, chain.validator(0));
    assert_eq!(entry.creation_height, chain.height());
    assert_eq!(
        entry.completion_time.seconds(),
        chain.now() + UNBONDING_TIME
    );
    assert_eq!(entry.initial_balance, Uint128::new(10_000));
    assert_eq!(entry.balance, Uint128::new(10_000));
    assert_eq!(chain.delegated(ALICE, 0), 990_000);
}

/// x/staking checks `HasMaxUnbondingDelegationEntries` before `SetUnbondingDelegationEntry`
/// merges: with seven entries, even an undelegation in the block of the seventh is refused.
#[test]
fn entry_limit_is_checked_before_the_merge() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    for _ in 0..MAX_ENTRIES {
        chain.next_block(BLOCK_TIME);
        chain.undelegate(ALICE, 0, 1_000).unwrap();
    }
    let err = chain.undelegate(ALICE, 0, 1_000).unwrap_err();
    assert!(matches!(
        chain_error(&err),
        Some(ChainError::MaxUnbondingEntries { max: 7, .. })
    ));
    assert_eq!(chain.unbonding_entries(ALICE).len(), 7);
}

/// x/staking `EndBlocker` → `DequeueAllMatureUBDQueue` / `CompleteUnbonding`: an entry is paid
/// at the end of the first block whose time reaches its completion time, not before.
#[test]
fn matured_unbonding_is_paid_at_the_end_of_the_block() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 400_000).unwrap();
    let before = chain.balance(ALICE);

    chain.next_block(UNBONDING_TIME - 1);
    assert_eq!(chain.balance(ALICE), before);
    assert_eq!(chain.unbonding_entries(ALICE).len(), 1);

    chain.next_block(1);
    assert_eq!(chain.balance(ALICE), before + 400_000);
    assert!(chain.unbonding_entries(ALICE).is_empty());
    assert_eq!(pool_balance(&chain), 600_000);
}

/// x/staking `BeginRedelegation`: the stake moves to the destination at once; the entry, which
/// only serves slashing and the transitive rule, matures after the unbonding time.
#[test]
fn redelegation_moves_stake_at_once_and_matures_after_the_unbonding_time() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 300_000).unwrap();
    assert_eq!(chain.delegated(ALICE, 0), 700_000);
    assert_eq!(chain.delegated(ALICE, 1), 300_000);
    let entries = chain.redelegation_entries(ALICE);
    assert_eq!(entries.len(), 1);
    let (source, destination, entry) = &entries[0];
    assert_eq!(
        (source, destination),
        (&chain.validator(0), &chain.validator(1))
    );
    assert_eq!(entry.creation_height, chain.height());
    assert_eq!(entry.initial_balance, Uint128::new(300_000));
    assert_eq!(
        entry.shares_dst,
        Decimal256::from_atomics(300_000u128, 0).unwrap()
    );

    chain.next_block(UNBONDING_TIME - 1);
    assert_eq!(chain.redelegation_entries(ALICE).len(), 1);
    chain.next_block(1);
    assert!(chain.redelegation_entries(ALICE).is_empty());
    assert_eq!(pool_balance(&chain), 1_000_000);
}

/// x/staking `HasMaxRedelegationEntries` for (delegator, source, destination) fails the 8th
/// with `ErrMaxRedelegationEntries`; redelegation entries never merge (`Redelegation.AddEntry`
/// appends), so two in one block take two places.
#[test]
fn eighth_redelegation_entry_of_a_triple_is_refused() {
    let mut chain = chain(3);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 1_000).unwrap();
    chain.redelegate(ALICE, 0, 1, 1_000).unwrap();
    assert_eq!(chain.redelegation_entries(ALICE).len(), 2);
    for _ in 2..MAX_ENTRIES {
        chain.next_block(BLOCK_TIME);
        chain.redelegate(ALICE, 0, 1, 1_000).unwrap();
    }
    chain.next_block(BLOCK_TIME);
    let err = chain.redelegate(ALICE, 0, 1, 1_000).unwrap_err();
    assert_eq!(
        chain_error(&err),
        Some(&ChainError::MaxRedelegationEntries {
            delegator: chain.addr(ALICE).into_string(),
            src_validator: chain.validator(0),
            dst_validator: chain.validator(1),
            max: 7,
        })
    );
    assert_eq!(chain.delegated(ALICE, 1), 7_000);
    chain.redelegate(ALICE, 0, 2, 1_000).unwrap();
}

/// x/staking `BeginRedelegation` fails with `ErrTransitiveRedelegation` when
/// `HasReceivingRedelegation(delegator, source)`: none of the delegator's stake at a validator
/// can move on while a redelegation into it matures, not even stake that was there before.
/// Other delegators and undelegations are not affected.
#[test]
fn redelegating_out_of_a_validator_with_an_incoming_redelegation_is_refused() {
    let mut chain = chain(3);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 1, 500_000).unwrap();
    chain.delegate(BOB, 1, 500_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 300_000).unwrap();

    let err = chain.redelegate(ALICE, 1, 2, 100_000).unwrap_err();
    assert_eq!(
        chain_error(&err),
        Some(&ChainError::TransitiveRedelegation {
            validator: chain.validator(1),
        })
    );
    assert_eq!(chain.delegated(ALICE, 1), 800_000);
    chain.redelegate(BOB, 1, 2, 100_000).unwrap();
    chain.undelegate(ALICE, 1, 100_000).unwrap();
    // Redelegating further out of the source is not transitive.
    chain.redelegate(ALICE, 0, 2, 100_000).unwrap();

    chain.next_block(UNBONDING_TIME);
    chain.redelegate(ALICE, 1, 2, 100_000).unwrap();
}

/// wasmd's `Delegation` query: `can_redelegate` is zero while the delegation receives a
/// redelegation still maturing (x/staking would refuse any of it) and the full amount
/// otherwise. The hub reads it before removing a validator.
#[test]
fn can_redelegate_is_zero_while_an_incoming_redelegation_matures() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 1, 500_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 300_000).unwrap();

    let receiving = chain.delegation(ALICE, 1).unwrap();
    assert_eq!(receiving.amount.amount.u128(), 800_000);
    assert_eq!(receiving.can_redelegate.amount.u128(), 0);
    let sending = chain.delegation(ALICE, 0).unwrap();
    assert_eq!(sending.can_redelegate, sending.amount);

    chain.next_block(UNBONDING_TIME);
    let receiving = chain.delegation(ALICE, 1).unwrap();
    assert_eq!(receiving.can_redelegate, receiving.amount);
}

/// The refusals of `MsgBeginRedelegate`, `MsgUndelegate` and `MsgDelegate`: same validator
/// (`ErrSelfRedelegation`), more than delegated (`ErrBadSharesAmount`), zero, another denom
/// (`ErrBadDenom`), an unknown validator (`ErrNoValidatorFound`), no delegation
/// (`ErrNoDelegation`). None of them changes anything.
#[test]
fn malformed_staking_messages_are_refused() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000).unwrap();
    let alice = chain.addr(ALICE);
    assert_refused!(
        chain.redelegate(ALICE, 0, 0, 10),
        ChainError::SelfRedelegation { .. }
    );
    assert_refused!(
        chain.undelegate(ALICE, 0, 1_001),
        ChainError::InsufficientDelegation { .. }
    );
    assert_refused!(
        chain.redelegate(ALICE, 0, 1, 1_001),
        ChainError::InsufficientDelegation { .. }
    );
    assert_refused!(chain.delegate(ALICE, 1, 0), ChainError::ZeroAmount {});
    assert_refused!(
        chain.undelegate(ALICE, 1, 10),
        ChainError::NoDelegation { .. }
    );
    let other_denom = StakingMsg::Delegate {
        validator: chain.validator(0),
        amount: coin(10, "uother"),
    };
    assert_refused!(
        chain.app.execute(alice.clone(), other_denom.into()),
        ChainError::BadDenom { .. }
    );
    let unknown = StakingMsg::Delegate {
        validator: chain.addr("nobody").into_string(),
        amount: coin(10, "ustake"),
    };
    assert_refused!(
        chain.app.execute(alice, unknown.into()),
        ChainError::NoValidator { .. }
    );
    assert_eq!(chain.delegated(ALICE, 0), 1_000);
    assert_eq!(chain.delegated(ALICE, 1), 0);
    assert!(chain.redelegation_entries(ALICE).is_empty());
}

//! The strict chain's slashing and jailing, each tested on the chain alone and citing the
//! x/staking behaviour it mirrors. Rewards are off (APR zero) so balances move only by stake.

use cosmwasm_std::{Decimal, Decimal256, Uint128};
use cw_multi_test::{StakingSudo, SudoMsg};
use flowstake_tests::strict::fixture::{chain_error, ChainFixture, BLOCK_TIME, UNBONDING_TIME};
use flowstake_tests::strict::{ChainError, StrictChain, StrictSudo, ValidatorStatus};
use flowstake_tests::{ALICE, BOB};

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

/// x/staking `Slash(infractionHeight)`: `floor(fraction * power at the infraction)` is owed;
/// `SlashUnbondingDelegation` and `SlashRedelegation` cut only entries with
/// `CreationHeight >= infractionHeight` (by `fraction` of their initial balance; a
/// redelegation by unbonding `fraction` of the shares it created at the destination), and
/// what they paid is deducted from what the bonded tokens lose.
#[test]
fn slash_at_an_infraction_height_spares_entries_created_before_it() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 100_000).unwrap();
    chain.next_block(BLOCK_TIME);
    // The validator misbehaves now, holding 900_000.
    let infraction = chain.height();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 200_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 100_000).unwrap();
    chain.next_block(BLOCK_TIME);
    assert_eq!(chain.validator_tokens(0), 600_000);

    chain.slash(0, Decimal::percent(10), infraction).unwrap();

    // Owed: 10 % of 900_000. The later unbonding entry pays 20_000, the later redelegation
    // 10_000 (its shares at validator 1), the bonded tokens the other 60_000.
    let balances: Vec<u128> = chain
        .unbonding_entries(ALICE)
        .iter()
        .map(|(_, entry)| entry.balance.u128())
        .collect();
    assert_eq!(balances, vec![100_000, 180_000]);
    assert_eq!(chain.delegated(ALICE, 1), 90_000);
    assert_eq!(chain.validator_tokens(0), 540_000);
    assert_eq!(chain.delegated(ALICE, 0), 540_000);
    assert_eq!(pool_balance(&chain), 1_000_000 - 90_000);

    let before = chain.balance(ALICE);
    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    assert_eq!(chain.balance(ALICE), before + 100_000 + 180_000);
}

/// `CreationHeight >= infractionHeight` is inclusive: stake undelegated in the block of the
/// infraction was part of the validator's power in that block, so its entry pays its share and
/// the whole slash is `fraction` of the power when the block began.
#[test]
fn entry_created_in_the_infraction_block_is_slashed() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 100_000).unwrap();
    let infraction = chain.height();
    chain.next_block(BLOCK_TIME);

    chain.slash(0, Decimal::percent(10), infraction).unwrap();
    assert_eq!(chain.unbonding_entries(ALICE)[0].1.balance.u128(), 90_000);
    assert_eq!(chain.delegated(ALICE, 0), 810_000);
    assert_eq!(pool_balance(&chain), 1_000_000 - 100_000);
}

/// With the infraction at the current height x/staking skips the entries altogether; it is
/// how the strict chain runs cw-multi-test's `StakingSudo::Slash`, which has no height.
#[test]
fn slash_at_the_current_height_reaches_the_bonded_tokens_only() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 100_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain
        .app
        .sudo(SudoMsg::Staking(StakingSudo::Slash {
            validator: chain.validator(0),
            percentage: Decimal::percent(10),
        }))
        .unwrap();
    assert_eq!(chain.delegated(ALICE, 0), 810_000);
    assert_eq!(chain.unbonding_entries(ALICE)[0].1.balance.u128(), 100_000);
}

/// x/staking truncates the slash (`slashAmountDec.TruncateInt()`) and lowers the validator's
/// tokens, not the delegators' shares: later delegations get more shares per token (truncated
/// to 18 decimals), and a delegation is worth `TokensFromShares(shares).TruncateInt()`, where
/// `TokensFromShares` rounds `shares * tokens / total_shares` to 18 decimals first. Ten tokens
/// delegated after the slash are worth 9.99999999999999999996, rounded to 10; undelegating the
/// worth of all but a dust of shares returns one token less than asked.
#[test]
fn a_slash_changes_the_exchange_rate_and_every_conversion_rounds_down() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 19).unwrap();
    chain
        .slash(0, Decimal::percent(10), chain.height())
        .unwrap();
    assert_eq!(chain.validator_tokens(0), 18, "floor(1.9) = 1 burnt");
    assert_eq!(chain.delegated(ALICE, 0), 18);

    chain.delegate(BOB, 0, 10).unwrap();
    let bob = chain
        .app
        .delegation_state(&chain.addr(BOB), &chain.validator(0));
    assert_eq!(
        bob.unwrap().shares,
        "10.555555555555555555".parse::<Decimal256>().unwrap()
    );
    assert_eq!(
        chain.delegated(BOB, 0),
        10,
        "ten tokens delegated are worth 9.99999999999999999996, rounded to ten"
    );
    assert_eq!(chain.delegated(ALICE, 0), 18);

    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 18).unwrap();
    assert_eq!(
        chain.unbonding_entries(ALICE)[0].1.balance,
        Uint128::new(17)
    );
    let dust = chain
        .app
        .delegation_state(&chain.addr(ALICE), &chain.validator(0));
    assert_eq!(
        dust.unwrap().shares,
        "0.000000000000000001".parse::<Decimal256>().unwrap()
    );
}

/// x/staking `Jail` removes the validator from the active set: it starts unbonding and, after
/// the unbonding time, is unbonded. A redelegation out of an unbonding validator completes when
/// its unbonding does (`getBeginInfo`); out of an unbonded one it completes at once, leaving no
/// entry to block a further redelegation; an unbonded validator cannot be slashed.
#[test]
fn jailed_validator_unbonds_and_redelegations_out_of_it_follow() {
    let mut chain = chain(3);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    let jailed_at = chain.now();
    chain
        .sudo(StrictSudo::Jail {
            validator: chain.validator(0),
        })
        .unwrap();
    let state = chain.app.validator_state(&chain.validator(0)).unwrap();
    assert!(state.jailed);
    assert!(matches!(state.status, ValidatorStatus::Unbonding { .. }));

    chain.next_block(86_400);
    chain.redelegate(ALICE, 0, 1, 100_000).unwrap();
    let entries = chain.redelegation_entries(ALICE);
    assert_eq!(
        entries[0].2.completion_time.seconds(),
        jailed_at + UNBONDING_TIME
    );

    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    let state = chain.app.validator_state(&chain.validator(0)).unwrap();
    assert_eq!(state.status, ValidatorStatus::Unbonded);
    assert!(chain.redelegation_entries(ALICE).is_empty());
    chain.redelegate(ALICE, 0, 2, 100_000).unwrap();
    assert!(chain.redelegation_entries(ALICE).is_empty());
    chain.redelegate(ALICE, 2, 1, 50_000).unwrap();

    let err = chain
        .slash(0, Decimal::percent(5), chain.height())
        .unwrap_err();
    assert!(matches!(
        chain_error(&err),
        Some(ChainError::SlashUnbonded { .. })
    ));
    // Undelegating from it still takes the full unbonding time (x/staking `Undelegate`).
    chain.undelegate(ALICE, 0, 100_000).unwrap();
    assert_eq!(
        chain.unbonding_entries(ALICE)[0]
            .1
            .completion_time
            .seconds(),
        chain.now() + UNBONDING_TIME
    );
}

/// Refused chain actions change nothing: a slash for a future height (x/staking panics), a
/// fraction above one, jailing a jailed validator, unjailing a free one.
#[test]
fn impossible_slashes_and_jailings_are_refused() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    let future = chain.slash(0, Decimal::percent(5), chain.height() + 1);
    assert!(matches!(
        chain_error(&future.unwrap_err()),
        Some(ChainError::FutureInfraction { .. })
    ));
    let too_much = chain.slash(0, Decimal::percent(101), chain.height());
    assert!(matches!(
        chain_error(&too_much.unwrap_err()),
        Some(ChainError::InvalidSlashFraction { .. })
    ));
    let unjail = chain.sudo(StrictSudo::Unjail {
        validator: chain.validator(0),
    });
    assert!(matches!(
        chain_error(&unjail.unwrap_err()),
        Some(ChainError::JailState { jailed: false, .. })
    ));
    chain
        .sudo(StrictSudo::Jail {
            validator: chain.validator(0),
        })
        .unwrap();
    let jail = chain.sudo(StrictSudo::Jail {
        validator: chain.validator(0),
    });
    assert!(matches!(
        chain_error(&jail.unwrap_err()),
        Some(ChainError::JailState { jailed: true, .. })
    ));
    assert_eq!(chain.delegated(ALICE, 0), 1_000_000);
    assert_eq!(pool_balance(&chain), 1_000_000);
}

/// x/staking `SlashRedelegation` (SDK 0.50.5+, GHSA-86h5-xcpx-cfqc): stake redelegated after
/// the infraction and then undelegated from the destination pays from that unbonding entry
/// first, so undelegating does not escape the slash.
#[test]
fn redelegated_then_undelegated_stake_is_still_slashed() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    let infraction = chain.height();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 500_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 1, 500_000).unwrap();
    chain.next_block(BLOCK_TIME);

    chain.slash(0, Decimal::percent(10), infraction).unwrap();
    // 100_000 owed: 50_000 from the unbonding at validator 1, 50_000 from the bonded tokens.
    assert_eq!(chain.unbonding_entries(ALICE)[0].1.balance.u128(), 450_000);
    assert_eq!(chain.delegated(ALICE, 0), 450_000);
    assert_eq!(pool_balance(&chain), 900_000);
}

/// x/evidence `HandleEquivocationEvidence` for a double sign: the validator is slashed (a
/// separate `Slash` here), jailed and tombstoned (`JailUntil(DoubleSignJailEndTime)`,
/// `Tombstone`); x/slashing `Unjail` then fails with `ErrValidatorJailed`, forever. Evidence
/// against a validator already tombstoned is ignored; an already jailed validator is
/// tombstoned all the same.
#[test]
fn a_tombstoned_validator_is_jailed_forever() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    let validator = chain.validator(0);
    chain
        .sudo(StrictSudo::Tombstone {
            validator: validator.clone(),
        })
        .unwrap();
    let state = chain.app.validator_state(&validator).unwrap();
    assert!(state.jailed);
    assert!(matches!(state.status, ValidatorStatus::Unbonding { .. }));
    assert_eq!(chain.validator_tokens(0), 1_000_000, "no slash by itself");

    let again = chain
        .sudo(StrictSudo::Tombstone {
            validator: validator.clone(),
        })
        .unwrap();
    assert!(again.events.is_empty());
    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    let err = chain
        .sudo(StrictSudo::Unjail {
            validator: validator.clone(),
        })
        .unwrap_err();
    assert_eq!(
        chain_error(&err),
        Some(&ChainError::Tombstoned {
            address: validator.clone()
        })
    );
    assert!(chain.app.validator_state(&validator).unwrap().jailed);

    // A jailed validator can be tombstoned too; it stays jailed.
    let other = chain.validator(1);
    chain
        .sudo(StrictSudo::Jail {
            validator: other.clone(),
        })
        .unwrap();
    chain
        .sudo(StrictSudo::Tombstone {
            validator: other.clone(),
        })
        .unwrap();
    let unjail = chain.sudo(StrictSudo::Unjail { validator: other });
    assert!(matches!(
        chain_error(&unjail.unwrap_err()),
        Some(ChainError::Tombstoned { .. })
    ));
}

/// x/staking `Slash` takes the power CometBFT counts (`tokens / PowerReduction`, truncated)
/// and turns it back into tokens: stake below one unit of power is never slashed. With the
/// model's default reduction of 1 every token counts.
#[test]
fn a_slash_counts_the_power_in_whole_units_of_the_power_reduction() {
    let mut exact = chain(1);
    exact.delegate(ALICE, 0, 10_500_000).unwrap();
    exact.next_block(BLOCK_TIME);
    let height = exact.height();
    exact.slash(0, Decimal::percent(10), height).unwrap();
    assert_eq!(exact.validator_tokens(0), 10_500_000 - 1_050_000);

    let mut reduced = chain(1);
    reduced
        .app
        .init_modules(|router, _, storage| router.staking.set_power_reduction(storage, 1_000_000))
        .unwrap();
    reduced.delegate(ALICE, 0, 10_500_000).unwrap();
    reduced.next_block(BLOCK_TIME);
    let height = reduced.height();
    reduced.slash(0, Decimal::percent(10), height).unwrap();
    // Power 10: 10 % of 10,000,000, not of 10,500,000.
    assert_eq!(reduced.validator_tokens(0), 10_500_000 - 1_000_000);
}

//! The strict chain's distribution rules and the queries contracts use, each tested on the
//! chain alone and citing the x/distribution or wasmd behaviour it mirrors.

use cosmwasm_std::{
    Decimal, Decimal256, DelegationTotalRewardsResponse, DelegatorValidatorsResponse,
    DelegatorWithdrawAddressResponse, DistributionQuery, QueryRequest,
};
use flowstake_tests::strict::fixture::{
    chain_error, ChainFixture, BLOCK_TIME, FUNDS, UNBONDING_TIME,
};
use flowstake_tests::strict::{ChainError, StrictSudo, YEAR_SECONDS};
use flowstake_tests::{ALICE, BOB};

const DAY: u64 = 86_400;

/// 36.5 % a year is 0.1 % a day: a million earns exactly 1_000 a day.
fn chain(validators: usize) -> ChainFixture {
    ChainFixture::new(
        Decimal::permille(365),
        &vec![Decimal::zero(); validators],
        &[ALICE, BOB],
    )
}

fn dec(value: u128) -> Decimal256 {
    Decimal256::from_atomics(value, 0).unwrap()
}

/// Rewards accrue every second at the APR, less the validator's commission (x/distribution
/// `AllocateTokensToValidator` keeps the commission for the operator).
#[test]
fn rewards_accrue_every_second_at_the_apr_less_commission() {
    let mut chain = ChainFixture::new(
        Decimal::percent(10),
        &[Decimal::zero(), Decimal::percent(20)],
        &[ALICE],
    );
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 1, 1_000_000).unwrap();
    chain.next_block(1);
    // 1_000_000 * 10 % / 31_536_000 seconds.
    assert_eq!(
        chain.pending_rewards(ALICE, 0),
        "0.003170979198376458".parse::<Decimal256>().unwrap()
    );
    chain.next_block(YEAR_SECONDS - 1);
    assert_eq!(chain.pending_rewards(ALICE, 0), dec(100_000));
    assert_eq!(chain.pending_rewards(ALICE, 1), dec(80_000));
    let full = chain.delegation(ALICE, 1).unwrap();
    assert_eq!(full.accumulated_rewards[0].amount.u128(), 80_000);
}

/// x/distribution's `BeforeDelegationSharesModified` hook withdraws the pending rewards before
/// any change of a delegation's shares: a new delegation to the same validator pays them out.
#[test]
fn delegating_more_pays_the_pending_rewards() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(DAY);
    assert_eq!(chain.pending_rewards(ALICE, 0), dec(1_000));
    chain.delegate(ALICE, 0, 1_000).unwrap();
    assert_eq!(chain.balance(ALICE), FUNDS - 1_001_000 + 1_000);
    assert_eq!(chain.pending_rewards(ALICE, 0), Decimal256::zero());
    chain.next_block(DAY);
    assert_eq!(chain.pending_rewards(ALICE, 0), dec(1_001));
}

/// The same hook on `Undelegate`: the rewards are paid at once; a full undelegation does not
/// lose them (the delegation and its reward record are removed after the withdrawal).
#[test]
fn undelegating_pays_the_pending_rewards_even_when_the_delegation_ends() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(DAY);
    chain.undelegate(ALICE, 0, 1_000_000).unwrap();
    assert_eq!(chain.balance(ALICE), FUNDS - 1_000_000 + 1_000);
    assert!(chain.delegation(ALICE, 0).is_none());
    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    assert_eq!(chain.balance(ALICE), FUNDS + 1_000);
}

/// A redelegation changes two delegations: the rewards of the source and of the destination
/// are both paid.
#[test]
fn redelegating_pays_the_rewards_of_both_delegations() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 1, 2_000_000).unwrap();
    chain.next_block(DAY);
    chain.redelegate(ALICE, 0, 1, 500_000).unwrap();
    assert_eq!(chain.balance(ALICE), FUNDS - 3_000_000 + 1_000 + 2_000);
    chain.next_block(DAY);
    assert_eq!(chain.pending_rewards(ALICE, 0), dec(500));
    assert_eq!(chain.pending_rewards(ALICE, 1), dec(2_500));
}

/// x/distribution `SetWithdrawAddress`: every withdrawal, explicit or automatic, pays the
/// withdraw address; `DelegatorWithdrawAddress` reports it.
#[test]
fn rewards_go_to_the_withdraw_address() {
    let mut chain = chain(1);
    chain.set_withdraw_address(ALICE, BOB).unwrap();
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(DAY);
    chain.withdraw_rewards(ALICE, 0).unwrap();
    assert_eq!(chain.balance(BOB), FUNDS + 1_000);
    chain.next_block(DAY);
    chain.undelegate(ALICE, 0, 1).unwrap();
    assert_eq!(chain.balance(BOB), FUNDS + 2_000);
    assert_eq!(chain.balance(ALICE), FUNDS - 1_000_000);

    let response: DelegatorWithdrawAddressResponse = chain
        .app
        .wrap()
        .query(&QueryRequest::Distribution(
            DistributionQuery::DelegatorWithdrawAddress {
                delegator_address: chain.addr(ALICE).into_string(),
            },
        ))
        .unwrap();
    assert_eq!(response.withdraw_address, chain.addr(BOB));
}

/// x/distribution `withdrawDelegationRewards` sends only non-zero coins: withdrawing zero
/// rewards succeeds with no transfer. Without a delegation it fails
/// (`ErrEmptyDelegationDistInfo`), as for an unknown validator.
#[test]
fn withdrawing_zero_rewards_succeeds_without_a_transfer() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    let response = chain.withdraw_rewards(ALICE, 0).unwrap();
    assert_eq!(chain.balance(ALICE), FUNDS - 1_000_000);
    assert!(response.events.iter().any(|event| event
        .attributes
        .iter()
        .any(|a| a.key == "amount" && a.value == "0ustake")));

    let err = chain.withdraw_rewards(ALICE, 1).unwrap_err();
    assert!(matches!(
        chain_error(&err),
        Some(ChainError::NoDelegation { .. })
    ));
}

/// x/distribution pays `rewards.TruncateDecimal()` and sends the fraction to the community
/// pool: it is not carried to the next period.
#[test]
fn a_withdrawal_pays_whole_tokens_and_drops_the_fraction() {
    let mut chain = ChainFixture::new(Decimal::percent(10), &[Decimal::zero()], &[ALICE]);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(1_000);
    // 1_000_000 * 10 % * 1000 / 31_536_000 = 3.17...
    assert_eq!(
        chain.pending_rewards(ALICE, 0),
        "3.170979198376458650".parse::<Decimal256>().unwrap()
    );
    chain.withdraw_rewards(ALICE, 0).unwrap();
    assert_eq!(chain.balance(ALICE), FUNDS - 1_000_000 + 3);
    assert_eq!(chain.pending_rewards(ALICE, 0), Decimal256::zero());
}

/// Only the active set earns (x/distribution allocates to the validators that signed the last
/// block): a jailed validator earns nothing, is left out of `AllValidators` (wasmd lists the
/// bonded validators) but still answers `Validator`; unjailed, it earns again.
#[test]
fn jailed_validator_earns_nothing_until_unjailed() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(DAY);
    chain
        .sudo(StrictSudo::Jail {
            validator: chain.validator(0),
        })
        .unwrap();
    chain.next_block(DAY);
    assert_eq!(chain.pending_rewards(ALICE, 0), dec(1_000));
    let active = chain.app.wrap().query_all_validators().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].address, chain.validator(1));
    assert!(chain
        .app
        .wrap()
        .query_validator(chain.validator(0))
        .unwrap()
        .is_some());

    chain
        .sudo(StrictSudo::Unjail {
            validator: chain.validator(0),
        })
        .unwrap();
    chain.next_block(DAY);
    assert_eq!(chain.pending_rewards(ALICE, 0), dec(2_000));
    assert_eq!(chain.app.wrap().query_all_validators().unwrap().len(), 2);
}

/// x/distribution `BeforeValidatorSlashed`: rewards earned before a slash keep the stake they
/// were earned on; after it, the lower stake earns.
#[test]
fn a_slash_lowers_only_the_rewards_earned_after_it() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(DAY);
    chain
        .slash(0, Decimal::percent(10), chain.height())
        .unwrap();
    assert_eq!(chain.pending_rewards(ALICE, 0), dec(1_000));
    chain.next_block(DAY);
    assert_eq!(chain.pending_rewards(ALICE, 0), dec(1_900));
}

/// The queries a contract makes, as wasmd answers them: `BondedDenom`, `AllDelegations`,
/// `Delegation`; and the distribution queries of CosmWasm 1.4.
#[test]
fn queries_answer_as_wasmd_does() {
    let mut chain = chain(3);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 2, 2_000_000).unwrap();
    chain.next_block(DAY + BLOCK_TIME);
    let querier = chain.app.wrap();
    assert_eq!(querier.query_bonded_denom().unwrap(), "ustake");

    let all = querier.query_all_delegations(chain.addr(ALICE)).unwrap();
    let listed: Vec<(String, u128)> = all
        .iter()
        .map(|d| (d.validator.clone(), d.amount.amount.u128()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (chain.validator(0), 1_000_000),
            (chain.validator(2), 2_000_000)
        ]
    );
    assert!(chain.delegation(ALICE, 1).is_none());

    let total: DelegationTotalRewardsResponse = querier
        .query(&QueryRequest::Distribution(
            DistributionQuery::DelegationTotalRewards {
                delegator_address: chain.addr(ALICE).into_string(),
            },
        ))
        .unwrap();
    assert_eq!(total.rewards.len(), 2);
    // A day and a block: 3_000 plus 3_000_000 * 36.5 % * 5 / 31_536_000 = 0.1736111...,
    // summed from each delegation's rewards, each truncated to 18 decimals.
    assert_eq!(
        total.total[0].amount,
        "3000.173611111111111110".parse::<Decimal256>().unwrap()
    );

    let validators: DelegatorValidatorsResponse = querier
        .query(&QueryRequest::Distribution(
            DistributionQuery::DelegatorValidators {
                delegator_address: chain.addr(ALICE).into_string(),
            },
        ))
        .unwrap();
    assert_eq!(
        validators.validators,
        vec![chain.validator(0), chain.validator(2)]
    );
}

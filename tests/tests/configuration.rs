//! Instantiation (seed, dead shares, deployed token and collector) and configuration bounds.

use cosmwasm_std::{Decimal, DelegatorWithdrawAddressResponse, DistributionQuery, QueryRequest};
use flowstake::hub::ConfigUpdate;
use flowstake_hub::error::ContractError;
use flowstake_tests::*;

#[test]
fn instantiation_stakes_the_seed_as_dead_shares() {
    let suite = SuiteBuilder::new().seed(2_000_000).build();
    let state = suite.state();
    assert_eq!(state.total_native.u128(), 2_000_000);
    assert_eq!(state.total_shares.u128(), 2_000_000);
    assert_eq!(state.dead_shares.u128(), 2_000_000);
    assert_eq!(state.exchange_rate, Decimal::one());
    assert_eq!(state.totals.bonded.u128(), 2_000_000);
    assert_eq!(suite.chain_delegated_total(), 2_000_000);
    assert_eq!(suite.shares_of(&suite.hub), 2_000_000);
    assert_eq!(suite.token_supply(), 2_000_000);
    assert_eq!(suite.native_balance_of(&suite.hub), 0);
    assert_eq!(suite.native_balance(OWNER), USER_FUNDS - 2_000_000);

    // Rewards are withdrawn to the collector, which answers to the hub.
    let withdraw: DelegatorWithdrawAddressResponse = suite
        .app
        .wrap()
        .query(&QueryRequest::Distribution(
            DistributionQuery::DelegatorWithdrawAddress {
                delegator_address: suite.hub.to_string(),
            },
        ))
        .unwrap();
    assert_eq!(withdraw.withdraw_address, suite.collector);
    let collector: flowstake::collector::ConfigResponse = suite
        .app
        .wrap()
        .query_wasm_smart(&suite.collector, &flowstake::collector::QueryMsg::Config {})
        .unwrap();
    assert_eq!(collector.hub, suite.hub);
    assert_eq!(collector.denom, DENOM);

    let config = suite.config();
    assert_eq!(config.token, suite.token);
    assert_eq!(config.denom, DENOM);
    assert_eq!(config.guardian, Some(suite.addr(GUARDIAN)));
    assert_eq!(suite.ownership().owner, Some(suite.addr(OWNER)));
    assert_eq!(suite.validators().len(), 3);
    suite.assert_invariants();
}

#[test]
fn instantiation_refuses_an_epoch_too_short_for_seven_unbonding_entries() {
    // Seven epochs must span the 21-day unbonding period (no margin any more): 21 days / 7,
    // that is three days.
    let shortest = (21 * DAY).div_ceil(7);
    assert_eq!(shortest, 3 * DAY);
    let result = SuiteBuilder::new()
        .unbonding_days(21)
        .epoch_seconds(shortest - 1)
        .try_build();
    let err = result.err().expect("a too short epoch was accepted");
    assert_eq!(
        hub_error(&err),
        Some(&ContractError::EpochTooShort {
            epoch_period: shortest - 1,
            unbonding_period: 21 * DAY,
        })
    );

    let suite = SuiteBuilder::new()
        .unbonding_days(21)
        .epoch_seconds(shortest)
        .build();
    assert_eq!(suite.config().epoch_period, shortest);
}

#[test]
fn instantiation_refuses_a_fee_above_the_cap() {
    let err = SuiteBuilder::new()
        .fee_percent(11)
        .try_build()
        .err()
        .expect("an 11 % fee was accepted");
    assert_eq!(
        hub_error(&err),
        Some(&ContractError::FeeTooHigh {
            fee_rate: Decimal::percent(11),
            max: flowstake::MAX_FEE_RATE,
        })
    );
    SuiteBuilder::new().fee_percent(10).build();
}

#[test]
fn configuration_updates_are_validated() {
    let mut suite = SuiteBuilder::new().build();
    let before = suite.snapshot();
    assert_hub_error(
        suite.update_config(
            OWNER,
            ConfigUpdate {
                fee_rate: Some(Decimal::percent(11)),
                ..ConfigUpdate::default()
            },
        ),
        ContractError::FeeTooHigh {
            fee_rate: Decimal::percent(11),
            max: flowstake::MAX_FEE_RATE,
        },
    );
    assert_hub_error(
        suite.update_config(
            OWNER,
            ConfigUpdate {
                // One second short of 21 days / 7: seven such epochs no longer span the
                // unbonding period.
                epoch_period: Some(3 * DAY - 1),
                ..ConfigUpdate::default()
            },
        ),
        ContractError::EpochTooShort {
            epoch_period: 3 * DAY - 1,
            unbonding_period: 21 * DAY,
        },
    );
    assert_hub_error(
        suite.update_config(
            OWNER,
            ConfigUpdate {
                epoch_period: Some(0),
                ..ConfigUpdate::default()
            },
        ),
        ContractError::ZeroValue {
            field: "epoch_period".to_string(),
        },
    );
    // The recognised reward rate must lie in (0, 10]: 1000 % a year is the cap.
    for rate in [Decimal::zero(), Decimal::percent(1001)] {
        assert_hub_error(
            suite.update_config(
                OWNER,
                ConfigUpdate {
                    max_reward_rate: Some(rate),
                    ..ConfigUpdate::default()
                },
            ),
            ContractError::InvalidRewardRate {
                value: rate,
                max: flowstake::MAX_REWARD_RATE_CAP,
            },
        );
    }
    assert_hub_error(
        suite.update_config(
            OWNER,
            ConfigUpdate {
                max_unbond_shortfall: Some(Decimal::percent(101)),
                ..ConfigUpdate::default()
            },
        ),
        ContractError::InvalidFraction {
            field: "max_unbond_shortfall".to_string(),
            value: Decimal::percent(101),
        },
    );
    assert_eq!(suite.snapshot(), before);

    suite
        .update_config(
            OWNER,
            ConfigUpdate {
                fee_rate: Some(Decimal::percent(2)),
                clear_guardian: Some(true),
                ..ConfigUpdate::default()
            },
        )
        .unwrap();
    let config = suite.config();
    assert_eq!(config.fee_rate, Decimal::percent(2));
    assert_eq!(config.guardian, None);
    assert_eq!(config.min_bond, before.config.min_bond, "other fields kept");
}

#[test]
fn fee_follows_the_updated_rate() {
    let mut suite = SuiteBuilder::new()
        .apr(Decimal::permille(365))
        .fee_percent(5)
        .build();
    suite.bond(ALICE, 9_000_000).unwrap();
    suite
        .update_config(
            OWNER,
            ConfigUpdate {
                fee_rate: Some(Decimal::percent(10)),
                ..ConfigUpdate::default()
            },
        )
        .unwrap();
    suite.advance_days(3);
    let rewards = suite.expected_rewards();
    // 0.1 % a day on ten million for three days.
    assert_eq!(rewards, 30_000);
    suite.harvest().unwrap();
    assert_eq!(suite.native_balance(FEE_RECEIVER), 3_000);
    assert_eq!(suite.state().total_native.u128(), 10_000_000 + 27_000);
    suite.assert_invariants();
}

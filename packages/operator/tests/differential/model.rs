//! The strict model's side: a cw-multi-test app on `flowstake_tests::strict` that follows the
//! chain's blocks (their heights and header times) and runs the same messages.

use std::collections::BTreeMap;

use cosmwasm_std::testing::{mock_env, MockApi};
use cosmwasm_std::{
    coin, Addr, CosmosMsg, Decimal, Decimal256, DelegationRewardsResponse, DistributionQuery,
    QueryRequest, StakingMsg, Timestamp, Validator,
};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{AppResponse, Executor, StakingInfo};
use flowstake_tests::strict::{strict_app_builder, StrictApp, StrictChain};

use super::compare::{Redelegation, State, Unbonding};

pub struct Model {
    pub app: StrictApp,
    denom: String,
}

/// A validator of the chain as the model starts it: bonded, with its self-delegation.
pub struct ModelValidator {
    pub valoper: String,
    /// The account of its self-delegation.
    pub account: String,
    pub tokens: u128,
    pub commission: Decimal,
}

impl Model {
    /// The model at block (`height`, `time_nanos`), with the chain's staking parameters, its
    /// validators and the delegators' balances.
    pub fn new(
        height: u64,
        time_nanos: u64,
        denom: &str,
        unbonding_time: u64,
        apr: Decimal,
        validators: &[ModelValidator],
        balances: &[(String, u128)],
    ) -> Self {
        let mut block = mock_env().block;
        block.height = height;
        block.time = Timestamp::from_nanos(time_nanos);
        let info = StakingInfo {
            bonded_denom: denom.to_string(),
            unbonding_time,
            apr,
        };
        let mut app = strict_app_builder()
            .with_api(MockApi::default().with_prefix("inj"))
            .with_block(block.clone())
            .build(|router, api, storage| {
                router
                    .staking
                    .setup(storage, &block, info)
                    .expect("the model's staking set-up");
                // The localnet's: voting power 10,002,383 for about 1.0002e25 tokens.
                router
                    .staking
                    .set_power_reduction(storage, 1_000_000_000_000_000_000)
                    .expect("the chain's power reduction");
                for validator in validators {
                    let info = Validator::create(
                        validator.valoper.clone(),
                        validator.commission,
                        Decimal::one(),
                        Decimal::one(),
                    );
                    router
                        .staking
                        .add_validator(api, storage, &block, info)
                        .expect("a model validator");
                    router
                        .bank
                        .init_balance(
                            storage,
                            &Addr::unchecked(&validator.account),
                            vec![coin(validator.tokens, denom)],
                        )
                        .expect("a validator's funds");
                }
                for (who, amount) in balances {
                    router
                        .bank
                        .init_balance(storage, &Addr::unchecked(who), vec![coin(*amount, denom)])
                        .expect("a delegator's funds");
                }
            });
        for validator in validators {
            let msg = StakingMsg::Delegate {
                validator: validator.valoper.clone(),
                amount: coin(validator.tokens, denom),
            };
            app.execute(Addr::unchecked(&validator.account), msg.into())
                .expect("a self-delegation");
        }
        Self {
            app,
            denom: denom.to_string(),
        }
    }

    /// Moves to block `height` at `time_nanos` if it is later than the current one: the end
    /// of block of the current block runs first (at its own time), as on the chain.
    pub fn announce(&mut self, height: u64, time_nanos: u64) {
        let current = self.app.block_info();
        if height <= current.height {
            return;
        }
        let mut block = current;
        block.height = height;
        block.time = Timestamp::from_nanos(time_nanos);
        self.app.set_block(block);
    }

    /// Runs the messages of one transaction, all or nothing.
    pub fn execute(&mut self, sender: &str, msgs: Vec<CosmosMsg>) -> AnyResult<Vec<AppResponse>> {
        self.app.execute_multi(Addr::unchecked(sender), msgs)
    }

    /// The model's figures (balances in full, as on the chain).
    pub fn state(&self, delegators: &[String], validators: &[String]) -> State {
        let mut state = State::default();
        let querier = self.app.wrap();
        for delegator in delegators {
            let addr = Addr::unchecked(delegator);
            let balance = querier
                .query_balance(delegator, &self.denom)
                .expect("a model balance");
            state
                .balances
                .insert(delegator.clone(), balance.amount.u128() as i128);
            for validator in validators {
                if let Some(delegation) = self.app.delegation_state(&addr, validator) {
                    let worth = querier
                        .query_delegation(delegator, validator)
                        .expect("a model delegation")
                        .map_or(0, |full| full.amount.amount.u128());
                    state.delegations.insert(
                        (delegator.clone(), validator.clone()),
                        (delegation.shares, worth),
                    );
                }
            }
            for (validator, entry) in self.app.unbonding_entries(&addr) {
                state
                    .unbondings
                    .entry((delegator.clone(), validator))
                    .or_default()
                    .push(Unbonding {
                        creation_height: entry.creation_height,
                        completion: entry.completion_time.nanos(),
                        initial_balance: entry.initial_balance.u128(),
                        balance: entry.balance.u128(),
                    });
            }
            for (source, destination, entry) in self.app.redelegation_entries(&addr) {
                state
                    .redelegations
                    .entry((delegator.clone(), source, destination))
                    .or_default()
                    .push(Redelegation {
                        creation_height: entry.creation_height,
                        completion: entry.completion_time.nanos(),
                        initial_balance: entry.initial_balance.u128(),
                        shares_dst: entry.shares_dst,
                    });
            }
        }
        for validator in validators {
            if let Some(found) = self.app.validator_state(validator) {
                state.validators.insert(
                    validator.clone(),
                    (found.tokens.u128(), found.delegator_shares),
                );
            }
        }
        state
    }

    /// Pending rewards of every delegation of `delegators`, at the current block's time.
    pub fn rewards(
        &self,
        delegators: &[String],
        validators: &[String],
    ) -> BTreeMap<(String, String), Decimal256> {
        let mut all = BTreeMap::new();
        for delegator in delegators {
            for validator in validators {
                if self
                    .app
                    .delegation_state(&Addr::unchecked(delegator), validator)
                    .is_none()
                {
                    continue;
                }
                let response: DelegationRewardsResponse = self
                    .app
                    .wrap()
                    .query(&QueryRequest::Distribution(
                        DistributionQuery::DelegationRewards {
                            delegator_address: delegator.clone(),
                            validator_address: validator.clone(),
                        },
                    ))
                    .expect("model rewards");
                let amount = response
                    .rewards
                    .iter()
                    .filter(|coin| coin.denom == self.denom)
                    .map(|coin| coin.amount)
                    .sum();
                all.insert((delegator.clone(), validator.clone()), amount);
            }
        }
        all
    }

    /// Block time (nanoseconds) at which the delegation's current reward period started.
    pub fn rewards_since(&self, delegator: &str, validator: &str) -> Option<u64> {
        self.app
            .delegation_state(&Addr::unchecked(delegator), validator)
            .map(|delegation| delegation.rewards_since.nanos())
    }
}

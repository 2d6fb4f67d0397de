//! `ChainFixture`: the strict chain alone, with funded accounts and a few validators, for tests
//! of the chain's own rules without any contract.

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{
    coin, Addr, CosmosMsg, Decimal, Decimal256, DelegationRewardsResponse, DistributionMsg,
    DistributionQuery, FullDelegation, QueryRequest, StakingMsg, Validator,
};
use cw_multi_test::error::{AnyError, AnyResult};
use cw_multi_test::{AppResponse, Executor, StakingInfo};

use super::{
    strict_app, ChainError, RedelegationEntry, StrictApp, StrictChain, StrictSudo, UnbondingEntry,
};

/// The staking denom of the fixture.
pub const STAKE: &str = "ustake";
/// What every named account starts with.
pub const FUNDS: u128 = 1_000_000_000_000;
/// The fixture's unbonding time: 21 days.
pub const UNBONDING_TIME: u64 = 21 * 86_400;
/// Seconds per block when the fixture moves to the next block.
pub const BLOCK_TIME: u64 = 5;

/// The error of the strict chain inside a failed call.
pub fn chain_error(err: &AnyError) -> Option<&ChainError> {
    err.downcast_ref::<ChainError>()
}

/// The strict chain with one validator per commission given, and funded named accounts.
pub struct ChainFixture {
    pub app: StrictApp,
    validators: Vec<String>,
}

impl ChainFixture {
    /// `accounts` start with [`FUNDS`]; rewards accrue at `apr`.
    pub fn new(apr: Decimal, commissions: &[Decimal], accounts: &[&str]) -> Self {
        let api = MockApi::default();
        let validators: Vec<String> = (0..commissions.len())
            .map(|index| api.addr_make(&format!("validator{index}")).into_string())
            .collect();
        let chain_validators = validators
            .iter()
            .zip(commissions)
            .map(|(address, commission)| {
                Validator::create(address.clone(), *commission, Decimal::one(), Decimal::one())
            })
            .collect();
        let info = StakingInfo {
            bonded_denom: STAKE.to_string(),
            unbonding_time: UNBONDING_TIME,
            apr,
        };
        let app = strict_app(info, chain_validators, |router, api, storage| {
            for account in accounts {
                router
                    .bank
                    .init_balance(storage, &api.addr_make(account), vec![coin(FUNDS, STAKE)])
                    .unwrap();
            }
        });
        Self { app, validators }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn validator(&self, index: usize) -> String {
        self.validators[index].clone()
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    /// The next block, `seconds` later; the end of block pays matured unbondings.
    pub fn next_block(&mut self, seconds: u64) {
        self.app.update_block(|block| {
            block.height += 1;
            block.time = block.time.plus_seconds(seconds);
        });
    }

    fn execute(&mut self, sender: &str, msg: CosmosMsg) -> AnyResult<AppResponse> {
        let sender = self.addr(sender);
        self.app.execute(sender, msg)
    }

    pub fn delegate(
        &mut self,
        who: &str,
        validator: usize,
        amount: u128,
    ) -> AnyResult<AppResponse> {
        let validator = self.validator(validator);
        let amount = coin(amount, STAKE);
        self.execute(who, StakingMsg::Delegate { validator, amount }.into())
    }

    pub fn undelegate(
        &mut self,
        who: &str,
        validator: usize,
        amount: u128,
    ) -> AnyResult<AppResponse> {
        let validator = self.validator(validator);
        let amount = coin(amount, STAKE);
        self.execute(who, StakingMsg::Undelegate { validator, amount }.into())
    }

    pub fn redelegate(
        &mut self,
        who: &str,
        source: usize,
        destination: usize,
        amount: u128,
    ) -> AnyResult<AppResponse> {
        let msg = StakingMsg::Redelegate {
            src_validator: self.validator(source),
            dst_validator: self.validator(destination),
            amount: coin(amount, STAKE),
        };
        self.execute(who, msg.into())
    }

    pub fn withdraw_rewards(&mut self, who: &str, validator: usize) -> AnyResult<AppResponse> {
        let validator = self.validator(validator);
        self.execute(
            who,
            DistributionMsg::WithdrawDelegatorReward { validator }.into(),
        )
    }

    pub fn set_withdraw_address(&mut self, who: &str, to: &str) -> AnyResult<AppResponse> {
        let address = self.addr(to).into_string();
        self.execute(who, DistributionMsg::SetWithdrawAddress { address }.into())
    }

    pub fn sudo(&mut self, msg: StrictSudo) -> AnyResult<AppResponse> {
        self.app.strict_sudo(msg)
    }

    /// Slashes `fraction` of the validator for an infraction at `height`.
    pub fn slash(
        &mut self,
        validator: usize,
        fraction: Decimal,
        height: u64,
    ) -> AnyResult<AppResponse> {
        let validator = self.validator(validator);
        self.sudo(StrictSudo::Slash {
            validator,
            infraction_height: height,
            fraction,
        })
    }

    pub fn balance(&self, who: &str) -> u128 {
        self.app
            .wrap()
            .query_balance(self.addr(who), STAKE)
            .unwrap()
            .amount
            .u128()
    }

    pub fn delegation(&self, who: &str, validator: usize) -> Option<FullDelegation> {
        self.app
            .wrap()
            .query_delegation(self.addr(who), self.validator(validator))
            .unwrap()
    }

    /// What the delegation is worth, rounded down; zero without a delegation.
    pub fn delegated(&self, who: &str, validator: usize) -> u128 {
        self.delegation(who, validator)
            .map_or(0, |full| full.amount.amount.u128())
    }

    /// Pending rewards as the distribution query reports them.
    pub fn pending_rewards(&self, who: &str, validator: usize) -> Decimal256 {
        let response: DelegationRewardsResponse = self
            .app
            .wrap()
            .query(&QueryRequest::Distribution(
                DistributionQuery::DelegationRewards {
                    delegator_address: self.addr(who).into_string(),
                    validator_address: self.validator(validator),
                },
            ))
            .unwrap();
        response.rewards.iter().map(|reward| reward.amount).sum()
    }

    pub fn unbonding_entries(&self, who: &str) -> Vec<(String, UnbondingEntry)> {
        self.app.unbonding_entries(&self.addr(who))
    }

    pub fn redelegation_entries(&self, who: &str) -> Vec<(String, String, RedelegationEntry)> {
        self.app.redelegation_entries(&self.addr(who))
    }

    /// Tokens the validator holds, bonded, slashes deducted.
    pub fn validator_tokens(&self, validator: usize) -> u128 {
        self.app
            .validator_state(&self.validator(validator))
            .expect("no such validator")
            .tokens
            .u128()
    }
}

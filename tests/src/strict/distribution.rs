//! `StrictDistribution`: x/distribution's messages and queries on the strict chain. The reward
//! arithmetic is in `rewards`; the state is the staking module's.

use cosmwasm_std::{
    to_json_binary, Addr, Api, Binary, BlockInfo, CustomMsg, CustomQuery, DecCoin, Decimal256,
    DelegationRewardsResponse, DelegationTotalRewardsResponse, DelegatorReward,
    DelegatorValidatorsResponse, DelegatorWithdrawAddressResponse, DistributionMsg,
    DistributionQuery, Empty, Event, Order, Querier, StdResult, Storage,
};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{AppResponse, CosmosRouter, Distribution, Module};

use super::error::ChainError;
use super::math::decimal_tokens;
use super::rewards::{pending_rewards, withdraw};
use super::state::{load_validator, params, withdraw_address, DELEGATIONS, WITHDRAW_ADDRESSES};
use super::Env;
use super::StrictStaking;

/// The distribution module of the strict chain. It pays rewards by minting them, as
/// cw-multi-test's own module does.
#[derive(Clone, Debug, Default)]
pub struct StrictDistribution {
    staking: StrictStaking,
}

impl StrictDistribution {
    pub fn new() -> Self {
        Self::default()
    }

    fn validators_of(storage: &dyn Storage, delegator: &Addr) -> StdResult<Vec<String>> {
        DELEGATIONS
            .prefix(delegator)
            .keys(storage, None, None, Order::Ascending)
            .collect()
    }

    /// A delegation's pending rewards as the queries report them: one `DecCoin`, or none when
    /// nothing is pending.
    fn rewards(
        storage: &dyn Storage,
        block: &BlockInfo,
        delegator: &Addr,
        validator: &str,
    ) -> AnyResult<Vec<DecCoin>> {
        let denom = params(storage)?.bonded_denom;
        let units = pending_rewards(storage, block, delegator, validator)?.ok_or_else(|| {
            ChainError::NoDelegation {
                delegator: delegator.to_string(),
                validator: validator.to_string(),
            }
        })?;
        let amount = decimal_tokens(units);
        Ok(if amount.is_zero() {
            vec![]
        } else {
            vec![DecCoin::new(amount, denom)]
        })
    }
}

impl Distribution for StrictDistribution {}

impl Module for StrictDistribution {
    type ExecT = DistributionMsg;
    type QueryT = DistributionQuery;
    type SudoT = Empty;

    fn execute<ExecC, QueryC>(
        &self,
        api: &dyn Api,
        storage: &mut dyn Storage,
        router: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        block: &BlockInfo,
        sender: Addr,
        msg: DistributionMsg,
    ) -> AnyResult<AppResponse>
    where
        ExecC: CustomMsg + serde::de::DeserializeOwned + 'static,
        QueryC: CustomQuery + serde::de::DeserializeOwned + 'static,
    {
        match msg {
            DistributionMsg::SetWithdrawAddress { address } => {
                let address = api.addr_validate(&address)?;
                WITHDRAW_ADDRESSES.save(storage, &sender, &address)?;
                Ok(AppResponse {
                    events: vec![Event::new("set_withdraw_address")
                        .add_attribute("withdraw_address", address)],
                    ..AppResponse::default()
                })
            }
            // x/distribution `WithdrawDelegationRewards`: the validator and the delegation
            // must exist; zero rewards succeed without a transfer.
            DistributionMsg::WithdrawDelegatorReward { validator } => {
                load_validator(storage, &validator)?;
                let env = Env {
                    api,
                    router,
                    block,
                    pool: self.staking.pool(),
                };
                let (_, event) = withdraw(&env, storage, &sender, &validator)?;
                Ok(AppResponse {
                    events: vec![event],
                    ..AppResponse::default()
                })
            }
            other => Err(ChainError::Unsupported {
                what: format!("{other:?}"),
            }
            .into()),
        }
    }

    fn query(
        &self,
        api: &dyn Api,
        storage: &dyn Storage,
        _querier: &dyn Querier,
        block: &BlockInfo,
        request: DistributionQuery,
    ) -> AnyResult<Binary> {
        match request {
            DistributionQuery::DelegatorWithdrawAddress { delegator_address } => {
                let delegator = api.addr_validate(&delegator_address)?;
                let address = withdraw_address(storage, &delegator)?;
                Ok(to_json_binary(&DelegatorWithdrawAddressResponse::new(
                    address,
                ))?)
            }
            DistributionQuery::DelegationRewards {
                delegator_address,
                validator_address,
            } => {
                let delegator = api.addr_validate(&delegator_address)?;
                let rewards = Self::rewards(storage, block, &delegator, &validator_address)?;
                Ok(to_json_binary(&DelegationRewardsResponse::new(rewards))?)
            }
            DistributionQuery::DelegationTotalRewards { delegator_address } => {
                let delegator = api.addr_validate(&delegator_address)?;
                let mut rewards = vec![];
                let mut total = Decimal256::zero();
                for validator in Self::validators_of(storage, &delegator)? {
                    let reward = Self::rewards(storage, block, &delegator, &validator)?;
                    total += reward.iter().map(|coin| coin.amount).sum::<Decimal256>();
                    rewards.push(DelegatorReward::new(validator, reward));
                }
                let denom = params(storage)?.bonded_denom;
                let total = if total.is_zero() {
                    vec![]
                } else {
                    vec![DecCoin::new(total, denom)]
                };
                Ok(to_json_binary(&DelegationTotalRewardsResponse::new(
                    rewards, total,
                ))?)
            }
            DistributionQuery::DelegatorValidators { delegator_address } => {
                let delegator = api.addr_validate(&delegator_address)?;
                let validators = Self::validators_of(storage, &delegator)?;
                Ok(to_json_binary(&DelegatorValidatorsResponse::new(
                    validators,
                ))?)
            }
            other => Err(ChainError::Unsupported {
                what: format!("{other:?}"),
            }
            .into()),
        }
    }

    fn sudo<ExecC, QueryC>(
        &self,
        _api: &dyn Api,
        _storage: &mut dyn Storage,
        _router: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        _block: &BlockInfo,
        _msg: Empty,
    ) -> AnyResult<AppResponse>
    where
        ExecC: CustomMsg + serde::de::DeserializeOwned + 'static,
        QueryC: CustomQuery + serde::de::DeserializeOwned + 'static,
    {
        Err(ChainError::Unsupported {
            what: "distribution sudo".to_string(),
        }
        .into())
    }
}

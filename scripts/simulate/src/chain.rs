//! The in-process chain: cw-multi-test with staking and distribution, the three contracts
//! deployed, the accounts funded, and the views of what the chain itself records (delegations,
//! unbonding entries, accrued rewards) read without going through the hub.

use cosmwasm_std::testing::mock_env;
use cosmwasm_std::{
    coin, coins, from_json, Addr, Decimal, DelegationTotalRewardsResponse, DistributionQuery,
    Empty, QueryRequest, Storage, Timestamp, Uint128, Validator,
};
use cw_multi_test::error::{anyhow, AnyResult};
use cw_multi_test::{
    App, AppBuilder, Contract, ContractWrapper, Executor, StakingInfo, StakingSudo, SudoMsg,
};
use flowstake::hub::ValidatorWeight;
use flowstake::hub::{ConfigResponse, InstantiateMsg, QueryMsg, RateBounds, TokenInfo};
use serde::Deserialize;

use crate::config::{ScenarioConfig, DAY, DENOM};

/// Seconds per block when time moves forward.
const BLOCK_SECONDS: u64 = 5;

fn hub_contract() -> Box<dyn Contract<Empty>> {
    use flowstake_hub::contract::{execute, instantiate, query, reply};
    Box::new(ContractWrapper::new(execute, instantiate, query).with_reply(reply))
}

fn token_contract() -> Box<dyn Contract<Empty>> {
    use flowstake_token::contract::{execute, instantiate, query};
    Box::new(ContractWrapper::new(execute, instantiate, query))
}

fn collector_contract() -> Box<dyn Contract<Empty>> {
    use flowstake_collector::contract::{execute, instantiate, query};
    Box::new(ContractWrapper::new(execute, instantiate, query))
}

/// One entry of the chain's unbonding queue, as cw-multi-test stores it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ChainUnbonding {
    pub delegator: Addr,
    pub validator: String,
    pub amount: Uint128,
    pub payout_at: Timestamp,
}

/// Rewards the hub's delegations have accrued, in whole units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PendingRewards {
    /// The smallest on any delegation, `None` without delegations. cw-multi-test refuses to
    /// withdraw a reward of zero, so a harvest only succeeds when this is at least one.
    pub smallest: Option<u128>,
    pub total: u128,
}

/// A running chain with the hub, its token and its reward collector deployed.
pub struct Chain {
    pub app: App,
    pub hub: Addr,
    pub token: Addr,
    pub collector: Addr,
    /// Governance.
    pub owner: Addr,
    /// Calls the permissionless cranks.
    pub keeper: Addr,
    /// Receives the protocol fee; starts with nothing, so its balance is the fees paid.
    pub fee_receiver: Addr,
    /// Every validator, in the order of the initial set.
    pub validators: Vec<String>,
    pub users: Vec<Addr>,
}

impl Chain {
    /// Sets up the chain with `config.validators` validators and one account per entry of
    /// `funds`, and instantiates the hub with the seed deposit.
    pub fn deploy(config: &ScenarioConfig, funds: &[u128]) -> AnyResult<Chain> {
        let staking_info = StakingInfo {
            bonded_denom: DENOM.to_string(),
            unbonding_time: config.unbonding_period,
            apr: config.apr,
        };
        let mut setup: AnyResult<()> = Ok(());
        let mut app = AppBuilder::new().build(|router, api, storage| {
            setup = (|| {
                let block = mock_env().block;
                router.staking.setup(storage, staking_info)?;
                for index in 0..config.validators {
                    let validator = Validator::create(
                        api.addr_make(&format!("validator{index}")).into_string(),
                        Decimal::zero(),
                        Decimal::one(),
                        Decimal::one(),
                    );
                    router
                        .staking
                        .add_validator(api, storage, &block, validator)?;
                }
                let owner = api.addr_make("owner");
                router
                    .bank
                    .init_balance(storage, &owner, coins(config.seed_deposit, DENOM))?;
                for (index, amount) in funds.iter().enumerate() {
                    let user = api.addr_make(&format!("user{index}"));
                    router
                        .bank
                        .init_balance(storage, &user, vec![coin(*amount, DENOM)])?;
                }
                Ok(())
            })();
        });
        setup?;

        let api = app.api();
        let owner = api.addr_make("owner");
        let keeper = api.addr_make("keeper");
        let fee_receiver = api.addr_make("fee_receiver");
        let validators: Vec<String> = (0..config.validators)
            .map(|index| api.addr_make(&format!("validator{index}")).into_string())
            .collect();
        let users: Vec<Addr> = (0..funds.len())
            .map(|index| api.addr_make(&format!("user{index}")))
            .collect();

        let hub_code_id = app.store_code(hub_contract());
        let token_code_id = app.store_code(token_contract());
        let collector_code_id = app.store_code(collector_contract());
        let msg = InstantiateMsg {
            owner: Some(owner.to_string()),
            guardian: None,
            denom: DENOM.to_string(),
            token_code_id,
            collector_code_id,
            token: TokenInfo {
                name: "Flowstake staked token".to_string(),
                symbol: "fsSTAKE".to_string(),
                decimals: 6,
                marketing: None,
            },
            validators: validators
                .iter()
                .map(|address| ValidatorWeight {
                    address: address.clone(),
                    weight: 1,
                })
                .collect(),
            fee_receiver: fee_receiver.to_string(),
            fee_rate: config.fee_rate,
            min_bond: Uint128::new(config.min_bond),
            min_unbond: Uint128::new(config.min_unbond),
            epoch_period: config.epoch_period,
            unbonding_period: config.unbonding_period,
            max_unbond_shortfall: Decimal::percent(10),
            rate_bounds: RateBounds {
                max_fall: Decimal::percent(10),
                max_rise: Decimal::percent(5),
            },
        };
        let hub = app.instantiate_contract(
            hub_code_id,
            owner.clone(),
            &msg,
            &coins(config.seed_deposit, DENOM),
            "flowstake-hub",
            None,
        )?;
        let hub_config: ConfigResponse = app.wrap().query_wasm_smart(&hub, &QueryMsg::Config {})?;
        Ok(Chain {
            app,
            hub,
            token: hub_config.token,
            collector: hub_config.collector,
            owner,
            keeper,
            fee_receiver,
            validators,
            users,
        })
    }

    /// Current block time, in seconds.
    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    /// Moves time forward one day; the chain pays out the unbondings that matured.
    pub fn advance_day(&mut self) {
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(DAY);
            block.height += DAY / BLOCK_SECONDS;
        });
    }

    /// Slashes `fraction` of the validator's stake, bonded and unbonding alike.
    pub fn slash(&mut self, validator: &str, fraction: Decimal) -> AnyResult<()> {
        self.app.sudo(SudoMsg::Staking(StakingSudo::Slash {
            validator: validator.to_string(),
            percentage: fraction,
        }))?;
        Ok(())
    }

    pub fn native_balance(&self, address: &Addr) -> AnyResult<u128> {
        Ok(self.app.wrap().query_balance(address, DENOM)?.amount.u128())
    }

    /// The hub's delegations as the chain records them: (validator, whole units).
    pub fn delegations(&self) -> AnyResult<Vec<(String, u128)>> {
        Ok(self
            .app
            .wrap()
            .query_all_delegations(&self.hub)?
            .into_iter()
            .map(|delegation| (delegation.validator, delegation.amount.amount.u128()))
            .collect())
    }

    /// The hub's unbonding entries the chain has not paid out yet.
    pub fn unbondings(&self) -> AnyResult<Vec<ChainUnbonding>> {
        // cw-multi-test keeps its queue in one `Item` named "unbonding_queue" inside the
        // length-prefixed namespace "staking", and offers no query for it.
        let namespace = b"staking";
        let mut key = (namespace.len() as u16).to_be_bytes().to_vec();
        key.extend_from_slice(namespace);
        key.extend_from_slice(b"unbonding_queue");
        let entries: Vec<ChainUnbonding> = match self.app.storage().get(&key) {
            Some(raw) => from_json(raw)?,
            None => vec![],
        };
        Ok(entries
            .into_iter()
            .filter(|entry| entry.delegator == self.hub)
            .collect())
    }

    /// The whole rewards accrued on the hub's delegations, as a withdrawal would pay them.
    pub fn pending_rewards(&self) -> AnyResult<PendingRewards> {
        let delegated: Vec<String> = self
            .delegations()?
            .into_iter()
            .filter(|(_, amount)| *amount > 0)
            .map(|(validator, _)| validator)
            .collect();
        let response: DelegationTotalRewardsResponse = self.app.wrap().query(
            &QueryRequest::Distribution(DistributionQuery::DelegationTotalRewards {
                delegator_address: self.hub.to_string(),
            }),
        )?;
        let mut pending = PendingRewards::default();
        for validator in &delegated {
            let whole = response
                .rewards
                .iter()
                .filter(|reward| reward.validator_address == *validator)
                .flat_map(|reward| reward.reward.iter())
                .filter(|reward| reward.denom == DENOM)
                .map(|reward| Uint128::try_from(reward.amount.to_uint_floor()))
                .sum::<Result<Uint128, _>>()
                .map_err(|err| anyhow!("reward above u128: {err}"))?
                .u128();
            pending.smallest = Some(pending.smallest.map_or(whole, |least| least.min(whole)));
            pending.total += whole;
        }
        Ok(pending)
    }
}

//! `SuiteBuilder`: the chain (validators, staking parameters, funded accounts) and the hub's
//! configuration, with defaults that keep scenarios short. The chain is the strict one of
//! [`crate::strict`]: it enforces x/staking's and x/distribution's rules.

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{coin, coins, Decimal, Empty, Uint128, Validator};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{Contract, ContractWrapper, Executor, StakingInfo};
use flowstake::hub::{
    ConfigResponse, ConfigUpdate, ExecuteMsg, InstantiateMsg, Liquidity, QueryMsg, RateBounds,
    TokenInfo, ValidatorWeight,
};

use crate::accounts::{
    ACCOUNTS, DAY, DENOM, FEE_RECEIVER, GUARDIAN, OTHER_DENOM, OWNER, USER_FUNDS,
};
use crate::chain::RewardMeter;
use crate::strict::strict_app;
use crate::suite::Suite;

pub fn hub_contract() -> Box<dyn Contract<Empty>> {
    use flowstake_hub::contract::{execute, instantiate, migrate, query, reply};
    Box::new(
        ContractWrapper::new(execute, instantiate, query)
            .with_reply(reply)
            .with_migrate(migrate),
    )
}

pub fn token_contract() -> Box<dyn Contract<Empty>> {
    use flowstake_token::contract::{execute, instantiate, migrate, query};
    Box::new(ContractWrapper::new(execute, instantiate, query).with_migrate(migrate))
}

pub fn collector_contract() -> Box<dyn Contract<Empty>> {
    use flowstake_collector::contract::{execute, instantiate, migrate, query};
    Box::new(ContractWrapper::new(execute, instantiate, query).with_migrate(migrate))
}

fn validator_address(api: &MockApi, index: usize) -> String {
    api.addr_make(&format!("validator{index}")).into_string()
}

/// Sets up the chain and the hub; every setting has a default that keeps tests short.
#[derive(Clone, Debug)]
pub struct SuiteBuilder {
    validators: usize,
    spare_validators: usize,
    weights: Vec<u64>,
    epoch_period: u64,
    unbonding_period: u64,
    apr: Decimal,
    fee_rate: Decimal,
    min_bond: u128,
    min_unbond: u128,
    seed: u128,
    max_unbond_shortfall: Decimal,
    max_reward_rate: Option<Decimal>,
    liquidity: Option<Liquidity>,
    rate_bounds: RateBounds,
    user_funds: u128,
}

impl Default for SuiteBuilder {
    fn default() -> Self {
        Self {
            validators: 3,
            spare_validators: 0,
            weights: vec![],
            epoch_period: 4 * DAY,
            unbonding_period: 21 * DAY,
            apr: Decimal::percent(10),
            fee_rate: Decimal::percent(5),
            min_bond: 1_000,
            min_unbond: 1_000,
            seed: 1_000_000,
            max_unbond_shortfall: Decimal::percent(10),
            max_reward_rate: None,
            liquidity: None,
            rate_bounds: RateBounds {
                max_fall: Decimal::percent(20),
                max_rise: Decimal::percent(20),
            },
            user_funds: USER_FUNDS,
        }
    }
}

impl SuiteBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Validators on the chain that form the hub's initial set, weight 1 each by default.
    pub fn validators(mut self, count: usize) -> Self {
        self.validators = count;
        self
    }

    /// Validators that exist on the chain but are not in the initial set; their indices follow
    /// those of the set.
    pub fn spare_validators(mut self, count: usize) -> Self {
        self.spare_validators = count;
        self
    }

    /// Target weights of the initial set, one per validator.
    pub fn weights(mut self, weights: &[u64]) -> Self {
        self.weights = weights.to_vec();
        self
    }

    pub fn epoch_days(mut self, days: u64) -> Self {
        self.epoch_period = days * DAY;
        self
    }

    pub fn epoch_seconds(mut self, seconds: u64) -> Self {
        self.epoch_period = seconds;
        self
    }

    /// Sets the chain's unbonding time and the hub's `unbonding_period` alike, in seconds.
    pub fn unbonding_seconds(mut self, seconds: u64) -> Self {
        self.unbonding_period = seconds;
        self
    }

    /// Sets the chain's unbonding time and the hub's `unbonding_period` alike.
    pub fn unbonding_days(mut self, days: u64) -> Self {
        self.unbonding_period = days * DAY;
        self
    }

    /// Annual reward rate of every validator (no commission).
    pub fn apr(mut self, apr: Decimal) -> Self {
        self.apr = apr;
        self
    }

    pub fn fee_percent(mut self, percent: u64) -> Self {
        self.fee_rate = Decimal::percent(percent);
        self
    }

    pub fn min_bond(mut self, native: u128) -> Self {
        self.min_bond = native;
        self
    }

    pub fn min_unbond(mut self, shares: u128) -> Self {
        self.min_unbond = shares;
        self
    }

    /// The deposit sent with the instantiation and minted as dead shares.
    pub fn seed(mut self, native: u128) -> Self {
        self.seed = native;
        self
    }

    /// Largest annual reward rate the hub recognises (the hub's default when not set).
    /// A liquidity buffer of `buffer_target` of the backing, with `exit_fee` on instant exits.
    pub fn liquidity(mut self, buffer_target: Decimal, exit_fee: Decimal) -> Self {
        self.liquidity = Some(Liquidity {
            buffer_target,
            exit_fee,
        });
        self
    }

    pub fn max_reward_rate(mut self, rate: Decimal) -> Self {
        self.max_reward_rate = Some(rate);
        self
    }

    pub fn max_unbond_shortfall(mut self, fraction: Decimal) -> Self {
        self.max_unbond_shortfall = fraction;
        self
    }

    pub fn rate_bounds(mut self, max_fall: Decimal, max_rise: Decimal) -> Self {
        self.rate_bounds = RateBounds { max_fall, max_rise };
        self
    }

    /// Balance of each denom every funded account starts with.
    pub fn user_funds(mut self, native: u128) -> Self {
        self.user_funds = native;
        self
    }

    pub fn build(self) -> Suite {
        self.try_build().expect("hub instantiation failed")
    }

    /// Like [`SuiteBuilder::build`] but returns the instantiation error, for tests of the
    /// configuration checks.
    pub fn try_build(self) -> AnyResult<Suite> {
        let validator_count = self.validators + self.spare_validators;
        let staking_info = StakingInfo {
            bonded_denom: DENOM.to_string(),
            unbonding_time: self.unbonding_period,
            apr: self.apr,
        };
        let user_funds = self.user_funds;
        let api = MockApi::default();
        let validators: Vec<String> = (0..validator_count)
            .map(|index| validator_address(&api, index))
            .collect();
        let chain_validators = validators
            .iter()
            .map(|address| {
                Validator::create(
                    address.clone(),
                    Decimal::zero(),
                    Decimal::one(),
                    Decimal::one(),
                )
            })
            .collect();
        let mut app = strict_app(staking_info, chain_validators, |router, api, storage| {
            for account in ACCOUNTS.into_iter().filter(|a| *a != FEE_RECEIVER) {
                router
                    .bank
                    .init_balance(
                        storage,
                        &api.addr_make(account),
                        vec![coin(user_funds, DENOM), coin(user_funds, OTHER_DENOM)],
                    )
                    .unwrap();
            }
        });

        let hub_code_id = app.store_code(hub_contract());
        let token_code_id = app.store_code(token_contract());
        let collector_code_id = app.store_code(collector_contract());

        let api = app.api();
        let owner = api.addr_make(OWNER);
        let msg = InstantiateMsg {
            owner: Some(owner.to_string()),
            guardian: Some(api.addr_make(GUARDIAN).to_string()),
            denom: DENOM.to_string(),
            token_code_id,
            collector_code_id,
            token: TokenInfo {
                name: "Flowstake staked token".to_string(),
                symbol: "fsSTAKE".to_string(),
                decimals: 6,
                marketing: None,
            },
            validators: validators[..self.validators]
                .iter()
                .enumerate()
                .map(|(index, address)| ValidatorWeight {
                    address: address.clone(),
                    weight: self.weights.get(index).copied().unwrap_or(1),
                })
                .collect(),
            fee_receiver: api.addr_make(FEE_RECEIVER).to_string(),
            fee_rate: self.fee_rate,
            min_bond: Uint128::new(self.min_bond),
            min_unbond: Uint128::new(self.min_unbond),
            epoch_period: self.epoch_period,
            unbonding_period: self.unbonding_period,
            max_unbond_shortfall: self.max_unbond_shortfall,
            max_reward_rate: self.max_reward_rate,
            rate_bounds: self.rate_bounds.clone(),
        };
        let hub = app.instantiate_contract(
            hub_code_id,
            owner.clone(),
            &msg,
            &coins(self.seed, DENOM),
            "flowstake-hub",
            Some(owner.to_string()),
        )?;
        if let Some(liquidity) = &self.liquidity {
            set_liquidity(&mut app, &owner, &hub, liquidity.clone())?;
        }
        let config: ConfigResponse = app.wrap().query_wasm_smart(&hub, &QueryMsg::Config {})?;

        Ok(Suite {
            app,
            hub,
            token: config.token,
            collector: config.collector,
            code_ids: CodeIds {
                hub: hub_code_id,
                token: token_code_id,
                collector: collector_code_id,
            },
            validators,
            seed: self.seed,
            apr: self.apr,
            meter: RewardMeter::default(),
        })
    }
}

#[derive(Clone, Copy, Debug)]
pub struct CodeIds {
    pub hub: u64,
    pub token: u64,
    pub collector: u64,
}

/// Governance sets the hub's liquidity buffer (only `update_config` does: the hub's
/// instantiation takes no buffer).
pub fn set_liquidity(
    app: &mut crate::strict::StrictApp,
    owner: &cosmwasm_std::Addr,
    hub: &cosmwasm_std::Addr,
    liquidity: Liquidity,
) -> AnyResult<()> {
    let update = ConfigUpdate {
        liquidity: Some(liquidity),
        ..ConfigUpdate::default()
    };
    app.execute_contract(
        owner.clone(),
        hub.clone(),
        &ExecuteMsg::UpdateConfig(Box::new(update)),
        &[],
    )?;
    Ok(())
}

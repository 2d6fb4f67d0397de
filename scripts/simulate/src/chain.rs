//! The in-process chain: cw-multi-test with the strict staking and distribution modules of
//! `flowstake-tests` (x/staking's entry limits and redelegation rules, rewards paid out on every
//! delegation change, slashes at an infraction height), the three contracts deployed, the
//! accounts funded, and the views of what the chain itself records (delegations, unbonding and
//! redelegation entries, accrued rewards) read without going through the hub.

use cosmwasm_std::testing::mock_env;
use cosmwasm_std::{
    coin, coins, Addr, Decimal, DelegationTotalRewardsResponse, DistributionQuery, QueryRequest,
    Uint128, Validator,
};
use cw_multi_test::error::{anyhow, AnyResult};
use cw_multi_test::{AppResponse, Executor, StakingInfo};
use flowstake::hub::ValidatorWeight;
use flowstake::hub::{ConfigResponse, InstantiateMsg, Liquidity, QueryMsg, RateBounds, TokenInfo};
use flowstake_tests::strict::{
    strict_app_builder, RedelegationEntry, StrictApp, StrictChain, StrictSudo, UnbondingEntry,
};
use flowstake_tests::{collector_contract, hub_contract, set_liquidity, token_contract};

use crate::config::{ScenarioConfig, DAY, DENOM, DERIVATIVE_SYMBOL, TOKEN_DECIMALS};

/// Seconds per block when time moves forward.
const BLOCK_SECONDS: u64 = 5;
/// The event x/distribution emits for every reward withdrawal, the automatic ones included.
const WITHDRAW_EVENT: &str = "withdraw_rewards";

/// A reward withdrawal the chain made on one of the hub's delegations: `amount` whole units
/// paid to the hub's withdraw address (the collector), possibly zero. Every withdrawal starts
/// a new reward period for the delegation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RewardPayment {
    pub validator: String,
    pub amount: u128,
}

/// A running chain with the hub, its token and its reward collector deployed.
pub struct Chain {
    pub app: StrictApp,
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
    /// Reward withdrawals seen in the responses and not yet taken by the simulation.
    payments: Vec<RewardPayment>,
}

impl Chain {
    /// Sets up the strict chain with `config.validators` validators and one account per entry
    /// of `funds`, and instantiates the hub with the seed deposit.
    pub fn deploy(config: &ScenarioConfig, funds: &[u128]) -> AnyResult<Chain> {
        let staking_info = StakingInfo {
            bonded_denom: DENOM.to_string(),
            unbonding_time: config.unbonding_period,
            apr: config.apr,
        };
        let block = mock_env().block;
        let mut setup: AnyResult<()> = Ok(());
        let mut app =
            strict_app_builder()
                .with_block(block.clone())
                .build(|router, api, storage| {
                    setup = (|| {
                        router.staking.setup(storage, &block, staking_info)?;
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
                        router.bank.init_balance(
                            storage,
                            &owner,
                            coins(config.seed_deposit, DENOM),
                        )?;
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
                symbol: DERIVATIVE_SYMBOL.to_string(),
                decimals: TOKEN_DECIMALS as u8,
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
            max_reward_rate: None,
        };
        let hub = app.instantiate_contract(
            hub_code_id,
            owner.clone(),
            &msg,
            &coins(config.seed_deposit, DENOM),
            "flowstake-hub",
            None,
        )?;
        if !config.buffer_target.is_zero() || !config.exit_fee.is_zero() {
            // The buffer is set by governance after instantiation.
            let liquidity = Liquidity {
                buffer_target: config.buffer_target,
                exit_fee: config.exit_fee,
            };
            set_liquidity(&mut app, &owner, &hub, liquidity)?;
        }
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
            payments: vec![],
        })
    }

    /// Current block time, in seconds.
    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    /// Current block height.
    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    /// Moves time forward one day; the chain pays out the unbondings that matured. Two blocks:
    /// the strict chain runs a block's end of block when the next one starts, so the block
    /// before the last one ends what matured until `BLOCK_SECONDS` before the new time.
    pub fn advance_day(&mut self) {
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(DAY - BLOCK_SECONDS);
            block.height += DAY / BLOCK_SECONDS - 1;
        });
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(BLOCK_SECONDS);
            block.height += 1;
        });
    }

    /// Slashes `fraction` of what the validator held when block `infraction_height` began: the
    /// unbonding entries and redelegations created since pay their part, the bonded stake the
    /// rest (x/staking `Slash`).
    pub fn slash(
        &mut self,
        validator: &str,
        infraction_height: u64,
        fraction: Decimal,
    ) -> AnyResult<()> {
        let response = self.app.strict_sudo(StrictSudo::Slash {
            validator: validator.to_string(),
            infraction_height,
            fraction,
        })?;
        self.note_payments(&response);
        Ok(())
    }

    /// Records the reward withdrawals on the hub's delegations that a response reports.
    pub(crate) fn note_payments(&mut self, response: &AppResponse) {
        let hub = self.hub.as_str();
        for event in response.events.iter().filter(|e| e.ty == WITHDRAW_EVENT) {
            let attribute = |key: &str| {
                event
                    .attributes
                    .iter()
                    .find(|attribute| attribute.key == key)
                    .map(|attribute| attribute.value.as_str())
            };
            if attribute("delegator") != Some(hub) {
                continue;
            }
            let validator = attribute("validator").unwrap_or_default().to_string();
            // "<amount><denom>"; an amount that does not parse shows up as a payment of zero,
            // which the reward checks then compare with the rewards earned.
            let amount = attribute("amount")
                .and_then(|text| text.strip_suffix(DENOM))
                .and_then(|digits| digits.parse().ok())
                .unwrap_or(0);
            self.payments.push(RewardPayment { validator, amount });
        }
    }

    /// The reward withdrawals made since the last call, in the order the chain made them.
    pub fn take_payments(&mut self) -> Vec<RewardPayment> {
        std::mem::take(&mut self.payments)
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

    /// The hub's unbonding entries the chain has not paid out yet, as (validator, entry).
    pub fn unbondings(&self) -> Vec<(String, UnbondingEntry)> {
        self.app.unbonding_entries(&self.hub)
    }

    /// The hub's redelegation entries that have not matured, as (source, destination, entry).
    pub fn redelegations(&self) -> Vec<(String, String, RedelegationEntry)> {
        self.app.redelegation_entries(&self.hub)
    }

    /// Creation height of the oldest entry out of `validator` that a slash could still reach.
    pub fn oldest_entry_height(&self, validator: &str) -> Option<u64> {
        self.app.oldest_entry_height(validator)
    }

    /// The whole rewards each of the hub's delegations would pay if withdrawn now, as the
    /// distribution module reports them: (validator, whole units).
    pub fn pending_rewards(&self) -> AnyResult<Vec<(String, u128)>> {
        let response: DelegationTotalRewardsResponse = self.app.wrap().query(
            &QueryRequest::Distribution(DistributionQuery::DelegationTotalRewards {
                delegator_address: self.hub.to_string(),
            }),
        )?;
        response
            .rewards
            .iter()
            .map(|reward| {
                let whole = reward
                    .reward
                    .iter()
                    .filter(|coin| coin.denom == DENOM)
                    .map(|coin| Uint128::try_from(coin.amount.to_uint_floor()))
                    .sum::<Result<Uint128, _>>()
                    .map_err(|err| anyhow!("reward above u128: {err}"))?;
                Ok((reward.validator_address.clone(), whole.u128()))
            })
            .collect()
    }
}

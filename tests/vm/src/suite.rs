//! Flowstake deployed in the VM: hub, token and collector from `artifacts/`, instantiated as a
//! chain instantiates them (the hub deploys the other two and learns their addresses in
//! replies), with one helper per message and per query.

use cosmwasm_std::{coins, to_json_binary, Decimal, Uint128};
use cw20::{BalanceResponse, Cw20ExecuteMsg, Cw20QueryMsg, TokenInfoResponse};
use flowstake::hub::{
    BatchResponse, ConfigResponse, ConfigUpdate, ExecuteMsg, InstantiateMsg, Liquidity,
    PendingBatchResponse, QueryMsg, RateBounds, ReceiveMsg, RedemptionRateResponse, StateResponse,
    TokenInfo, UnbondRequestResponse, ValidatorResponse, ValidatorWeight,
};
use serde::de::DeserializeOwned;

use crate::artifacts;
use crate::chain::{ChainState, BLOCK_TIME};
use crate::vm::{Outcome, TxError, Vm};

pub const DENOM: &str = "ustake";
pub const DAY: u64 = 86_400;
/// Three and a half days: seven epochs (24.5 days) span the unbonding period, so a batch can go
/// out every epoch without the chain's seven-entry limit being reached.
pub const EPOCH: u64 = 7 * DAY / 2;
pub const UNBONDING: u64 = 21 * DAY;
/// The seed deposit of the instantiation, minted as dead shares.
pub const SEED: u128 = 1_000_000;
pub const MIN_BOND: u128 = 1_000;
pub const MIN_UNBOND: u128 = 1_000;
/// Largest page the hub's list queries return.
const PAGE: u32 = 100;

pub fn fee_rate() -> Decimal {
    Decimal::percent(5)
}

/// The operator address of validator `index` (`injvaloper1...`, 49 characters); validators
/// sort by index.
pub fn validator_address(index: usize) -> String {
    crate::address::validator(index)
}

/// Code ids of the three contracts.
#[derive(Clone, Copy, Debug)]
pub struct Codes {
    pub hub: u64,
    pub token: u64,
    pub collector: u64,
}

impl Codes {
    /// Stores the three artifacts. A wasm file the VM rejects stops here, naming the file.
    pub fn store(vm: &mut Vm) -> Codes {
        let mut store = |name: &str| {
            let path = artifacts::contract_path(name);
            vm.store_code(&artifacts::read(&path))
                .unwrap_or_else(|err| panic!("the VM rejects {}: {err}", path.display()))
        };
        Codes {
            hub: store("hub"),
            token: store("token"),
            collector: store("collector"),
        }
    }
}

pub struct SuiteBuilder {
    validators: usize,
    outsiders: usize,
}

impl Default for SuiteBuilder {
    fn default() -> Self {
        SuiteBuilder::new()
    }
}

impl SuiteBuilder {
    /// Three validators in the hub's set and one more on the chain.
    pub fn new() -> Self {
        SuiteBuilder {
            validators: 3,
            outsiders: 1,
        }
    }

    /// Validators in the hub's initial set, all of weight 1.
    pub fn validators(mut self, count: usize) -> Self {
        self.validators = count;
        self
    }

    /// Validators on the chain but outside the initial set.
    pub fn outsiders(mut self, count: usize) -> Self {
        self.outsiders = count;
        self
    }

    pub fn build(self) -> Suite {
        let validators: Vec<String> = (0..self.validators).map(validator_address).collect();
        let outsiders: Vec<String> = (self.validators..self.validators + self.outsiders)
            .map(validator_address)
            .collect();
        let mut chain = ChainState::new(DENOM, UNBONDING);
        for validator in validators.iter().chain(&outsiders) {
            chain.add_validator(validator, Decimal::percent(5));
        }
        let mut vm = Vm::new(chain);
        let codes = Codes::store(&mut vm);
        let owner = vm.addr("owner");
        let fee_receiver = vm.addr("treasury");
        let keeper = vm.addr("keeper");
        vm.chain().mint(&owner, DENOM, SEED);

        let msg = instantiate_msg(&codes, &owner, &fee_receiver, &validators);
        let (hub, instantiate) = vm
            .instantiate(
                &owner,
                codes.hub,
                &msg,
                &coins(SEED, DENOM),
                "flowstake hub",
            )
            .unwrap_or_else(|err| panic!("the hub instantiates: {err}"));
        let config: ConfigResponse = vm
            .query(&hub, &QueryMsg::Config {})
            .expect("the hub answers its config");
        let token = config.token.into_string();
        let collector = config.collector.into_string();
        vm.set_label(&hub, "hub");
        vm.set_label(&token, "token");
        vm.set_label(&collector, "collector");
        Suite {
            vm,
            codes,
            hub,
            token,
            collector,
            owner,
            fee_receiver,
            keeper,
            validators,
            outsiders,
            instantiate,
        }
    }
}

pub fn instantiate_msg(
    codes: &Codes,
    owner: &str,
    fee_receiver: &str,
    validators: &[String],
) -> InstantiateMsg {
    InstantiateMsg {
        owner: Some(owner.to_string()),
        guardian: None,
        denom: DENOM.to_string(),
        token_code_id: codes.token,
        collector_code_id: codes.collector,
        token: TokenInfo {
            name: "Flowstake Staked Token".to_string(),
            symbol: "fsTOKEN".to_string(),
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
        fee_rate: fee_rate(),
        min_bond: Uint128::new(MIN_BOND),
        min_unbond: Uint128::new(MIN_UNBOND),
        epoch_period: EPOCH,
        unbonding_period: UNBONDING,
        max_unbond_shortfall: Decimal::percent(20),
        rate_bounds: RateBounds {
            max_fall: Decimal::percent(10),
            max_rise: Decimal::percent(5),
        },
        max_reward_rate: None,
    }
}

pub struct Suite {
    pub vm: Vm,
    pub codes: Codes,
    pub hub: String,
    pub token: String,
    pub collector: String,
    pub owner: String,
    pub fee_receiver: String,
    /// Sends the permissionless cranks.
    pub keeper: String,
    /// The hub's initial set.
    pub validators: Vec<String>,
    /// Validators on the chain outside the initial set.
    pub outsiders: Vec<String>,
    /// What the hub's instantiation did.
    pub instantiate: Outcome,
}

impl Suite {
    pub fn user(&self, name: &str) -> String {
        self.vm.addr(name)
    }

    pub fn now(&self) -> u64 {
        self.vm.chain().now()
    }

    pub fn advance(&mut self, seconds: u64) {
        self.vm.advance(seconds);
    }

    /// Moves the block time on to `time` (seconds since the epoch), if it lies ahead.
    pub fn advance_to(&mut self, time: u64) {
        let now = self.now();
        if time > now {
            self.vm.advance(time - now);
        }
    }

    /// Gives `user` native tokens out of nothing.
    pub fn fund(&mut self, user: &str, amount: u128) {
        self.vm.chain().mint(user, DENOM, amount);
    }

    /// Bonds `native` from `count` fresh stakers, one after the other. Each bond goes to the
    /// validator with the least stake, so with `count` at least the size of the set every
    /// validator ends up with a delegation.
    pub fn spread_stake(&mut self, count: usize, native: u128) {
        for index in 0..count {
            let staker = self.user(&format!("staker{index}"));
            self.fund_and_bond(&staker, native);
        }
    }

    // ---- messages ----

    fn hub_execute(&mut self, sender: &str, msg: &ExecuteMsg) -> Result<Outcome, TxError> {
        self.vm.execute(sender, &self.hub, msg, &[])
    }

    fn keeper_execute(&mut self, msg: &ExecuteMsg) -> Result<Outcome, TxError> {
        let keeper = self.keeper.clone();
        self.hub_execute(&keeper, msg)
    }

    fn owner_execute(&mut self, msg: &ExecuteMsg) -> Result<Outcome, TxError> {
        let owner = self.owner.clone();
        self.hub_execute(&owner, msg)
    }

    pub fn bond(&mut self, user: &str, native: u128) -> Result<Outcome, TxError> {
        let msg = ExecuteMsg::Bond {
            receiver: None,
            min_shares: None,
            forward: None,
        };
        self.vm
            .execute(user, &self.hub, &msg, &coins(native, DENOM))
    }

    /// Funds `user` with `native` and bonds it; the bond must succeed.
    pub fn fund_and_bond(&mut self, user: &str, native: u128) -> Outcome {
        self.fund(user, native);
        self.bond(user, native)
            .unwrap_or_else(|err| panic!("bond of {native} by {user}: {err}"))
    }

    pub fn harvest(&mut self) -> Result<Outcome, TxError> {
        self.keeper_execute(&ExecuteMsg::Harvest {})
    }

    pub fn sync(&mut self) -> Result<Outcome, TxError> {
        self.keeper_execute(&ExecuteMsg::Sync {})
    }

    /// Sends `shares` to the hub through the token's `Send` with the queue-unbond hook.
    pub fn queue_unbond(&mut self, user: &str, shares: u128) -> Result<Outcome, TxError> {
        let msg = Cw20ExecuteMsg::Send {
            contract: self.hub.clone(),
            amount: Uint128::new(shares),
            msg: to_json_binary(&ReceiveMsg::QueueUnbond { receiver: None })
                .expect("hook serializes"),
        };
        self.vm.execute(user, &self.token, &msg, &[])
    }

    /// An instant exit of `shares` from the liquidity buffer, through the token's `Send`.
    pub fn instant_unbond(&mut self, user: &str, shares: u128) -> Result<Outcome, TxError> {
        let hook = ReceiveMsg::InstantUnbond {
            receiver: None,
            min_native: None,
        };
        let msg = Cw20ExecuteMsg::Send {
            contract: self.hub.clone(),
            amount: Uint128::new(shares),
            msg: to_json_binary(&hook).expect("hook serializes"),
        };
        self.vm.execute(user, &self.token, &msg, &[])
    }

    /// Sets the liquidity buffer's target and exit fee (as the owner).
    pub fn set_liquidity(&mut self, buffer_target: Decimal, exit_fee: Decimal) {
        let update = ConfigUpdate {
            liquidity: Some(Liquidity {
                buffer_target,
                exit_fee,
            }),
            ..ConfigUpdate::default()
        };
        self.owner_execute(&ExecuteMsg::UpdateConfig(Box::new(update)))
            .expect("the owner sets the liquidity buffer");
    }

    pub fn cancel_unbond(&mut self, user: &str) -> Result<Outcome, TxError> {
        self.hub_execute(user, &ExecuteMsg::CancelUnbond {})
    }

    pub fn submit_batch(&mut self) -> Result<Outcome, TxError> {
        self.keeper_execute(&ExecuteMsg::SubmitBatch {})
    }

    /// One `Reconcile`: it books only batches a block before this one proved paid, and
    /// otherwise returns with `waiting_for`.
    pub fn reconcile(&mut self, limit: Option<u32>) -> Result<Outcome, TxError> {
        self.keeper_execute(&ExecuteMsg::Reconcile { limit })
    }

    /// Reconciles as a keeper does: when the hub answers that it waits for proof of payout,
    /// calls again a block later.
    pub fn reconcile_settled(&mut self, limit: Option<u32>) -> Result<Outcome, TxError> {
        let outcome = self.reconcile(limit)?;
        if outcome.attribute("wasm", "waiting_for").is_none() {
            return Ok(outcome);
        }
        self.advance(BLOCK_TIME);
        self.reconcile(limit)
    }

    pub fn sweep_rewards(&mut self, denoms: &[&str]) -> Result<Outcome, TxError> {
        self.keeper_execute(&ExecuteMsg::SweepRewards {
            denoms: denoms.iter().map(|d| d.to_string()).collect(),
        })
    }

    pub fn withdraw_unbonded(&mut self, user: &str) -> Result<Outcome, TxError> {
        let msg = ExecuteMsg::WithdrawUnbonded {
            receiver: None,
            limit: None,
        };
        self.hub_execute(user, &msg)
    }

    pub fn add_validator(&mut self, address: &str, weight: u64) -> Result<Outcome, TxError> {
        self.owner_execute(&ExecuteMsg::AddValidator {
            address: address.to_string(),
            weight,
        })
    }

    pub fn remove_validator(&mut self, address: &str) -> Result<Outcome, TxError> {
        self.owner_execute(&ExecuteMsg::RemoveValidator {
            address: address.to_string(),
        })
    }

    // ---- queries ----

    pub fn query_hub<T: DeserializeOwned>(&mut self, msg: &QueryMsg) -> T {
        self.vm
            .query(&self.hub, msg)
            .unwrap_or_else(|err| panic!("hub query {msg:?}: {err}"))
    }

    pub fn state(&mut self) -> StateResponse {
        self.query_hub(&QueryMsg::State {})
    }

    pub fn redemption_rate(&mut self) -> RedemptionRateResponse {
        self.query_hub(&QueryMsg::RedemptionRate {})
    }

    pub fn config(&mut self) -> ConfigResponse {
        self.query_hub(&QueryMsg::Config {})
    }

    pub fn pending_batch(&mut self) -> PendingBatchResponse {
        self.query_hub(&QueryMsg::PendingBatch {})
    }

    pub fn batch(&mut self, id: u64) -> BatchResponse {
        self.query_hub(&QueryMsg::Batch { id })
    }

    pub fn requests(&mut self, user: &str) -> Vec<UnbondRequestResponse> {
        self.query_hub(&QueryMsg::UnbondRequestsByUser {
            user: user.to_string(),
            start_after: None,
            limit: Some(PAGE),
        })
    }

    /// The hub's whole validator set, page after page.
    pub fn hub_validators(&mut self) -> Vec<ValidatorResponse> {
        let mut all: Vec<ValidatorResponse> = vec![];
        loop {
            let page: Vec<ValidatorResponse> = self.query_hub(&QueryMsg::Validators {
                start_after: all.last().map(|v| v.address.clone()),
                limit: Some(PAGE),
            });
            let done = page.len() < PAGE as usize;
            all.extend(page);
            if done {
                return all;
            }
        }
    }

    /// Derivative held by `holder`.
    pub fn shares(&mut self, holder: &str) -> u128 {
        let answer: BalanceResponse = self
            .vm
            .query(
                &self.token,
                &Cw20QueryMsg::Balance {
                    address: holder.to_string(),
                },
            )
            .expect("the token answers a balance");
        answer.balance.u128()
    }

    pub fn total_supply(&mut self) -> u128 {
        let answer: TokenInfoResponse = self
            .vm
            .query(&self.token, &Cw20QueryMsg::TokenInfo {})
            .expect("the token answers its info");
        answer.total_supply.u128()
    }

    /// Native tokens held by `address` in the bank.
    pub fn native(&self, address: &str) -> u128 {
        self.vm.chain().balance(address, DENOM)
    }

    /// What the chain says the hub has delegated, over all validators.
    pub fn delegated_on_chain(&self) -> u128 {
        self.vm.chain().total_delegated(&self.hub)
    }

    pub fn delegation_on_chain(&self, validator: &str) -> u128 {
        self.vm.chain().delegation(&self.hub, validator)
    }
}

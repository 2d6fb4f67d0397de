//! Unit tests of the hub: the entry points called directly against a mock querier.
//!
//! [`Hub`] keeps the mock chain in step with what the hub asks for: delegations move with the
//! staking messages it emits, its bank balance with the funds it receives and sends, and
//! undelegations pay out when their unbonding period ends. A sync therefore sees a slash only
//! where a test makes one.

mod admin;
mod bond;
mod bounded;
mod chain;
mod harvest;
mod instantiate;
mod query;
mod response;
mod unbond;
mod validators;
mod withdraw;

use std::collections::BTreeMap;

use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
};
use cosmwasm_std::{
    coins, from_json, to_json_binary, Addr, Binary, Coin, Decimal, Env, Event, Order, OwnedDeps,
    Reply, Response, StakingMsg, Storage, SubMsgResponse, SubMsgResult, Uint128,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use flowstake::hub::{
    ExecuteMsg, InstantiateMsg, Operation, QueryMsg, RateBounds, ReceiveMsg, StateResponse,
    TokenInfo, ValidatorResponse, ValidatorWeight,
};
use serde::de::DeserializeOwned;

use crate::contract;
use crate::error::ContractError;
use crate::execute::setup::ReplyId;

pub use response::*;

pub const DENOM: &str = "ustake";
pub const DAY: u64 = 86_400;
/// Seven epochs (28 days) exceed the unbonding period plus the one-day margin.
pub const EPOCH: u64 = 4 * DAY;
pub const UNBONDING: u64 = 21 * DAY;
/// From submission until the chain pays a batch out: the unbonding period.
pub const MATURITY: u64 = UNBONDING;
pub const SEED: u128 = 1_000;
pub const MIN_BOND: u128 = 100;
pub const MIN_UNBOND: u128 = 50;
/// The initial validator set, all with weight 1.
pub const SET: [&str; 3] = ["val1", "val2", "val3"];
/// A validator that exists on chain but is not in the initial set.
pub const OUTSIDER: &str = "val4";

pub type MockDeps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

/// An undelegation the mock chain pays out to the hub at `completes_at`.
pub struct Unbonding {
    pub amount: Uint128,
    pub completes_at: u64,
}

pub struct Hub {
    pub deps: MockDeps,
    pub env: Env,
    /// Validators that exist on the chain.
    pub chain_validators: Vec<String>,
    /// The hub's delegations on the chain.
    pub delegations: BTreeMap<String, Uint128>,
    /// Part of each delegation received by a redelegation that is still maturing.
    pub maturing: BTreeMap<String, Uint128>,
    /// The hub's bank balance of the staking denom.
    pub balance: Uint128,
    pub unbondings: Vec<Unbonding>,
    /// The chain's unbonding time, which chain governance may change.
    pub unbonding_time: u64,
}

/// A hub instantiated with the default message and both replies fed: ready for use.
pub fn setup() -> Hub {
    setup_with(|_| {})
}

/// As [`setup`], with the instantiate message changed by `change` first.
pub fn setup_with(change: impl FnOnce(&mut InstantiateMsg)) -> Hub {
    setup_on(Hub::bare(), change)
}

/// A hub with `count` validators of weight 1 in its set (and on the chain), each holding a
/// delegation from its own user: `holder{i}` bonded `1_000 + 7 * i`.
pub fn setup_wide(count: usize) -> Hub {
    let names: Vec<String> = (0..count).map(|i| format!("wide{i:03}")).collect();
    let mut chain = Hub::bare();
    chain.chain_validators = names.clone();
    chain.push_chain();
    let mut hub = setup_on(chain, |msg| {
        msg.validators = names
            .iter()
            .map(|address| ValidatorWeight {
                address: address.clone(),
                weight: 1,
            })
            .collect();
    });
    for i in 0..count {
        hub.bond(&format!("holder{i}"), 1_000 + 7 * i as u128);
    }
    assert!(names.iter().all(|name| hub.on_chain(name) > 0));
    hub
}

fn setup_on(mut hub: Hub, change: impl FnOnce(&mut InstantiateMsg)) -> Hub {
    let mut msg = hub.default_msg();
    change(&mut msg);
    hub.instantiate(msg, &coins(SEED, DENOM)).unwrap();
    let token = hub.token();
    let collector = hub.collector();
    hub.reply(ReplyId::InstantiateToken as u64, &token).unwrap();
    hub.reply(ReplyId::InstantiateCollector as u64, &collector)
        .unwrap();
    hub
}

/// The reply of a successful contract instantiation, address in the `instantiate` event.
pub fn instantiate_reply(id: u64, address: &Addr) -> Reply {
    #[allow(deprecated)]
    let response = SubMsgResponse {
        events: vec![Event::new("instantiate").add_attribute("_contract_address", address)],
        data: None,
        msg_responses: vec![],
    };
    Reply {
        id,
        payload: Binary::default(),
        gas_used: 0,
        result: SubMsgResult::Ok(response),
    }
}

impl Hub {
    /// Mock chain with validators val1 to val4 and no contract instantiated.
    pub fn bare() -> Self {
        let mut hub = Hub {
            deps: mock_dependencies(),
            env: mock_env(),
            chain_validators: SET
                .iter()
                .chain([OUTSIDER].iter())
                .map(|v| v.to_string())
                .collect(),
            delegations: BTreeMap::new(),
            maturing: BTreeMap::new(),
            balance: Uint128::zero(),
            unbondings: vec![],
            unbonding_time: UNBONDING,
        };
        // Whole seconds, as block times mostly are not: the nanoseconds case has its own test.
        hub.env.block.time = cosmwasm_std::Timestamp::from_seconds(hub.env.block.time.seconds());
        hub.push_chain();
        hub
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.deps.api.addr_make(name)
    }

    pub fn hub_addr(&self) -> Addr {
        self.env.contract.address.clone()
    }

    pub fn owner(&self) -> Addr {
        self.addr("owner")
    }

    pub fn guardian(&self) -> Addr {
        self.addr("guardian")
    }

    pub fn token(&self) -> Addr {
        self.addr("token")
    }

    pub fn collector(&self) -> Addr {
        self.addr("collector")
    }

    pub fn fee_receiver(&self) -> Addr {
        self.addr("fees")
    }

    pub fn default_msg(&self) -> InstantiateMsg {
        InstantiateMsg {
            owner: Some(self.owner().to_string()),
            guardian: Some(self.guardian().to_string()),
            denom: DENOM.to_string(),
            token_code_id: 11,
            collector_code_id: 12,
            token: TokenInfo {
                name: "Flowstake Staked Token".to_string(),
                symbol: "fsTOKEN".to_string(),
                decimals: 6,
                marketing: None,
            },
            validators: SET
                .iter()
                .map(|v| ValidatorWeight {
                    address: v.to_string(),
                    weight: 1,
                })
                .collect(),
            fee_receiver: self.fee_receiver().to_string(),
            fee_rate: Decimal::percent(10),
            min_bond: Uint128::new(MIN_BOND),
            min_unbond: Uint128::new(MIN_UNBOND),
            epoch_period: EPOCH,
            unbonding_period: UNBONDING,
            max_unbond_shortfall: Decimal::percent(5),
            rate_bounds: RateBounds {
                max_fall: Decimal::percent(10),
                max_rise: Decimal::percent(20),
            },
            // 1,000 % a year: rewards of a test enter the rate within days.
            max_reward_rate: Some(Decimal::percent(1_000)),
        }
    }

    pub fn instantiate(
        &mut self,
        msg: InstantiateMsg,
        funds: &[Coin],
    ) -> Result<Response, ContractError> {
        let info = message_info(&self.addr("creator"), funds);
        let response = contract::instantiate(self.deps.as_mut(), self.env.clone(), info, msg)?;
        self.apply(funds, &response);
        Ok(response)
    }

    pub fn reply(&mut self, id: u64, address: &Addr) -> Result<Response, ContractError> {
        let response = contract::reply(
            self.deps.as_mut(),
            self.env.clone(),
            instantiate_reply(id, address),
        )?;
        self.apply(&[], &response);
        Ok(response)
    }

    /// Executes `msg` from `sender`; on success the mock chain follows the response.
    pub fn execute(
        &mut self,
        sender: &Addr,
        funds: &[Coin],
        msg: ExecuteMsg,
    ) -> Result<Response, ContractError> {
        let info = message_info(sender, funds);
        let response = contract::execute(self.deps.as_mut(), self.env.clone(), info, msg)?;
        self.apply(funds, &response);
        Ok(response)
    }

    /// Executes `msg` from the account `name`, without funds.
    pub fn execute_as(&mut self, name: &str, msg: ExecuteMsg) -> Result<Response, ContractError> {
        let sender = self.addr(name);
        self.execute(&sender, &[], msg)
    }

    pub fn try_bond(&mut self, user: &str, native: u128) -> Result<Response, ContractError> {
        let sender = self.addr(user);
        let msg = ExecuteMsg::Bond {
            receiver: None,
            min_shares: None,
            forward: None,
        };
        self.execute(&sender, &coins(native, DENOM), msg)
    }

    pub fn bond(&mut self, user: &str, native: u128) -> Response {
        self.try_bond(user, native).unwrap()
    }

    /// `user` sends `shares` through the token's `Send` with the queue-unbond hook.
    pub fn queue_unbond(&mut self, user: &str, shares: u128) -> Result<Response, ContractError> {
        let token = self.token();
        let msg = self.queue_msg(user, shares);
        self.execute(&token, &[], msg)
    }

    pub fn queue_msg(&self, user: &str, shares: u128) -> ExecuteMsg {
        ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: self.addr(user).to_string(),
            amount: Uint128::new(shares),
            msg: to_json_binary(&ReceiveMsg::QueueUnbond { receiver: None }).unwrap(),
        })
    }

    /// The collector's forward of `native` in rewards.
    pub fn receive_rewards(&mut self, native: u128) -> Result<Response, ContractError> {
        let collector = self.collector();
        self.execute(
            &collector,
            &coins(native, DENOM),
            ExecuteMsg::ReceiveRewards {},
        )
    }

    /// The collector forwards `native` in rewards, then days pass with a daily sync until all
    /// of it is in the rate (recognition is bounded by time).
    pub fn vested_rewards(&mut self, native: u128) {
        self.receive_rewards(native).unwrap();
        for _ in 0..400 {
            if self.state().unvested_rewards.is_zero() {
                return;
            }
            self.advance(DAY);
            self.execute_as("keeper", ExecuteMsg::Sync {}).unwrap();
        }
        panic!("rewards never vested");
    }

    pub fn query<T: DeserializeOwned>(&self, msg: QueryMsg) -> T {
        let binary = contract::query(self.deps.as_ref(), self.env.clone(), msg).unwrap();
        from_json(binary).unwrap()
    }

    pub fn state(&self) -> StateResponse {
        self.query(QueryMsg::State {})
    }

    /// The whole set, page after page.
    pub fn validator_list(&self) -> Vec<ValidatorResponse> {
        let mut all: Vec<ValidatorResponse> = vec![];
        loop {
            let page: Vec<ValidatorResponse> = self.query(QueryMsg::Validators {
                start_after: all.last().map(|v| v.address.clone()),
                limit: None,
            });
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    /// The hub's ledger entry for `validator`.
    pub fn ledger(&self, validator: &str) -> u128 {
        self.validator_list()
            .into_iter()
            .find(|v| v.address == validator)
            .map(|v| v.delegated.u128())
            .unwrap_or_default()
    }

    /// The chain's delegation of the hub to `validator`.
    pub fn on_chain(&self, validator: &str) -> u128 {
        self.delegations
            .get(validator)
            .map(|d| d.u128())
            .unwrap_or_default()
    }

    pub fn paused(&self) -> Vec<Operation> {
        self.query::<flowstake::hub::PausedResponse>(QueryMsg::Paused {})
            .operations
    }

    /// Every key and value the hub stores, to show that a rejected call changed nothing.
    pub fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.deps
            .storage
            .range(None, None, Order::Ascending)
            .collect()
    }
}

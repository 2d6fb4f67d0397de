//! The `hub_execute` target: the hub's entry points called directly, as the chain would call
//! them, with arbitrary messages and funds.
//!
//! Each input instantiates a hub on a fresh [`Chain`] (both instantiation replies fed, as in
//! the hub's unit tests), then plays up to [`MAX_ACTIONS`] actions. A call to the hub is one
//! transaction: the hub's response is followed message by message on the chain, the reward
//! collector's forward calls the hub back, and if the hub or any call it makes fails,
//! everything is undone as a chain undoes a failed transaction. After every accepted call
//! the identities read from the hub's state and validator set are checked, and all of them
//! (batches and requests too) after instantiation and at the end of the input
//! ([`crate::identities`]).
//!
//! Findings, all panics: a panic in the hub; a message the hub emits that the chain refuses;
//! a broken identity; a query that fails on a state the hub accepted.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::marker::PhantomData;

use arbitrary::{Arbitrary, Unstructured};
use cosmwasm_std::testing::{message_info, mock_env, MockApi, MockQuerier};
use cosmwasm_std::{
    coins, Addr, Binary, Decimal, Env, Event, OwnedDeps, Reply, SubMsgResponse, SubMsgResult,
    Uint128,
};
use flowstake::hub::{InstantiateMsg, RateBounds, StateResponse, TokenInfo, ValidatorWeight};
use flowstake_hub::contract;
use flowstake_hub::error::ContractError;

use crate::chain::Chain;
use crate::input::{HubInput, SetupChoice};
use crate::storage::TxStorage;

mod actions;
mod messages;
mod transact;

pub const DENOM: &str = "ustake";
pub const OTHER_DENOM: &str = "uother";
pub const DAY: u64 = 86_400;
/// Validators on the mock chain; the hub's initial set is the first one to four of them.
pub const CHAIN_VALIDATORS: [&str; 6] = ["val0", "val1", "val2", "val3", "val4", "val5"];
/// Users that act besides the accounts with a role.
pub const USERS: usize = 4;
/// Actions played per input: bounds the time of one execution.
pub const MAX_ACTIONS: usize = 64;
/// Edits applied to one message's JSON.
const MAX_EDITS: usize = 8;
/// Seconds per block.
pub const BLOCK_TIME: u64 = 5;
/// Longest time step: ten years.
const MAX_ADVANCE: u64 = 10 * 365 * DAY;

/// Most native that exists on the mock chain in a realistic setup: `2^100` base units, about
/// `1.3 * 10^30`, more than any chain's supply (a billion tokens of 18 decimals is `10^27`).
/// Amounts in messages range over all of `u128` either way; a setup with
/// [`SetupChoice::full_range_supply`] lets the chain hold up to `u128::MAX`, so that the
/// hub's totals reach the top of their range too.
pub const SUPPLY_CAP: u128 = 1 << 100;

/// Reply ids of the hub's two instantiation submessages.
const REPLY_TOKEN: u64 = 1;
const REPLY_COLLECTOR: u64 = 2;
/// Reply id of a batch's first undelegation, answered with the chain's
/// `MsgUndelegateResponse`.
pub(crate) const REPLY_BATCH_UNDELEGATED: u64 = 3;

pub type FuzzDeps = OwnedDeps<TxStorage, MockApi, MockQuerier>;

/// Plays one input; panics on a finding.
pub fn run(data: &[u8]) {
    let Ok(input) = HubInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    crate::show(&input);
    let Some(mut world) = World::instantiate_cached(&input.setup) else {
        return;
    };
    for action in input.actions.iter().take(MAX_ACTIONS) {
        world.act(action);
    }
    world.check_identities();
}

/// The accounts of a world.
#[derive(Clone)]
pub struct Accounts {
    pub owner: Addr,
    pub guardian: Addr,
    pub token: Addr,
    pub collector: Addr,
    pub fee_receiver: Addr,
    pub creator: Addr,
    pub hub: Addr,
    pub users: Vec<Addr>,
}

impl Accounts {
    fn new(api: &MockApi, env: &Env) -> Self {
        Accounts {
            owner: api.addr_make("owner"),
            guardian: api.addr_make("guardian"),
            token: api.addr_make("token"),
            collector: api.addr_make("collector"),
            fee_receiver: api.addr_make("fees"),
            creator: api.addr_make("creator"),
            hub: env.contract.address.clone(),
            users: (0..USERS)
                .map(|index| api.addr_make(&format!("user{index}")))
                .collect(),
        }
    }
}

/// Why a transaction failed.
#[derive(Debug)]
pub enum CallError {
    Hub(ContractError),
    /// The attached funds are more than the chain's supply can hold: nobody has them.
    Bank,
    /// The reward collector refused the hub's message (a sweep naming the staking denom).
    Collector(String),
}

/// What a failed transaction must leave as it was.
struct Saved {
    storage: TxStorage,
    chain: Chain,
    donated_shares: u128,
}

/// A hub on a mock chain.
pub struct World {
    pub deps: FuzzDeps,
    pub env: Env,
    pub chain: Chain,
    pub accounts: Accounts,
    /// Derivative the hub received other than its dead shares and queued requests: plain
    /// transfers to it, and bonds that name it as receiver.
    pub donated_shares: u128,
    /// Whether the chain slashed a delegation since the hub last synced its ledger.
    pub slash_unseen: bool,
    /// Every account the hub named as the owner of an unbond request.
    pub requesters: BTreeSet<String>,
    /// The hub's state after the last accepted call.
    pub last_state: Option<StateResponse>,
    instantiating: bool,
}

fn instantiate_reply(id: u64, address: &Addr) -> Reply {
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

/// A world just instantiated and checked, kept to start other inputs with the same setup.
struct Template {
    storage: TxStorage,
    env: Env,
    chain: Chain,
    accounts: Accounts,
    donated_shares: u128,
    slash_unseen: bool,
    requesters: BTreeSet<String>,
    last_state: Option<StateResponse>,
}

/// Most templates kept; all are dropped when there are more.
const MAX_TEMPLATES: usize = 4096;

thread_local! {
    /// Instantiated worlds by setup (`None`: the hub refuses that setup). An input starts
    /// from a copy, as if instantiated anew: instantiation and its checks are deterministic.
    static TEMPLATES: RefCell<HashMap<SetupChoice, Option<Template>>> = RefCell::default();
}

impl World {
    /// A hub instantiated as the setup says and checked ([`World::instantiate`], then
    /// [`World::check_identities`]), copied from the one built the first time this setup was
    /// seen; `None` if the hub refuses the configuration.
    pub fn instantiate_cached(setup: &SetupChoice) -> Option<World> {
        TEMPLATES.with(|templates| {
            let mut templates = templates.borrow_mut();
            if !templates.contains_key(setup) {
                if templates.len() >= MAX_TEMPLATES {
                    templates.clear();
                }
                let template = World::instantiate(setup).map(|mut world| {
                    world.check_identities();
                    Template {
                        storage: world.deps.storage,
                        env: world.env,
                        chain: world.chain,
                        accounts: world.accounts,
                        donated_shares: world.donated_shares,
                        slash_unseen: world.slash_unseen,
                        requesters: world.requesters,
                        last_state: world.last_state,
                    }
                });
                templates.insert(setup.clone(), template);
            }
            let template = templates[setup].as_ref()?;
            Some(World {
                deps: OwnedDeps {
                    storage: template.storage.clone(),
                    api: MockApi::default(),
                    querier: MockQuerier::default(),
                    custom_query_type: PhantomData,
                },
                env: template.env.clone(),
                chain: template.chain.clone(),
                accounts: template.accounts.clone(),
                donated_shares: template.donated_shares,
                slash_unseen: template.slash_unseen,
                requesters: template.requesters.clone(),
                last_state: template.last_state.clone(),
                instantiating: false,
            })
        })
    }

    /// Instantiates the hub as the setup says and feeds both replies; `None` if the hub
    /// refuses the configuration.
    pub fn instantiate(setup: &SetupChoice) -> Option<World> {
        let api = MockApi::default();
        let env = mock_env();
        let accounts = Accounts::new(&api, &env);
        let unbonding_period = (u64::from(setup.unbonding_days % 28) + 1) * DAY;
        let shortest_epoch = (unbonding_period + DAY).div_ceil(7);
        let epoch_period =
            shortest_epoch + shortest_epoch * u64::from(setup.epoch_extra_percent) / 100;
        let set_size = usize::from(setup.initial_validators % 4) + 1;
        let msg = InstantiateMsg {
            owner: Some(accounts.owner.to_string()),
            guardian: Some(accounts.guardian.to_string()),
            denom: DENOM.to_string(),
            token_code_id: 11,
            collector_code_id: 12,
            token: TokenInfo {
                name: "Flowstake staked token".to_string(),
                symbol: "fsSTAKE".to_string(),
                decimals: 6,
                marketing: None,
            },
            validators: CHAIN_VALIDATORS[..set_size]
                .iter()
                .zip(setup.weights)
                .map(|(address, weight)| ValidatorWeight {
                    address: address.to_string(),
                    weight: u64::from(weight),
                })
                .collect(),
            fee_receiver: accounts.fee_receiver.to_string(),
            fee_rate: Decimal::permille(u64::from(setup.fee_permille % 104)),
            min_bond: Uint128::new(setup.min_bond.value()),
            min_unbond: Uint128::new(setup.min_unbond.value()),
            epoch_period,
            unbonding_period,
            max_unbond_shortfall: Decimal::percent(u64::from(
                setup.max_unbond_shortfall_percent % 100,
            )),
            rate_bounds: RateBounds {
                max_fall: Decimal::percent(u64::from(setup.max_fall_percent % 100)),
                max_rise: Decimal::percent(u64::from(setup.max_rise_percent % 100)),
            },
            max_reward_rate: None,
        };
        let chain_validators = CHAIN_VALIDATORS.iter().map(|v| v.to_string()).collect();
        let mut world = World {
            deps: OwnedDeps {
                storage: TxStorage::default(),
                api,
                querier: MockQuerier::default(),
                custom_query_type: PhantomData,
            },
            env,
            chain: Chain::new(
                if setup.full_range_supply {
                    u128::MAX
                } else {
                    SUPPLY_CAP
                },
                DENOM,
                accounts.hub.as_str(),
                chain_validators,
                unbonding_period,
            ),
            accounts,
            donated_shares: 0,
            slash_unseen: false,
            requesters: BTreeSet::new(),
            last_state: None,
            instantiating: true,
        };

        let seed = setup.seed.value();
        let funds = coins(seed, DENOM);
        if !world.chain.receive(seed, false) {
            return None;
        }
        world.push_chain();
        let info = message_info(&world.accounts.creator, &funds);
        let response =
            contract::instantiate(world.deps.as_mut(), world.env.clone(), info, msg).ok()?;
        world
            .apply_response(&response)
            .expect("instantiation calls nothing that can fail");
        let token = world.accounts.token.clone();
        let collector = world.accounts.collector.clone();
        for (id, address) in [(REPLY_TOKEN, token), (REPLY_COLLECTOR, collector)] {
            let response = contract::reply(
                world.deps.as_mut(),
                world.env.clone(),
                instantiate_reply(id, &address),
            )
            .unwrap_or_else(|err| panic!("reply {id} of an accepted instantiation failed: {err}"));
            world
                .apply_response(&response)
                .expect("replies call nothing that can fail");
        }
        world.instantiating = false;
        Some(world)
    }
}

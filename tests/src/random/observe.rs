//! One observation of everything the invariants are about: the hub's books and the token's
//! balances, read from the contracts' storage (several times faster than through their
//! queries, which [`super::agree`] compares with it once per scenario), the bank balances, and
//! the chain's own records of the hub's stake. A refused operation must leave the whole
//! observation as it was.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::{Addr, Order, Storage, Uint128};
use cw20_base::state::{BALANCES, TOKEN_INFO};
use cw_ownable::Ownership;
use flowstake::hub::Operation;
use flowstake_hub::state::{
    validators, Batch, Config, PendingBatch, State, Submission, Validator, BATCHES, CONFIG, PAUSED,
    PENDING_BATCH, STATE, SUBMISSION, UNBOND_REQUESTS,
};

use crate::strict::StrictChain;
use crate::suite::Suite;

/// The chain's records of the hub's stake.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChainView {
    /// Validator -> what the hub's delegation is worth (none below one unit).
    pub delegations: BTreeMap<String, u128>,
    /// Validator -> the hub's unbonding entries not yet paid out, oldest first.
    pub unbonding: BTreeMap<String, Vec<ChainEntry>>,
    /// (source, destination) -> number of the hub's redelegation entries still maturing.
    pub redelegations: BTreeMap<(String, String), usize>,
    /// Bank balance of the staking pool: every bonded and unbonding token of the chain.
    pub pool: u128,
}

impl ChainView {
    pub fn delegated_total(&self) -> u128 {
        self.delegations.values().sum()
    }

    pub fn unbonding_total(&self) -> u128 {
        self.unbonding
            .values()
            .flatten()
            .map(|entry| entry.balance)
            .sum()
    }

    pub fn delegation(&self, validator: &str) -> u128 {
        self.delegations.get(validator).copied().unwrap_or(0)
    }
}

/// One unbonding entry of the hub on the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainEntry {
    /// The chain's completion time, in seconds rounded up (as the hub records it).
    pub completes_at: u64,
    /// What the chain will pay out: the entry's balance less slashes.
    pub balance: u128,
}

/// The hub, its token and the chain, as seen after one operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub now: u64,
    /// The block's height and time to the nanosecond.
    pub height: u64,
    pub time_nanos: u64,
    pub config: Config,
    pub state: State,
    pub paused: Vec<Operation>,
    pub ownership: Ownership<Addr>,
    pub pending: PendingBatch,
    /// A batch being submitted over several calls.
    pub submission: Option<Submission>,
    /// Every submitted batch by id.
    pub batches: BTreeMap<u64, Batch>,
    /// The hub's validator set and ledger by address.
    pub ledger: BTreeMap<String, Validator>,
    pub hub_native: u128,
    pub collector_native: u128,
    pub fee_receiver_native: u128,
    pub token_supply: u128,
    /// The hub's own derivative: dead shares plus the pending batch.
    pub hub_shares: u128,
    pub chain: ChainView,
    /// The chain's active (bonded) set, as `AllValidators` answers.
    pub active_set: BTreeSet<String>,
    /// The chain validators that exist (x/staking deletes one unbonded with no shares left).
    pub on_chain: BTreeSet<String>,
}

impl Observation {
    pub fn total_native(&self) -> u128 {
        self.state.total_native.u128()
    }

    pub fn total_shares(&self) -> u128 {
        self.state.total_shares.u128()
    }

    pub fn is_paused(&self, operation: Operation) -> bool {
        self.paused.contains(&operation)
    }

    /// First batch not yet reconciled, from the batches themselves.
    pub fn next_reconcile_id(&self) -> u64 {
        self.batches
            .values()
            .find(|batch| !batch.reconciled)
            .map_or(self.pending.id, |batch| batch.id)
    }
}

/// A batch nothing can change any more: reconciled and claimed in full.
fn is_settled(batch: &Batch) -> bool {
    batch.reconciled && batch.shares_claimed == batch.shares
}

/// Where an operation may move the hub's stake, so that an observation reads again only the
/// delegations that may have changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StakeMoves {
    Nowhere,
    /// A delegation to one validator: a bond.
    To(String),
    /// Time passes: unbonding entries are paid out, redelegations mature, delegations stay.
    Time,
    Anywhere,
}

/// One user's balances and requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserView {
    pub native: u128,
    pub shares: u128,
    /// (batch id, shares) of every request, in batch order.
    pub requests: Vec<(u64, u128)>,
}

impl Suite {
    /// Observes everything. Settled batches are taken from `previous` instead of being read
    /// again, since nothing can change them; so are the delegations that did not move (see
    /// [`Suite::chain_view`]).
    pub fn observe(
        &self,
        fee_receiver: &Addr,
        previous: Option<&Observation>,
        stake_moves: &StakeMoves,
    ) -> Observation {
        let hub = self.app.contract_storage(&self.hub);
        let hub: &dyn Storage = &*hub;
        let mut batches: BTreeMap<u64, Batch> = BTreeMap::new();
        if let Some(previous) = previous {
            for batch in previous.batches.values() {
                if !is_settled(batch) {
                    break;
                }
                batches.insert(batch.id, batch.clone());
            }
        }
        let start = batches.keys().next_back().map(|id| id + 1).unwrap_or(0);
        for item in BATCHES.range(
            hub,
            Some(cw_storage_plus::Bound::inclusive(start)),
            None,
            Order::Ascending,
        ) {
            let (id, batch) = item.expect("readable batch");
            batches.insert(id, batch);
        }
        let token = self.app.contract_storage(&self.token);
        let block = self.app.block_info();
        let active_set = self
            .app
            .wrap()
            .query_all_validators()
            .expect("validators")
            .into_iter()
            .map(|v| v.address)
            .collect();
        let on_chain = (0..self.validator_count())
            .map(|index| self.validator(index))
            .filter(|address| self.app.validator_state(address).is_some())
            .collect();
        Observation {
            now: self.now(),
            height: block.height,
            time_nanos: block.time.nanos(),
            config: CONFIG.load(hub).expect("config"),
            state: STATE.load(hub).expect("state"),
            paused: PAUSED.load(hub).expect("paused"),
            ownership: cw_ownable::get_ownership(hub).expect("ownership"),
            pending: PENDING_BATCH.load(hub).expect("pending batch"),
            submission: SUBMISSION.may_load(hub).expect("submission"),
            batches,
            ledger: ledger(hub),
            hub_native: self.native_balance_of(&self.hub),
            collector_native: self.native_balance_of(&self.collector),
            fee_receiver_native: self.native_balance_of(fee_receiver),
            token_supply: TOKEN_INFO
                .load(&*token)
                .expect("token info")
                .total_supply
                .u128(),
            hub_shares: balance(&*token, &self.hub),
            chain: self.chain_view(previous.map(|p| &p.chain), stake_moves),
            active_set,
            on_chain,
        }
    }

    /// The chain's records of the hub's stake, read from the chain itself. What cannot have
    /// changed is taken from `previous`: a delegation changes only by a delegation or a slash
    /// (the pool's bonded tokens move) or a redelegation (an entry appears), and unbonding
    /// entries only by an undelegation, time or a slash. The caller says where it expects
    /// stake to move; a delegation to one validator only (a bond) is read alone. An operation
    /// that moved stake it should not have is still caught: the next full read, or the next
    /// sync, finds the ledger and the chain apart.
    pub fn chain_view(&self, previous: Option<&ChainView>, stake_moves: &StakeMoves) -> ChainView {
        let pool = self.native_balance_of(&self.app.staking_pool());
        let unbonding = match (previous, stake_moves) {
            (Some(previous), StakeMoves::Nowhere | StakeMoves::To(_)) => previous.unbonding.clone(),
            _ => {
                let mut unbonding: BTreeMap<String, Vec<ChainEntry>> = BTreeMap::new();
                for (validator, entry) in self.app.unbonding_entries(&self.hub) {
                    unbonding.entry(validator).or_default().push(ChainEntry {
                        completes_at: entry.completion_time.nanos().div_ceil(1_000_000_000),
                        balance: entry.balance.u128(),
                    });
                }
                unbonding
            }
        };
        let mut redelegations: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (source, destination, _) in self.app.redelegation_entries(&self.hub) {
            *redelegations.entry((source, destination)).or_default() += 1;
        }
        let bonded = pool
            - unbonding
                .values()
                .flatten()
                .map(|entry| entry.balance)
                .sum::<u128>();
        // No delegation moved: the pool's bonded tokens are the same and no redelegation
        // entry appeared (entries only mature with time).
        let unmoved = |previous: &ChainView| {
            previous.pool - previous.unbonding_total() == bonded
                && redelegations
                    .iter()
                    .all(|(pair, count)| previous.redelegations.get(pair).unwrap_or(&0) >= count)
        };
        let delegations = match (previous, stake_moves) {
            (Some(previous), StakeMoves::Nowhere | StakeMoves::Time) if unmoved(previous) => {
                previous.delegations.clone()
            }
            (Some(previous), StakeMoves::To(validator))
                if previous.redelegations == redelegations =>
            {
                let mut delegations = previous.delegations.clone();
                let amount = self
                    .app
                    .wrap()
                    .query_delegation(&self.hub, validator)
                    .expect("delegation")
                    .map_or(0, |full| full.amount.amount.u128());
                delegations.insert(validator.clone(), amount);
                delegations.retain(|_, amount| *amount > 0);
                delegations
            }
            _ => self
                .app
                .wrap()
                .query_all_delegations(&self.hub)
                .expect("delegations")
                .into_iter()
                .map(|d| (d.validator, d.amount.amount.u128()))
                // A delegation worth less than a unit (dust shares) reads as none.
                .filter(|(_, amount)| *amount > 0)
                .collect(),
        };
        ChainView {
            delegations,
            unbonding,
            redelegations,
            pool,
        }
    }

    /// A user's balances and requests, from the bank and the contracts' storage.
    pub fn user_view(&self, user: &Addr) -> UserView {
        let hub = self.app.contract_storage(&self.hub);
        let requests = UNBOND_REQUESTS
            .prefix(user)
            .range(&*hub, None, None, Order::Ascending)
            .map(|item| {
                let (id, shares) = item.expect("readable request");
                (id, shares.u128())
            })
            .collect();
        let token = self.app.contract_storage(&self.token);
        UserView {
            native: self.native_balance_of(user),
            shares: balance(&*token, user),
            requests,
        }
    }
}

/// The hub's validator set and ledger.
fn ledger(hub: &dyn Storage) -> BTreeMap<String, Validator> {
    validators()
        .range(hub, None, None, Order::Ascending)
        .map(|item| {
            let (_, validator) = item.expect("readable ledger");
            (validator.address.clone(), validator)
        })
        .collect()
}

/// A derivative balance, from the token's storage.
fn balance(token: &dyn Storage, holder: &Addr) -> u128 {
    BALANCES
        .may_load(token, holder)
        .expect("readable balance")
        .unwrap_or(Uint128::zero())
        .u128()
}

//! `World`: a suite built from [`Params`], the harness's model of what the hub owes each user,
//! and the last observation. Each operation is executed, observed, and checked against the
//! observation before it.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::{coins, Addr, Decimal};
use cw_multi_test::{BankSudo, SudoMsg};

use super::expect::peek_target;
use super::observe::{Observation, StakeMoves};
use super::op::{Op, Params};
use super::{fail, Checked, Stats, Violation};
use crate::accounts::{DENOM, FEE_RECEIVER, GUARDIAN, KEEPER, OWNER};
use crate::builder::SuiteBuilder;
use crate::strict::StrictChain;
use crate::suite::Suite;

/// What every user is given the first time it acts: far more than any bond drawn.
pub const USER_FUNDING: u128 = 1_000_000_000_000_000;

/// One unbond request as the harness expects the hub to hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub shares: u128,
    /// When the first shares of the request were queued.
    pub queued_at: u64,
}

/// What the harness expects, kept from the operations it saw succeed.
#[derive(Debug, Default)]
pub struct Model {
    /// Native balance of each user, once funded.
    pub native: Vec<Option<u128>>,
    /// Derivative balance of each user.
    pub shares: Vec<u128>,
    /// user -> batch id -> request.
    pub requests: BTreeMap<usize, BTreeMap<u64, Request>>,
    /// batch id -> shares of the requests not yet withdrawn.
    pub batch_requests: BTreeMap<u64, u128>,
    /// Shares minted (dead shares included) and burnt since instantiation.
    pub minted: u128,
    pub burned: u128,
    /// Native bonded (seed included) and paid to users.
    pub bonded: u128,
    pub paid_out: u128,
    /// Validators the chain has slashed: their delegations convert with rounding.
    pub slashed_validators: BTreeSet<String>,
    /// Some batch up to this id had stake cut while unbonding (by a slash or the chain's
    /// rounding on a slashed validator) that reconcile has not booked yet.
    pub unbonding_cut_until: Option<u64>,
    /// Stake left on validators removed after a slash (the chain's rounding of their
    /// redelegations), by validator.
    pub stranded: BTreeMap<String, u128>,
    /// x/staking's unbonding time now, in seconds (chain governance may change it), and the
    /// longest it has been.
    pub chain_unbonding_seconds: u64,
    pub longest_chain_unbonding: u64,
    /// What the chain paid out to the hub for its unbonding entries, by completion time
    /// (seconds, rounded up): all entries of one batch share one, so this is what each batch
    /// is owed, learnt from the chain rather than from the hub.
    pub paid_by_completion: BTreeMap<u64, u128>,
    /// A shortfall reconcile split between several paid batches, newest submission first: the
    /// chain does not say which batch's entries lost it, so up to that much may sit with
    /// another batch than the one the chain shorted (the bound the design states). Cleared
    /// once no batch the chain paid is left unreconciled.
    pub shortfall_split: u128,
}

impl Model {
    pub fn add_request(&mut self, user: usize, batch: u64, shares: u128, now: u64) {
        let request = self
            .requests
            .entry(user)
            .or_default()
            .entry(batch)
            .or_insert(Request {
                shares: 0,
                queued_at: now,
            });
        request.shares += shares;
        *self.batch_requests.entry(batch).or_default() += shares;
    }

    pub fn remove_request(&mut self, user: usize, batch: u64) -> Option<Request> {
        let requests = self.requests.get_mut(&user)?;
        let request = requests.remove(&batch)?;
        if requests.is_empty() {
            self.requests.remove(&user);
        }
        let sum = self.batch_requests.entry(batch).or_default();
        *sum -= request.shares;
        if *sum == 0 {
            self.batch_requests.remove(&batch);
        }
        Some(request)
    }

    pub fn any_slash(&self) -> bool {
        !self.slashed_validators.is_empty()
    }
}

/// The accounts with a role.
#[derive(Clone, Debug)]
pub struct Roles {
    pub owner: Addr,
    pub guardian: Addr,
    pub keeper: Addr,
    pub fee_receiver: Addr,
}

/// A running scenario.
pub struct World {
    pub suite: Suite,
    pub params: Params,
    pub roles: Roles,
    users: Vec<Option<Addr>>,
    pub model: Model,
    /// The observation after the last operation.
    pub last: Observation,
    pub stats: Stats,
    /// Where the operation being played may move stake, so that the next observation reads
    /// again what may have changed.
    pub(crate) stake_moves: StakeMoves,
}

impl World {
    pub fn new(params: &Params) -> Result<Self, Violation> {
        let suite = SuiteBuilder::new()
            .validators(params.validators)
            .spare_validators(params.spare_validators)
            .unbonding_days(params.unbonding_days)
            .epoch_seconds(params.epoch_seconds)
            .apr(Decimal::permille(params.apr_permille))
            .fee_percent(params.fee_percent)
            .min_bond(params.min_bond)
            .min_unbond(params.min_unbond)
            .seed(params.seed)
            .max_unbond_shortfall(Decimal::percent(params.max_shortfall_percent))
            .rate_bounds(
                Decimal::percent(params.max_fall_percent),
                Decimal::percent(params.max_rise_percent),
            )
            .try_build()
            .map_err(|err| fail("setup", format!("the hub refused {params:?}: {err:?}")))?;
        let roles = Roles {
            owner: suite.addr(OWNER),
            guardian: suite.addr(GUARDIAN),
            keeper: suite.addr(KEEPER),
            fee_receiver: suite.addr(FEE_RECEIVER),
        };
        let last = suite.observe(&roles.fee_receiver, None, &StakeMoves::Anywhere);
        let model = Model {
            native: vec![None; params.users],
            shares: vec![0; params.users],
            minted: params.seed,
            bonded: params.seed,
            chain_unbonding_seconds: params.unbonding_days * 86_400,
            longest_chain_unbonding: params.unbonding_days * 86_400,
            ..Model::default()
        };
        let mut world = Self {
            suite,
            params: params.clone(),
            roles,
            users: vec![None; params.users],
            model,
            last,
            stats: Stats::default(),
            stake_moves: StakeMoves::Anywhere,
        };
        world
            .check_invariants()
            .and_then(|()| world.check_queries())
            .map_err(|mut violation| {
                violation.op = "instantiation".to_string();
                violation
            })?;
        Ok(world)
    }

    /// Plays the operations in order, stopping at the first violation.
    pub fn play(&mut self, ops: &[Op]) -> Checked {
        for (step, op) in ops.iter().enumerate() {
            self.stats.operations += 1;
            let refused = self.stats.refused;
            let result = self.apply(op);
            let entry = self.stats.by_op.entry(op.name()).or_default();
            entry.0 += 1;
            entry.1 += u64::from(self.stats.refused > refused);
            result.map_err(|mut violation| {
                violation.step = Some(step);
                violation.op = format!("{op:?}");
                violation
            })?;
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Checked {
        self.stake_moves = match op {
            Op::Bond { .. } => match peek_target(&self.last.ledger, &self.last.on_chain) {
                Some(target) => StakeMoves::To(target),
                None => StakeMoves::Nowhere,
            },
            // A request after the end of the epoch submits the batch.
            Op::QueueUnbond { .. } if self.suite.now() < self.last.pending.submit_after => {
                StakeMoves::Nowhere
            }
            Op::Advance { .. } | Op::AdvanceToSubmit | Op::AdvanceToMaturity => StakeMoves::Time,
            Op::QueueUnbond { .. }
            | Op::RoundTrip { .. }
            | Op::Harvest
            | Op::SubmitBatch
            | Op::RemoveValidator { .. }
            | Op::Slash { .. }
            | Op::Tombstone { .. } => StakeMoves::Anywhere,
            Op::Retire { .. } => StakeMoves::Time,
            _ => StakeMoves::Nowhere,
        };
        match *op {
            Op::Bond {
                user,
                native,
                receiver,
                min_shares_extra,
            } => self
                .bond(user, native, receiver, min_shares_extra)
                .map(|_| ()),
            Op::QueueUnbond { user, permille } => {
                let user = self.pick_user(user, |model, user| model.shares[user] > 0);
                self.queue_unbond_part(user, permille)
            }
            Op::Cancel { user } => {
                let pending = self.last.pending.id;
                let user = self.pick_user(user, |model, user| {
                    model
                        .requests
                        .get(&user)
                        .is_some_and(|r| r.contains_key(&pending))
                });
                self.cancel(user)
            }
            Op::Withdraw { user, limit } => {
                let batches = &self.last.batches;
                let reconciled = |id: &u64| batches.get(id).is_some_and(|b| b.reconciled);
                let user = self.pick_user(user, |model, user| {
                    model
                        .requests
                        .get(&user)
                        .is_some_and(|r| r.keys().any(reconciled))
                });
                self.withdraw(user, limit)
            }
            Op::Transfer { from, to, permille } => {
                let from = self.pick_user(from, |model, user| model.shares[user] > 0);
                self.transfer(from, to, permille)
            }
            Op::RoundTrip { user, native } => self.round_trip(user, native),
            Op::Donate { user, native, to } => self.donate(user, native, to),
            Op::HolderBurn { user } => {
                let user = self.pick_user(user, |model, user| model.shares[user] > 0);
                self.holder_burn(user)
            }
            Op::Harvest => self.harvest(),
            Op::Sync => self.sync(),
            Op::SubmitBatch => self.submit_batch(),
            Op::Reconcile { limit } => self.reconcile(limit).map(|_| ()),
            Op::AddValidator { validator, weight } => {
                let outside: Vec<usize> = (0..self.suite.validator_count())
                    .filter(|index| !self.last.ledger.contains_key(&self.suite.validator(*index)))
                    .collect();
                let validator = match outside.len() {
                    0 => validator,
                    _ if validator % 4 == 0 => validator,
                    count => outside[(validator / 4) % count],
                };
                self.add_validator(validator, weight)
            }
            Op::RemoveValidator { validator } => self.remove_validator(validator),
            Op::PauseValidator { validator } => self.set_validator_paused(validator, true),
            Op::UnpauseValidator { validator } => self.set_validator_paused(validator, false),
            Op::SetWeight { validator, weight } => self.set_weight(validator, weight),
            Op::Pause {
                operations,
                by_owner,
            } => self.pause(operations, by_owner),
            Op::Unpause { operations } => self.unpause(operations),
            Op::Intruder { user, kind } => self.intruder(user, kind),
            Op::Advance { seconds } => self.advance(seconds),
            Op::AdvanceToSubmit => {
                let target = self.last.pending.submit_after;
                self.advance_until(target)
            }
            Op::AdvanceToMaturity => {
                let next = self.last.next_reconcile_id();
                match self.last.batches.get(&next) {
                    Some(batch) => self.advance_until(batch.completes_at),
                    None => self.advance(self.params.epoch_seconds),
                }
            }
            Op::Slash {
                validator,
                permille,
                at_oldest_entry,
            } => self.slash(validator, permille, at_oldest_entry),
            Op::Jail { validator } => self.jail(validator, true),
            Op::Unjail { validator } => self.jail(validator, false),
            Op::Tombstone {
                validator,
                permille,
            } => self.tombstone(validator, permille),
            Op::Retire { validator } => self.retire(validator),
            Op::SetUnbondingTime { seconds } => self.set_unbonding_time(seconds),
        }
    }

    // ---------------------------------------------------------------- accounts

    /// The index of a drawn user among those of the scenario.
    pub fn user_index(&self, drawn: usize) -> usize {
        drawn % self.params.users
    }

    /// The user a drawn index names for an operation that only some users can make: three
    /// draws in four name one of those (if any), the fourth any user, so that refusals are
    /// played too.
    fn pick_user(&self, drawn: usize, eligible: impl Fn(&Model, usize) -> bool) -> usize {
        let any = self.user_index(drawn);
        if drawn % 4 == 0 {
            return any;
        }
        let candidates: Vec<usize> = (0..self.params.users)
            .filter(|user| eligible(&self.model, *user))
            .collect();
        match candidates.len() {
            0 => any,
            count => candidates[(drawn / 4) % count],
        }
    }

    /// The address of user `index`, funded the first time it is asked for.
    pub fn user(&mut self, index: usize) -> Addr {
        if let Some(address) = &self.users[index] {
            return address.clone();
        }
        let address = self.suite.app.api().addr_make(&format!("user{index}"));
        self.suite
            .app
            .sudo(SudoMsg::Bank(BankSudo::Mint {
                to_address: address.to_string(),
                amount: coins(USER_FUNDING, DENOM),
            }))
            .expect("funding a user failed");
        self.model.native[index] = Some(USER_FUNDING);
        self.users[index] = Some(address.clone());
        address
    }

    /// Users that have acted at least once, with their index.
    pub fn known_users(&self) -> Vec<(usize, Addr)> {
        self.users
            .iter()
            .enumerate()
            .filter_map(|(index, address)| address.clone().map(|a| (index, a)))
            .collect()
    }

    /// The chain validator a drawn index names (the initial set first, then the spares).
    pub fn chain_validator(&self, drawn: usize) -> String {
        self.suite.validator(drawn % self.suite.validator_count())
    }

    /// Validators of the set a slash left with shares but no tokens: x/staking refuses any
    /// delegation to them (`ErrDelegatorShareExRateInvalid`), which the hub does not foresee
    /// (`a_validator_slashed_to_zero_does_not_block_bonds`, a known finding).
    pub fn emptied_validators(&self) -> Vec<String> {
        self.last
            .ledger
            .keys()
            .filter(|address| {
                self.suite
                    .app
                    .validator_state(address)
                    .is_some_and(|v| v.tokens.is_zero() && !v.delegator_shares.is_zero())
            })
            .cloned()
            .collect()
    }

    /// Observes the world after an operation; the previous observation is returned.
    pub fn observe_next(&mut self) -> Observation {
        let next = self.suite.observe(
            &self.roles.fee_receiver,
            Some(&self.last),
            &self.stake_moves,
        );
        std::mem::replace(&mut self.last, next)
    }
}

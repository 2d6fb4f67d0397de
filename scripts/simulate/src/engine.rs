//! The simulation: the chain, the books and the checker, driven day by day. Each day the chain
//! moves forward, keepers crank, the scheduled events happen, users act in a random order, and
//! the full checks run; every transaction is followed by the step checks. A day's transactions
//! share one block.
//!
//! The users' actions are in `steps`, the keepers and the removal in `keepers`, the slash in
//! `slash`.

use std::collections::BTreeMap;

use cw_multi_test::error::AnyError;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::behaviour::{plan, Situation};
use crate::chain::Chain;
use crate::checks::{increase, Checker, Context, DailyView, Observation};
use crate::config::ScenarioConfig;
use crate::error::{Halt, SimError};
use crate::model::{Books, EveningStakes, Stage};
use crate::record::DayRecord;
use crate::rewards::RewardMeter;
use crate::summary::{Stats, Summary};

/// Users whose balances are read back from the chain each day and compared with the books.
const SAMPLED_USERS: usize = 5;
/// The bond the daily round-trip check previews.
const ROUND_TRIP_NATIVE: u128 = 1_000_000_000;

/// The stake of every validator at one moment, in the order of the initial set.
#[derive(Clone, Debug, PartialEq)]
pub struct StakeSnapshot {
    pub label: String,
    pub day: u64,
    pub stakes: Vec<u128>,
}

/// Everything a run produced. `halt` says why it stopped early, if it did.
#[derive(Debug)]
pub struct Report {
    pub summary: Summary,
    pub records: Vec<DayRecord>,
    pub snapshots: Vec<StakeSnapshot>,
    pub halt: Option<Halt>,
}

pub struct Simulation {
    pub config: ScenarioConfig,
    pub chain: Chain,
    pub books: Books,
    pub(crate) checker: Checker,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) stats: Stats,
    pub(crate) records: Vec<DayRecord>,
    pub(crate) snapshots: Vec<StakeSnapshot>,
    pub(crate) day: u64,
    /// Transactions sent so far.
    pub(crate) step: u64,
    /// The figures after the last step.
    pub(crate) last: Observation,
    /// The hub's unbonding entries on the chain; they change only when a batch is submitted,
    /// when time moves (payouts) and when a validator is slashed, and are re-read then.
    pub(crate) chain_unbonding: u128,
    /// The figures at the start of the day, for the day's totals.
    pub(crate) day_start: Observation,
    pub(crate) day_transactions: u64,
    pub(crate) day_deposits: u128,
    pub(crate) day_withdrawals: u128,
    /// Paid by instant exits today.
    pub(crate) day_instant: u128,
    /// The rewards each delegation has earned since the chain last paid it.
    pub(crate) meter: RewardMeter,
    /// The hub's stake per validator at the end of each day so far.
    pub(crate) evenings: Vec<EveningStakes>,
}

impl Simulation {
    /// Validates the scenario, funds the users and deploys the hub.
    pub fn new(config: ScenarioConfig) -> Result<Self, SimError> {
        config.validate()?;
        let apr = config.apr;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mean = config.mean_funds();
        let funds: Vec<u128> = (0..config.users)
            .map(|_| rng.random_range(mean / 2..=mean + mean / 2))
            .collect();
        let window = config.behaviour.join_window_days.clamp(1, config.days);
        let join_days: Vec<u64> = (0..config.users)
            .map(|_| rng.random_range(0..window))
            .collect();
        let setup = |err: AnyError| SimError::Setup(format!("{err:#}"));
        let chain = Chain::deploy(&config, &funds).map_err(setup)?;
        let pending = chain.pending_batch().map_err(setup)?;
        let books = Books::new(&funds, &join_days, pending.id, pending.submit_after);
        let mut simulation = Self {
            checker: Checker::new(config.liveness_bound()),
            config,
            chain,
            books,
            rng,
            stats: Stats::default(),
            records: vec![],
            snapshots: vec![],
            day: 0,
            step: 0,
            last: placeholder_observation(),
            chain_unbonding: 0,
            day_start: placeholder_observation(),
            day_transactions: 0,
            day_deposits: 0,
            day_withdrawals: 0,
            day_instant: 0,
            meter: RewardMeter::new(apr),
            evenings: vec![],
        };
        simulation.last = simulation.observe().map_err(setup)?;
        simulation.day_start = simulation.last.clone();
        Ok(simulation)
    }

    /// Runs every day of the scenario, calling `observer` at the end of each, and returns the
    /// report; a broken invariant or a failed step ends the run early with `halt` set.
    pub fn run(&mut self, observer: &mut dyn FnMut(&DayRecord)) -> Report {
        let rate_start = self.last.state.exchange_rate;
        let mut halt = None;
        for day in 0..=self.config.days {
            if let Err(stop) = self.run_day(day) {
                halt = Some(stop);
                break;
            }
            if let Some(record) = self.records.last() {
                observer(record);
            }
        }
        // A failed read only leaves the final stake out of the chart.
        let _ = self.snapshot("end of the run");
        let violations = u64::from(matches!(halt, Some(Halt::Violation(_))));
        let summary = self.summary(rate_start, violations);
        Report {
            summary,
            records: self.records.clone(),
            snapshots: self.snapshots.clone(),
            halt,
        }
    }

    fn run_day(&mut self, day: u64) -> Result<(), Halt> {
        self.day = day;
        self.day_start = self.last.clone();
        self.day_transactions = 0;
        self.day_deposits = 0;
        self.day_withdrawals = 0;
        self.day_instant = 0;
        if day > 0 {
            self.chain.advance_day();
            if let Some(evening) = self.evenings.last() {
                self.meter.accrue(&evening.stakes, crate::config::DAY);
            }
            // The end of the last block paid out the unbonding entries that matured.
            self.refresh_unbonding()?;
            self.last = self
                .observe()
                .map_err(|err| self.failed("read the new day", err))?;
            if self.config.slash_day == Some(day) {
                self.slash_event()?;
            }
            self.keepers()?;
            if self.config.removal_day == Some(day) {
                self.removal_event()?;
            }
        }
        self.users_act()?;
        self.daily_checks()?;
        self.record_day();
        Ok(())
    }

    fn users_act(&mut self) -> Result<(), Halt> {
        let mut order: Vec<usize> = (0..self.books.users.len()).collect();
        order.shuffle(&mut self.rng);
        for user in order {
            let pending_id = self.books.pending_id;
            let book = &self.books.users[user];
            let situation = Situation {
                day: self.day,
                has_pending_request: book.requests.contains_key(&pending_id),
                has_claimable: book.requests.keys().any(|id| {
                    self.books
                        .batches
                        .get(id)
                        .is_some_and(|batch| batch.stage == Stage::Reconciled)
                }),
            };
            let actions = plan(&self.config, book, situation, &mut self.rng);
            for action in actions {
                self.act(user, action)?;
            }
        }
        Ok(())
    }

    /// A step failed that should have succeeded.
    pub(crate) fn failed(&self, action: &str, err: AnyError) -> Halt {
        Halt::Failure(SimError::Step {
            day: self.day,
            action: action.to_string(),
            reason: format!("{err:#}"),
        })
    }

    pub(crate) fn context(&self, action: &str) -> Context {
        Context {
            day: self.day,
            step: self.step,
            action: action.to_string(),
        }
    }

    /// Counts a transaction about to be sent.
    pub(crate) fn count_transaction(&mut self) {
        self.step += 1;
        self.stats.transactions += 1;
        self.day_transactions += 1;
    }

    pub(crate) fn refresh_unbonding(&mut self) -> Result<(), Halt> {
        let entries = self.chain.unbondings();
        self.chain_unbonding = entries.iter().map(|(_, entry)| entry.balance.u128()).sum();
        Ok(())
    }

    /// Reads the aggregate figures the step checks need.
    pub(crate) fn observe(&self) -> Result<Observation, AnyError> {
        let chain = &self.chain;
        Ok(Observation {
            state: chain.state()?,
            pending: chain.pending_batch()?,
            supply: chain.token_supply()?,
            hub_shares: chain.shares_of(&chain.hub)?,
            hub_balance: chain.native_balance(&chain.hub)?,
            chain_delegated: chain.delegations()?.iter().map(|(_, amount)| amount).sum(),
            chain_unbonding: self.chain_unbonding,
        })
    }

    /// After a transaction whose effects are booked: books a batch submission if one happened
    /// (a keeper's, or the one a late queue request triggers), reads the figures and runs the
    /// step checks. Returns the figures from before the step; `self.last` holds the new ones.
    pub(crate) fn after_step(&mut self, action: &str) -> Result<Observation, Halt> {
        let pending = self
            .chain
            .pending_batch()
            .map_err(|err| self.failed(action, err))?;
        if pending.id != self.books.pending_id {
            self.book_submission(action, pending.submit_after)?;
        }
        self.book_payments(action)?;
        let now = self.observe().map_err(|err| self.failed(action, err))?;
        let ctx = self.context(action);
        self.checker.step(&ctx, &self.last, &now, &self.books)?;
        Ok(std::mem::replace(&mut self.last, now))
    }

    fn daily_checks(&mut self) -> Result<(), Halt> {
        let action = "daily checks";
        let view = self.daily_view().map_err(|err| self.failed(action, err))?;
        let ctx = self.context(action);
        self.checker.daily(&ctx, &self.last, &view, &self.books)?;
        Ok(())
    }

    fn daily_view(&mut self) -> Result<DailyView, AnyError> {
        let chain = &self.chain;
        let mut entries_per_validator = BTreeMap::new();
        for (validator, _) in chain.unbondings() {
            *entries_per_validator.entry(validator).or_insert(0) += 1;
        }
        let mut redelegation_entries = BTreeMap::new();
        for (source, destination, _) in chain.redelegations() {
            *redelegation_entries
                .entry((source, destination))
                .or_insert(0) += 1;
        }
        let chain_delegations: BTreeMap<String, u128> = chain.delegations()?.into_iter().collect();
        self.evenings.push(EveningStakes {
            day: self.day,
            height: chain.height(),
            stakes: chain_delegations.clone(),
        });
        let shares = chain.preview_bond(ROUND_TRIP_NATIVE)?;
        let round_trip = (ROUND_TRIP_NATIVE, chain.preview_unbond(shares)?);
        let mut sampled_users = vec![];
        for _ in 0..SAMPLED_USERS.min(chain.users.len()) {
            let user = self.rng.random_range(0..chain.users.len());
            let address = &chain.users[user];
            sampled_users.push((
                user,
                chain.shares_of(address)?,
                chain.native_balance(address)?,
            ));
        }
        Ok(DailyView {
            now: chain.now(),
            ledger: chain.ledger()?,
            chain_delegations,
            entries_per_validator,
            redelegation_entries,
            batches: chain.batches()?,
            collector_balance: chain.native_balance(&chain.collector)?,
            fee_receiver_balance: chain.native_balance(&chain.fee_receiver)?,
            round_trip,
            sampled_users,
            buffer_target: self.config.buffer_target,
        })
    }

    /// The stake of every validator on the chain now.
    pub(crate) fn snapshot(&mut self, label: &str) -> Result<(), Halt> {
        let delegations: BTreeMap<String, u128> = self
            .chain
            .delegations()
            .map_err(|err| self.failed("read delegations", err))?
            .into_iter()
            .collect();
        let stakes = self
            .chain
            .validators
            .iter()
            .map(|validator| delegations.get(validator).copied().unwrap_or(0))
            .collect();
        self.snapshots.push(StakeSnapshot {
            label: label.to_string(),
            day: self.day,
            stakes,
        });
        Ok(())
    }

    fn record_day(&mut self) {
        let now = &self.last;
        let state = &now.state;
        if !state.total_native.is_zero() {
            let share = state.buffer.u128() as f64 / state.total_native.u128() as f64;
            self.stats.buffer_share_max = self.stats.buffer_share_max.max(share);
            let low = self
                .stats
                .buffer_share_min
                .map_or(share, |min| min.min(share));
            self.stats.buffer_share_min = Some(low);
        }
        let start = &self.day_start.state.totals;
        self.records.push(DayRecord {
            day: self.day,
            time: self.chain.now(),
            exchange_rate: state.exchange_rate,
            total_native: state.total_native.u128(),
            total_shares: state.total_shares.u128(),
            chain_delegated: now.chain_delegated,
            chain_unbonding: now.chain_unbonding,
            pending_shares: now.pending.shares.u128(),
            unbonding_native: state.totals.unbonding.u128(),
            reserved_for_claims: state.reserved_for_claims.u128(),
            open_requests: self.books.open_requests(),
            holders: self.books.holders(),
            deposits: self.day_deposits,
            withdrawals: self.day_withdrawals,
            buffer: state.buffer.u128(),
            instant_paid: self.day_instant,
            rewards: increase(start.rewards, state.totals.rewards),
            fees: increase(start.fees, state.totals.fees),
            slashed_total: state.totals.slashed.u128(),
            batches_submitted: self.stats.batches_submitted,
            batches_reconciled: self.stats.batches_reconciled,
            transactions: self.day_transactions,
            checks: self.checker.performed,
        });
    }

    fn summary(&self, rate_start: cosmwasm_std::Decimal, violations: u64) -> Summary {
        let state = &self.last.state;
        let days_run = self.records.last().map_or(0, |record| record.day);
        let rate_end = state.exchange_rate;
        let (realised_apr, realised_apy) = Summary::yields(rate_start, rate_end, days_run);
        let net_apr = self.config.net_apr();
        let mut stats = self.stats.clone();
        stats.longest_until_withdrawable = self.books.longest_until_withdrawable;
        Summary {
            config: self.config.clone(),
            days_run,
            stats,
            rewards: state.totals.rewards.u128(),
            fees: state.totals.fees.u128(),
            slashed: state.totals.slashed.u128(),
            rate_start,
            rate_end,
            realised_apr,
            realised_apy,
            net_apr,
            net_apy: (1.0 + net_apr / 365.0).powi(365) - 1.0,
            batches_paid: self.books.batches.values().filter(|b| b.is_paid()).count() as u64,
            checks: self.checker.performed,
            violations,
            without_buffer: None,
        }
    }
}

/// Figures of an empty hub, replaced by the first real observation.
fn placeholder_observation() -> Observation {
    use flowstake::hub::{PendingBatchResponse, StateResponse, Totals};
    Observation {
        state: StateResponse {
            total_native: Default::default(),
            total_shares: Default::default(),
            dead_shares: Default::default(),
            exchange_rate: Default::default(),
            pending_rewards: Default::default(),
            reserved_for_claims: Default::default(),
            unlocked_surplus: Default::default(),
            unvested_rewards: Default::default(),
            suspense: Default::default(),
            buffer: Default::default(),
            buffer_goal: Default::default(),
            buffer_incoming: Default::default(),
            unbonding_time_observed: None,
            last_sync: 0,
            totals: Totals::default(),
            submission: None,
        },
        pending: PendingBatchResponse {
            id: 0,
            shares: Default::default(),
            submit_after: 0,
        },
        supply: 0,
        hub_shares: 0,
        hub_balance: 0,
        chain_delegated: 0,
        chain_unbonding: 0,
    }
}

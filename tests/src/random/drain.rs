//! The end of every scenario: governance lifts the pauses, keepers crank on time, and every
//! user withdraws everything. Invariant 9: on a live chain every queued request becomes
//! withdrawable within `epoch + unbonding` of the moment a keeper can crank it (the chain's
//! longest unbonding time of the scenario; if seven epochs do not cover it, only eventually),
//! plus a
//! few blocks of cranking (the second the chain's completion time is rounded up to, the block
//! after the completion that proves the payout, and at most two blocks waiting at submission
//! for the chain to be known to have paid an older batch), and nothing is left owed.

use std::collections::BTreeMap;

use cosmwasm_std::Decimal;
use flowstake::hub::ConfigUpdate;

use super::expect::{observe_block, room, NoRoom};
use super::op::PauseSet;
use super::world::World;
use super::{ensure, fail, Checked};
use crate::accounts::BLOCK_SECONDS;

/// Blocks of cranking the liveness bound allows beyond `epoch + unbonding_period`.
const CRANK_BLOCKS: u64 = 4;
/// Requests paid per withdrawal in the drain: the hub's maximum.
const WITHDRAW_LIMIT: u32 = 100;
/// The largest shortfall governance can accept, in percent: one accepts any loss.
const HIGHEST_BOUND: u64 = 100;
/// Batches reconciled per call in the drain: the hub's maximum.
const RECONCILE_LIMIT: u32 = 30;
/// Attempts at submitting the pending batch in the drain.
const SUBMIT_ATTEMPTS: usize = 6;

impl World {
    pub fn drain(&mut self) -> Checked {
        self.stake_moves = super::observe::StakeMoves::Anywhere;
        self.drain_steps().map_err(|mut violation| {
            violation.op = format!("drain ({})", violation.op);
            violation
        })
    }

    fn drain_steps(&mut self) -> Checked {
        self.unpause(PauseSet(0b111))?;
        let paused: Vec<String> = self
            .last
            .ledger
            .values()
            .filter(|v| v.paused)
            .map(|v| v.address.clone())
            .collect();
        for address in paused {
            let index = (0..self.suite.validator_count())
                .find(|index| self.suite.validator(*index) == address)
                .expect("a chain validator");
            self.set_validator_paused(index, false)?;
        }
        let start = self.suite.now();
        let epoch = self.last.config.epoch_period;
        let unbonding = self.last.config.unbonding_period;
        // When each batch became reconciled (those reconciled before the drain: at its start).
        let mut reconciled_at: BTreeMap<u64, u64> = self
            .last
            .batches
            .values()
            .filter(|batch| batch.reconciled)
            .map(|batch| (batch.id, start))
            .collect();

        if !self.last.pending.shares.is_zero() {
            self.advance_until(self.last.pending.submit_after)?;
            self.submit_on_time(&mut reconciled_at)?;
        }
        // A keeper reconciles as each batch completes, in the order the chain completes them
        // (not always their order of submission, when the unbonding time changed).
        let completions: std::collections::BTreeSet<u64> = self
            .last
            .batches
            .values()
            .filter(|b| !b.reconciled)
            .map(|b| b.completes_at)
            .collect();
        for completion in completions {
            self.advance_until(completion)?;
            self.reconcile_paid(&mut reconciled_at)?;
        }
        self.reconcile_paid(&mut reconciled_at)?;
        ensure(
            self.last.next_reconcile_id() == self.last.pending.id,
            "9 liveness",
            || {
                format!(
                    "batches from {} are not reconciled after every completion",
                    self.last.next_reconcile_id()
                )
            },
        )?;

        // The chain's unbonding time decides, not the hub's configuration: the longest it was
        // during the scenario. While seven epochs cover it, every request is withdrawable within
        // an epoch and that time; beyond that (the chain lengthened its unbonding time past
        // what the hub's epoch was chosen for), only eventual completion is required.
        let chain_unbonding = self.model.longest_chain_unbonding;
        let covered = chain_unbonding <= 7 * epoch;
        let bound = epoch + unbonding.max(chain_unbonding) + CRANK_BLOCKS * BLOCK_SECONDS;
        let mut due = vec![];
        for (user, requests) in &self.model.requests {
            for (id, request) in requests {
                let batch = self.last.batches.get(id).ok_or_else(|| {
                    fail(
                        "9 liveness",
                        format!("request of user{user} in batch {id}, never submitted"),
                    )
                })?;
                // A batch reconciled before the drain was withdrawable before it started.
                let withdrawable = reconciled_at.get(id).copied().unwrap_or(start);
                ensure(batch.reconciled, "9 liveness", || {
                    format!("request of user{user} in batch {id}, not reconciled")
                })?;
                // Beyond what seven epochs cover, submissions wait for the chain's entry limit
                // and no bound in epochs holds; every batch must still be reconciled (checked
                // above), and each request becomes withdrawable, below.
                let latest = if covered {
                    request.queued_at.max(start) + bound
                } else {
                    u64::MAX
                };
                due.push((*user, withdrawable, latest));
            }
        }
        for (user, withdrawable, latest) in due {
            self.stats.invariant_checks += 1;
            ensure(withdrawable <= latest, "9 liveness", || {
                format!(
                    "a request of user{user} becomes withdrawable at {withdrawable}, later \
                    than {latest} (chain unbonding {chain_unbonding} s, epoch {epoch} s)"
                )
            })?;
        }

        let owed: Vec<usize> = self.model.requests.keys().copied().collect();
        let claimable = |world: &World, user: usize| {
            world.model.requests.get(&user).is_some_and(|r| {
                r.keys()
                    .any(|id| world.last.batches.get(id).is_some_and(|b| b.reconciled))
            })
        };
        for user in owed {
            let mut calls = 0;
            while claimable(self, user) {
                calls += 1;
                ensure(calls <= 1_000, "9 liveness", || {
                    format!("user{user} cannot withdraw everything")
                })?;
                self.withdraw(user, Some(WITHDRAW_LIMIT))?;
            }
        }
        let state = &self.last.state;
        ensure(state.reserved_for_claims.is_zero(), "9 liveness", || {
            format!(
                "{} still reserved after every request was paid",
                state.reserved_for_claims
            )
        })?;
        ensure(
            self.last
                .batches
                .values()
                .filter(|b| b.reconciled)
                .all(|b| b.shares_claimed == b.shares),
            "9 liveness",
            || "a batch is not fully claimed after every request was paid".to_string(),
        )?;
        self.harvest()?;
        self.sync()?;
        self.check_queries()
    }

    /// Submits the pending batch once its epoch has ended. A refusal for room is waited out as
    /// a keeper would: open batches that are paid are reconciled, and with seven batches
    /// possibly still holding entries the keeper cranks once the oldest has completed and
    /// submits a block later. A submission the rate breaker stopped (its own sync found a
    /// loss) is tried again once governance has lifted the pause.
    fn submit_on_time(&mut self, reconciled_at: &mut BTreeMap<u64, u64>) -> Checked {
        let pending = self.last.pending.id;
        for _ in 0..SUBMIT_ATTEMPTS {
            self.unpause(PauseSet(0b111))?;
            self.submit_batch()?;
            if self.last.pending.id > pending {
                return Ok(());
            }
            match room(&self.last) {
                Ok(()) => {}
                Err(NoRoom::TooManyOpenBatches) => self.reconcile_paid(reconciled_at)?,
                Err(NoRoom::UnbondingEntriesFull) => {
                    let mut state = self.last.state.clone();
                    observe_block(&mut state, self.last.height, self.last.now);
                    let oldest = self
                        .last
                        .batches
                        .values()
                        .filter(|b| !b.reconciled && b.completes_at > state.paid_through)
                        .map(|b| b.completes_at)
                        .min();
                    if let Some(oldest) = oldest {
                        self.advance_until(oldest)?;
                    }
                    self.sync()?;
                    self.unpause(PauseSet(0b111))?;
                    self.advance(BLOCK_SECONDS)?;
                }
            }
        }
        Err(fail(
            "9 liveness",
            format!("the pending batch {pending} could not be submitted on time"),
        ))
    }

    /// Reconciles every batch known to be paid: a call that waits for proof of payout is made
    /// again a block later, and a shortfall beyond the bound is accepted by governance.
    fn reconcile_paid(&mut self, reconciled_at: &mut BTreeMap<u64, u64>) -> Checked {
        let mut calls = 0;
        loop {
            calls += 1;
            ensure(calls <= self.last.batches.len() + 4, "9 liveness", || {
                "reconcile makes no progress".to_string()
            })?;
            let before = self.last.next_reconcile_id();
            let waited = self.reconcile(Some(RECONCILE_LIMIT))?;
            let now = self.last.now;
            for batch in self.last.batches.values().filter(|b| b.reconciled) {
                reconciled_at.entry(batch.id).or_insert(now);
            }
            if self.last.next_reconcile_id() > before {
                continue;
            }
            if waited {
                self.advance(BLOCK_SECONDS)?;
                continue;
            }
            let completed = self
                .last
                .batches
                .values()
                .any(|b| !b.reconciled && b.completes_at <= self.last.now);
            if !completed {
                return Ok(());
            }
            // A shortfall beyond the bound stops reconcile for governance: it accepts the loss
            // by raising the bound, then reconcile goes on.
            if self.last.config.max_unbond_shortfall < Decimal::percent(HIGHEST_BOUND) {
                self.raise_shortfall_bound()?;
                continue;
            }
            // With the highest bound any loss is accepted: no progress is a violation.
            return Err(fail(
                "9 liveness",
                "reconcile makes no progress with the highest shortfall bound",
            ));
        }
    }

    fn raise_shortfall_bound(&mut self) -> Checked {
        let owner = self.roles.owner.clone();
        let update = ConfigUpdate {
            max_unbond_shortfall: Some(Decimal::percent(HIGHEST_BOUND)),
            ..ConfigUpdate::default()
        };
        let msg = flowstake::hub::ExecuteMsg::UpdateConfig(Box::new(update));
        self.execute_hub(&owner, &msg, &[]).map_err(|err| {
            fail(
                "9 liveness",
                format!("governance cannot raise the shortfall bound: {err:#}"),
            )
        })?;
        self.observe_next();
        self.check_invariants()
    }
}

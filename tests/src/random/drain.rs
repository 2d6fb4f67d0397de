//! The end of every scenario: governance lifts the pauses, keepers crank on time, and every
//! user withdraws everything. Invariant 9: on a live chain every queued request becomes
//! withdrawable within `epoch + unbonding_period` (plus the payout margin) of the moment a
//! keeper can crank it, and nothing is left owed.

use cosmwasm_std::Decimal;
use flowstake::hub::ConfigUpdate;

use super::op::PauseSet;
use super::world::World;
use super::{ensure, fail, Checked};

/// Time after the chain's completion of an unbonding before its batch counts as matured.
const PAYOUT_MARGIN: u64 = 3_600;
/// Requests paid per withdrawal in the drain: the hub's maximum.
const WITHDRAW_LIMIT: u32 = 100;
/// The largest shortfall governance can accept, in percent: one accepts any loss.
const HIGHEST_BOUND: u64 = 100;
/// Batches reconciled per call in the drain: the hub's maximum.
const RECONCILE_LIMIT: u32 = 30;

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

        if !self.last.pending.shares.is_zero() {
            self.advance_until(self.last.pending.submit_after)?;
            let pending = self.last.pending.id;
            self.submit_batch()?;
            ensure(self.last.pending.id == pending + 1, "9 liveness", || {
                format!("the pending batch {pending} could not be submitted on time")
            })?;
        }
        let last_completion = self
            .last
            .batches
            .values()
            .filter(|b| !b.reconciled)
            .map(|b| b.completes_at)
            .max();
        if let Some(completion) = last_completion {
            self.advance_until(completion)?;
        }
        let mut calls = 0;
        while self.last.next_reconcile_id() < self.last.pending.id {
            calls += 1;
            ensure(calls <= self.last.batches.len() + 2, "9 liveness", || {
                "reconcile makes no progress".to_string()
            })?;
            let before = self.last.next_reconcile_id();
            self.reconcile(Some(RECONCILE_LIMIT))?;
            if self.last.next_reconcile_id() > before {
                continue;
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
        let reconciled_below = self.last.next_reconcile_id();

        let bound = epoch + unbonding + PAYOUT_MARGIN;
        let mut due = vec![];
        for (user, requests) in &self.model.requests {
            for (id, request) in requests.range(..reconciled_below) {
                let batch = self.last.batches.get(id).ok_or_else(|| {
                    fail(
                        "9 liveness",
                        format!("request of user{user} in batch {id}, never submitted"),
                    )
                })?;
                due.push((*user, batch.completes_at, request.queued_at.max(start)));
            }
        }
        for (user, completes_at, from) in due {
            self.stats.invariant_checks += 1;
            ensure(completes_at <= from + bound, "9 liveness", || {
                format!(
                    "a request of user{user} becomes withdrawable at {completes_at}, later \
                    than {from} + {bound}"
                )
            })?;
        }

        let owed: Vec<usize> = self.model.requests.keys().copied().collect();
        let claimable = |world: &World, user: usize| {
            world
                .model
                .requests
                .get(&user)
                .is_some_and(|r| r.range(..reconciled_below).next().is_some())
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

//! The keepers' daily cranks (harvest, reconcile, submit) and the two scheduled events: a
//! validator slashed while batches are unbonding, and governance removing a validator.

use std::collections::BTreeSet;

use cosmwasm_std::Decimal;
use flowstake::hub::BatchStatus;

use crate::checks::increase;
use crate::engine::Simulation;
use crate::error::Halt;
use crate::hub::RECONCILE_LIMIT;
use crate::model::{mul_div_floor, Stage};

impl Simulation {
    /// Harvest (when every delegation has a reward to withdraw), reconcile the matured
    /// batches, and submit the pending batch once its epoch is over.
    pub(crate) fn keepers(&mut self) -> Result<(), Halt> {
        self.harvest()?;
        self.reconcile()?;
        self.submit()
    }

    fn harvest(&mut self) -> Result<(), Halt> {
        let action = "harvest";
        let pending = self
            .chain
            .pending_rewards()
            .map_err(|err| self.failed(action, err))?;
        if pending.smallest.unwrap_or(0) == 0 {
            self.stats.harvests_skipped += 1;
            return Ok(());
        }
        self.count_transaction();
        self.chain
            .harvest()
            .map_err(|err| self.failed(action, err))?;
        self.stats.harvests += 1;
        let before = self.after_step(action)?;

        let (old, new) = (&before.state.totals, &self.last.state.totals);
        let rewards = increase(old.rewards, new.rewards);
        let fee = increase(old.fees, new.fees);
        let unit = 10u128.pow(Decimal::DECIMAL_PLACES);
        let expected_fee = mul_div_floor(rewards, self.config.fee_rate.atomics().u128(), unit);
        // What the chain paid, plus what was already waiting in the collector.
        let paid = pending.total + before.state.pending_rewards.u128();
        let ctx = self.context(action);
        self.checker
            .ensure(&ctx, "conservation", rewards == paid && rewards > 0, || {
                format!("the hub booked {rewards} of rewards, the chain paid {paid}")
            })?;
        self.checker
            .ensure(&ctx, "conservation", fee == expected_fee, || {
                format!("harvested {rewards}, fee {fee}, floor(rewards * fee) is {expected_fee}")
            })?;
        Ok(())
    }

    fn reconcile(&mut self) -> Result<(), Halt> {
        let action = "reconcile";
        loop {
            let now = self.chain.now();
            let due: Vec<u64> = self
                .books
                .batches
                .values()
                .filter(|batch| batch.stage == Stage::Unbonding && batch.completes_at <= now)
                .map(|batch| batch.id)
                .take(RECONCILE_LIMIT as usize)
                .collect();
            if due.is_empty() {
                return Ok(());
            }
            self.count_transaction();
            self.chain
                .reconcile()
                .map_err(|err| self.failed(action, err))?;
            let ctx = self.context(action);
            let (mut received, mut settled, mut loss) = (0u128, 0u128, 0u128);
            for id in &due {
                let batch = self
                    .chain
                    .batch(*id)
                    .map_err(|err| self.failed(action, err))?;
                self.checker.ensure(
                    &ctx,
                    "liveness",
                    batch.status == BatchStatus::Reconciled,
                    || {
                        format!(
                            "batch {id} matured but reconcile left it {:?}",
                            batch.status
                        )
                    },
                )?;
                let Some(book) = self.books.batches.get(id) else {
                    continue;
                };
                received += batch.native_received.u128();
                settled += book.native_expected.saturating_sub(book.loss);
                loss += book.loss;
                let waited = book.first_queued_at.map_or(0, |t| now.saturating_sub(t));
                let bound = self.checker.liveness_bound;
                self.checker.ensure(&ctx, "liveness", waited <= bound, || {
                    format!("batch {id} became withdrawable after {waited} s, bound {bound} s")
                })?;
                self.books
                    .reconciled(*id, batch.native_received.u128(), now);
                self.stats.batches_reconciled += 1;
            }
            let before = self.after_step(action)?;

            let (old, new) = (&before.state, &self.last.state);
            let slashed = increase(old.totals.slashed, new.totals.slashed);
            let dust = new
                .unlocked_surplus
                .u128()
                .saturating_sub(old.unlocked_surplus.u128());
            let ctx = self.context(action);
            self.checker.ensure(
                &ctx,
                "batch accounting",
                received <= settled && received + dust == settled,
                || {
                    format!(
                        "batches {due:?} received {received} (+ dust {dust}), the chain paid \
                         {settled} for them"
                    )
                },
            )?;
            self.checker
                .ensure(&ctx, "conservation", slashed == loss, || {
                    format!("reconcile booked {slashed} as slashed, the chain took {loss}")
                })?;
        }
    }

    fn submit(&mut self) -> Result<(), Halt> {
        let waiting = self.books.pending().map_or(0, |batch| batch.shares);
        if self.chain.now() < self.books.submit_after || waiting == 0 {
            return Ok(());
        }
        let action = "submit batch";
        self.count_transaction();
        self.chain
            .submit_batch()
            .map_err(|err| self.failed(action, err))?;
        self.after_step(action)?;
        Ok(())
    }

    /// Books the submission of the pending batch (by a keeper, or by the queue request that
    /// came after the epoch ended) and checks its conversion at the rate.
    pub(crate) fn book_submission(&mut self, action: &str, submit_after: u64) -> Result<(), Halt> {
        let id = self.books.pending_id;
        let batch = self
            .chain
            .batch(id)
            .map_err(|err| self.failed(action, err))?;
        let state = self.chain.state().map_err(|err| self.failed(action, err))?;
        let before = &self.last.state;
        let shares = self.books.pending().map_or(0, |book| book.shares);
        let ctx = self.context(action);
        if state.totals.slashed == before.totals.slashed {
            // Without a slash found by the sync, the batch converts at the rate before it.
            let native = mul_div_floor(
                shares,
                before.total_native.u128(),
                before.total_shares.u128(),
            );
            let expected = batch.native_expected.u128();
            self.checker
                .ensure(&ctx, "batch accounting", expected == native, || {
                    format!(
                        "batch {id} of {shares} shares expects {expected}, the rate gives {native}"
                    )
                })?;
        }
        self.books.submitted(
            batch.native_expected.u128(),
            batch.submitted_at,
            batch.completes_at,
        );
        self.books.submit_after = submit_after;
        self.stats.batches_submitted += 1;
        self.refresh_unbonding()
    }

    /// Slashes one validator with stake, while batches are unbonding, then a keeper syncs.
    pub(crate) fn slash_event(&mut self) -> Result<(), Halt> {
        let action = "slash";
        let delegations = self
            .chain
            .delegations()
            .map_err(|err| self.failed(action, err))?;
        let candidates: Vec<usize> = (0..self.chain.validators.len())
            .filter(|index| {
                let validator = &self.chain.validators[*index];
                delegations
                    .iter()
                    .any(|(v, amount)| v == validator && *amount > 0)
            })
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let index = candidates[rand::RngExt::random_range(&mut self.rng, 0..candidates.len())];
        let validator = self.chain.validators[index].clone();
        self.snapshot("before the slash")?;
        let ledger = self
            .chain
            .ledger()
            .map_err(|err| self.failed(action, err))?;
        let ledger_before = ledger
            .iter()
            .find(|v| v.address == validator)
            .map_or(0, |v| v.delegated.u128());
        let entries_before = self
            .chain
            .unbondings()
            .map_err(|err| self.failed(action, err))?;
        self.chain
            .slash(&validator, self.config.slash_fraction)
            .map_err(|err| self.failed(action, err))?;
        let entries_after = self
            .chain
            .unbondings()
            .map_err(|err| self.failed(action, err))?;

        let mut hit = BTreeSet::new();
        for (old, new) in entries_before.iter().zip(&entries_after) {
            let loss = increase(new.amount, old.amount);
            if loss == 0 {
                continue;
            }
            let submitted_at = old
                .payout_at
                .seconds()
                .saturating_sub(self.config.unbonding_period);
            let batch = self.books.batches.values_mut().find(|batch| {
                batch.stage == Stage::Unbonding && batch.submitted_at == submitted_at
            });
            if let Some(batch) = batch {
                batch.loss += loss;
                hit.insert(batch.id);
            }
            self.books.loss_in_flight += loss;
            self.stats.slash_loss_unbonding += loss;
        }
        self.stats.slash_batches_hit = hit.len() as u64;
        self.refresh_unbonding()?;
        let after = self
            .chain
            .delegations()
            .map_err(|err| self.failed(action, err))?;
        let chain_after = after
            .iter()
            .find(|(v, _)| *v == validator)
            .map_or(0, |(_, a)| *a);
        let bonded_loss = ledger_before.saturating_sub(chain_after);
        self.stats.slash_loss_bonded = bonded_loss;
        self.stats.slashed_validator = Some(format!("validator{index}"));
        self.snapshot("after the slash")?;

        let action = "sync after the slash";
        self.count_transaction();
        self.chain.sync().map_err(|err| self.failed(action, err))?;
        let before = self.after_step(action)?;
        let booked = increase(before.state.totals.slashed, self.last.state.totals.slashed);
        let ctx = self.context(action);
        self.checker
            .ensure(&ctx, "conservation", booked == bonded_loss, || {
                format!("the sync booked {booked} as slashed, the chain took {bonded_loss} bonded")
            })?;
        Ok(())
    }

    /// Governance removes one validator (not the slashed one); its stake is redelegated.
    pub(crate) fn removal_event(&mut self) -> Result<(), Halt> {
        let action = "remove validator";
        let set = self
            .chain
            .ledger()
            .map_err(|err| self.failed(action, err))?;
        let slashed = self.stats.slashed_validator.clone();
        let candidates: Vec<usize> = (0..self.chain.validators.len())
            .filter(|index| Some(format!("validator{index}")) != slashed)
            .filter(|index| {
                set.iter()
                    .any(|v| v.address == self.chain.validators[*index])
            })
            .collect();
        if set.len() < 2 || candidates.is_empty() {
            return Ok(());
        }
        let index = candidates[rand::RngExt::random_range(&mut self.rng, 0..candidates.len())];
        let validator = self.chain.validators[index].clone();
        self.snapshot("before the removal")?;
        let stake = |sim: &Simulation| -> Result<u128, Halt> {
            let delegations = sim
                .chain
                .delegations()
                .map_err(|err| sim.failed(action, err))?;
            Ok(delegations
                .iter()
                .find(|(v, _)| *v == validator)
                .map_or(0, |(_, a)| *a))
        };
        let stake_before = stake(self)?;
        let owner = self.chain.owner.clone();
        self.count_transaction();
        self.chain
            .remove_validator(&owner, &validator)
            .map_err(|err| self.failed(action, err))?;
        self.after_step(action)?;
        let stake_after = stake(self)?;
        let ctx = self.context(action);
        self.checker
            .ensure(&ctx, "solvency", stake_after == 0, || {
                format!("validator{index} still holds {stake_after} of the hub's stake")
            })?;
        self.stats.removed_validator = Some(format!("validator{index}"));
        self.stats.redelegated = stake_before;
        self.snapshot("after the removal")
    }
}

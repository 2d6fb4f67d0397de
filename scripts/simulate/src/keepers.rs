//! The keepers' daily cranks (harvest, reconcile, submit) and governance removing a validator.
//! The scheduled slash is in `slash`.

use cosmwasm_std::Decimal;
use flowstake::hub::BatchStatus;

use crate::checks::increase;
use crate::engine::Simulation;
use crate::error::Halt;
use crate::hub::RECONCILE_LIMIT;
use crate::model::{mul_div_floor, Stage};

impl Simulation {
    /// Harvest (on the days the scenario says), reconcile the matured batches, and submit the
    /// pending batch once its epoch is over.
    pub(crate) fn keepers(&mut self) -> Result<(), Halt> {
        if self.day % self.config.harvest_every_days == 0 {
            self.harvest()?;
        }
        self.reconcile()?;
        self.submit()
    }

    /// Harvests: the chain pays the rewards of every delegation into the collector (a
    /// withdrawal of nothing succeeds on a chain, so the keeper never waits for rewards), and
    /// the hub books what the collector forwards: everything the chain paid into it since the
    /// last harvest, including what it paid by itself whenever a delegation changed (a bond,
    /// a batch's undelegations, the redelegations of a removal). With a daily harvest as the
    /// day's first transaction, those automatic payouts find nothing new: every transaction of
    /// a day shares its block.
    fn harvest(&mut self) -> Result<(), Halt> {
        let action = "harvest";
        let pending = self
            .chain
            .pending_rewards()
            .map_err(|err| self.failed(action, err))?;
        let reported: u128 = pending.iter().map(|(_, amount)| amount).sum();
        let earned: u128 = pending
            .iter()
            .map(|(validator, _)| self.meter.pending(validator))
            .sum();
        let ctx = self.context(action);
        let agree = pending
            .iter()
            .all(|(validator, amount)| self.meter.pending(validator) == *amount);
        self.checker.ensure(&ctx, "conservation", agree, || {
            format!(
                "the chain reports {reported} of rewards pending on the hub's delegations \
                 ({pending:?}), the APR on their stake gives {earned}"
            )
        })?;

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
        let paid = self.books.rewards_paid;
        let booked = new.rewards.u128();
        // The collector forwards all it holds, last. It can hold something again at once: the
        // hub re-stakes the forwarded rewards, and a delegation to a validator whose rewards
        // this harvest did not withdraw (a harvest withdraws from at most 32, in turn) makes
        // the chain pay them out into the collector; the next harvest books them.
        let held = self.last.state.pending_rewards.u128();
        let ctx = self.context(action);
        self.checker
            .ensure(&ctx, "conservation", booked + held == paid, || {
                format!(
                    "the hub has booked {booked} of rewards and the collector holds {held}, the \
                     chain has paid {paid} into the collector"
                )
            })?;
        if self.config.validators <= flowstake::MAX_HARVEST_WITHDRAWALS {
            self.checker.ensure(&ctx, "conservation", held == 0, || {
                format!("a harvest withdrew from every validator, yet the collector holds {held}")
            })?;
        }
        self.checker
            .ensure(&ctx, "conservation", fee == expected_fee, || {
                format!("harvested {rewards}, fee {fee}, floor(rewards * fee) is {expected_fee}")
            })?;
        // After a harvest the buffer holds no more than its goal, top-ups on their way
        // counted: the harvest stakes what is above it (a batch leaving the backing, a slash or
        // a lowered target leave it above), and the rewards fill it only up to the goal.
        let state = &self.last.state;
        let goal = state.total_native.mul_floor(self.config.buffer_target);
        let held = state.buffer + state.buffer_incoming;
        self.checker.ensure(
            &ctx,
            "buffer",
            state.buffer.is_zero() || held <= goal,
            || {
                format!(
                    "after a harvest the buffer holds {} and {} is on its way, above its goal \
                     {goal}",
                    state.buffer, state.buffer_incoming
                )
            },
        )?;
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
            let response = self
                .chain
                .reconcile()
                .map_err(|err| self.failed(action, err))?;
            let waiting_for = response
                .events
                .iter()
                .filter(|event| event.ty == "wasm")
                .flat_map(|event| event.attributes.iter())
                .find(|attribute| attribute.key == "waiting_for")
                .map(|attribute| attribute.value.clone());
            if let Some(waiting_for) = waiting_for {
                // The chain pays a batch at the end of the block its completion time reaches,
                // so the hub books it only in a later block: a batch completing since the last
                // day's block waits for tomorrow's crank, and nothing older may wait.
                self.after_step(action)?;
                let ctx = self.context(action);
                let yesterday = now.saturating_sub(crate::config::DAY);
                let late: Vec<u64> = self
                    .books
                    .batches
                    .values()
                    .filter(|batch| {
                        batch.stage == Stage::Unbonding && batch.completes_at <= yesterday
                    })
                    .map(|batch| batch.id)
                    .collect();
                self.checker.ensure(&ctx, "liveness", late.is_empty(), || {
                    format!(
                        "reconcile waits for proof of payout of batch {waiting_for}, though \
                         batches {late:?} completed before the last day's block"
                    )
                })?;
                return Ok(());
            }
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
                // The chain pays the entries what they hold less their losses; the buffer's
                // top-up in them goes to the buffer.
                settled += (book.native_expected + book.buffer_topup).saturating_sub(book.loss);
                loss += book.loss;
                let waited = self
                    .books
                    .oldest_open_request(*id)
                    .map_or(0, |t| now.saturating_sub(t));
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
            let to_buffer = increase(old.buffer, new.buffer);
            let ctx = self.context(action);
            self.checker.ensure(
                &ctx,
                "batch accounting",
                received + to_buffer <= settled && received + to_buffer + dust == settled,
                || {
                    format!(
                        "batches {due:?} received {received} and the buffer {to_buffer} (+ dust \
                         {dust}), the chain paid {settled} for them"
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
        // The chain unbonds what each undelegation asks for, or one unit less: x/staking
        // converts the amount to shares and the shares back to tokens, rounding down both
        // times, so at a validator whose shares are no longer worth one token each (after a
        // slash) the entry can lack a unit, which stays in the delegation. What the entries
        // lack is the batch's loss, booked at its reconcile.
        let height = self.chain.height();
        let entries: Vec<u128> = self
            .chain
            .unbondings()
            .into_iter()
            .filter(|(_, entry)| entry.creation_height == height)
            .map(|(_, entry)| entry.initial_balance.u128())
            .collect();
        let unbonded: u128 = entries.iter().sum();
        let expected = batch.native_expected.u128();
        // A top-up of the buffer rides in the same entries.
        let topup = batch.buffer_topup.u128();
        let asked = expected + topup;
        let rounding = asked.saturating_sub(unbonded);
        self.checker.ensure(
            &ctx,
            "batch accounting",
            unbonded <= asked && rounding <= entries.len() as u128,
            || {
                format!(
                    "batch {id} expects {expected} and tops the buffer up by {topup}, its {} \
                     unbonding entries hold {unbonded}",
                    entries.len()
                )
            },
        )?;
        let incoming = increase(before.buffer_incoming, state.buffer_incoming);
        self.checker
            .ensure(&ctx, "batch accounting", incoming == topup, || {
                format!(
                    "batch {id} tops the buffer up by {topup}, buffer_incoming rose by {incoming}"
                )
            })?;
        if topup > 0 {
            self.stats.buffer_topups += topup;
        }
        self.books.submitted(
            expected,
            topup,
            batch.submitted_at,
            batch.completes_at,
            height,
        );
        self.books.lost_in_flight(id, rounding);
        self.stats.unbond_rounding += rounding;
        self.books.submit_after = submit_after;
        self.stats.batches_submitted += 1;
        self.refresh_unbonding()
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

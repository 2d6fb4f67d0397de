//! The full checks, once a day: the ledger against the chain validator by validator, the
//! chain's limits, fees and rewards against the balances that hold them, a bond's round trip,
//! sampled users against the books, and every batch against the requests that make it up.

use std::collections::BTreeMap;

use cosmwasm_std::Decimal;
use flowstake::hub::{BatchResponse, BatchStatus, ValidatorResponse};

use super::{Checker, Context, Observation, MAX_ENTRIES};
use crate::error::Violation;
use crate::model::{Books, Stage};

/// What the engine reads once a day for the full checks.
#[derive(Clone, Debug, Default)]
pub struct DailyView {
    pub now: u64,
    pub ledger: Vec<ValidatorResponse>,
    pub chain_delegations: BTreeMap<String, u128>,
    /// The hub's unbonding entries per validator.
    pub entries_per_validator: BTreeMap<String, usize>,
    /// The hub's redelegation entries not yet matured, per (source, destination).
    pub redelegation_entries: BTreeMap<(String, String), usize>,
    pub batches: Vec<BatchResponse>,
    pub collector_balance: u128,
    pub fee_receiver_balance: u128,
    /// A bond of `round_trip.0` previewed, then its shares previewed back: `round_trip.1`.
    pub round_trip: (u128, u128),
    /// Sampled users: (index, derivative on the chain, native on the chain).
    pub sampled_users: Vec<(usize, u128, u128)>,
    /// The hub's configured share of the backing kept as a buffer.
    pub buffer_target: Decimal,
}

impl Checker {
    /// The full checks, once a day.
    pub fn daily(
        &mut self,
        ctx: &Context,
        now: &Observation,
        view: &DailyView,
        books: &Books,
    ) -> Result<(), Violation> {
        let state = &now.state;
        // The ledger adds up to the backing less the buffer (held in the hub, or riding in
        // batches' entries) plus the rewards not yet vested into it, and never exceeds the
        // chain, validator by validator.
        let ledger_total: u128 = view.ledger.iter().map(|v| v.delegated.u128()).sum();
        let buffer = state.buffer.u128() + state.buffer_incoming.u128();
        self.ensure(
            ctx,
            "solvency",
            ledger_total + buffer == state.total_native.u128() + state.unvested_rewards.u128(),
            || {
                format!(
                    "the ledger adds up to {ledger_total} and the buffer {buffer}, total_native \
                     + unvested_rewards is {} + {}",
                    state.total_native, state.unvested_rewards
                )
            },
        )?;
        for validator in &view.ledger {
            let on_chain = view
                .chain_delegations
                .get(&validator.address)
                .copied()
                .unwrap_or(0);
            self.ensure(
                ctx,
                "solvency",
                validator.delegated.u128() <= on_chain,
                || {
                    format!(
                        "the ledger has {} at {} but the chain holds {on_chain}",
                        validator.delegated, validator.address
                    )
                },
            )?;
        }
        // Chain limits, which the chain itself enforces: a batch needing an eighth entry would
        // have failed to submit.
        for (validator, entries) in &view.entries_per_validator {
            self.ensure(ctx, "chain limits", *entries <= MAX_ENTRIES, || {
                format!("{entries} unbonding entries at {validator}")
            })?;
        }
        for ((source, destination), entries) in &view.redelegation_entries {
            self.ensure(ctx, "chain limits", *entries <= MAX_ENTRIES, || {
                format!("{entries} redelegation entries from {source} to {destination}")
            })?;
        }
        self.ensure(
            ctx,
            "conservation",
            view.collector_balance == state.pending_rewards.u128(),
            || {
                format!(
                    "pending_rewards {} but the collector holds {}",
                    state.pending_rewards, view.collector_balance
                )
            },
        )?;
        self.ensure(
            ctx,
            "conservation",
            view.fee_receiver_balance == state.totals.fees.u128(),
            || {
                format!(
                    "fees booked {} but the fee receiver holds {}",
                    state.totals.fees, view.fee_receiver_balance
                )
            },
        )?;
        // The buffer's goal is its target share of the backing.
        let goal = state.total_native.mul_floor(view.buffer_target).u128();
        self.ensure(ctx, "buffer", state.buffer_goal.u128() == goal, || {
            format!(
                "the buffer's goal is {}, its target of total_native is {goal}",
                state.buffer_goal
            )
        })?;
        let (bonded, returned) = view.round_trip;
        self.ensure(ctx, "no round trip profits", returned <= bonded, || {
            format!("a bond of {bonded} previews back as {returned}")
        })?;
        for (user, shares, wallet) in &view.sampled_users {
            let book = &books.users[*user];
            self.ensure(
                ctx,
                "supply",
                *shares == book.shares && *wallet == book.wallet,
                || {
                    format!(
                        "user{user} holds {shares} derivative and {wallet} native on the chain, \
                         the books say {} and {}",
                        book.shares, book.wallet
                    )
                },
            )?;
        }
        self.batches(ctx, view, books)
    }

    /// Every batch the hub records matches the requests that make it up, pays at most its
    /// part, and becomes withdrawable in time.
    fn batches(&mut self, ctx: &Context, view: &DailyView, books: &Books) -> Result<(), Violation> {
        let submitted = books
            .batches
            .values()
            .filter(|b| b.stage != Stage::Pending)
            .count();
        self.ensure(
            ctx,
            "batch accounting",
            view.batches.len() == submitted,
            || {
                format!(
                    "the hub records {} batches, {submitted} were submitted",
                    view.batches.len()
                )
            },
        )?;
        for batch in &view.batches {
            let Some(book) = books.batches.get(&batch.id) else {
                return Err(self.fail(
                    ctx,
                    "batch accounting",
                    format!("unknown batch {}", batch.id),
                ));
            };
            let stage = match batch.status {
                BatchStatus::Pending => Stage::Pending,
                BatchStatus::Unbonding => Stage::Unbonding,
                BatchStatus::Reconciled => Stage::Reconciled,
            };
            let matches = stage == book.stage
                && batch.shares.u128() == book.shares
                && batch.native_expected.u128() == book.native_expected
                && batch.native_received.u128() == book.native_received
                && batch.shares_claimed.u128() == book.shares_claimed
                && batch.native_claimed.u128() == book.native_claimed
                && batch.native_claimed <= batch.native_received;
            self.ensure(ctx, "batch accounting", matches, || {
                format!(
                    "batch {} is {batch:?}, its requests make {book:?}",
                    batch.id
                )
            })?;
        }
        for book in books.batches.values() {
            if book.stage == Stage::Reconciled {
                continue;
            }
            let Some(first) = books.oldest_open_request(book.id) else {
                continue;
            };
            let waited = view.now.saturating_sub(first);
            let bound = self.liveness_bound;
            self.ensure(ctx, "liveness", waited <= bound, || {
                format!(
                    "a request in batch {} has waited {waited} s, the bound is {bound} s",
                    book.id
                )
            })?;
        }
        Ok(())
    }

    fn fail(&mut self, ctx: &Context, invariant: &'static str, detail: String) -> Violation {
        self.performed += 1;
        Violation {
            day: ctx.day,
            step: ctx.step,
            action: ctx.action.clone(),
            invariant,
            detail,
        }
    }
}

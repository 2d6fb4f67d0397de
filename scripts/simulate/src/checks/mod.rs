//! The invariants of the design, checked after every step from aggregate figures only (a
//! handful of queries), and once a day against everything the chain and the hub record.
//!
//! The checker is pure: the engine reads the figures and hands them over, so each check is a
//! comparison of numbers and counts towards `performed`. The daily checks are in `daily`.

mod daily;

pub use daily::DailyView;

use cosmwasm_std::{Decimal, Uint128, Uint256};
use flowstake::hub::{PendingBatchResponse, StateResponse};

use crate::error::Violation;
use crate::model::{mul_div_floor, Books};

/// x/staking `MaxEntries`: the most unbonding entries per delegator-validator pair, and
/// redelegation entries per (delegator, source, destination).
pub const MAX_ENTRIES: usize = 7;

/// What the engine reads after every step.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub state: StateResponse,
    pub pending: PendingBatchResponse,
    /// The token's total supply.
    pub supply: u128,
    /// The hub's own derivative balance (dead shares and the pending batch).
    pub hub_shares: u128,
    /// The hub's native bank balance.
    pub hub_balance: u128,
    /// The hub's delegations on the chain, in total.
    pub chain_delegated: u128,
    /// The hub's unbonding entries on the chain, in total.
    pub chain_unbonding: u128,
}

/// Where a check runs: the day, the step number and the step's name.
#[derive(Clone, Debug)]
pub struct Context {
    pub day: u64,
    pub step: u64,
    pub action: String,
}

#[derive(Debug, Default)]
pub struct Checker {
    /// Checks evaluated so far.
    pub performed: u64,
    /// The longest a request may take to become withdrawable.
    pub liveness_bound: u64,
}

/// How much a running total grew from `old` to `new` (zero if it shrank).
pub fn increase(old: Uint128, new: Uint128) -> u128 {
    new.u128().saturating_sub(old.u128())
}

fn wide(value: u128) -> Uint256 {
    Uint256::from(value)
}

impl Checker {
    pub fn new(liveness_bound: u64) -> Self {
        Self {
            performed: 0,
            liveness_bound,
        }
    }

    /// Counts one check and turns a failure into a violation.
    pub fn ensure(
        &mut self,
        ctx: &Context,
        invariant: &'static str,
        holds: bool,
        detail: impl FnOnce() -> String,
    ) -> Result<(), Violation> {
        self.performed += 1;
        if holds {
            return Ok(());
        }
        Err(Violation {
            day: ctx.day,
            step: ctx.step,
            action: ctx.action.clone(),
            invariant,
            detail: detail(),
        })
    }

    /// The checks run after every step, comparing `now` with the books and with `before`.
    pub fn step(
        &mut self,
        ctx: &Context,
        before: &Observation,
        now: &Observation,
        books: &Books,
    ) -> Result<(), Violation> {
        let state = &now.state;
        let totals = &state.totals;
        let (native, shares) = (state.total_native.u128(), state.total_shares.u128());
        let dead = state.dead_shares.u128();
        let pending = now.pending.shares.u128();

        // Supply: the token's supply is the hub's count, and it is what the users hold plus
        // the dead shares plus the pending batch.
        self.ensure(ctx, "supply", now.supply == shares, || {
            format!("token supply {} but total_shares {shares}", now.supply)
        })?;
        let accounted = books.user_shares + dead + pending;
        self.ensure(ctx, "supply", accounted == shares, || {
            format!(
                "users hold {} + dead shares {dead} + pending {pending} = {accounted}, but \
                 total_shares is {shares}",
                books.user_shares
            )
        })?;
        self.ensure(ctx, "supply", now.hub_shares == dead + pending, || {
            format!(
                "the hub holds {} derivative, not dead shares {dead} + pending {pending}",
                now.hub_shares
            )
        })?;

        // Batch accounting of the pending batch.
        let booked = books.pending().map_or(0, |batch| batch.shares);
        let same_batch = now.pending.id == books.pending_id && pending == booked;
        self.ensure(ctx, "batch accounting", same_batch, || {
            format!(
                "pending batch {} holds {pending} shares, the requests in batch {} add up to \
                 {booked}",
                now.pending.id, books.pending_id
            )
        })?;

        // Conservation, to the unit.
        let inflow = totals.bonded + totals.rewards + totals.surplus;
        let outflow = state.total_native
            + state.unvested_rewards
            + totals.unbonding
            + state.reserved_for_claims
            + state.unlocked_surplus
            + totals.paid_out
            + totals.fees
            + totals.slashed
            + totals.instant_paid;
        self.ensure(ctx, "conservation", inflow == outflow, || {
            format!(
                "bonded + rewards + surplus = {inflow} but total_native + unvested_rewards + \
                 unbonding + reserved + unlocked_surplus + paid_out + fees + slashed + \
                 instant_paid = {outflow} \
                 ({totals:?})"
            )
        })?;

        // Every reward the chain paid into the collector is booked by the hub or still waits in
        // the collector for the next harvest.
        let rewards_held = totals.rewards + state.pending_rewards;
        self.ensure(
            ctx,
            "conservation",
            rewards_held.u128() == books.rewards_paid,
            || {
                format!(
                    "the chain paid {} of rewards into the collector, the hub booked {} and the \
                     collector holds {}",
                    books.rewards_paid, totals.rewards, state.pending_rewards
                )
            },
        )?;

        // The rate is what the ledger says, and moves only for a reason.
        self.ensure(
            ctx,
            "rate",
            Decimal::checked_from_ratio(native, shares).ok() == Some(state.exchange_rate),
            || {
                format!(
                    "exchange_rate {} is not {native} / {shares}",
                    state.exchange_rate
                )
            },
        )?;
        self.rate_moves(ctx, before, now)?;

        // Claims of reconciled batches are reserved, and the reserve is in the balance.
        let reserved = state.reserved_for_claims.u128();
        let unlocked = state.unlocked_surplus.u128() + state.buffer.u128();
        self.ensure(
            ctx,
            "solvency",
            now.hub_balance >= reserved + unlocked,
            || {
                format!(
                    "hub balance {} below reserved_for_claims {reserved} + unlocked_surplus \
                     and buffer {unlocked}",
                    now.hub_balance
                )
            },
        )?;
        self.ensure(ctx, "solvency", books.owed_reconciled <= reserved, || {
            format!(
                "reconciled requests are owed {} but only {reserved} is reserved",
                books.owed_reconciled
            )
        })?;

        // Solvency: every claim at today's figures is backed by what the chain holds for the
        // hub. A submitted batch claims what it expected less what the chain has slashed from
        // its entries (booked at its reconcile).
        let unbonding = totals.unbonding.u128();
        let unbonding_claims = unbonding.saturating_sub(books.loss_in_flight);
        let holder_claims = mul_div_floor(books.user_shares + pending, native, shares);
        let claims = holder_claims + unbonding_claims + books.owed_reconciled;
        let backing = now.chain_delegated + now.chain_unbonding + now.hub_balance;
        self.ensure(ctx, "solvency", claims <= backing, || {
            format!(
                "claims {claims} (holders {holder_claims}, unbonding {unbonding_claims}, \
                 reconciled {}) exceed the backing {backing}",
                books.owed_reconciled
            )
        })?;
        // The ledger's delegations are the backing and the rewards not yet vested into it.
        let unvested = state.unvested_rewards.u128();
        self.ensure(
            ctx,
            "solvency",
            native - state.buffer.u128() - state.buffer_incoming.u128() + unvested
                <= now.chain_delegated,
            || {
                format!(
                    "the ledger's total_native {native} + unvested_rewards {unvested} exceeds \
                     the chain's delegations {}",
                    now.chain_delegated
                )
            },
        )?;

        // Unbonding: what the chain still owes plus what arrived and is not booked yet is
        // exactly what the submitted batches expect and the buffer's top-ups riding with them,
        // less the chain's known losses.
        let arrived = now.hub_balance.saturating_sub(reserved + unlocked);
        let incoming = state.buffer_incoming.u128();
        self.ensure(
            ctx,
            "batch accounting",
            now.chain_unbonding + arrived == unbonding_claims + incoming,
            || {
                format!(
                    "the chain owes {} and {arrived} arrived unbooked, but the submitted batches \
                     expect {unbonding} and top-ups {incoming}, less known losses {}",
                    now.chain_unbonding, books.loss_in_flight
                )
            },
        )
    }

    /// The rate never falls except through a slash, and never rises except through rewards,
    /// surplus, exit fees or unvested rewards vesting, beyond rounding: one step moves the backing by less than one unit per
    /// share at the old rate (`N2 * S1 - N1 * S2 < max(N1, S1)`).
    fn rate_moves(
        &mut self,
        ctx: &Context,
        before: &Observation,
        now: &Observation,
    ) -> Result<(), Violation> {
        let (old, new) = (&before.state, &now.state);
        let lhs = wide(new.total_native.u128()) * wide(old.total_shares.u128());
        let rhs = wide(old.total_native.u128()) * wide(new.total_shares.u128());
        let slashed = new.totals.slashed > old.totals.slashed;
        self.ensure(ctx, "rate moves", lhs >= rhs || slashed, || {
            format!(
                "the rate fell from {} to {} without a slash",
                old.exchange_rate, new.exchange_rate
            )
        })?;
        let earned = new.totals.rewards > old.totals.rewards
            || new.totals.surplus > old.totals.surplus
            || new.totals.exit_fees > old.totals.exit_fees
            || new.unlocked_surplus < old.unlocked_surplus
            || new.unvested_rewards < old.unvested_rewards;
        let rounding = wide(old.total_native.u128().max(old.total_shares.u128()));
        let within = lhs < rhs || lhs - rhs < rounding;
        self.ensure(ctx, "rate moves", within || earned, || {
            format!(
                "the rate rose from {} to {} without rewards or surplus",
                old.exchange_rate, new.exchange_rate
            )
        })
    }
}

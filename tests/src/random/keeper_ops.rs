//! Keepers: harvest, sync, batch submission and reconcile, each starting with a ledger sync.

use cosmwasm_std::Uint128;
use std::collections::BTreeMap;

use flowstake::hub::{ExecuteMsg, Operation};
use flowstake::MAX_SUBMIT_UNDELEGATIONS;
use flowstake_hub::error::ContractError as HubError;
use flowstake_hub::state::{Batch, PendingBatch, Submission};

use super::expect::{
    apply_sync, delegate, is_first_of_split, last_sent, mul_div, peek_target, room, sync, vest,
    NoRoom,
};
use super::observe::Observation;
use super::outcome::{same, same_books, same_delegations, Refusal};
use super::world::World;
use super::{ensure, fail, Checked};
use crate::strict::ChainError;

/// Batches reconciled per call unless asked for fewer, and at most.
const DEFAULT_RECONCILE_LIMIT: u32 = 10;
const MAX_RECONCILE_LIMIT: u32 = 30;

impl World {
    pub fn harvest(&mut self) -> Checked {
        let keeper = self.roles.keeper.clone();
        let result = self.execute_hub(&keeper, &ExecuteMsg::Harvest {}, &[]);
        let before = self.observe_next();
        let synced = sync(&before);
        self.no_inflow_trips(&synced)?;
        let paused = before.is_paused(Operation::Harvest);
        let no_target = peek_target(&synced.ledger, &before.on_chain).is_none();
        let emptied = self.emptied_validators();
        let err = match result {
            Err(err) => err,
            Ok(_) => {
                ensure(!paused, "8 refusals", || {
                    "harvest accepted while paused".to_string()
                })?;
                let rewards = (self.last.state.totals.rewards - before.state.totals.rewards).u128();
                let fee = Uint128::new(rewards)
                    .mul_floor(before.config.fee_rate)
                    .u128();
                let surplus = before.state.unlocked_surplus.u128();
                let now = before.now;
                let mut expected = before.clone();
                apply_sync(&mut expected, &synced);
                let mut deltas = vec![];
                let mut vested = synced.vested;
                // The surplus found at reconcile is re-staked as unvested rewards, then the
                // collector's forward stakes the rewards less the fee the same way; each vests
                // what the time allows.
                let harvest_target = |expected: &mut Observation, amount: u128| {
                    delegate(&mut expected.ledger, &before.on_chain, amount).ok_or_else(|| {
                        fail("8 refusals", "harvest delegated with no active validator")
                    })
                };
                if surplus > 0 {
                    let target = harvest_target(&mut expected, surplus)?;
                    deltas.push((target, surplus as i128));
                    expected.state.unvested_rewards += Uint128::new(surplus);
                    vested += vest(&mut expected.state, &before.config, now);
                    expected.state.unlocked_surplus = Uint128::zero();
                    expected.hub_native -= surplus;
                }
                if rewards > 0 {
                    let staked = rewards - fee;
                    if staked > 0 {
                        let target = harvest_target(&mut expected, staked)?;
                        deltas.push((target, staked as i128));
                    }
                    expected.state.unvested_rewards += Uint128::new(staked);
                    expected.state.totals.rewards += Uint128::new(rewards);
                    expected.state.totals.fees += Uint128::new(fee);
                    vested += vest(&mut expected.state, &before.config, now);
                    expected.fee_receiver_native += fee;
                }
                same_books("harvest", &expected, &self.last)?;
                ensure(rewards >= before.collector_native, "2 conservation", || {
                    format!(
                        "harvest booked {rewards} rewards, the collector alone held {}",
                        before.collector_native
                    )
                })?;
                // The forward empties the collector. Only a delegation the harvest itself makes
                // can refill it: to a validator whose rewards it did not withdraw (its ledger
                // was zero, its shares worth less than a unit), the chain pays them on the spot,
                // for the next harvest.
                if deltas.is_empty() {
                    same(
                        "harvest",
                        "collector after the forward",
                        &0,
                        &self.last.collector_native,
                    )?;
                }
                let after_chain = self.last.chain.clone();
                same_delegations(self, &before.chain, &after_chain, &deltas, false)?;
                self.check_rate_move(&before, synced.native_loss, synced.surplus + vested)?;
                return self.check_invariants();
            }
        };
        self.refused(&err, &before, &[], |refusal| match refusal {
            Refusal::Hub(HubError::Paused { operation }) => {
                *operation == Operation::Harvest && paused
            }
            Refusal::Hub(HubError::NoActiveValidator {}) => no_target,
            Refusal::Chain(ChainError::InvalidExchangeRate { address }) => {
                emptied.contains(address)
            }
            _ => false,
        })
    }

    pub fn sync(&mut self) -> Checked {
        let keeper = self.roles.keeper.clone();
        let result = self.execute_hub(&keeper, &ExecuteMsg::Sync {}, &[]);
        let before = self.observe_next();
        if let Err(err) = result {
            return self.refused(&err, &before, &[], |_| false);
        }
        let synced = sync(&before);
        self.no_inflow_trips(&synced)?;
        let mut expected = before.clone();
        apply_sync(&mut expected, &synced);
        same_books("sync", &expected, &self.last)?;
        same("sync", "chain", &before.chain, &self.last.chain)?;
        self.check_rate_move(&before, synced.native_loss, synced.surplus + synced.vested)?;
        self.check_invariants()
    }

    pub fn submit_batch(&mut self) -> Checked {
        let keeper = self.roles.keeper.clone();
        let result = self.execute_hub(&keeper, &ExecuteMsg::SubmitBatch {}, &[]);
        let before = self.observe_next();
        let paused = before.is_paused(Operation::Unbond);
        let early = before.now < before.pending.submit_after;
        let empty = before.pending.shares.is_zero();
        let room = room(&before);
        match result {
            Ok(_) => {
                ensure(
                    !paused && !early && !empty && room.is_ok(),
                    "8 refusals",
                    || {
                        format!(
                            "submission accepted (paused {paused}, early {early}, empty \
                            {empty}, room {room:?})"
                        )
                    },
                )?;
                self.check_submission(&before, before.pending.shares.u128(), &[])
                    .map(|_| ())
            }
            Err(err) => self.refused(&err, &before, &[], |refusal| match refusal {
                Refusal::Hub(HubError::Paused { operation }) => {
                    *operation == Operation::Unbond && paused
                }
                Refusal::Hub(HubError::EpochNotElapsed { .. }) => early,
                Refusal::Hub(HubError::EmptyBatch { .. }) => empty,
                Refusal::Hub(HubError::TooManyOpenBatches { .. }) => {
                    room == Err(NoRoom::TooManyOpenBatches)
                }
                Refusal::Hub(HubError::UnbondingEntriesFull { .. }) => {
                    room == Err(NoRoom::UnbondingEntriesFull)
                }
                _ => false,
            }),
        }
    }

    /// A submission of `batch_shares` (the pending batch with any request that came with it):
    /// the ledger is synced, the shares are converted at the synced rate rounding down and
    /// burnt, and the native is undelegated in proportion to the ledger (invariant 7: no part
    /// exceeds a delegation, and the chain holds at most seven entries per validator). The
    /// batch completes when the chain says: this block's time plus its unbonding time, rounded
    /// up to the second. If the sync moved the rate beyond its bounds, nothing is submitted:
    /// the sync and the pause stand, the request waits in the pending batch. Returns whether
    /// the batch was submitted.
    pub fn check_submission(
        &mut self,
        before: &Observation,
        batch_shares: u128,
        users: &[usize],
    ) -> Result<bool, super::Violation> {
        let synced = sync(before);
        self.no_inflow_trips(&synced)?;
        let now = before.now;
        let mut expected = before.clone();
        apply_sync(&mut expected, &synced);
        if synced.beyond_bounds {
            expected.pending.shares = Uint128::new(batch_shares);
            expected.hub_shares = before.state.dead_shares.u128() + batch_shares;
            same_books("submit stopped by the rate breaker", &expected, &self.last)?;
            same("submit", "chain", &before.chain, &self.last.chain)?;
            self.check_rate_move(before, synced.native_loss, synced.surplus + synced.vested)?;
            self.check_users(users)?;
            self.check_invariants()?;
            return Ok(false);
        }
        let native = mul_div(batch_shares, synced.total_native, before.total_shares());
        expected.state.total_native -= Uint128::new(native);
        expected.state.total_shares -= Uint128::new(batch_shares);
        expected.state.totals.unbonding += Uint128::new(native);
        // The chain's completion time of the batch's entries; a batch worth nothing
        // undelegates nothing and completes at once.
        let completes_at = if native == 0 {
            now
        } else {
            let completion = before.time_nanos + self.chain_unbonding_time() * 1_000_000_000;
            let completes_at = completion.div_ceil(1_000_000_000);
            expected.state.unbonding_time_observed = Some(completes_at - now);
            completes_at
        };
        let id = before.pending.id;
        expected.batches.insert(
            id,
            Batch {
                id,
                reconciled: false,
                shares: Uint128::new(batch_shares),
                native_expected: Uint128::new(native),
                native_received: Uint128::zero(),
                submitted_at: now,
                submitted_height: before.height,
                completes_at,
                shares_claimed: Uint128::zero(),
                native_claimed: Uint128::zero(),
                // The random operations run without a buffer.
                buffer_topup: Uint128::zero(),
            },
        );
        expected.pending = PendingBatch {
            id: id + 1,
            shares: Uint128::zero(),
            submit_after: now + before.config.epoch_period,
        };
        expected.token_supply -= batch_shares;
        expected.hub_shares = before.state.dead_shares.u128();

        // What each validator gave: in proportion to the synced ledger.
        let after_ledger = &self.last.ledger;
        let mut parts = vec![];
        for (address, validator) in &synced.ledger {
            let left = after_ledger.get(address).map_or(0, |v| v.delegated.u128());
            let part = validator
                .delegated
                .u128()
                .checked_sub(left)
                .ok_or_else(|| {
                    fail(
                        "submit",
                        format!("submission raised the ledger of {address}"),
                    )
                })?;
            parts.push((address.clone(), part));
        }
        let weights: Vec<u128> = synced.ledger.values().map(|v| v.delegated.u128()).collect();
        let amounts: Vec<u128> = parts.iter().map(|(_, part)| *part).collect();
        // At most MAX_SUBMIT_UNDELEGATIONS parts in this call, the first of the split in
        // address order; the rest stays delegated for the calls that follow.
        let sent: u128 = amounts.iter().sum();
        let left = native - sent;
        ensure(
            is_first_of_split(native, &weights, &amounts, left),
            "submit",
            || format!("undelegated {amounts:?} of {native} against the ledger {weights:?}"),
        )?;
        expected.state.submitting = Uint128::new(left);
        expected.submission = (left > 0).then(|| Submission {
            batch_id: id,
            after: last_sent(&parts),
        });
        let mut expected_ledger = synced.ledger.clone();
        for (address, part) in &parts {
            expected_ledger
                .get_mut(address)
                .expect("in the ledger")
                .delegated -= Uint128::new(*part);
        }
        expected.ledger = expected_ledger;
        same_books("submit", &expected, &self.last)?;

        let after_chain = self.last.chain.clone();
        let deltas: Vec<(String, i128)> = parts
            .iter()
            .map(|(a, p)| (a.clone(), -(*p as i128)))
            .collect();
        same_delegations(self, &before.chain, &after_chain, &deltas, false)?;
        let mut arrived = 0;
        for (address, part) in parts.iter().filter(|(_, part)| *part > 0) {
            let old = before
                .chain
                .unbonding
                .get(address)
                .cloned()
                .unwrap_or_default();
            let new = after_chain
                .unbonding
                .get(address)
                .cloned()
                .unwrap_or_default();
            let entry = match new.split_last() {
                Some((entry, rest)) if rest == old.as_slice() => entry.balance,
                _ => {
                    return Err(fail(
                        "7 chain",
                        format!("unbonding entries at {address}: {old:?} -> {new:?}"),
                    ))
                }
            };
            let tolerance = u128::from(self.model.slashed_validators.contains(address));
            ensure(
                entry <= *part && entry + tolerance >= *part,
                "7 chain",
                || format!("undelegated {part} from {address}, the chain's entry holds {entry}"),
            )?;
            arrived += entry;
        }
        if arrived < sent {
            self.model.unbonding_cut_until = Some(id);
        }
        self.collector_grew(before)?;
        self.model.burned += batch_shares;
        self.check_rate_move(before, synced.native_loss, synced.surplus + synced.vested)?;
        self.check_users(users)?;
        self.check_invariants()?;
        // A keeper sends the rest of a batch spread over more validators at once, in the same
        // block, one call after another, each checked as it comes.
        let mut calls = 0;
        while self.last.submission.is_some() {
            calls += 1;
            ensure(calls <= 30, "submit", || {
                "a submission still unfinished after 30 calls".to_string()
            })?;
            self.continue_submission()?;
        }
        Ok(true)
    }

    /// One further call of a submission spread over several: the ledger is synced (a loss on
    /// a validator still to come is shared with the batch), then what is left is split over
    /// the validators after the cursor in proportion to the ledger (all they hold if they hold
    /// no more than is left), and at most MAX_SUBMIT_UNDELEGATIONS of those parts are sent, in
    /// address order. The batch completes with its last entries.
    fn continue_submission(&mut self) -> Checked {
        let keeper = self.roles.keeper.clone();
        let result = self.execute_hub(&keeper, &ExecuteMsg::SubmitBatch {}, &[]);
        let before = self.observe_next();
        result.map_err(|err| fail("submit", format!("continuing a submission: {err:?}")))?;
        let submission = before.submission.clone().expect("a submission in progress");
        let synced = sync(&before);
        let mut expected = before.clone();
        apply_sync(&mut expected, &synced);
        let left = synced.state.submitting.u128();
        let to_come: Vec<(String, u128)> = synced
            .ledger
            .values()
            .filter(|v| v.address > submission.after && !v.delegated.is_zero())
            .map(|v| (v.address.clone(), v.delegated.u128()))
            .collect();
        let holding: u128 = to_come.iter().map(|(_, d)| d).sum();
        let mut parts = vec![];
        for (address, validator) in &synced.ledger {
            let after = self
                .last
                .ledger
                .get(address)
                .map_or(0, |v| v.delegated.u128());
            let part = validator
                .delegated
                .u128()
                .checked_sub(after)
                .ok_or_else(|| {
                    fail(
                        "submit",
                        format!("continuation raised the ledger of {address}"),
                    )
                })?;
            parts.push((address.clone(), part));
        }
        let sent: u128 = parts.iter().map(|(_, p)| p).sum();
        let by_address: BTreeMap<&String, u128> = parts.iter().map(|(a, p)| (a, *p)).collect();
        ensure(
            parts
                .iter()
                .all(|(a, p)| *p == 0 || to_come.iter().any(|(c, _)| c == a)),
            "submit",
            || format!("a continuation undelegated outside the validators to come: {parts:?}"),
        )?;
        let weights: Vec<u128> = to_come.iter().map(|(_, d)| *d).collect();
        let amounts: Vec<u128> = to_come.iter().map(|(a, _)| by_address[a]).collect();
        let planned_ok = if left >= holding {
            let take = weights
                .iter()
                .filter(|d| **d > 0)
                .count()
                .min(MAX_SUBMIT_UNDELEGATIONS);
            amounts[..take] == weights[..take] && amounts[take..].iter().all(|a| *a == 0)
        } else {
            is_first_of_split(left, &weights, &amounts, left - sent)
        };
        ensure(planned_ok, "submit", || {
            format!("continuation undelegated {amounts:?} of {left} against {weights:?}")
        })?;
        let remaining = left - sent;
        for (address, part) in &parts {
            expected
                .ledger
                .get_mut(address)
                .expect("in the ledger")
                .delegated -= Uint128::new(*part);
        }
        expected.state.submitting = Uint128::new(remaining);
        let consumed_all = amounts.iter().filter(|a| **a > 0).count()
            == weights.iter().filter(|w| **w > 0).count();
        expected.submission = (remaining > 0).then(|| Submission {
            batch_id: submission.batch_id,
            after: if consumed_all {
                String::new()
            } else {
                last_sent(&parts)
            },
        });
        if sent > 0 {
            let completion = before.time_nanos + self.chain_unbonding_time() * 1_000_000_000;
            let batch = expected
                .batches
                .get_mut(&submission.batch_id)
                .expect("the batch being submitted");
            batch.completes_at = batch.completes_at.max(completion.div_ceil(1_000_000_000));
        }
        same_books("submit (continued)", &expected, &self.last)?;
        let deltas: Vec<(String, i128)> = parts
            .iter()
            .map(|(a, p)| (a.clone(), -(*p as i128)))
            .collect();
        let after_chain = self.last.chain.clone();
        same_delegations(self, &before.chain, &after_chain, &deltas, false)?;
        self.check_rate_move(&before, synced.native_loss, synced.surplus + synced.vested)?;
        self.check_invariants()
    }

    /// The chain's unbonding time: the scenario's, or what chain governance last set.
    pub fn chain_unbonding_time(&self) -> u64 {
        self.model.chain_unbonding_seconds
    }

    /// Reconcile. After its sync (which records this block), the open batches whose completion
    /// is at or before `paid_through` are paid; if another one has completed by now without
    /// being known as paid, the chain may have paid it into the balance already, so nothing is
    /// attributed and only the sync stands. Otherwise the paid batches settle against what
    /// arrived (the balance less what is reserved and the surplus); a shortfall is charged
    /// newest submission first, refused if any batch's part is beyond the bound; up to the
    /// limit are settled, oldest completion first; with every paid batch settled, the rest is
    /// a stray transfer, booked as surplus. Returns whether the call waited.
    pub fn reconcile(&mut self, limit: Option<u32>) -> Result<bool, super::Violation> {
        let keeper = self.roles.keeper.clone();
        let result = self.execute_hub(&keeper, &ExecuteMsg::Reconcile { limit }, &[]);
        let before = self.observe_next();
        let take = limit
            .unwrap_or(DEFAULT_RECONCILE_LIMIT)
            .clamp(1, MAX_RECONCILE_LIMIT) as usize;
        let synced = sync(&before);
        self.no_inflow_trips(&synced)?;
        let paid_through = synced.state.paid_through;
        let cursor = before.state.next_reconcile_id;
        let open: Vec<&Batch> = before
            .batches
            .range(cursor..)
            .map(|(_, batch)| batch)
            .filter(|batch| !batch.reconciled)
            .collect();
        let (paid, unpaid): (Vec<&Batch>, Vec<&Batch>) = open
            .into_iter()
            .partition(|batch| batch.completes_at <= paid_through);
        let waiting = unpaid.iter().any(|batch| batch.completes_at <= before.now);
        let state = &before.state;
        let arrived = before
            .hub_native
            .saturating_sub(state.reserved_for_claims.u128())
            .saturating_sub(state.unlocked_surplus.u128());
        let expected_total: u128 = paid.iter().map(|b| b.native_expected.u128()).sum();
        let shortfall = expected_total.saturating_sub(arrived);
        // Newest submission first (ties: the later batch).
        let mut newest_first: Vec<usize> = (0..paid.len()).collect();
        newest_first.sort_by_key(|&i| std::cmp::Reverse((paid[i].submitted_height, i)));
        let mut charges = vec![0; paid.len()];
        let mut left = shortfall;
        for index in newest_first {
            charges[index] = left.min(paid[index].native_expected.u128());
            left -= charges[index];
        }
        let max_shortfall = before.config.max_unbond_shortfall;
        let too_short = paid.iter().zip(&charges).any(|(batch, charge)| {
            let expected = batch.native_expected.u128();
            let tolerated = batch.native_expected.mul_floor(max_shortfall).u128();
            expected - charge < expected - tolerated
        });
        let err = match result {
            Err(err) => err,
            Ok(_) => {
                ensure(
                    waiting || (!paid.is_empty() && !too_short),
                    "8 refusals",
                    || {
                        format!(
                            "reconcile accepted: {} paid, {arrived} arrived of {expected_total}, \
                        charged {charges:?}",
                            paid.len()
                        )
                    },
                )?;
                let mut expected = before.clone();
                apply_sync(&mut expected, &synced);
                if !waiting {
                    if paid.len() > 1 {
                        self.model.shortfall_split += shortfall;
                    }
                    let mut order: Vec<usize> = (0..paid.len()).collect();
                    order.sort_by_key(|&i| (paid[i].completes_at, paid[i].id));
                    order.truncate(take);
                    let (mut booked, mut charged, mut expected_now) = (0, 0, 0);
                    for &index in &order {
                        let batch = paid[index];
                        let received = batch.native_expected.u128() - charges[index];
                        let entry = expected.batches.get_mut(&batch.id).expect("paid batch");
                        entry.native_received = Uint128::new(received);
                        entry.reconciled = true;
                        booked += received;
                        charged += charges[index];
                        expected_now += batch.native_expected.u128();
                    }
                    let stray = if order.len() == paid.len() {
                        arrived.saturating_sub(expected_total)
                    } else {
                        0
                    };
                    let state = &mut expected.state;
                    state.reserved_for_claims += Uint128::new(booked);
                    state.unlocked_surplus += Uint128::new(stray);
                    state.totals.surplus += Uint128::new(stray);
                    state.totals.slashed += Uint128::new(charged);
                    state.totals.unbonding -= Uint128::new(expected_now);
                    state.next_reconcile_id = expected
                        .batches
                        .range(cursor..)
                        .find(|(_, batch)| !batch.reconciled)
                        .map_or(before.pending.id, |(id, _)| *id);
                    // A shortfall is a loss, a stray transfer a gain, neither beyond what the
                    // balance shows.
                    ensure(
                        charged <= shortfall && stray <= arrived.saturating_sub(expected_total),
                        "2 conservation",
                        || {
                            format!(
                                "reconcile books a loss of {charged} and a surplus of {stray}: \
                                {booked} of {expected_now} received, {arrived} arrived of \
                                {expected_total}"
                            )
                        },
                    )?;
                }
                same_books("reconcile", &expected, &self.last)?;
                same("reconcile", "chain", &before.chain, &self.last.chain)?;
                self.check_rate_move(&before, synced.native_loss, synced.surplus + synced.vested)?;
                self.check_invariants()?;
                return Ok(waiting);
            }
        };
        self.refused(&err, &before, &[], |refusal| match refusal {
            Refusal::Hub(HubError::NothingToReconcile {}) => !waiting && paid.is_empty(),
            Refusal::Hub(HubError::ShortfallTooLarge { .. }) => !waiting && too_short,
            _ => false,
        })?;
        Ok(false)
    }
}

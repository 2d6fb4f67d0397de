//! Keepers: harvest, sync, batch submission and reconcile, each starting with a ledger sync.

use cosmwasm_std::Uint128;
use flowstake::hub::{ExecuteMsg, Operation};
use flowstake_hub::error::ContractError as HubError;
use flowstake_hub::state::{Batch, PendingBatch};

use super::expect::{apply_sync, delegate, delegation_target, is_pro_rata, mul_div, sync};
use super::observe::Observation;
use super::outcome::{same, same_books, same_delegations, Refusal};
use super::world::World;
use super::{ensure, fail, Checked};
use crate::strict::ChainError;

/// Batches reconciled per call unless asked for fewer, and at most.
const DEFAULT_RECONCILE_LIMIT: u32 = 10;
const MAX_RECONCILE_LIMIT: u32 = 30;
/// Time after the chain's completion of an unbonding before its batch counts as matured.
const PAYOUT_MARGIN: u64 = 3_600;

impl World {
    pub fn harvest(&mut self) -> Checked {
        let keeper = self.roles.keeper.clone();
        let result = self.execute_hub(&keeper, &ExecuteMsg::Harvest {}, &[]);
        let before = self.observe_next();
        let synced = sync(&before);
        let paused = before.is_paused(Operation::Harvest);
        let no_target = delegation_target(&synced.ledger).is_none();
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
                let mut expected = before.clone();
                apply_sync(&mut expected, &synced, before.now);
                let mut deltas = vec![];
                for amount in [surplus, rewards - fee] {
                    if amount > 0 {
                        let target = delegate(&mut expected.ledger, amount).ok_or_else(|| {
                            fail("8 refusals", "harvest delegated with no active validator")
                        })?;
                        deltas.push((target, amount as i128));
                    }
                }
                expected.state.total_native += Uint128::new(surplus + rewards - fee);
                expected.state.unlocked_surplus = Uint128::zero();
                expected.hub_native -= surplus;
                expected.state.totals.rewards += Uint128::new(rewards);
                expected.state.totals.fees += Uint128::new(fee);
                expected.fee_receiver_native += fee;
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
                self.check_rate_move(
                    &before,
                    synced.slashed,
                    synced.surplus + surplus + rewards - fee,
                )?;
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
        let mut expected = before.clone();
        apply_sync(&mut expected, &synced, before.now);
        same_books("sync", &expected, &self.last)?;
        same("sync", "chain", &before.chain, &self.last.chain)?;
        self.check_rate_move(&before, synced.slashed, synced.surplus)?;
        self.check_invariants()
    }

    pub fn submit_batch(&mut self) -> Checked {
        let keeper = self.roles.keeper.clone();
        let result = self.execute_hub(&keeper, &ExecuteMsg::SubmitBatch {}, &[]);
        let before = self.observe_next();
        let paused = before.is_paused(Operation::Unbond);
        let early = before.now < before.pending.submit_after;
        let empty = before.pending.shares.is_zero();
        match result {
            Ok(_) => {
                ensure(!paused && !early && !empty, "8 refusals", || {
                    format!("submission accepted (paused {paused}, early {early}, empty {empty})")
                })?;
                self.check_submission(&before, before.pending.shares.u128(), &[])
            }
            Err(err) => self.refused(&err, &before, &[], |refusal| match refusal {
                Refusal::Hub(HubError::Paused { operation }) => {
                    *operation == Operation::Unbond && paused
                }
                Refusal::Hub(HubError::EpochNotElapsed { .. }) => early,
                Refusal::Hub(HubError::EmptyBatch { .. }) => empty,
                _ => false,
            }),
        }
    }

    /// A submission of `batch_shares` (the pending batch with any request that came with it):
    /// the ledger is synced, the shares are converted at the synced rate rounding down and
    /// burnt, and the native is undelegated in proportion to the ledger (invariant 7: no part
    /// exceeds a delegation, and the chain holds at most seven entries per validator).
    pub fn check_submission(
        &mut self,
        before: &Observation,
        batch_shares: u128,
        users: &[usize],
    ) -> Checked {
        let synced = sync(before);
        let native = mul_div(batch_shares, synced.total_native, before.total_shares());
        let now = before.now;
        let mut expected = before.clone();
        apply_sync(&mut expected, &synced, now);
        expected.state.total_native -= Uint128::new(native);
        expected.state.total_shares -= Uint128::new(batch_shares);
        expected.state.totals.unbonding += Uint128::new(native);
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
                submitted_height: 0,
                completes_at: now + before.config.unbonding_period,
                shares_claimed: Uint128::zero(),
                native_claimed: Uint128::zero(),
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
        ensure(is_pro_rata(native, &weights, &amounts), "submit", || {
            format!("undelegated {amounts:?} of {native} against the ledger {weights:?}")
        })?;
        expected.ledger = after_ledger.clone();
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
                Some((entry, rest)) if rest == old.as_slice() => *entry,
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
        if arrived < native {
            self.model.unbonding_cut_until = Some(id);
        }
        self.collector_grew(before)?;
        self.model.burned += batch_shares;
        self.check_rate_move(before, synced.slashed, synced.surplus)?;
        self.check_users(users)?;
        self.check_invariants()
    }

    pub fn reconcile(&mut self, limit: Option<u32>) -> Checked {
        let keeper = self.roles.keeper.clone();
        let result = self.execute_hub(&keeper, &ExecuteMsg::Reconcile { limit }, &[]);
        let before = self.observe_next();
        let take = limit
            .unwrap_or(DEFAULT_RECONCILE_LIMIT)
            .clamp(1, MAX_RECONCILE_LIMIT) as usize;
        let matured: Vec<&Batch> = before
            .batches
            .values()
            .filter(|batch| !batch.reconciled)
            .take_while(|batch| batch.completes_at <= before.now)
            .collect();
        let expected_total: u128 = matured.iter().map(|b| b.native_expected.u128()).sum();
        let state = &before.state;
        let arrived = before
            .hub_native
            .saturating_sub(state.reserved_for_claims.u128())
            .saturating_sub(state.unlocked_surplus.u128());
        let tolerated = Uint128::new(expected_total)
            .mul_floor(before.config.max_unbond_shortfall)
            .u128();
        let too_short = arrived < expected_total - tolerated;
        // The chain pays an unbonding out an hour before its batch counts as matured: while the
        // next batch is in that hour, the balance cannot be told apart between the batches.
        let payout_pending = before
            .batches
            .values()
            .filter(|batch| !batch.reconciled)
            .find(|batch| batch.completes_at > before.now)
            .is_some_and(|batch| batch.completes_at - PAYOUT_MARGIN <= before.now);
        let err = match result {
            Err(err) => err,
            Ok(_) => {
                ensure(
                    !matured.is_empty() && !too_short && !payout_pending,
                    "8 refusals",
                    || {
                        format!(
                            "reconcile accepted: {} matured, {arrived} arrived of {expected_total}",
                            matured.len()
                        )
                    },
                )?;
                return self.check_reconcile(
                    &before,
                    &matured[..matured.len().min(take)],
                    expected_total,
                    arrived,
                );
            }
        };
        self.refused(&err, &before, &[], |refusal| match refusal {
            Refusal::Hub(HubError::NothingToReconcile {}) => matured.is_empty(),
            Refusal::Hub(HubError::ShortfallTooLarge { .. }) => too_short,
            _ => false,
        })
    }

    /// Reconcile of `booked` (the oldest matured batches, up to the limit): each receives what
    /// it expected if everything arrived, otherwise the same fraction of it, rounded down, so
    /// a shortfall is shared pro rata whatever the limit. What they did not receive is booked
    /// as a loss, at most; a stray transfer as surplus, at most what arrived beyond what every
    /// matured batch expected. The rest of the books balance by conservation (invariant 2).
    fn check_reconcile(
        &mut self,
        before: &Observation,
        booked: &[&Batch],
        expected_total: u128,
        arrived: u128,
    ) -> Checked {
        let synced = sync(before);
        let mut expected = before.clone();
        apply_sync(&mut expected, &synced, before.now);
        let mut received_sum = 0;
        let mut expected_sum = 0;
        for batch in booked {
            let due = if arrived >= expected_total {
                batch.native_expected.u128()
            } else {
                mul_div(batch.native_expected.u128(), arrived, expected_total)
            };
            let entry = expected.batches.get_mut(&batch.id).expect("booked batch");
            entry.native_received = Uint128::new(due);
            entry.reconciled = true;
            received_sum += due;
            expected_sum += batch.native_expected.u128();
        }
        expected.state.next_reconcile_id = booked.last().map_or(0, |b| b.id) + 1;
        expected.state.reserved_for_claims += Uint128::new(received_sum);
        expected.state.totals.unbonding -= Uint128::new(expected_sum);

        let actual = &self.last.state;
        let loss = actual
            .totals
            .slashed
            .u128()
            .checked_sub(expected.state.totals.slashed.u128());
        let stray = actual
            .totals
            .surplus
            .u128()
            .checked_sub(expected.state.totals.surplus.u128());
        let bounded = matches!(loss, Some(loss) if loss <= expected_sum - received_sum)
            && matches!(stray, Some(stray) if stray <= arrived.saturating_sub(expected_total))
            && actual.unlocked_surplus >= before.state.unlocked_surplus;
        ensure(bounded, "2 conservation", || {
            format!(
                "reconcile booked a loss of {loss:?} and a surplus of {stray:?}: \
                {received_sum} of {expected_sum} received, {arrived} arrived of \
                {expected_total}"
            )
        })?;
        expected.state.totals.slashed = actual.totals.slashed;
        expected.state.totals.surplus = actual.totals.surplus;
        expected.state.unlocked_surplus = actual.unlocked_surplus;
        same_books("reconcile", &expected, &self.last)?;
        same("reconcile", "chain", &before.chain, &self.last.chain)?;
        self.check_rate_move(before, synced.slashed, synced.surplus)?;
        self.check_invariants()
    }
}

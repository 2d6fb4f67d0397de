//! The invariants that hold in every state, checked on each observation, and the rule on how
//! the exchange rate may move across one operation (invariant 4).

use std::collections::BTreeSet;

use cosmwasm_std::Uint256;

use super::expect::mul_div;
use super::world::World;
use super::{ensure, Checked};
use crate::strict::MAX_ENTRIES;

impl World {
    /// Invariants 1, 2, 3, 6 and 7 on the last observation (4, 5 and 8 are about what an
    /// operation did: its checks make them).
    pub fn check_invariants(&mut self) -> Checked {
        self.stats.invariant_checks += 5;
        self.solvency()?;
        self.conservation()?;
        self.supply()?;
        self.batch_accounting()?;
        self.chain_limits()
    }

    /// Invariant 1: what holders and batches can claim never exceeds what backs it: on the hub's
    /// books always, and on the chain whenever the hub has seen every loss (a slash is booked by
    /// the next sync, a cut in unbonding stake once every batch that shares it is reconciled:
    /// reconcile charges a shortfall to the batches it settles together newest first, so a
    /// batch reconciled with the cut one may carry it instead).
    fn solvency(&mut self) -> Checked {
        let next_reconcile = self.last.next_reconcile_id();
        let matured_waiting = self
            .last
            .batches
            .values()
            .any(|batch| !batch.reconciled && batch.completes_at <= self.last.now);
        if !matured_waiting
            && matches!(self.model.unbonding_cut_until, Some(id) if id < next_reconcile)
        {
            self.model.unbonding_cut_until = None;
        }
        let obs = &self.last;
        let state = &obs.state;
        let total_native = obs.total_native();
        let total_shares = obs.total_shares();
        let holder_claims = mul_div(
            total_shares - state.dead_shares.u128(),
            total_native,
            total_shares,
        );
        let unbonding_claims: u128 = obs
            .batches
            .values()
            .filter(|batch| !batch.reconciled)
            .map(|batch| batch.native_expected.u128())
            .sum();
        let reconciled_owed: u128 = obs
            .batches
            .values()
            .filter(|batch| batch.reconciled)
            .map(|batch| {
                mul_div(
                    batch.native_received.u128(),
                    (batch.shares - batch.shares_claimed).u128(),
                    batch.shares.u128(),
                )
            })
            .sum();
        let reserved = state.reserved_for_claims.u128();
        let unlocked = state.unlocked_surplus.u128();
        ensure(reconciled_owed <= reserved, "1 solvency", || {
            format!(
                "reserved_for_claims {reserved} below what reconciled requests can claim \
                {reconciled_owed}"
            )
        })?;
        let buffer = state.buffer.u128();
        ensure(
            obs.hub_native >= reserved + unlocked + buffer,
            "1 solvency",
            || {
                format!(
                "hub balance {} below reserved {reserved} plus unlocked surplus {unlocked} plus \
                 buffer {buffer}",
                obs.hub_native
            )
            },
        )?;
        // What the chain paid for batches not yet reconciled is held, never booked as surplus
        // nor re-staked while they are owed (batches completing in the same second share one
        // payout, counted once), but for a shortfall split between batches settled apart.
        let owed_completions: BTreeSet<u64> = obs
            .batches
            .values()
            .filter(|batch| !batch.reconciled)
            .map(|batch| batch.completes_at)
            .collect();
        let owed: u128 = owed_completions
            .iter()
            .filter_map(|at| self.model.paid_by_completion.get(at))
            .sum();
        if owed == 0 {
            self.model.shortfall_split = 0;
        }
        let split = self.model.shortfall_split;
        ensure(
            obs.hub_native + split >= reserved + unlocked + owed,
            "1 solvency",
            || {
                format!(
                    "hub balance {} below reserved {reserved}, unlocked surplus {unlocked} and \
                    {owed} the chain paid for batches not yet reconciled (less a shortfall \
                    split of {split})",
                    obs.hub_native
                )
            },
        )?;
        ensure(
            state.totals.unbonding.u128() == unbonding_claims,
            "1 solvency",
            || {
                format!(
                    "totals.unbonding {} is not the sum of the unreconciled batches \
                    {unbonding_claims}",
                    state.totals.unbonding
                )
            },
        )?;
        let unseen_bonded_loss = obs
            .ledger
            .values()
            .any(|v| v.delegated.u128() > obs.chain.delegation(&v.address));
        if unseen_bonded_loss || self.model.unbonding_cut_until.is_some() {
            return Ok(());
        }
        let claims = holder_claims + unbonding_claims + reconciled_owed;
        let backing = obs.chain.delegated_total() + obs.chain.unbonding_total() + obs.hub_native;
        ensure(claims <= backing, "1 solvency", || {
            format!("claims {claims} exceed the chain's backing {backing}")
        })
    }

    /// Invariant 2: native in = native staked + paid out + fees + slashes, to the unit; and each
    /// total agrees with what the harness saw happen.
    fn conservation(&self) -> Checked {
        let obs = &self.last;
        let state = &obs.state;
        let totals = &state.totals;
        let inflow = totals.bonded + totals.rewards + totals.surplus;
        let outflow = state.total_native
            + state.unvested_rewards
            + totals.paid_out
            + totals.fees
            + totals.slashed
            + state.reserved_for_claims
            + state.unlocked_surplus
            + totals.unbonding
            + totals.instant_paid;
        ensure(inflow == outflow, "2 conservation", || {
            format!(
                "bonded + rewards + surplus = {inflow}, but staked + unvested + paid out + \
                fees + slashed + reserved + unlocked + unbonding + instant paid = {outflow} \
                ({totals:?})"
            )
        })?;
        ensure(
            totals.bonded.u128() == self.model.bonded,
            "2 conservation",
            || {
                format!(
                    "totals.bonded {} but {} was bonded",
                    totals.bonded, self.model.bonded
                )
            },
        )?;
        ensure(
            totals.paid_out.u128() == self.model.paid_out,
            "2 conservation",
            || {
                format!(
                    "totals.paid_out {} but users received {}",
                    totals.paid_out, self.model.paid_out
                )
            },
        )?;
        ensure(
            obs.fee_receiver_native == totals.fees.u128(),
            "2 conservation",
            || {
                format!(
                    "the fee receiver holds {} but totals.fees is {}",
                    obs.fee_receiver_native, totals.fees
                )
            },
        )
    }

    /// Invariant 3: supply = shares minted - shares burnt; the hub holds the dead shares and the
    /// pending batch, nothing else.
    fn supply(&self) -> Checked {
        let obs = &self.last;
        let expected = self.model.minted - self.model.burned;
        ensure(
            obs.token_supply == expected && obs.total_shares() == expected,
            "3 supply",
            || {
                format!(
                    "supply {} and total_shares {} but {expected} minted less burnt",
                    obs.token_supply,
                    obs.total_shares()
                )
            },
        )?;
        let held = obs.state.dead_shares.u128() + obs.pending.shares.u128();
        ensure(obs.hub_shares == held, "3 supply", || {
            format!(
                "the hub holds {} derivative, dead shares plus pending are {held}",
                obs.hub_shares
            )
        })?;
        ensure(
            obs.state.dead_shares.u128() == self.params.seed,
            "3 supply",
            || {
                format!(
                    "dead shares {} are not the seed {}",
                    obs.state.dead_shares, self.params.seed
                )
            },
        )
    }

    /// Invariant 6: each batch's requests add up to its unclaimed shares; nobody was paid more than
    /// the batch received; a batch never receives more than it expected.
    fn batch_accounting(&self) -> Checked {
        let obs = &self.last;
        let requested = |id: u64| self.model.batch_requests.get(&id).copied().unwrap_or(0);
        ensure(
            requested(obs.pending.id) == obs.pending.shares.u128(),
            "6 batches",
            || {
                format!(
                    "pending batch holds {} shares, its requests {}",
                    obs.pending.shares,
                    requested(obs.pending.id)
                )
            },
        )?;
        for batch in obs.batches.values() {
            let unclaimed = (batch.shares - batch.shares_claimed).u128();
            ensure(requested(batch.id) == unclaimed, "6 batches", || {
                format!(
                    "batch {} has {unclaimed} unclaimed shares, its requests {}",
                    batch.id,
                    requested(batch.id)
                )
            })?;
            let consistent = batch.shares_claimed <= batch.shares
                && batch.native_claimed <= batch.native_received
                && batch.native_received <= batch.native_expected
                && (batch.reconciled || batch.shares_claimed.is_zero());
            ensure(consistent, "6 batches", || {
                format!("inconsistent batch {batch:?}")
            })?;
        }
        ensure(
            obs.state.next_reconcile_id == obs.next_reconcile_id(),
            "6 batches",
            || {
                format!(
                    "the reconcile cursor {} is not the first unreconciled batch {}",
                    obs.state.next_reconcile_id,
                    obs.next_reconcile_id()
                )
            },
        )?;
        let known = |id: &u64| *id == obs.pending.id || obs.batches.contains_key(id);
        ensure(
            self.model.batch_requests.keys().all(known),
            "6 batches",
            || {
                format!(
                    "requests in unknown batches: {:?}",
                    self.model.batch_requests
                )
            },
        )
    }

    /// Invariant 7: the chain's limits hold, no stake sits on a validator outside the set, and the
    /// ledger adds up and never exceeds the chain unless a slash is still unseen.
    fn chain_limits(&self) -> Checked {
        let obs = &self.last;
        for (validator, entries) in &obs.chain.unbonding {
            ensure(entries.len() <= MAX_ENTRIES, "7 chain limits", || {
                format!("{} unbonding entries at {validator}", entries.len())
            })?;
        }
        for (pair, entries) in &obs.chain.redelegations {
            ensure(*entries <= MAX_ENTRIES, "7 chain limits", || {
                format!("{entries} redelegation entries for {pair:?}")
            })?;
        }
        for (validator, amount) in &obs.chain.delegations {
            let stranded = self.model.stranded.get(validator).copied().unwrap_or(0);
            ensure(
                *amount <= stranded || obs.ledger.contains_key(validator),
                "7 chain limits",
                || format!("{amount} left delegated to {validator}, which is not in the set"),
            )?;
        }
        // The ledger holds the backing, the rewards delegated but not yet vested and what a
        // batch being submitted over several calls still has delegated.
        let ledger_total: u128 = obs.ledger.values().map(|v| v.delegated.u128()).sum();
        let staked =
            obs.total_native() - obs.state.buffer.u128() - obs.state.buffer_incoming.u128()
                + obs.state.unvested_rewards.u128()
                + obs.state.submitting.u128();
        ensure(ledger_total == staked, "7 chain limits", || {
            format!(
                "the ledger adds up to {ledger_total}, total_native {} less buffer {} plus \
                 unvested {} plus submitting {}",
                obs.total_native(),
                obs.state.buffer,
                obs.state.unvested_rewards,
                obs.state.submitting
            )
        })?;
        if self.model.any_slash() {
            return Ok(());
        }
        for validator in obs.ledger.values() {
            let on_chain = obs.chain.delegation(&validator.address);
            ensure(
                validator.delegated.u128() <= on_chain,
                "7 chain limits",
                || {
                    format!(
                        "ledger of {} is {} but the chain holds {on_chain}, and nothing was \
                        slashed",
                        validator.address, validator.delegated
                    )
                },
            )?;
        }
        Ok(())
    }

    /// No inflow pauses anything: rewards and donations enter the rate gradually, so the rate
    /// bounds trip only on what the chain took (a slash), never on what anyone sent.
    pub fn no_inflow_trips(&mut self, synced: &super::expect::Synced) -> Checked {
        self.stats.invariant_checks += 1;
        ensure(!synced.inflow_tripped, "9 inflows", || {
            format!(
                "the rate bounds tripped on an inflow: {} vested, {} surplus",
                synced.vested, synced.surplus
            )
        })
    }

    /// Invariant 4: across the last operation the rate fell only by `slashed` (a loss the operation
    /// booked) and rose only by `added` (rewards and surplus it re-staked); conversions (mint,
    /// burn) may move it by one unit of rounding, in favour of the protocol.
    ///
    /// With `N0 / S0` before and `N1 / S1` after, the slash and the additions booked first:
    /// `0 <= N1 * S0 - (N0 - slashed + added) * S1 < max(N0 - slashed + added, S0)`, i.e. what
    /// the remaining holders own changed by less than one native unit or one share's worth.
    pub fn check_rate_move(
        &mut self,
        before: &super::observe::Observation,
        slashed: u128,
        added: u128,
    ) -> Checked {
        self.stats.invariant_checks += 1;
        ensure(slashed == 0 || self.model.any_slash(), "4 rate", || {
            format!("{slashed} booked as a slash, but the chain never slashed")
        })?;
        let after = &self.last;
        let (n0, s0) = (before.total_native(), before.total_shares());
        let (n1, s1) = (after.total_native(), after.total_shares());
        let movement =
            || format!("({n0}, {s0}) -> ({n1}, {s1}) with {slashed} slashed and {added} added");
        ensure(n0 >= slashed && s0 > 0, "4 rate", movement)?;
        // Slashes and additions are booked first (the sync every crank starts with, or the
        // re-staking of a harvest): shares burnt after them convert at the rate they made.
        let n_mid = n0 - slashed + added;
        let held_after = Uint256::from(n1) * Uint256::from(s0);
        let held_before = Uint256::from(n_mid) * Uint256::from(s1);
        let unit = Uint256::from(n_mid.max(s0));
        ensure(
            held_after >= held_before && held_after - held_before < unit,
            "4 rate",
            movement,
        )
    }
}

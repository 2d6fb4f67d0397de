//! The design's invariants, checked from outside after each step of a scenario, and the
//! snapshot that a rejected call must leave unchanged.

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Decimal};
use cw_ownable::Ownership;
use flowstake::hub::{
    BatchResponse, BatchStatus, ConfigResponse, Operation, PendingBatchResponse, StateResponse,
    ValidatorResponse,
};

use crate::accounts::ACCOUNTS;
use crate::model::mul_div_floor;
use crate::suite::Suite;

impl Suite {
    // ---------------------------------------------------------------- checks

    /// A copy of everything a rejected call must leave unchanged.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            config: self.config(),
            state: self.state(),
            validators: self.validators(),
            paused: self.paused(),
            ownership: self.ownership(),
            pending: self.pending_batch(),
            batches: self.batches(),
            hub_balance: self.native_balance_of(&self.hub),
            chain_delegations: self.chain_delegations(),
            token_supply: self.token_supply(),
        }
    }

    /// Checks, from outside, the invariants of the design that hold whenever the hub's ledger
    /// has seen the chain's latest state (a slash breaks them until the next sync, harvest,
    /// submit or reconcile):
    ///
    /// - supply: the token's supply is `total_shares`; the hub holds exactly the dead shares
    ///   plus the shares queued in the pending batch;
    /// - ledger: the per-validator ledger sums to `total_native - buffer - buffer_incoming +
    ///   unvested_rewards` (rewards
    ///   delegated but not yet in the rate) + what a batch being submitted over several calls
    ///   still holds, and never exceeds the chain's delegation, per
    ///   validator and in total;
    /// - rate: `exchange_rate` is `total_native / total_shares`;
    /// - claims: the hub holds at least `reserved_for_claims + unlocked_surplus + buffer`, and the
    ///   reserve covers what the unclaimed requests of reconciled batches can still withdraw;
    /// - solvency: holders' shares at the rate, plus queued shares at the rate, plus submitted
    ///   batches' expected native, plus reconciled batches' unclaimed part, never exceed the
    ///   chain's delegations plus the hub's unbonding entries plus its bank balance;
    /// - conservation: `bonded + rewards + surplus = total_native + unvested_rewards + paid_out +
    ///   fees + slashed + reserved_for_claims + unlocked_surplus + unbonding + instant_paid` (`unlocked_surplus` is native the hub
    ///   holds and has not re-staked yet: stray transfers found at reconcile and claim dust), and
    ///   `unbonding` is the sum of the unreconciled submitted batches;
    /// - batches: the requests of the named accounts add up to each unreconciled batch's
    ///   total; `pending_rewards` is the collector's balance.
    #[track_caller]
    pub fn assert_invariants(&self) {
        let state = self.state();
        let total_native = state.total_native.u128();
        let total_shares = state.total_shares.u128();
        let pending = self.pending_batch();
        let batches = self.batches();
        let hub_balance = self.native_balance_of(&self.hub);

        // Supply.
        assert_eq!(
            self.token_supply(),
            total_shares,
            "token supply differs from total_shares"
        );
        assert_eq!(
            self.shares_of(&self.hub),
            state.dead_shares.u128() + pending.shares.u128(),
            "the hub's derivative balance is not dead shares plus the pending batch"
        );

        // Ledger against the chain.
        let chain = self.chain_delegations();
        let chain_total: u128 = chain.iter().map(|(_, amount)| amount).sum();
        let ledger = self.validators();
        let ledger_total: u128 = ledger.iter().map(|v| v.delegated.u128()).sum();
        // A batch being submitted over several calls still has part of its native delegated.
        let submitting = state
            .submission
            .as_ref()
            .map_or(0, |s| s.native_left.u128());
        let buffer = state.buffer.u128();
        let incoming = state.buffer_incoming.u128();
        assert!(
            buffer + incoming <= total_native,
            "buffer {buffer} and its incoming top-ups {incoming} exceed total_native"
        );
        let staked = total_native - buffer - incoming + state.unvested_rewards.u128() + submitting;
        assert_eq!(
            ledger_total, staked,
            "the per-validator ledger does not add up to total_native - buffer - incoming \
             top-ups + unvested_rewards + what a submission still holds"
        );
        for validator in &ledger {
            let on_chain = chain
                .iter()
                .find(|(address, _)| *address == validator.address)
                .map_or(0, |(_, amount)| *amount);
            assert!(
                validator.delegated.u128() <= on_chain,
                "ledger of {} is {} but the chain holds {}",
                validator.address,
                validator.delegated,
                on_chain
            );
        }
        assert!(
            staked <= chain_total,
            "ledger {staked} exceeds the chain's delegations {chain_total}"
        );

        // Rate.
        if total_shares > 0 {
            assert_eq!(
                state.exchange_rate,
                Decimal::from_ratio(total_native, total_shares),
                "exchange_rate is not total_native / total_shares"
            );
        }

        // Claims of reconciled batches.
        let reserved = state.reserved_for_claims.u128();
        let unlocked = state.unlocked_surplus.u128();
        assert!(
            hub_balance >= reserved + unlocked + buffer,
            "hub balance {hub_balance} below reserved_for_claims {reserved} plus unlocked_surplus \
             {unlocked} plus buffer {buffer}"
        );
        let owed_reconciled: u128 = batches
            .iter()
            .filter(|batch| batch.status == BatchStatus::Reconciled)
            .map(|batch| {
                mul_div_floor(
                    batch.native_received.u128(),
                    (batch.shares - batch.shares_claimed).u128(),
                    batch.shares.u128(),
                )
            })
            .sum();
        assert!(
            reserved >= owed_reconciled,
            "reserved_for_claims {reserved} does not cover the unclaimed requests {owed_reconciled}"
        );

        // Solvency.
        let hub_addr = self.hub.clone();
        let holder_shares: u128 = self
            .token_holders()
            .iter()
            .filter(|holder| **holder != hub_addr)
            .map(|holder| self.shares_of(holder))
            .sum::<u128>()
            + pending.shares.u128();
        let holder_claims = if total_shares == 0 {
            0
        } else {
            mul_div_floor(holder_shares, total_native, total_shares)
        };
        let unbonding_claims: u128 = batches
            .iter()
            .filter(|batch| batch.status == BatchStatus::Unbonding)
            .map(|batch| batch.native_expected.u128())
            .sum();
        let claims = holder_claims + unbonding_claims + owed_reconciled;
        let backing = chain_total + self.chain_unbonding_total() + hub_balance;
        assert!(
            claims <= backing,
            "claims {claims} exceed the backing {backing}"
        );

        // Conservation.
        let totals = &state.totals;
        assert_eq!(
            totals.unbonding.u128(),
            unbonding_claims,
            "totals.unbonding is not the sum of the submitted, unreconciled batches"
        );
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
        assert_eq!(
            inflow, outflow,
            "conservation broken: bonded + rewards + surplus = {inflow}, staked + unvested + \
             paid_out + fees + slashed + reserved + unlocked_surplus + unbonding + instant_paid = \
             {outflow} ({totals:?})"
        );

        // Batches and requests of the named accounts.
        let mut requested: BTreeMap<u64, u128> = BTreeMap::new();
        for account in ACCOUNTS {
            for request in self.requests(account) {
                *requested.entry(request.batch_id).or_default() += request.shares.u128();
            }
        }
        assert_eq!(
            requested.get(&pending.id).copied().unwrap_or(0),
            pending.shares.u128(),
            "requests in the pending batch do not add up to its shares"
        );
        for batch in &batches {
            let sum = requested.get(&batch.id).copied().unwrap_or(0);
            match batch.status {
                BatchStatus::Reconciled => assert!(
                    sum <= batch.shares.u128(),
                    "requests of batch {} exceed its shares",
                    batch.id
                ),
                _ => assert_eq!(
                    sum,
                    batch.shares.u128(),
                    "requests of batch {} do not add up to its shares",
                    batch.id
                ),
            }
            assert!(batch.native_claimed <= batch.native_received);
            assert!(batch.shares_claimed <= batch.shares);
        }

        assert_eq!(
            state.pending_rewards.u128(),
            self.native_balance_of(&self.collector),
            "pending_rewards is not the collector's balance"
        );
    }
}

/// Everything a rejected call must leave unchanged.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub config: ConfigResponse,
    pub state: StateResponse,
    pub validators: Vec<ValidatorResponse>,
    pub paused: Vec<Operation>,
    pub ownership: Ownership<Addr>,
    pub pending: PendingBatchResponse,
    pub batches: Vec<BatchResponse>,
    pub hub_balance: u128,
    pub chain_delegations: Vec<(String, u128)>,
    pub token_supply: u128,
}

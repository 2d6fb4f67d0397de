//! The identities the hub's state must satisfy after every accepted call, read through its own
//! queries and compared with the mock chain: those of its state and validator set after each
//! call, all of them at the end of an input. Sums are taken in 256 bits so that the checks
//! themselves cannot overflow.

use std::collections::BTreeMap;

use cosmwasm_std::{from_json, Decimal, Uint128, Uint256};
use flowstake::hub::{
    BatchResponse, BatchStatus, PendingBatchResponse, QueryMsg, StateResponse,
    UnbondRequestResponse, ValidatorResponse,
};
use serde::de::DeserializeOwned;

use crate::hub::World;

/// Page size the checks ask for: the hub's largest.
const PAGE: u32 = 100;

fn wide(value: Uint128) -> Uint256 {
    Uint256::from(value)
}

fn sum(values: impl IntoIterator<Item = Uint128>) -> Uint256 {
    values.into_iter().map(wide).sum()
}

/// `floor(numerator * 10^18 / denominator)` as the hub's rate, `Decimal::MAX` beyond it, one
/// without shares.
fn expected_rate(total_native: Uint128, total_shares: Uint128) -> Decimal {
    if total_shares.is_zero() {
        return Decimal::one();
    }
    let atomics = wide(total_native) * Uint256::from(10u128.pow(18)) / wide(total_shares);
    Uint128::try_from(atomics).map_or(Decimal::MAX, Decimal::new)
}

impl World {
    /// A query that must succeed, on the current chain.
    pub fn query<T: DeserializeOwned>(&mut self, msg: QueryMsg) -> T {
        self.push_chain();
        self.read(msg)
    }

    /// A query that must succeed, on the chain as last pushed to the querier.
    fn read<T: DeserializeOwned>(&self, msg: QueryMsg) -> T {
        let binary = self
            .query_pushed(msg.clone())
            .unwrap_or_else(|err| panic!("query {msg:?} failed on an accepted state: {err}"));
        from_json(&binary)
            .unwrap_or_else(|err| panic!("query {msg:?} returned an unreadable answer: {err}"))
    }

    /// Every page of a listing, up to the first page shorter than [`PAGE`].
    fn all_pages<T: DeserializeOwned>(&self, query: impl Fn(Option<&T>) -> QueryMsg) -> Vec<T> {
        let mut all: Vec<T> = vec![];
        loop {
            let page: Vec<T> = self.read(query(all.last()));
            let full = page.len() == PAGE as usize;
            all.extend(page);
            if !full {
                return all;
            }
        }
    }

    fn all_validators(&self) -> Vec<ValidatorResponse> {
        self.all_pages(|last: Option<&ValidatorResponse>| QueryMsg::Validators {
            start_after: last.map(|v| v.address.clone()),
            limit: Some(PAGE),
        })
    }

    fn all_batches(&self) -> Vec<BatchResponse> {
        self.all_pages(|last: Option<&BatchResponse>| QueryMsg::Batches {
            start_after: last.map(|b| b.id),
            limit: Some(PAGE),
        })
    }

    fn all_requests(&self, user: &str) -> Vec<UnbondRequestResponse> {
        self.all_pages(
            |last: Option<&UnbondRequestResponse>| QueryMsg::UnbondRequestsByUser {
                user: user.to_string(),
                start_after: last.map(|r| r.batch_id),
                limit: Some(PAGE),
            },
        )
    }

    /// Every identity; panics with the one that does not hold. Made at the end of each input,
    /// and wherever a test asks.
    pub fn check_identities(&mut self) {
        let (state, pending) = self.check_after_call();
        let batches = self.all_batches();
        self.check_queue(&state, &batches);
        self.check_batches(&batches, &pending);
    }

    /// The identities read from the hub's state, its pending batch and its validator set,
    /// made after every accepted call: conservation, the ledger, the rate and how it moved
    /// across the call, what the hub holds on the chain and of the derivative. Those that
    /// list every batch and every request ([`World::check_identities`]) are left to the end
    /// of the input: they cost most of a call's time, and what breaks them stays broken in
    /// the hub's storage.
    pub fn check_after_call(&mut self) -> (StateResponse, PendingBatchResponse) {
        self.push_chain();
        let state: StateResponse = self.read(QueryMsg::State {});
        let validators = self.all_validators();
        let pending: PendingBatchResponse = self.read(QueryMsg::PendingBatch {});
        self.check_totals(&state, &validators);
        self.check_chain(&state, &validators);
        self.check_token(&state, &pending);
        if let Some(before) = self.last_state.take() {
            check_rate_move(&before, &state);
        }
        self.last_state = Some(state.clone());
        (state, pending)
    }

    /// Conservation, the ledger, the rate, and what the hub sent.
    fn check_totals(&self, state: &StateResponse, validators: &[ValidatorResponse]) {
        let totals = &state.totals;
        let inflow = sum([totals.bonded, totals.rewards, totals.surplus]);
        let outflow = sum([
            state.total_native,
            state.unvested_rewards,
            totals.unbonding,
            state.reserved_for_claims,
            state.unlocked_surplus,
            totals.paid_out,
            totals.fees,
            totals.slashed,
            totals.instant_paid,
        ]);
        assert_eq!(
            inflow, outflow,
            "conservation: bonded + rewards + surplus != total_native + unvested_rewards + \
             unbonding + reserved + unlocked + paid_out + fees + slashed + instant_paid \
             ({state:?})"
        );

        let ledger = sum(validators.iter().map(|v| v.delegated));
        let submitting = state
            .submission
            .as_ref()
            .map_or(Uint128::zero(), |s| s.native_left);
        assert_eq!(
            ledger,
            sum([state.total_native, state.unvested_rewards, submitting])
                - wide(state.buffer)
                - wide(state.buffer_incoming),
            "the validator ledger does not add up to total_native - buffer - incoming top-ups + \
             unvested_rewards + what a submission still holds"
        );

        assert_eq!(
            state.exchange_rate,
            expected_rate(state.total_native, state.total_shares),
            "exchange_rate is not total_native / total_shares rounded down"
        );

        let sent = self
            .chain
            .sent
            .values()
            .map(|n| Uint256::from(*n))
            .sum::<Uint256>();
        assert_eq!(
            sent,
            sum([totals.paid_out, totals.fees]),
            "the hub sent other than paid_out + fees"
        );
    }

    /// What the submitted batches still owe, against the hub's totals.
    fn check_queue(&self, state: &StateResponse, batches: &[BatchResponse]) {
        let totals = &state.totals;
        let unreconciled = sum(batches
            .iter()
            .filter(|b| b.status != BatchStatus::Reconciled)
            .map(|b| b.native_expected));
        assert_eq!(
            unreconciled,
            wide(totals.unbonding),
            "totals.unbonding is not what the submitted, unreconciled batches expect"
        );
        let unclaimed = sum(batches
            .iter()
            .filter(|b| b.status == BatchStatus::Reconciled && b.shares_claimed < b.shares)
            .map(|b| b.native_received.saturating_sub(b.native_claimed)));
        assert_eq!(
            unclaimed,
            wide(state.reserved_for_claims),
            "reserved_for_claims is not what reconciled batches still owe"
        );
    }

    /// The hub's books against the chain.
    fn check_chain(&self, state: &StateResponse, validators: &[ValidatorResponse]) {
        let held = sum([
            state.reserved_for_claims,
            state.unlocked_surplus,
            state.buffer,
        ]);
        assert!(
            Uint256::from(self.chain.hub_balance) >= held,
            "the hub holds {} but owes reserved_for_claims + unlocked_surplus + buffer = {held}",
            self.chain.hub_balance
        );
        assert_eq!(
            state.pending_rewards.u128(),
            self.chain.collector_balance,
            "pending_rewards is not the collector's balance"
        );
        for (address, amount) in &self.chain.delegations {
            let in_set = validators.iter().any(|v| v.address == *address);
            assert!(
                in_set || *amount == 0,
                "{amount} left delegated to {address}, which is not in the set"
            );
        }
        if !self.slash_unseen {
            for validator in validators {
                let on_chain = self.chain.delegation(&validator.address);
                assert!(
                    validator.delegated.u128() <= on_chain,
                    "the ledger books {} at {} but the chain holds {on_chain}, with no slash \
                     unseen",
                    validator.delegated,
                    validator.address
                );
            }
        }
    }

    /// Each batch, and the requests that make it up.
    fn check_batches(&self, batches: &[BatchResponse], pending: &PendingBatchResponse) {
        for (index, batch) in batches.iter().enumerate() {
            assert_eq!(batch.id, index as u64 + 1, "batch ids are not consecutive");
            let reconciled = batch.status == BatchStatus::Reconciled;
            assert_ne!(
                batch.status,
                BatchStatus::Pending,
                "a submitted batch is pending"
            );
            assert!(
                batch.shares_claimed <= batch.shares
                    && batch.native_claimed <= batch.native_received
                    && batch.native_received <= batch.native_expected
                    && (reconciled || batch.shares_claimed.is_zero()),
                "inconsistent batch {batch:?}"
            );
            assert!(!batch.shares.is_zero(), "an empty batch was submitted");
        }
        assert_eq!(
            pending.id,
            batches.len() as u64 + 1,
            "the pending batch does not follow the last submitted one"
        );
        // The mock chain's unbonding time never changes, so batches complete, and are
        // reconciled, in submission order.
        let reconciled_below = batches
            .iter()
            .take_while(|b| b.status == BatchStatus::Reconciled)
            .count();
        assert!(
            batches[reconciled_below..]
                .iter()
                .all(|b| b.status != BatchStatus::Reconciled),
            "batches were reconciled out of order"
        );

        let mut requested: BTreeMap<u64, Uint256> = BTreeMap::new();
        for user in &self.requesters {
            for request in self.all_requests(user) {
                assert!(!request.shares.is_zero(), "an empty request of {user}");
                *requested.entry(request.batch_id).or_default() += wide(request.shares);
            }
        }
        let requested_in = |id: u64| requested.get(&id).copied().unwrap_or_default();
        assert_eq!(
            requested_in(pending.id),
            wide(pending.shares),
            "the requests in the pending batch do not add up to its shares"
        );
        for batch in batches {
            assert_eq!(
                requested_in(batch.id),
                wide(batch.shares - batch.shares_claimed),
                "the requests of batch {} do not add up to its unclaimed shares",
                batch.id
            );
        }
    }

    /// The derivative's supply and what the hub holds of it.
    fn check_token(&self, state: &StateResponse, pending: &PendingBatchResponse) {
        assert_eq!(
            self.chain.token.supply,
            state.total_shares.u128(),
            "the derivative's supply is not total_shares"
        );
        let held = self.chain.token.balance(self.accounts.hub.as_str());
        let expected = sum([
            state.dead_shares,
            pending.shares,
            Uint128::new(self.donated_shares),
        ]);
        assert_eq!(
            Uint256::from(held),
            expected,
            "the hub holds {held} derivative, not its dead shares, the pending batch and what \
             was sent to it"
        );
    }
}

/// Across one accepted call the rate (`total_native / total_shares`) falls only where a loss
/// was booked, and rises only where rewards or surplus were added or re-staked, or unvested
/// rewards vested; a conversion
/// (mint or burn) moves it by less than one unit of rounding, in the protocol's favour:
/// `0 <= N1 * S0 - N0 * S1 < max(N0, S0)`.
fn check_rate_move(before: &StateResponse, after: &StateResponse) {
    let (n0, s0) = (wide(before.total_native), wide(before.total_shares));
    let (n1, s1) = (wide(after.total_native), wide(after.total_shares));
    if s0.is_zero() || s1.is_zero() || after.totals.slashed != before.totals.slashed {
        return;
    }
    let held_after = n1 * s0;
    let held_before = n0 * s1;
    assert!(
        held_after >= held_before,
        "the rate fell from {n0}/{s0} to {n1}/{s1} with no loss booked"
    );
    let added = after.totals.rewards != before.totals.rewards
        || after.totals.surplus != before.totals.surplus
        || after.unlocked_surplus < before.unlocked_surplus
        || after.unvested_rewards < before.unvested_rewards;
    if !added {
        assert!(
            held_after - held_before < n0.max(s0),
            "the rate rose from {n0}/{s0} to {n1}/{s1} with nothing added"
        );
    }
}

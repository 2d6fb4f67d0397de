//! The simulation's own books: what every user holds and has requested, and every batch as the
//! users' requests make it up. The checks compare the hub's aggregate figures with these, so
//! that no step needs to read thousands of balances from the chain.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::Uint128;

/// `floor(amount * numerator / denominator)`, zero when the denominator is zero. Products are
/// taken in 256 bits; the result saturates rather than overflow (never the case for
/// `numerator <= denominator`, the only way the books use it).
pub fn mul_div_floor(amount: u128, numerator: u128, denominator: u128) -> u128 {
    if denominator == 0 {
        return 0;
    }
    Uint128::new(amount)
        .checked_multiply_ratio(numerator, denominator)
        .map_or(u128::MAX, |value| value.u128())
}

/// The hub's stake per validator at the end of one day, and that day's block height.
#[derive(Clone, Debug)]
pub struct EveningStakes {
    pub day: u64,
    pub height: u64,
    pub stakes: BTreeMap<String, u128>,
}

/// One request of a user in one batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub shares: u128,
    /// When the user first queued into this batch.
    pub queued_at: u64,
}

#[derive(Clone, Debug, Default)]
pub struct UserBook {
    /// Native in the user's bank account.
    pub wallet: u128,
    /// Derivative in the user's token account.
    pub shares: u128,
    pub join_day: u64,
    pub joined: bool,
    /// Requests by batch id: pending, unbonding or reconciled and not yet withdrawn.
    pub requests: BTreeMap<u64, Request>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Pending,
    Unbonding,
    Reconciled,
}

/// A batch as the simulation booked it.
#[derive(Clone, Debug)]
pub struct BatchBook {
    pub id: u64,
    pub stage: Stage,
    /// Shares of all its requests (cancelled ones removed).
    pub shares: u128,
    pub native_expected: u128,
    /// Native riding in the batch's unbonding entries to top the liquidity buffer up.
    pub buffer_topup: u128,
    pub native_received: u128,
    pub submitted_at: u64,
    /// The block of the submission: its unbonding entries carry this creation height.
    pub submitted_height: u64,
    pub completes_at: u64,
    /// Native the chain will not pay this batch: what its unbonding entries lacked from the
    /// start (share rounding) and what slashes took from them.
    pub loss: u128,
    pub shares_claimed: u128,
    pub native_claimed: u128,
    /// Users with a request in the batch that is not withdrawn yet.
    pub members: BTreeSet<usize>,
}

impl BatchBook {
    pub fn pending(id: u64) -> Self {
        Self {
            id,
            stage: Stage::Pending,
            shares: 0,
            native_expected: 0,
            buffer_topup: 0,
            native_received: 0,
            submitted_at: 0,
            submitted_height: 0,
            completes_at: 0,
            loss: 0,
            shares_claimed: 0,
            native_claimed: 0,
            members: BTreeSet::new(),
        }
    }

    /// What a request of `shares` is paid once the batch is reconciled.
    pub fn claim(&self, shares: u128) -> u128 {
        mul_div_floor(self.native_received, shares, self.shares)
    }

    /// Fully withdrawn.
    pub fn is_paid(&self) -> bool {
        self.stage == Stage::Reconciled && self.shares_claimed == self.shares
    }
}

/// One request paid by a withdrawal.
#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    pub batch_id: u64,
    pub native: u128,
    /// From the first queue into the batch to the withdrawal, in seconds.
    pub wait: u64,
}

/// Everything the simulation knows without asking the chain.
#[derive(Clone, Debug, Default)]
pub struct Books {
    pub users: Vec<UserBook>,
    pub batches: BTreeMap<u64, BatchBook>,
    pub pending_id: u64,
    pub submit_after: u64,
    /// Derivative held by all users together.
    pub user_shares: u128,
    /// What the unwithdrawn requests of reconciled batches can still claim.
    pub owed_reconciled: u128,
    /// Chain losses on the entries of submitted batches not reconciled yet.
    pub loss_in_flight: u128,
    /// Rewards the chain has paid into the collector, harvests and automatic payouts alike.
    pub rewards_paid: u128,
    /// The longest any request took from its queueing to becoming withdrawable, seconds.
    pub longest_until_withdrawable: u64,
}

impl Books {
    pub fn new(wallets: &[u128], join_days: &[u64], pending_id: u64, submit_after: u64) -> Self {
        let users = wallets
            .iter()
            .zip(join_days)
            .map(|(wallet, join_day)| UserBook {
                wallet: *wallet,
                join_day: *join_day,
                ..UserBook::default()
            })
            .collect();
        let mut batches = BTreeMap::new();
        batches.insert(pending_id, BatchBook::pending(pending_id));
        Self {
            users,
            batches,
            pending_id,
            submit_after,
            ..Self::default()
        }
    }

    pub fn pending(&self) -> Option<&BatchBook> {
        self.batches.get(&self.pending_id)
    }

    pub fn bonded(&mut self, user: usize, native: u128, shares: u128) {
        let book = &mut self.users[user];
        book.wallet -= native;
        book.shares += shares;
        book.joined = true;
        self.user_shares += shares;
    }

    pub fn queued(&mut self, user: usize, shares: u128, now: u64) {
        let book = &mut self.users[user];
        book.shares -= shares;
        self.user_shares -= shares;
        let request = book.requests.entry(self.pending_id).or_insert(Request {
            shares: 0,
            queued_at: now,
        });
        request.shares += shares;
        let id = self.pending_id;
        if let Some(batch) = self.batches.get_mut(&id) {
            batch.shares += shares;
            batch.members.insert(user);
        }
    }

    /// The user exited at once: `shares` burnt, `payout` received.
    pub fn exited(&mut self, user: usize, shares: u128, payout: u128) {
        let book = &mut self.users[user];
        book.shares -= shares;
        book.wallet += payout;
        self.user_shares -= shares;
    }

    /// Takes back the user's request from the pending batch; returns its shares.
    pub fn cancelled(&mut self, user: usize) -> u128 {
        let id = self.pending_id;
        let Some(request) = self.users[user].requests.remove(&id) else {
            return 0;
        };
        self.users[user].shares += request.shares;
        self.user_shares += request.shares;
        if let Some(batch) = self.batches.get_mut(&id) {
            batch.shares -= request.shares;
            batch.members.remove(&user);
        }
        request.shares
    }

    /// The pending batch was submitted in block `height`, with `topup` for the buffer riding
    /// in its entries; the next one opens.
    pub fn submitted(
        &mut self,
        expected: u128,
        topup: u128,
        submitted_at: u64,
        completes_at: u64,
        height: u64,
    ) {
        let id = self.pending_id;
        if let Some(batch) = self.batches.get_mut(&id) {
            batch.stage = Stage::Unbonding;
            batch.native_expected = expected;
            batch.buffer_topup = topup;
            batch.submitted_at = submitted_at;
            batch.submitted_height = height;
            batch.completes_at = completes_at;
        }
        self.pending_id = id + 1;
        self.batches.insert(id + 1, BatchBook::pending(id + 1));
    }

    /// The chain will pay the submitted batch `id` `loss` less than it expects.
    pub fn lost_in_flight(&mut self, id: u64, loss: u128) {
        if let Some(batch) = self.batches.get_mut(&id) {
            batch.loss += loss;
            self.loss_in_flight += loss;
        }
    }

    /// A batch was reconciled at `now` with `received`; its requests become claimable.
    pub fn reconciled(&mut self, id: u64, received: u128, now: u64) {
        let Some(batch) = self.batches.get_mut(&id) else {
            return;
        };
        batch.stage = Stage::Reconciled;
        batch.native_received = received;
        self.loss_in_flight -= batch.loss.min(self.loss_in_flight);
        for request in batch
            .members
            .iter()
            .filter_map(|user| self.users[*user].requests.get(&id))
        {
            self.owed_reconciled += batch.claim(request.shares);
            let waited = now.saturating_sub(request.queued_at);
            self.longest_until_withdrawable = self.longest_until_withdrawable.max(waited);
        }
    }

    /// Ids of the user's requests in reconciled batches, oldest first, as a withdrawal pays
    /// them (at most `limit`).
    pub fn claimable(&self, user: usize, limit: usize) -> Vec<u64> {
        self.users[user]
            .requests
            .keys()
            .filter(|id| {
                self.batches
                    .get(id)
                    .is_some_and(|batch| batch.stage == Stage::Reconciled)
            })
            .take(limit)
            .copied()
            .collect()
    }

    /// Books a withdrawal of the user's claimable requests and returns what each pays.
    pub fn withdrawn(&mut self, user: usize, limit: usize, now: u64) -> Vec<Payment> {
        let mut payments = vec![];
        for id in self.claimable(user, limit) {
            let (Some(request), Some(batch)) = (
                self.users[user].requests.remove(&id),
                self.batches.get_mut(&id),
            ) else {
                continue;
            };
            let native = batch.claim(request.shares);
            batch.shares_claimed += request.shares;
            batch.native_claimed += native;
            batch.members.remove(&user);
            self.owed_reconciled -= native.min(self.owed_reconciled);
            self.users[user].wallet += native;
            payments.push(Payment {
                batch_id: id,
                native,
                wait: now.saturating_sub(request.queued_at),
            });
        }
        payments
    }

    /// When the oldest request still open in batch `id` was queued: a cancelled request no
    /// longer waits, and one queued again waits from its new queueing.
    pub fn oldest_open_request(&self, id: u64) -> Option<u64> {
        let batch = self.batches.get(&id)?;
        batch
            .members
            .iter()
            .filter_map(|user| self.users[*user].requests.get(&id))
            .map(|request| request.queued_at)
            .min()
    }

    /// Requests not withdrawn yet, in every batch.
    pub fn open_requests(&self) -> usize {
        self.users.iter().map(|user| user.requests.len()).sum()
    }

    /// Users holding derivative.
    pub fn holders(&self) -> usize {
        self.users.iter().filter(|user| user.shares > 0).count()
    }
}

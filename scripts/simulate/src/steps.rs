//! The users' actions. Each sends one transaction, books its effects, runs the step checks,
//! then checks the figures that action alone determines (shares minted at the rate, a
//! withdrawal paying each request its pro rata part).

use crate::behaviour::{Action, Rejected};
use crate::checks::increase;
use crate::engine::Simulation;
use crate::error::Halt;
use crate::model::mul_div_floor;

impl Simulation {
    pub(crate) fn act(&mut self, user: usize, action: Action) -> Result<(), Halt> {
        match action {
            Action::Bond(native) => self.bond(user, native),
            Action::QueueUnbond(shares) => self.queue_unbond(user, shares),
            Action::Cancel => self.cancel(user),
            Action::Withdraw => self.withdraw(user),
            Action::Rejected(kind) => self.rejected(user, kind),
        }
    }

    fn bond(&mut self, user: usize, native: u128) -> Result<(), Halt> {
        let action = "bond";
        let state = &self.last.state;
        let shares = mul_div_floor(native, state.total_shares.u128(), state.total_native.u128());
        let address = self.chain.users[user].clone();
        self.count_transaction();
        self.chain
            .bond(&address, native)
            .map_err(|err| self.failed(action, err))?;
        self.books.bonded(user, native, shares);
        self.stats.deposits += native;
        self.stats.bonds += 1;
        self.day_deposits += native;
        let before = self.after_step(action)?;

        let ctx = self.context(action);
        let (old, new) = (&before.state, &self.last.state);
        let booked = increase(old.totals.bonded, new.totals.bonded);
        let minted = increase(old.total_shares, new.total_shares);
        self.checker
            .ensure(&ctx, "conservation", booked == native, || {
                format!("a bond of {native} was booked as {booked}")
            })?;
        self.checker.ensure(&ctx, "supply", minted == shares, || {
            format!("a bond of {native} minted {minted} shares, the rate gives {shares}")
        })?;
        self.check_holding(user, action)
    }

    fn queue_unbond(&mut self, user: usize, shares: u128) -> Result<(), Halt> {
        let action = "queue unbond";
        let address = self.chain.users[user].clone();
        self.count_transaction();
        self.chain
            .queue_unbond(&address, shares)
            .map_err(|err| self.failed(action, err))?;
        let now = self.chain.now();
        self.books.queued(user, shares, now);
        self.stats.unbond_requests += 1;
        self.after_step(action)?;
        self.check_holding(user, action)
    }

    fn cancel(&mut self, user: usize) -> Result<(), Halt> {
        let action = "cancel unbond";
        let address = self.chain.users[user].clone();
        self.count_transaction();
        self.chain
            .cancel_unbond(&address)
            .map_err(|err| self.failed(action, err))?;
        self.books.cancelled(user);
        self.stats.cancels += 1;
        self.after_step(action)?;
        self.check_holding(user, action)
    }

    fn withdraw(&mut self, user: usize) -> Result<(), Halt> {
        let action = "withdraw unbonded";
        let address = self.chain.users[user].clone();
        self.count_transaction();
        self.chain
            .withdraw_unbonded(&address)
            .map_err(|err| self.failed(action, err))?;
        let limit = crate::hub::WITHDRAW_LIMIT as usize;
        let payments = self.books.withdrawn(user, limit, self.chain.now());
        let expected: u128 = payments.iter().map(|payment| payment.native).sum();
        self.stats.withdrawals += expected;
        self.stats.withdraw_calls += 1;
        self.stats.requests_paid += payments.len() as u64;
        self.day_withdrawals += expected;
        if let Some(wait) = payments.iter().map(|payment| payment.wait).max() {
            self.stats.longest_wait = self.stats.longest_wait.max(wait);
        }
        let before = self.after_step(action)?;

        let ctx = self.context(action);
        let paid = increase(
            before.state.totals.paid_out,
            self.last.state.totals.paid_out,
        );
        self.checker
            .ensure(&ctx, "batch accounting", paid == expected, || {
                format!(
                    "user{user} was paid {paid}, their requests' pro rata parts add up to \
                     {expected} ({payments:?})"
                )
            })?;
        let wallet = self
            .chain
            .native_balance(&address)
            .map_err(|err| self.failed(action, err))?;
        let booked = self.books.users[user].wallet;
        self.checker
            .ensure(&ctx, "conservation", wallet == booked, || {
                format!("user{user} holds {wallet} native, the books say {booked}")
            })?;
        Ok(())
    }

    /// Sends a call the hub must refuse and checks that it changed nothing.
    fn rejected(&mut self, user: usize, kind: Rejected) -> Result<(), Halt> {
        let action = match kind {
            Rejected::BondBelowMinimum => "bond below the minimum",
            Rejected::CancelNothing => "cancel with nothing pending",
            Rejected::RemoveValidatorAsUser => "remove a validator as a user",
        };
        let address = self.chain.users[user].clone();
        self.count_transaction();
        let result = match kind {
            Rejected::BondBelowMinimum => {
                let native = self.config.min_bond.saturating_sub(1).max(1);
                self.chain.bond(&address, native)
            }
            Rejected::CancelNothing => self.chain.cancel_unbond(&address),
            Rejected::RemoveValidatorAsUser => {
                let validator = self.chain.validators[0].clone();
                self.chain.remove_validator(&address, &validator)
            }
        };
        self.stats.rejected_calls += 1;
        let ctx = self.context(action);
        self.checker.ensure(
            &ctx,
            "rejected calls change nothing",
            result.is_err(),
            || "the call succeeded".to_string(),
        )?;
        let now = self.observe().map_err(|err| self.failed(action, err))?;
        let unchanged = now == self.last;
        let last = &self.last;
        self.checker
            .ensure(&ctx, "rejected calls change nothing", unchanged, || {
                format!("before {last:?}, after {now:?}")
            })?;
        self.check_holding(user, action)
    }

    /// The user's derivative on the chain is what the books say.
    fn check_holding(&mut self, user: usize, action: &str) -> Result<(), Halt> {
        let address = self.chain.users[user].clone();
        let shares = self
            .chain
            .shares_of(&address)
            .map_err(|err| self.failed(action, err))?;
        let booked = self.books.users[user].shares;
        let ctx = self.context(action);
        self.checker.ensure(&ctx, "supply", shares == booked, || {
            format!("user{user} holds {shares} derivative, the books say {booked}")
        })?;
        Ok(())
    }
}

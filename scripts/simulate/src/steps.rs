//! The users' actions. Each sends one transaction, books its effects, runs the step checks,
//! then checks the figures that action alone determines (shares minted at the rate, a
//! withdrawal paying each request its pro rata part).

use cosmwasm_std::Decimal;
use flowstake_hub::error::ContractError;
use flowstake_tests::errors::hub_error;

use crate::behaviour::{Action, Rejected};
use crate::checks::increase;
use crate::engine::Simulation;
use crate::error::Halt;
use crate::model::mul_div_floor;

impl Simulation {
    pub(crate) fn act(&mut self, user: usize, action: Action) -> Result<(), Halt> {
        match action {
            Action::Bond(native) => self.bond(user, native),
            Action::QueueUnbond(shares) => self.unbond(user, shares),
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

    /// An instant exiter leaves at once when the preview says the buffer can pay, and queues
    /// otherwise; everyone else queues.
    fn unbond(&mut self, user: usize, shares: u128) -> Result<(), Halt> {
        if self.config.buffer_target.is_zero() || !self.config.exits_instantly(user) {
            return self.queue_unbond(user, shares);
        }
        let preview = self
            .chain
            .preview_instant_unbond(shares)
            .map_err(|err| self.failed("preview instant exit", err))?;
        if preview.payable {
            return self.instant_exit(user, shares, preview);
        }
        self.instant_refused(user, shares, preview)?;
        self.queue_unbond(user, shares)
    }

    /// Exits at once with `min_native` 0.1 % below the preview's payout, and checks the payout, the
    /// fee and where they went against the rate the exit found: the stored one, moved by what
    /// its sync booked (a preview values the stored ledger, so the exit may pay a little more
    /// or less than it).
    fn instant_exit(
        &mut self,
        user: usize,
        shares: u128,
        preview: flowstake::hub::InstantUnbondPreview,
    ) -> Result<(), Halt> {
        let action = "instant exit";
        let address = self.chain.users[user].clone();
        self.count_transaction();
        // As a wallet would: accept up to 0.1 % below the preview.
        let min_native = mul_div_floor(preview.payout.u128(), 999, 1_000);
        self.chain
            .instant_unbond(&address, shares, Some(min_native))
            .map_err(|err| self.failed(action, err))?;
        let state = self.chain.state().map_err(|err| self.failed(action, err))?;
        let old = &self.last.state;
        let paid = increase(old.totals.instant_paid, state.totals.instant_paid);
        // What the exit's sync booked: rewards vested, and a unit or two of share rounding on
        // a slashed validator found as surplus or loss.
        let vested = increase(state.unvested_rewards, old.unvested_rewards);
        let found = increase(old.totals.surplus, state.totals.surplus);
        let lost = increase(old.totals.slashed, state.totals.slashed);
        let synced = (old.total_native.u128() + vested + found).saturating_sub(lost);
        let native = mul_div_floor(shares, synced, old.total_shares.u128());
        // The fee rounds up: the remaining holders never pay for an exit.
        let fee = native
            - mul_div_floor(
                native,
                (Decimal::one() - self.config.exit_fee).atomics().u128(),
                Decimal::one().atomics().u128(),
            );
        let payout = native - fee;
        self.books.exited(user, shares, paid);
        self.stats.instant_exits += 1;
        self.stats.instant_paid += paid;
        self.stats.exit_fees += fee;
        self.day_instant += paid;
        let before = self.after_step(action)?;

        let ctx = self.context(action);
        let (old, new) = (&before.state, &self.last.state);
        let figures = [
            ("instant_paid", paid, payout),
            (
                "exit_fees",
                increase(old.totals.exit_fees, new.totals.exit_fees),
                fee,
            ),
            ("buffer", increase(new.buffer, old.buffer), payout),
            (
                "total_native",
                synced.saturating_sub(new.total_native.u128()),
                payout,
            ),
            (
                "total_shares",
                increase(new.total_shares, old.total_shares),
                shares,
            ),
            (
                "hub balance",
                before.hub_balance.saturating_sub(self.last.hub_balance),
                payout,
            ),
        ];
        for (what, got, want) in figures {
            self.checker.ensure(&ctx, "conservation", got == want, || {
                format!(
                    "user{user} exited {shares} shares worth {native} (fee {fee}; the exit's \
                     sync vested {vested}, found {found}, lost {lost}): {what} moved by {got}, \
                     expected {want}"
                )
            })?;
        }
        self.checker.ensure(
            &ctx,
            "preview",
            lost > 0 || payout >= preview.payout.u128(),
            || {
                format!(
                    "the preview promised {} (fee {}), the exit paid {payout} (fee {fee})",
                    preview.payout, preview.fee
                )
            },
        )?;
        self.check_wallet(user, action)?;
        self.check_holding(user, action)
    }

    /// An instant exit the buffer cannot pay, sent anyway as a user who skipped the preview
    /// would: refused, and nothing changes.
    fn instant_refused(
        &mut self,
        user: usize,
        shares: u128,
        preview: flowstake::hub::InstantUnbondPreview,
    ) -> Result<(), Halt> {
        let action = "instant exit the buffer cannot pay";
        let address = self.chain.users[user].clone();
        self.count_transaction();
        let result = self.chain.instant_unbond(&address, shares, None);
        self.stats.rejected_calls += 1;
        self.stats.instant_refused += 1;
        let ctx = self.context(action);
        let expected = ContractError::BufferTooSmall {
            payout: preview.payout,
            buffer: preview.buffer,
        };
        let outcome = match &result {
            Ok(_) => "the call succeeded".to_string(),
            Err(err) => format!("{err:#}"),
        };
        let refused = result
            .as_ref()
            .err()
            .and_then(hub_error)
            .is_some_and(|err| *err == expected);
        self.checker
            .ensure(&ctx, "rejected calls change nothing", refused, || {
                format!("an exit of {shares} shares: expected {expected:?}, got {outcome}")
            })?;
        self.unchanged(user, action)
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
        self.check_wallet(user, action)
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
        self.unchanged(user, action)
    }

    /// After a refused call: every figure is as before it.
    fn unchanged(&mut self, user: usize, action: &str) -> Result<(), Halt> {
        let now = self.observe().map_err(|err| self.failed(action, err))?;
        let unchanged = now == self.last;
        let last = &self.last;
        let ctx = self.context(action);
        self.checker
            .ensure(&ctx, "rejected calls change nothing", unchanged, || {
                format!("before {last:?}, after {now:?}")
            })?;
        self.check_holding(user, action)
    }

    /// The user's native on the chain is what the books say.
    fn check_wallet(&mut self, user: usize, action: &str) -> Result<(), Halt> {
        let address = self.chain.users[user].clone();
        let wallet = self
            .chain
            .native_balance(&address)
            .map_err(|err| self.failed(action, err))?;
        let booked = self.books.users[user].wallet;
        let ctx = self.context(action);
        self.checker
            .ensure(&ctx, "conservation", wallet == booked, || {
                format!("user{user} holds {wallet} native, the books say {booked}")
            })?;
        Ok(())
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

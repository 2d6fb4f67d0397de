//! Users: bond, queue unbond, cancel, withdraw, transfer, the round trip, donations and direct
//! burns. Each predicts its effect from the observation before it and checks it.

use cosmwasm_std::{coins, to_json_binary, Uint128};
use cw20::Cw20ExecuteMsg;
use cw_multi_test::Executor;
use flowstake::hub::{ExecuteMsg, Operation, ReceiveMsg};
use flowstake_hub::error::ContractError as HubError;
use flowstake_token::error::ContractError as TokenError;

use super::expect::{delegate, mul_div, peek_target, room, sync, MAX_OPEN_BATCHES};
use super::outcome::{same, same_books, same_delegations, Refusal};
use super::world::World;
use super::{ensure, Checked};
use crate::accounts::DENOM;
use crate::strict::ChainError;

/// Most requests one withdrawal pays unless asked for fewer, and at most.
const DEFAULT_WITHDRAW_LIMIT: u32 = 30;
const MAX_WITHDRAW_LIMIT: u32 = 100;

impl World {
    /// Bonds `native` for a user. Returns the shares minted, if the bond was accepted.
    pub fn bond(
        &mut self,
        drawn: usize,
        native: u128,
        receiver: Option<usize>,
        min_shares_extra: Option<u128>,
    ) -> Result<Option<u128>, super::Violation> {
        let user = self.user_index(drawn);
        let receiver = receiver.map_or(user, |r| self.user_index(r));
        let sender = self.user(user);
        let receiver_addr = self.user(receiver);
        let (n0, s0) = (self.last.total_native(), self.last.total_shares());
        let shares = mul_div(native, s0, n0);
        let msg = ExecuteMsg::Bond {
            receiver: Some(receiver_addr.into_string()),
            min_shares: min_shares_extra.map(|extra| Uint128::new(shares + extra)),
            forward: None,
        };
        let result = self.execute_hub(&sender, &msg, &coins(native, DENOM));
        let before = self.observe_next();
        let min_bond = before.config.min_bond.u128();
        let paused = before.is_paused(Operation::Bond);
        let target = peek_target(&before.ledger, &before.on_chain);
        let emptied = self.emptied_validators();
        let err = match result {
            Err(err) => err,
            Ok(_) => {
                ensure(
                    native >= min_bond
                        && shares > 0
                        && !paused
                        && target.is_some()
                        && min_shares_extra.unwrap_or(0) == 0,
                    "8 refusals",
                    || {
                        format!(
                            "bond of {native} accepted (min {min_bond}, {shares} shares, \
                            paused {paused}, target {target:?}, extra {min_shares_extra:?})"
                        )
                    },
                )?;
                let mut expected = before.clone();
                let target = delegate(&mut expected.ledger, &before.on_chain, native)
                    .expect("checked above");
                expected.state.total_native += Uint128::new(native);
                expected.state.total_shares += Uint128::new(shares);
                expected.state.totals.bonded += Uint128::new(native);
                expected.token_supply += shares;
                same_books("bond", &expected, &self.last)?;
                let after_chain = self.last.chain.clone();
                same_delegations(
                    self,
                    &before.chain,
                    &after_chain,
                    &[(target, native as i128)],
                    false,
                )?;
                same(
                    "bond",
                    "unbonding entries",
                    &before.chain.unbonding,
                    &after_chain.unbonding,
                )?;
                self.collector_grew(&before)?;

                *self.model.native[user].as_mut().expect("funded") -= native;
                self.model.shares[receiver] += shares;
                self.model.minted += shares;
                self.model.bonded += native;
                self.stats.invariant_checks += 1;
                let worth = mul_div(shares, self.last.total_native(), self.last.total_shares());
                ensure(worth <= native, "5 round trip", || {
                    format!("{shares} shares minted for {native} are worth {worth} at once")
                })?;
                self.check_rate_move(&before, 0, 0)?;
                self.check_users(&[user, receiver])?;
                self.check_invariants()?;
                return Ok(Some(shares));
            }
        };
        self.refused(&err, &before, &[user, receiver], |refusal| match refusal {
            Refusal::Hub(HubError::BondTooSmall { .. }) => native < min_bond,
            // Slashes took everything: no rate prices a deposit against shares worth nothing.
            Refusal::Hub(HubError::NoBacking { .. }) => n0 == 0 && s0 > 0,
            Refusal::Hub(HubError::MintsZero { .. }) => n0 > 0 && shares == 0,
            Refusal::Hub(HubError::MintBelowMinimum { .. }) => min_shares_extra.unwrap_or(0) > 0,
            Refusal::Hub(HubError::Paused { operation }) => *operation == Operation::Bond && paused,
            Refusal::Hub(HubError::NoActiveValidator {}) => target.is_none(),
            Refusal::Chain(ChainError::InvalidExchangeRate { address }) => {
                emptied.contains(address)
            }
            _ => false,
        })?;
        Ok(None)
    }

    /// Queues `permille` of the user's derivative, at least one unit.
    pub fn queue_unbond_part(&mut self, drawn: usize, permille: u16) -> Checked {
        let user = self.user_index(drawn);
        let shares = (self.model.shares[user] * u128::from(permille) / 1000).max(1);
        self.queue_unbond(user, shares).map(|_| ())
    }

    /// Queues `shares` of user `user` through the token's `Send` hook. Returns whether the
    /// request was accepted and whether it submitted the pending batch.
    pub fn queue_unbond(
        &mut self,
        user: usize,
        shares: u128,
    ) -> Result<(bool, bool), super::Violation> {
        let sender = self.user(user);
        let send = Cw20ExecuteMsg::Send {
            contract: self.suite.hub.to_string(),
            amount: Uint128::new(shares),
            msg: to_json_binary(&ReceiveMsg::QueueUnbond { receiver: None }).expect("hook"),
        };
        let token = self.suite.token.clone();
        let result = self.suite.app.execute_contract(sender, token, &send, &[]);
        let before = self.observe_next();
        let balance = self.model.shares[user];
        let min_unbond = before.config.min_unbond.u128();
        let paused = before.is_paused(Operation::Unbond);
        // A request after the epoch submits the batch it joined, if the hub has room for it.
        let submits = before.now >= before.pending.submit_after && room(&before).is_ok();
        let err = match result {
            Err(err) => err,
            Ok(_) => {
                ensure(
                    shares > 0 && shares <= balance && shares >= min_unbond && !paused,
                    "8 refusals",
                    || {
                        format!(
                            "request of {shares} accepted (balance {balance}, min \
                            {min_unbond}, paused {paused})"
                        )
                    },
                )?;
                self.model.shares[user] -= shares;
                self.model
                    .add_request(user, before.pending.id, shares, before.now);
                let mut submitted = false;
                if submits {
                    let batch_shares = before.pending.shares.u128() + shares;
                    submitted = self.check_submission(&before, batch_shares, &[user])?;
                } else {
                    let mut expected = before.clone();
                    expected.pending.shares += Uint128::new(shares);
                    expected.hub_shares += shares;
                    same_books("queue_unbond", &expected, &self.last)?;
                    same("queue_unbond", "chain", &before.chain, &self.last.chain)?;
                    self.check_rate_move(&before, 0, 0)?;
                    self.check_users(&[user])?;
                    self.check_invariants()?;
                }
                return Ok((true, submitted));
            }
        };
        self.refused(&err, &before, &[user], |refusal| match refusal {
            Refusal::Token(_) => shares == 0 || shares > balance,
            Refusal::Hub(HubError::UnbondTooSmall { .. }) => shares < min_unbond,
            Refusal::Hub(HubError::Paused { operation }) => {
                *operation == Operation::Unbond && paused
            }
            _ => false,
        })?;
        Ok((false, false))
    }

    pub fn cancel(&mut self, drawn: usize) -> Checked {
        let user = self.user_index(drawn);
        let sender = self.user(user);
        let result = self.execute_hub(&sender, &ExecuteMsg::CancelUnbond {}, &[]);
        let before = self.observe_next();
        let request = self
            .model
            .requests
            .get(&user)
            .and_then(|requests| requests.get(&before.pending.id))
            .copied();
        let paused = before.is_paused(Operation::Unbond);
        let err = match result {
            Err(err) => err,
            Ok(_) => {
                let request = request.filter(|_| !paused);
                ensure(request.is_some(), "8 refusals", || {
                    format!("cancel accepted without a pending request (paused {paused})")
                })?;
                let returned = self
                    .model
                    .remove_request(user, before.pending.id)
                    .expect("request")
                    .shares;
                self.model.shares[user] += returned;
                let mut expected = before.clone();
                expected.pending.shares -= Uint128::new(returned);
                expected.hub_shares -= returned;
                same_books("cancel", &expected, &self.last)?;
                same("cancel", "chain", &before.chain, &self.last.chain)?;
                self.check_rate_move(&before, 0, 0)?;
                self.check_users(&[user])?;
                return self.check_invariants();
            }
        };
        self.refused(&err, &before, &[user], |refusal| match refusal {
            Refusal::Hub(HubError::NoPendingRequest { .. }) => request.is_none(),
            Refusal::Hub(HubError::Paused { operation }) => {
                *operation == Operation::Unbond && paused
            }
            _ => false,
        })
    }

    pub fn withdraw(&mut self, drawn: usize, limit: Option<u32>) -> Checked {
        let user = self.user_index(drawn);
        let sender = self.user(user);
        let msg = ExecuteMsg::WithdrawUnbonded {
            receiver: None,
            limit,
        };
        let result = self.execute_hub(&sender, &msg, &[]);
        let before = self.observe_next();
        let take = limit
            .unwrap_or(DEFAULT_WITHDRAW_LIMIT)
            .clamp(1, MAX_WITHDRAW_LIMIT) as usize;
        // The user's requests in submitted batches, oldest first: of the first `take` plus the
        // most batches that can be open, those whose batch is reconciled, up to `take`.
        let claimable: Vec<(u64, u128)> = self
            .model
            .requests
            .get(&user)
            .map(|requests| {
                requests
                    .range(..before.pending.id)
                    .take(take + MAX_OPEN_BATCHES as usize)
                    .filter(|(id, _)| before.batches.get(id).is_some_and(|b| b.reconciled))
                    .take(take)
                    .map(|(id, request)| (*id, request.shares))
                    .collect()
            })
            .unwrap_or_default();
        let err = match result {
            Err(err) => err,
            Ok(_) => {
                ensure(!claimable.is_empty(), "8 refusals", || {
                    "withdrawal accepted with nothing reconciled".to_string()
                })?;
                let mut expected = before.clone();
                let mut paid = 0;
                for (id, shares) in &claimable {
                    let batch = expected.batches.get_mut(id).expect("reconciled batch");
                    let claim = mul_div(batch.native_received.u128(), *shares, batch.shares.u128());
                    paid += claim;
                    batch.shares_claimed += Uint128::new(*shares);
                    batch.native_claimed += Uint128::new(claim);
                    if batch.shares_claimed == batch.shares {
                        let dust = batch.native_received - batch.native_claimed;
                        expected.state.reserved_for_claims -= dust;
                        expected.state.unlocked_surplus += dust;
                    }
                    self.model.remove_request(user, *id);
                }
                expected.state.reserved_for_claims -= Uint128::new(paid);
                expected.state.totals.paid_out += Uint128::new(paid);
                expected.hub_native -= paid;
                same_books(
                    "withdraw pays each request its pro rata part",
                    &expected,
                    &self.last,
                )?;
                same("withdraw", "chain", &before.chain, &self.last.chain)?;
                *self.model.native[user].as_mut().expect("funded") += paid;
                self.model.paid_out += paid;
                self.check_rate_move(&before, 0, 0)?;
                self.check_users(&[user])?;
                return self.check_invariants();
            }
        };
        self.refused(&err, &before, &[user], |refusal| {
            matches!(refusal, Refusal::Hub(HubError::NothingToWithdraw { .. }))
                && claimable.is_empty()
        })
    }

    pub fn transfer(&mut self, from: usize, to: usize, permille: u16) -> Checked {
        let (from, to) = (self.user_index(from), self.user_index(to));
        let sender = self.user(from);
        let recipient = self.user(to);
        let balance = self.model.shares[from];
        let shares = balance * u128::from(permille) / 1000;
        let msg = Cw20ExecuteMsg::Transfer {
            recipient: recipient.into_string(),
            amount: Uint128::new(shares),
        };
        let token = self.suite.token.clone();
        let result = self.suite.app.execute_contract(sender, token, &msg, &[]);
        let before = self.observe_next();
        match result {
            Err(err) => self.refused(&err, &before, &[from, to], |refusal| {
                matches!(refusal, Refusal::Token(_)) && shares == 0
            }),
            Ok(_) => {
                self.model.shares[from] -= shares;
                self.model.shares[to] += shares;
                same_books("transfer", &before, &self.last)?;
                self.check_users(&[from, to])?;
                self.check_invariants()
            }
        }
    }

    /// Bond, then queue exactly the shares minted in the block the epoch ended, so that the
    /// request submits the batch: the native the batch converts them to must not exceed the
    /// bond (invariant 5).
    pub fn round_trip(&mut self, drawn: usize, native: u128) -> Checked {
        let user = self.user_index(drawn);
        let submit_after = self.last.pending.submit_after;
        self.advance_until(submit_after)?;
        let Some(shares) = self.bond(user, native, None, None)? else {
            return Ok(());
        };
        let batch_id = self.last.pending.id;
        // The submission's sync in this block: what it finds beyond the ledger and what vests.
        let synced = sync(&self.last);
        self.no_inflow_trips(&synced)?;
        let total_shares = self.last.total_shares();
        let (_, submitted) = self.queue_unbond(user, shares)?;
        if !submitted {
            return Ok(());
        }
        let batch = &self.last.batches[&batch_id];
        let returned = mul_div(batch.native_expected.u128(), shares, batch.shares.u128());
        // Stake the submission's sync found beyond the ledger (share rounding) and rewards that
        // vest are booked before the shares convert: a holder of the moment takes at most its
        // pro rata share of them, rounded up.
        let found = synced.surplus + synced.vested;
        let share_of_found = mul_div(found, shares, total_shares) + u128::from(found > 0);
        self.stats.invariant_checks += 1;
        ensure(returned <= native + share_of_found, "5 round trip", || {
            format!(
                "bonded {native}, unbonding the {shares} shares minted returns {returned} \
                 ({found} found or vested by the sync)"
            )
        })
    }

    /// A transfer nobody asked for to the hub, the collector or the token: it moves that
    /// address's balance and nothing in the books (the hub holds it in suspense, the collector
    /// forwards it as rewards at the next harvest, which vest gradually).
    pub fn donate(&mut self, drawn: usize, native: u128, to: u8) -> Checked {
        let user = self.user_index(drawn);
        let sender = self.user(user);
        let recipient = match to % 3 {
            0 => self.suite.hub.clone(),
            1 => self.suite.collector.clone(),
            _ => self.suite.token.clone(),
        };
        self.suite
            .app
            .send_tokens(sender, recipient, &coins(native, DENOM))
            .expect("a funded user can send");
        let before = self.observe_next();
        *self.model.native[user].as_mut().expect("funded") -= native;
        let mut expected = before.clone();
        match to % 3 {
            0 => expected.hub_native += native,
            1 => expected.collector_native += native,
            _ => {}
        }
        same_books(
            "a donation moves nothing but the recipient's balance",
            &expected,
            &self.last,
        )?;
        self.check_rate_move(&before, 0, 0)?;
        self.check_users(&[user])?;
        self.check_invariants()
    }

    /// A holder burning derivative directly: the token refuses (invariant 3, only the hub
    /// burns).
    pub fn holder_burn(&mut self, drawn: usize) -> Checked {
        let user = self.user_index(drawn);
        let sender = self.user(user);
        let amount = (self.model.shares[user] / 2).max(1);
        let msg = Cw20ExecuteMsg::Burn {
            amount: Uint128::new(amount),
        };
        let token = self.suite.token.clone();
        let result = self.suite.app.execute_contract(sender, token, &msg, &[]);
        let before = self.observe_next();
        let Err(err) = result else {
            return Err(super::fail(
                "3 supply",
                format!("a holder burned {amount} derivative"),
            ));
        };
        self.refused(&err, &before, &[user], |refusal| {
            matches!(refusal, Refusal::Token(TokenError::BurnNotAllowed { .. }))
        })
    }
}

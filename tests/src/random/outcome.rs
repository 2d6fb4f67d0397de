//! What an operation's result is compared with: refusals are classified (the hub's typed
//! errors, the token's, the chain's, anything else) and must leave everything unchanged; an
//! accepted operation's observation must equal the one the harness predicts.

use std::fmt::Debug;

use cosmwasm_std::{Addr, Coin};
use cw_multi_test::error::{AnyError, AnyResult};
use cw_multi_test::{AppResponse, Executor};
use flowstake::hub::ExecuteMsg;
use flowstake_hub::error::ContractError as HubError;
use flowstake_token::error::ContractError as TokenError;

use super::observe::{ChainView, Observation};
use super::world::World;
use super::{ensure, fail, Checked};
use crate::strict::ChainError;

/// Why a call was refused.
#[derive(Debug)]
pub enum Refusal<'a> {
    Hub(&'a HubError),
    Token(&'a TokenError),
    /// The chain refused a message the hub sent: never a legitimate refusal (invariant 7).
    Chain(&'a ChainError),
    /// Anything else (the bank, cw-multi-test), as text.
    Other(String),
}

/// Finds the most specific error inside a failed call. A chain error comes first: if the chain
/// refused a message of the hub, the hub's own code did not fail.
pub fn classify(err: &AnyError) -> Refusal<'_> {
    if let Some(chain) = err.downcast_ref::<ChainError>() {
        return Refusal::Chain(chain);
    }
    if let Some(hub) = err.downcast_ref::<HubError>() {
        return Refusal::Hub(hub);
    }
    if let Some(token) = err.downcast_ref::<TokenError>() {
        return Refusal::Token(token);
    }
    Refusal::Other(format!("{err:#}"))
}

/// The name of a refusal: its error's variant, without the fields.
pub fn reason(refusal: &Refusal) -> String {
    let full = match refusal {
        Refusal::Hub(err) => format!("hub {err:?}"),
        Refusal::Token(err) => format!("token {err:?}"),
        Refusal::Chain(err) => format!("chain {err:?}"),
        Refusal::Other(_) => "other".to_string(),
    };
    let end = full.find([' ', '{', '(']).map_or(full.len(), |space| {
        space
            + 1
            + full[space + 1..]
                .find([' ', '{', '('])
                .unwrap_or(full.len() - space - 1)
    });
    full[..end].to_string()
}

/// Fails unless `actual` equals `expected`.
pub fn same<T: PartialEq + Debug>(
    check: &'static str,
    what: &str,
    expected: &T,
    actual: &T,
) -> Checked {
    if expected == actual {
        Ok(())
    } else {
        Err(fail(
            check,
            format!("{what}: expected {expected:?}, observed {actual:?}"),
        ))
    }
}

/// Compares everything the hub, the token and the bank record for the protocol, field by
/// field so that a difference names its field. The collector and the chain have their own
/// rules (the chain pays rewards into the collector by itself; the chain rounds after slashes).
pub fn same_books(check: &'static str, expected: &Observation, actual: &Observation) -> Checked {
    same(check, "config", &expected.config, &actual.config)?;
    same(check, "state", &expected.state, &actual.state)?;
    let mut expected_paused = expected.paused.clone();
    let mut actual_paused = actual.paused.clone();
    expected_paused.sort();
    actual_paused.sort();
    same(check, "paused operations", &expected_paused, &actual_paused)?;
    same(check, "ownership", &expected.ownership, &actual.ownership)?;
    same(check, "pending batch", &expected.pending, &actual.pending)?;
    same(
        check,
        "submission",
        &expected.submission,
        &actual.submission,
    )?;
    same(check, "batches", &expected.batches, &actual.batches)?;
    same(check, "validator ledger", &expected.ledger, &actual.ledger)?;
    same(
        check,
        "hub balance",
        &expected.hub_native,
        &actual.hub_native,
    )?;
    same(
        check,
        "fee receiver balance",
        &expected.fee_receiver_native,
        &actual.fee_receiver_native,
    )?;
    same(
        check,
        "derivative supply",
        &expected.token_supply,
        &actual.token_supply,
    )?;
    same(
        check,
        "derivative held by the hub",
        &expected.hub_shares,
        &actual.hub_shares,
    )
}

/// The chain after the hub moved stake: each validator's delegation changed by `deltas`
/// (exactly, or within one unit on a slashed validator whose shares convert with rounding, or
/// on every validator named in `deltas` when the stake came `loose` from a slashed one), every
/// other one unchanged.
pub fn same_delegations(
    world: &World,
    before: &ChainView,
    after: &ChainView,
    deltas: &[(String, i128)],
    loose: bool,
) -> Checked {
    let validators: std::collections::BTreeSet<&String> = before
        .delegations
        .keys()
        .chain(after.delegations.keys())
        .collect();
    for validator in validators {
        let delta: i128 = deltas
            .iter()
            .filter(|(address, _)| address == validator)
            .map(|(_, delta)| *delta)
            .sum();
        let expected = before.delegation(validator) as i128 + delta;
        let actual = after.delegation(validator) as i128;
        let named = deltas.iter().any(|(address, _)| address == validator);
        let tolerance =
            i128::from(world.model.slashed_validators.contains(validator) || (loose && named));
        if (expected - actual).abs() > tolerance {
            return Err(fail(
                "7 chain",
                format!(
                    "delegation to {validator}: expected {expected} (±{tolerance}), the chain \
                     holds {actual}"
                ),
            ));
        }
    }
    Ok(())
}

impl World {
    /// Sends `msg` to the hub from `sender`.
    pub fn execute_hub(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> AnyResult<AppResponse> {
        let hub = self.suite.hub.clone();
        self.suite
            .app
            .execute_contract(sender.clone(), hub, msg, funds)
    }

    /// After a refusal: it must be one `allowed` accepts in the state `before`, and nothing may
    /// have changed, for the protocol or for the `users` involved (invariant 8). A refusal by
    /// the chain of a message the hub sent breaks invariant 7 unless `allowed` accepts it as a
    /// known finding.
    pub fn refused(
        &mut self,
        err: &AnyError,
        before: &Observation,
        users: &[usize],
        allowed: impl FnOnce(&Refusal) -> bool,
    ) -> Checked {
        self.stats.refused += 1;
        let refusal = classify(err);
        *self.stats.by_refusal.entry(reason(&refusal)).or_default() += 1;
        let tolerated = allowed(&refusal);
        if let Refusal::Chain(chain) = refusal {
            // Only a refusal a test in `tests/tests/adversarial_*.rs` reports as a finding of
            // the hub is let through, so that the suite keeps looking for new ones.
            if !tolerated {
                return Err(fail(
                    "7 chain limits",
                    format!("the chain refused a message of the hub: {chain:?}"),
                ));
            }
        } else if !tolerated {
            return Err(fail(
                "8 refusals",
                format!("refused for a reason the state does not justify: {refusal:?}"),
            ));
        }
        if *before != self.last {
            same_books("8 refusals change nothing", before, &self.last)?;
            same(
                "8 refusals change nothing",
                "chain",
                &before.chain,
                &self.last.chain,
            )?;
            same(
                "8 refusals change nothing",
                "collector",
                &before.collector_native,
                &self.last.collector_native,
            )?;
        }
        self.check_users(users)?;
        self.check_invariants()
    }

    /// The users' balances and requests are what the model expects.
    pub fn check_users(&mut self, users: &[usize]) -> Checked {
        for &index in users {
            let address = self.user(index);
            let view = self.suite.user_view(&address);
            let model = &self.model;
            same(
                "user balances",
                &format!("native of user{index}"),
                &model.native[index].unwrap_or(0),
                &view.native,
            )?;
            same(
                "3 supply",
                &format!("derivative of user{index}"),
                &model.shares[index],
                &view.shares,
            )?;
            let requests: Vec<(u64, u128)> = model
                .requests
                .get(&index)
                .map(|requests| requests.iter().map(|(id, r)| (*id, r.shares)).collect())
                .unwrap_or_default();
            same(
                "6 batches",
                &format!("requests of user{index}"),
                &requests,
                &view.requests,
            )?;
        }
        Ok(())
    }

    /// The collector only gains between harvests: the chain pays it rewards when a delegation
    /// changes.
    pub fn collector_grew(&self, before: &super::observe::Observation) -> Checked {
        ensure(
            self.last.collector_native >= before.collector_native,
            "2 conservation",
            || {
                format!(
                    "the collector lost funds: {} -> {}",
                    before.collector_native, self.last.collector_native
                )
            },
        )
    }
}

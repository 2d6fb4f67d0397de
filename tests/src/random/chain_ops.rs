//! The chain: time passing (rewards accrue, unbondings pay out, redelegations mature),
//! slashes, jailing, tombstoning, validators unbonding and being deleted, and governance
//! changing the unbonding time. None of them may change the hub's books; they change what the
//! chain holds, which the hub learns at its next sync or reconcile.

use crate::accounts::BLOCK_SECONDS;
use crate::strict::{StrictChain, StrictSudo};
use cosmwasm_std::Decimal;

use super::outcome::{same, same_books};
use super::world::World;
use super::{ensure, Checked};

impl World {
    /// Time passes by `seconds`, in the blocks of `Suite::pass_time` (so that the end of
    /// block of a block `BLOCK_SECONDS` before the new time has run). The harness's reward
    /// meter is not kept: the checks read the rewards from the hub's books and the collector.
    pub fn advance(&mut self, seconds: u64) -> Checked {
        self.suite.meter.exact = false;
        self.suite.pass_time(seconds);
        let before = self.observe_next();
        let mut expected = before.clone();
        let paid = before.chain.unbonding_total()
            - self
                .last
                .chain
                .unbonding_total()
                .min(before.chain.unbonding_total());
        expected.hub_native += paid;
        same_books(
            "time passing pays matured unbondings to the hub only",
            &expected,
            &self.last,
        )?;
        same(
            "advance",
            "delegations",
            &before.chain.delegations,
            &self.last.chain.delegations,
        )?;
        same(
            "advance",
            "collector",
            &before.collector_native,
            &self.last.collector_native,
        )?;
        // Time only pays entries out: what is left at each validator is what was there, less
        // entries whose completion has come (in any order: an entry made after a shortening of
        // the unbonding time completes before older ones). What was paid is recorded by
        // completion time.
        let now = self.last.now;
        for (validator, old) in &before.chain.unbonding {
            let left = self
                .last
                .chain
                .unbonding
                .get(validator)
                .cloned()
                .unwrap_or_default();
            let mut kept = left.iter().peekable();
            for entry in old {
                if kept.peek() == Some(&entry) {
                    kept.next();
                    continue;
                }
                ensure(entry.completes_at <= now, "7 chain", || {
                    format!("{validator} paid {entry:?} before its completion, at {now}")
                })?;
                *self
                    .model
                    .paid_by_completion
                    .entry(entry.completes_at)
                    .or_default() += entry.balance;
            }
            ensure(kept.peek().is_none(), "7 chain", || {
                format!("unbonding entries at {validator} changed with time: {old:?} -> {left:?}")
            })?;
        }
        let appeared = self
            .last
            .chain
            .unbonding
            .keys()
            .find(|validator| !before.chain.unbonding.contains_key(*validator));
        ensure(appeared.is_none(), "7 chain", || {
            format!("unbonding entries appeared at {appeared:?} with time")
        })?;
        self.check_invariants()
    }

    /// Time passes until `timestamp`; nothing happens if it has passed.
    pub fn advance_until(&mut self, timestamp: u64) -> Checked {
        let now = self.suite.now();
        if timestamp > now {
            self.advance(timestamp - now)
        } else {
            Ok(())
        }
    }

    /// Slashes a chain validator. The chain may refuse (an unbonded validator); an accepted
    /// slash lowers what the chain holds and nothing in the hub's books.
    pub fn slash(&mut self, drawn: usize, permille: u16, at_oldest_entry: bool) -> Checked {
        let validator = self.chain_validator(drawn);
        let height = self.suite.height();
        let infraction_height = if at_oldest_entry {
            self.suite
                .app
                .oldest_entry_height(&validator)
                .unwrap_or(height)
        } else {
            height
        };
        let result = self.suite.app.strict_sudo(StrictSudo::Slash {
            validator: validator.clone(),
            infraction_height,
            fraction: Decimal::permille(u64::from(permille)),
        });
        let before = self.observe_next();
        if result.is_ok() {
            // A slash reaches the stake redelegated out of the validator by unbonding shares at
            // the destinations, whose delegations then convert with rounding too.
            let destinations = before
                .chain
                .redelegations
                .keys()
                .filter(|(source, _)| *source == validator)
                .map(|(_, destination)| destination.clone());
            self.model.slashed_validators.extend(destinations);
            self.model.slashed_validators.insert(validator);
        }
        same_books(
            "a slash leaves the books to the next sync",
            &before,
            &self.last,
        )?;
        let after = &self.last.chain;
        for (address, amount) in &after.delegations {
            ensure(
                *amount <= before.chain.delegation(address),
                "7 chain",
                || format!("a slash raised the delegation to {address}"),
            )?;
        }
        if after.unbonding_total() < before.chain.unbonding_total() {
            let last_batch = before.batches.keys().next_back().copied();
            self.model.unbonding_cut_until = self.model.unbonding_cut_until.max(last_batch);
        }
        self.collector_grew(&before)?;
        self.check_invariants()
    }

    /// Jails or unjails a chain validator; the chain refuses when it already is.
    pub fn jail(&mut self, drawn: usize, jail: bool) -> Checked {
        let validator = self.chain_validator(drawn);
        let msg = if jail {
            StrictSudo::Jail { validator }
        } else {
            StrictSudo::Unjail { validator }
        };
        // A refusal (already jailed, not jailed) changes nothing, like an accepted one.
        let _ = self.suite.app.strict_sudo(msg);
        let before = self.observe_next();
        same_books("jailing leaves the books alone", &before, &self.last)?;
        same("jail", "chain", &before.chain, &self.last.chain)?;
        self.check_invariants()
    }

    /// A double sign: a slash of `permille` for an infraction as old as a slash can reach,
    /// then the validator is jailed for good. The tombstone itself changes nothing but the
    /// validator's standing (the hub sees it leave the active set at its next sync).
    pub fn tombstone(&mut self, drawn: usize, permille: u16) -> Checked {
        self.slash(drawn, permille, true)?;
        let validator = self.chain_validator(drawn);
        let result = self
            .suite
            .app
            .strict_sudo(StrictSudo::Tombstone { validator });
        let before = self.observe_next();
        same_books("tombstoning leaves the books alone", &before, &self.last)?;
        same("tombstone", "chain", &before.chain, &self.last.chain)?;
        if result.is_ok() {
            let validator = self.chain_validator(drawn);
            let unjailed = self.suite.app.strict_sudo(StrictSudo::Unjail { validator });
            ensure(unjailed.is_err(), "7 chain", || {
                "a tombstoned validator was unjailed".to_string()
            })?;
        }
        self.check_invariants()
    }

    /// The validator is jailed (if it is not) and time passes until x/staking has unbonded
    /// it; with no shares left it is deleted. The hub's stake there, if any, keeps it alive.
    pub fn retire(&mut self, drawn: usize) -> Checked {
        let validator = self.chain_validator(drawn);
        let _ = self.suite.app.strict_sudo(StrictSudo::Jail {
            validator: validator.clone(),
        });
        let before = self.observe_next();
        same_books("jailing leaves the books alone", &before, &self.last)?;
        let existed = self.suite.app.validator_state(&validator).is_some();
        let wait = self.chain_unbonding_time() + BLOCK_SECONDS;
        self.advance(wait)?;
        // Unbonding entries do not keep a validator (they complete without it), shares do.
        let held = self.last.chain.delegation(&validator) > 0;
        let state = self.suite.app.validator_state(&validator);
        ensure(!(held && state.is_none()), "7 chain", || {
            format!("the chain deleted {validator}, which holds the hub's stake")
        })?;
        if existed && state.is_none() {
            self.stats.deleted_validators += 1;
        }
        Ok(())
    }

    /// Chain governance sets the unbonding time: later undelegations complete that long after
    /// they are made; entries on the chain keep their completion time, and the hub's books and
    /// configuration do not change.
    pub fn set_unbonding_time(&mut self, seconds: u64) -> Checked {
        self.suite
            .set_unbonding_time(seconds)
            .map_err(|err| super::fail("7 chain", format!("unbonding time refused: {err}")))?;
        self.model.chain_unbonding_seconds = seconds;
        self.model.longest_chain_unbonding = self.model.longest_chain_unbonding.max(seconds);
        let before = self.observe_next();
        same_books(
            "the chain's unbonding time leaves the books alone",
            &before,
            &self.last,
        )?;
        same(
            "set_unbonding_time",
            "chain",
            &before.chain,
            &self.last.chain,
        )?;
        self.check_invariants()
    }
}

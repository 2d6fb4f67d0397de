//! The chain: time passing (rewards accrue, unbondings pay out, redelegations mature),
//! slashes and jailing. None of them may change the hub's books; they change what the chain
//! holds, which the hub learns at its next sync or reconcile.

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
        for (validator, entries) in &self.last.chain.unbonding {
            let old = before
                .chain
                .unbonding
                .get(validator)
                .cloned()
                .unwrap_or_default();
            ensure(old.ends_with(entries), "7 chain", || {
                format!(
                    "unbonding entries at {validator} changed with time: {old:?} -> {entries:?}"
                )
            })?;
        }
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
}

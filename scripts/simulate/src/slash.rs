//! The scheduled slash: one validator with stake is slashed for an infraction committed while
//! batches were unbonding from it, then a keeper syncs. What the chain takes is checked against
//! x/staking's rule, computed here: the unbonding entries created at or after the infraction
//! height each lose `floor(fraction * initial balance)`, the bonded stake loses the rest of
//! `floor(fraction * power at the infraction)`, and older entries are untouched.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::{Decimal, Timestamp};
use flowstake_tests::strict::UnbondingEntry;

use crate::checks::increase;
use crate::config::Infraction;
use crate::engine::Simulation;
use crate::error::Halt;
use crate::model::{mul_div_floor, Stage};

/// What a slash should take: from each unbonding entry (in the order given) and from the
/// bonded stake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlashCut {
    pub entries: Vec<u128>,
    pub bonded: u128,
}

/// `floor(amount * fraction)`, as x/staking truncates.
fn fraction_of(amount: u128, fraction: Decimal) -> u128 {
    mul_div_floor(
        amount,
        fraction.atomics().u128(),
        10u128.pow(Decimal::DECIMAL_PLACES),
    )
}

/// Where a slash happens and what the validator held then.
#[derive(Clone, Copy, Debug)]
pub struct SlashAt {
    pub fraction: Decimal,
    pub infraction_height: u64,
    /// The validator's tokens when the infraction's block began.
    pub power: u128,
    /// Its bonded tokens now.
    pub bonded: u128,
    pub height: u64,
    pub now: Timestamp,
}

/// x/staking `Slash` for the entries of the slashed validator: `floor(fraction * power)` in
/// all. An entry created at or after the infraction height and not yet matured owes
/// `floor(fraction * initial_balance)` and gives at most its balance; the bonded stake gives
/// what the entries did not owe, at most all of it. For an infraction in the current block no
/// entry is touched.
pub fn expected_slash(at: &SlashAt, entries: &[UnbondingEntry]) -> SlashCut {
    let reaches = |entry: &UnbondingEntry| {
        at.infraction_height < at.height
            && entry.creation_height >= at.infraction_height
            && entry.completion_time > at.now
    };
    let mut owed_total = 0u128;
    let cuts = entries
        .iter()
        .map(|entry| {
            if !reaches(entry) {
                return 0;
            }
            let owed = fraction_of(entry.initial_balance.u128(), at.fraction);
            owed_total += owed;
            owed.min(entry.balance.u128())
        })
        .collect();
    let remaining = fraction_of(at.power, at.fraction).saturating_sub(owed_total);
    SlashCut {
        entries: cuts,
        bonded: remaining.min(at.bonded),
    }
}

impl Simulation {
    /// Slashes one validator with stake while batches are unbonding, checks what the chain
    /// took against the rule, books each batch's loss, then a keeper syncs.
    pub(crate) fn slash_event(&mut self) -> Result<(), Halt> {
        let action = "slash";
        let delegations: BTreeMap<String, u128> = self
            .chain
            .delegations()
            .map_err(|err| self.failed(action, err))?
            .into_iter()
            .collect();
        let candidates: Vec<usize> = (0..self.chain.validators.len())
            .filter(|index| delegations.get(&self.chain.validators[*index]).copied() > Some(0))
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let index = candidates[rand::RngExt::random_range(&mut self.rng, 0..candidates.len())];
        let validator = self.chain.validators[index].clone();
        self.snapshot("before the slash")?;
        let ledger = self
            .chain
            .ledger()
            .map_err(|err| self.failed(action, err))?;
        let ledger_before = ledger
            .iter()
            .find(|v| v.address == validator)
            .map_or(0, |v| v.delegated.u128());
        let bonded_before = delegations.get(&validator).copied().unwrap_or(0);

        let height = self.chain.height();
        let infraction_height = self.infraction_height(&validator);
        let power = if infraction_height == height {
            bonded_before
        } else {
            self.stake_at(&validator, infraction_height - 1)
        };
        let at = SlashAt {
            fraction: self.config.slash_fraction,
            infraction_height,
            power,
            bonded: bonded_before,
            height,
            now: self.chain.app.block_info().time,
        };
        let own = self.entries_at(&validator);
        let expected = expected_slash(&at, &own);
        self.chain
            .slash(&validator, infraction_height, self.config.slash_fraction)
            .map_err(|err| self.failed(action, err))?;
        let entries_after = self.entries_at(&validator);
        let bonded_after = self
            .chain
            .delegations()
            .map_err(|err| self.failed(action, err))?
            .into_iter()
            .find(|(v, _)| *v == validator)
            .map_or(0, |(_, amount)| amount);

        let ctx = self.context(action);
        let cuts: Vec<u128> = own
            .iter()
            .zip(&entries_after)
            .map(|(old, new)| increase(new.balance, old.balance))
            .collect();
        let same_entries = entries_after.len() == own.len()
            && own.iter().zip(&entries_after).all(|(old, new)| {
                old.creation_height == new.creation_height
                    && old.initial_balance == new.initial_balance
            });
        self.checker.ensure(
            &ctx,
            "conservation",
            same_entries && cuts == expected.entries,
            || {
                format!(
                    "the slash cut {cuts:?} from the unbonding entries at {validator}, the rule \
                     for an infraction at height {infraction_height} gives {:?}",
                    expected.entries
                )
            },
        )?;
        let bonded_cut = bonded_before.saturating_sub(bonded_after);
        self.checker
            .ensure(&ctx, "conservation", bonded_cut == expected.bonded, || {
                format!(
                    "the slash took {bonded_cut} of the bonded {bonded_before}, the rule gives {} \
                     (power {power} at height {infraction_height})",
                    expected.bonded
                )
            })?;

        let mut hit = BTreeSet::new();
        for (entry, cut) in own.iter().zip(&cuts).filter(|(_, cut)| **cut > 0) {
            let batch = self.books.batches.values().find(|batch| {
                batch.stage == Stage::Unbonding && batch.submitted_height == entry.creation_height
            });
            let found = batch.map(|batch| batch.id);
            match found {
                Some(id) => {
                    self.books.lost_in_flight(id, *cut);
                    hit.insert(id);
                }
                None => self.books.loss_in_flight += cut,
            }
            self.stats.slash_loss_unbonding += cut;
            self.checker
                .ensure(&ctx, "batch accounting", found.is_some(), || {
                    format!(
                        "an unbonding entry created at height {} belongs to no batch unbonding",
                        entry.creation_height
                    )
                })?;
        }
        self.stats.slash_batches_hit = hit.len() as u64;
        self.stats.slash_batches_spared = own
            .iter()
            .filter(|entry| entry.creation_height < infraction_height)
            .count() as u64;
        self.stats.slash_loss_bonded = bonded_cut;
        self.stats.slashed_validator = Some(format!("validator{index}"));
        self.stats.infraction_day = Some(self.day_of_height(infraction_height));
        self.refresh_unbonding()?;
        self.snapshot("after the slash")?;

        let action = "sync after the slash";
        self.count_transaction();
        self.chain.sync().map_err(|err| self.failed(action, err))?;
        let before = self.after_step(action)?;
        let booked = increase(before.state.totals.slashed, self.last.state.totals.slashed);
        let ledger_loss = ledger_before.saturating_sub(bonded_after);
        let ctx = self.context(action);
        self.checker
            .ensure(&ctx, "conservation", booked == ledger_loss, || {
                format!(
                    "the sync booked {booked} as slashed, the chain holds {ledger_loss} less \
                     than the ledger"
                )
            })?;
        Ok(())
    }

    /// The hub's unbonding entries at the validator, oldest first.
    fn entries_at(&self, validator: &str) -> Vec<UnbondingEntry> {
        self.chain
            .unbondings()
            .into_iter()
            .filter(|(from, _)| from == validator)
            .map(|(_, entry)| entry)
            .collect()
    }

    /// The block of the infraction: that of the oldest entry out of the validator the slash can
    /// still reach (every batch unbonding from it is hit), or the block of a given day.
    fn infraction_height(&self, validator: &str) -> u64 {
        let height = self.chain.height();
        match self.config.infraction {
            Infraction::OldestEntry => self.chain.oldest_entry_height(validator),
            Infraction::DaysBefore(days) => {
                let day = self.day.saturating_sub(days);
                self.evenings
                    .iter()
                    .find(|evening| evening.day == day)
                    .map(|evening| evening.height)
            }
        }
        .unwrap_or(height)
        .min(height)
    }

    /// The hub's stake at the validator at the end of block `height`: what it held at the end
    /// of the last day at or before it (every transaction of a day is in one block; the hub is
    /// the validator's only delegator).
    fn stake_at(&self, validator: &str, height: u64) -> u128 {
        self.evenings
            .iter()
            .rev()
            .find(|evening| evening.height <= height)
            .and_then(|evening| evening.stakes.get(validator).copied())
            .unwrap_or(0)
    }

    /// The day whose block has this height (today if none).
    fn day_of_height(&self, height: u64) -> u64 {
        self.evenings
            .iter()
            .find(|evening| evening.height == height)
            .map_or(self.day, |evening| evening.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;

    fn entry(height: u64, completes: u64, initial: u128, balance: u128) -> UnbondingEntry {
        UnbondingEntry {
            creation_height: height,
            completion_time: Timestamp::from_seconds(completes),
            initial_balance: Uint128::new(initial),
            balance: Uint128::new(balance),
        }
    }

    fn at(infraction_height: u64, power: u128, bonded: u128) -> SlashAt {
        SlashAt {
            fraction: Decimal::percent(5),
            infraction_height,
            power,
            bonded,
            height: 100,
            now: Timestamp::from_seconds(1_000),
        }
    }

    #[test]
    fn only_entries_from_the_infraction_on_pay_and_the_bonded_stake_pays_the_rest() {
        let entries = [
            entry(10, 2_000, 1_000, 1_000),
            entry(20, 3_000, 999, 999),
            entry(30, 4_000, 19, 19),
        ];
        let cut = expected_slash(&at(20, 10_019, 9_000), &entries);
        // Before height 20: untouched; 5 % of 999 is 49.95, of 19 is 0.95: truncated.
        assert_eq!(cut.entries, vec![0, 49, 0]);
        // 5 % of 10,019 is 500.95 -> 500, less the 49 + 0 the entries owed.
        assert_eq!(cut.bonded, 451);
    }

    #[test]
    fn an_entry_gives_at_most_its_balance_and_the_bonded_stake_at_most_all_of_it() {
        let entries = [entry(20, 3_000, 1_000, 10)];
        let cut = expected_slash(&at(20, 100_000, 3_000), &entries);
        assert_eq!(cut.entries, vec![10]);
        // The entry owed 50 of the 5,000; the bonded stake has only 3,000.
        assert_eq!(cut.bonded, 3_000);
    }

    #[test]
    fn matured_entries_and_infractions_in_the_current_block_spare_the_entries() {
        let entries = [entry(20, 1_000, 1_000, 1_000)];
        assert_eq!(
            expected_slash(&at(20, 2_000, 1_000), &entries).entries,
            vec![0]
        );
        let cut = expected_slash(&at(100, 2_000, 1_000), &[entry(100, 5_000, 1_000, 1_000)]);
        assert_eq!(
            cut,
            SlashCut {
                entries: vec![0],
                bonded: 100
            }
        );
    }
}

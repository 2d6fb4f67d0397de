//! The simulation's own count of the rewards the hub's delegations earn, to check every payment
//! the chain makes against it.
//!
//! Each delegation earns the APR on its stake every second (the validators charge no
//! commission, and the hub is each validator's only delegator, so its delegation is worth
//! exactly the validator's tokens). A withdrawal, whether a harvest asks for it or the chain makes it by itself
//! because the delegation changed, pays the whole units earned since the previous one and drops
//! the fraction, as x/distribution does; the next period starts from zero. Time moves in whole
//! days and every transaction of a day happens in one block, so a delegation earns, between two
//! days, the APR on the stake it held at the end of the first.

use std::collections::BTreeMap;

use cosmwasm_std::{Decimal, Uint128, Uint256};

use crate::config::YEAR;
use crate::engine::Simulation;
use crate::error::Halt;

/// Rewards earned and not withdrawn, per validator, in units of `1 / (10^18 * YEAR)` native so
/// that every second's share is exact.
#[derive(Clone, Debug)]
pub struct RewardMeter {
    apr: Decimal,
    accrued: BTreeMap<String, Uint256>,
}

impl RewardMeter {
    pub fn new(apr: Decimal) -> Self {
        Self {
            apr,
            accrued: BTreeMap::new(),
        }
    }

    /// `seconds` of rewards on `stakes` (validator, native delegated).
    pub fn accrue<'a>(
        &mut self,
        stakes: impl IntoIterator<Item = (&'a String, &'a u128)>,
        seconds: u64,
    ) {
        let per_unit = Uint256::from(self.apr.atomics().u128()) * Uint256::from(seconds);
        for (validator, stake) in stakes {
            if *stake == 0 {
                continue;
            }
            *self.accrued.entry(validator.clone()).or_default() += Uint256::from(*stake) * per_unit;
        }
    }

    /// What a withdrawal from the validator pays now: the whole units earned, rounded down.
    pub fn pending(&self, validator: &str) -> u128 {
        self.accrued
            .get(validator)
            .map_or(0, |accrued| whole(*accrued))
    }

    /// Books a withdrawal from the validator and returns what it should have paid; the
    /// fraction left over is dropped, as on the chain.
    pub fn withdrawn(&mut self, validator: &str) -> u128 {
        self.accrued.remove(validator).map_or(0, whole)
    }
}

impl Simulation {
    /// Checks the reward withdrawals the chain made during the step, each against the rewards
    /// the delegation earned since the previous one, and counts what went to the collector.
    pub(crate) fn book_payments(&mut self, action: &str) -> Result<(), Halt> {
        let payments = self.chain.take_payments();
        if payments.is_empty() {
            return Ok(());
        }
        let mut wrong = vec![];
        for payment in &payments {
            let earned = self.meter.withdrawn(&payment.validator);
            if payment.amount != earned {
                wrong.push((payment.validator.clone(), payment.amount, earned));
            }
            self.books.rewards_paid += payment.amount;
            if action != "harvest" {
                self.stats.rewards_paid_on_changes += payment.amount;
            }
        }
        let ctx = self.context(action);
        self.checker
            .ensure(&ctx, "conservation", wrong.is_empty(), || {
                format!(
                    "the chain paid rewards that differ from what the stake earned at the APR \
                     (validator, paid, earned): {wrong:?}"
                )
            })?;
        Ok(())
    }
}

/// Accrued units as whole native, rounded down.
fn whole(accrued: Uint256) -> u128 {
    let unit = Uint256::from(10u128.pow(Decimal::DECIMAL_PLACES)) * Uint256::from(YEAR);
    Uint128::try_from(accrued / unit).map_or(u128::MAX, |whole| whole.u128())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DAY;

    fn stakes(pairs: &[(&str, u128)]) -> BTreeMap<String, u128> {
        pairs.iter().map(|(v, s)| (v.to_string(), *s)).collect()
    }

    #[test]
    fn a_day_at_36_5_percent_pays_a_thousandth_rounded_down() {
        let mut meter = RewardMeter::new(Decimal::permille(365));
        meter.accrue(&stakes(&[("a", 1_999_999), ("b", 999)]), DAY);
        assert_eq!(meter.pending("a"), 1_999);
        assert_eq!(meter.withdrawn("b"), 0);
        // The fraction b earned was dropped with the withdrawal: another day is again 0.999.
        meter.accrue(&stakes(&[("b", 999)]), DAY);
        assert_eq!(meter.withdrawn("b"), 0);
        // Without a withdrawal the fractions add up: a earns 1999.999 a day.
        meter.accrue(&stakes(&[("a", 1_999_999)]), DAY);
        assert_eq!(meter.withdrawn("a"), 3_999);
        assert_eq!(meter.withdrawn("a"), 0);
    }

    #[test]
    fn a_year_at_ten_percent_pays_a_tenth() {
        let mut meter = RewardMeter::new(Decimal::percent(10));
        meter.accrue(&stakes(&[("a", 1_000_000)]), YEAR);
        assert_eq!(meter.withdrawn("a"), 100_000);
    }
}

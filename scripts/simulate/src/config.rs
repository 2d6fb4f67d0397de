//! The scenario: the chain, the hub's configuration, the users' habits and the two events (a
//! slash and a validator removal), with the bounds every figure must respect.

use cosmwasm_std::Decimal;

use crate::error::SimError;

/// One day, in seconds.
pub const DAY: u64 = 86_400;
/// One year as the in-process chain counts it for rewards.
pub const YEAR: u64 = 365 * DAY;
/// The chain's staking denom.
pub const DENOM: &str = "ustake";
/// Decimals of the staking token and of the derivative: a unit of the denom is 10^-6 token.
pub const TOKEN_DECIMALS: u32 = 6;
/// Units of the denom per whole token, for display.
pub const UNITS_PER_TOKEN: u128 = 10u128.pow(TOKEN_DECIMALS);
/// The whole staking token as the summary and the charts name it.
pub const NATIVE_SYMBOL: &str = "STAKE";
/// The hub's derivative token.
pub const DERIVATIVE_SYMBOL: &str = "fsSTAKE";

pub const MAX_VALIDATORS: usize = 150;
pub const MAX_USERS: usize = 10_000;
pub const MAX_DAYS: u64 = 3_650;
/// The highest APR accepted, in percent.
pub const MAX_APR_PERCENT: u64 = 100;

/// The most native the users may hold together, per validator: 25,000 tokens, which sets the
/// scale of a run.
pub const FUNDS_PER_VALIDATOR: u128 = 25_000_000_000;
/// What one user holds at most on average: 10,000 tokens.
pub const MAX_MEAN_FUNDS: u128 = 10_000 * UNITS_PER_TOKEN;

/// How the users behave, as daily probabilities per user.
#[derive(Clone, Debug, PartialEq)]
pub struct Behaviour {
    /// Users make their first bond on a day drawn uniformly from `0..join_window_days`.
    pub join_window_days: u64,
    /// Chance of bonding again on a given day.
    pub bond: f64,
    /// Chance of queueing part of one's derivative for unbonding.
    pub unbond: f64,
    /// Chance of cancelling a request still in the pending batch.
    pub cancel: f64,
    /// Chance of withdrawing, once a request is withdrawable.
    pub withdraw: f64,
    /// Chance of sending a call the hub must reject (a bond below the minimum, a cancel with
    /// nothing pending), to check that it changes nothing.
    pub rejected: f64,
    /// Share of the users who, when they unbond, exit at once from the liquidity buffer if its
    /// preview says the buffer can pay, and queue otherwise. Spread evenly over the users
    /// (no draw from the generator, so a run without a buffer is the same run).
    pub instant_exiters: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            join_window_days: 30,
            bond: 0.03,
            unbond: 0.02,
            cancel: 0.15,
            withdraw: 0.5,
            rejected: 0.002,
            instant_exiters: 0.2,
        }
    }
}

/// The block of the infraction the scheduled slash punishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Infraction {
    /// The block of the oldest unbonding entry out of the slashed validator that a slash can
    /// still reach, as when a double sign is found late: every batch unbonding from it is cut.
    OldestEntry,
    /// The block of the day this many days before the slash: only the batches submitted that
    /// day or later are cut.
    DaysBefore(u64),
}

/// Everything a run depends on. The same configuration and seed give the same run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioConfig {
    pub validators: usize,
    pub users: usize,
    pub days: u64,
    /// Staking APR of every validator (no commission), accrued every second.
    pub apr: Decimal,
    /// The hub's protocol fee on rewards.
    pub fee_rate: Decimal,
    pub seed: u64,
    /// The hub's epoch between batch submissions.
    pub epoch_period: u64,
    /// Keepers harvest on the days divisible by this (1: every day). On the other days the
    /// rewards reach the collector only when a delegation changes.
    pub harvest_every_days: u64,
    /// The chain's unbonding time, and the hub's `unbonding_period`.
    pub unbonding_period: u64,
    /// The seed deposit at instantiation, minted as dead shares.
    pub seed_deposit: u128,
    pub min_bond: u128,
    pub min_unbond: u128,
    /// Day on which one validator is slashed, if the run lasts that long.
    pub slash_day: Option<u64>,
    pub slash_fraction: Decimal,
    pub infraction: Infraction,
    /// Day on which governance removes one validator, if the run lasts that long.
    pub removal_day: Option<u64>,
    /// The hub's liquidity buffer: the share of the backing kept unstaked (at most
    /// [`flowstake::MAX_BUFFER_TARGET`]) and the fee on an instant exit (at most
    /// [`flowstake::MAX_EXIT_FEE`]). Zero target: no buffer, nobody exits at once.
    pub buffer_target: Decimal,
    pub exit_fee: Decimal,
    pub behaviour: Behaviour,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        Self {
            validators: 30,
            users: 1_000,
            days: 180,
            apr: Decimal::percent(10),
            fee_rate: Decimal::percent(5),
            seed: 42,
            epoch_period: 4 * DAY,
            harvest_every_days: 1,
            unbonding_period: 21 * DAY,
            seed_deposit: UNITS_PER_TOKEN,
            min_bond: UNITS_PER_TOKEN / 100,
            min_unbond: UNITS_PER_TOKEN / 100,
            slash_day: Some(60),
            slash_fraction: Decimal::percent(5),
            infraction: Infraction::OldestEntry,
            removal_day: Some(90),
            buffer_target: Decimal::zero(),
            exit_fee: Decimal::zero(),
            behaviour: Behaviour::default(),
        }
    }
}

impl ScenarioConfig {
    /// Checks every bound; the message names the value and the bound.
    pub fn validate(&self) -> Result<(), SimError> {
        let fail = |message: String| Err(SimError::Config(message));
        if !(1..=MAX_VALIDATORS).contains(&self.validators) {
            return fail(format!(
                "validators must be 1..={MAX_VALIDATORS}, got {}",
                self.validators
            ));
        }
        if !(1..=MAX_USERS).contains(&self.users) {
            return fail(format!("users must be 1..={MAX_USERS}, got {}", self.users));
        }
        if !(1..=MAX_DAYS).contains(&self.days) {
            return fail(format!("days must be 1..={MAX_DAYS}, got {}", self.days));
        }
        if self.apr.is_zero() || self.apr > Decimal::percent(MAX_APR_PERCENT) {
            return fail(format!(
                "apr must be above 0 and at most {MAX_APR_PERCENT} %, got {} %",
                self.apr * Decimal::percent(10_000)
            ));
        }
        if self.fee_rate > flowstake::MAX_FEE_RATE {
            return fail(format!(
                "fee must be at most {} %, got {} %",
                flowstake::MAX_FEE_RATE * Decimal::percent(10_000),
                self.fee_rate * Decimal::percent(10_000)
            ));
        }
        if self.buffer_target > flowstake::MAX_BUFFER_TARGET {
            return fail(format!(
                "buffer must be at most {} %, got {} %",
                flowstake::MAX_BUFFER_TARGET * Decimal::percent(10_000),
                self.buffer_target * Decimal::percent(10_000)
            ));
        }
        if self.exit_fee > flowstake::MAX_EXIT_FEE {
            return fail(format!(
                "exit fee must be at most {} %, got {} %",
                flowstake::MAX_EXIT_FEE * Decimal::percent(10_000),
                self.exit_fee * Decimal::percent(10_000)
            ));
        }
        if self.slash_fraction.is_zero() || self.slash_fraction >= Decimal::percent(10) {
            return fail("the slash must be above 0 and below 10 %".to_string());
        }
        if self.epoch_period % DAY != 0 || self.epoch_period == 0 {
            return fail("the epoch must be a whole number of days".to_string());
        }
        if self.harvest_every_days == 0 {
            return fail("keepers must harvest every 1 or more days".to_string());
        }
        let probabilities = [
            self.behaviour.bond,
            self.behaviour.unbond,
            self.behaviour.cancel,
            self.behaviour.withdraw,
            self.behaviour.rejected,
            self.behaviour.instant_exiters,
        ];
        if probabilities.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return fail("behaviour probabilities must be within 0..=1".to_string());
        }
        Ok(())
    }

    /// Mean starting funds of a user: the stake budget shared out, at most
    /// [`MAX_MEAN_FUNDS`], never below ten minimum bonds.
    pub fn mean_funds(&self) -> u128 {
        let budget = FUNDS_PER_VALIDATOR * self.validators as u128 / self.users as u128;
        budget.min(MAX_MEAN_FUNDS).max(10 * self.min_bond)
    }

    /// The longest a request may take to become withdrawable: one epoch to be submitted, the
    /// unbonding period, and one daily crank each for submission and reconcile (reconcile books
    /// a batch in a block after the one that proves it paid, which the daily crank covers).
    pub fn liveness_bound(&self) -> u64 {
        self.epoch_period + self.unbonding_period + 2 * DAY
    }

    /// Whether user `index` exits at once when the buffer can pay: the users are spread so
    /// that a share `instant_exiters` of every stretch of them is.
    pub fn exits_instantly(&self, index: usize) -> bool {
        let share = self.behaviour.instant_exiters;
        (((index + 1) as f64 * share).floor() - (index as f64 * share).floor()) >= 1.0
    }

    /// The same scenario without a liquidity buffer: what the holders would earn if all the
    /// stake were delegated (instant exiters queue instead).
    pub fn without_buffer(&self) -> Self {
        Self {
            buffer_target: Decimal::zero(),
            exit_fee: Decimal::zero(),
            ..self.clone()
        }
    }

    /// The configured APR less the protocol fee.
    pub fn net_apr(&self) -> f64 {
        decimal_to_f64(self.apr) * (1.0 - decimal_to_f64(self.fee_rate))
    }
}

/// A `Decimal` as a float, for reporting only.
pub fn decimal_to_f64(value: Decimal) -> f64 {
    value.atomics().u128() as f64 / 10f64.powi(Decimal::DECIMAL_PLACES as i32)
}

//! The command line: every flag has a default, so `simulate` alone runs the default scenario.

use std::path::PathBuf;
use std::str::FromStr;

use clap::Parser;
use cosmwasm_std::Decimal;

use crate::config::{ScenarioConfig, MAX_DAYS};

/// Runs the Flowstake hub, token and reward collector on an in-process chain with many users
/// and validators, checks the protocol's invariants after every step, and writes a daily CSV
/// and SVG charts.
#[derive(Debug, Parser)]
#[command(name = "simulate", version)]
pub struct Args {
    /// Validators in the hub's set, 1 to 150.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..=150))]
    pub validators: u16,
    /// Users, 1 to 10000.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub users: u16,
    /// Days to simulate.
    #[arg(long, default_value_t = 180, value_parser = clap::value_parser!(u64).range(1..=MAX_DAYS))]
    pub days: u64,
    /// Staking APR of every validator, in percent (above 0, at most 100), e.g. 10 or 7.5.
    #[arg(long, default_value = "10", value_parser = parse_percent)]
    pub apr: Decimal,
    /// The hub's protocol fee on rewards, in percent (at most 10).
    #[arg(long, default_value = "5", value_parser = parse_percent)]
    pub fee: Decimal,
    /// Seed of the users' random behaviour; the same seed gives the same run.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Directory for the CSV and the charts.
    #[arg(long, default_value = "sim-out")]
    pub out: PathBuf,
    /// Day on which a validator is slashed 5 % (0: never).
    #[arg(long, default_value_t = 60)]
    pub slash_day: u64,
    /// Day on which governance removes a validator (0: never).
    #[arg(long, default_value_t = 90)]
    pub removal_day: u64,
    /// Share of the backing the hub keeps unstaked as a liquidity buffer, in percent (at most
    /// 20). Above zero, the run is repeated without the buffer to report what it costs.
    #[arg(long, default_value = "0", value_parser = parse_percent)]
    pub buffer: Decimal,
    /// Fee on an instant exit from the buffer, in percent (at most 1).
    #[arg(long, default_value = "0", value_parser = parse_percent)]
    pub exit_fee: Decimal,
    /// Share of the users who exit at once from the buffer when it can pay, in percent.
    #[arg(long, default_value = "20", value_parser = parse_percent)]
    pub instant_exiters: Decimal,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// A percentage such as `10`, `7.5` or `7.5%`, as a fraction.
pub fn parse_percent(text: &str) -> Result<Decimal, String> {
    let number = text.trim().trim_end_matches('%').trim();
    let value = Decimal::from_str(number)
        .map_err(|_| format!("'{text}' is not a percentage (a number such as 10 or 7.5)"))?;
    value
        .checked_mul(Decimal::percent(1))
        .map_err(|_| format!("'{text}' is too large"))
}

impl Args {
    /// The scenario these flags describe (validated when the simulation starts).
    pub fn scenario(&self) -> ScenarioConfig {
        let day = |day: u64| (day > 0).then_some(day);
        ScenarioConfig {
            validators: usize::from(self.validators),
            users: usize::from(self.users),
            days: self.days,
            apr: self.apr,
            fee_rate: self.fee,
            seed: self.seed,
            slash_day: day(self.slash_day),
            removal_day: day(self.removal_day),
            buffer_target: self.buffer,
            exit_fee: self.exit_fee,
            behaviour: crate::config::Behaviour {
                instant_exiters: crate::config::decimal_to_f64(self.instant_exiters),
                ..crate::config::Behaviour::default()
            },
            ..ScenarioConfig::default()
        }
    }
}

//! The command line: bad flags give a clear error and a non-zero exit, and a small run writes
//! its outputs and exits cleanly.

use std::process::{Command, Output};

use clap::Parser;
use cosmwasm_std::Decimal;
use flowstake_simulate::cli::{parse_percent, Args};
use flowstake_simulate::{ScenarioConfig, SimError, Simulation};

fn simulate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simulate"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn defaults_are_the_documented_scenario() {
    let args = Args::try_parse_from(["simulate"]).expect("no flags needed");
    let config = args.scenario();
    assert_eq!(config.validators, 30);
    assert_eq!(config.users, 1_000);
    assert_eq!(config.days, 180);
    assert_eq!(config.apr, Decimal::percent(10));
    assert_eq!(config.slash_day, Some(60));
    assert_eq!(config.removal_day, Some(90));
    assert!(config.buffer_target.is_zero() && config.exit_fee.is_zero());
    assert_eq!(args.out, std::path::PathBuf::from("sim-out"));
    assert_eq!(config, ScenarioConfig::default());
}

#[test]
fn out_of_range_flags_are_refused_by_the_parser() {
    for flags in [
        ["--validators", "0"],
        ["--validators", "151"],
        ["--users", "0"],
        ["--users", "10001"],
        ["--days", "0"],
        ["--apr", "ten"],
        ["--seed", "-1"],
    ] {
        let parsed = Args::try_parse_from(["simulate", flags[0], flags[1]]);
        assert!(parsed.is_err(), "{flags:?} was accepted");
    }
    assert!(Args::try_parse_from(["simulate", "--speed", "9"]).is_err());
}

#[test]
fn percentages_parse_with_or_without_the_sign() {
    assert_eq!(parse_percent("10"), Ok(Decimal::percent(10)));
    assert_eq!(parse_percent("7.5%"), Ok(Decimal::permille(75)));
    assert!(parse_percent("").is_err());
    assert!(parse_percent("-3").is_err());
}

#[test]
fn scenarios_outside_the_bounds_are_refused_before_the_chain_starts() {
    let cases = [
        ScenarioConfig {
            apr: Decimal::zero(),
            ..ScenarioConfig::default()
        },
        ScenarioConfig {
            apr: Decimal::percent(101),
            ..ScenarioConfig::default()
        },
        ScenarioConfig {
            fee_rate: Decimal::percent(11),
            ..ScenarioConfig::default()
        },
        ScenarioConfig {
            slash_fraction: Decimal::percent(10),
            ..ScenarioConfig::default()
        },
        ScenarioConfig {
            epoch_period: 86_400 + 1,
            ..ScenarioConfig::default()
        },
        ScenarioConfig {
            buffer_target: Decimal::percent(21),
            ..ScenarioConfig::default()
        },
        ScenarioConfig {
            exit_fee: Decimal::permille(11),
            ..ScenarioConfig::default()
        },
        ScenarioConfig {
            behaviour: flowstake_simulate::Behaviour {
                instant_exiters: 1.5,
                ..flowstake_simulate::Behaviour::default()
            },
            ..ScenarioConfig::default()
        },
    ];
    for config in cases {
        match Simulation::new(config.clone()) {
            Err(SimError::Config(_)) => {}
            Err(other) => panic!("{config:?} failed with {other}"),
            Ok(_) => panic!("{config:?} was accepted"),
        }
    }
}

#[test]
fn the_binary_reports_bad_flags_with_a_non_zero_exit() {
    let out = simulate(&["--validators", "151"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--validators"), "{stderr}");

    let out = simulate(&["--buffer", "25"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid scenario: buffer"), "{stderr}");

    let out = simulate(&["--apr", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid scenario: apr"), "{stderr}");
}

#[test]
fn the_binary_runs_a_small_scenario() {
    let dir = std::env::temp_dir().join(format!("flowstake-cli-{}", std::process::id()));
    let dir_arg = dir.to_string_lossy().into_owned();
    let out = simulate(&[
        "--validators",
        "2",
        "--users",
        "4",
        "--days",
        "5",
        "--quiet",
        "--out",
        &dir_arg,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("invariant checks"), "{stdout}");
    assert!(stdout.contains("0 violations"), "{stdout}");
    assert!(dir.join("daily.csv").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_binary_compares_a_buffered_run_with_one_without() {
    let dir = std::env::temp_dir().join(format!("flowstake-cli-buffer-{}", std::process::id()));
    let dir_arg = dir.to_string_lossy().into_owned();
    let out = simulate(&[
        "--validators",
        "2",
        "--users",
        "10",
        "--days",
        "8",
        "--buffer",
        "10",
        "--exit-fee",
        "0.5",
        "--instant-exiters",
        "50",
        "--quiet",
        "--out",
        &dir_arg,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for row in ["liquidity buffer", "instant exits", "without the buffer"] {
        assert!(stdout.contains(row), "no '{row}' in {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

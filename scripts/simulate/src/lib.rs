//! The Flowstake protocol running on an in-process chain (cw-multi-test with the strict staking
//! and distribution modules of `flowstake-tests`, which enforce what x/staking and
//! x/distribution enforce, and the real hub, token and reward collector): many users, many
//! validators, months of rewards, batches, a slash and a validator leaving, with the design's
//! invariants checked after every step.
//!
//! [`Simulation`] runs a [`ScenarioConfig`] and returns a [`Report`]; [`write_outputs`]
//! writes its CSV and SVG charts. The `simulate` binary is a thin command line around them.

pub mod behaviour;
pub mod chain;
pub mod charts;
pub mod checks;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod hub;
mod keepers;
pub mod model;
pub mod record;
pub mod rewards;
pub mod slash;
mod steps;
pub mod summary;

use std::path::{Path, PathBuf};

pub use config::{Behaviour, Infraction, ScenarioConfig};
pub use engine::{Report, Simulation, StakeSnapshot};
pub use error::{Halt, SimError, Violation};
pub use record::DayRecord;
pub use summary::Summary;

/// Pairs of snapshots around each event, for the stake chart; the end of the run alone when
/// no event happened.
fn stake_panels(snapshots: &[StakeSnapshot]) -> Vec<(String, Vec<&StakeSnapshot>)> {
    let find = |label: &str| snapshots.iter().find(|s| s.label == label);
    let mut panels = vec![];
    for (event, before, after) in [
        (
            "Stake per validator around the slash",
            "before the slash",
            "after the slash",
        ),
        (
            "Stake per validator around the removal",
            "before the removal",
            "after the removal",
        ),
    ] {
        if let (Some(before), Some(after)) = (find(before), find(after)) {
            panels.push((event.to_string(), vec![before, after]));
        }
    }
    if panels.is_empty() {
        if let Some(last) = snapshots.last() {
            panels.push(("Stake per validator".to_string(), vec![last]));
        }
    }
    panels
}

/// Writes `daily.csv` and the SVG charts into `dir` (created if needed); returns the paths.
pub fn write_outputs(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, SimError> {
    std::fs::create_dir_all(dir).map_err(|err| SimError::Output {
        path: dir.display().to_string(),
        reason: err.to_string(),
    })?;
    let csv = dir.join("daily.csv");
    record::write_csv(&csv, &report.records)?;
    let mut written = vec![csv];
    written.extend(charts::time_charts(dir, &report.records)?);
    let stake = dir.join("validator_stake.svg");
    charts::stake_chart(&stake, &stake_panels(&report.snapshots))?;
    written.push(stake);
    Ok(written)
}

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

/// The index of `validator3` in the chain's list of validators: 3.
fn validator_index(label: &str) -> Option<usize> {
    label.strip_prefix("validator")?.parse().ok()
}

/// Pairs of snapshots around each event, for the stake chart, with the validator the event
/// touched marked; the end of the run alone when no event happened.
fn stake_panels(report: &Report) -> Vec<charts::StakePanel<'_>> {
    let snapshots = &report.snapshots;
    let stats = &report.summary.stats;
    let config = &report.summary.config;
    let find = |label: &str| snapshots.iter().find(|s| s.label == label);
    let mark = |validator: &Option<String>, note: &str, what: String| {
        let validator = validator.as_deref()?;
        let index = validator_index(validator)?;
        Some(charts::Marked {
            index,
            note: note.to_string(),
            legend: format!("{validator} ({}): {what}", charts::validator_tick(index)),
        })
    };
    let slashed = mark(
        &stats.slashed_validator,
        "slashed",
        format!(
            "slashed {:.1} % on day {}",
            config::decimal_to_f64(config.slash_fraction) * 100.0,
            config.slash_day.unwrap_or(0)
        ),
    );
    let removed = mark(
        &stats.removed_validator,
        "removed",
        format!("removed on day {}", config.removal_day.unwrap_or(0)),
    );
    let mut panels = vec![];
    for (event, before, after, marked) in [
        (
            "Stake per validator around the slash",
            "before the slash",
            "after the slash",
            slashed,
        ),
        (
            "Stake per validator around the removal",
            "before the removal",
            "after the removal",
            removed,
        ),
    ] {
        if let (Some(before), Some(after)) = (find(before), find(after)) {
            panels.push(charts::StakePanel {
                title: event.to_string(),
                snapshots: vec![before, after],
                marked: marked.into_iter().collect(),
            });
        }
    }
    if panels.is_empty() {
        if let Some(last) = snapshots.last() {
            panels.push(charts::StakePanel {
                title: "Stake per validator".to_string(),
                snapshots: vec![last],
                marked: vec![],
            });
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
    charts::stake_chart(&stake, &stake_panels(report))?;
    written.push(stake);
    Ok(written)
}

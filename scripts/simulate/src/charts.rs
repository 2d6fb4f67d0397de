//! SVG charts of a run: the exchange rate, the total staked and the unbond queue over time, and
//! the stake per validator around the slash and the removal.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::config::UNITS_PER_TOKEN;
use crate::engine::StakeSnapshot;
use crate::error::SimError;
use crate::record::DayRecord;

const SIZE: (u32, u32) = (1000, 560);
const PALETTE: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// Reads one amount from a day's record.
type Figure = fn(&DayRecord) -> u128;

/// One line of a chart: its legend and its points (day, value).
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

fn output_error(path: &Path, err: impl std::fmt::Display) -> SimError {
    SimError::Output {
        path: path.display().to_string(),
        reason: err.to_string(),
    }
}

/// Units of the denom as whole tokens, for plotting.
pub fn in_tokens(units: u128) -> f64 {
    units as f64 / UNITS_PER_TOKEN as f64
}

/// A line chart of `series` against the day, the y axis fitted to the data.
pub fn line_chart(
    path: &Path,
    title: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), SimError> {
    let fail = |err: &dyn std::fmt::Display| output_error(path, err);
    let values = series.iter().flat_map(|s| s.points.iter().map(|(_, y)| *y));
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (low, high) = if low > high { (0.0, 1.0) } else { (low, high) };
    let pad = ((high - low) * 0.05).max(high.abs() * 1e-6).max(1e-9);
    let days = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(x, _)| *x))
        .fold(1.0f64, f64::max);

    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(100)
        // Headroom above the data keeps the legend off the lines.
        .build_cartesian_2d(0f64..days, (low - pad)..(high + 5.0 * pad))
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .x_desc("day")
        .y_desc(y_label)
        .draw()
        .map_err(|e| fail(&e))?;
    for (index, line) in series.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| fail(&e))?
            .label(line.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

/// Grouped bars of the stake per validator, one panel per pair of snapshots.
pub fn stake_chart(path: &Path, panels: &[(String, Vec<&StakeSnapshot>)]) -> Result<(), SimError> {
    let fail = |err: &dyn std::fmt::Display| output_error(path, err);
    let height = SIZE.1 * panels.len().max(1) as u32;
    let root = SVGBackend::new(path, (SIZE.0, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let areas = root.split_evenly((panels.len().max(1), 1));
    for ((title, snapshots), area) in panels.iter().zip(areas) {
        stake_panel(&area, title, snapshots).map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))
}

fn stake_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    snapshots: &[&StakeSnapshot],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let validators = snapshots
        .iter()
        .map(|s| s.stakes.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let stakes = || {
        snapshots
            .iter()
            .flat_map(|s| s.stakes.iter().map(|stake| in_tokens(*stake)))
    };
    let high = stakes().fold(1.0f64, f64::max);
    // The axis starts a little below the smallest bar, so that a 5 % cut shows; room is left
    // above the bars for the legend.
    let base = stakes().fold(high, f64::min) * 0.9;
    let top = high + (high - base) * 0.3;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(100)
        .build_cartesian_2d(0f64..validators as f64, base..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("validator")
        .y_desc("stake (STAKE)")
        .x_label_formatter(&|x| format!("{}", x.floor()))
        .draw()?;
    let width = 0.9 / snapshots.len().max(1) as f64;
    for (group, snapshot) in snapshots.iter().enumerate() {
        let color = PALETTE[group % PALETTE.len()];
        let offset = 0.05 + width * group as f64;
        chart
            .draw_series(snapshot.stakes.iter().enumerate().map(|(index, stake)| {
                let left = index as f64 + offset;
                Rectangle::new(
                    [(left, base), (left + width, in_tokens(*stake))],
                    color.filled(),
                )
            }))?
            .label(format!("{} (day {})", snapshot.label, snapshot.day))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
}

/// The three time series charts.
pub fn time_charts(dir: &Path, records: &[DayRecord]) -> Result<Vec<std::path::PathBuf>, SimError> {
    let day = |r: &DayRecord| r.day as f64;
    let rate = Series {
        name: "exchange rate (native per derivative)".into(),
        points: records
            .iter()
            .map(|r| (day(r), crate::config::decimal_to_f64(r.exchange_rate)))
            .collect(),
    };
    let staked = Series {
        name: "total staked (hub ledger)".into(),
        points: records
            .iter()
            .map(|r| (day(r), in_tokens(r.total_native)))
            .collect(),
    };
    let figures: [(&str, Figure); 3] = [
        ("pending batch (derivative)", |r: &DayRecord| {
            r.pending_shares
        }),
        ("unbonding (native expected)", |r: &DayRecord| {
            r.unbonding_native
        }),
        ("reserved for claims (native)", |r: &DayRecord| {
            r.reserved_for_claims
        }),
    ];
    let queue = figures
        .into_iter()
        .map(|(name, figure)| Series {
            name: name.into(),
            points: records
                .iter()
                .map(|r| (day(r), in_tokens(figure(r))))
                .collect(),
        })
        .collect::<Vec<_>>();

    let charts = [
        (
            "exchange_rate.svg",
            "Exchange rate",
            "native per derivative",
            vec![rate],
        ),
        ("total_staked.svg", "Total staked", "STAKE", vec![staked]),
        ("queue.svg", "Unbond queue", "STAKE", queue),
    ];
    let mut written = vec![];
    for (file, title, y_label, series) in charts {
        let path = dir.join(file);
        line_chart(&path, title, y_label, &series)?;
        written.push(path);
    }
    Ok(written)
}

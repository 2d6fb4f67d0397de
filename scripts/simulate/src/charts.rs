//! SVG charts of a run: the exchange rate, the total staked and the unbond queue over time, and
//! the stake per validator around the slash and the removal.
//!
//! Every value axis names the unit it shows: the staking token ([`NATIVE_SYMBOL`]) or the
//! derivative ([`DERIVATIVE_SYMBOL`]), in whole tokens. Amount axes start at 0, so that a bar
//! or a line's height is what it stands for; only the exchange rate's axis is fitted to the
//! data.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::config::{DERIVATIVE_SYMBOL, NATIVE_SYMBOL, UNITS_PER_TOKEN};
use crate::engine::StakeSnapshot;
use crate::error::SimError;
use crate::record::DayRecord;

const SIZE: (u32, u32) = (1000, 560);
/// The height of each panel of a chart with several.
const PANEL_HEIGHT: u32 = 420;
/// The least width given to each validator in the stake chart, so that its label fits.
const PIXELS_PER_VALIDATOR: u32 = 30;
const PALETTE: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];
/// The bands behind the validators a stake panel points out.
const MARK_PALETTE: [RGBColor; 2] = [RGBColor(214, 39, 40), RGBColor(148, 103, 189)];

/// Reads one amount from a day's record.
type Figure = fn(&DayRecord) -> u128;

/// One line of a chart: its legend and its points (day, value).
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Where a chart's value axis starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// At 0: for amounts.
    FromZero,
    /// Just below the smallest value: for the exchange rate, whose changes are small.
    Fitted,
}

/// One panel of a line chart.
pub struct LinePanel {
    pub title: String,
    /// The value axis's description, with its unit.
    pub y_label: String,
    pub axis: Axis,
    pub series: Vec<Series>,
}

/// A validator a stake panel points out, by its index in the chain's list of validators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    pub index: usize,
    /// Written above its bars: "slashed", "removed".
    pub note: String,
    /// Its legend entry.
    pub legend: String,
}

/// One panel of the stake chart: the snapshots side by side for each validator.
pub struct StakePanel<'a> {
    pub title: String,
    pub snapshots: Vec<&'a StakeSnapshot>,
    pub marked: Vec<Marked>,
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

/// The name of validator `index` on the stake chart's axis: `v3` for `validator3`.
pub fn validator_tick(index: usize) -> String {
    format!("v{index}")
}

/// A tick of an amount axis: whole numbers with thousands separators (`12,500`), others with
/// at most three decimals.
pub fn amount_tick(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        let whole = format!("{:.0}", value.abs());
        let mut grouped = String::new();
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if value.round() < 0.0 {
            grouped.insert(0, '-');
        }
        grouped
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').to_string()
    }
}

/// A line chart of one or more panels, stacked, each of its series against the day.
pub fn line_chart(path: &Path, panels: &[LinePanel]) -> Result<(), SimError> {
    let fail = |err: &dyn std::fmt::Display| output_error(path, err);
    let height = if panels.len() > 1 {
        PANEL_HEIGHT * panels.len() as u32
    } else {
        SIZE.1
    };
    let root = SVGBackend::new(path, (SIZE.0, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let areas = root.split_evenly((panels.len().max(1), 1));
    let mut colour = 0;
    for (panel, area) in panels.iter().zip(areas) {
        line_panel(&area, panel, colour).map_err(|e| fail(&e))?;
        colour += panel.series.len();
    }
    root.present().map_err(|e| fail(&e))
}

fn line_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &LinePanel,
    first_colour: usize,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let series = &panel.series;
    let values = series.iter().flat_map(|s| s.points.iter().map(|(_, y)| *y));
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (low, high) = if low > high { (0.0, 1.0) } else { (low, high) };
    let days = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(x, _)| *x))
        .fold(1.0f64, f64::max);
    // Headroom above the data keeps the legend off the lines.
    let range = match panel.axis {
        Axis::FromZero => {
            let high = high.max(0.0);
            let high = if high > 0.0 { high } else { 1.0 };
            0.0..high * 1.25
        }
        Axis::Fitted => {
            let pad = ((high - low) * 0.05).max(high.abs() * 1e-6).max(1e-9);
            (low - pad)..(high + 5.0 * pad)
        }
    };

    let mut chart = ChartBuilder::on(area)
        .caption(panel.title.as_str(), ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(100)
        .build_cartesian_2d(0f64..days, range)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc("day")
        .y_desc(panel.y_label.as_str())
        .x_label_formatter(&|day| format!("{day:.0}"));
    let amount = |y: &f64| amount_tick(*y);
    if panel.axis == Axis::FromZero {
        mesh.y_label_formatter(&amount);
    }
    mesh.draw()?;
    for (index, line) in series.iter().enumerate() {
        let color = PALETTE[(first_colour + index) % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))?
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
}

/// Grouped bars of the stake per validator, one panel per group of snapshots, one axis label
/// per validator under its bars, the marked validators on a coloured band.
pub fn stake_chart(path: &Path, panels: &[StakePanel<'_>]) -> Result<(), SimError> {
    let fail = |err: &dyn std::fmt::Display| output_error(path, err);
    let validators = panels
        .iter()
        .flat_map(|p| p.snapshots.iter().map(|s| s.stakes.len()))
        .max()
        .unwrap_or(1)
        .max(1);
    let width = SIZE.0.max(160 + PIXELS_PER_VALIDATOR * validators as u32);
    let height = SIZE.1 * panels.len().max(1) as u32;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let areas = root.split_evenly((panels.len().max(1), 1));
    for (panel, area) in panels.iter().zip(areas) {
        stake_panel(&area, panel, validators).map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))
}

fn stake_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &StakePanel<'_>,
    validators: usize,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let snapshots = &panel.snapshots;
    let stake = |snapshot: &StakeSnapshot, index: usize| {
        snapshot.stakes.get(index).map_or(0.0, |s| in_tokens(*s))
    };
    let tallest = |index: usize| {
        snapshots
            .iter()
            .map(|s| stake(s, index))
            .fold(0.0f64, f64::max)
    };
    let high = (0..validators).map(tallest).fold(0.0f64, f64::max);
    let high = if high > 0.0 { high } else { 1.0 };
    // The axis starts at 0, so that a bar's height is the stake; room is left above the bars
    // for the legend and the notes.
    let top = high * 1.4;
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title.as_str(), ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(100)
        .build_cartesian_2d((0..validators).into_segmented(), 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(validators + 1)
        .x_desc("validator (v3 is validator3)")
        .y_desc(format!("delegated by the hub ({NATIVE_SYMBOL})"))
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(index) if *index < validators => validator_tick(*index),
            _ => String::new(),
        })
        .y_label_formatter(&|y| amount_tick(*y))
        .draw()?;

    for (order, marked) in panel.marked.iter().enumerate() {
        let color = MARK_PALETTE[order % MARK_PALETTE.len()];
        let index = marked.index;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [
                    (SegmentValue::Exact(index), 0.0),
                    (SegmentValue::Exact(index + 1), top),
                ],
                color.mix(0.18).filled(),
            )))?
            .label(marked.legend.as_str())
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.mix(0.18).filled())
            });
    }

    // One snapshot fills a validator's segment, two share it: the first on the left half.
    let halves = snapshots.len() == 2;
    for (group, snapshot) in snapshots.iter().enumerate() {
        let color = PALETTE[group % PALETTE.len()];
        let span = move |index: usize| match (halves, group) {
            (true, 0) => (SegmentValue::Exact(index), SegmentValue::CenterOf(index)),
            (true, _) => (
                SegmentValue::CenterOf(index),
                SegmentValue::Exact(index + 1),
            ),
            _ => (SegmentValue::Exact(index), SegmentValue::Exact(index + 1)),
        };
        chart
            .draw_series(snapshot.stakes.iter().enumerate().map(|(index, stake)| {
                let (left, right) = span(index);
                let mut bar =
                    Rectangle::new([(left, 0.0), (right, in_tokens(*stake))], color.filled());
                let (outer, inner) = (3, 1);
                match (halves, group) {
                    (true, 0) => bar.set_margin(0, 0, outer, inner),
                    (true, _) => bar.set_margin(0, 0, inner, outer),
                    _ => bar.set_margin(0, 0, outer, outer),
                };
                bar
            }))?
            .label(format!("{} (day {})", snapshot.label, snapshot.day))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }

    let note_style = TextStyle::from(("sans-serif", 14).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(panel.marked.iter().map(|marked| {
        let above = tallest(marked.index) + high * 0.03;
        Text::new(
            marked.note.clone(),
            (SegmentValue::CenterOf(marked.index), above),
            note_style.clone(),
        )
    }))?;

    // The legend goes to the side away from the marked validators.
    let right_half = panel.marked.iter().any(|m| 2 * m.index >= validators);
    chart
        .configure_series_labels()
        .position(if right_half {
            SeriesLabelPosition::UpperLeft
        } else {
            SeriesLabelPosition::UpperRight
        })
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
}

/// The three time series charts.
pub fn time_charts(dir: &Path, records: &[DayRecord]) -> Result<Vec<std::path::PathBuf>, SimError> {
    let day = |r: &DayRecord| r.day as f64;
    let amounts = |figures: Vec<(&str, Figure)>| {
        figures
            .into_iter()
            .map(|(name, figure)| Series {
                name: name.into(),
                points: records
                    .iter()
                    .map(|r| (day(r), in_tokens(figure(r))))
                    .collect(),
            })
            .collect::<Vec<_>>()
    };
    let rate = LinePanel {
        title: "Exchange rate".into(),
        y_label: format!("{NATIVE_SYMBOL} per {DERIVATIVE_SYMBOL}"),
        axis: Axis::Fitted,
        series: vec![Series {
            name: "exchange rate (native per derivative)".into(),
            points: records
                .iter()
                .map(|r| (day(r), crate::config::decimal_to_f64(r.exchange_rate)))
                .collect(),
        }],
    };
    let staked = LinePanel {
        title: "Total staked".into(),
        y_label: format!("native ({NATIVE_SYMBOL})"),
        axis: Axis::FromZero,
        series: amounts(vec![("total staked (hub ledger)", |r| r.total_native)]),
    };
    let queued = LinePanel {
        title: "Unbond queue: derivative waiting in the pending batch".into(),
        y_label: format!("derivative ({DERIVATIVE_SYMBOL})"),
        axis: Axis::FromZero,
        series: amounts(vec![("pending batch", |r| r.pending_shares)]),
    };
    let unbonding = LinePanel {
        title: "Unbond queue: native on its way to the users".into(),
        y_label: format!("native ({NATIVE_SYMBOL})"),
        axis: Axis::FromZero,
        series: amounts(vec![
            ("unbonding (expected from submitted batches)", |r| {
                r.unbonding_native
            }),
            ("reserved for claims", |r| r.reserved_for_claims),
        ]),
    };

    let charts = [
        ("exchange_rate.svg", vec![rate]),
        ("total_staked.svg", vec![staked]),
        ("queue.svg", vec![queued, unbonding]),
    ];
    let mut written = vec![];
    for (file, panels) in charts {
        let path = dir.join(file);
        line_chart(&path, &panels)?;
        written.push(path);
    }
    Ok(written)
}

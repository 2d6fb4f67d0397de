//! The files a run writes: `daily.csv` names what each column is and gives amounts in whole
//! tokens, consistent with the summary; the charts' value axes start at 0 and name their unit;
//! the stake chart labels each validator once, under its bars, and marks the slashed and the
//! removed validator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cosmwasm_std::Decimal;
use flowstake_simulate::config::{DERIVATIVE_SYMBOL, NATIVE_SYMBOL, UNITS_PER_TOKEN};
use flowstake_simulate::{write_outputs, Behaviour, DayRecord, Report, ScenarioConfig, Simulation};

const VALIDATORS: usize = 4;
/// The bars' colours: before and after an event.
const BAR_FILLS: [&str; 2] = ["#1F77B4", "#FF7F0E"];

/// A short run with both events: a slash on day 22, a removal on day 26.
fn eventful_run() -> Report {
    let config = ScenarioConfig {
        validators: VALIDATORS,
        users: 12,
        days: 30,
        seed: 11,
        slash_day: Some(22),
        removal_day: Some(26),
        behaviour: Behaviour {
            join_window_days: 2,
            bond: 0.2,
            unbond: 0.3,
            cancel: 0.1,
            withdraw: 1.0,
            rejected: 0.05,
            instant_exiters: 0.0,
        },
        ..ScenarioConfig::default()
    };
    let mut simulation = Simulation::new(config).expect("the scenario is valid");
    let report = simulation.run(&mut |_: &DayRecord| {});
    if let Some(halt) = &report.halt {
        panic!("the run stopped: {halt}");
    }
    report
}

struct Outputs {
    dir: PathBuf,
}

impl Outputs {
    fn write(report: &Report, name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("flowstake-outputs-{name}-{}", std::process::id()));
        let written = write_outputs(report, &dir).expect("outputs");
        let names: Vec<String> = written
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(
            names,
            [
                "daily.csv",
                "exchange_rate.svg",
                "total_staked.svg",
                "queue.svg",
                "validator_stake.svg"
            ]
        );
        Outputs { dir }
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).expect(file)
    }

    fn svg(&self, file: &str) -> Svg {
        Svg::parse(&self.read(file))
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The parts of an SVG the tests read: its height, its texts and its rectangles.
struct Svg {
    height: f64,
    texts: Vec<Element>,
    rects: Vec<Element>,
}

struct Element {
    attributes: BTreeMap<String, String>,
    content: String,
}

impl Element {
    fn number(&self, name: &str) -> f64 {
        self.attributes
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.attributes))
            .parse()
            .unwrap_or_else(|_| panic!("{name} is not a number in {:?}", self.attributes))
    }

    fn attribute(&self, name: &str) -> &str {
        self.attributes.get(name).map_or("", String::as_str)
    }
}

impl Svg {
    fn parse(text: &str) -> Self {
        assert!(text.starts_with("<svg"), "not an SVG");
        let root = elements(text, "svg").into_iter().next().expect("the root");
        Svg {
            height: root.number("height"),
            texts: elements(text, "text"),
            rects: elements(text, "rect"),
        }
    }

    /// The texts whose content is exactly `content`.
    fn texts_equal<'a>(&'a self, content: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.texts.iter().filter(move |t| t.content == content)
    }

    /// The ticks of the value axes (right-aligned, left of the plot) that read `content`.
    fn value_ticks<'a>(&'a self, content: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.texts_equal(content)
            .filter(|t| t.attribute("text-anchor") == "end")
    }

    /// Which of `panels` stacked panels a vertical position is in.
    fn panel_of(&self, y: f64, panels: usize) -> usize {
        ((y / self.height * panels as f64) as usize).min(panels - 1)
    }
}

/// Every `<tag ...>` in `text` with its attributes and, if it has any, its text content.
fn elements(text: &str, tag: &str) -> Vec<Element> {
    let opening = format!("<{tag} ");
    let mut found = vec![];
    let mut rest = text;
    while let Some(start) = rest.find(&opening) {
        rest = &rest[start + opening.len()..];
        let end = rest.find('>').expect("a closed tag");
        let head = rest[..end].trim_end_matches('/');
        let mut attributes = BTreeMap::new();
        let mut cursor = head;
        while let Some(eq) = cursor.find("=\"") {
            let name = cursor[..eq].trim().to_string();
            let value_start = eq + 2;
            let value_end = value_start + cursor[value_start..].find('"').expect("quoted");
            attributes.insert(name, cursor[value_start..value_end].to_string());
            cursor = &cursor[value_end + 1..];
        }
        let content = if rest[..end].ends_with('/') {
            String::new()
        } else {
            let after = &rest[end + 1..];
            let close = after.find('<').unwrap_or(after.len());
            after[..close].trim().to_string()
        };
        found.push(Element {
            attributes,
            content,
        });
        rest = &rest[end..];
    }
    found
}

fn validator_index(label: &str) -> usize {
    label
        .trim_start_matches("validator")
        .parse()
        .expect("validator label")
}

/// Whole tokens as `daily.csv` writes them.
fn csv_tokens(units: u128) -> String {
    format!("{}.{:06}", units / UNITS_PER_TOKEN, units % UNITS_PER_TOKEN)
}

#[test]
fn daily_csv_names_its_columns_and_gives_whole_tokens() {
    let report = eventful_run();
    let outputs = Outputs::write(&report, "csv");
    let csv = outputs.read("daily.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    assert_eq!(
        header,
        [
            "day",
            "block_time_seconds",
            "exchange_rate_native_per_derivative",
            "total_native_tokens",
            "total_shares_derivative_tokens",
            "chain_delegated_native_tokens",
            "chain_unbonding_native_tokens",
            "pending_batch_derivative_tokens",
            "unbonding_expected_native_tokens",
            "reserved_for_claims_native_tokens",
            "open_requests",
            "holders",
            "deposits_day_native_tokens",
            "deposits_total_native_tokens",
            "withdrawals_day_native_tokens",
            "withdrawals_total_native_tokens",
            "rewards_day_native_tokens",
            "rewards_total_native_tokens",
            "fees_day_native_tokens",
            "fees_total_native_tokens",
            "slashed_day_native_tokens",
            "slashed_total_native_tokens",
            "batches_submitted_total",
            "batches_reconciled_total",
            "transactions_day",
            "invariant_checks_total",
            "buffer_native_tokens",
            "instant_exits_day_native_tokens",
            "instant_exits_total_native_tokens",
        ]
    );
    let rows: Vec<BTreeMap<&str, &str>> = lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{line}");
            header.iter().copied().zip(cells).collect()
        })
        .collect();
    assert_eq!(rows.len(), report.records.len());

    // Amounts in whole tokens with six decimals, counts as integers, the rate with 18
    // decimals: plain numbers, no units or separators inside the cells.
    for (row, record) in rows.iter().zip(&report.records) {
        for (column, cell) in row {
            if column.ends_with("_tokens") {
                let (whole, fraction) = cell.split_once('.').expect("a decimal point");
                assert!(
                    whole.chars().all(|c| c.is_ascii_digit()),
                    "{column}: {cell}"
                );
                assert_eq!(fraction.len(), 6, "{column}: {cell}");
                assert!(fraction.chars().all(|c| c.is_ascii_digit()));
            } else if column.starts_with("exchange_rate") {
                let rate: Decimal = cell.parse().expect("a decimal");
                assert_eq!(rate, record.exchange_rate);
                assert_eq!(cell.split_once('.').expect("decimals").1.len(), 18);
            } else {
                assert!(cell.parse::<u64>().is_ok(), "{column}: {cell}");
            }
        }
        assert_eq!(row["day"], record.day.to_string());
        assert_eq!(row["total_native_tokens"], csv_tokens(record.total_native));
        assert_eq!(
            row["pending_batch_derivative_tokens"],
            csv_tokens(record.pending_shares)
        );
        assert_eq!(row["rewards_day_native_tokens"], csv_tokens(record.rewards));
    }

    // A `_total` column is the running sum of its `_day` column, and ends at the summary's
    // figure.
    let summary = &report.summary;
    let last = rows.last().expect("rows");
    for (figure, expected) in [
        ("deposits", summary.stats.deposits),
        ("withdrawals", summary.stats.withdrawals),
        ("rewards", summary.rewards),
        ("fees", summary.fees),
        ("slashed", summary.slashed),
    ] {
        let day = format!("{figure}_day_native_tokens");
        let total = format!("{figure}_total_native_tokens");
        let mut sum = 0u128;
        for row in &rows {
            let units = |cell: &str| -> u128 {
                let (whole, fraction) = cell.split_once('.').expect("decimals");
                whole.parse::<u128>().expect("whole") * UNITS_PER_TOKEN
                    + fraction.parse::<u128>().expect("fraction")
            };
            sum += units(row[day.as_str()]);
            assert_eq!(
                units(row[total.as_str()]),
                sum,
                "{total} on day {}",
                row["day"]
            );
        }
        assert_eq!(last[total.as_str()], csv_tokens(expected), "{total}");
    }
    assert!(summary.slashed > 0, "the run has a slash");
    assert_eq!(
        last["invariant_checks_total"],
        summary.checks.to_string(),
        "checks"
    );
}

#[test]
fn the_stake_chart_starts_at_zero_labels_each_validator_once_and_marks_the_events() {
    let report = eventful_run();
    let stats = &report.summary.stats;
    let slashed = validator_index(stats.slashed_validator.as_deref().expect("a slash"));
    let removed = validator_index(stats.removed_validator.as_deref().expect("a removal"));
    let outputs = Outputs::write(&report, "stake");
    let svg = outputs.svg("validator_stake.svg");
    let panels = 2;

    // The bars, without the legend's swatches, per panel, left to right.
    let mut bars: Vec<Vec<&Element>> = vec![vec![]; panels];
    for rect in &svg.rects {
        let swatch = rect.number("width") <= 13.0 && rect.number("height") <= 11.0;
        if BAR_FILLS.contains(&rect.attribute("fill")) && !swatch {
            bars[svg.panel_of(rect.number("y"), panels)].push(rect);
        }
    }
    for (panel, panel_bars) in bars.iter_mut().enumerate() {
        assert_eq!(panel_bars.len(), 2 * VALIDATORS, "bars of panel {panel}");
        panel_bars.sort_by(|a, b| a.number("x").total_cmp(&b.number("x")));
    }

    for (panel, panel_bars) in bars.iter().enumerate() {
        // The value axis starts at 0: every bar stands on the axis's 0.
        let zero: Vec<&Element> = svg
            .value_ticks("0")
            .filter(|t| svg.panel_of(t.number("y"), panels) == panel)
            .collect();
        assert_eq!(zero.len(), 1, "one 0 tick on panel {panel}'s value axis");
        let zero_y = zero[0].number("y");
        for bar in panel_bars {
            let bottom = bar.number("y") + bar.number("height");
            assert!(
                (bottom - zero_y).abs() <= 2.0,
                "a bar of panel {panel} ends at {bottom}, the 0 tick is at {zero_y}"
            );
        }

        // One label per validator, centred under its two bars.
        for index in 0..VALIDATORS {
            let name = format!("v{index}");
            let labels: Vec<&Element> = svg
                .texts_equal(&name)
                .filter(|t| svg.panel_of(t.number("y"), panels) == panel)
                .collect();
            assert_eq!(labels.len(), 1, "{name} on panel {panel}");
            let left = panel_bars[2 * index].number("x");
            let right =
                panel_bars[2 * index + 1].number("x") + panel_bars[2 * index + 1].number("width");
            let centre = (left + right) / 2.0;
            let x = labels[0].number("x");
            assert!(
                (x - centre).abs() <= 2.0,
                "{name} at {x}, its bars centred at {centre}"
            );
            assert!(left < x && x < right);
        }
        let ticks = svg
            .texts
            .iter()
            .filter(|t| t.content.starts_with('v') && t.content[1..].parse::<u32>().is_ok())
            .filter(|t| svg.panel_of(t.number("y"), panels) == panel)
            .count();
        assert_eq!(ticks, VALIDATORS, "validator labels on panel {panel}");
    }

    // The slashed validator is marked on the slash panel, the removed one on the removal
    // panel: a legend entry naming it, and a note above its bars.
    for (panel, index, note) in [(0, slashed, "slashed"), (1, removed, "removed")] {
        let legend = format!("validator{index} (v{index}): {note}");
        assert!(
            svg.texts
                .iter()
                .any(|t| t.content.starts_with(&legend)
                    && svg.panel_of(t.number("y"), panels) == panel),
            "no legend entry {legend:?} on panel {panel}"
        );
        let notes: Vec<&Element> = svg
            .texts_equal(note)
            .filter(|t| svg.panel_of(t.number("y"), panels) == panel)
            .collect();
        assert_eq!(notes.len(), 1, "{note} on panel {panel}");
        let left = bars[panel][2 * index].number("x");
        let right =
            bars[panel][2 * index + 1].number("x") + bars[panel][2 * index + 1].number("width");
        let x = notes[0].number("x");
        assert!(left < x && x < right, "{note} is not above v{index}");
    }
}

/// The y-axis descriptions of a chart, by panel: the rotated texts.
fn axis_descriptions(svg: &Svg, panels: usize) -> Vec<Vec<String>> {
    let mut found = vec![vec![]; panels];
    for text in &svg.texts {
        if text.attribute("transform").starts_with("rotate") {
            found[svg.panel_of(text.number("y"), panels)].push(text.content.clone());
        }
    }
    found
}

#[test]
fn every_value_axis_names_its_unit() {
    let report = eventful_run();
    let outputs = Outputs::write(&report, "units");
    let native = format!("({NATIVE_SYMBOL})");
    let derivative = format!("({DERIVATIVE_SYMBOL})");

    // The queue: derivative in the pending batch, native in unbonding and reserved, each on
    // an axis of its unit.
    let queue = outputs.svg("queue.svg");
    let axes = axis_descriptions(&queue, 2);
    assert_eq!(axes[0].len(), 1, "{axes:?}");
    assert_eq!(axes[1].len(), 1, "{axes:?}");
    assert!(axes[0][0].contains(&derivative), "{axes:?}");
    assert!(axes[1][0].contains(&native), "{axes:?}");
    let legend_panel = |name: &str| {
        let text = queue
            .texts
            .iter()
            .find(|t| t.content.starts_with(name))
            .unwrap_or_else(|| panic!("no legend {name}"));
        queue.panel_of(text.number("y"), 2)
    };
    assert_eq!(legend_panel("pending batch"), 0);
    assert_eq!(legend_panel("unbonding"), 1);
    assert_eq!(legend_panel("reserved for claims"), 1);

    let staked = outputs.svg("total_staked.svg");
    assert_eq!(
        axis_descriptions(&staked, 1),
        [vec![format!("native {native}")]]
    );
    let rate = outputs.svg("exchange_rate.svg");
    assert_eq!(
        axis_descriptions(&rate, 1),
        [vec![format!("{NATIVE_SYMBOL} per {DERIVATIVE_SYMBOL}")]]
    );
    let stake = outputs.svg("validator_stake.svg");
    for panel in axis_descriptions(&stake, 2) {
        assert_eq!(panel, [format!("delegated by the hub {native}")]);
    }

    // Amount axes start at 0.
    for (svg, panels) in [(&queue, 2), (&staked, 1)] {
        for panel in 0..panels {
            assert_eq!(
                svg.value_ticks("0")
                    .filter(|t| svg.panel_of(t.number("y"), panels) == panel)
                    .count(),
                1
            );
        }
    }
}

#[test]
fn a_run_without_events_draws_one_unmarked_stake_panel() {
    let config = ScenarioConfig {
        validators: 2,
        users: 4,
        days: 3,
        slash_day: None,
        removal_day: None,
        ..ScenarioConfig::default()
    };
    let mut simulation = Simulation::new(config).expect("the scenario is valid");
    let report = simulation.run(&mut |_: &DayRecord| {});
    assert!(report.halt.is_none());
    let outputs = Outputs::write(&report, "quiet");
    let svg = outputs.svg("validator_stake.svg");
    assert_eq!(svg.texts_equal("v0").count(), 1);
    assert_eq!(svg.texts_equal("v1").count(), 1);
    assert!(svg.texts.iter().all(|t| !t.content.contains("slashed")));
    assert!(!Path::new(&outputs.dir).join("missing.svg").exists());
    let csv = outputs.read("daily.csv");
    assert_eq!(csv.lines().count(), 1 + 4);
}

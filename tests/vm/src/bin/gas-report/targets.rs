//! The targets, each evaluated on the report: what it asks, what was measured, met
//! or missed and by how much.

use std::fmt::Write;

use crate::measure::{WITHDRAW_CLAIMABLE, WITHDRAW_REQUESTS};
use crate::render::{
    kb, millions, signed_millions, Report, FLAT_PERCENT, HUB_SIZE_TARGET, SLOPE_TARGET,
    TOKEN_SIZE_TARGET,
};

/// One target: what it asks, what was measured, and whether it holds.
struct Target {
    name: String,
    asks: String,
    measured: String,
    met: bool,
    margin: String,
}

fn within_flat(values: &[u64]) -> (bool, f64) {
    let first = values[0] as f64;
    let worst = values.iter().copied().max().unwrap_or(0) as f64;
    let growth = (worst / first - 1.0) * 100.0;
    (growth <= FLAT_PERCENT as f64, growth)
}

fn ratio_target(report: &Report, name: &str, values: &[u64], times: f64) -> Target {
    let worst = values.iter().copied().max().unwrap_or(0);
    let limit = (report.floor as f64 * times) as u64;
    let met = worst <= limit;
    Target {
        name: name.to_string(),
        asks: format!("≤ {times} × floor = {}", millions(limit)),
        measured: format!("{} = {:.2} × floor", millions(worst), report.ratio(worst)),
        met,
        margin: if met {
            format!("{} under", millions(limit - worst))
        } else {
            format!(
                "{} over ({:.0} % above the target)",
                millions(worst - limit),
                (worst as f64 / limit as f64 - 1.0) * 100.0
            )
        },
    }
}

fn flat_target(name: &str, what: &str, values: &[u64]) -> Target {
    let (met, growth) = within_flat(values);
    Target {
        name: name.to_string(),
        asks: format!("flat {what} (within {FLAT_PERCENT} %)"),
        measured: format!("largest {growth:+.2} % over the smallest configuration"),
        met,
        margin: if met {
            "met".to_string()
        } else {
            format!("{:.2} points over", growth - FLAT_PERCENT as f64)
        },
    }
}

fn slope_target(report: &Report, name: &str, op: &str) -> Target {
    let steepest = report.max_slope(op);
    let met = steepest <= SLOPE_TARGET as i64;
    Target {
        name: name.to_string(),
        asks: format!("≤ {} per validator", millions(SLOPE_TARGET)),
        measured: format!(
            "{} per validator (1 → 150: {})",
            millions(steepest.max(0) as u64),
            signed_millions(report.slope(op))
        ),
        met,
        margin: if met {
            format!("{} under", millions(SLOPE_TARGET - steepest.max(0) as u64))
        } else {
            format!("{} over", millions(steepest as u64 - SLOPE_TARGET))
        },
    }
}

fn size_target(name: &str, bytes: u64, limit: u64) -> Target {
    let met = bytes < limit;
    Target {
        name: name.to_string(),
        asks: format!("< {}", kb(limit)),
        measured: kb(bytes),
        met,
        margin: if met {
            format!("{} under", kb(limit - bytes))
        } else {
            format!("{} over", kb(bytes - limit))
        },
    }
}

fn targets(report: &Report) -> Vec<Target> {
    let hub = |op: &str| -> Vec<u64> { report.series(op).iter().map(|(_, g)| *g).collect() };
    let holder_bond: Vec<u64> = report.at_holders.iter().map(|at| at.bond.hub).collect();
    let holder_submit: Vec<u64> = report
        .at_holders
        .iter()
        .map(|at| at.submit_batch.hub)
        .collect();
    let mut bond_all = hub("bond");
    bond_all.extend(&holder_bond);
    let mut targets = vec![
        ratio_target(report, "bond, all hub calls", &bond_all, 2.0),
        flat_target("bond", "from 1 to 150 validators", &hub("bond")),
    ];
    if !holder_bond.is_empty() {
        targets.push(flat_target(
            "bond",
            "from 1 to 10,000 holders",
            &holder_bond,
        ));
    }
    targets.extend([
        ratio_target(
            report,
            "redemption rate query",
            &hub("redemption_rate"),
            1.5,
        ),
        flat_target(
            "redemption rate query",
            "from 1 to 150 validators",
            &hub("redemption_rate"),
        ),
        ratio_target(report, "queue unbond, hub calls", &hub("queue_unbond"), 1.5),
    ]);
    for (query, name) in [
        ("preview_instant_unbond", "preview instant unbond query"),
        ("rate_history", "rate history query (30 points)"),
        ("apr", "apr query"),
        ("apy", "apy query"),
    ] {
        targets.push(ratio_target(report, name, &hub(query), 1.5));
        targets.push(flat_target(name, "from 1 to 150 validators", &hub(query)));
    }
    targets.extend([
        slope_target(report, "harvest, all hub calls", "harvest"),
        slope_target(report, "submit batch, all hub calls", "submit_batch"),
    ]);
    if !holder_submit.is_empty() {
        targets.push(flat_target(
            "submit batch",
            "from 1 to 10,000 holders",
            &holder_submit,
        ));
    }
    targets.extend([
        ratio_target(
            report,
            &format!(
                "withdraw unbonded ({WITHDRAW_REQUESTS} requests, {WITHDRAW_CLAIMABLE} claimable)"
            ),
            &hub("withdraw_unbonded"),
            4.0,
        ),
        size_target("hub wasm", report.sizes.hub, HUB_SIZE_TARGET),
        size_target("token wasm", report.sizes.token, TOKEN_SIZE_TARGET),
    ]);
    targets
}

/// The targets as a table.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("| target | asks | measured | met | margin |\n| --- | --- | --- | --- | --- |\n");
    for target in targets(report) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            target.name,
            target.asks,
            target.measured,
            if target.met { "yes" } else { "**no**" },
            target.margin
        );
    }
    out
}

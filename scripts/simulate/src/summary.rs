//! The figures a run ends with, and the table that shows them.

use std::fmt::Write;

use cosmwasm_std::Decimal;

use crate::config::{decimal_to_f64, ScenarioConfig, DAY, NATIVE_SYMBOL, UNITS_PER_TOKEN};

/// Counters the engine keeps while it runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub deposits: u128,
    pub bonds: u64,
    pub withdrawals: u128,
    pub withdraw_calls: u64,
    pub requests_paid: u64,
    pub unbond_requests: u64,
    pub cancels: u64,
    pub rejected_calls: u64,
    pub harvests: u64,
    /// Rewards the chain paid into the collector by itself, when a delegation changed (a bond,
    /// a batch's undelegations, the redelegations of a removal), rather than at a harvest.
    pub rewards_paid_on_changes: u128,
    pub batches_submitted: u64,
    pub batches_reconciled: u64,
    /// From request to withdrawal, seconds; the user's own delay included.
    pub longest_wait: u64,
    /// From request to withdrawable (its batch reconciled), seconds.
    pub longest_until_withdrawable: u64,
    pub transactions: u64,
    /// What the chain took from the hub's bonded stake and unbonding entries.
    pub slash_loss_bonded: u128,
    pub slash_loss_unbonding: u128,
    /// Unbonding batches the slash hit.
    pub slash_batches_hit: u64,
    /// Batches unbonding from the slashed validator that began before the infraction, which
    /// the slash therefore did not reach.
    pub slash_batches_spared: u64,
    /// Day of the block of the infraction the slash punished.
    pub infraction_day: Option<u64>,
    /// What batches' unbonding entries lacked from the start: x/staking's share rounding.
    pub unbond_rounding: u128,
    pub slashed_validator: Option<String>,
    pub removed_validator: Option<String>,
    /// Stake redelegated away from the removed validator.
    pub redelegated: u128,
    /// Instant exits from the liquidity buffer, what they paid and the fees they left.
    pub instant_exits: u64,
    pub instant_paid: u128,
    pub exit_fees: u128,
    /// Instant exits the buffer could not pay (refused; the user queued instead).
    pub instant_refused: u64,
    /// What batch submissions undelegated to top the buffer up.
    pub buffer_topups: u128,
    /// The most and least the buffer held at the end of a day, as a share of the backing.
    pub buffer_share_max: f64,
    pub buffer_share_min: Option<f64>,
}

/// The end-of-run figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub config: ScenarioConfig,
    pub days_run: u64,
    pub stats: Stats,
    /// Rewards harvested, fee included, and fees, as the hub booked them.
    pub rewards: u128,
    pub fees: u128,
    /// Slashes the hub absorbed (booked as lost).
    pub slashed: u128,
    pub rate_start: Decimal,
    pub rate_end: Decimal,
    /// The nominal yearly rate that, compounded daily as the daily harvest does, gives the
    /// rate's growth over the days run; comparable with the configured APR less the fee.
    pub realised_apr: f64,
    /// The rate's growth over a year at the pace of the run.
    pub realised_apy: f64,
    /// The configured APR less the fee, and the APY it compounds to with daily re-staking.
    pub net_apr: f64,
    pub net_apy: f64,
    pub batches_paid: u64,
    pub checks: u64,
    pub violations: u64,
    /// The same scenario without the buffer (when it has one): its realised APR and APY.
    pub without_buffer: Option<(f64, f64)>,
}

impl Summary {
    /// Annualises the rate's growth over the days run: (APR compounded daily, APY).
    pub fn yields(rate_start: Decimal, rate_end: Decimal, days: u64) -> (f64, f64) {
        let start = decimal_to_f64(rate_start);
        if days == 0 || start == 0.0 {
            return (0.0, 0.0);
        }
        let growth = decimal_to_f64(rate_end) / start;
        let daily = growth.powf(1.0 / days as f64);
        (365.0 * (daily - 1.0), daily.powi(365) - 1.0)
    }

    /// The summary as an aligned two-column table.
    pub fn table(&self) -> String {
        let c = &self.config;
        let s = &self.stats;
        let mut rows: Vec<(String, String)> = vec![
            (
                "scenario".into(),
                format!(
                    "{} validators, {} users, {} of {} days, APR {}, fee {}, seed {}",
                    c.validators,
                    c.users,
                    self.days_run,
                    c.days,
                    percent(decimal_to_f64(c.apr)),
                    percent(decimal_to_f64(c.fee_rate)),
                    c.seed
                ),
            ),
            (
                "deposits".into(),
                format!("{} in {} bonds", tokens(s.deposits), s.bonds),
            ),
            (
                "withdrawals".into(),
                format!(
                    "{} in {} calls, {} requests paid",
                    tokens(s.withdrawals),
                    s.withdraw_calls,
                    s.requests_paid
                ),
            ),
            (
                "unbond requests".into(),
                format!("{} queued, {} cancelled", s.unbond_requests, s.cancels),
            ),
            (
                "rewards harvested".into(),
                if s.rewards_paid_on_changes == 0 {
                    format!("{} in {} harvests", tokens(self.rewards), s.harvests)
                } else {
                    format!(
                        "{} in {} harvests ({} of it paid out by the chain on delegation changes)",
                        tokens(self.rewards),
                        s.harvests,
                        tokens(s.rewards_paid_on_changes)
                    )
                },
            ),
            ("protocol fees".into(), tokens(self.fees)),
            ("slashes absorbed".into(), tokens(self.slashed)),
        ];
        let slash = match &s.slashed_validator {
            Some(validator) => format!(
                "{} of {validator} on day {} for an infraction on day {}: {} bonded, {} \
                 unbonding in {} batches ({} older spared)",
                percent(decimal_to_f64(c.slash_fraction)),
                c.slash_day.unwrap_or(0),
                s.infraction_day.unwrap_or(0),
                tokens(s.slash_loss_bonded),
                tokens(s.slash_loss_unbonding),
                s.slash_batches_hit,
                s.slash_batches_spared
            ),
            None => not_happened(c.slash_day),
        };
        let removal = match &s.removed_validator {
            Some(validator) => format!(
                "{validator} on day {}, {} redelegated",
                c.removal_day.unwrap_or(0),
                tokens(s.redelegated)
            ),
            None => not_happened(c.removal_day),
        };
        rows.push(("  slash".into(), slash));
        rows.push((
            "  share rounding".into(),
            format!(
                "{} less in batches' unbonding entries than they asked for (x/staking rounds down)",
                tokens(s.unbond_rounding)
            ),
        ));
        rows.push(("  validator removed".into(), removal));
        rows.extend([
            (
                "exchange rate".into(),
                format!("{} -> {}", self.rate_start, self.rate_end),
            ),
            (
                "realised APR / APY".into(),
                format!(
                    "{} / {}",
                    percent(self.realised_apr),
                    percent(self.realised_apy)
                ),
            ),
        ]);
        if !c.buffer_target.is_zero() {
            rows.push((
                "liquidity buffer".into(),
                format!(
                    "target {}, exit fee {}; it held {} to {} of the backing at the days' \
                     ends; {} undelegated by batches to top it up",
                    percent(decimal_to_f64(c.buffer_target)),
                    percent(decimal_to_f64(c.exit_fee)),
                    percent(s.buffer_share_min.unwrap_or(0.0)),
                    percent(s.buffer_share_max),
                    tokens(s.buffer_topups)
                ),
            ));
            rows.push((
                "instant exits".into(),
                format!(
                    "{} paid {}, fees {} left to the holders; {} refused (buffer short, \
                     queued instead)",
                    s.instant_exits,
                    tokens(s.instant_paid),
                    tokens(s.exit_fees),
                    s.instant_refused
                ),
            ));
            if let Some((apr, apy)) = self.without_buffer {
                let change = self.realised_apr - apr;
                rows.push((
                    "  without the buffer".into(),
                    format!(
                        "realised APR / APY {} / {} in the same scenario with every unit \
                         staked and every exit queued: with the buffer the holders earn {} \
                         {} (its idle native earns nothing, the exit fees add)",
                        percent(apr),
                        percent(apy),
                        percent_points(change.abs()),
                        if change < 0.0 { "less" } else { "more" }
                    ),
                ));
            }
        }
        rows.extend([
            (
                "configured APR - fee".into(),
                format!(
                    "{} (APY {} with daily re-staking)",
                    percent(self.net_apr),
                    percent(self.net_apy)
                ),
            ),
            (
                "batches".into(),
                format!(
                    "{} submitted, {} reconciled, {} fully paid",
                    s.batches_submitted, s.batches_reconciled, self.batches_paid
                ),
            ),
            (
                "longest wait".into(),
                if s.requests_paid == 0 {
                    "no request withdrawn yet".to_string()
                } else {
                    format!(
                        "{} from request to withdrawal; withdrawable after at most {} \
                         (bound {})",
                        duration(s.longest_wait),
                        duration(s.longest_until_withdrawable),
                        duration(c.liveness_bound())
                    )
                },
            ),
            (
                "transactions".into(),
                format!(
                    "{} ({} rejected as expected)",
                    s.transactions, s.rejected_calls
                ),
            ),
            (
                "invariant checks".into(),
                format!("{} performed, {} violations", self.checks, self.violations),
            ),
        ]);
        let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (label, value) in rows {
            let _ = writeln!(out, "{label:<width$}  {value}");
        }
        out
    }
}

/// Units of the denom as whole tokens with six decimals and thousands separators.
pub fn tokens(units: u128) -> String {
    let whole = (units / UNITS_PER_TOKEN).to_string();
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped}.{:06} {NATIVE_SYMBOL}", units % UNITS_PER_TOKEN)
}

/// Why a scheduled event does not appear.
fn not_happened(day: Option<u64>) -> String {
    match day {
        Some(day) => format!("none (scheduled for day {day}: not reached, or no candidate)"),
        None => "none (not scheduled)".to_string(),
    }
}

fn percent(fraction: f64) -> String {
    format!("{:.3} %", fraction * 100.0)
}

fn percent_points(fraction: f64) -> String {
    format!("{:.3} percentage points", fraction * 100.0)
}

fn duration(seconds: u64) -> String {
    format!("{:.2} days", seconds as f64 / DAY as f64)
}

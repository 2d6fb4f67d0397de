//! The daily state of the run, and its CSV file.

use std::path::Path;

use cosmwasm_std::Decimal;

use crate::config::{TOKEN_DECIMALS, UNITS_PER_TOKEN};
use crate::error::SimError;

/// The state at the end of one day. Amounts are in units of the denom; "that day" figures
/// cover the day's steps only, the others are running totals or levels. `daily.csv` gives the
/// amounts in whole tokens and adds the running totals of the daily figures ([`COLUMNS`]).
#[derive(Clone, Debug, PartialEq)]
pub struct DayRecord {
    pub day: u64,
    /// Block time, seconds.
    pub time: u64,
    pub exchange_rate: Decimal,
    pub total_native: u128,
    pub total_shares: u128,
    /// The hub's delegations as the chain records them.
    pub chain_delegated: u128,
    /// The hub's unbonding entries on the chain.
    pub chain_unbonding: u128,
    /// Derivative queued in the pending batch.
    pub pending_shares: u128,
    /// Native expected by submitted batches not reconciled yet.
    pub unbonding_native: u128,
    pub reserved_for_claims: u128,
    pub open_requests: usize,
    pub holders: usize,
    /// Bonded that day.
    pub deposits: u128,
    /// Withdrawn that day.
    pub withdrawals: u128,
    /// The liquidity buffer at the end of the day.
    pub buffer: u128,
    /// Paid by instant exits that day.
    pub instant_paid: u128,
    /// Rewards harvested that day, fee included.
    pub rewards: u128,
    /// Fees taken that day.
    pub fees: u128,
    pub slashed_total: u128,
    pub batches_submitted: u64,
    pub batches_reconciled: u64,
    /// Transactions sent that day.
    pub transactions: u64,
    /// Invariant checks performed so far.
    pub checks: u64,
}

/// The columns of `daily.csv`. A name ending in `_day` covers that day's steps only, one
/// ending in `_total` everything since day 0; the others are the state at the end of the day.
/// Amounts are in whole tokens with [`TOKEN_DECIMALS`] decimals: `_native_tokens` of the
/// staking token, `_derivative_tokens` of the hub's derivative.
pub const COLUMNS: [&str; 29] = [
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
];

/// Units of the denom as whole tokens with [`TOKEN_DECIMALS`] decimals, exactly: `1234.500000`.
pub fn token_cell(units: u128) -> String {
    let decimals = TOKEN_DECIMALS as usize;
    format!(
        "{}.{:0decimals$}",
        units / UNITS_PER_TOKEN,
        units % UNITS_PER_TOKEN
    )
}

/// A rate with all 18 decimals of a `Decimal`, exactly: `1.046439004088603002`.
pub fn rate_cell(rate: Decimal) -> String {
    let atomics = rate.atomics().u128();
    let one = Decimal::one().atomics().u128();
    format!("{}.{:018}", atomics / one, atomics % one)
}

/// The running totals the records give as daily figures, and the other way round.
#[derive(Default)]
struct SoFar {
    deposits: u128,
    withdrawals: u128,
    rewards: u128,
    fees: u128,
    slashed: u128,
    instant_paid: u128,
}

impl SoFar {
    /// The row of `record`, after the rows of the days before it.
    fn row(&mut self, record: &DayRecord) -> [String; 29] {
        self.deposits += record.deposits;
        self.instant_paid += record.instant_paid;
        self.withdrawals += record.withdrawals;
        self.rewards += record.rewards;
        self.fees += record.fees;
        let slashed_day = record.slashed_total.saturating_sub(self.slashed);
        self.slashed = record.slashed_total;
        [
            record.day.to_string(),
            record.time.to_string(),
            rate_cell(record.exchange_rate),
            token_cell(record.total_native),
            token_cell(record.total_shares),
            token_cell(record.chain_delegated),
            token_cell(record.chain_unbonding),
            token_cell(record.pending_shares),
            token_cell(record.unbonding_native),
            token_cell(record.reserved_for_claims),
            record.open_requests.to_string(),
            record.holders.to_string(),
            token_cell(record.deposits),
            token_cell(self.deposits),
            token_cell(record.withdrawals),
            token_cell(self.withdrawals),
            token_cell(record.rewards),
            token_cell(self.rewards),
            token_cell(record.fees),
            token_cell(self.fees),
            token_cell(slashed_day),
            token_cell(record.slashed_total),
            record.batches_submitted.to_string(),
            record.batches_reconciled.to_string(),
            record.transactions.to_string(),
            record.checks.to_string(),
            token_cell(record.buffer),
            token_cell(record.instant_paid),
            token_cell(self.instant_paid),
        ]
    }
}

/// Writes one row per day, with a header.
pub fn write_csv(path: &Path, records: &[DayRecord]) -> Result<(), SimError> {
    let fail = |err: csv::Error| SimError::Output {
        path: path.display().to_string(),
        reason: err.to_string(),
    };
    let mut writer = csv::Writer::from_path(path).map_err(fail)?;
    writer.write_record(COLUMNS).map_err(fail)?;
    let mut so_far = SoFar::default();
    for record in records {
        writer.write_record(so_far.row(record)).map_err(fail)?;
    }
    writer.flush().map_err(|err| SimError::Output {
        path: path.display().to_string(),
        reason: err.to_string(),
    })
}

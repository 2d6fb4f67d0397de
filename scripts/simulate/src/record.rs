//! The daily state of the run, and its CSV file.

use std::path::Path;

use cosmwasm_std::Decimal;

use crate::error::SimError;

/// The state at the end of one day. Amounts are in units of the denom; "that day" figures
/// cover the day's steps only, the others are running totals or levels.
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

const HEADER: [&str; 21] = [
    "day",
    "time",
    "exchange_rate",
    "total_native",
    "total_shares",
    "chain_delegated",
    "chain_unbonding",
    "pending_shares",
    "unbonding_native",
    "reserved_for_claims",
    "open_requests",
    "holders",
    "deposits",
    "withdrawals",
    "rewards",
    "fees",
    "slashed_total",
    "batches_submitted",
    "batches_reconciled",
    "transactions",
    "checks",
];

impl DayRecord {
    fn fields(&self) -> [String; 21] {
        [
            self.day.to_string(),
            self.time.to_string(),
            self.exchange_rate.to_string(),
            self.total_native.to_string(),
            self.total_shares.to_string(),
            self.chain_delegated.to_string(),
            self.chain_unbonding.to_string(),
            self.pending_shares.to_string(),
            self.unbonding_native.to_string(),
            self.reserved_for_claims.to_string(),
            self.open_requests.to_string(),
            self.holders.to_string(),
            self.deposits.to_string(),
            self.withdrawals.to_string(),
            self.rewards.to_string(),
            self.fees.to_string(),
            self.slashed_total.to_string(),
            self.batches_submitted.to_string(),
            self.batches_reconciled.to_string(),
            self.transactions.to_string(),
            self.checks.to_string(),
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
    writer.write_record(HEADER).map_err(fail)?;
    for record in records {
        writer.write_record(record.fields()).map_err(fail)?;
    }
    writer.flush().map_err(|err| SimError::Output {
        path: path.display().to_string(),
        reason: err.to_string(),
    })
}

//! Every way an operator command can fail, each with what to do about it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OperatorError {
    #[error("chain file {path}: {reason}")]
    ChainFile { path: String, reason: String },

    #[error("deployment file {path}: {reason}")]
    DeploymentFile { path: String, reason: String },

    #[error("environment variable {name} is not set: it must hold the signing mnemonic")]
    NoMnemonic { name: String },

    #[error("the mnemonic is not valid: {reason}")]
    BadMnemonic { reason: String },

    #[error("cannot reach the node at {rpc}: {reason}")]
    Unreachable { rpc: String, reason: String },

    #[error("the node serves chain {actual}, the chain file says {expected}")]
    WrongChain { expected: String, actual: String },

    #[error("account {address} does not exist on the chain: fund it first")]
    NoAccount { address: String },

    #[error(
        "insufficient funds: {address} holds {held}{denom}, the transaction needs {needed}{denom}"
    )]
    InsufficientFunds {
        address: String,
        denom: String,
        held: u128,
        needed: u128,
    },

    /// A transaction the chain refused, with its code and log (a contract's error message is
    /// in the log, as the chain reports it).
    #[error("the chain refused the transaction (code {code}): {log}")]
    Refused { code: u32, log: String },

    #[error("query {path} failed (code {code}): {log}")]
    Query {
        path: String,
        code: u32,
        log: String,
    },

    #[error("transaction {hash} was not included within {seconds} s")]
    Timeout { hash: String, seconds: u64 },

    #[error("{0}")]
    Invalid(String),

    #[error("reading {path}: {reason}")]
    Io { path: String, reason: String },
}

impl OperatorError {
    /// Whether the refusal is the hub saying a crank is not due (or another keeper ran it
    /// first): the keeper logs it and goes on.
    pub fn is_not_due(&self) -> bool {
        // The hub's own messages for these refusals (contracts/hub/src/error.rs), and the
        // chain's when two keepers with one key raced for a sequence number.
        const NOT_DUE: [&str; 8] = [
            "no batch has matured for reconcile",
            "the batch can be submitted from",
            "holds no request",
            "may still hold unbonding entries",
            "batches are not reconciled yet",
            "account sequence mismatch",
            "tx already exists in cache",
            "is paused",
        ];
        match self {
            OperatorError::Refused { log, .. } => {
                let log = log.to_lowercase();
                NOT_DUE
                    .iter()
                    .any(|needle| log.contains(&needle.to_lowercase()))
            }
            _ => false,
        }
    }

    /// Whether the failure is the node being away or not ready (restarting, catching up):
    /// worth a retry later.
    pub fn is_transient(&self) -> bool {
        match self {
            OperatorError::Unreachable { .. } | OperatorError::Timeout { .. } => true,
            // Seen on a node restarting: queries before the app is loaded, broadcasts while it
            // catches up.
            OperatorError::Query { log, .. } => log.contains("unknown request"),
            OperatorError::Refused { log, .. } => log.contains("catching up"),
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, OperatorError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(log: &str) -> OperatorError {
        OperatorError::Refused {
            code: 5,
            log: log.to_string(),
        }
    }

    #[test]
    fn the_hubs_not_due_refusals_are_told_apart_from_real_ones() {
        for log in [
            "no batch has matured for reconcile",
            "the batch can be submitted from 100; now is 90",
            "the pending batch 3 holds no request",
            "7 batches may still hold unbonding entries on the chain, which allows 7 per validator",
            "account sequence mismatch, expected 3, got 2",
            "tx already exists in cache",
        ] {
            assert!(refused(log).is_not_due(), "{log}");
        }
        let real = refused("shortfall of 10 beyond the bound: 100 expected, 90 arrived");
        assert!(!real.is_not_due());
        assert!(!real.is_transient());
    }

    #[test]
    fn a_node_restarting_is_transient() {
        let unreachable = OperatorError::Unreachable {
            rpc: "http://127.0.0.1:26801".to_string(),
            reason: "HTTP error".to_string(),
        };
        assert!(unreachable.is_transient());
        assert!(refused("endpoint is closed while node is catching up").is_transient());
        let loading = OperatorError::Query {
            path: "/cosmwasm.wasm.v1.Query/SmartContractState".to_string(),
            code: 6,
            log: "panic: unknown request".to_string(),
        };
        assert!(loading.is_transient());
    }
}

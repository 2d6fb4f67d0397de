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

    /// Whether the failure is the node being away (restarting, say): worth a retry later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            OperatorError::Unreachable { .. } | OperatorError::Timeout { .. }
        )
    }
}

pub type Result<T> = std::result::Result<T, OperatorError>;

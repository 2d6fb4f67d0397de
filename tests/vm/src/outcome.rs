//! What a transaction leaves behind for a test or a report: the gas of every call it made,
//! its events, or why it failed.

use std::fmt;

use cosmwasm_std::Event;

/// The gas of one call into one contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallGas {
    pub contract: String,
    pub label: String,
    /// `instantiate`, `execute:<message>`, `reply:<id>` or `query:<message>`.
    pub entry: String,
    /// All gas of the call: wasm execution and what the host charged.
    pub gas: u64,
    /// The part charged by the host: storage, queries, address functions.
    pub host_gas: u64,
    /// The part of `host_gas` charged for queries.
    pub query_gas: u64,
}

/// What a transaction did: every call it made, in order, and the events it emitted.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub calls: Vec<CallGas>,
    pub events: Vec<Event>,
}

impl Outcome {
    /// Gas of every call into `contract`.
    pub fn gas_of(&self, contract: &str) -> u64 {
        self.calls
            .iter()
            .filter(|call| call.contract == contract)
            .map(|call| call.gas)
            .sum()
    }

    pub fn total_gas(&self) -> u64 {
        self.calls.iter().map(|call| call.gas).sum()
    }

    /// The entry points called, as `label entry`, in order.
    pub fn trace(&self) -> Vec<String> {
        self.calls
            .iter()
            .map(|call| format!("{} {}", call.label, call.entry))
            .collect()
    }

    /// The value of the first attribute `key` of an event of type `ty` (`wasm` holds the
    /// attributes of every response).
    pub fn attribute(&self, ty: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|event| event.ty == ty)
            .flat_map(|event| event.attributes.iter())
            .find(|attr| attr.key == key)
            .map(|attr| attr.value.as_str())
    }

    /// Every value of attribute `key` in events of type `ty`.
    pub fn attributes(&self, ty: &str, key: &str) -> Vec<&str> {
        self.events
            .iter()
            .filter(|event| event.ty == ty)
            .flat_map(|event| event.attributes.iter())
            .filter(|attr| attr.key == key)
            .map(|attr| attr.value.as_str())
            .collect()
    }
}

/// Why a transaction failed. It was undone in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxError {
    /// A contract returned an error.
    Contract {
        contract: String,
        entry: String,
        error: String,
    },
    /// The VM stopped a call: a trap (panic), running out of gas, a bad import.
    Vm {
        contract: String,
        entry: String,
        error: String,
    },
    /// The modelled chain refused a message.
    Chain { sender: String, error: String },
}

impl TxError {
    pub fn message(&self) -> &str {
        match self {
            TxError::Contract { error, .. }
            | TxError::Vm { error, .. }
            | TxError::Chain { error, .. } => error,
        }
    }
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxError::Contract {
                contract,
                entry,
                error,
            } => write!(f, "{contract} {entry}: contract error: {error}"),
            TxError::Vm {
                contract,
                entry,
                error,
            } => write!(f, "{contract} {entry}: VM error: {error}"),
            TxError::Chain { sender, error } => {
                write!(f, "message from {sender} refused by the chain: {error}")
            }
        }
    }
}

impl std::error::Error for TxError {}

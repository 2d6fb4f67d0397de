//! The Flowstake contracts as a chain runs them: the compiled, lowered wasm in `artifacts/`,
//! loaded into the CosmWasm VM (cosmwasm-vm 2.3.5) with a modelled chain around it.
//!
//! - [`vm::Vm`] hosts the VM: it stores code, runs every call in a fresh instance, routes the
//!   messages contracts emit, feeds replies back and records the gas of every call.
//! - [`chain::ChainState`] models the bank, staking and distribution state the hub reads and
//!   changes, with the chain's limits (seven entries, no transitive redelegation).
//! - [`suite::Suite`] deploys hub, token and collector and speaks their messages.
//! - [`address`] makes the chain's addresses, at their real lengths.
//! - [`floor`] deploys the gas floor the report measures against.

pub mod address;
pub mod artifacts;
pub mod chain;
pub mod floor;
mod messages;
pub mod outcome;
pub mod querier;
mod router;
pub mod storage;
pub mod suite;
pub mod vm;

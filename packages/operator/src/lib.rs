//! The operator tool's library: the chain file, a chain client (cosmrs), the hub's operations
//! and the keeper loop. The `flowstake` binary is a command line over it; the localnet tests
//! use it directly.

pub mod client;
pub mod config;
pub mod error;
pub mod keeper;
pub mod ops;

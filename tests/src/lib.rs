//! Scenario tests of the Flowstake contracts on an in-process chain.
//!
//! The harness is [`SuiteBuilder`] and [`Suite`]: actions in `suite`, queries in `queries`,
//! chain-side views in `chain`, the invariant checks in `invariants`. [`model`] holds the
//! reference arithmetic the tests compute their expected figures with. The scenarios
//! themselves live in `tests/`.
//!
//! The chain is [`strict`]: cw-multi-test with staking and distribution modules that enforce
//! what x/staking and x/distribution enforce (entry limits, redelegation rules, automatic
//! reward withdrawal, slashes at a height, jailing). Other crates build the same chain with
//! [`strict_app`].

pub mod accounts;
pub mod builder;
pub mod chain;
pub mod errors;
pub mod invariants;
pub mod lender;
pub mod model;
pub mod queries;
pub mod random;
pub mod strict;
pub mod suite;

pub use accounts::*;
pub use builder::{
    collector_contract, hub_contract, set_liquidity, token_contract, CodeIds, SuiteBuilder,
};
pub use chain::ChainUnbonding;
pub use errors::{assert_hub_error, hub_error, token_error};
pub use invariants::Snapshot;
pub use strict::{strict_app, StrictApp, StrictChain, StrictSudo};
pub use suite::Suite;

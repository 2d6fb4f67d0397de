//! The Flowstake hub: bonds the staking token, mints the derivative, re-stakes rewards and runs
//! the unbond queue.

pub mod contract;
pub mod error;
pub mod execute;
pub mod guard;
pub mod history;
pub mod ledger;
pub mod math;
pub mod query;
pub mod state;

#[cfg(test)]
mod testing;

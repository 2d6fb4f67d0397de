//! The Flowstake derivative token: cw20-base, with burning and minting reserved to the hub,
//! and a mint that goes straight into a contract's receive hook.

pub mod contract;
pub mod error;
pub mod msg;

#[cfg(test)]
mod tests;

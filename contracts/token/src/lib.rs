//! The Flowstake derivative token: cw20-base, with burning and minting reserved to the hub.

pub mod contract;
pub mod error;

#[cfg(test)]
mod tests;

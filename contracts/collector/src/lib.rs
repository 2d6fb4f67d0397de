//! The Flowstake reward collector: the hub's distribution withdraw address. Staking rewards
//! land here and the hub pulls them with `Forward`, so they are never mistaken for other funds
//! the hub holds.

pub mod contract;
pub mod error;
pub mod state;

#[cfg(test)]
mod tests;

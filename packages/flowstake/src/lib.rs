//! Message and response types shared by the Flowstake contracts and their clients.
//! This crate holds no logic.

pub mod chain;
pub mod collector;
pub mod hub;

use cosmwasm_std::Decimal;

/// Hard cap on the protocol fee taken from rewards: 10 %.
pub const MAX_FEE_RATE: Decimal = Decimal::percent(10);

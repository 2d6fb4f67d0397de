//! Message and response types shared by the Flowstake contracts and their clients.
//! This crate holds no logic.

pub mod chain;
pub mod collector;
pub mod hub;

use cosmwasm_std::Decimal;

/// Hard cap on the protocol fee taken from rewards: 10 %.
pub const MAX_FEE_RATE: Decimal = Decimal::percent(10);

/// Largest annual reward rate recognised when the instantiation does not set one: 50 %.
pub const DEFAULT_MAX_REWARD_RATE: Decimal = Decimal::percent(50);

/// Largest configurable annual reward rate: 1,000 %.
pub const MAX_REWARD_RATE_CAP: Decimal = Decimal::raw(10_000_000_000_000_000_000);

/// Most denoms one `SweepRewards` may name.
pub const MAX_SWEEP_DENOMS: usize = 10;

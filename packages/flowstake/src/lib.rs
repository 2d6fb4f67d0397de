//! Message and response types shared by the Flowstake contracts and their clients.
//! This crate holds no logic.

pub mod chain;
pub mod collector;
pub mod hub;
pub mod token;

use cosmwasm_std::Decimal;

/// Hard cap on the protocol fee taken from rewards: 10 %.
pub const MAX_FEE_RATE: Decimal = Decimal::percent(10);

/// Largest annual reward rate recognised when the instantiation does not set one: 50 %.
pub const DEFAULT_MAX_REWARD_RATE: Decimal = Decimal::percent(50);

/// Largest configurable annual reward rate: 1,000 %.
pub const MAX_REWARD_RATE_CAP: Decimal = Decimal::raw(10_000_000_000_000_000_000);

/// Largest share of the backing kept unstaked as the liquidity buffer: 20 %.
pub const MAX_BUFFER_TARGET: Decimal = Decimal::percent(20);

/// Largest fee on an instant exit from the buffer: 1 %.
pub const MAX_EXIT_FEE: Decimal = Decimal::percent(1);

/// Most denoms one `SweepRewards` may name.
pub const MAX_SWEEP_DENOMS: usize = 10;

// The three bounds below keep every call of a crank under a budget of 5,000,000 gas (half the
// localnet's block limit of 10,000,000) with up to 150 validators in the set: on injectived a
// withdrawal the hub sends costs about 80 k, an undelegation about 215 k and a redelegation
// about 275 k, a sync about 5.6 k per validator, and the chain's unbonding and redelegation
// queues grow within a block, so each further entry of one call costs a little more than the
// last. Measured per call in docs/gas-chain.md (`scripts/chain-gas.sh`).

/// Most validators one `Harvest` withdraws rewards from. Harvest takes them in turn (address
/// order, from where the last one stopped), so every delegation is withdrawn at least every
/// `ceil(validators / MAX_HARVEST_WITHDRAWALS)` harvests; x/distribution also pays a
/// delegation's rewards out whenever the hub's stake on it changes.
pub const MAX_HARVEST_WITHDRAWALS: usize = 32;

/// Most undelegations one `SubmitBatch` sends. A batch spread over more validators is
/// submitted over several calls: the first converts and burns its shares and undelegates from
/// the first validators, each further `SubmitBatch` continues where the last one stopped.
pub const MAX_SUBMIT_UNDELEGATIONS: usize = 12;

/// Most validators a removed validator's stake is redelegated to: the least loaded ones.
pub const MAX_REDELEGATION_TARGETS: usize = 10;

//! What the strict chain stores: parameters, validators with their tokens and delegator shares,
//! delegations, unbonding and redelegation entries, each validator's token history (for slashes
//! at a past height) and the withdraw addresses. Every key is prefixed `strict_` so that nothing
//! collides with the keys of cw-multi-test's own modules.

use cosmwasm_std::{
    Addr, BlockInfo, Decimal, Decimal256, Order, StdResult, Storage, Timestamp, Uint128, Uint256,
    Validator,
};
use cw_storage_plus::{Bound, Item, Map};
use serde::{Deserialize, Serialize};

use super::error::ChainError;

/// x/staking `MaxEntries`: the most unbonding entries per (delegator, validator) and the most
/// redelegation entries per (delegator, source, destination).
pub const MAX_ENTRIES: usize = 7;

/// Seconds in the year the APR is counted over.
pub const YEAR_SECONDS: u64 = 365 * 24 * 60 * 60;

/// The chain's staking parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainParams {
    pub bonded_denom: String,
    /// Seconds from an undelegation to its payout, and the lifetime of a redelegation entry.
    pub unbonding_time: u64,
    /// Rewards a year per staked token, before commission.
    pub apr: Decimal,
    /// Tokens per unit of consensus power (x/staking `PowerReduction`): a slash burns its
    /// fraction of the validator's power, counted in whole units of it.
    #[serde(default = "default_power_reduction")]
    pub power_reduction: Uint128,
}

/// The model's default `PowerReduction`: 1, every token counts. The tests here count stake in
/// small amounts (validators of a few tokens of 10^6 units), which a real chain's reduction
/// (the Cosmos SDK's default 10^6; 10^18 on chains with an 18-decimal token such as Injective,
/// whose localnet validators of about 1.0002e25 tokens have a voting power of about
/// 10,002,383) would round to no power at all; with 1 a slash burns at least what the chain's
/// would. `StrictStaking::set_power_reduction` sets a chain's (the differential run against
/// the localnet sets 10^18).
pub const DEFAULT_POWER_REDUCTION: u128 = 1;

fn default_power_reduction() -> Uint128 {
    Uint128::new(DEFAULT_POWER_REDUCTION)
}

/// Where a validator stands in the validator set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValidatorStatus {
    /// In the active set: it earns rewards.
    Bonded,
    /// Left the active set (jailed) at `height`; becomes unbonded at `completes_at`.
    Unbonding {
        height: u64,
        completes_at: Timestamp,
    },
    /// Out of the set for longer than the unbonding time.
    Unbonded,
}

/// A validator as x/staking keeps it, with the reward index of x/distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidatorState {
    pub info: Validator,
    /// Bonded tokens, slashes deducted.
    pub tokens: Uint128,
    /// Shares issued to all its delegators; `tokens / delegator_shares` is the exchange rate.
    pub delegator_shares: Decimal256,
    pub jailed: bool,
    pub status: ValidatorStatus,
    /// Cumulative rewards per token, in units of `1 / (10^36 * YEAR_SECONDS)` native, up to
    /// `index_time`.
    pub reward_index: Uint256,
    pub index_time: Timestamp,
}

/// One delegator's stake at one validator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DelegationState {
    pub shares: Decimal256,
    /// The validator's reward index when the current reward period started.
    pub index_start: Uint256,
    /// Rewards earned in this period before a slash changed the stake, in index units.
    pub accrued: Uint256,
    /// Block time of the period's start: the delegation's creation or its last withdrawal.
    pub rewards_since: Timestamp,
}

/// One entry of an unbonding delegation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbondingEntry {
    pub creation_height: u64,
    pub completion_time: Timestamp,
    pub initial_balance: Uint128,
    /// What will be paid out: the initial balance less slashes.
    pub balance: Uint128,
}

/// One entry of a redelegation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RedelegationEntry {
    pub creation_height: u64,
    pub completion_time: Timestamp,
    pub initial_balance: Uint128,
    /// Shares the redelegation created at the destination.
    pub shares_dst: Decimal256,
}

pub const PARAMS: Item<ChainParams> = Item::new("strict_params");
pub const VALIDATORS: Map<&str, ValidatorState> = Map::new("strict_validators");
/// (delegator, validator) -> delegation.
pub const DELEGATIONS: Map<(&Addr, &str), DelegationState> = Map::new("strict_delegations");
/// (delegator, validator) -> entries, oldest first.
pub const UNBONDINGS: Map<(&Addr, &str), Vec<UnbondingEntry>> = Map::new("strict_unbondings");
/// (delegator, source, destination) -> entries, oldest first.
pub const REDELEGATIONS: Map<(&Addr, &str, &str), Vec<RedelegationEntry>> =
    Map::new("strict_redelegations");
/// (validator, height) -> the validator's tokens at the end of that height.
pub const TOKEN_HISTORY: Map<(&str, u64), Uint128> = Map::new("strict_token_history");
/// delegator -> where its rewards are paid, if not to itself.
pub const WITHDRAW_ADDRESSES: Map<&Addr, Addr> = Map::new("strict_withdraw_addresses");
/// The earliest time at which an unbonding entry, a redelegation entry or a validator's
/// unbonding completes; the end of block has nothing to do before it.
pub const NEXT_MATURITY: Item<Timestamp> = Item::new("strict_next_maturity");
/// The block whose transactions are running now (the last one cw-multi-test announced): its
/// end of block runs when the next block is announced, after all of its transactions.
pub const LAST_BLOCK: Item<BlockInfo> = Item::new("strict_last_block");
/// x/slashing `ValidatorSigningInfo.Tombstoned`: validators jailed forever for a double sign.
pub const TOMBSTONED: Map<&str, bool> = Map::new("strict_tombstoned");

/// Records that something completes at `time`.
pub fn note_maturity(storage: &mut dyn Storage, time: Timestamp) -> StdResult<()> {
    match NEXT_MATURITY.may_load(storage)? {
        Some(next) if next <= time => Ok(()),
        _ => NEXT_MATURITY.save(storage, &time),
    }
}

pub fn params(storage: &dyn Storage) -> Result<ChainParams, ChainError> {
    PARAMS.may_load(storage)?.ok_or(ChainError::NotSetUp {})
}

pub fn load_validator(storage: &dyn Storage, address: &str) -> Result<ValidatorState, ChainError> {
    VALIDATORS
        .may_load(storage, address)?
        .ok_or_else(|| ChainError::NoValidator {
            address: address.to_string(),
        })
}

/// Saves a validator and records its tokens at `height` for later slashes.
pub fn save_validator(
    storage: &mut dyn Storage,
    height: u64,
    validator: &ValidatorState,
) -> StdResult<()> {
    let address = validator.info.address.as_str();
    VALIDATORS.save(storage, address, validator)?;
    TOKEN_HISTORY.save(storage, (address, height), &validator.tokens)
}

/// x/staking `RemoveValidator` (with x/distribution's `AfterValidatorRemoved`): the validator,
/// its reward state and its token history are gone. Only for an unbonded validator with no
/// shares (and so no tokens) left.
pub fn remove_validator(storage: &mut dyn Storage, address: &str) -> StdResult<()> {
    VALIDATORS.remove(storage, address);
    let heights: Vec<u64> = TOKEN_HISTORY
        .prefix(address)
        .keys(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    for height in heights {
        TOKEN_HISTORY.remove(storage, (address, height));
    }
    Ok(())
}

/// Whether x/staking deletes the validator now: unbonded, with no delegator shares left
/// (`RemoveValidatorTokensAndShares` / `unbond` and `UnbondAllMatureValidators` check
/// `DelegatorShares.IsZero() && IsUnbonded()`).
pub fn is_removable(validator: &ValidatorState) -> bool {
    validator.status == ValidatorStatus::Unbonded && validator.delegator_shares.is_zero()
}

/// The validator's tokens at the end of `height` (the latest record at or before it).
pub fn tokens_at(storage: &dyn Storage, validator: &str, height: u64) -> StdResult<Uint128> {
    let latest = TOKEN_HISTORY
        .prefix(validator)
        .range(
            storage,
            None,
            Some(Bound::inclusive(height)),
            Order::Descending,
        )
        .next()
        .transpose()?;
    Ok(latest.map(|(_, tokens)| tokens).unwrap_or_default())
}

pub fn withdraw_address(storage: &dyn Storage, delegator: &Addr) -> StdResult<Addr> {
    Ok(WITHDRAW_ADDRESSES
        .may_load(storage, delegator)?
        .unwrap_or_else(|| delegator.clone()))
}

/// An unbonding delegation: ((delegator, validator), entries).
pub type UnbondingRecord = ((Addr, String), Vec<UnbondingEntry>);
/// A redelegation: ((delegator, source, destination), entries).
pub type RedelegationRecord = ((Addr, String, String), Vec<RedelegationEntry>);

/// Every unbonding delegation.
pub fn all_unbondings(storage: &dyn Storage) -> StdResult<Vec<UnbondingRecord>> {
    UNBONDINGS
        .range(storage, None, None, Order::Ascending)
        .collect()
}

/// Every redelegation.
pub fn all_redelegations(storage: &dyn Storage) -> StdResult<Vec<RedelegationRecord>> {
    REDELEGATIONS
        .range(storage, None, None, Order::Ascending)
        .collect()
}

/// x/staking `HasReceivingRedelegation`: whether a redelegation of `delegator` into
/// `validator` still has an entry that has not matured.
pub fn has_receiving_redelegation(
    storage: &dyn Storage,
    delegator: &Addr,
    validator: &str,
) -> StdResult<bool> {
    for item in REDELEGATIONS
        .sub_prefix(delegator)
        .keys(storage, None, None, Order::Ascending)
    {
        let (_, destination) = item?;
        if destination == validator {
            return Ok(true);
        }
    }
    Ok(false)
}

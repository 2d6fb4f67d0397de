//! The errors of the strict chain, one variant per refusal of x/staking and x/distribution, so
//! that tests assert the variant (`err.downcast_ref::<ChainError>()`).

use cosmwasm_std::{StdError, Uint128};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum ChainError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("the strict chain was not set up: call StrictStaking::setup first")]
    NotSetUp {},

    /// x/staking `ErrNoValidatorFound`.
    #[error("validator {address} does not exist")]
    NoValidator { address: String },

    #[error("validator {address} already exists")]
    ValidatorExists { address: String },

    /// x/staking `ErrNoDelegation`; x/distribution `ErrEmptyDelegationDistInfo`.
    #[error("{delegator} has no delegation to {validator}")]
    NoDelegation {
        delegator: String,
        validator: String,
    },

    /// x/staking `ErrBadDenom`.
    #[error("invalid coin denomination: got {got}, expected {expected}")]
    BadDenom { got: String, expected: String },

    /// `MsgDelegate`, `MsgUndelegate` and `MsgBeginRedelegate` refuse a zero amount.
    #[error("the amount must be positive")]
    ZeroAmount {},

    /// x/staking `ErrBadSharesAmount`: more than the delegation holds.
    #[error("{requested} is more than the {delegated} delegated to {validator}")]
    InsufficientDelegation {
        validator: String,
        requested: Uint128,
        delegated: Uint128,
    },

    /// x/staking `ErrDelegatorShareExRateInvalid`: the validator was slashed to zero tokens.
    #[error("validator {address} has shares but no tokens")]
    InvalidExchangeRate { address: String },

    /// x/staking `ErrMaxUnbondingDelegationEntries`.
    #[error("too many unbonding entries for the pair ({delegator}, {validator}): at most {max}")]
    MaxUnbondingEntries {
        delegator: String,
        validator: String,
        max: usize,
    },

    /// x/staking `ErrMaxRedelegationEntries`.
    #[error("too many redelegation entries for ({delegator}, {src_validator}, {dst_validator}): at most {max}")]
    MaxRedelegationEntries {
        delegator: String,
        src_validator: String,
        dst_validator: String,
        max: usize,
    },

    /// x/staking `ErrSelfRedelegation`.
    #[error("cannot redelegate to the same validator {validator}")]
    SelfRedelegation { validator: String },

    /// x/staking `ErrTransitiveRedelegation`.
    #[error("redelegation to {validator} is still maturing: it cannot be redelegated again")]
    TransitiveRedelegation { validator: String },

    /// x/staking `ErrTinyRedelegationAmount`.
    #[error("the redelegation amount is too small: it returns zero tokens")]
    TinyRedelegation {},

    /// x/staking panics: "impossible attempt to slash future infraction".
    #[error("infraction height {infraction_height} is above the current height {height}")]
    FutureInfraction { infraction_height: u64, height: u64 },

    /// x/staking panics: "should not be slashing unbonded validator".
    #[error("validator {address} is unbonded and cannot be slashed")]
    SlashUnbonded { address: String },

    #[error("a slash fraction must be at most one, got {fraction}")]
    InvalidSlashFraction { fraction: String },

    /// x/staking `Jail` on a jailed validator panics; `ErrValidatorNotJailed` on unjail.
    #[error("validator {address} jailed is already {jailed}")]
    JailState { address: String, jailed: bool },

    /// x/slashing `ErrValidatorJailed` on `Unjail` of a tombstoned validator.
    #[error("validator {address} is tombstoned: it is jailed forever and cannot be unjailed")]
    Tombstoned { address: String },

    /// x/staking `Params.Validate` refuses the new parameters.
    #[error("invalid staking parameters: {reason}")]
    InvalidParams { reason: String },

    #[error("unsupported by the strict chain: {what}")]
    Unsupported { what: String },
}

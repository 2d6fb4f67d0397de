use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error(transparent)]
    Std(#[from] StdError),

    /// Only the hub may call `Forward`.
    #[error("{sender} is not the hub")]
    Unauthorized { sender: String },

    /// `Sweep` named the staking denom, which leaves only through `Forward`.
    #[error("the staking denom {denom} cannot be swept")]
    SweepStakingDenom { denom: String },

    /// Migration from another contract, from a newer version, or from an unreadable version.
    /// `from` and `to` are `name@version`.
    #[error("migration refused from {from} to {to}")]
    MigrationRefused { from: String, to: String },
}

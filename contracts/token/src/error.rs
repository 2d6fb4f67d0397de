use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error(transparent)]
    Base(#[from] cw20_base::ContractError),

    /// The token must be instantiated with the hub as its minter.
    #[error("the token must be instantiated with a minter")]
    MinterRequired {},

    /// Only the minter (the hub) may burn, through `Burn` or `BurnFrom`.
    #[error("{sender} may not burn: only the minter burns")]
    BurnNotAllowed { sender: String },

    /// The minter is set once at instantiation and never changes.
    #[error("the minter cannot be changed")]
    MinterFixed {},

    /// Migration from another contract, from a newer version, or from an unreadable version.
    /// `from` and `to` are `name@version`.
    #[error("migration refused from {from} to {to}")]
    MigrationRefused { from: String, to: String },
}

//! The derivative token's one message beyond cw20-base, which the hub alone may send.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Binary, Uint128};

/// Messages only the token's minter (the hub) may send.
#[cw_serde]
#[serde(deny_unknown_fields)]
pub enum MinterMsg {
    /// Mints `amount` straight to `contract` and calls its cw20 receive hook as if `owner` had
    /// minted them and then sent them there: `Cw20ReceiveMsg { sender: owner, amount, msg }`.
    /// The hook's failure fails the mint.
    MintAndSend {
        owner: String,
        contract: String,
        amount: Uint128,
        msg: Binary,
    },
}

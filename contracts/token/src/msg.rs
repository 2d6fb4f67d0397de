//! What the token's `execute` accepts: every cw20-base message, and the minter's
//! [`MinterMsg`].

use cosmwasm_schema::cw_serde;
pub use flowstake::token::MinterMsg;

/// A cw20-base message or a [`MinterMsg`]; the JSON of each is unchanged (no wrapper key).
#[cw_serde]
#[serde(untagged)]
pub enum ExecuteMsg {
    Minter(MinterMsg),
    Cw20(cw20_base::msg::ExecuteMsg),
}

impl From<cw20_base::msg::ExecuteMsg> for ExecuteMsg {
    fn from(msg: cw20_base::msg::ExecuteMsg) -> Self {
        ExecuteMsg::Cw20(msg)
    }
}

impl From<MinterMsg> for ExecuteMsg {
    fn from(msg: MinterMsg) -> Self {
        ExecuteMsg::Minter(msg)
    }
}

//! Writes the derivative token's JSON schema to the folder given as the first argument.

use cosmwasm_schema::generate_api;
use cosmwasm_std::Empty;
use cw20_base::msg::{InstantiateMsg, QueryMsg};
use flowstake_token::msg::ExecuteMsg;

fn main() -> std::io::Result<()> {
    let api = generate_api! {
        name: "flowstake-token",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: Empty,
    };
    let out_dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "schema".to_string());
    let json = api.render().to_string().map_err(std::io::Error::other)?;
    std::fs::write(format!("{out_dir}/flowstake-token.json"), json + "\n")
}

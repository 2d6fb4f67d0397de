//! Writes the reward collector's JSON schema to the folder given as the first argument.

use cosmwasm_schema::generate_api;
use flowstake::collector::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() -> std::io::Result<()> {
    let api = generate_api! {
        name: "flowstake-collector",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    };
    let out_dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "schema".to_string());
    let json = api.render().to_string().map_err(std::io::Error::other)?;
    std::fs::write(format!("{out_dir}/flowstake-collector.json"), json + "\n")
}

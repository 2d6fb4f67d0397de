//! Messages of the reward collector, the hub's distribution withdraw address.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Addr;

/// Instantiated by the hub, which becomes the collector's only caller.
#[cw_serde]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// The staking denom whose balance is forwarded.
    pub denom: String,
}

#[cw_serde]
#[serde(deny_unknown_fields)]
pub enum ExecuteMsg {
    /// Hub only: send the whole balance of the staking denom to the hub's `ReceiveRewards`.
    Forward {},
    /// Hub only: send the whole balance of each of `denoms` to `receiver`. The staking denom is
    /// refused: it only ever leaves through `Forward`.
    Sweep {
        denoms: Vec<String>,
        receiver: String,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
#[serde(deny_unknown_fields)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
}

#[cw_serde]
pub struct ConfigResponse {
    pub hub: Addr,
    pub denom: String,
}

#[cw_serde]
#[serde(deny_unknown_fields)]
pub struct MigrateMsg {}

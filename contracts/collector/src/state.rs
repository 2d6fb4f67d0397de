use cosmwasm_schema::cw_serde;
use cosmwasm_std::Addr;
use cw_storage_plus::Item;

#[cw_serde]
pub struct Config {
    /// The hub that instantiated the collector: its only caller and the receiver of rewards.
    pub hub_addr: Addr,
    /// The staking denom whose balance is forwarded.
    pub denom: String,
}

/// Set once at instantiation, never changed.
pub const CONFIG: Item<Config> = Item::new("config");

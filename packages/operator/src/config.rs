//! The chain file (where the chain is and how to pay for transactions) and the deployment file
//! (what `deploy` created). Unknown fields are refused, so a typo never passes silently.

use std::path::Path;

use cosmwasm_std::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{OperatorError, Result};

/// Environment variable holding the signing mnemonic (never a file in the repository).
pub const MNEMONIC_VAR: &str = "FLOWSTAKE_MNEMONIC";

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChainFile {
    pub chain_id: String,
    /// CometBFT RPC endpoint, e.g. `http://127.0.0.1:26657`.
    pub rpc: String,
    /// Bech32 prefix of account addresses.
    pub prefix: String,
    pub staking_denom: String,
    pub fee_denom: String,
    /// Fee-denom units per unit of gas.
    pub gas_price: Decimal,
    /// Gas asked for over what a simulation used.
    pub gas_adjustment: Decimal,
    /// BIP-44 coin type of the signing key (118 for most Cosmos chains).
    pub coin_type: u32,
}

impl ChainFile {
    pub fn load(path: &Path) -> Result<Self> {
        let text = read(path)?;
        let file: ChainFile = toml::from_str(&text).map_err(|err| OperatorError::ChainFile {
            path: path.display().to_string(),
            reason: err.message().to_string(),
        })?;
        file.validate().map_err(|reason| OperatorError::ChainFile {
            path: path.display().to_string(),
            reason,
        })?;
        Ok(file)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if !(self.rpc.starts_with("http://") || self.rpc.starts_with("https://")) {
            return Err(format!("rpc {:?} must be an http(s) URL", self.rpc));
        }
        for (name, value) in [
            ("chain_id", &self.chain_id),
            ("prefix", &self.prefix),
            ("staking_denom", &self.staking_denom),
            ("fee_denom", &self.fee_denom),
        ] {
            if value.is_empty() {
                return Err(format!("{name} is empty"));
            }
        }
        if self.gas_adjustment < Decimal::one() {
            return Err(format!(
                "gas_adjustment {} is below 1: transactions would run out of gas",
                self.gas_adjustment
            ));
        }
        Ok(())
    }
}

/// What `deploy` wrote: the code ids and addresses of one deployment.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    pub chain_id: String,
    pub hub_code_id: u64,
    pub token_code_id: u64,
    pub collector_code_id: u64,
    pub hub: String,
    pub token: String,
    pub collector: String,
    /// Height of the instantiation.
    pub height: u64,
}

impl Deployment {
    pub fn load(path: &Path) -> Result<Self> {
        let text = read(path)?;
        serde_json::from_str(&text).map_err(|err| OperatorError::DeploymentFile {
            path: path.display().to_string(),
            reason: err.to_string(),
        })
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a deployment serialises");
        std::fs::write(path, text + "\n").map_err(|err| OperatorError::Io {
            path: path.display().to_string(),
            reason: err.to_string(),
        })
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|err| OperatorError::Io {
        path: path.display().to_string(),
        reason: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
chain_id = "c-1"
rpc = "http://127.0.0.1:26657"
prefix = "inj"
staking_denom = "stake"
fee_denom = "inj"
gas_price = "160000000"
gas_adjustment = "1.5"
coin_type = 60
"#;

    #[test]
    fn the_committed_localnet_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("chains/localnet.toml");
        let file = ChainFile::load(&path).unwrap();
        assert_eq!(file.staking_denom, "stake");
        assert_eq!(file.coin_type, 60);
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        let text = format!("{GOOD}\nrcp = \"x\"\n");
        let err = toml::from_str::<ChainFile>(&text).unwrap_err();
        assert!(err.message().contains("unknown field `rcp`"), "{err}");
    }

    #[test]
    fn bad_values_are_refused() {
        let mut file: ChainFile = toml::from_str(GOOD).unwrap();
        assert!(file.validate().is_ok());
        file.gas_adjustment = Decimal::percent(90);
        assert!(file.validate().unwrap_err().contains("below 1"));
        file.gas_adjustment = Decimal::one();
        file.rpc = "127.0.0.1:26657".to_string();
        assert!(file.validate().unwrap_err().contains("http"));
    }
}

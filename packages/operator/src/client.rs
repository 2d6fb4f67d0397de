//! Talking to a chain: queries over the node's ABCI query endpoint, transactions signed with a
//! secp256k1 key from a mnemonic (cosmrs), gas from a simulation, inclusion awaited by hash.

use std::str::FromStr;
use std::time::Duration;

use bip32::{DerivationPath, Language, Mnemonic};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1::{QueryAccountInfoRequest, QueryAccountInfoResponse};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::staking::v1beta1::{
    QueryParamsRequest, QueryParamsResponse, QueryValidatorsRequest, QueryValidatorsResponse,
};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use cosmrs::rpc::{Client, HttpClient};
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin, Denom};
use cosmwasm_std::{Decimal, Uint128};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::ChainFile;
use crate::error::{OperatorError, Result};

/// Largest transaction simulated before it is sent (larger ones: code uploads).
const SIMULATION_LIMIT: usize = 300_000;
/// Gas of a code upload too large to simulate, before the adjustment: x/auth's 10 per byte
/// of transaction, wasmd's compile cost of 3 per byte, and a margin for the rest.
const UPLOAD_GAS_PER_BYTE: u64 = 14;
const UPLOAD_GAS_BASE: u64 = 200_000;

/// How long a broadcast transaction is awaited.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// The signing account.
pub struct Signer {
    key: SigningKey,
    pub address: AccountId,
}

impl Signer {
    /// The key at `m/44'/{coin_type}'/0'/0/0` of the mnemonic (24 English words).
    pub fn from_mnemonic(phrase: &str, prefix: &str, coin_type: u32) -> Result<Self> {
        let bad = |reason: String| OperatorError::BadMnemonic { reason };
        let mnemonic =
            Mnemonic::new(phrase.trim(), Language::English).map_err(|e| bad(e.to_string()))?;
        let path = DerivationPath::from_str(&format!("m/44'/{coin_type}'/0'/0/0"))
            .map_err(|e| bad(e.to_string()))?;
        let key = SigningKey::derive_from_path(mnemonic.to_seed(""), &path)
            .map_err(|e| bad(e.to_string()))?;
        let address = key
            .public_key()
            .account_id(prefix)
            .map_err(|e| bad(e.to_string()))?;
        Ok(Self { key, address })
    }
}

/// What an included transaction did.
#[derive(Clone, Debug)]
pub struct TxOutcome {
    pub hash: String,
    pub height: u64,
    pub gas_used: i64,
    pub gas_wanted: i64,
    /// Events as (type, key, value).
    pub events: Vec<(String, String, String)>,
}

impl TxOutcome {
    /// The first value of `key` in an event of type `kind`.
    pub fn attribute(&self, kind: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .find(|(t, k, _)| t == kind && k == key)
            .map(|(_, _, v)| v.as_str())
    }

    /// Every value of `key` in the `wasm` events.
    pub fn wasm_attributes(&self, key: &str) -> Vec<&str> {
        self.events
            .iter()
            .filter(|(t, k, _)| t == "wasm" && k == key)
            .map(|(_, _, v)| v.as_str())
            .collect()
    }
}

/// A connection to one node of the chain the chain file names.
pub struct Chain {
    pub file: ChainFile,
    rpc: HttpClient,
    /// The block's gas limit: no transaction may ask for more.
    max_gas: u64,
}

impl Chain {
    /// Connects and checks that the node serves the chain the file names.
    pub async fn connect(file: ChainFile) -> Result<Self> {
        let rpc = HttpClient::builder(file.rpc.parse().map_err(|e| unreachable(&file.rpc, e))?)
            .compat_mode(cosmrs::rpc::client::CompatMode::V0_38)
            .build()
            .map_err(|e| unreachable(&file.rpc, e))?;
        let mut chain = Self {
            file,
            rpc,
            max_gas: u64::MAX,
        };
        let status = chain
            .rpc
            .status()
            .await
            .map_err(|e| rpc_failure(&chain.file.rpc, e))?;
        let network = status.node_info.network.to_string();
        if network != chain.file.chain_id {
            return Err(OperatorError::WrongChain {
                expected: chain.file.chain_id.clone(),
                actual: network,
            });
        }
        let params = chain
            .rpc
            .consensus_params(status.sync_info.latest_block_height)
            .await
            .map_err(|e| rpc_failure(&chain.file.rpc, e))?;
        // -1 means no limit.
        chain.max_gas = u64::try_from(params.consensus_params.block.max_gas).unwrap_or(u64::MAX);
        Ok(chain)
    }

    /// Height and time (seconds) of the latest block.
    pub async fn latest(&self) -> Result<(u64, u64)> {
        let status = self
            .rpc
            .status()
            .await
            .map_err(|e| rpc_failure(&self.file.rpc, e))?;
        let info = status.sync_info;
        let time = info.latest_block_time.unix_timestamp().max(0) as u64;
        Ok((info.latest_block_height.value(), time))
    }

    async fn abci<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        request: Req,
    ) -> Result<Resp> {
        let response = self
            .rpc
            .abci_query(Some(path.to_string()), request.encode_to_vec(), None, false)
            .await
            .map_err(|e| rpc_failure(&self.file.rpc, e))?;
        if response.code.is_err() {
            return Err(OperatorError::Query {
                path: path.to_string(),
                code: response.code.value(),
                log: response.log,
            });
        }
        Resp::decode(response.value.as_slice()).map_err(|e| OperatorError::Query {
            path: path.to_string(),
            code: 0,
            log: format!("undecodable response: {e}"),
        })
    }

    /// A contract's smart query, decoded from JSON.
    pub async fn query<Q: Serialize, R: DeserializeOwned>(
        &self,
        contract: &str,
        query: &Q,
    ) -> Result<R> {
        let request = QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data: serde_json::to_vec(query).expect("a query serialises"),
        };
        let response: QuerySmartContractStateResponse = self
            .abci("/cosmwasm.wasm.v1.Query/SmartContractState", request)
            .await?;
        serde_json::from_slice(&response.data).map_err(|e| OperatorError::Query {
            path: format!("smart query of {contract}"),
            code: 0,
            log: format!("unexpected answer: {e}"),
        })
    }

    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let request = QueryBalanceRequest {
            address: address.to_string(),
            denom: denom.to_string(),
        };
        let response: QueryBalanceResponse = self
            .abci("/cosmos.bank.v1beta1.Query/Balance", request)
            .await?;
        Ok(response
            .balance
            .and_then(|coin| coin.amount.parse().ok())
            .unwrap_or(0))
    }

    /// x/staking's unbonding time, in seconds.
    pub async fn unbonding_time(&self) -> Result<u64> {
        let response: QueryParamsResponse = self
            .abci(
                "/cosmos.staking.v1beta1.Query/Params",
                QueryParamsRequest {},
            )
            .await?;
        let seconds = response
            .params
            .and_then(|params| params.unbonding_time)
            .map_or(0, |duration| duration.seconds.max(0) as u64);
        Ok(seconds)
    }

    /// The operator addresses of the bonded validators.
    pub async fn bonded_validators(&self) -> Result<Vec<String>> {
        let request = QueryValidatorsRequest {
            status: "BOND_STATUS_BONDED".to_string(),
            pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                limit: 500,
                ..Default::default()
            }),
        };
        let response: QueryValidatorsResponse = self
            .abci("/cosmos.staking.v1beta1.Query/Validators", request)
            .await?;
        Ok(response
            .validators
            .into_iter()
            .map(|v| v.operator_address)
            .collect())
    }

    /// Account number and sequence of `address`, for any account type (the `AccountInfo`
    /// query returns the base fields of chain-specific accounts too).
    async fn account(&self, address: &AccountId) -> Result<(u64, u64)> {
        let request = QueryAccountInfoRequest {
            address: address.to_string(),
        };
        let response: std::result::Result<QueryAccountInfoResponse, _> = self
            .abci("/cosmos.auth.v1beta1.Query/AccountInfo", request)
            .await;
        match response {
            Ok(QueryAccountInfoResponse { info: Some(info) }) => {
                Ok((info.account_number, info.sequence))
            }
            Ok(_) | Err(OperatorError::Query { .. }) => Err(OperatorError::NoAccount {
                address: address.to_string(),
            }),
            Err(err) => Err(err),
        }
    }

    /// Signs `messages`, simulates them for gas, checks the fee can be paid, broadcasts and
    /// waits for inclusion. A refusal at any stage carries the chain's log.
    pub async fn send(&self, signer: &Signer, messages: Vec<Any>) -> Result<TxOutcome> {
        let (number, sequence) = self.account(&signer.address).await?;
        let body = Body::new(messages, "", 0u32);
        // Simulation: with a zero fee and no gas limit that matters.
        let simulated = self.sign(signer, &body, number, sequence, 0, 0)?;
        let uploading = simulated.len() > SIMULATION_LIMIT;
        let used = if uploading {
            // A query carries its data hex-encoded: a code upload this large would pass the
            // node's request limit (1 MB by default). Its gas is mostly per byte.
            (simulated.len() as u64) * UPLOAD_GAS_PER_BYTE + UPLOAD_GAS_BASE
        } else {
            #[allow(deprecated)]
            let request = SimulateRequest {
                tx: None,
                tx_bytes: simulated,
            };
            let simulation: std::result::Result<SimulateResponse, _> = self
                .abci("/cosmos.tx.v1beta1.Service/Simulate", request)
                .await;
            match simulation {
                Ok(response) => response.gas_info.map_or(0, |info| info.gas_used),
                Err(OperatorError::Query { code, log, .. }) => {
                    return Err(OperatorError::Refused {
                        code,
                        log: reason(&log),
                    })
                }
                Err(err) => return Err(err),
            }
        };
        let adjusted = if uploading {
            used
        } else {
            Uint128::from(used)
                .mul_ceil(self.file.gas_adjustment)
                .u128()
                .max(100_000) as u64
        };
        let gas = adjusted.min(self.max_gas);
        let fee = Uint128::from(gas).mul_ceil(self.file.gas_price).u128();
        let held = self
            .balance(signer.address.as_ref(), &self.file.fee_denom)
            .await?;
        if held < fee {
            return Err(OperatorError::InsufficientFunds {
                address: signer.address.to_string(),
                denom: self.file.fee_denom.clone(),
                held,
                needed: fee,
            });
        }
        let bytes = self.sign(signer, &body, number, sequence, gas, fee)?;
        self.broadcast(bytes).await
    }

    fn sign(
        &self,
        signer: &Signer,
        body: &Body,
        number: u64,
        sequence: u64,
        gas: u64,
        fee: u128,
    ) -> Result<Vec<u8>> {
        let invalid = |e: cosmrs::ErrorReport| OperatorError::Invalid(e.to_string());
        let denom = Denom::from_str(&self.file.fee_denom).map_err(invalid)?;
        let fee = Fee::from_amount_and_gas(Coin { denom, amount: fee }, gas);
        let auth_info =
            SignerInfo::single_direct(Some(signer.key.public_key()), sequence).auth_info(fee);
        let chain_id = self
            .file
            .chain_id
            .parse()
            .map_err(|e: cosmrs::tendermint::Error| OperatorError::Invalid(e.to_string()))?;
        let doc = SignDoc::new(body, &auth_info, &chain_id, number).map_err(invalid)?;
        doc.sign(&signer.key)
            .and_then(|raw| raw.to_bytes())
            .map_err(invalid)
    }

    async fn broadcast(&self, bytes: Vec<u8>) -> Result<TxOutcome> {
        let sent = self
            .rpc
            .broadcast_tx_sync(bytes)
            .await
            .map_err(|e| rpc_failure(&self.file.rpc, e))?;
        if sent.code.is_err() {
            return Err(OperatorError::Refused {
                code: sent.code.value(),
                log: sent.log,
            });
        }
        let started = std::time::Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(400)).await;
            if let Ok(found) = self.rpc.tx(sent.hash, false).await {
                let result = found.tx_result;
                if result.code.is_err() {
                    return Err(OperatorError::Refused {
                        code: result.code.value(),
                        log: reason(&result.log),
                    });
                }
                let events = result
                    .events
                    .iter()
                    .flat_map(|event| {
                        event.attributes.iter().map(|attr| {
                            (
                                event.kind.clone(),
                                attr.key_str().unwrap_or_default().to_string(),
                                attr.value_str().unwrap_or_default().to_string(),
                            )
                        })
                    })
                    .collect();
                return Ok(TxOutcome {
                    hash: sent.hash.to_string(),
                    height: found.height.value(),
                    gas_used: result.gas_used,
                    gas_wanted: result.gas_wanted,
                    events,
                });
            }
            if started.elapsed() > INCLUSION_TIMEOUT {
                return Err(OperatorError::Timeout {
                    hash: sent.hash.to_string(),
                    seconds: INCLUSION_TIMEOUT.as_secs(),
                });
            }
        }
    }
}

/// The part of a refusal's log that says why: a contract's own error message sits between
/// `message index: N: ` and `: execute wasm contract failed`; other logs are kept whole.
pub fn reason(log: &str) -> String {
    const START: &str = "message index: ";
    const END: &str = ": execute wasm contract failed";
    if let Some(start) = log.find(START) {
        let rest = &log[start + START.len()..];
        let rest = rest.split_once(": ").map_or(rest, |(_, after)| after);
        if let Some(end) = rest.find(END) {
            return rest[..end].to_string();
        }
    }
    log.to_string()
}

fn unreachable(rpc: &str, err: impl std::fmt::Display) -> OperatorError {
    OperatorError::Unreachable {
        rpc: rpc.to_string(),
        reason: err.to_string(),
    }
}

/// An RPC failure: the node answering with an error (a transaction it refused on admission,
/// say) is a refusal with the node's message; anything else means the node is not there.
fn rpc_failure(rpc: &str, err: cosmrs::rpc::Error) -> OperatorError {
    match err.detail() {
        cosmrs::rpc::error::ErrorDetail::Response(response) => OperatorError::Refused {
            code: 0,
            log: response.source.to_string(),
        },
        detail => unreachable(rpc, detail),
    }
}

/// A coin of the chain, for message funds.
pub fn coin(amount: u128, denom: &str) -> Result<Coin> {
    let denom = Denom::from_str(denom).map_err(|e| OperatorError::Invalid(e.to_string()))?;
    Ok(Coin { denom, amount })
}

/// Parses a bech32 address, with the field it was given for in the error.
pub fn account_id(address: &str, what: &str) -> Result<AccountId> {
    AccountId::from_str(address)
        .map_err(|e| OperatorError::Invalid(format!("{what} {address:?} is not an address: {e}")))
}

/// `gas_price` times `gas`, rounded up: the fee of a transaction.
pub fn fee_for(gas: u64, gas_price: Decimal) -> u128 {
    Uint128::from(gas).mul_ceil(gas_price).u128()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_error_is_cut_out_of_the_chain_log() {
        let log = "rpc error: code = Unknown desc = failed to execute message; message index: 0: \
                   No funds sent: execute wasm contract failed [keeper.go:457] With gas wanted";
        assert_eq!(reason(log), "No funds sent");
        assert_eq!(reason("out of gas"), "out of gas");
    }

    #[test]
    fn the_signer_is_the_key_the_chain_derives_for_coin_type_60() {
        // The 24-word all-"abandon" test phrase (the key derivation takes 24-word phrases,
        // as the chain's `keys add` makes them).
        let phrase = ["abandon"; 23].join(" ") + " art";
        let phrase = phrase.as_str();
        let a = Signer::from_mnemonic(phrase, "inj", 60).unwrap();
        let b = Signer::from_mnemonic(phrase, "inj", 118).unwrap();
        assert!(a.address.to_string().starts_with("inj1"));
        assert_ne!(a.address, b.address);
        assert!(matches!(
            Signer::from_mnemonic("not a phrase", "inj", 60),
            Err(OperatorError::BadMnemonic { .. })
        ));
    }
}

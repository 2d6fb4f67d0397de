//! The host around the CosmWasm VM: it stores code the way a chain stores it (validated and
//! compiled by cosmwasm-vm's cache), runs every call in a fresh instance of the compiled wasm,
//! routes the messages a contract emits (to other contracts, to the modelled bank, staking and
//! distribution modules), feeds replies back, undoes a failed transaction, and records the
//! gas of every call into every contract.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use cosmwasm_std::{
    from_json, to_json_vec, Addr, BlockInfo, Checksum, Coin, ContractInfo, ContractResult, Env,
    Event, TransactionInfo,
};
use cosmwasm_vm::testing::MockApi;
use cosmwasm_vm::{
    call_query, capabilities_from_csv, Backend, Cache, CacheOptions, Instance, InstanceOptions,
    Size, VmResult,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::address;
use crate::chain::ChainState;
pub use crate::outcome::{CallGas, Outcome, TxError};
use crate::querier::ChainQuerier;
use crate::router::message_name;
use crate::storage::ContractStorage;

/// Gas available to one call: far above anything measured, so no call runs out.
pub const GAS_LIMIT: u64 = 10_000_000_000_000;
/// What a current wasmd chain offers contracts.
pub const CAPABILITIES: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,\
                                cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2";
/// Memory one instance may use, as on a chain.
const INSTANCE_MEMORY_MIB: u64 = 32;
const MODULE_CACHE_MIB: u64 = 256;

type VmInstance = Instance<MockApi, ContractStorage, ChainQuerier>;

pub(crate) struct Contract {
    pub(crate) code_id: u64,
    pub(crate) label: String,
    pub(crate) storage: ContractStorage,
}

/// Everything a rollback restores.
pub(crate) struct Checkpoint {
    chain: ChainState,
    journals: Vec<(String, usize)>,
    created: usize,
}

pub struct Vm {
    cache: Cache<MockApi, ContractStorage, ChainQuerier>,
    cache_dir: PathBuf,
    api: MockApi,
    pub(crate) chain: Arc<Mutex<ChainState>>,
    /// Checksums by code id - 1.
    pub(crate) codes: Vec<Checksum>,
    pub(crate) contracts: BTreeMap<String, Contract>,
    /// Contract addresses in creation order, so that a rollback removes the newest.
    pub(crate) created: Vec<String>,
    last_calls: Vec<CallGas>,
}

static NEXT_CACHE_DIR: AtomicU64 = AtomicU64::new(0);

impl Vm {
    pub fn new(chain: ChainState) -> Self {
        let cache_dir = std::env::temp_dir().join(format!(
            "flowstake-vm-{}-{}",
            std::process::id(),
            NEXT_CACHE_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        let options = CacheOptions::new(
            &cache_dir,
            capabilities_from_csv(CAPABILITIES),
            Size::mebi(MODULE_CACHE_MIB as usize),
            Size::mebi(INSTANCE_MEMORY_MIB as usize),
        );
        // SAFETY: the cache directory is fresh and private to this process, so no compiled
        // module found there can come from anywhere but this cache.
        let cache = unsafe { Cache::new(options) }.expect("the VM cache opens");
        Vm {
            cache,
            cache_dir,
            api: MockApi::default().with_prefix(address::PREFIX),
            chain: Arc::new(Mutex::new(chain)),
            codes: vec![],
            contracts: BTreeMap::new(),
            created: vec![],
            last_calls: vec![],
        }
    }

    /// The account address of `name`: 20 bytes in bech32 with the chain's prefix.
    pub fn addr(&self, name: &str) -> String {
        address::account(name)
    }

    /// The address the next contract instantiated from `code_id` receives.
    pub fn next_contract_address(&self, code_id: u64) -> String {
        address::contract(code_id, self.created.len() as u64 + 1)
    }

    /// The modelled chain, to set it up or inspect it between transactions.
    pub fn chain(&self) -> MutexGuard<'_, ChainState> {
        self.chain.lock().expect("chain lock")
    }

    pub fn advance(&mut self, seconds: u64) {
        self.chain().advance(seconds);
    }

    /// Stores wasm code as a chain does: the VM checks it (imports, exports, instructions,
    /// required capabilities) and compiles it. Code the VM rejects is an error here.
    pub fn store_code(&mut self, wasm: &[u8]) -> Result<u64, String> {
        let checksum = self
            .cache
            .store_code(wasm, true, true)
            .map_err(|err| err.to_string())?;
        self.codes.push(checksum);
        Ok(self.codes.len() as u64)
    }

    /// Names a contract in the gas records.
    pub fn set_label(&mut self, contract: &str, label: &str) {
        if let Some(state) = self.contracts.get_mut(contract) {
            state.label = label.to_string();
        }
    }

    pub fn label(&self, contract: &str) -> Option<&str> {
        self.contracts.get(contract).map(|c| c.label.as_str())
    }

    /// Number of keys in a contract's storage.
    pub fn storage_len(&self, contract: &str) -> usize {
        self.contracts.get(contract).map_or(0, |c| c.storage.len())
    }

    pub fn instantiate(
        &mut self,
        sender: &str,
        code_id: u64,
        msg: &impl Serialize,
        funds: &[Coin],
        label: &str,
    ) -> Result<(String, Outcome), TxError> {
        let msg = to_json_vec(msg).expect("message serializes");
        let mut address = String::new();
        let outcome = self.transact(|vm, calls| {
            let (created, produced) =
                vm.run_instantiate(sender, code_id, &msg, funds, label, calls)?;
            address = created;
            Ok(produced.events)
        })?;
        Ok((address, outcome))
    }

    pub fn execute(
        &mut self,
        sender: &str,
        contract: &str,
        msg: &impl Serialize,
        funds: &[Coin],
    ) -> Result<Outcome, TxError> {
        let msg = to_json_vec(msg).expect("message serializes");
        self.transact(|vm, calls| {
            let produced = vm.run_execute(sender, contract, &msg, funds, calls)?;
            Ok(produced.events)
        })
    }

    pub fn query<T: DeserializeOwned>(
        &mut self,
        contract: &str,
        msg: &impl Serialize,
    ) -> Result<T, TxError> {
        self.query_gas(contract, msg).map(|(answer, _)| answer)
    }

    /// A smart query, with the gas record of its call.
    pub fn query_gas<T: DeserializeOwned>(
        &mut self,
        contract: &str,
        msg: &impl Serialize,
    ) -> Result<(T, CallGas), TxError> {
        let msg = to_json_vec(msg).expect("message serializes");
        let entry = format!("query:{}", message_name(&msg));
        let mut calls = vec![];
        let binary = self.call(contract, entry.clone(), &mut calls, |instance, env| {
            call_query(instance, env, &msg)
        })?;
        let answer = from_json(&binary).map_err(|err| TxError::Vm {
            contract: contract.to_string(),
            entry,
            error: format!("the answer does not decode: {err}"),
        })?;
        Ok((answer, calls.remove(0)))
    }

    /// The calls of the last transaction, failed or not.
    pub fn last_calls(&self) -> &[CallGas] {
        &self.last_calls
    }

    fn transact(
        &mut self,
        run: impl FnOnce(&mut Self, &mut Vec<CallGas>) -> Result<Vec<Event>, TxError>,
    ) -> Result<Outcome, TxError> {
        let checkpoint = self.checkpoint();
        let mut calls = vec![];
        let result = run(self, &mut calls);
        self.last_calls = calls.clone();
        match result {
            Ok(events) => {
                for contract in self.contracts.values_mut() {
                    contract.storage.commit();
                }
                Ok(Outcome { calls, events })
            }
            Err(error) => {
                self.rollback(checkpoint);
                Err(error)
            }
        }
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            chain: self.chain().clone(),
            journals: self
                .contracts
                .iter()
                .map(|(address, c)| (address.clone(), c.storage.checkpoint()))
                .collect(),
            created: self.created.len(),
        }
    }

    pub(crate) fn rollback(&mut self, checkpoint: Checkpoint) {
        *self.chain() = checkpoint.chain;
        for address in self.created.drain(checkpoint.created..) {
            self.contracts.remove(&address);
        }
        for (address, mark) in checkpoint.journals {
            if let Some(contract) = self.contracts.get_mut(&address) {
                contract.storage.rollback(mark);
            }
        }
    }

    fn env(&self, contract: &str) -> Env {
        Env {
            block: BlockInfo::clone(&self.chain().block),
            transaction: Some(TransactionInfo { index: 0 }),
            contract: ContractInfo {
                address: Addr::unchecked(contract),
            },
        }
    }

    /// One call into a contract, in a fresh instance of its code, with its gas recorded.
    pub(crate) fn call<R>(
        &mut self,
        contract: &str,
        entry: String,
        calls: &mut Vec<CallGas>,
        run: impl FnOnce(&mut VmInstance, &Env) -> VmResult<ContractResult<R>>,
    ) -> Result<R, TxError> {
        let env = self.env(contract);
        let Some(state) = self.contracts.get_mut(contract) else {
            return Err(TxError::Chain {
                sender: String::new(),
                error: format!("no contract at {contract}"),
            });
        };
        let checksum = self.codes[state.code_id as usize - 1];
        let label = state.label.clone();
        let backend = Backend {
            api: self.api,
            storage: std::mem::take(&mut state.storage),
            querier: ChainQuerier::new(Arc::clone(&self.chain)),
        };
        let mut instance = self
            .cache
            .get_instance(
                &checksum,
                backend,
                InstanceOptions {
                    gas_limit: GAS_LIMIT,
                },
            )
            .unwrap_or_else(|err| panic!("stored code {checksum} does not instantiate: {err}"));
        let result = run(&mut instance, &env);
        let report = instance.create_gas_report();
        let mut backend = instance
            .recycle()
            .expect("the instance returns its backend");
        let query_gas = backend.querier.charged();
        backend.storage.end_call();
        self.contracts
            .get_mut(contract)
            .expect("looked up above")
            .storage = backend.storage;
        calls.push(CallGas {
            contract: contract.to_string(),
            label,
            entry: entry.clone(),
            gas: report.limit - report.remaining,
            host_gas: report.used_externally,
            query_gas,
        });
        match result {
            Ok(ContractResult::Ok(value)) => Ok(value),
            Ok(ContractResult::Err(error)) => Err(TxError::Contract {
                contract: contract.to_string(),
                entry,
                error,
            }),
            Err(error) => Err(TxError::Vm {
                contract: contract.to_string(),
                entry,
                error: error.to_string(),
            }),
        }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.cache_dir);
    }
}

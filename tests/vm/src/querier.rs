//! The querier a contract sees: bank and staking queries answered from the modelled chain, in
//! the JSON the chain's querier returns.
//!
//! A query is charged as cosmwasm-vm's testing querier charges it: a flat 100,000 plus 100 per
//! byte of the serialized answer, so an `AllDelegations` answer grows with the validator set
//! exactly as it would in any measurement on that backend.

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use cosmwasm_std::{
    from_json, to_json_binary, to_json_vec, BankQuery, Binary, ContractResult, Decimal, Empty,
    QueryRequest, StakingQuery, SystemError, SystemResult,
};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Querier};
use serde_json::{json, Value};

use crate::chain::ChainState;

/// Charged for every query.
pub const GAS_QUERY_FLAT: u64 = 100_000;
/// Charged per byte of the serialized answer.
pub const GAS_QUERY_PER_BYTE: u64 = 100;

pub struct ChainQuerier {
    chain: Arc<Mutex<ChainState>>,
    /// Gas charged for queries so far.
    charged: Cell<u64>,
}

impl ChainQuerier {
    pub fn new(chain: Arc<Mutex<ChainState>>) -> Self {
        ChainQuerier {
            chain,
            charged: Cell::new(0),
        }
    }

    /// Gas charged for the queries answered so far.
    pub fn charged(&self) -> u64 {
        self.charged.get()
    }
}

impl Querier for ChainQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let answer = match from_json::<QueryRequest<Empty>>(request) {
            Ok(request) => answer(&self.chain.lock().expect("chain lock"), &request),
            Err(error) => SystemResult::Err(SystemError::InvalidRequest {
                error: format!("parsing query request: {error}"),
                request: Binary::from(request),
            }),
        };
        let answer_len = to_json_vec(&answer).map_or(0, |bytes| bytes.len()) as u64;
        let gas = GasInfo::with_externally_used(GAS_QUERY_FLAT + GAS_QUERY_PER_BYTE * answer_len);
        self.charged.set(self.charged.get() + gas.externally_used);
        if gas.externally_used > gas_limit {
            return (Err(BackendError::out_of_gas()), gas);
        }
        (Ok(answer), gas)
    }
}

/// Answers a bank or staking query from the chain state.
pub fn answer(
    chain: &ChainState,
    request: &QueryRequest<Empty>,
) -> SystemResult<ContractResult<Binary>> {
    let denom = &chain.denom;
    let value = match request {
        QueryRequest::Bank(BankQuery::Balance { address, denom }) => json!({
            "amount": coin_json(chain.balance(address, denom), denom)
        }),
        #[allow(deprecated)]
        QueryRequest::Bank(BankQuery::AllBalances { address }) => {
            let coins: Vec<Value> = chain
                .balances_of(address)
                .iter()
                .map(|(denom, amount)| coin_json(*amount, denom))
                .collect();
            json!({ "amount": coins })
        }
        QueryRequest::Staking(StakingQuery::BondedDenom {}) => json!({ "denom": denom }),
        QueryRequest::Staking(StakingQuery::AllDelegations { delegator }) => {
            let delegations: Vec<Value> = chain
                .delegations_of(delegator)
                .into_iter()
                .map(|(validator, amount)| {
                    json!({
                        "delegator": delegator,
                        "validator": validator,
                        "amount": coin_json(amount, denom),
                    })
                })
                .collect();
            json!({ "delegations": delegations })
        }
        QueryRequest::Staking(StakingQuery::Delegation {
            delegator,
            validator,
        }) => {
            let delegation = chain
                .stake(delegator, validator)
                .filter(|stake| stake.amount > 0)
                .map(|stake| {
                    let can_redelegate = chain.can_redelegate(delegator, validator);
                    json!({
                        "delegator": delegator,
                        "validator": validator,
                        "amount": coin_json(stake.amount, denom),
                        "can_redelegate": coin_json(can_redelegate, denom),
                        "accumulated_rewards": [coin_json(stake.rewards, denom)],
                    })
                });
            json!({ "delegation": delegation })
        }
        QueryRequest::Staking(StakingQuery::AllValidators {}) => {
            let validators: Vec<Value> = chain
                .validators()
                .iter()
                .map(|(address, commission)| validator_json(address, *commission))
                .collect();
            json!({ "validators": validators })
        }
        QueryRequest::Staking(StakingQuery::Validator { address }) => {
            let validator = chain
                .validator_commission(address)
                .map(|commission| validator_json(address, commission));
            json!({ "validator": validator })
        }
        other => {
            return SystemResult::Err(SystemError::UnsupportedRequest {
                kind: format!("{other:?}"),
            })
        }
    };
    SystemResult::Ok(ContractResult::Ok(
        to_json_binary(&value).expect("JSON values serialize"),
    ))
}

fn coin_json(amount: u128, denom: &str) -> Value {
    json!({ "denom": denom, "amount": amount.to_string() })
}

fn validator_json(address: &str, commission: Decimal) -> Value {
    json!({
        "address": address,
        "commission": commission.to_string(),
        "max_commission": Decimal::percent(20).to_string(),
        "max_change_rate": Decimal::percent(1).to_string(),
    })
}

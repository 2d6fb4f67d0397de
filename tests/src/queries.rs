//! The hub's queries and the accounts' balances, as `Suite` methods. Paginated queries are
//! walked to the end.

use cosmwasm_std::{Addr, Uint128};
use cw20::{AllAccountsResponse, BalanceResponse, Cw20QueryMsg, TokenInfoResponse};
use cw_ownable::Ownership;
use flowstake::hub::{
    BatchResponse, ConfigResponse, InstantUnbondPreview, Operation, PausedResponse,
    PendingBatchResponse, PositionResponse, QueryMsg, RatePoint, RedemptionRateResponse,
    StateResponse, UnbondRequestResponse, ValidatorResponse, YieldResponse,
};
use serde::de::DeserializeOwned;

use crate::accounts::DENOM;
use crate::suite::Suite;

/// Page size the harness asks for when it walks a paginated query.
const PAGE: u32 = 10;

impl Suite {
    // ---------------------------------------------------------------- hub queries

    pub fn query_hub<T: DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.hub, msg)
            .unwrap_or_else(|err| panic!("hub query {msg:?} failed: {err}"))
    }

    pub fn config(&self) -> ConfigResponse {
        self.query_hub(&QueryMsg::Config {})
    }

    pub fn state(&self) -> StateResponse {
        self.query_hub(&QueryMsg::State {})
    }

    pub fn redemption_rate(&self) -> RedemptionRateResponse {
        self.query_hub(&QueryMsg::RedemptionRate {})
    }

    pub fn preview_bond(&self, native: u128) -> u128 {
        let shares: Uint128 = self.query_hub(&QueryMsg::PreviewBond {
            native: Uint128::new(native),
        });
        shares.u128()
    }

    pub fn preview_unbond(&self, shares: u128) -> u128 {
        let native: Uint128 = self.query_hub(&QueryMsg::PreviewUnbond {
            shares: Uint128::new(shares),
        });
        native.u128()
    }

    pub fn preview_instant_unbond(&self, shares: u128) -> InstantUnbondPreview {
        self.query_hub(&QueryMsg::PreviewInstantUnbond {
            shares: Uint128::new(shares),
        })
    }

    pub fn position(&self, user: &str) -> PositionResponse {
        self.query_hub(&QueryMsg::Position {
            address: self.addr(user).into_string(),
        })
    }

    /// The whole rate history, walked page by page.
    pub fn rate_history(&self) -> Vec<RatePoint> {
        let mut points: Vec<RatePoint> = vec![];
        loop {
            let page: Vec<RatePoint> = self.query_hub(&QueryMsg::RateHistory {
                start_after: points.last().map(|p| p.time),
                limit: Some(PAGE),
            });
            if page.is_empty() {
                return points;
            }
            points.extend(page);
        }
    }

    pub fn apr(&self, window: Option<u64>) -> YieldResponse {
        self.query_hub(&QueryMsg::Apr { window })
    }

    pub fn apy(&self, window: Option<u64>) -> YieldResponse {
        self.query_hub(&QueryMsg::Apy { window })
    }

    pub fn pending_batch(&self) -> PendingBatchResponse {
        self.query_hub(&QueryMsg::PendingBatch {})
    }

    pub fn batch(&self, id: u64) -> BatchResponse {
        self.query_hub(&QueryMsg::Batch { id })
    }

    /// Every batch the hub reports, walking all pages.
    pub fn batches(&self) -> Vec<BatchResponse> {
        let mut all: Vec<BatchResponse> = vec![];
        loop {
            let page: Vec<BatchResponse> = self.query_hub(&QueryMsg::Batches {
                start_after: all.last().map(|batch| batch.id),
                limit: Some(PAGE),
            });
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    /// Every unbond request of `user`, walking all pages.
    pub fn requests(&self, user: &str) -> Vec<UnbondRequestResponse> {
        let user = self.addr(user).into_string();
        let mut all: Vec<UnbondRequestResponse> = vec![];
        loop {
            let page: Vec<UnbondRequestResponse> =
                self.query_hub(&QueryMsg::UnbondRequestsByUser {
                    user: user.clone(),
                    start_after: all.last().map(|request| request.batch_id),
                    limit: Some(PAGE),
                });
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    /// The validator set, walking all pages.
    pub fn validators(&self) -> Vec<ValidatorResponse> {
        let mut all: Vec<ValidatorResponse> = vec![];
        loop {
            let page: Vec<ValidatorResponse> = self.query_hub(&QueryMsg::Validators {
                start_after: all.last().map(|validator| validator.address.clone()),
                limit: Some(PAGE),
            });
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    /// The ledger's record for the validator at `index`, if it is in the set.
    pub fn ledger_delegation(&self, index: usize) -> Option<u128> {
        let address = self.validator(index);
        self.validators()
            .into_iter()
            .find(|validator| validator.address == address)
            .map(|validator| validator.delegated.u128())
    }

    pub fn paused(&self) -> Vec<Operation> {
        let paused: PausedResponse = self.query_hub(&QueryMsg::Paused {});
        paused.operations
    }

    pub fn ownership(&self) -> Ownership<Addr> {
        self.query_hub(&QueryMsg::Ownership {})
    }

    // ---------------------------------------------------------------- balances

    pub fn native_balance(&self, user: &str) -> u128 {
        self.native_balance_of(&self.addr(user))
    }

    pub fn native_balance_of(&self, address: &Addr) -> u128 {
        self.app
            .wrap()
            .query_balance(address, DENOM)
            .unwrap()
            .amount
            .u128()
    }

    /// Derivative balance of a named account.
    pub fn shares(&self, user: &str) -> u128 {
        self.shares_of(&self.addr(user))
    }

    pub fn shares_of(&self, address: &Addr) -> u128 {
        self.cw20_balance(&self.token, address)
    }

    pub fn cw20_balance(&self, token: &Addr, address: &Addr) -> u128 {
        let balance: BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                token,
                &Cw20QueryMsg::Balance {
                    address: address.to_string(),
                },
            )
            .unwrap();
        balance.balance.u128()
    }

    pub fn token_supply(&self) -> u128 {
        let info: TokenInfoResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.token, &Cw20QueryMsg::TokenInfo {})
            .unwrap();
        info.total_supply.u128()
    }

    /// Every account holding derivative (the hub included), walking all pages.
    pub fn token_holders(&self) -> Vec<Addr> {
        let mut all: Vec<String> = vec![];
        loop {
            let page: AllAccountsResponse = self
                .app
                .wrap()
                .query_wasm_smart(
                    &self.token,
                    &Cw20QueryMsg::AllAccounts {
                        start_after: all.last().cloned(),
                        limit: Some(PAGE),
                    },
                )
                .unwrap();
            if page.accounts.is_empty() {
                return all.into_iter().map(Addr::unchecked).collect();
            }
            all.extend(page.accounts);
        }
    }
}

//! The hub and its token as the simulation calls them: one method per user action, crank and
//! governance call, and the aggregate queries the checks read. Every response is searched for
//! the reward withdrawals the chain made on the hub's delegations.

use cosmwasm_std::{coins, to_json_binary, Addr, Uint128};
use cw20::{BalanceResponse, Cw20ExecuteMsg, Cw20QueryMsg, TokenInfoResponse};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{AppResponse, Executor};
use flowstake::hub::{
    BatchResponse, ExecuteMsg, InstantUnbondPreview, PendingBatchResponse, QueryMsg, ReceiveMsg,
    StateResponse, ValidatorResponse,
};
use flowstake_tests::suite::submission_continues;
use serde::de::DeserializeOwned;

use crate::chain::Chain;
use crate::config::DENOM;

/// Page size used to walk the hub's paginated queries (its maximum).
const PAGE: u32 = 100;
/// Batches reconciled per call (the hub's maximum).
pub const RECONCILE_LIMIT: u32 = 30;
/// Requests paid per withdrawal (the hub's maximum).
pub const WITHDRAW_LIMIT: u32 = 100;

impl Chain {
    fn execute_hub(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        native: u128,
    ) -> AnyResult<AppResponse> {
        let funds = if native == 0 {
            vec![]
        } else {
            coins(native, DENOM)
        };
        let hub = self.hub.clone();
        let response = self
            .app
            .execute_contract(sender.clone(), hub, msg, &funds)?;
        self.note_payments(&response);
        Ok(response)
    }

    pub fn bond(&mut self, user: &Addr, native: u128) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::Bond {
            receiver: None,
            min_shares: None,
            forward: None,
        };
        self.execute_hub(user, &msg, native)
    }

    /// Queues `shares` for unbonding through the token's `Send` hook.
    pub fn queue_unbond(&mut self, user: &Addr, shares: u128) -> AnyResult<AppResponse> {
        let msg = Cw20ExecuteMsg::Send {
            contract: self.hub.to_string(),
            amount: Uint128::new(shares),
            msg: to_json_binary(&ReceiveMsg::QueueUnbond { receiver: None })?,
        };
        let token = self.token.clone();
        // A request after the epoch ended submits the batch, which undelegates.
        let response = self.app.execute_contract(user.clone(), token, &msg, &[])?;
        self.note_payments(&response);
        self.finish_submission(response)
    }

    /// A batch spread over more validators than one call undelegates from is submitted over
    /// several calls: the keeper makes the rest at once. The response holds all their events.
    fn finish_submission(&mut self, mut response: AppResponse) -> AnyResult<AppResponse> {
        let keeper = self.keeper.clone();
        let mut last = response.clone();
        while submission_continues(&last) {
            last = self.execute_hub(&keeper, &ExecuteMsg::SubmitBatch {}, 0)?;
            response.events.extend(last.events.iter().cloned());
        }
        Ok(response)
    }

    /// Exits at once from the liquidity buffer through the token's `Send` hook, accepting no
    /// less than `min_native`.
    pub fn instant_unbond(
        &mut self,
        user: &Addr,
        shares: u128,
        min_native: Option<u128>,
    ) -> AnyResult<AppResponse> {
        let msg = Cw20ExecuteMsg::Send {
            contract: self.hub.to_string(),
            amount: Uint128::new(shares),
            msg: to_json_binary(&ReceiveMsg::InstantUnbond {
                receiver: None,
                min_native: min_native.map(Uint128::new),
            })?,
        };
        let token = self.token.clone();
        let response = self.app.execute_contract(user.clone(), token, &msg, &[])?;
        self.note_payments(&response);
        Ok(response)
    }

    pub fn cancel_unbond(&mut self, user: &Addr) -> AnyResult<AppResponse> {
        self.execute_hub(user, &ExecuteMsg::CancelUnbond {}, 0)
    }

    pub fn withdraw_unbonded(&mut self, user: &Addr) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::WithdrawUnbonded {
            receiver: None,
            limit: Some(WITHDRAW_LIMIT),
        };
        self.execute_hub(user, &msg, 0)
    }

    pub fn harvest(&mut self) -> AnyResult<AppResponse> {
        let keeper = self.keeper.clone();
        self.execute_hub(&keeper, &ExecuteMsg::Harvest {}, 0)
    }

    pub fn submit_batch(&mut self) -> AnyResult<AppResponse> {
        let keeper = self.keeper.clone();
        let response = self.execute_hub(&keeper, &ExecuteMsg::SubmitBatch {}, 0)?;
        self.finish_submission(response)
    }

    pub fn reconcile(&mut self) -> AnyResult<AppResponse> {
        let keeper = self.keeper.clone();
        let msg = ExecuteMsg::Reconcile {
            limit: Some(RECONCILE_LIMIT),
        };
        self.execute_hub(&keeper, &msg, 0)
    }

    /// Removes a validator; its stake is redelegated to the rest. Only the owner may.
    pub fn remove_validator(&mut self, sender: &Addr, validator: &str) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::RemoveValidator {
            address: validator.to_string(),
        };
        self.execute_hub(sender, &msg, 0)
    }

    /// Permissionless: compares the ledger with the chain and books any slash.
    pub fn sync(&mut self) -> AnyResult<AppResponse> {
        let keeper = self.keeper.clone();
        self.execute_hub(&keeper, &ExecuteMsg::Sync {}, 0)
    }

    // ------------------------------------------------------------------------------- queries

    fn query_hub<T: DeserializeOwned>(&self, msg: &QueryMsg) -> AnyResult<T> {
        Ok(self.app.wrap().query_wasm_smart(&self.hub, msg)?)
    }

    pub fn state(&self) -> AnyResult<StateResponse> {
        self.query_hub(&QueryMsg::State {})
    }

    pub fn pending_batch(&self) -> AnyResult<PendingBatchResponse> {
        self.query_hub(&QueryMsg::PendingBatch {})
    }

    pub fn batch(&self, id: u64) -> AnyResult<BatchResponse> {
        self.query_hub(&QueryMsg::Batch { id })
    }

    pub fn preview_bond(&self, native: u128) -> AnyResult<u128> {
        let shares: Uint128 = self.query_hub(&QueryMsg::PreviewBond {
            native: Uint128::new(native),
        })?;
        Ok(shares.u128())
    }

    pub fn preview_unbond(&self, shares: u128) -> AnyResult<u128> {
        let native: Uint128 = self.query_hub(&QueryMsg::PreviewUnbond {
            shares: Uint128::new(shares),
        })?;
        Ok(native.u128())
    }

    pub fn preview_instant_unbond(&self, shares: u128) -> AnyResult<InstantUnbondPreview> {
        self.query_hub(&QueryMsg::PreviewInstantUnbond {
            shares: Uint128::new(shares),
        })
    }

    /// Every batch, walking all pages.
    pub fn batches(&self) -> AnyResult<Vec<BatchResponse>> {
        let mut all: Vec<BatchResponse> = vec![];
        loop {
            let page: Vec<BatchResponse> = self.query_hub(&QueryMsg::Batches {
                start_after: all.last().map(|batch| batch.id),
                limit: Some(PAGE),
            })?;
            let done = page.len() < PAGE as usize;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// The validator set with the ledger's delegations, walking all pages.
    pub fn ledger(&self) -> AnyResult<Vec<ValidatorResponse>> {
        let mut all: Vec<ValidatorResponse> = vec![];
        loop {
            let page: Vec<ValidatorResponse> = self.query_hub(&QueryMsg::Validators {
                start_after: all.last().map(|validator| validator.address.clone()),
                limit: Some(PAGE),
            })?;
            let done = page.len() < PAGE as usize;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    pub fn token_supply(&self) -> AnyResult<u128> {
        let info: TokenInfoResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.token, &Cw20QueryMsg::TokenInfo {})?;
        Ok(info.total_supply.u128())
    }

    pub fn shares_of(&self, address: &Addr) -> AnyResult<u128> {
        let balance: BalanceResponse = self.app.wrap().query_wasm_smart(
            &self.token,
            &Cw20QueryMsg::Balance {
                address: address.to_string(),
            },
        )?;
        Ok(balance.balance.u128())
    }
}

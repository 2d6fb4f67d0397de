//! The public queries against the storage the observations read: what wallets, integrators
//! and keepers see must be what the hub and the token hold. Checked when a scenario starts and
//! when it ends.

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Uint128};
use cw20::{AllAccountsResponse, Cw20QueryMsg};
use flowstake::hub::{
    BatchResponse, BatchStatus, ConfigResponse, PendingBatchResponse, QueryMsg, StateResponse,
    ValidatorResponse,
};

use super::expect::rate;
use super::outcome::same;
use super::world::World;
use super::{ensure, Checked};

/// Largest page of the hub's paginated queries, and of the token's.
const HUB_PAGE: u32 = 100;
const TOKEN_PAGE: u32 = 30;

impl World {
    pub fn check_queries(&mut self) -> Checked {
        self.stats.invariant_checks += 1;
        let suite = &self.suite;
        let obs = &self.last;
        let state = &obs.state;
        let expected_state = StateResponse {
            total_native: state.total_native,
            total_shares: state.total_shares,
            dead_shares: state.dead_shares,
            exchange_rate: rate(obs.total_native(), obs.total_shares()),
            pending_rewards: Uint128::new(obs.collector_native),
            reserved_for_claims: state.reserved_for_claims,
            unlocked_surplus: state.unlocked_surplus,
            unvested_rewards: state.unvested_rewards,
            suspense: Uint128::new(obs.hub_native)
                .saturating_sub(state.reserved_for_claims)
                .saturating_sub(state.unlocked_surplus)
                .saturating_sub(state.buffer),
            buffer: state.buffer,
            buffer_incoming: state.buffer_incoming,
            buffer_goal: state
                .total_native
                .mul_floor(obs.config.liquidity.buffer_target),
            unbonding_time_observed: state.unbonding_time_observed,
            last_sync: state.last_sync,
            totals: state.totals.clone(),
            // Every operation finishes the submissions it starts.
            submission: None,
        };
        same("queries", "State", &expected_state, &suite.state())?;
        let rate_response = suite.redemption_rate();
        same(
            "queries",
            "RedemptionRate",
            &(expected_state.exchange_rate, state.last_sync),
            &(rate_response.redemption_rate, rate_response.update_time),
        )?;
        let config = &obs.config;
        let expected_config = ConfigResponse {
            guardian: config.guardian.clone(),
            denom: config.denom.clone(),
            token: suite.token.clone(),
            collector: suite.collector.clone(),
            fee_receiver: config.fee_receiver.clone(),
            fee_rate: config.fee_rate,
            min_bond: config.min_bond,
            min_unbond: config.min_unbond,
            epoch_period: config.epoch_period,
            unbonding_period: config.unbonding_period,
            max_unbond_shortfall: config.max_unbond_shortfall,
            max_reward_rate: config.max_reward_rate,
            liquidity: config.liquidity.clone(),
            rate_bounds: config.rate_bounds.clone(),
        };
        same("queries", "Config", &expected_config, &suite.config())?;
        same("queries", "Paused", &obs.paused, &suite.paused())?;
        same("queries", "Ownership", &obs.ownership, &suite.ownership())?;
        let pending = PendingBatchResponse {
            id: obs.pending.id,
            shares: obs.pending.shares,
            submit_after: obs.pending.submit_after,
        };
        same("queries", "PendingBatch", &pending, &suite.pending_batch())?;

        let batches: Vec<BatchResponse> = obs
            .batches
            .values()
            .map(|b| BatchResponse {
                id: b.id,
                status: if b.reconciled {
                    BatchStatus::Reconciled
                } else {
                    BatchStatus::Unbonding
                },
                shares: b.shares,
                native_expected: b.native_expected,
                native_received: b.native_received,
                submitted_at: b.submitted_at,
                completes_at: b.completes_at,
                shares_claimed: b.shares_claimed,
                native_claimed: b.native_claimed,
                buffer_topup: b.buffer_topup,
            })
            .collect();
        same("queries", "Batches", &batches, &suite.batches())?;

        let mut queried: Vec<ValidatorResponse> = vec![];
        loop {
            let page: Vec<ValidatorResponse> = suite.query_hub(&QueryMsg::Validators {
                start_after: queried.last().map(|v| v.address.clone()),
                limit: Some(HUB_PAGE),
            });
            if page.is_empty() {
                break;
            }
            queried.extend(page);
        }
        let ledger: Vec<ValidatorResponse> = obs
            .ledger
            .values()
            .map(|v| ValidatorResponse {
                address: v.address.clone(),
                weight: v.weight,
                paused: v.paused,
                active: !v.inactive,
                delegated: v.delegated,
            })
            .collect();
        same("queries", "Validators", &ledger, &queried)?;
        same(
            "queries",
            "token supply",
            &obs.token_supply,
            &suite.token_supply(),
        )?;
        self.check_holders()
    }

    /// Every holder's derivative is what the model expects, the balances add up to the supply,
    /// and every user's requests read through the query are those in storage.
    fn check_holders(&mut self) -> Checked {
        let mut holders: Vec<String> = vec![];
        loop {
            let page: AllAccountsResponse = self
                .suite
                .app
                .wrap()
                .query_wasm_smart(
                    &self.suite.token,
                    &Cw20QueryMsg::AllAccounts {
                        start_after: holders.last().cloned(),
                        limit: Some(TOKEN_PAGE),
                    },
                )
                .expect("token holders");
            if page.accounts.is_empty() {
                break;
            }
            holders.extend(page.accounts);
        }
        let balances: BTreeMap<String, u128> = holders
            .iter()
            .map(|holder| {
                (
                    holder.clone(),
                    self.suite.shares_of(&Addr::unchecked(holder)),
                )
            })
            .collect();
        let sum: u128 = balances.values().sum();
        ensure(sum == self.last.token_supply, "3 supply", || {
            format!(
                "balances add up to {sum}, the supply is {}",
                self.last.token_supply
            )
        })?;
        for (index, address) in self.known_users() {
            let name = format!("user{index}");
            let queried: Vec<(u64, u128)> = self
                .suite
                .requests(&name)
                .iter()
                .map(|r| (r.batch_id, r.shares.u128()))
                .collect();
            let stored = self.suite.user_view(&address).requests;
            same("queries", &format!("requests of {name}"), &stored, &queried)?;
        }
        let users: Vec<usize> = self.known_users().into_iter().map(|(i, _)| i).collect();
        self.check_users(&users)
    }
}

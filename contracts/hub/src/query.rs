//! Read-only views for wallets, integrators and keepers.

use cosmwasm_std::{to_json_binary, Binary, Deps, Env, Order, StdResult, Uint128};
use cw_storage_plus::Bound;
use flowstake::hub::{
    BatchResponse, BatchStatus, ConfigResponse, PausedResponse, PendingBatchResponse,
    PositionResponse, QueryMsg, RedemptionRateResponse, StateResponse, SubmissionStatus,
    UnbondRequestResponse, ValidatorResponse, YieldResponse, DEFAULT_YIELD_WINDOW,
    POSITION_REQUESTS,
};

use crate::error::ContractError;
use crate::execute::bond::shares_to_mint;
use crate::execute::instant;
use crate::history;
use crate::math::{claim_for_shares, exchange_rate, native_for_shares};
use crate::state::{
    validators, Batch, BATCHES, COLLECTOR, CONFIG, PAUSED, PENDING_BATCH, STATE, SUBMISSION, TOKEN,
    UNBOND_REQUESTS,
};

/// Entries per page unless the caller asks for fewer.
pub const DEFAULT_PAGE: u32 = 10;
/// Most entries per page.
pub const MAX_PAGE: u32 = 100;

fn page(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize
}

pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let binary = match msg {
        QueryMsg::Config {} => to_json_binary(&config(deps)?),
        QueryMsg::State {} => to_json_binary(&state(deps, &env)?),
        QueryMsg::RedemptionRate {} => to_json_binary(&redemption_rate(deps)?),
        QueryMsg::PreviewBond { native } => {
            to_json_binary(&shares_to_mint(&STATE.load(deps.storage)?, native)?)
        }
        QueryMsg::PreviewUnbond { shares } => {
            let state = STATE.load(deps.storage)?;
            let native = native_for_shares(shares, state.total_native, state.total_shares)?;
            to_json_binary(&native)
        }
        QueryMsg::PreviewInstantUnbond { shares } => {
            let state = STATE.load(deps.storage)?;
            let config = CONFIG.load(deps.storage)?;
            to_json_binary(&instant::preview(&state, &config, shares)?)
        }
        QueryMsg::RateHistory { start_after, limit } => {
            to_json_binary(&history::points(deps.storage, start_after, page(limit))?)
        }
        QueryMsg::Apr { window } | QueryMsg::Apy { window } => {
            to_json_binary(&annual(deps, window.unwrap_or(DEFAULT_YIELD_WINDOW))?)
        }
        QueryMsg::Position { address } => to_json_binary(&position(deps, address)?),
        QueryMsg::PendingBatch {} => {
            let pending = PENDING_BATCH.load(deps.storage)?;
            to_json_binary(&PendingBatchResponse {
                id: pending.id,
                shares: pending.shares,
                submit_after: pending.submit_after,
            })
        }
        QueryMsg::Batch { id } => to_json_binary(&batch_response(&BATCHES.load(deps.storage, id)?)),
        QueryMsg::Batches { start_after, limit } => {
            to_json_binary(&batches(deps, start_after, limit)?)
        }
        QueryMsg::UnbondRequestsByUser {
            user,
            start_after,
            limit,
        } => to_json_binary(&requests(deps, user, start_after, limit)?),
        QueryMsg::Validators { start_after, limit } => {
            to_json_binary(&validator_list(deps, start_after, limit)?)
        }
        QueryMsg::Paused {} => to_json_binary(&PausedResponse {
            operations: PAUSED.load(deps.storage)?,
        }),
        QueryMsg::Ownership {} => to_json_binary(&cw_ownable::get_ownership(deps.storage)?),
    }?;
    Ok(binary)
}

fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        guardian: config.guardian,
        denom: config.denom,
        token: TOKEN.load(deps.storage)?,
        collector: COLLECTOR.load(deps.storage)?,
        fee_receiver: config.fee_receiver,
        fee_rate: config.fee_rate,
        min_bond: config.min_bond,
        min_unbond: config.min_unbond,
        epoch_period: config.epoch_period,
        unbonding_period: config.unbonding_period,
        max_unbond_shortfall: config.max_unbond_shortfall,
        rate_bounds: config.rate_bounds,
        max_reward_rate: config.max_reward_rate,
        liquidity: config.liquidity,
    })
}

fn state(deps: Deps, env: &Env) -> StdResult<StateResponse> {
    let state = STATE.load(deps.storage)?;
    let denom = CONFIG.load(deps.storage)?.denom;
    let collector = COLLECTOR.load(deps.storage)?;
    let pending_rewards = deps.querier.query_balance(collector, &denom)?.amount;
    let balance = deps
        .querier
        .query_balance(&env.contract.address, &denom)?
        .amount;
    let suspense = balance
        .saturating_sub(state.reserved_for_claims)
        .saturating_sub(state.unlocked_surplus)
        .saturating_sub(state.buffer);
    let buffer_goal = state
        .total_native
        .mul_floor(CONFIG.load(deps.storage)?.liquidity.buffer_target);
    Ok(StateResponse {
        total_native: state.total_native,
        total_shares: state.total_shares,
        dead_shares: state.dead_shares,
        exchange_rate: exchange_rate(state.total_native, state.total_shares),
        pending_rewards,
        reserved_for_claims: state.reserved_for_claims,
        unlocked_surplus: state.unlocked_surplus,
        unvested_rewards: state.unvested_rewards,
        suspense,
        buffer: state.buffer,
        buffer_goal,
        buffer_incoming: state.buffer_incoming,
        unbonding_time_observed: state.unbonding_time_observed,
        last_sync: state.last_sync,
        submission: SUBMISSION
            .may_load(deps.storage)?
            .map(|submission| SubmissionStatus {
                batch_id: submission.batch_id,
                native_left: state.submitting,
            }),
        totals: state.totals,
    })
}

/// The rate's growth over `window`: from the history, or zero at the current rate before any
/// point exists (a hub instantiated before the history did).
fn annual(deps: Deps, window: u64) -> Result<YieldResponse, ContractError> {
    if let Some(found) = history::annual(deps.storage, window)? {
        return Ok(found);
    }
    let state = STATE.load(deps.storage)?;
    let point = flowstake::hub::RatePoint {
        time: state.last_sync,
        rate: exchange_rate(state.total_native, state.total_shares),
        backing: state.total_native,
        supply: state.total_shares,
    };
    Ok(YieldResponse {
        apr: cosmwasm_std::SignedDecimal::zero(),
        apy: cosmwasm_std::SignedDecimal::zero(),
        start: point.clone(),
        end: point,
    })
}

/// A holder's balance (one query to the token), its value, its requests (at most
/// [`POSITION_REQUESTS`]), what an instant exit of it pays now and its daily reward at the
/// 30-day rate: a bounded number of reads whatever the number of holders or validators.
fn position(deps: Deps, address: String) -> Result<PositionResponse, ContractError> {
    let holder = deps.api.addr_validate(&address)?;
    let token = TOKEN.load(deps.storage)?;
    let balance: cw20::BalanceResponse = deps.querier.query_wasm_smart(
        &token,
        &cw20::Cw20QueryMsg::Balance {
            address: holder.to_string(),
        },
    )?;
    let state = STATE.load(deps.storage)?;
    let config = CONFIG.load(deps.storage)?;
    let native_value = native_for_shares(balance.balance, state.total_native, state.total_shares)?;
    let mut listed = requests(deps, address, None, Some(POSITION_REQUESTS as u32 + 1))?;
    let more_requests = listed.len() > POSITION_REQUESTS;
    listed.truncate(POSITION_REQUESTS);
    let apr = annual(deps, DEFAULT_YIELD_WINDOW)?.apr;
    let daily_reward = if apr.is_negative() {
        Uint128::zero()
    } else {
        let apr = cosmwasm_std::Decimal::try_from(apr).unwrap_or_default();
        native_value.mul_floor(apr) / Uint128::new(365)
    };
    Ok(PositionResponse {
        address: holder.to_string(),
        shares: balance.balance,
        native_value,
        requests: listed,
        more_requests,
        instant_exit: instant::preview(&state, &config, balance.balance)?,
        apr,
        daily_reward,
    })
}

/// One storage read: cheap enough to call on every price update.
fn redemption_rate(deps: Deps) -> StdResult<RedemptionRateResponse> {
    let state = STATE.load(deps.storage)?;
    Ok(RedemptionRateResponse {
        redemption_rate: exchange_rate(state.total_native, state.total_shares),
        update_time: state.last_sync,
    })
}

fn batch_status(batch: &Batch) -> BatchStatus {
    if batch.reconciled {
        BatchStatus::Reconciled
    } else {
        BatchStatus::Unbonding
    }
}

fn batch_response(batch: &Batch) -> BatchResponse {
    BatchResponse {
        id: batch.id,
        status: batch_status(batch),
        shares: batch.shares,
        native_expected: batch.native_expected,
        native_received: batch.native_received,
        submitted_at: batch.submitted_at,
        completes_at: batch.completes_at,
        shares_claimed: batch.shares_claimed,
        native_claimed: batch.native_claimed,
        buffer_topup: batch.buffer_topup,
    }
}

fn batches(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<Vec<BatchResponse>> {
    BATCHES
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page(limit))
        .map(|item| Ok(batch_response(&item?.1)))
        .collect()
}

fn requests(
    deps: Deps,
    user: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<Vec<UnbondRequestResponse>, ContractError> {
    let user_addr = deps.api.addr_validate(&user)?;
    let pending = PENDING_BATCH.load(deps.storage)?;
    let state = STATE.load(deps.storage)?;
    let unbonding_period = state
        .unbonding_time_observed
        .unwrap_or(CONFIG.load(deps.storage)?.unbonding_period);
    UNBOND_REQUESTS
        .prefix(&user_addr)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page(limit))
        .map(|item| {
            let (batch_id, shares) = item?;
            if batch_id == pending.id {
                // Not converted yet: an estimate at the current rate.
                let native = native_for_shares(shares, state.total_native, state.total_shares)
                    .unwrap_or(Uint128::zero());
                return Ok(UnbondRequestResponse {
                    batch_id,
                    status: BatchStatus::Pending,
                    shares,
                    native,
                    expected_at: pending.submit_after + unbonding_period,
                });
            }
            let batch = BATCHES.load(deps.storage, batch_id)?;
            let native_basis = if batch.reconciled {
                batch.native_received
            } else {
                batch.native_expected
            };
            Ok(UnbondRequestResponse {
                batch_id,
                status: batch_status(&batch),
                shares,
                native: claim_for_shares(shares, native_basis, batch.shares),
                expected_at: batch.completes_at,
            })
        })
        .collect()
}

fn validator_list(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<Vec<ValidatorResponse>> {
    validators()
        .range(
            deps.storage,
            start_after.as_deref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page(limit))
        .map(|item| {
            let (_, v) = item?;
            Ok(ValidatorResponse {
                address: v.address,
                weight: v.weight,
                paused: v.paused,
                active: !v.inactive,
                delegated: v.delegated,
            })
        })
        .collect()
}

//! Reconcile matured batches against what arrived, and pay users their part.

use cosmwasm_std::{BankMsg, Coin, DepsMut, Env, Order, Response, Uint128};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::execute::unbond::PAYOUT_MARGIN;
use crate::ledger;
use crate::math::{claim_for_shares, reconcile_split, shortfall_too_large};
use crate::state::{Batch, BATCHES, CONFIG, STATE, UNBOND_REQUESTS};

/// Batches reconciled per call unless the caller asks for fewer.
pub const DEFAULT_RECONCILE_LIMIT: u32 = 10;
/// Most batches reconciled in one call.
pub const MAX_RECONCILE_LIMIT: u32 = 30;
/// Requests paid per withdrawal unless the caller asks for fewer.
pub const DEFAULT_WITHDRAW_LIMIT: u32 = 30;
/// Most requests paid in one withdrawal.
pub const MAX_WITHDRAW_LIMIT: u32 = 100;

fn bounded(limit: Option<u32>, default: u32, max: u32) -> usize {
    limit.unwrap_or(default).clamp(1, max) as usize
}

/// Books the funds of matured batches, oldest first, up to `limit` of them.
///
/// What arrived is the hub's balance less what it already owes (reserved for claims) and what
/// it already knows to be surplus. If less arrived than the batches expected, the shortfall is
/// a slash during unbonding, spread over them pro rata; beyond the configured bound it is not
/// a plausible slash and reconcile stops with an error for governance to look into. A batch
/// counts as matured only [`crate::execute::unbond::PAYOUT_MARGIN`] after the chain's
/// completion time, so its funds have arrived by then. More than expected is a stray transfer, booked as surplus for all
/// holders, but only when no other matured batch is waiting for its share of the balance.
pub fn reconcile(
    mut deps: DepsMut,
    env: Env,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let now = env.block.time.seconds();
    let limit = bounded(limit, DEFAULT_RECONCILE_LIMIT, MAX_RECONCILE_LIMIT);
    // Reconcile acts on real amounts, so the ledger is brought in line with the chain first.
    let report = ledger::sync(&mut deps, &env, &config, &mut state)?;

    let mut matured: Vec<Batch> = BATCHES
        .range(
            deps.storage,
            Some(Bound::inclusive(state.next_reconcile_id)),
            None,
            Order::Ascending,
        )
        .take(limit + 1)
        .map(|item| item.map(|(_, batch)| batch))
        .take_while(|item| {
            item.as_ref()
                .map_or(true, |batch| batch.completes_at <= now)
        })
        .collect::<Result<_, _>>()?;
    let more_waiting = matured.len() > limit;
    matured.truncate(limit);
    let Some(last) = matured.last() else {
        return Err(ContractError::NothingToReconcile {});
    };
    let next_reconcile_id = last.id + 1;

    let balance = deps
        .querier
        .query_balance(&env.contract.address, &config.denom)?
        .amount;
    let arrived = balance
        .saturating_sub(state.reserved_for_claims)
        .saturating_sub(state.unlocked_surplus);
    let expected: Vec<Uint128> = matured.iter().map(|b| b.native_expected).collect();
    let expected_now: Uint128 = expected.iter().copied().sum();
    // What every matured batch expects, including those left for a later call: the
    // shortfall is measured and shared over all of them, whatever the limit.
    let unmatured = unmatured_batches(deps.storage, now)?;
    if let Some(batch) = unmatured
        .oldest
        .filter(|b| b.completes_at - PAYOUT_MARGIN <= now)
    {
        // The chain may already have paid this batch into the balance: until it matures,
        // the balance cannot be told apart between it and the batches booked now.
        return Err(ContractError::PayoutPending {
            batch_id: batch.id,
            matures_at: batch.completes_at,
        });
    }
    let expected_total = state.totals.unbonding.checked_sub(unmatured.expected)?;
    if shortfall_too_large(expected_total, arrived, config.max_unbond_shortfall) {
        return Err(ContractError::ShortfallTooLarge {
            expected: expected_total,
            arrived,
        });
    }

    let booked = reconcile_split(arrived, expected_total, &expected);
    let booked_sum: Uint128 = booked.iter().copied().sum();
    for (batch, native_received) in matured.iter_mut().zip(&booked) {
        batch.native_received = *native_received;
        batch.reconciled = true;
        BATCHES.save(deps.storage, batch.id, batch)?;
    }
    // With batches still waiting, what these did not receive is their loss, and everything
    // else in the balance stays for the later call. Otherwise the whole balance is settled:
    // the shortfall is the loss, rounding dust and any stray transfer go to all holders.
    let (shortfall, dust, stray) = if more_waiting {
        (expected_now - booked_sum, Uint128::zero(), Uint128::zero())
    } else {
        let settled = arrived.min(expected_now);
        (
            expected_now - settled,
            settled - booked_sum,
            arrived.saturating_sub(expected_now),
        )
    };
    state.reserved_for_claims += booked_sum;
    state.unlocked_surplus += dust + stray;
    state.totals.surplus += stray;
    state.totals.slashed += shortfall;
    state.totals.unbonding = state.totals.unbonding.checked_sub(expected_now)?;
    state.next_reconcile_id = next_reconcile_id;
    STATE.save(deps.storage, &state)?;

    Ok(Response::new()
        .add_event(report.event)
        .add_attribute("action", "reconcile")
        .add_attribute("batches", matured.len().to_string())
        .add_attribute("native_expected", expected_now)
        .add_attribute("native_arrived", arrived)
        .add_attribute("shortfall", shortfall)
        .add_attribute("surplus", stray))
}

/// Pays the user's requests in reconciled batches, oldest first, up to `limit` of them. Only
/// reconciled batches are read: batches are reconciled in id order, so they are the ids below
/// the reconcile cursor and one range over the user's requests finds them.
pub fn withdraw(
    deps: DepsMut,
    user: cosmwasm_std::Addr,
    receiver: Option<String>,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let receiver_addr = match receiver {
        Some(receiver) => deps.api.addr_validate(&receiver)?,
        None => user.clone(),
    };
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let limit = bounded(limit, DEFAULT_WITHDRAW_LIMIT, MAX_WITHDRAW_LIMIT);
    let claimable: Vec<(u64, Uint128)> = UNBOND_REQUESTS
        .prefix(&user)
        .range(
            deps.storage,
            None,
            Some(Bound::exclusive(state.next_reconcile_id)),
            Order::Ascending,
        )
        .take(limit)
        .collect::<Result<_, _>>()?;
    if claimable.is_empty() {
        return Err(ContractError::NothingToWithdraw {
            user: user.to_string(),
        });
    }

    let mut native_to_pay = Uint128::zero();
    for (batch_id, shares) in &claimable {
        let mut batch = BATCHES.load(deps.storage, *batch_id)?;
        let native = claim_for_shares(*shares, batch.native_received, batch.shares);
        batch.shares_claimed += *shares;
        batch.native_claimed += native;
        if batch.shares_claimed == batch.shares {
            // Everyone is paid; the rounding dust left in the batch goes back to all holders.
            let dust = batch.native_received - batch.native_claimed;
            state.reserved_for_claims -= dust;
            state.unlocked_surplus += dust;
        }
        BATCHES.save(deps.storage, *batch_id, &batch)?;
        UNBOND_REQUESTS.remove(deps.storage, (&user, *batch_id));
        native_to_pay += native;
    }
    state.reserved_for_claims = state.reserved_for_claims.checked_sub(native_to_pay)?;
    state.totals.paid_out += native_to_pay;
    STATE.save(deps.storage, &state)?;

    let mut response = Response::new()
        .add_attribute("action", "withdraw_unbonded")
        .add_attribute("user", &user)
        .add_attribute("receiver", &receiver_addr)
        .add_attribute("requests", claimable.len().to_string())
        .add_attribute("native_paid", native_to_pay);
    if !native_to_pay.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: receiver_addr.to_string(),
            amount: vec![Coin::new(native_to_pay, config.denom)],
        });
    }
    Ok(response)
}

/// The submitted batches that have not matured yet: the newest few (configuration keeps
/// fewer than eight unbonding at once), read from the end.
struct Unmatured {
    /// What they expect in all.
    expected: Uint128,
    /// The one that matures first.
    oldest: Option<Batch>,
}

fn unmatured_batches(
    storage: &dyn cosmwasm_std::Storage,
    now: u64,
) -> Result<Unmatured, ContractError> {
    let mut unmatured = Unmatured {
        expected: Uint128::zero(),
        oldest: None,
    };
    for item in BATCHES.range(storage, None, None, Order::Descending) {
        let (_, batch) = item?;
        if batch.reconciled || batch.completes_at <= now {
            break;
        }
        unmatured.expected += batch.native_expected;
        unmatured.oldest = Some(batch);
    }
    Ok(unmatured)
}

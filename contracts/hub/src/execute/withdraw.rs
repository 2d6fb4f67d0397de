//! Reconcile matured batches against what arrived, and pay users their part.

use cosmwasm_std::{BankMsg, Coin, DepsMut, Env, Order, Response, Storage, Uint128};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::execute::unbond::MAX_OPEN_BATCHES;
use crate::ledger;
use crate::math::{charge_newest_first, claim_for_shares, shortfall_too_large, split_entry_charge};
use crate::state::{Batch, BATCHES, CONFIG, PENDING_BATCH, STATE, SUBMISSION, UNBOND_REQUESTS};

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

/// Books the funds of the batches the chain has paid out, up to `limit` of them.
///
/// What the hub learns from the chain decides, not its configuration: each batch's completion
/// time is the one the chain returned at submission, and a batch counts as paid only once a
/// block has ended at or after that time before the current one (`paid_through`, see
/// [`ledger::observe_block`]). Batches may complete in any order.
///
/// The funds that arrived are the hub's balance less what it owes (reserved for claims) and
/// what it knows to be surplus; they are attributed only when no unreconciled batch could have
/// been paid without being known as paid (completion after `paid_through` but not after now):
/// until then everything stays in suspense, and the call only records the block, so that a
/// call in a later block can settle. The paid batches then receive what they expected, and
/// what is left over is a stray transfer, booked as surplus for all holders: no other batch
/// can have been paid yet. If less arrived than they expected, the shortfall is a slash during
/// unbonding, charged newest batch first ([`charge_newest_first`]); beyond the configured
/// bound it is not a plausible slash and reconcile stops for governance to look into.
pub fn reconcile(
    mut deps: DepsMut,
    env: Env,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let now = env.block.time.seconds();
    let limit = bounded(limit, DEFAULT_RECONCILE_LIMIT, MAX_RECONCILE_LIMIT);
    // Reconcile acts on real amounts, so the ledger is brought in line with the chain first;
    // the sync also records this block.
    let report = ledger::sync(&mut deps, &env, &config, &mut state)?;

    let open: Vec<Batch> = BATCHES
        .range(
            deps.storage,
            Some(Bound::inclusive(state.next_reconcile_id)),
            None,
            Order::Ascending,
        )
        .map(|item| item.map(|(_, batch)| batch))
        .filter(|item| item.as_ref().map_or(true, |batch| !batch.reconciled))
        .collect::<Result<_, _>>()?;
    // A batch still being submitted is not whole: its first entries may be paid already, but
    // nothing is attributed until all of them are made and paid.
    let submitting = SUBMISSION.may_load(deps.storage)?.map(|s| s.batch_id);
    let (mut paid, unpaid): (Vec<Batch>, Vec<Batch>) = open.into_iter().partition(|batch| {
        batch.completes_at <= state.paid_through && Some(batch.id) != submitting
    });
    let waiting = unpaid.iter().find(|batch| batch.completes_at <= now);
    let response = Response::new()
        .add_event(report.event)
        .add_attribute("action", "reconcile");
    if let Some(batch) = waiting {
        // The chain may have paid this batch into the balance already: nothing is attributed
        // until a later block proves it paid. This call's record of the block is what lets the
        // next one settle.
        ledger::save_state(deps.storage, &state, &env)?;
        return Ok(response
            .add_attribute("batches", "0")
            .add_attribute("waiting_for", batch.id.to_string())
            .add_attribute("settle_after", batch.completes_at.to_string()));
    }
    if paid.is_empty() {
        return Err(ContractError::NothingToReconcile {});
    }

    let balance = deps
        .querier
        .query_balance(&env.contract.address, &config.denom)?
        .amount;
    let arrived = balance
        .saturating_sub(state.reserved_for_claims)
        .saturating_sub(state.unlocked_surplus)
        .saturating_sub(state.buffer);
    // What each batch's entries hold: its own native and the buffer's top-up riding with it.
    let entries = |b: &Batch| b.native_expected + b.buffer_topup;
    let expected_total: Uint128 = paid.iter().map(entries).sum();
    let shortfall_total = expected_total.saturating_sub(arrived);
    let heights: Vec<(u64, Uint128)> = paid
        .iter()
        .map(|b| (b.submitted_height, entries(b)))
        .collect();
    // A batch's charge is shared between its holders and the top-up in proportion.
    let charges: Vec<(Uint128, Uint128)> = charge_newest_first(shortfall_total, &heights)
        .into_iter()
        .zip(&paid)
        .map(|(charge, b)| split_entry_charge(charge, b.native_expected, b.buffer_topup))
        .collect();
    // The bound applies to each batch's own loss, so how many batches one call books never
    // changes whether a loss is accepted.
    for (batch, (charge, _)) in paid.iter().zip(&charges) {
        let received = batch.native_expected - *charge;
        if shortfall_too_large(batch.native_expected, received, config.max_unbond_shortfall) {
            return Err(ContractError::ShortfallTooLarge {
                expected: batch.native_expected,
                arrived: received,
            });
        }
    }
    // The oldest completions first; what is left for a later call keeps its charge, since the
    // balance falls by exactly what is booked now.
    let mut order: Vec<usize> = (0..paid.len()).collect();
    order.sort_by_key(|&i| (paid[i].completes_at, paid[i].id));
    order.truncate(limit);
    let settles_all = order.len() == paid.len();

    let mut booked = Uint128::zero();
    let mut shortfall = Uint128::zero();
    let mut expected_now = Uint128::zero();
    let mut topup_arrived = Uint128::zero();
    let mut topup_lost = Uint128::zero();
    let mut ids = vec![];
    for &index in &order {
        let batch = &mut paid[index];
        let (charge, topup_charge) = charges[index];
        batch.native_received = batch.native_expected - charge;
        batch.reconciled = true;
        BATCHES.save(deps.storage, batch.id, batch)?;
        booked += batch.native_received;
        shortfall += charge + topup_charge;
        expected_now += batch.native_expected;
        state.buffer_incoming = state.buffer_incoming.checked_sub(batch.buffer_topup)?;
        topup_arrived += batch.buffer_topup - topup_charge;
        topup_lost += topup_charge;
        ids.push(batch.id.to_string());
    }
    // The top-ups join the buffer; a slash of their entries falls on all holders.
    state.buffer += topup_arrived;
    state.total_native = state.total_native.checked_sub(topup_lost)?;
    // With every paid batch settled, the rest of the balance is a stray transfer.
    let stray = if settles_all {
        arrived.saturating_sub(expected_total)
    } else {
        Uint128::zero()
    };
    state.reserved_for_claims += booked;
    state.unlocked_surplus += stray;
    state.totals.surplus += stray;
    state.totals.slashed += shortfall;
    state.totals.unbonding = state.totals.unbonding.checked_sub(expected_now)?;
    state.next_reconcile_id = first_open(deps.storage, state.next_reconcile_id)?;
    ledger::save_state(deps.storage, &state, &env)?;

    Ok(response
        .add_attribute("batches", order.len().to_string())
        .add_attribute("batch_ids", ids.join(","))
        .add_attribute("native_expected", expected_now)
        .add_attribute("native_arrived", arrived)
        .add_attribute("shortfall", shortfall)
        .add_attribute("to_buffer", topup_arrived)
        .add_attribute("surplus", stray))
}

/// The first batch id at or after `from` that is not reconciled (the pending batch's id if
/// every submitted one is).
fn first_open(storage: &dyn Storage, from: u64) -> Result<u64, ContractError> {
    let mut next = from;
    for item in BATCHES.range(
        storage,
        Some(Bound::inclusive(from)),
        None,
        Order::Ascending,
    ) {
        let (id, batch) = item?;
        if !batch.reconciled {
            return Ok(id);
        }
        next = id + 1;
    }
    Ok(next)
}

/// Pays the user's requests in reconciled batches, oldest first, up to `limit` of them.
/// Batches may be reconciled out of order, so the user's requests up to the newest submitted
/// batch are read, and those of batches not yet reconciled (at most [`MAX_OPEN_BATCHES`]) are
/// skipped without counting against the limit.
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
    let pending_id = PENDING_BATCH.load(deps.storage)?.id;
    let mut claimable: Vec<(Batch, Uint128)> = vec![];
    for item in UNBOND_REQUESTS
        .prefix(&user)
        .range(
            deps.storage,
            None,
            Some(Bound::exclusive(pending_id)),
            Order::Ascending,
        )
        .take(limit + MAX_OPEN_BATCHES as usize)
    {
        let (batch_id, shares) = item?;
        let batch = BATCHES.load(deps.storage, batch_id)?;
        if batch.reconciled {
            claimable.push((batch, shares));
            if claimable.len() == limit {
                break;
            }
        }
    }
    if claimable.is_empty() {
        return Err(ContractError::NothingToWithdraw {
            user: user.to_string(),
        });
    }

    let mut native_to_pay = Uint128::zero();
    for (batch, shares) in claimable.iter_mut() {
        let batch_id = &batch.id;
        let native = claim_for_shares(*shares, batch.native_received, batch.shares);
        batch.shares_claimed += *shares;
        batch.native_claimed += native;
        if batch.shares_claimed == batch.shares {
            // Everyone is paid; the rounding dust left in the batch goes back to all holders.
            let dust = batch.native_received - batch.native_claimed;
            state.reserved_for_claims -= dust;
            state.unlocked_surplus += dust;
        }
        BATCHES.save(deps.storage, *batch_id, batch)?;
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

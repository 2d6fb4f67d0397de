//! The unbond queue: requests join the pending batch, which is submitted once per epoch.

use cosmwasm_std::{
    from_json, to_json_binary, Addr, Coin, DepsMut, Env, Order, Reply, Response, StakingMsg,
    Storage, SubMsg, Uint128, WasmMsg,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use cw_storage_plus::Bound;
use flowstake::chain::{MsgUndelegateResponse, MSG_UNDELEGATE_RESPONSE_TYPE_URL};
use flowstake::hub::ReceiveMsg;
use prost::Message;

use crate::error::ContractError;
use crate::execute::setup::ReplyId;
use crate::ledger;
use crate::math::{native_for_shares, split_pro_rata};
use crate::state::{
    validators, Batch, Config, PendingBatch, State, Submission, Validator, BATCHES, CONFIG,
    PENDING_BATCH, STATE, SUBMISSION, TOKEN, UNBOND_REQUESTS,
};
use cosmwasm_schema::cw_serde;
use flowstake::MAX_SUBMIT_UNDELEGATIONS;

/// x/staking's limit of unbonding entries per delegator and validator (`MaxEntries`, 7 by
/// default). Each batch adds at most one entry per validator.
pub const MAX_UNBONDING_ENTRIES: u64 = 7;
/// Most submitted batches from the oldest one not yet reconciled to the newest. Bounds every
/// loop of reconcile and withdraw over batches; reconcile (permissionless) frees room.
pub const MAX_OPEN_BATCHES: u64 = 2 * MAX_UNBONDING_ENTRIES;

pub fn token_msg(token: &Addr, msg: &Cw20ExecuteMsg) -> Result<WasmMsg, ContractError> {
    Ok(WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    })
}

/// The derivative token's `Send` hook. Only the hub's own token is accepted, and the request
/// belongs to the account that sent the tokens (or the receiver it names), never to the token
/// contract.
pub fn receive(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    cw20_msg: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let token = TOKEN.load(deps.storage)?;
    if sender != token {
        return Err(ContractError::ForeignToken {
            token: token.to_string(),
            sender: sender.to_string(),
        });
    }
    match from_json(&cw20_msg.msg)? {
        ReceiveMsg::QueueUnbond { receiver } => {
            let user = deps
                .api
                .addr_validate(receiver.as_deref().unwrap_or(&cw20_msg.sender))?;
            // The hub never sends its own derivative (its dead shares and the pending batch stay
            // put), and a request it owned could never be withdrawn.
            if cw20_msg.sender == env.contract.address.as_str() || user == env.contract.address {
                return Err(ContractError::HubAsRequester {});
            }
            queue(deps, env, user, cw20_msg.amount)
        }
        ReceiveMsg::InstantUnbond {
            receiver,
            min_native,
        } => {
            let owner = deps.api.addr_validate(&cw20_msg.sender)?;
            let receiver = deps
                .api
                .addr_validate(receiver.as_deref().unwrap_or(&cw20_msg.sender))?;
            if owner == env.contract.address || receiver == env.contract.address {
                return Err(ContractError::HubAsRequester {});
            }
            crate::execute::instant::instant_unbond(
                deps,
                env,
                owner,
                receiver,
                cw20_msg.amount,
                min_native,
            )
        }
    }
}

fn queue(deps: DepsMut, env: Env, user: Addr, shares: Uint128) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if shares < config.min_unbond {
        return Err(ContractError::UnbondTooSmall {
            shares,
            min_unbond: config.min_unbond,
        });
    }
    let mut pending = PENDING_BATCH.load(deps.storage)?;
    pending.shares = pending.shares.checked_add(shares)?;
    PENDING_BATCH.save(deps.storage, &pending)?;
    UNBOND_REQUESTS.update(deps.storage, (&user, pending.id), |existing| {
        existing
            .unwrap_or_default()
            .checked_add(shares)
            .map_err(ContractError::from)
    })?;

    let response = Response::new()
        .add_attribute("action", "queue_unbond")
        .add_attribute("user", &user)
        .add_attribute("batch_id", pending.id.to_string())
        .add_attribute("shares", shares);
    // The first request after the epoch ends submits the batch it joined, when the chain's
    // entry limit and the open-batch bound allow; otherwise the request simply waits in it.
    if env.block.time.seconds() >= pending.submit_after
        && check_room(deps.storage, &STATE.load(deps.storage)?, &env, pending.id).is_ok()
    {
        let submitted = submit_pending(deps, &env, pending)?;
        return Ok(response
            .add_submessages(submitted.messages)
            .add_attributes(submitted.attributes)
            .add_events(submitted.events));
    }
    Ok(response)
}

pub fn cancel(deps: DepsMut, user: Addr) -> Result<Response, ContractError> {
    let mut pending = PENDING_BATCH.load(deps.storage)?;
    let key = (&user, pending.id);
    let shares = UNBOND_REQUESTS
        .may_load(deps.storage, key)?
        .ok_or_else(|| ContractError::NoPendingRequest {
            user: user.to_string(),
            batch_id: pending.id,
        })?;
    UNBOND_REQUESTS.remove(deps.storage, key);
    pending.shares = pending.shares.checked_sub(shares)?;
    PENDING_BATCH.save(deps.storage, &pending)?;

    let token = TOKEN.load(deps.storage)?;
    let transfer = Cw20ExecuteMsg::Transfer {
        recipient: user.to_string(),
        amount: shares,
    };
    Ok(Response::new()
        .add_message(token_msg(&token, &transfer)?)
        .add_attribute("action", "cancel_unbond")
        .add_attribute("user", user)
        .add_attribute("batch_id", pending.id.to_string())
        .add_attribute("shares", shares))
}

/// Submits the pending batch ([`submit_pending`]), or, while a batch is being submitted over
/// several calls, sends its next undelegations ([`continue_submission`]).
pub fn submit(deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    if let Some(submission) = SUBMISSION.may_load(deps.storage)? {
        return continue_submission(deps, &env, submission);
    }
    let pending = PENDING_BATCH.load(deps.storage)?;
    let state = STATE.load(deps.storage)?;
    check_room(deps.storage, &state, &env, pending.id)?;
    let submitted = submit_pending(deps, &env, pending)?;
    Ok(submitted)
}

/// Whether a batch may be submitted now without meeting the chain's limit of seven unbonding
/// entries per validator, judged from the completion times the chain returned: a batch holds
/// its entries until the chain has certainly paid it (its completion at or before
/// `paid_through`, see [`ledger::observe_block`]). Also keeps the open batches within
/// [`MAX_OPEN_BATCHES`]. Reads only.
fn check_room(
    storage: &dyn Storage,
    state: &State,
    env: &Env,
    pending_id: u64,
) -> Result<(), ContractError> {
    if let Some(submission) = SUBMISSION.may_load(storage)? {
        return Err(ContractError::SubmissionInProgress {
            batch_id: submission.batch_id,
            native_left: state.submitting,
        });
    }
    let open = pending_id - state.next_reconcile_id;
    if open >= MAX_OPEN_BATCHES {
        return Err(ContractError::TooManyOpenBatches {
            open,
            max: MAX_OPEN_BATCHES,
        });
    }
    let mut observed = state.clone();
    ledger::observe_block(&mut observed, env);
    let mut in_flight = 0;
    for item in BATCHES.range(
        storage,
        Some(Bound::inclusive(state.next_reconcile_id)),
        None,
        Order::Ascending,
    ) {
        let (_, batch) = item?;
        if !batch.reconciled && batch.completes_at > observed.paid_through {
            in_flight += 1;
        }
    }
    if in_flight >= MAX_UNBONDING_ENTRIES {
        return Err(ContractError::UnbondingEntriesFull {
            in_flight,
            max: MAX_UNBONDING_ENTRIES,
        });
    }
    Ok(())
}

/// Submits the pending batch: syncs the ledger so that the conversion uses the real backing,
/// converts the batch's shares at that rate (rounding down), burns them, undelegates the
/// native from every validator in proportion to its delegation, and opens the next batch.
///
/// Undelegations happen here only, and only while fewer than seven batches may still hold
/// entries on the chain ([`check_room`]), so no validator ever holds more than seven of the
/// hub's unbonding entries. Each part is at most the validator's synced delegation, so the
/// chain never refuses it for rounding. The first undelegation carries a reply: the chain's
/// `MsgUndelegateResponse` gives the batch its completion time ([`undelegated`]). At most
/// [`MAX_SUBMIT_UNDELEGATIONS`] are sent; the rest of the batch stays delegated
/// ([`State::submitting`]) and later calls send it ([`continue_submission`]).
///
/// If the sync finds the rate beyond its bounds, the breaker pauses bond and unbond and the
/// batch is not submitted: nothing is converted at a rate the sync has just judged
/// implausible. The pause and the sync's booking stand.
fn submit_pending(
    mut deps: DepsMut,
    env: &Env,
    pending: PendingBatch,
) -> Result<Response, ContractError> {
    let now = env.block.time.seconds();
    if now < pending.submit_after {
        return Err(ContractError::EpochNotElapsed {
            submit_after: pending.submit_after,
            now,
        });
    }
    if pending.shares.is_zero() {
        return Err(ContractError::EmptyBatch { id: pending.id });
    }
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let mut report = ledger::sync(&mut deps, env, &config, &mut state)?;
    if report.tripped {
        ledger::save_state(deps.storage, &state, env)?;
        return Ok(Response::new()
            .add_event(report.event)
            .add_attribute("action", "submit_batch")
            .add_attribute("batch_id", pending.id.to_string())
            .add_attribute("submitted", "false")
            .add_attribute("reason", "rate_breaker"));
    }

    let native = native_for_shares(pending.shares, state.total_native, state.total_shares)
        .map_err(|_| ContractError::NoBacking {
            total_shares: state.total_shares,
        })?;
    let restake = restake_for_batch(&mut deps, &config, &mut state, &mut report, native)?;
    let delegations: Vec<Uint128> = report.validators.iter().map(|v| v.delegated).collect();
    let parts = split_pro_rata(native, &delegations).ok_or(ContractError::NoBacking {
        total_shares: state.total_shares,
    })?;
    let planned: Vec<(usize, Uint128)> = parts
        .into_iter()
        .enumerate()
        .filter(|(_, amount)| !amount.is_zero())
        .collect();
    let (now_sent, later) = planned.split_at(planned.len().min(MAX_SUBMIT_UNDELEGATIONS));
    let (buffer_topup, sent) = top_up(&state, &config, native, &report.validators, now_sent)?;
    let undelegations = undelegate(
        deps.storage,
        &mut report.validators,
        &sent,
        &config.denom,
        pending.id,
        true,
    )?;
    let left: Uint128 = later.iter().map(|(_, amount)| *amount).sum();
    if let Some((last, _)) = now_sent.last().filter(|_| !left.is_zero()) {
        SUBMISSION.save(
            deps.storage,
            &Submission {
                batch_id: pending.id,
                after: report.validators[*last].address.clone(),
            },
        )?;
    }
    state.submitting = left;

    state.total_native = state.total_native.checked_sub(native)?;
    state.total_shares = state.total_shares.checked_sub(pending.shares)?;
    state.totals.unbonding = state.totals.unbonding.checked_add(native)?;
    state.buffer_incoming = state.buffer_incoming.checked_add(buffer_topup)?;
    ledger::save_state(deps.storage, &state, env)?;
    // An estimate until the reply brings the chain's own completion time. A batch whose
    // shares convert to nothing undelegates nothing: there is nothing to wait for.
    let estimate = if undelegations.is_empty() {
        0
    } else {
        state
            .unbonding_time_observed
            .unwrap_or(config.unbonding_period)
    };
    let batch = Batch {
        id: pending.id,
        shares: pending.shares,
        native_expected: native,
        native_received: Uint128::zero(),
        reconciled: false,
        submitted_at: now,
        submitted_height: env.block.height,
        completes_at: now + estimate,
        shares_claimed: Uint128::zero(),
        native_claimed: Uint128::zero(),
        buffer_topup,
    };
    BATCHES.save(deps.storage, batch.id, &batch)?;
    PENDING_BATCH.save(
        deps.storage,
        &PendingBatch {
            id: pending.id + 1,
            shares: Uint128::zero(),
            submit_after: now + config.epoch_period,
        },
    )?;

    let token = TOKEN.load(deps.storage)?;
    let burn = Cw20ExecuteMsg::Burn {
        amount: pending.shares,
    };
    Ok(Response::new()
        .add_event(report.event)
        .add_message(token_msg(&token, &burn)?)
        .add_messages(restake)
        .add_submessages(undelegations)
        .add_attribute("action", "submit_batch")
        .add_attribute("batch_id", batch.id.to_string())
        .add_attribute("submitted", "true")
        .add_attribute("shares_burned", pending.shares)
        .add_attribute("native_unbonded", native)
        .add_attribute("buffer_topup", buffer_topup)
        .add_attribute("native_left", left)
        .add_attribute("submission_done", left.is_zero().to_string()))
}

/// A batch that takes most of the backing can need more than is delegated: the rest of the
/// backing is the buffer, in the hub or on its way to it. What the delegations lack is staked
/// from the buffer in the same transaction, before the undelegations, so the batch undelegates
/// it with the rest and is paid through its entries like any other. If even the buffer cannot
/// cover it (top-ups still unbonding hold the rest), the batch waits, refused with nothing
/// moved, until reconcile brings them into the buffer.
fn restake_for_batch(
    deps: &mut DepsMut,
    config: &Config,
    state: &mut State,
    report: &mut ledger::SyncReport,
    native: Uint128,
) -> Result<Option<StakingMsg>, ContractError> {
    let delegated: Uint128 = report.validators.iter().map(|v| v.delegated).sum();
    let Some(lacking) = native.checked_sub(delegated).ok().filter(|l| !l.is_zero()) else {
        return Ok(None);
    };
    if lacking > state.buffer {
        return Err(ContractError::BatchAwaitsTopUps {
            native,
            available: delegated + state.buffer,
        });
    }
    let (msg, target) = ledger::delegate(deps.storage, &deps.querier, lacking, &config.denom)?;
    let validator = report
        .validators
        .iter_mut()
        .find(|v| v.address == target)
        .ok_or(ContractError::NoActiveValidator {})?;
    validator.delegated = validator.delegated.checked_add(lacking)?;
    state.buffer -= lacking;
    Ok(Some(msg))
}

/// Sends undelegations of `parts` (index into `set`, amount; each at most that validator's
/// delegation), lowering the ledger. The first carries the reply that learns the entries'
/// completion time ([`undelegated`]); `first_call` says whether it is the batch's first.
fn undelegate(
    storage: &mut dyn Storage,
    set: &mut [Validator],
    parts: &[(usize, Uint128)],
    denom: &str,
    batch_id: u64,
    first_call: bool,
) -> Result<Vec<SubMsg>, ContractError> {
    let mut undelegations = Vec::with_capacity(parts.len());
    for &(index, amount) in parts {
        let validator = &mut set[index];
        validator.delegated = validator.delegated.checked_sub(amount)?;
        validators().save(storage, &validator.address.clone(), validator)?;
        let undelegate = StakingMsg::Undelegate {
            validator: validator.address.clone(),
            amount: Coin::new(amount, denom),
        };
        undelegations.push(if undelegations.is_empty() {
            SubMsg::reply_on_success(undelegate, ReplyId::BatchUndelegated as u64).with_payload(
                to_json_binary(&UndelegatedPayload {
                    batch_id,
                    first_call,
                })?,
            )
        } else {
            SubMsg::new(undelegate)
        });
    }
    Ok(undelegations)
}

/// The buffer's top-up that rides in a batch's first undelegations, and those undelegations
/// with it: what the buffer lacks of its goal after the batch leaves the backing (less what
/// earlier top-ups still bring), taken from the validators this call undelegates from, in
/// proportion to what each keeps after the batch's part, so that no part exceeds a
/// delegation. Only the first call carries it, so a submission spread over several calls
/// stays the batch's alone.
fn top_up(
    state: &State,
    config: &Config,
    native: Uint128,
    set: &[Validator],
    parts: &[(usize, Uint128)],
) -> Result<(Uint128, Vec<(usize, Uint128)>), ContractError> {
    let backing_after = state.total_native.checked_sub(native)?;
    let wanted = crate::math::buffer_fill(
        Uint128::MAX,
        state.buffer.checked_add(state.buffer_incoming)?,
        backing_after,
        config.liquidity.buffer_target,
    );
    let kept: Vec<Uint128> = parts
        .iter()
        .map(|&(index, part)| set[index].delegated.saturating_sub(part))
        .collect();
    let topup = wanted.min(kept.iter().copied().sum());
    let extra = split_pro_rata(topup, &kept).ok_or(ContractError::NoBacking {
        total_shares: state.total_shares,
    })?;
    let sent = parts
        .iter()
        .zip(extra)
        .map(|(&(index, part), extra)| (index, part + extra))
        .collect();
    Ok((topup, sent))
}

/// What the reply to a batch's undelegations needs to know.
#[cw_serde]
struct UndelegatedPayload {
    batch_id: u64,
    /// The batch's first call, whose completion time replaces the estimate; a later call's
    /// entries complete no earlier, and the batch completes with its last.
    first_call: bool,
}

/// The next undelegations of a batch submitted over several calls, on at most
/// [`MAX_SUBMIT_UNDELEGATIONS`] validators after the last one used, each taking its share of
/// what is left in proportion to its delegation among the validators still to come (the same
/// split as the first call's, so none is asked for more than it holds). The ledger is
/// synced first (a slash meanwhile is shared with the batch, [`ledger::book_slash`]). If the
/// validators still to come hold less than is left (a slash hit them harder), they give all
/// they hold and the next call starts again from the first validator of the set; the chain's
/// limit of seven entries then still bounds every validator, failing the call rather than
/// the accounting.
fn continue_submission(
    mut deps: DepsMut,
    env: &Env,
    mut submission: Submission,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let mut report = ledger::sync(&mut deps, env, &config, &mut state)?;
    let mut left = state.submitting;
    let to_come: Vec<usize> = (0..report.validators.len())
        .filter(|&i| {
            let validator = &report.validators[i];
            validator.address > submission.after && !validator.delegated.is_zero()
        })
        .collect();
    let holding: Vec<Uint128> = to_come
        .iter()
        .map(|&i| report.validators[i].delegated)
        .collect();
    let shares = if left >= holding.iter().copied().sum::<Uint128>() {
        holding
    } else {
        split_pro_rata(left, &holding).ok_or(ContractError::NoBacking {
            total_shares: state.total_shares,
        })?
    };
    let planned: Vec<(usize, Uint128)> = to_come
        .iter()
        .copied()
        .zip(shares)
        .filter(|(_, amount)| !amount.is_zero())
        .collect();
    let parts = &planned[..planned.len().min(MAX_SUBMIT_UNDELEGATIONS)];
    for (index, amount) in parts {
        left -= *amount;
        submission.after = report.validators[*index].address.clone();
    }
    if !left.is_zero() && parts.len() == planned.len() {
        // Every validator after the cursor gave what it holds: start again from the first.
        submission.after = String::new();
    }
    let undelegations = undelegate(
        deps.storage,
        &mut report.validators,
        parts,
        &config.denom,
        submission.batch_id,
        false,
    )?;
    state.submitting = left;
    ledger::save_state(deps.storage, &state, env)?;
    if left.is_zero() {
        SUBMISSION.remove(deps.storage);
    } else {
        SUBMISSION.save(deps.storage, &submission)?;
    }
    Ok(Response::new()
        .add_event(report.event)
        .add_submessages(undelegations)
        .add_attribute("action", "submit_batch")
        .add_attribute("batch_id", submission.batch_id.to_string())
        .add_attribute("submitted", "true")
        .add_attribute("native_left", left)
        .add_attribute("submission_done", left.is_zero().to_string()))
}

/// The reply to the first undelegation of a submission call: the chain's
/// `MsgUndelegateResponse` (in `msg_responses` on CosmWasm 2 chains, in the deprecated `data`
/// field before) gives the completion time of every unbonding entry the call made, since they
/// were made in one block. The batch's `completes_at` becomes that time, rounded up to the
/// second (for a later call of a batch submitted over several, the later of the two). A
/// response that is missing or unreadable fails the submission: the hub does not guess.
pub fn undelegated(deps: DepsMut, reply: Reply) -> Result<Response, ContractError> {
    let UndelegatedPayload {
        batch_id,
        first_call,
    } = from_json(&reply.payload)?;
    let response = reply
        .result
        .into_result()
        .map_err(|_| ContractError::UndelegateResponseMissing {})?;
    #[allow(deprecated)]
    let bytes = response
        .msg_responses
        .iter()
        .find(|r| r.type_url == MSG_UNDELEGATE_RESPONSE_TYPE_URL)
        .map(|r| r.value.clone())
        .or(response.data)
        .ok_or(ContractError::UndelegateResponseMissing {})?;
    let invalid = |reason: &str| ContractError::UndelegateResponseInvalid {
        reason: reason.to_string(),
    };
    let decoded = MsgUndelegateResponse::decode(bytes.as_slice())
        .map_err(|_| invalid("not a MsgUndelegateResponse"))?;
    let completion = decoded
        .completion_time
        .ok_or_else(|| invalid("no completion_time"))?;
    let seconds = u64::try_from(completion.seconds).map_err(|_| invalid("negative time"))?;
    let completes_at = seconds + u64::from(completion.nanos > 0);

    let mut batch = BATCHES.load(deps.storage, batch_id)?;
    if !first_call {
        // A later call of a batch submitted over several: it completes with its last entries.
        batch.completes_at = batch.completes_at.max(completes_at);
        BATCHES.save(deps.storage, batch_id, &batch)?;
        return Ok(Response::new()
            .add_attribute("action", "batch_undelegated")
            .add_attribute("batch_id", batch_id.to_string())
            .add_attribute("completes_at", batch.completes_at.to_string()));
    }
    batch.completes_at = completes_at;
    BATCHES.save(deps.storage, batch_id, &batch)?;
    let mut state = STATE.load(deps.storage)?;
    let unbonding_time = completes_at.saturating_sub(batch.submitted_at);
    state.unbonding_time_observed = Some(unbonding_time);
    STATE.save(deps.storage, &state)?;
    Ok(Response::new()
        .add_attribute("action", "batch_undelegated")
        .add_attribute("batch_id", batch_id.to_string())
        .add_attribute("completes_at", completes_at.to_string())
        .add_attribute("unbonding_time", unbonding_time.to_string()))
}

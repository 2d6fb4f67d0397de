//! Instant exit: derivative in, native out of the liquidity buffer at once, less the exit fee.

use cosmwasm_std::{Addr, BankMsg, Coin, DepsMut, Env, Response, Uint128};
use cw20::Cw20ExecuteMsg;
use flowstake::hub::InstantUnbondPreview;

use crate::error::ContractError;
use crate::execute::unbond::token_msg;
use crate::ledger;
use crate::math::{exchange_rate, exit_fee_split, native_for_shares};
use crate::state::{Config, State, CONFIG, STATE, TOKEN};

/// What an instant exit of `shares` pays at the state's rate: the shares' native value
/// (rounded down), the fee on it (rounded up) and the rest.
pub fn preview(
    state: &State,
    config: &Config,
    shares: Uint128,
) -> Result<InstantUnbondPreview, ContractError> {
    let native = native_for_shares(shares, state.total_native, state.total_shares)?;
    let (fee, payout) = exit_fee_split(native, config.liquidity.exit_fee);
    Ok(InstantUnbondPreview {
        native,
        fee,
        payout,
        buffer: state.buffer,
        payable: !payout.is_zero() && payout <= state.buffer,
    })
}

/// Syncs the ledger (the rate must be the real one), then burns `shares` sent by `owner` and
/// pays their value less the fee from the buffer to `receiver`. The fee stays in the backing:
/// the remaining holders' rate rises by it, and the rate bound's reference rises with it (a
/// fee is not a move of the chain). If the sync trips the rate breaker, nothing is converted:
/// the shares go back to `owner` and the pause stands.
pub fn instant_unbond(
    mut deps: DepsMut,
    env: Env,
    owner: Addr,
    receiver: Addr,
    shares: Uint128,
    min_native: Option<Uint128>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut state = STATE.load(deps.storage)?;
    let report = ledger::sync(&mut deps, &env, &config, &mut state)?;
    let token = TOKEN.load(deps.storage)?;
    if report.tripped {
        ledger::save_state(deps.storage, &state, &env)?;
        let refund = Cw20ExecuteMsg::Transfer {
            recipient: owner.to_string(),
            amount: shares,
        };
        return Ok(Response::new()
            .add_event(report.event)
            .add_message(token_msg(&token, &refund)?)
            .add_attribute("action", "instant_unbond")
            .add_attribute("exited", "false")
            .add_attribute("reason", "rate_breaker"));
    }
    let quote = preview(&state, &config, shares)?;
    if quote.payout.is_zero() {
        return Err(ContractError::ExitPaysZero { shares });
    }
    if quote.payout > state.buffer {
        return Err(ContractError::BufferTooSmall {
            payout: quote.payout,
            buffer: state.buffer,
        });
    }
    if let Some(min_native) = min_native.filter(|min| quote.payout < *min) {
        return Err(ContractError::ExitBelowMinimum {
            payout: quote.payout,
            min_native,
        });
    }
    state.total_native = state.total_native.checked_sub(quote.payout)?;
    state.total_shares = state.total_shares.checked_sub(shares)?;
    state.buffer -= quote.payout;
    state.totals.instant_paid = state.totals.instant_paid.checked_add(quote.payout)?;
    state.totals.exit_fees = state.totals.exit_fees.checked_add(quote.fee)?;
    state.last_sync_rate = exchange_rate(state.total_native, state.total_shares);
    ledger::save_state(deps.storage, &state, &env)?;

    let burn = Cw20ExecuteMsg::Burn { amount: shares };
    Ok(Response::new()
        .add_event(report.event)
        .add_message(token_msg(&token, &burn)?)
        .add_message(BankMsg::Send {
            to_address: receiver.to_string(),
            amount: vec![Coin::new(quote.payout, &config.denom)],
        })
        .add_attribute("action", "instant_unbond")
        .add_attribute("exited", "true")
        .add_attribute("owner", owner)
        .add_attribute("receiver", receiver)
        .add_attribute("shares_burned", shares)
        .add_attribute("native", quote.native)
        .add_attribute("fee", quote.fee)
        .add_attribute("paid", quote.payout)
        .add_attribute("buffer_left", state.buffer))
}

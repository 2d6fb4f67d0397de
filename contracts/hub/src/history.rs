//! The rate's history: one point per sync, kept at least [`RATE_POINT_SPACING`] apart, at most
//! [`MAX_RATE_POINTS`] of them (the oldest dropped first). The newest point follows every sync
//! until it is `RATE_POINT_SPACING` from the one before it, so the history always ends at the
//! latest sync and calling sync often cannot flush it. Reads are by time: a window's start is
//! one range read.

use cosmwasm_std::{Order, StdResult, Storage};
use cw_storage_plus::Bound;
use flowstake::hub::{RatePoint, YieldResponse, RATE_POINT_SPACING};

use crate::math::{annual_yield, exchange_rate};
use crate::state::{State, RATE_HISTORY, RATE_POINT_COUNT};

/// Most points kept: about 41 days at one an hour.
pub const MAX_RATE_POINTS: u32 = 1000;

fn newest(storage: &dyn Storage, below: Option<u64>) -> StdResult<Option<RatePoint>> {
    RATE_HISTORY
        .range(
            storage,
            None,
            below.map(Bound::exclusive),
            Order::Descending,
        )
        .next()
        .transpose()
        .map(|item| item.map(|(_, point)| point))
}

/// Records the state's rate at `now`.
pub fn record(storage: &mut dyn Storage, state: &State, now: u64) -> StdResult<()> {
    let point = RatePoint {
        time: now,
        rate: exchange_rate(state.total_native, state.total_shares),
        backing: state.total_native,
        supply: state.total_shares,
    };
    let mut count = RATE_POINT_COUNT.may_load(storage)?.unwrap_or_default();
    let mut moved = false;
    if let Some(last) = newest(storage, None)? {
        let before = newest(storage, Some(last.time))?;
        // The newest point is not kept yet while it is closer than the spacing to the one
        // before it.
        let close = before.is_some_and(|before| last.time < before.time + RATE_POINT_SPACING);
        if last.time == now || close {
            // The newest point moves to this sync.
            RATE_HISTORY.remove(storage, last.time);
            moved = true;
        }
    }
    RATE_HISTORY.save(storage, now, &point)?;
    if !moved {
        count += 1;
    }
    if count > MAX_RATE_POINTS {
        let oldest = RATE_HISTORY
            .keys(storage, None, None, Order::Ascending)
            .next()
            .transpose()?;
        if let Some(oldest) = oldest {
            RATE_HISTORY.remove(storage, oldest);
            count -= 1;
        }
    }
    RATE_POINT_COUNT.save(storage, &count)
}

/// Points after `start_after`, oldest first.
pub fn points(
    storage: &dyn Storage,
    start_after: Option<u64>,
    limit: usize,
) -> StdResult<Vec<RatePoint>> {
    RATE_HISTORY
        .range(
            storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit)
        .map(|item| item.map(|(_, point)| point))
        .collect()
}

/// Growth from the oldest point within `window` seconds of the newest to the newest (from the
/// oldest point kept if the history is shorter than the window).
pub fn annual(storage: &dyn Storage, window: u64) -> StdResult<Option<YieldResponse>> {
    let Some(end) = newest(storage, None)? else {
        return Ok(None);
    };
    let from = end.time.saturating_sub(window);
    let start = RATE_HISTORY
        .range(
            storage,
            Some(Bound::inclusive(from)),
            None,
            Order::Ascending,
        )
        .next()
        .transpose()?
        .map_or(end.clone(), |(_, point)| point);
    let (apr, apy) = annual_yield(start.rate, end.rate, end.time - start.time);
    Ok(Some(YieldResponse {
        apr,
        apy,
        start,
        end,
    }))
}

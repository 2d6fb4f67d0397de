//! What each user does on a given day, drawn from the seeded generator: join with a first
//! bond, bond more, queue part of their derivative, cancel a pending request, withdraw what is
//! ready, and now and then send a call the hub must refuse.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::config::ScenarioConfig;
use crate::model::UserBook;

/// A call the hub must reject, sent to check that it changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// A bond one unit below the minimum.
    BondBelowMinimum,
    /// A cancel with no request in the pending batch.
    CancelNothing,
    /// A governance call from a user.
    RemoveValidatorAsUser,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Bond(u128),
    QueueUnbond(u128),
    Cancel,
    Withdraw,
    Rejected(Rejected),
}

/// What the engine knows about the user beyond the book.
#[derive(Clone, Copy, Debug)]
pub struct Situation {
    pub day: u64,
    pub has_pending_request: bool,
    pub has_claimable: bool,
}

/// A part of `amount` drawn uniformly between `low` and `high` (fractions), at least `floor`,
/// at most `amount`.
fn portion(rng: &mut ChaCha8Rng, amount: u128, low: f64, high: f64, floor: u128) -> u128 {
    let fraction = rng.random_range(low..high);
    let part = (amount as f64 * fraction) as u128;
    part.max(floor).min(amount)
}

/// The user's actions for the day, in order. Every amount respects the hub's minimums, so
/// only the deliberately rejected calls may fail.
pub fn plan(
    config: &ScenarioConfig,
    user: &UserBook,
    situation: Situation,
    rng: &mut ChaCha8Rng,
) -> Vec<Action> {
    let habits = &config.behaviour;
    let mut actions = vec![];
    if !user.joined {
        if situation.day >= user.join_day && user.wallet >= config.min_bond {
            let amount = portion(rng, user.wallet, 0.3, 0.9, config.min_bond);
            actions.push(Action::Bond(amount));
        }
        return actions;
    }
    // First, while the situation still describes the user: the call is refused for a reason
    // that holds now.
    if rng.random_bool(habits.rejected) {
        let rejected = match rng.random_range(0..3u8) {
            0 if user.wallet >= config.min_bond => Rejected::BondBelowMinimum,
            1 if !situation.has_pending_request => Rejected::CancelNothing,
            _ => Rejected::RemoveValidatorAsUser,
        };
        actions.push(Action::Rejected(rejected));
    }
    if situation.has_claimable && rng.random_bool(habits.withdraw) {
        actions.push(Action::Withdraw);
    }
    if situation.has_pending_request && rng.random_bool(habits.cancel) {
        actions.push(Action::Cancel);
    }
    if user.wallet >= config.min_bond && rng.random_bool(habits.bond) {
        actions.push(Action::Bond(portion(
            rng,
            user.wallet,
            0.1,
            0.6,
            config.min_bond,
        )));
    }
    // Shares a cancel returns are not counted here: they can be queued again another day.
    if user.shares >= config.min_unbond && rng.random_bool(habits.unbond) {
        let shares = if rng.random_bool(0.2) {
            user.shares
        } else {
            portion(rng, user.shares, 0.1, 0.9, config.min_unbond)
        };
        actions.push(Action::QueueUnbond(shares));
    }
    actions
}

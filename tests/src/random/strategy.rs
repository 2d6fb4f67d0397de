//! The strategies that draw scenarios: a chain and hub configuration and a sequence of
//! operations by users, keepers, governance and the chain, in two mixes and two sizes (the CI
//! run of `tests/tests/random_operations.rs` and the soak run of `scripts/soak.sh`).

use proptest::prelude::*;

use super::{Op, Params, PauseSet, Scenario};

const DAY: u64 = 86_400;

/// The size of what is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub validators: usize,
    pub users: usize,
    /// Longest sequence of one scenario.
    pub ops: usize,
}

pub const CI_LIMITS: Limits = Limits {
    validators: 50,
    users: 200,
    ops: 400,
};

pub const SOAK_LIMITS: Limits = Limits {
    validators: 150,
    users: 10_000,
    ops: 1_000,
};

/// How often each kind of operation is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    users: u32,
    keepers: u32,
    governance: u32,
    chain: u32,
}

/// Mostly users and keepers, as on a live hub.
pub const EVERYDAY: Mix = Mix {
    users: 60,
    keepers: 20,
    governance: 5,
    chain: 15,
};

/// Governance and the chain at their most active: slashes, jailing, validator changes.
pub const TURBULENT: Mix = Mix {
    users: 40,
    keepers: 20,
    governance: 15,
    chain: 25,
};

fn params(limits: Limits) -> impl Strategy<Value = Params> {
    let chain = (
        1..=limits.validators,
        0..=3usize,
        1..=limits.users,
        prop_oneof![Just(1u64), Just(3), Just(21)],
        0..=100u64,
    );
    let hub = (
        0..=10u64,
        prop_oneof![Just(1u128), 1..=10_000u128],
        prop_oneof![Just(1u128), 1..=10_000u128],
        prop_oneof![Just(1_000u128), 1_000..=10_000u128, Just(1_000_000u128)],
        prop_oneof![Just(0u64), 1..=1_000u64],
    );
    // Narrow bounds now and then, so that the rate bounds pause the hub.
    let bounds = (
        prop_oneof![1 => 1..=5u64, 7 => 20..=99u64],
        prop_oneof![1 => 1..=5u64, 7 => 20..=99u64],
        prop_oneof![1 => 1..=5u64, 7 => 10..=99u64],
    );
    (chain, hub, bounds).prop_map(
        |(
            (validators, spare_validators, users, unbonding_days, epoch_extra),
            (fee_percent, min_bond, min_unbond, seed, apr_permille),
            (max_fall_percent, max_rise_percent, max_shortfall_percent),
        )| {
            // The shortest epoch the configuration allows (seven epochs cover the unbonding
            // time), then up to twice it.
            let shortest = (unbonding_days * DAY).div_ceil(7);
            Params {
                validators,
                spare_validators,
                users,
                unbonding_days,
                epoch_seconds: shortest + shortest * epoch_extra / 100,
                fee_percent,
                min_bond,
                min_unbond,
                // The hub takes a seed of at least 1,000 and at least `min_bond`.
                seed: seed.max(min_bond),
                apr_permille,
                max_fall_percent,
                max_rise_percent,
                max_shortfall_percent,
            }
        },
    )
}

/// Dust, everyday and large amounts.
fn native() -> impl Strategy<Value = u128> {
    prop_oneof![
        3 => 1..=20_000u128,
        5 => 20_000..=100_000_000u128,
        2 => 100_000_000..=1_000_000_000_000u128,
    ]
}

fn user_op(limits: Limits) -> impl Strategy<Value = Op> {
    let user = || 0..limits.users;
    let permille = || prop_oneof![1..=1000u16, Just(1000u16)];
    let receiver = proptest::option::weighted(0.1, user());
    let min_shares_extra = proptest::option::weighted(0.1, 0..=2u128);
    let bond = (user(), native(), receiver, min_shares_extra).prop_map(
        |(user, native, receiver, min_shares_extra)| Op::Bond {
            user,
            native,
            receiver,
            min_shares_extra,
        },
    );
    let queue =
        (user(), permille()).prop_map(|(user, permille)| Op::QueueUnbond { user, permille });
    let withdraw = (user(), proptest::option::of(0..=120u32))
        .prop_map(|(user, limit)| Op::Withdraw { user, limit });
    let transfer = (user(), user(), permille()).prop_map(|(from, to, permille)| Op::Transfer {
        from,
        to,
        permille,
    });
    let round_trip = (user(), native()).prop_map(|(user, native)| Op::RoundTrip { user, native });
    let donate = (user(), 1..=10_000_000u128, 0..3u8).prop_map(|(user, native, to)| Op::Donate {
        user,
        native,
        to,
    });
    prop_oneof![
        20 => bond,
        12 => queue,
        3 => user().prop_map(|user| Op::Cancel { user }),
        8 => withdraw,
        4 => transfer,
        3 => round_trip,
        2 => donate,
        1 => user().prop_map(|user| Op::HolderBurn { user }),
    ]
}

fn keeper_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Harvest),
        2 => Just(Op::Sync),
        4 => Just(Op::SubmitBatch),
        4 => proptest::option::of(0..=40u32).prop_map(|limit| Op::Reconcile { limit }),
    ]
}

fn governance_op(limits: Limits) -> impl Strategy<Value = Op> {
    let validator = || 0..limits.validators + 3;
    let weight = || prop_oneof![8 => 1..=10u64, 1 => Just(0u64), 1 => 999_990..=1_000_010u64];
    let add = (validator(), weight())
        .prop_map(|(validator, weight)| Op::AddValidator { validator, weight });
    let set_weight =
        (validator(), weight()).prop_map(|(validator, weight)| Op::SetWeight { validator, weight });
    let pause = (0..8u8, any::<bool>()).prop_map(|(mask, by_owner)| Op::Pause {
        operations: PauseSet(mask),
        by_owner,
    });
    let unpause = (0..8u8).prop_map(|mask| Op::Unpause {
        operations: PauseSet(mask),
    });
    let intruder =
        (0..limits.users, any::<u8>()).prop_map(|(user, kind)| Op::Intruder { user, kind });
    prop_oneof![
        2 => add,
        2 => validator().prop_map(|validator| Op::RemoveValidator { validator }),
        2 => validator().prop_map(|validator| Op::PauseValidator { validator }),
        2 => validator().prop_map(|validator| Op::UnpauseValidator { validator }),
        1 => set_weight,
        1 => pause,
        3 => unpause,
        2 => intruder,
    ]
}

fn chain_op(limits: Limits) -> impl Strategy<Value = Op> {
    let validator = || 0..limits.validators + 3;
    let advance =
        prop_oneof![5..=60u64, 60..=DAY, DAY..=7 * DAY].prop_map(|seconds| Op::Advance { seconds });
    let permille = prop_oneof![4 => 1..=50u16, 1 => 50..=300u16];
    let slash = (validator(), permille, any::<bool>()).prop_map(
        |(validator, permille, at_oldest_entry)| Op::Slash {
            validator,
            permille,
            at_oldest_entry,
        },
    );
    let tombstone = (validator(), 1..=100u16).prop_map(|(validator, permille)| Op::Tombstone {
        validator,
        permille,
    });
    // Governance shortens or lengthens the unbonding time: a minute to four weeks.
    let unbonding = prop_oneof![60..=DAY, Just(DAY), Just(3 * DAY), 7 * DAY..=28 * DAY]
        .prop_map(|seconds| Op::SetUnbondingTime { seconds });
    prop_oneof![
        8 => advance,
        4 => Just(Op::AdvanceToSubmit),
        4 => Just(Op::AdvanceToMaturity),
        2 => slash,
        1 => validator().prop_map(|validator| Op::Jail { validator }),
        1 => validator().prop_map(|validator| Op::Unjail { validator }),
        1 => tombstone,
        1 => validator().prop_map(|validator| Op::Retire { validator }),
        1 => unbonding,
    ]
}

pub fn scenario(limits: Limits, mix: Mix) -> impl Strategy<Value = Scenario> {
    let op = prop_oneof![
        mix.users => user_op(limits),
        mix.keepers => keeper_op(),
        mix.governance => governance_op(limits),
        mix.chain => chain_op(limits),
    ];
    (
        params(limits),
        proptest::collection::vec(op, 1..=limits.ops),
    )
        .prop_map(|(params, ops)| Scenario { params, ops })
}

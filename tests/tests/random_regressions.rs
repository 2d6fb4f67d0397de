//! Shrunk failures of `random_operations.rs`, kept as explicit scenarios: each once broke a
//! check (of the harness's model of the hub, or of a rule the hub breaks, now reported by a
//! test of its own in `adversarial_*.rs`) and must keep passing.

use std::collections::BTreeMap;

use flowstake_tests::random::{run_scenario, Op, Params, PauseSet, Scenario, Stats, World};

/// The configuration most shrunk scenarios end with: every bound at its tightest.
fn tight(validators: usize, spare_validators: usize, users: usize, unbonding_days: u64) -> Params {
    Params {
        validators,
        spare_validators,
        users,
        unbonding_days,
        epoch_seconds: (unbonding_days * 86_400 + 86_400).div_ceil(7),
        fee_percent: 0,
        min_bond: 1,
        min_unbond: 1,
        // The smallest seed the hub accepts: max(1_000, min_bond) (`SeedTooSmall` below it).
        seed: 1_000,
        apr_permille: 0,
        max_fall_percent: 1,
        max_rise_percent: 1,
        max_shortfall_percent: 1,
    }
}

fn bond(user: usize, native: u128) -> Op {
    Op::Bond {
        user,
        native,
        receiver: None,
        min_shares_extra: None,
    }
}

fn slash(validator: usize, permille: u16, at_oldest_entry: bool) -> Op {
    Op::Slash {
        validator,
        permille,
        at_oldest_entry,
    }
}

#[track_caller]
fn passes(params: Params, ops: Vec<Op>) -> Stats {
    let scenario = Scenario { params, ops };
    let mut stats = Stats::default();
    if let Err(violation) = run_scenario(&scenario, &mut stats) {
        panic!("{violation}");
    }
    stats
}

/// Removing a validator after a slash leaves a unit per redelegation behind (reported by
/// `removing_a_slashed_validator_leaves_no_stake_behind`); the harness books it as stranded.
#[test]
fn removal_after_a_slash_strands_at_most_a_unit_per_redelegation() {
    // Seed 168 when shrunk; now the hub's minimum seed (1_000, from `tight`).
    let params = Params {
        apr_permille: 60,
        ..tight(11, 3, 1, 1)
    };
    passes(
        params,
        vec![
            bond(0, 1),
            Op::AddValidator {
                validator: 0,
                weight: 2,
            },
            bond(53, 556_360_277_909),
            Op::RoundTrip {
                user: 145,
                native: 43_073_952,
            },
            Op::Harvest,
            Op::QueueUnbond {
                user: 108,
                permille: 281,
            },
            Op::RoundTrip {
                user: 69,
                native: 867_629_967_258,
            },
            Op::RemoveValidator { validator: 33 },
            slash(50, 16, false),
            bond(13, 35_556_289),
            Op::Harvest,
            Op::Pause {
                operations: PauseSet(5),
                by_owner: false,
            },
            Op::AdvanceToMaturity,
            Op::Reconcile { limit: Some(12) },
            Op::AdvanceToMaturity,
            Op::RemoveValidator { validator: 8 },
        ],
    );
}

/// A slash that reaches stake redelegated out of a removed validator makes the destinations
/// round too.
#[test]
fn slash_of_redelegated_stake_makes_the_destinations_round() {
    passes(
        tight(8, 3, 48, 1),
        vec![
            bond(0, 20_048),
            bond(76, 3_548),
            bond(135, 74_364_791),
            Op::Pause {
                operations: PauseSet(1),
                by_owner: true,
            },
            Op::RemoveValidator { validator: 36 },
            Op::AdvanceToMaturity,
            slash(14, 252, true),
            Op::Advance { seconds: 64_735 },
            Op::RemoveValidator { validator: 37 },
        ],
    );
}

/// Reconcile waits while the next batch may already have been paid out (`PayoutPending`).
#[test]
fn reconcile_waits_while_the_next_payout_may_have_arrived() {
    // Seed 2 when shrunk; now the hub's minimum seed (1_000, from `tight`).
    let params = Params {
        epoch_seconds: 43_200,
        ..tight(3, 0, 1, 1)
    };
    let round_trip = Op::RoundTrip { user: 0, native: 1 };
    passes(
        params,
        vec![
            round_trip.clone(),
            round_trip.clone(),
            bond(0, 1),
            Op::AdvanceToSubmit,
            Op::QueueUnbond {
                user: 0,
                permille: 1,
            },
            round_trip,
            Op::Reconcile { limit: None },
        ],
    );
}

/// A delegation worth less than a unit after a slash is no delegation, whichever way the
/// chain is read.
#[test]
fn dust_delegation_after_a_slash_reads_as_none() {
    let params = Params {
        min_unbond: 173,
        epoch_seconds: 271_543,
        ..tight(8, 3, 50, 21)
    };
    passes(
        params,
        vec![
            Op::Bond {
                user: 0,
                native: 8_826_525,
                receiver: None,
                min_shares_extra: Some(0),
            },
            bond(29, 9_964),
            bond(29, 10_422),
            bond(34, 79_778_073),
            bond(63, 7_711_833),
            bond(183, 63_347_251),
            Op::RoundTrip {
                user: 139,
                native: 174,
            },
            Op::Pause {
                operations: PauseSet(1),
                by_owner: true,
            },
            Op::QueueUnbond {
                user: 129,
                permille: 664,
            },
            Op::AdvanceToSubmit,
            slash(3, 275, false),
            Op::SubmitBatch,
            Op::RoundTrip {
                user: 60,
                native: 31_585_246_726,
            },
            Op::RemoveValidator { validator: 36 },
            slash(14, 252, true),
            bond(67, 654_910_945_483),
        ],
    );
}

/// Removing a slashed validator with little stake: a one-unit part of the split was refused by
/// the chain (`ErrTinyRedelegationAmount`) and the whole removal with it, until single units
/// were folded into the largest part (`removing_a_slashed_validator_with_little_stake_goes_through`).
#[test]
fn removal_of_a_slashed_validator_with_little_stake_goes_through() {
    let params = Params {
        epoch_seconds: 49_372,
        ..tight(11, 0, 3, 3)
    };
    let pause_all = PauseSet(7);
    let stats = passes(
        params,
        vec![
            bond(0, 66_417_258),
            Op::AdvanceToMaturity,
            Op::QueueUnbond {
                user: 171,
                permille: 895,
            },
            Op::AdvanceToMaturity,
            bond(119, 93_960_958),
            Op::PauseValidator { validator: 27 },
            slash(27, 220, false),
            Op::Transfer {
                from: 89,
                to: 26,
                permille: 1000,
            },
            bond(83, 71_683_543),
            bond(80, 5_432_353),
            Op::Harvest,
            Op::Unpause {
                operations: pause_all,
            },
            Op::QueueUnbond {
                user: 186,
                permille: 553,
            },
            bond(49, 464_831_664_578),
            Op::Pause {
                operations: pause_all,
                by_owner: true,
            },
            Op::Advance { seconds: 285_050 },
            Op::Unpause {
                operations: PauseSet(2),
            },
            Op::QueueUnbond {
                user: 142,
                permille: 1000,
            },
            Op::QueueUnbond {
                user: 88,
                permille: 1000,
            },
            Op::Reconcile { limit: Some(36) },
            Op::AdvanceToMaturity,
            Op::SubmitBatch,
            Op::RemoveValidator { validator: 27 },
        ],
    );
    assert_eq!(stats.by_refusal.get("chain TinyRedelegation"), None);
    // Played once, refused by no one.
    assert_eq!(stats.by_op.get("remove_validator"), Some(&(1, 0)));
}

/// Units stranded on a validator removed after a slash (share rounding of the redelegations)
/// are counted again once governance adds the validator back: the first sync finds the chain
/// holding more than the ledger and books the difference as surplus, so harvest withdraws
/// their rewards with the rest and nothing waits in the collector.
#[test]
fn rewards_paid_during_a_harvest_wait_in_the_collector() {
    let params = Params {
        apr_permille: 1_000,
        ..tight(4, 0, 3, 1)
    };
    let mut world = flowstake_tests::random::World::new(&params).unwrap();
    let mut ops = vec![
        bond(0, 10_000_001),
        bond(1, 20_000_003),
        bond(2, 30_000_007),
    ];
    ops.push(Op::Advance { seconds: 86_400 });
    ops.extend((0..4).map(|validator| slash(validator, 100, false)));
    ops.push(Op::Sync);
    for validator in 0..4 {
        ops.push(Op::RemoveValidator { validator });
        ops.push(Op::AddValidator {
            validator,
            weight: 1,
        });
    }
    ops.push(Op::Advance {
        seconds: 400 * 86_400,
    });
    ops.push(Op::Harvest);
    if let Err(violation) = world.play(&ops) {
        panic!("{violation}");
    }
    assert!(!world.model.stranded.is_empty(), "no stake was stranded");
    assert_eq!(
        world.last.collector_native, 0,
        "rewards left in the collector"
    );
    assert!(
        world.last.state.totals.surplus.u128() > 0,
        "nothing booked as surplus"
    );
    if let Err(violation) = world.drain() {
        panic!("{violation}");
    }
}

/// Found by the `operation_sequences` fuzz target: slashes at the height of the oldest entry
/// cut a redelegation by its initial balance each time, and six of them (138 % in all) wiped
/// out the whole stake, which sat on a removed validator's redelegations. With nothing left to
/// back the seed's shares the hub refuses bonds with `NoBacking`: no rate exists at which a
/// deposit would not be shared with shares worth nothing. The refusal is justified.
#[test]
fn a_total_loss_refuses_bonds_for_lack_of_backing() {
    let params = Params {
        epoch_seconds: 47_150,
        min_bond: 9_368,
        min_unbond: 9_368,
        seed: 1_000_000,
        max_shortfall_percent: 58,
        ..tight(8, 0, 4, 1)
    };
    let removed = 231;
    let unpause = |mask| Op::Unpause {
        operations: PauseSet(mask),
    };
    let ops = vec![
        Op::RemoveValidator { validator: removed },
        slash(removed, 191, true),
        Op::RoundTrip {
            user: 213,
            native: 6_888,
        },
        slash(removed, 205, true),
        slash(removed, 268, true),
        slash(removed, 181, true),
        Op::RemoveValidator { validator: removed },
        unpause(7),
        slash(removed, 268, true),
        slash(removed, 268, true),
        Op::Harvest,
        unpause(1),
        Op::Harvest,
        Op::Unjail { validator: 255 },
        Op::Harvest,
        bond(231, 348_757_017_277),
    ];
    // Before the bond: nothing is left, on the chain or in the hub's books.
    let mut world = World::new(&params).expect("setup");
    world.play(&ops[..ops.len() - 1]).expect("no violation");
    assert_eq!(world.last.total_native(), 0);
    assert_eq!(world.last.total_shares(), 1_000_000);
    assert_eq!(world.last.chain.delegations, BTreeMap::new());
    assert_eq!(world.last.chain.unbonding_total(), 0);
    let stats = passes(params, ops);
    assert_eq!(stats.by_refusal.get("hub NoBacking"), Some(&1), "{stats:?}");
}

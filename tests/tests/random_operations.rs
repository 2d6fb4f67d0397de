//! Invariants under random operations: proptest draws a chain and hub configuration and a
//! sequence of operations by users, keepers, governance and the chain
//! (`flowstake_tests::random::strategy`); `random::run_scenario` plays it and checks the
//! design's nine invariants after every operation. A failure is shrunk to a minimal sequence
//! and its seed kept in `random_operations.proptest-regressions`, which is replayed first on
//! every run.
//!
//! Every run plays at least [`CI_OPERATIONS`] operations, with up to 50 validators and 200
//! users. `scripts/soak.sh OPS` (the `soak` binary of this crate) runs the same properties for
//! OPS operations with up to 150 validators and 10,000 users.

use std::time::Instant;

use flowstake_tests::random::explore::{explore, report};
use flowstake_tests::random::strategy::{Mix, CI_LIMITS, EVERYDAY, TURBULENT};

/// Operations each CI run plays, split between the two mixes.
const CI_OPERATIONS: u64 = 100_000;

/// Operations of one CI test: half of [`CI_OPERATIONS`], or half of
/// `FLOWSTAKE_RANDOM_OPERATIONS` when set (for a quicker or a longer local run).
fn ci_share() -> u64 {
    std::env::var("FLOWSTAKE_RANDOM_OPERATIONS")
        .ok()
        .and_then(|value| value.parse::<u64>().ok())
        .unwrap_or(CI_OPERATIONS)
        / 2
}

fn ci_run(name: &str, mix: Mix) {
    let started = Instant::now();
    let share = ci_share();
    let (stats, violations) = explore(CI_LIMITS, mix, share, true);
    report(name, &stats, &violations, started.elapsed());
    if let Some(violation) = violations.first() {
        panic!("{violation}");
    }
    assert!(stats.operations >= share);
    // The chain's own events are drawn and played, not only listed.
    for name in [
        "set_unbonding_time",
        "tombstone",
        "retire",
        "donate",
        "slash",
        "jail",
    ] {
        let (played, _) = stats.by_op.get(name).copied().unwrap_or_default();
        assert!(played > 0, "{name} was never played");
    }
    assert!(
        stats.deleted_validators > 0,
        "the chain never deleted a validator"
    );
}

#[test]
fn everyday_operations_keep_every_invariant() {
    ci_run("everyday", EVERYDAY);
}

#[test]
fn turbulent_operations_keep_every_invariant() {
    ci_run("turbulent", TURBULENT);
}

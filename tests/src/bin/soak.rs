//! The soak run of `scripts/soak.sh OPS`: the properties of `tests/random_operations.rs` for
//! OPS operations, with up to 150 validators, 10,000 users and 1,000 operations per scenario,
//! on `FLOWSTAKE_SOAK_THREADS` threads (all cores by default), the two mixes alternating. It
//! goes on after a violation (each is shrunk, reported and kept in the soak regressions file)
//! and ends with the line `operations: N, invariant checks: M, violations: V` on standard
//! output; the exit status is non-zero if V > 0.
//!
//!     cargo run --release -p flowstake-tests --bin soak -- OPS

use std::process::ExitCode;
use std::time::Instant;

use flowstake_tests::random::explore::{explore, report};
use flowstake_tests::random::strategy::{EVERYDAY, SOAK_LIMITS, TURBULENT};
use flowstake_tests::random::Stats;

fn main() -> ExitCode {
    let Some(operations) = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse::<u64>().ok())
    else {
        eprintln!("usage: soak OPS");
        return ExitCode::from(2);
    };
    let threads: u64 = std::env::var("FLOWSTAKE_SOAK_THREADS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64))
        .max(1);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|index| {
            let mix = if index % 2 == 0 { EVERYDAY } else { TURBULENT };
            let share = operations / threads + u64::from(index < operations % threads);
            std::thread::spawn(move || explore(SOAK_LIMITS, mix, share, false))
        })
        .collect();
    let mut stats = Stats::default();
    let mut violations = vec![];
    for worker in workers {
        let (played, found) = worker.join().expect("a soak thread panicked");
        stats.add(&played);
        violations.extend(found);
    }
    report("soak", &stats, &violations, started.elapsed());
    println!(
        "operations: {}, invariant checks: {}, violations: {}",
        stats.operations,
        stats.invariant_checks,
        violations.len()
    );
    if violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

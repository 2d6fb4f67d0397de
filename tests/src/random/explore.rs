//! Plays drawn scenarios until a number of operations is reached, shrinking each violation to
//! a minimal scenario and keeping its seed in a regressions file that later runs replay first.

use std::cell::RefCell;
use std::time::Duration;

use proptest::test_runner::{
    Config, FailurePersistence, FileFailurePersistence, PersistedSeed, TestCaseError, TestError,
    TestRunner,
};

use super::strategy::{scenario, Limits, Mix, CI_LIMITS};
use super::{run_scenario, Stats};

/// Longest time spent shrinking one failure to a minimal scenario.
const SHRINK_MILLIS: u32 = 300_000;
/// Seeds of the CI-size strategy's failures, replayed first by every run.
const CI_REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/random_operations.proptest-regressions"
);
/// Seeds of the soak strategy's failures (it draws larger sets, so seeds differ).
const SOAK_REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/random_operations.soak.proptest-regressions"
);

/// Saves new failures to a regressions file without replaying those saved: once the first
/// runner of a run has replayed them, the next ones explore instead of finding them again.
#[derive(Clone, Debug, PartialEq)]
struct SaveOnly(FileFailurePersistence);

impl FailurePersistence for SaveOnly {
    fn load_persisted_failures2(&self, _source_file: Option<&'static str>) -> Vec<PersistedSeed> {
        vec![]
    }

    fn save_persisted_failure2(
        &mut self,
        source_file: Option<&'static str>,
        seed: PersistedSeed,
        shrunken_value: &dyn std::fmt::Debug,
    ) {
        self.0
            .save_persisted_failure2(source_file, seed, shrunken_value);
    }

    fn box_clone(&self) -> Box<dyn FailurePersistence> {
        Box::new(self.clone())
    }

    fn eq(&self, other: &dyn FailurePersistence) -> bool {
        other
            .as_any()
            .downcast_ref::<Self>()
            .is_some_and(|other| other == self)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Plays scenarios until `operations` have been played; returns the counts and the violations
/// found, each shrunk to a minimal scenario. With `stop_at_first`, the first violation ends
/// the run.
pub fn explore(
    limits: Limits,
    mix: Mix,
    operations: u64,
    stop_at_first: bool,
) -> (Stats, Vec<String>) {
    let strategy = scenario(limits, mix);
    // Seeds replay only with the strategy that found them: the soak run keeps its own file.
    let regressions =
        FileFailurePersistence::Direct(if limits.validators == CI_LIMITS.validators {
            CI_REGRESSIONS
        } else {
            SOAK_REGRESSIONS
        });
    let stats = RefCell::new(Stats::default());
    let mut violations = vec![];
    let average = (limits.ops as u64).div_ceil(2);
    let mut first = true;
    while stats.borrow().operations < operations {
        let remaining = operations - stats.borrow().operations;
        let config = Config {
            cases: u32::try_from(remaining.div_ceil(average))
                .unwrap_or(u32::MAX)
                .max(1),
            max_shrink_iters: 512,
            max_shrink_time: SHRINK_MILLIS,
            failure_persistence: Some(if first {
                Box::new(regressions)
            } else {
                Box::new(SaveOnly(regressions))
            }),
            ..Config::default()
        };
        first = false;
        let mut runner = TestRunner::new(config);
        let result = runner.run(&strategy, |scenario| {
            let mut played = Stats::default();
            let outcome = run_scenario(&scenario, &mut played);
            stats.borrow_mut().add(&played);
            outcome.map_err(|violation| TestCaseError::fail(violation.to_string()))
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, minimal)) => {
                let found = format!("{reason}\nminimal scenario: {minimal:#?}");
                if !violations.contains(&found) {
                    violations.push(found);
                }
                if stop_at_first {
                    break;
                }
            }
            Err(TestError::Abort(reason)) => panic!("proptest aborted: {reason}"),
        }
    }
    (stats.into_inner(), violations)
}

/// What a run did, on standard error: counts, the operations played and refused by kind, the
/// refusals by reason, and every violation with its minimal scenario.
pub fn report(name: &str, stats: &Stats, violations: &[String], elapsed: Duration) {
    eprintln!(
        "{name}: {} scenarios, {} operations ({} refused), {} invariant checks, {} violations in \
            {elapsed:.1?}",
        stats.scenarios,
        stats.operations,
        stats.refused,
        stats.invariant_checks,
        violations.len()
    );
    for (op, (played, refused)) in &stats.by_op {
        eprintln!("  {op:<20} {played:>10} played {refused:>10} refused");
    }
    for (reason, count) in &stats.by_refusal {
        eprintln!("  refused: {reason:<40} {count:>10}");
    }
    eprintln!(
        "  validators deleted by the chain: {}",
        stats.deleted_validators
    );
    for violation in violations {
        eprintln!("violation: {violation}");
    }
}

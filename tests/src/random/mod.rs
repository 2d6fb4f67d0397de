//! Random operation sequences against the hub on the strict chain, with the design's nine
//! invariants checked after every operation.
//!
//! A [`Scenario`] is a chain and hub configuration ([`Params`]) and a list of [`Op`]s: what
//! users, keepers, governance and the chain itself do. [`run_scenario`] plays it on a fresh
//! [`crate::Suite`], then drains the queue (unpause, crank, withdraw everything) to check
//! liveness. Every operation is followed by one observation of the hub, the token and the
//! chain ([`observe`]) and two kinds of checks: the invariants that hold in every state
//! (`invariants`), and the exact effect the operation must have had given the state before it
//! (`user_ops`, `keeper_ops`, `governance_ops`, `intruder`, `chain_ops`, with the design's
//! rules in `expect`). A refused operation must be a typed refusal the state justifies for
//! that operation and must leave the observation unchanged (`outcome`).
//!
//! A failed check is a [`Violation`], returned rather than panicked, so that a property-based
//! runner can shrink the sequence. The strategies that draw scenarios are in [`strategy`], the
//! runner that plays them until a number of operations and shrinks failures in [`explore`].

mod agree;
mod chain_ops;
mod drain;
mod expect;
pub mod explore;
mod governance_ops;
mod intruder;
mod invariants;
mod keeper_ops;
pub mod observe;
mod op;
mod outcome;
pub mod strategy;
mod user_ops;
mod world;

use std::collections::BTreeMap;
use std::fmt;

pub use op::{Op, Params, PauseSet, Scenario};
pub use world::World;

/// A broken invariant or an unexpected effect, with the operation that revealed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// Index of the operation in the scenario; `None` during setup or the final drain.
    pub step: Option<usize>,
    pub op: String,
    /// The invariant (1 to 9, as numbered in the design) or effect that failed.
    pub check: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(step) => write!(f, "step {step} ({}): ", self.op)?,
            None => write!(f, "{}: ", self.op)?,
        }
        write!(f, "[{}] {}", self.check, self.detail)
    }
}

/// What a check returns: `Err` names the broken invariant.
pub type Checked = Result<(), Violation>;

/// A check failure before the operation and step are known; [`World`] fills them in.
pub(crate) fn fail(check: &'static str, detail: impl Into<String>) -> Violation {
    Violation {
        step: None,
        op: String::new(),
        check,
        detail: detail.into(),
    }
}

/// Fails `check` with `detail` unless `condition` holds.
pub(crate) fn ensure(
    condition: bool,
    check: &'static str,
    detail: impl FnOnce() -> String,
) -> Checked {
    if condition {
        Ok(())
    } else {
        Err(fail(check, detail()))
    }
}

/// Counts of what a run did, summed over scenarios.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Operations of the scenarios played (the drain's own calls are not counted).
    pub operations: u64,
    /// Operations the hub, the token or the chain refused.
    pub refused: u64,
    /// Invariant checks made: one per invariant per observation.
    pub invariant_checks: u64,
    pub scenarios: u64,
    /// Per kind of operation: (played, refused).
    pub by_op: BTreeMap<&'static str, (u64, u64)>,
    /// Refusals by reason (the error's variant).
    pub by_refusal: BTreeMap<String, u64>,
    /// Validators x/staking deleted (unbonded with no shares left).
    pub deleted_validators: u64,
}

impl Stats {
    pub fn add(&mut self, other: &Stats) {
        self.operations += other.operations;
        self.refused += other.refused;
        self.invariant_checks += other.invariant_checks;
        self.scenarios += other.scenarios;
        self.deleted_validators += other.deleted_validators;
        for (name, (played, refused)) in &other.by_op {
            let entry = self.by_op.entry(name).or_default();
            entry.0 += played;
            entry.1 += refused;
        }
        for (reason, count) in &other.by_refusal {
            *self.by_refusal.entry(reason.clone()).or_default() += count;
        }
    }
}

/// Plays `scenario` on a fresh suite and drains it; returns the first violation.
pub fn run_scenario(scenario: &Scenario, stats: &mut Stats) -> Checked {
    let mut world = World::new(&scenario.params)?;
    let result = world.play(&scenario.ops).and_then(|()| world.drain());
    stats.add(&world.stats);
    stats.scenarios += 1;
    result
}

//! What can stop a run: a bad scenario, a chain that cannot be set up, a call that fails when
//! it should succeed, a broken invariant, or outputs that cannot be written.

use std::fmt;

/// An error that ends the run before or after the simulation proper.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid scenario: {0}")]
    Config(String),
    #[error("setting up the chain failed: {0}")]
    Setup(String),
    /// A transaction the scenario expected to succeed was refused, or a query failed.
    #[error("day {day}: {action} failed: {reason}")]
    Step {
        day: u64,
        action: String,
        reason: String,
    },
    #[error("writing {path} failed: {reason}")]
    Output { path: String, reason: String },
}

/// An invariant found broken after a step.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub day: u64,
    /// Number of the transaction within the run, counting from 1.
    pub step: u64,
    /// The step after which the check failed.
    pub action: String,
    /// The invariant, as the design names it.
    pub invariant: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invariant '{}' broken on day {} after step {} ({}): {}",
            self.invariant, self.day, self.step, self.action, self.detail
        )
    }
}

/// Why a run stopped before its last day.
#[derive(Debug)]
pub enum Halt {
    Violation(Violation),
    Failure(SimError),
}

impl fmt::Display for Halt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Halt::Violation(violation) => write!(f, "{violation}"),
            Halt::Failure(error) => write!(f, "{error}"),
        }
    }
}

impl From<Violation> for Halt {
    fn from(violation: Violation) -> Self {
        Halt::Violation(violation)
    }
}

impl From<SimError> for Halt {
    fn from(error: SimError) -> Self {
        Halt::Failure(error)
    }
}

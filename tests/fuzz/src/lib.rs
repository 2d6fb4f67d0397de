//! Fuzz targets of the Flowstake hub, as a library so that the targets in `fuzz_targets/` stay
//! one call each and a kept input can be replayed by an ordinary test (`tests/regressions.rs`).
//!
//! - [`hub`]: the hub's `execute` and `query` entry points, called directly with arbitrary
//!   messages and funds against a mock chain ([`chain`]) that follows every message the hub
//!   emits, with the hub's own identities ([`identities`]) checked after every accepted call.
//! - [`math`]: the functions of the hub's `math` module against a big-integer reference.
//! - [`sequences`]: random operation sequences on the strict chain, played and checked by the
//!   scenario harness of `flowstake-tests`.
//!
//! Each `run` function takes the fuzzer's bytes and panics on a finding; it returns quietly
//! for any input that is merely refused.

pub mod amount;
pub mod chain;
pub mod hub;
pub mod identities;
pub mod input;
pub mod math;
pub mod sequences;
pub mod storage;

/// Prints a decoded input when `FLOWSTAKE_FUZZ_SHOW` is set: run a target on one kept input
/// with it to read what the input does.
pub fn show(input: &impl std::fmt::Debug) {
    if std::env::var_os("FLOWSTAKE_FUZZ_SHOW").is_some() {
        eprintln!("{input:#?}");
    }
}

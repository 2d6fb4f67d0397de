//! Replays every kept input under `regressions/<target>/` through its target, so that a
//! finding stays reproducible with an ordinary `cargo test` once it is fixed:
//! `cargo test --manifest-path tests/fuzz/Cargo.toml`.
//!
//! An input is bytes read by the target's current input format: a change to that format
//! changes what a kept input does, so each finding is also written out as a scenario
//! (`tests/harness.rs`).

use std::fs;
use std::path::Path;

fn replay(dir: &str, run: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(dir);
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.is_file()) {
        let data = fs::read(path).unwrap();
        println!("replaying {}", path.display());
        run(&data);
    }
}

#[test]
fn hub_execute_regressions() {
    replay("hub_execute", flowstake_fuzz::hub::run);
}

#[test]
fn math_regressions() {
    replay("math", flowstake_fuzz::math::run);
}

#[test]
fn operation_sequences_regressions() {
    replay("operation_sequences", flowstake_fuzz::sequences::run);
}

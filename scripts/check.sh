#!/usr/bin/env bash
# The checks CI runs, in order: formatting, lints, schema drift, the test command (with the
# random-operation properties in their CI size), the wasm artifacts in the real CosmWasm VM,
# the real chain (one node, then the four-validator localnet end to end and a short
# differential run of the strict model against it), then a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain: rustfmt and clippy"
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null
fi
cargo --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "schema matches the code"
scripts/schema.sh --check

step "TypeScript client matches the schema, type-checks and passes its offline tests: scripts/ts-client.sh --check"
scripts/ts-client.sh --check

step "tests: cargo test --workspace --locked"
cargo test --workspace --locked

step "VM harness: fmt and clippy (tests/vm, its own workspace)"
cargo fmt --manifest-path tests/vm/Cargo.toml -p flowstake-vm-tests -p flowstake-vm-floor -- --check
cargo clippy --manifest-path tests/vm/Cargo.toml --workspace --all-targets --locked -- -D warnings

step "wasm artifacts, run in cosmwasm-vm: scripts/vm-test.sh"
scripts/vm-test.sh

step "the real chain: scripts/chain-check.sh (a local injectived node on loopback, stopped by pid)"
scripts/chain-check.sh

step "end to end on the four-validator localnet: scripts/e2e.sh (nodes on loopback, stopped by pid)"
scripts/e2e.sh

step "differential check of the strict model against the localnet: scripts/differential.sh --steps 25 --seed 1 (its own net, stopped by pid)"
scripts/differential.sh --steps 25 --seed 1

step "fuzz targets (tests/fuzz, its own workspace): fmt, kept inputs and harness tests, a short run of each"
cargo fmt --manifest-path tests/fuzz/Cargo.toml -p flowstake-fuzz -- --check
cargo test --manifest-path tests/fuzz/Cargo.toml --locked
scripts/fuzz.sh

#!/usr/bin/env bash
# Builds the artifacts and the gas floor, then runs the VM lifecycle test on them: every
# artifact must be accepted by cosmwasm-vm 2.3.5 and behave as the native build does, and a
# bond at 150 validators must cost at most 5 % more VM gas than at 1 validator.
# Arguments go to scripts/build-wasm.sh (e.g. --route stable).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-wasm.sh --floor "$@"
printf '\n== VM lifecycle test: cargo test --release --locked in tests/vm\n'
cargo test --manifest-path tests/vm/Cargo.toml --release --locked

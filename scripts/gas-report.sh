#!/usr/bin/env bash
# Regenerates docs/gas.json and docs/gas.md: builds the artifacts and the gas floor, then
# measures every hub operation in cosmwasm-vm 2.3.5 at 1 to 150 validators and 1 to 10,000
# holders. Arguments go to scripts/build-wasm.sh (e.g. --route stable).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-wasm.sh --floor "$@"
printf '\n== gas report: cargo run --release --locked --bin gas-report in tests/vm\n'
cargo run --manifest-path tests/vm/Cargo.toml --release --locked --bin gas-report -- --out docs

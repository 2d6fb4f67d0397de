#!/usr/bin/env bash
# End-to-end tests on the real four-validator localnet: builds the artifacts if they are
# missing, starts a fresh localnet (scripts/localnet.sh reset), runs the operator tool's
# localnet tests (packages/operator/tests/localnet.rs, which need the chain and are therefore
# marked ignored for `cargo test --workspace`), and stops every node it started, by pid, also
# when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! [ -f artifacts/flowstake_hub.wasm ] || ! [ -f artifacts/flowstake_token.wasm ] ||
  ! [ -f artifacts/flowstake_collector.wasm ]; then
  scripts/build-wasm.sh
fi

if ! command -v jq >/dev/null 2>&1; then
  apt-get install -y jq >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y jq; }
fi

cleanup() { scripts/localnet.sh down || true; }
trap cleanup EXIT

scripts/localnet.sh reset
printf '\n== e2e: cargo test -p flowstake-operator --test localnet -- --ignored\n'
cargo test -p flowstake-operator --test localnet --locked -- --ignored --test-threads 1

#!/usr/bin/env bash
# Soak run of the invariants under random operations (the properties of
# tests/tests/random_operations.rs, run by the `soak` binary of tests/src/bin):
#
#   scripts/soak.sh OPS
#
# plays OPS operations, with up to 150 validators and 10,000 users, in release, on every core
# (FLOWSTAKE_SOAK_THREADS to choose). The counts per operation and any violation, shrunk to a
# minimal scenario, go to standard error; the last line is exactly
#
#   operations: N, invariant checks: M, violations: V
#
# and the exit status is non-zero if V > 0.
set -euo pipefail
cd "$(dirname "$0")/.."

ops="${1:-}"
if ! [[ "$ops" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/soak.sh OPS" >&2
  exit 2
fi

cargo build --release --locked -p flowstake-tests --bin soak >&2

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
started=$(date +%s)
status=0
cargo run -q --release --locked -p flowstake-tests --bin soak -- "$ops" >"$log" 2>&1 || status=$?
elapsed=$(($(date +%s) - started))

summary_pattern='^operations: [0-9]+, invariant checks: [0-9]+, violations: [0-9]+$'
grep -vE "$summary_pattern" "$log" >&2 || true
echo "soak: ${elapsed}s" >&2
summary="$(grep -E "$summary_pattern" "$log" | tail -n 1 || true)"
if [[ -z "$summary" ]]; then
  echo "soak: the run ended without a summary (status $status)" >&2
  exit 1
fi
echo "$summary"
violations="${summary##*violations: }"
if [[ "$violations" != 0 || "$status" != 0 ]]; then
  exit 1
fi

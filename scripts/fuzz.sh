#!/usr/bin/env bash
# Fuzzes the hub with cargo-fuzz (libFuzzer): builds the targets of tests/fuzz, then runs each
# one for a bounded time or number of executions, one after the other on one core. Prints
# "TARGET: N executions in S s, K crashes" per target. Exits 1 if any target crashed (the input
# is left in tests/fuzz/artifacts/<target>/; see tests/fuzz/regressions/README.md), 130 if a
# signal interrupted a run before its limit.
#
#   scripts/fuzz.sh              every target for 60 s (what CI runs)
#   scripts/fuzz.sh 600          every target for 600 s
#   scripts/fuzz.sh --runs N     every target for N executions
#
# FUZZ_TARGETS="math hub_execute" limits the targets (run two invocations with one target each
# to use two cores); FUZZ_TOOLCHAIN overrides the pinned nightly. Installs what it needs: the
# nightly toolchain (minimal profile) and cargo-fuzz. Corpora accumulate in
# tests/fuzz/corpus/<target>/ (not committed).
#
# Instrumentation (see tests/fuzz/rustc-wrapper.sh): coverage only for this repository's
# crates (FUZZ_INSTRUMENT=all for every crate, or a regex of crate names), without
# comparison tracing (FUZZ_TRACE_COMPARES=1 to add it); each costs about half the throughput.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly-2026-05-20}"
CARGO_FUZZ_VERSION="0.13.2"
read -r -a TARGETS <<<"${FUZZ_TARGETS:-hub_execute math operation_sequences}"
FUZZ_DIR="tests/fuzz"
# Safe Rust only (no `unsafe` in the contracts): overflow checks and debug assertions, not a
# sanitizer, are what catch bugs here, and AddressSanitizer would halve the throughput.
SANITIZER="none"

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

limit=(-max_total_time=60)
case "${1:-}" in
  "") ;;
  --runs)
    [[ "${2:-}" =~ ^[0-9]+$ ]] || usage
    limit=(-runs="$2")
    ;;
  -h | --help) usage ;;
  *)
    [[ "$1" =~ ^[0-9]+$ ]] || usage
    limit=(-max_total_time="$1")
    ;;
esac

step() { printf '\n== %s\n' "$*"; }

step "toolchain: $TOOLCHAIN and cargo-fuzz $CARGO_FUZZ_VERSION"
if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$TOOLCHAIN" --profile minimal
fi
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
rustup run "$TOOLCHAIN" rustc --version
cargo fuzz --version

# Coverage for the crates of this repository only: RUSTC_WRAPPER strips cargo-fuzz's
# instrumentation flags from every other crate. Cargo does not rebuild when the wrapper or
# its pattern changes, so a cfg naming the pattern goes into RUSTFLAGS (which cargo-fuzz
# passes on): the fingerprint changes with it.
instrument="${FUZZ_INSTRUMENT:-}"
marker="fuzz_instrument_$(printf '%s' "${instrument:-default}" | cksum | cut -d' ' -f1)"
export FUZZ_INSTRUMENT="$instrument"
export RUSTC_WRAPPER="$PWD/$FUZZ_DIR/rustc-wrapper.sh"
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg=$marker"
build_flags=(--fuzz-dir "$FUZZ_DIR" -s "$SANITIZER")
if [[ "${FUZZ_TRACE_COMPARES:-0}" != 1 ]]; then
  build_flags+=(--no-trace-compares)
fi

step "build: cargo fuzz build ${build_flags[*]} (instrumented: ${instrument:-the flowstake crates})"
started=$SECONDS
cargo "+$TOOLCHAIN" fuzz build "${build_flags[@]}"
printf 'built in %d s\n' $((SECONDS - started))

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
summary=()
failed=0
interrupted=0
for target in "${TARGETS[@]}"; do
  step "fuzz $target: ${limit[*]}"
  started=$(date +%s.%N)
  status=0
  cargo "+$TOOLCHAIN" fuzz run "${build_flags[@]}" "$target" -- \
    "${limit[@]}" -timeout=120 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1 || status=$?
  elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a + 0.5 }')
  # libFuzzer's final statistics count every execution, the corpus replay included; the
  # "Done N runs" line is printed only when no crash stopped the run.
  runs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)"
  if [[ -z "$runs" ]]; then
    runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)"
  fi
  runs="${runs:-?}"
  if [[ $status -eq 0 ]]; then
    grep -E '^stat::' "$log" || true
    summary+=("$target: $runs executions in $elapsed s, 0 crashes")
    continue
  fi
  if grep -q 'libFuzzer: run interrupted' "$log"; then
    # A signal stopped the run (libFuzzer exits 72): not a crash, but not a finished run.
    grep -E '^stat::' "$log" || true
    summary+=("$target: $runs executions in $elapsed s, 0 crashes, interrupted before its limit")
    interrupted=1
    continue
  fi
  failed=1
  artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
  if [[ -n "$artifact" ]]; then
    # The panic message and the scenario it prints, without libFuzzer's noise.
    grep -vE '^(INFO|WARNING|#[0-9]+)' "$log" | grep -B 2 -A 60 -m 1 'panicked at' || tail -n 60 "$log"
    summary+=("$target: $runs executions in $elapsed s, 1 crash: $artifact")
  else
    tail -n 60 "$log"
    summary+=("$target: $runs executions in $elapsed s, 1 crash (no input written; exit $status)")
  fi
done

step "summary"
printf '%s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
  printf '\nA target crashed: replay the input with %s/target/%s/release/TARGET INPUT\n' \
    "$FUZZ_DIR" "$(rustup run "$TOOLCHAIN" rustc -vV | sed -n 's/^host: //p')"
  printf '(FLOWSTAKE_FUZZ_SHOW=1 prints what it does), keep it under %s/regressions/TARGET/\n' \
    "$FUZZ_DIR"
  printf 'and write it out as a scenario (see the README there).\n'
  exit 1
fi
if [[ $interrupted -ne 0 ]]; then
  exit 130
fi

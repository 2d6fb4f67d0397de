#!/usr/bin/env bash
# Fuzzes the hub with cargo-fuzz (libFuzzer): builds the targets of tests/fuzz, then runs each
# one for a bounded time or number of executions, one target after the other. Prints
# "TARGET: N executions in S s, K crashes" per target. Exits 1 if any target crashed (the input
# is left in tests/fuzz/artifacts/<target>/; see tests/fuzz/regressions/README.md), 130 if a
# signal interrupted a run before its limit (SIGINT, or SIGTERM for a script started in the
# background, where bash ignores SIGINT); the executions run until then are still printed.
#
#   scripts/fuzz.sh              every target for 60 s (what CI runs)
#   scripts/fuzz.sh 600          every target for 600 s
#   scripts/fuzz.sh --runs N     every target for N executions
#
# FUZZ_TARGETS="math hub_execute" limits the targets. FUZZ_WORKERS=2 runs two fuzzing
# processes per target on one shared corpus (each sees the other's finds within a second): a
# time limit applies to each, an execution limit is split between them. FUZZ_TOOLCHAIN
# overrides the pinned nightly. Installs what it needs: the nightly toolchain (minimal
# profile) and cargo-fuzz. Corpora accumulate in tests/fuzz/corpus/<target>/ (not committed).
#
# Instrumentation (see tests/fuzz/rustc-wrapper.sh) is limited, per target, to the crates whose
# branches should guide it, without comparison tracing (FUZZ_TRACE_COMPARES=1 adds it);
# FUZZ_INSTRUMENT=all, or a regex of crate names, overrides it for every target.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly-2026-05-20}"
CARGO_FUZZ_VERSION="0.13.2"
read -r -a TARGETS <<<"${FUZZ_TARGETS:-hub_execute math operation_sequences}"
WORKERS="${FUZZ_WORKERS:-1}"
FUZZ_DIR="tests/fuzz"
# Safe Rust only (no `unsafe` in the contracts): overflow checks and debug assertions, not a
# sanitizer, are what catch bugs here, and AddressSanitizer would halve the throughput.
SANITIZER="none"
# cw-multi-test wraps every refusal in an anyhow error, which captures a stack trace whenever
# RUST_BACKTRACE is set; a panic still prints its trace.
export RUST_LIB_BACKTRACE=0

usage() {
  # The comment block at the top of this file, without its comment marks.
  awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"
  exit 2
}

mode=time
limit=60
case "${1:-}" in
  "") ;;
  --runs)
    [[ "${2:-}" =~ ^[0-9]+$ ]] || usage
    mode=runs
    limit="$2"
    ;;
  -h | --help) usage ;;
  *)
    [[ "$1" =~ ^[0-9]+$ ]] || usage
    limit="$1"
    ;;
esac
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || usage

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
HOST="$(rustup run "$TOOLCHAIN" rustc -vV | sed -n 's/^host: //p')"

# Two builds ("flavours"), each in its own target directory:
# - full (hub_execute, math): coverage of the Flowstake crates, cw_ownable, cw20_base and the
#   targets; libFuzzer as libfuzzer-sys builds it, whose memcmp and strcmp interceptors feed
#   compared strings (message keys, storage keys) back into hub_execute's JSON mutations.
# - lean (operation_sequences): coverage of the contracts and their messages only, not of the
#   scenario harness and strict chain that drive them; libFuzzer without its interceptors,
#   through which every key comparison of the in-process chain's storage went (a fifth of the
#   time of an execution). About 1.7 times the executions per second.
flavour_of() {
  case "$1" in
    operation_sequences) echo lean ;;
    *) echo full ;;
  esac
}

# libFuzzer from libfuzzer-sys's own sources (the version Cargo.lock pins), without
# FuzzerInterceptors.cpp; libfuzzer-sys links it instead of building its own when
# CUSTOM_LIBFUZZER_PATH names it.
lean_libfuzzer() {
  local manifest source out object
  manifest="$(cargo metadata --manifest-path "$FUZZ_DIR/Cargo.toml" --format-version 1 --locked |
    grep -o '"manifest_path":"[^"]*/libfuzzer-sys-[0-9][^"/]*/Cargo.toml"' | head -n 1 |
    sed 's/^"manifest_path":"//; s/"$//')"
  [[ -n "$manifest" ]] || { echo "libfuzzer-sys not found in cargo metadata" >&2; exit 1; }
  source="$(dirname "$manifest")/libfuzzer"
  out="$PWD/$FUZZ_DIR/target/lean/$(basename "$(dirname "$manifest")")"
  if [[ ! -f "$out/libfuzzer-lean.a" ]]; then
    mkdir -p "$out/objects"
    for file in "$source"/*.cpp; do
      [[ "$(basename "$file")" == FuzzerInterceptors.cpp ]] && continue
      object="$out/objects/$(basename "$file" .cpp).o"
      "${CXX:-c++}" -std=c++17 -O2 -fPIC -fno-omit-frame-pointer -w -c "$file" -o "$object"
    done
    ar rcs "$out/libfuzzer-lean.a" "$out"/objects/*.o
  fi
  printf '%s/libfuzzer-lean.a' "$out"
}

# Sets the environment of a flavour's build and run; prints its target directory.
target_dir=""
lean_library=""
use_flavour() {
  local instrument
  unset CUSTOM_LIBFUZZER_PATH
  case "$1" in
    full)
      # Empty: the wrapper's default pattern.
      instrument="${FUZZ_INSTRUMENT_OVERRIDE:-}"
      target_dir="$PWD/$FUZZ_DIR/target"
      ;;
    lean)
      instrument="${FUZZ_INSTRUMENT_OVERRIDE:-^(flowstake|flowstake_hub|flowstake_token|cw20_base|operation_sequences)$}"
      target_dir="$PWD/$FUZZ_DIR/target/lean"
      # Located (and built) once per invocation.
      [[ -n "$lean_library" ]] || lean_library="$(lean_libfuzzer)"
      export CUSTOM_LIBFUZZER_PATH="$lean_library"
      ;;
  esac
  # RUSTC_WRAPPER strips cargo-fuzz's instrumentation flags from the crates the pattern does
  # not name. Cargo does not rebuild when the wrapper's pattern changes, so a cfg naming the
  # pattern goes into RUSTFLAGS (which cargo-fuzz passes on): the fingerprint changes with it.
  export FUZZ_INSTRUMENT="$instrument"
  export RUSTC_WRAPPER="$PWD/$FUZZ_DIR/rustc-wrapper.sh"
  export RUSTFLAGS="${BASE_RUSTFLAGS:+$BASE_RUSTFLAGS }--cfg=fuzz_instrument_$(printf '%s' "$instrument" | cksum | cut -d' ' -f1)"
}
FUZZ_INSTRUMENT_OVERRIDE="${FUZZ_INSTRUMENT:-}"
BASE_RUSTFLAGS="${RUSTFLAGS:-}"
build_flags=(--fuzz-dir "$FUZZ_DIR" -s "$SANITIZER")
if [[ "${FUZZ_TRACE_COMPARES:-0}" != 1 ]]; then
  build_flags+=(--no-trace-compares)
fi

for flavour in full lean; do
  wanted=()
  for target in "${TARGETS[@]}"; do
    [[ "$(flavour_of "$target")" == "$flavour" ]] && wanted+=("$target")
  done
  [[ ${#wanted[@]} -gt 0 ]] || continue
  use_flavour "$flavour"
  for target in "${wanted[@]}"; do
    step "build $target ($flavour): cargo fuzz build ${build_flags[*]} (instrumented: ${FUZZ_INSTRUMENT:-rustc-wrapper.sh default})"
    started=$SECONDS
    cargo "+$TOOLCHAIN" fuzz build "${build_flags[@]}" --target-dir "$target_dir" "$target"
    printf 'built in %d s\n' $((SECONDS - started))
  done
done

logs="$(mktemp -d)"
workers=()
watchdog=""
# Asks the running workers to stop (libFuzzer prints its statistics on SIGINT). A worker that
# receives it while handling a crash of its own can deadlock in libFuzzer's handlers, so any
# worker still there 30 s later is killed.
stop_workers() {
  local pid
  [[ ${#workers[@]} -gt 0 && -z "$watchdog" ]] || return 0
  for pid in "${workers[@]}"; do
    kill -INT "$pid" 2>/dev/null || true
  done
  (sleep 30 && kill -KILL "${workers[@]}" 2>/dev/null) &
  watchdog=$!
}
trap 'stop_workers; rm -rf "$logs"' EXIT
# A signal to the script stops the workers, which then report what they ran.
trap 'stop_workers' INT TERM

# Executions of one worker's run: libFuzzer's final statistics count every execution, the
# corpus replay included; the "Done N runs" line is printed only when no crash stopped it.
executions_of() {
  local runs
  runs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$1" | tail -n 1)"
  if [[ -z "$runs" ]]; then
    runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$1" | tail -n 1)"
  fi
  if [[ -z "$runs" ]]; then
    # A killed worker: its last progress line.
    runs="$(sed -n 's/^#\([0-9]*\)[[:space:]].*/\1/p' "$1" | tail -n 1)"
  fi
  printf '%s' "${runs:-0}"
}

summary=()
failed=0
interrupted=0
for target in "${TARGETS[@]}"; do
  use_flavour "$(flavour_of "$target")"
  binary="$target_dir/$HOST/release/$target"
  corpus="$FUZZ_DIR/corpus/$target"
  artifacts="$FUZZ_DIR/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  step "fuzz $target: $WORKERS worker(s), $mode limit $limit"
  started=$(date +%s.%N)
  workers=()
  for ((worker = 0; worker < WORKERS; worker++)); do
    if [[ $mode == runs ]]; then
      share=$((limit / WORKERS + (worker < limit % WORKERS ? 1 : 0)))
      bound=(-runs="$share")
    else
      bound=(-max_total_time="$limit")
    fi
    "$binary" -artifact_prefix="$artifacts/" "${bound[@]}" -timeout=120 -rss_limit_mb=4096 \
      -print_final_stats=1 "$corpus" >"$logs/$target.$worker" 2>&1 &
    workers+=($!)
  done
  # A crash in one worker stops the others: its input is what matters.
  statuses=()
  running=("${workers[@]}")
  while ((${#running[@]} > 0)); do
    status=0
    finished=""
    wait -n -p finished "${running[@]}" || status=$?
    # A trapped signal interrupts the wait itself: wait again for the workers.
    [[ -n "${finished:-}" ]] || continue
    still=()
    for ((worker = 0; worker < WORKERS; worker++)); do
      if [[ "${workers[worker]}" == "$finished" ]]; then
        statuses[worker]=$status
      elif [[ -z "${statuses[worker]:-}" ]]; then
        still+=("${workers[worker]}")
      fi
    done
    running=("${still[@]}")
    if [[ $status -ne 0 ]] && ! grep -q 'libFuzzer: run interrupted' "$logs/$target".*; then
      stop_workers
    fi
  done
  if [[ -n "$watchdog" ]]; then
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" 2>/dev/null || true
    watchdog=""
  fi
  workers=()
  elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a + 0.5 }')
  runs=0
  crashed=()
  cut_short=0
  for ((worker = 0; worker < WORKERS; worker++)); do
    log="$logs/$target.$worker"
    runs=$((runs + $(executions_of "$log")))
    [[ ${statuses[worker]} -eq 0 ]] && continue
    if grep -q 'libFuzzer: run interrupted' "$log"; then
      # A signal stopped the run (libFuzzer exits 72): not a crash, but not a finished run.
      cut_short=1
      continue
    fi
    crashed+=("$worker")
  done
  grep -hE '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
    "$logs/$target".* || true
  if [[ ${#crashed[@]} -eq 0 ]]; then
    if [[ $cut_short -eq 0 ]]; then
      summary+=("$target: $runs executions in $elapsed s, 0 crashes")
    else
      summary+=("$target: $runs executions in $elapsed s, 0 crashes, interrupted before its limit")
      interrupted=1
    fi
    continue
  fi
  failed=1
  for worker in "${crashed[@]}"; do
    log="$logs/$target.$worker"
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    if [[ -n "$artifact" ]]; then
      # The panic message and the scenario it prints, without libFuzzer's noise.
      grep -vE '^(INFO|WARNING|#[0-9]+)' "$log" | grep -B 2 -A 60 -m 1 'panicked at' ||
        tail -n 60 "$log"
      summary+=("$target: $runs executions in $elapsed s, crash: $artifact (replay: $binary $artifact)")
    else
      tail -n 60 "$log"
      summary+=("$target: $runs executions in $elapsed s, crash (no input written; exit ${statuses[worker]})")
    fi
  done
done

step "summary"
printf '%s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
  printf '\nA target crashed: replay the input as the summary says (FLOWSTAKE_FUZZ_SHOW=1\n'
  printf 'prints what it does), keep it under %s/regressions/TARGET/ and write it out as a\n' \
    "$FUZZ_DIR"
  printf 'scenario (see the README there).\n'
  exit 1
fi
if [[ $interrupted -ne 0 ]]; then
  exit 130
fi

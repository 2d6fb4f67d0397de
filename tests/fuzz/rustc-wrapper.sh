#!/usr/bin/env bash
# A rustc wrapper for the fuzz build (scripts/fuzz.sh sets it as RUSTC_WRAPPER): coverage
# instrumentation only for the crates of this repository (flowstake*, and the fuzz targets),
# not for cosmwasm-std, cw-multi-test, serde and the rest of the dependencies. libFuzzer is
# then guided by the hub's own branches, and each execution costs a fraction of what it costs
# with every dependency instrumented: cargo-fuzz instruments all crates through RUSTFLAGS and
# has no option to limit it.
#
# FUZZ_INSTRUMENT: extended regex of the crate names to instrument (default below);
# FUZZ_INSTRUMENT=all instruments every crate, as plain cargo-fuzz does.
set -euo pipefail
rustc="$1"
shift
pattern="${FUZZ_INSTRUMENT:-^(flowstake.*|cw_ownable|cw20_base|hub_execute|math|operation_sequences)$}"

crate=""
previous=""
for arg in "$@"; do
  if [[ "$previous" == "--crate-name" ]]; then
    crate="$arg"
    break
  fi
  previous="$arg"
done

if [[ "$pattern" == "all" || -z "$crate" || "$crate" =~ $pattern ]]; then
  exec "$rustc" "$@"
fi

args=()
for arg in "$@"; do
  case "$arg" in
    -Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-* | \
      -Cllvm-args=-simplifycfg-branch-fold-threshold=*) ;;
    *) args+=("$arg") ;;
  esac
done
exec "$rustc" "${args[@]}"

#!/usr/bin/env bash
# Differential check of the strict staking model (tests/src/strict) against the real chain:
# starts a localnet of its own (target/localnet/diff-net, ports 27000+, so that it runs beside
# the default net and the gas net), plays one seeded random sequence of staking, distribution
# and bank operations on the chain and on the model and compares them after every step
# (packages/operator/tests/differential.rs), then stops every node it started, by pid, also
# when the run fails or is interrupted.
#
#   scripts/differential.sh [--steps N] [--seed S]
#
# --steps: operations to play (default 25: a few minutes, the CI run; the long run used 200+).
# --seed:  the sequence (default: drawn from the clock, printed); the same seed plays the same
#          sequence again.
# The run's output is also written to target/differential/seed-S-steps-N.log.
# Exit codes: 0 no difference, 1 a difference or a failure, 2 bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: scripts/differential.sh [--steps N] [--seed S]
  --steps N   operations to play (default 25)
  --seed S    seed of the random sequence (default: from the clock)
env: LOCALNET_NET_DIR (default target/localnet/diff-net), LOCALNET_PORT_BASE (default 27000)
EOF
}

steps=25
seed=
while [ $# -gt 0 ]; do
  case $1 in
    --steps) [ $# -ge 2 ] || { usage >&2; exit 2; }; steps=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || { usage >&2; exit 2; }; seed=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $steps =~ ^[0-9]+$ ]] && [ "$steps" -gt 0 ] || { echo "differential: --steps must be a positive number" >&2; exit 2; }
[ -n "$seed" ] || seed=$(( $(date +%s%N) % 1000000000 ))
[[ $seed =~ ^[0-9]+$ ]] || { echo "differential: --seed must be a number" >&2; exit 2; }

export LOCALNET_NET_DIR=${LOCALNET_NET_DIR:-$PWD/target/localnet/diff-net}
export LOCALNET_PORT_BASE=${LOCALNET_PORT_BASE:-27000}

if ! command -v jq >/dev/null 2>&1; then
  apt-get install -y jq >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y jq; }
fi

# Build first: the chain's clock does not wait for the compiler.
cargo test -p flowstake-operator --test differential --locked --no-run

# localnet.sh waits while another of its commands (on any net) holds their shared lock.
localnet() { scripts/localnet.sh "$@"; }

cleanup() { localnet down || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh net every run.
localnet reset
mkdir -p target/differential
log=target/differential/seed-$seed-steps-$steps.log
printf '\n== differential: seed %s, %s steps (log %s)\n' "$seed" "$steps" "$log"
started=$(date +%s)
status=0
DIFF_STEPS=$steps DIFF_SEED=$seed cargo test -p flowstake-operator --test differential --locked \
  -- --ignored --nocapture --test-threads 1 2>&1 | tee "$log" || status=$?
printf '== differential: seed %s, %s steps: %s in %s s\n' "$seed" "$steps" \
  "$([ $status -eq 0 ] && echo 'no difference' || echo FAILED)" "$(( $(date +%s) - started ))"
exit $status

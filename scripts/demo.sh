#!/usr/bin/env bash
# A short demonstration on the localnet (start it first: scripts/localnet.sh up): builds the
# operator tool, deploys a fresh hub, bonds and queues an unbond as user1, runs the keeper
# until the batch is reconciled, withdraws, and prints the hub's status along the way.
# Everything goes through `flowstake` (packages/operator) and the localnet's chain file.
set -euo pipefail
cd "$(dirname "$0")/.."

accounts=target/localnet/net/accounts.json
[ -f "$accounts" ] || { echo "demo: no localnet (run scripts/localnet.sh up)" >&2; exit 1; }
mnemonic() { jq -r --arg n "$1" '.accounts[] | select(.name == $n) | .mnemonic' "$accounts"; }

cargo build --locked -p flowstake-operator
tool=target/debug/flowstake
deployment=target/localnet/demo-deployment.json
[ -f artifacts/flowstake_hub.wasm ] || scripts/build-wasm.sh

say() { printf '\n== %s\n' "$*"; }
say "deploy (as deployer)"
FLOWSTAKE_MNEMONIC=$(mnemonic deployer) "$tool" --deployment "$deployment" deploy \
  --max-reward-rate 10
say "bond 5000000000 and queue 1000000000 (as user1)"
FLOWSTAKE_MNEMONIC=$(mnemonic user1) "$tool" --deployment "$deployment" bond 5000000000
FLOWSTAKE_MNEMONIC=$(mnemonic user1) "$tool" --deployment "$deployment" unbond 1000000000
"$tool" --deployment "$deployment" status

say "keeper (as keeper) until the batch is reconciled: about two minutes"
FLOWSTAKE_MNEMONIC=$(mnemonic keeper) "$tool" --deployment "$deployment" keeper \
  --interval 3 --harvest-every 30 &
keeper=$!
trap 'kill -TERM "$keeper" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  sleep 3
  if "$tool" --deployment "$deployment" status --json |
    jq -e '.open_batches == [] and .pending.id > 1' >/dev/null; then
    break
  fi
done
kill -TERM "$keeper"
wait "$keeper" || true
trap - EXIT

say "withdraw (as user1)"
FLOWSTAKE_MNEMONIC=$(mnemonic user1) "$tool" --deployment "$deployment" withdraw
"$tool" --deployment "$deployment" status

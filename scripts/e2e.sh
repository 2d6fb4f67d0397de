#!/usr/bin/env bash
# End-to-end tests on the real four-validator localnet: builds the artifacts if they are
# missing, starts a fresh localnet (scripts/localnet.sh reset), runs the operator tool's
# localnet tests (packages/operator/tests/localnet.rs, which need the chain and are therefore
# marked ignored for `cargo test --workspace`), then deploys a hub with a liquidity buffer and
# runs the TypeScript client's smoke test against it (packages/ts-client), and stops every node
# it started, by pid, also when a test fails.
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

printf '\n== e2e: the TypeScript client against the localnet (packages/ts-client, npm run smoke)\n'
scripts/ts-client.sh --check
cargo build --locked -p flowstake-operator
accounts=target/localnet/net/accounts.json
mnemonic() { jq -r --arg n "$1" '.accounts[] | select(.name == $n) | .mnemonic' "$accounts"; }
smoke_deployment=target/localnet/ts-smoke-deployment.json
rm -f "$smoke_deployment"
FLOWSTAKE_MNEMONIC=$(mnemonic deployer) target/debug/flowstake --deployment "$smoke_deployment" \
  deploy --buffer-target 0.1 --exit-fee 0.005 --epoch 600
rpc=$(sed -n 's/^rpc = "\(.*\)"$/\1/p' packages/operator/chains/localnet.toml)
FLOWSTAKE_RPC=$rpc FLOWSTAKE_DEPLOYMENT=$PWD/$smoke_deployment FLOWSTAKE_MNEMONIC=$(mnemonic user5) \
  npm --prefix packages/ts-client run smoke

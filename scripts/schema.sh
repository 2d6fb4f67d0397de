#!/usr/bin/env bash
# Regenerates the JSON schema of every contract into schema/.
# With --check, fails if the committed schema differs from what the code generates.
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir=schema
if [ "${1:-}" = "--check" ]; then
  out_dir=$(mktemp -d)
  trap 'rm -rf "$out_dir"' EXIT
fi
mkdir -p "$out_dir"
for contract in hub token collector; do
  echo "schema: flowstake-$contract -> $out_dir/flowstake-$contract.json"
  cargo run --quiet --locked -p "flowstake-$contract" --bin "schema-$contract" -- "$out_dir"
done

if [ "${1:-}" = "--check" ]; then
  if ! diff -ru schema "$out_dir"; then
    echo "schema/ is out of date: run scripts/schema.sh and commit the result" >&2
    exit 1
  fi
  echo "schema: committed files match the code"
fi

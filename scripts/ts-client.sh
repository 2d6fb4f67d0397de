#!/usr/bin/env bash
# The TypeScript client (packages/ts-client). With no argument, regenerates its contract clients
# in packages/ts-client/src/generated/ from schema/ with the package's pinned
# @cosmwasm/ts-codegen. With --check, regenerates into a temporary folder and fails if the
# committed files differ, then type-checks the package (tsc --noEmit) and runs its offline
# tests (node --test). Needs node 20+ and npm; installs the locked dependencies itself (npm ci)
# when node_modules is missing or was installed from another package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in
  "" | --check) ;;
  *) echo "usage: scripts/ts-client.sh [--check]" >&2; exit 2 ;;
esac
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "ts-client: $tool is not installed (node 20+ needed)" >&2; exit 1; }
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { echo "ts-client: node $(node --version) is too old (node 20+ needed)" >&2; exit 1; }

pkg=packages/ts-client
stamp=$pkg/node_modules/.flowstake-lock
lock_sum=$(sha256sum "$pkg/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$lock_sum" ]; then
  echo "ts-client: npm ci in $pkg"
  (cd "$pkg" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$stamp"
fi

if [ "$mode" != "--check" ]; then
  (cd "$pkg" && node scripts/codegen.js ../../schema src/generated)
  echo "ts-client: regenerated $pkg/src/generated from schema/"
  exit 0
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$pkg" && node scripts/codegen.js ../../schema "$out/generated")
if ! diff -ru "$pkg/src/generated" "$out/generated"; then
  echo "ts-client: $pkg/src/generated is out of date with schema/: run scripts/ts-client.sh and commit the result" >&2
  exit 1
fi
echo "ts-client: committed generated clients match schema/"
(cd "$pkg" && node_modules/.bin/tsc --noEmit -p tsconfig.json)
echo "ts-client: tsc --noEmit passed"
(cd "$pkg" && rm -rf dist && node_modules/.bin/tsc -p tsconfig.json && node --test dist/test/unit.test.js)

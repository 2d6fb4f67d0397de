#!/usr/bin/env bash
# Real gas of every hub transaction on a real node (injectived 1.20.1), for hub sets of several
# sizes, beside the chain's own staking messages, with the block's gas limit.
#
#   scripts/chain-gas.sh [--sizes 1,10,30,60,150] [--rev REV]
#   scripts/chain-gas.sh --render     only rewrite the docs from the last runs' figures
#
# For each size N: builds a fresh localnet of its own (target/localnet/gas-net, ports
# 26900-26939, chain id flowstake-gas-1) with max(0, N-3) node-less validators, so that the
# four nodes' validators and N-4 node-less ones form the hub's set and one validator stays
# outside it for add_validator (scripts/localnet.sh funds at most 99 node-less validators;
# beyond that it builds the genesis and this script creates them); raises node1's simulation limit (app.toml
# `wasm.simulation_gas_limit`, simulations only: blocks keep their limit) so that a transaction
# too large for a block still shows what it needs; runs the ignored test `chain_gas`
# (packages/operator/tests/chain_gas.rs); stops the net. The net is stopped whatever happens.
#
# The wasm measured is built by scripts/build-wasm.sh from a clean export, in
# target/chain-gas/src/<sha>, of the last commit up to REV (default HEAD) that changed what the
# wasm is built from (contracts/, packages/flowstake/, Cargo.toml, Cargo.lock, build-wasm.sh):
# uncommitted changes in the work tree are never measured; that short sha is the `commit`
# recorded.
#
# Writes docs/gas-chain.json and docs/gas-chain.md (from target/chain-gas/size-N.json, one per
# size, kept from earlier runs for sizes not run now). Needs what scripts/localnet.sh needs,
# plus git and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

sizes=1,10,30,60,150
rev=HEAD
render_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --render)
      render_only=true
      shift
      ;;
    --sizes)
      sizes=${2:?--sizes needs a list}
      shift 2
      ;;
    --sizes=*)
      sizes=${1#--sizes=}
      shift
      ;;
    --rev)
      rev=${2:?--rev needs a revision}
      shift 2
      ;;
    -h | --help)
      awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"
      exit 0
      ;;
    *)
      echo "chain-gas: unknown argument: $1 (see --help)" >&2
      exit 2
      ;;
  esac
done
IFS=, read -r -a size_list <<<"$sizes"
for n in "${size_list[@]}"; do
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 196 ] ||
    {
      echo "chain-gas: a size is 1..196, not '$n'" >&2
      exit 2
    }
done

export LOCALNET_NET_DIR=$root/target/localnet/gas-net
export LOCALNET_PORT_BASE=26900
export LOCALNET_CHAIN_ID=flowstake-gas-1
work=$root/target/chain-gas
mkdir -p "$work"
t_start=$SECONDS

say() { printf '\nchain-gas: %s\n' "$*"; }
info() { printf 'chain-gas:   %s\n' "$*"; }
die() {
  printf 'chain-gas: error: %s\n' "$*" >&2
  exit 1
}

# localnet ARGS...: scripts/localnet.sh on this script's net (it waits while another of its
# commands, on any net, holds their shared lock).
localnet() { scripts/localnet.sh "$@"; }

# The most node-less validators localnet.sh can fund (from val1's 1e24 inj, 1e22 each).
localnet_max=99
node_bin=$root/target/localnet/venv/bin/injectived

# cli_tx FROM ARGS...: a transaction from the net's keyring, broadcast to node1; prints its hash.
cli_tx() {
  local from=$1 out json
  shift
  out=$("$node_bin" tx "$@" --from "$from" --keyring-backend test --keyring-dir "$LOCALNET_NET_DIR/keyring" \
    --home "$LOCALNET_NET_DIR/node1" --chain-id "$LOCALNET_CHAIN_ID" --node "tcp://127.0.0.1:$((LOCALNET_PORT_BASE + 1))" \
    --fees 10000000000000000inj -b sync -y -o json 2>&1) || die "tx $1 $2 from $from: $(tail -3 <<<"$out")"
  json=$(grep '^{' <<<"$out" | tail -1)
  [ "$(jq -r .code <<<"$json")" = 0 ] || die "tx $1 $2 from $from refused: $(jq -r .raw_log <<<"$json")"
  jq -r .txhash <<<"$json"
}
# wait_included HASH...: until every transaction is in a block and succeeded (120 s at most).
wait_included() {
  local api=http://127.0.0.1:$((LOCALNET_PORT_BASE + 3)) hash code deadline=$((SECONDS + 120))
  for hash in "$@"; do
    while :; do
      code=$(curl -sf -m 3 "$api/cosmos/tx/v1beta1/txs/$hash" 2>/dev/null | jq -r .tx_response.code 2>/dev/null || true)
      [ -z "$code" ] || break
      [ "$SECONDS" -lt "$deadline" ] || die "transaction $hash not in a block after 120 s"
      sleep 0.5
    done
    [ "$code" = 0 ] || die "transaction $hash failed (code $code)"
  done
}
# create_nodeless K: funds nodeless1..K (accounts.json) from val1..val4 and sends each one's
# create-validator (1e21 stake self-bonded, a fresh consensus key), as localnet.sh does for
# fewer; waits until 4 + K validators are bonded.
create_nodeless() {
  local k=$1 i v from addrs hashes=() jobs=() tmp dir=$LOCALNET_NET_DIR/nodeless bonded start=$SECONDS
  local accounts=$LOCALNET_NET_DIR/accounts.json
  mkdir -p "$dir"
  for v in 1 2 3 4; do
    addrs=()
    for i in $(seq "$v" 4 "$k"); do
      addrs+=("$(jq -r --arg n "nodeless$i" '.accounts[] | select(.name == $n) | .address' "$accounts")")
    done
    from=$(jq -r --arg n "val$v" '.accounts[] | select(.name == $n) | .address' "$accounts")
    hashes+=("$(cli_tx "val$v" bank multi-send "$from" "${addrs[@]}" 2000000000000000000000stake,10000000000000000000000inj --gas auto --gas-adjustment 1.5)")
  done
  wait_included "${hashes[@]}"
  info "funded nodeless1..nodeless$k from val1..val4"
  for i in $(seq 1 "$k"); do
    tmp=$dir/.init-nodeless$i
    rm -rf "$tmp"
    "$node_bin" init "nodeless$i" --chain-id "$LOCALNET_CHAIN_ID" --home "$tmp" >/dev/null 2>&1 || die "consensus key for nodeless$i"
    jq -n --argjson pubkey "$("$node_bin" tendermint show-validator --home "$tmp")" --arg moniker "nodeless$i" '{
      pubkey: $pubkey, amount: "1000000000000000000000stake", moniker: $moniker, identity: "",
      website: "", security: "", details: "localnet validator without a node",
      "commission-rate": "0.1", "commission-max-rate": "0.2", "commission-max-change-rate": "0.01",
      "min-self-delegation": "1" }' >"$dir/nodeless$i.json"
    rm -rf "$tmp"
  done
  hashes=()
  for i in $(seq 1 "$k"); do
    (cli_tx "nodeless$i" staking create-validator "$dir/nodeless$i.json" --gas 400000 >"$dir/nodeless$i.txhash") &
    jobs+=($!)
    if [ $((i % 8)) = 0 ] || [ "$i" = "$k" ]; then
      for v in "${jobs[@]}"; do wait "$v" || die "a create-validator transaction was not accepted"; done
      jobs=()
      info "create-validator broadcast: $i of $k"
    fi
  done
  for i in $(seq 1 "$k"); do hashes+=("$(cat "$dir/nodeless$i.txhash")"); done
  wait_included "${hashes[@]}"
  while :; do
    bonded=$(curl -sf -m 5 "http://127.0.0.1:$((LOCALNET_PORT_BASE + 3))/cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED&pagination.limit=1000" |
      jq '.validators | length' 2>/dev/null || echo 0)
    [ "$bonded" -ge $((4 + k)) ] && break
    [ $((SECONDS - start)) -lt 300 ] || die "only $bonded of $((4 + k)) validators bonded"
    sleep 1
  done
  info "$bonded validators bonded ($((SECONDS - start)) s)"
}

# Our nodes: the injectived processes whose home is inside our net.
our_nodes() { pgrep -af "injectived start --home $LOCALNET_NET_DIR/" || true; }

stop_net() {
  if [ -n "$(our_nodes)" ]; then
    info "stopping the net in ${LOCALNET_NET_DIR#"$root"/}"
    localnet down || true
  fi
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_net
  if [ -n "$(our_nodes)" ]; then
    printf 'chain-gas: error: nodes still running:\n%s\n' "$(our_nodes)" >&2
    rc=1
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

git rev-parse --verify -q "$rev^{commit}" >/dev/null || die "unknown revision $rev"
# The artifacts' source: the last commit (up to REV) that changed what the wasm is built from.
wasm_inputs=(contracts packages/flowstake Cargo.toml Cargo.lock scripts/build-wasm.sh)
sha=$(git log -1 --format=%h "$rev" -- "${wasm_inputs[@]}")
if ! $render_only; then
# ---------------------------------------------------------------------------------------------
say "artifacts: scripts/build-wasm.sh on a clean export of $sha"
src=$work/src/$sha
if ! [ -f "$src/artifacts/checksums.txt" ] || ! (cd "$src/artifacts" && sha256sum --quiet -c checksums.txt); then
  rm -rf "$src"
  mkdir -p "$src" "$work/build"
  git archive "$sha" | tar -x -C "$src"
  # One build folder for every export: dependencies and tools are built once.
  ln -sfn ../../build "$src/target"
  info "building (log: ${work#"$root"/}/build-$sha.log)"
  (cd "$src" && scripts/build-wasm.sh) >"$work/build-$sha.log" 2>&1 ||
    die "scripts/build-wasm.sh failed: $(tail -5 "$work/build-$sha.log")"
fi
info "commit $sha; $(tr '\n' ' ' <"$src/artifacts/checksums.txt" | sed 's/  */ /g')"
if ! git diff --quiet "$sha" -- "${wasm_inputs[@]}"; then
  info "note: the work tree's contracts differ from $sha; what is measured is $sha"
fi

say "building the test binary (cargo test -p flowstake-operator --test chain_gas --no-run)"
# Built once and run directly for every size: the sizes all run the same test code.
test_bin=$(cargo test -p flowstake-operator --test chain_gas --locked --no-run --message-format=json |
  jq -r 'select(.reason == "compiler-artifact" and .target.name == "chain_gas" and .executable != null) | .executable' |
  tail -1)
[ -x "$test_bin" ] || die "the test binary was not built"
info "${test_bin#"$root"/}"

# ---------------------------------------------------------------------------------------------
for n in "${size_list[@]}"; do
  t0=$SECONDS
  k=$((n > 3 ? n - 3 : 0))
  say "size $n: a fresh net with $k node-less validator(s) ($((4 + k)) bonded validators)"
  stop_net
  case "$LOCALNET_NET_DIR" in
    */target/localnet/gas-net) rm -rf -- "$LOCALNET_NET_DIR" ;;
    *) die "refusing to remove $LOCALNET_NET_DIR" ;;
  esac
  if [ "$k" -le "$localnet_max" ]; then
    localnet up --validators "$k"
  else
    # localnet.sh funds every node-less validator from val1 alone (1e22 inj each out of 1e24):
    # beyond 99 that fails after the genesis (max_validators 4 + K) is built. The net is then
    # resumed and its node-less validators are created here, funded by val1..val4.
    info "size $n: $k node-less validators are more than localnet.sh can fund; the genesis comes from it, the validators from here"
    localnet up --validators "$k" || true
    [ -z "$(our_nodes)" ] || die "localnet.sh up left nodes running"
    meta=$LOCALNET_NET_DIR/localnet.json
    [ "$(jq -r .nodeless_validators "$meta")" = "$k" ] || die "no net for $k node-less validators in $meta"
    jq '.nodeless_created = true' "$meta" >"$meta.new" && mv "$meta.new" "$meta"
    localnet up
    create_nodeless "$k"
  fi
  info "size $n: net up after $((SECONDS - t0)) s"

  say "size $n: node1's simulation limit raised to 100000000 gas (blocks keep max_gas)"
  printf '\n[wasm]\nsimulation_gas_limit = 100000000\n' >>"$LOCALNET_NET_DIR/node1/config/app.toml"
  localnet stop-validator 1
  localnet start-validator 1

  say "size $n: running chain_gas (hub set of $n)"
  rc=0
  CHAIN_GAS_VALIDATORS=$n CHAIN_GAS_ARTIFACTS=$src/artifacts CHAIN_GAS_OUT=$work/size-$n.json.new \
    "$test_bin" --ignored --nocapture --exact chain_gas ||
    rc=$?
  stop_net
  if [ "$rc" != 0 ] || ! [ -f "$work/size-$n.json.new" ]; then
    die "size $n: the test failed (exit $rc)"
  fi
  python3 - "$work/size-$n.json.new" "$((SECONDS - t0))" "$sha" <<'EOF'
import json, sys
path, seconds, sha = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = json.load(open(path))
data["size_seconds"] = seconds  # the whole size: net, restart, test
data["commit"] = sha
json.dump(data, open(path, "w"), indent=2)
EOF
  mv "$work/size-$n.json.new" "$work/size-$n.json"
  say "size $n: done in $((SECONDS - t0)) s"
done

fi

# ---------------------------------------------------------------------------------------------
say "writing docs/gas-chain.json and docs/gas-chain.md"
python3 - "$work" "$sha" <<'EOF'
import glob, json, os, sys

work, sha = sys.argv[1], sys.argv[2]
runs = []
for path in glob.glob(os.path.join(work, "size-*.json")):
    data = json.load(open(path))
    if data.get("commit") == sha:
        runs.append(data)
runs.sort(key=lambda r: r["validators"])
if not runs:
    sys.exit("no size measured for commit " + sha)
max_gas = runs[0]["block_max_gas"]

doc = {
    "node": "injectived 1.20.1",
    "command": "scripts/chain-gas.sh",
    "commit": sha,
    "block_max_gas": max_gas,
    "sizes": [
        {
            "validators": r["validators"],
            "ops": [
                {k: op[k] for k in ("op", "gas_used", "gas_wanted", "fits", "calls", "note")}
                for op in r["ops"]
            ],
        }
        for r in runs
    ],
}
with open("docs/gas-chain.json", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")

order = [
    ("instantiate", "instantiate (hub, token, collector)"),
    ("bond", "bond"),
    ("queue_unbond", "queue unbond (token `Send` hook)"),
    ("cancel_unbond", "cancel unbond"),
    ("harvest", "harvest"),
    ("sync", "sync"),
    ("add_validator", "add validator"),
    ("remove_validator", "remove validator (redelegates its stake)"),
    ("submit_batch", "submit batch"),
    ("reconcile_nothing_to_do", "reconcile, nothing to settle yet"),
    ("reconcile_settle", "reconcile that settles a batch"),
    ("withdraw_unbonded", "withdraw unbonded"),
    ("set_liquidity", "update_config: a 10 % buffer, 0.5 % exit fee"),
    ("bond_into_buffer", "bond into the buffer"),
    ("instant_unbond", "instant exit from the buffer (token `Send` hook)"),
    ("chain:MsgDelegate", "chain: MsgDelegate"),
    ("chain:MsgWithdrawDelegatorReward", "chain: MsgWithdrawDelegatorReward (one validator)"),
    ("chain:MsgUndelegate", "chain: MsgUndelegate"),
]
known = {o for o, _ in order}
for r in runs:
    for op in r["ops"]:
        if op["op"] not in known:
            order.append((op["op"], op["op"]))
            known.add(op["op"])

def cell(op):
    if op is None:
        return ""
    if op["gas_used"] is None:
        return "not measured"
    text = f"{op['gas_used']:,}"
    if op["fits"] is False:
        text = f"**does not fit** ({text} simulated)"
    elif op["fits"] is None:
        text = f"refused ({text} simulated)"
    if op["calls"] > 1:
        text += f" × {op['calls']} calls"
    return text

def find(run, name):
    return next((op for op in run["ops"] if op["op"] == name), None)

sizes = [r["validators"] for r in runs]
lines = []
lines.append("# Real gas on a real chain")
lines.append("")
lines.append(
    "`gas_used` of each transaction as the chain reported it, on a four-node localnet of "
    "injectived 1.20.1 (Cosmos SDK 0.50, wasmd 0.53), with the hub's set at "
    + ", ".join(str(s) for s in sizes)
    + f" validators. Wasm built by `scripts/build-wasm.sh` from commit `{sha}`."
)
lines.append("")
lines.append(
    f"**Block gas limit: {max_gas:,}** (consensus `block.max_gas`). No transaction may ask for "
    "more, so one that needs more can never be included." if max_gas else "Block gas limit: none."
)
lines.append("")
lines.append("Reproduce: `scripts/chain-gas.sh` (or `scripts/chain-gas.sh --sizes 1,10`).")
lines.append("")
lines.append("| operation | " + " | ".join(f"{s} validators" for s in sizes) + " |")
lines.append("| --- | " + " | ".join("---:" for _ in sizes) + " |")
for name, label in order:
    cells = [cell(find(r, name)) for r in runs]
    if any(cells):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
lines.append("")
lines.append(
    "A figure marked **does not fit** is the simulated gas of a transaction that needs more than "
    "the block's limit; it was also sent with the block's limit and ran out of gas. "
    "With several calls, the figure is the largest call's."
)
lines.append("")

first, last = runs[0], runs[-1]
if last["validators"] > first["validators"]:
    span = last["validators"] - first["validators"]
    lines.append(
        f"## Per validator, {first['validators']} to {last['validators']} validators"
    )
    lines.append("")
    lines.append(
        "(gas at the larger size less gas at the smaller, divided by the difference; then the "
        "same between consecutive sizes, which shows where the cost per validator grows with "
        "the set; simulated figures where a transaction does not fit)"
    )
    lines.append("")
    pairs = list(zip(runs, runs[1:]))
    lines.append(
        f"| operation | {first['validators']} to {last['validators']} | "
        + " | ".join(f"{a['validators']} to {b['validators']}" for a, b in pairs)
        + " |"
    )
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in pairs) + " |")

    def slope(ra, rb, name):
        a, b = find(ra, name), find(rb, name)
        if a and b and a["gas_used"] is not None and b["gas_used"] is not None:
            return f"{(b['gas_used'] - a['gas_used']) / (rb['validators'] - ra['validators']):,.0f}"
        return ""

    for name, label in order:
        whole = slope(first, last, name)
        if whole:
            lines.append(
                f"| {label} | {whole} | " + " | ".join(slope(a, b, name) for a, b in pairs) + " |"
            )
    lines.append("")

lines.append("## Notes from the runs")
lines.append("")
for r in runs:
    notes = [f"`{op['op']}`: {op['note']}" for op in r["ops"] if op["note"]]
    lines.append(
        f"- {r['validators']} validators ({r.get('size_seconds', r['seconds'])} s for the size, "
        f"{r['seconds']} s of it the test): " + ("; ".join(notes) if notes else "no notes")
    )
lines.append("")
early = [str(r["validators"]) for r in runs if r.get("history_before_fill") is False]
if early:
    lines.append(
        "At " + ", ".join(early) + " validators the test of an earlier revision ran: it gave every "
        "validator stake before the history batch was submitted, and queued and cancelled after "
        "that submission (the order below is the one at the other sizes). Both submissions fit "
        "there; the measured transactions are the same."
    )
    lines.append("")
lines.append("## How it is measured")
lines.append("")
lines.append(
    "For each size `scripts/chain-gas.sh` builds a fresh net (`scripts/localnet.sh up "
    "--validators K` with its own folder and ports), so that the four nodes' validators and "
    "N-4 node-less ones form the hub's set and one validator stays outside it. The test "
    "(`packages/operator/tests/chain_gas.rs`) deploys the hub with the N validators; four "
    "users bond, two queue, and that batch is submitted while only a few validators hold "
    "stake (so that a batch is unbonding even where a submission to the whole set does not "
    "fit). In the fresh epoch it opened, a request is queued and another queued and "
    "cancelled (neither depends on the set). Then every validator gets stake (one bond "
    "each), and one transaction of each remaining kind is sent: bond, harvest, sync, add a "
    "validator, remove the validator holding the most stake (the chain redelegates it to "
    "every other one), submit the second batch (pro rata from every validator), the chain's "
    "own messages from a plain account, then, once the first batch's 90 s unbonding has "
    "passed, two reconciles (the first finds the batch not yet provably paid and books "
    "nothing, the next block's settles it) and a withdrawal. Last, so that nothing before "
    "runs with a buffer, governance sets a 10 % buffer and a 0.5 % exit fee, a bond fills the "
    "buffer (no delegation message), and a holder exits at once from it (the exit syncs the "
    "ledger first, so it grows with the set)."
)
lines.append("")
lines.append(
    "Each transaction is simulated, then sent through the operator library (gas = simulation "
    "× 1.5, at most the block's limit). Node1's `wasm.simulation_gas_limit` is raised to "
    "100,000,000 so that a simulation is not cut at the block's limit (by default wasmd "
    "limits simulations to it); blocks keep theirs. Where a crank may span several calls "
    "(`submit_batch` while its response says `submission_done` = `false`), every call is "
    "sent and counted; a harvest's `withdrawn` attribute, when present, is in the notes."
)
lines.append("")
open("docs/gas-chain.md", "w").write("\n".join(lines))
print("docs/gas-chain.json: %d size(s); docs/gas-chain.md" % len(runs))
EOF
say "done in $((SECONDS - t_start)) s"

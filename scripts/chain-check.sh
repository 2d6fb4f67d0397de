#!/usr/bin/env bash
# Checks on a real Cosmos SDK node the chain behaviour the hub relies on, and prints PASS or
# FAIL per check (exit code 1 on any FAIL, 2 if the probe itself could not run).
#
#   scripts/chain-check.sh            install the node, start a fresh single-node chain, deploy
#                                     the hub, play bond -> unbond -> submit -> reconcile ->
#                                     withdraw, harvest, sweep, then jail the second validator
#
# The node is injectived v1.20.1 (Injective; Cosmos SDK v0.50.14-inj, wasmd v0.53.3, wasmvm
# 2.1.5), from the PyPI package injective-core==1.20.1 (licence BUSL-1.1: a local test network
# only), installed into target/localnet/venv. Everything else lives in target/localnet/chain-check
# (ignored by git, wiped at each run): the node's home, its log, every transaction's JSON.
#
# The chain: one validator with a node (val1) and one created by `tx staking create-validator`
# that runs none (val2; it stays bonded thanks to a slashing window of 1,000,000 blocks and is
# jailed at the end by undelegating below its min-self-delegation). Genesis: unbonding_time 60s,
# gov voting_period 20s, timeout_commit 300ms; fees are paid in inj, the staking denom is stake.
# Every listener is on 127.0.0.1 (ports: CHAIN_CHECK_PORT_BASE, default 26700, and the next
# five); the node is stopped by its pid on exit.
#
# Artifacts: artifacts/flowstake_{hub,token,collector}.wasm are reused if they match
# artifacts/checksums.txt, are newer than the last commit touching contracts/, packages/ or
# Cargo.{toml,lock}, and those paths have no uncommitted change; otherwise scripts/build-wasm.sh
# runs first.
#
# Needs: python3 (venv), curl, jq (installed with apt-get if missing), git.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

injective_version=1.20.1
base_dir=$root/target/localnet
venv=$base_dir/venv
bin=$venv/bin/injectived
work=$base_dir/chain-check
home=$work/home
chain_id=flowstake-check-1
port_base=${CHAIN_CHECK_PORT_BASE:-26700}
p2p_port=$port_base
rpc_port=$((port_base + 1))
grpc_port=$((port_base + 2))
api_port=$((port_base + 3))
pprof_port=$((port_base + 4))
proxy_port=$((port_base + 5))
rpc=tcp://127.0.0.1:$rpc_port
rpc_http=http://127.0.0.1:$rpc_port
fees=10000000000000000inj
kr=(--keyring-backend test --home "$home")

# Amounts (stake has no decimals to speak of here; injective's power reduction is 1e18, so the
# validators' stakes are large and the node-less val2 holds far less than a third of the power).
val1_stake=1000000000000000000000000 # 1e24
val2_stake=1000000000000000000000    # 1e21 (also its min-self-delegation)
seed=1000000000000000000             # 1e18, the hub's seed deposit
user_bond=100000000000000000000      # 1e20

fails=0
passes=0
step() { printf '\n== %s\n' "$*"; }
info() { printf '   %s\n' "$*"; }
pass() {
  passes=$((passes + 1))
  printf 'PASS  %s\n' "$*"
}
fail() {
  fails=$((fails + 1))
  printf 'FAIL  %s\n' "$*"
}
# check NAME CONDITION-COMMAND...: PASS if the command succeeds.
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
# big EXPR: integer arithmetic beyond 64 bits (amounts here exceed 2^63)
big() { python3 -c "print($1)"; }
# holds EXPR: true if the Python expression is true
holds() { python3 -c "import sys; sys.exit(0 if ($1) else 1)"; }
die() {
  printf 'ERROR %s\n' "$*" >&2
  exit 2
}

node_pid=
cleanup() {
  local rc=$?
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$node_pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$node_pid" 2>/dev/null; then kill -9 "$node_pid" 2>/dev/null || true; fi
    echo "node (pid $node_pid) stopped"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'printf "ERROR line %s: %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

# ---------------------------------------------------------------------------------------------
step "tools"
if ! command -v jq >/dev/null 2>&1; then
  apt-get install -y jq >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y jq; }
fi
command -v jq >/dev/null || die "jq is needed"
command -v curl >/dev/null || die "curl is needed"
if ! [ -x "$bin" ] || ! "$bin" version 2>&1 | grep -q "v$injective_version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "injective-core==$injective_version"
fi
info "injectived $("$bin" version 2>&1 | head -1)"
info "$(jq --version)"

# ---------------------------------------------------------------------------------------------
step "wasm artifacts"
artifacts_fresh() {
  local last dirty contract
  [ -f artifacts/checksums.txt ] || return 1
  (cd artifacts && sha256sum --quiet -c checksums.txt >/dev/null 2>&1) || return 1
  dirty=$(git status --porcelain -- contracts packages Cargo.toml Cargo.lock)
  [ -z "$dirty" ] || return 1
  last=$(git log -1 --format=%ct -- contracts packages Cargo.toml Cargo.lock)
  for contract in hub token collector; do
    [ "$(stat -c %Y "artifacts/flowstake_$contract.wasm")" -ge "$last" ] || return 1
  done
}
if artifacts_fresh; then
  info "reusing artifacts/ (checksums match, newer than HEAD's last contract change $(git log -1 --format=%h -- contracts packages Cargo.toml Cargo.lock))"
else
  info "building: scripts/build-wasm.sh"
  scripts/build-wasm.sh >"$base_dir/build-wasm.log" 2>&1 || die "scripts/build-wasm.sh failed (see $base_dir/build-wasm.log)"
  artifacts_fresh || die "artifacts still not fresh after the build"
fi
sed 's/^/   /' artifacts/checksums.txt
info "HEAD $(git rev-parse --short HEAD)"

# ---------------------------------------------------------------------------------------------
step "chain: init $chain_id in ${work#"$root"/}"
for port in $p2p_port $rpc_port $grpc_port $api_port $pprof_port $proxy_port; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is in use (set CHAIN_CHECK_PORT_BASE)"
  fi
done
rm -rf "$work"
mkdir -p "$work/tx"
"$bin" init flowstake-check --chain-id "$chain_id" --home "$home" >/dev/null 2>&1
for name in val1 val2 user owner treasury; do
  "$bin" keys add "$name" --algo secp256k1 "${kr[@]}" --output json >"$work/key-$name.json" 2>&1
done
addr() { "$bin" keys show "$1" -a "${kr[@]}"; }
val1=$(addr val1)
val2=$(addr val2)
user=$(addr user)
owner=$(addr owner)
treasury=$(addr treasury)
valoper1=$("$bin" keys show val1 --bech val -a "${kr[@]}")
valoper2=$("$bin" keys show val2 --bech val -a "${kr[@]}")
info "val1 $val1 ($valoper1)"
info "val2 $val2 ($valoper2)"
info "user $user, owner $owner, fee receiver $treasury"

inj_funds=1000000000000000000000000 # 1e24 inj each, for fees
"$bin" genesis add-genesis-account val1 "10000000000000000000000000stake,${inj_funds}inj" --chain-id "$chain_id" "${kr[@]}"
"$bin" genesis add-genesis-account val2 "10000000000000000000000stake,${inj_funds}inj" --chain-id "$chain_id" "${kr[@]}"
"$bin" genesis add-genesis-account user "1000000000000000000000stake,${inj_funds}inj" --chain-id "$chain_id" "${kr[@]}"
"$bin" genesis add-genesis-account owner "10000000000000000000stake,${inj_funds}inj" --chain-id "$chain_id" "${kr[@]}"

genesis=$home/config/genesis.json
jq '.app_state.staking.params.unbonding_time = "60s"
  | .app_state.gov.params.voting_period = "20s"
  | .app_state.gov.params.expedited_voting_period = "10s"
  | .app_state.gov.params.min_deposit = [{"denom": "inj", "amount": "1000000000000000000"}]
  | .app_state.gov.params.expedited_min_deposit = [{"denom": "inj", "amount": "5000000000000000000"}]
  | .app_state.slashing.params.signed_blocks_window = "1000000"
  | .app_state.slashing.params.min_signed_per_window = "0.010000000000000000"' \
  "$genesis" >"$genesis.new"
mv "$genesis.new" "$genesis"
"$bin" genesis gentx val1 "${val1_stake}stake" --chain-id "$chain_id" "${kr[@]}" >/dev/null 2>&1
"$bin" genesis collect-gentxs --home "$home" >/dev/null 2>&1
"$bin" genesis validate-genesis --home "$home" >/dev/null

config=$home/config/config.toml
app=$home/config/app.toml
python3 - "$config" "$app" <<EOF
import re, sys
config, app = sys.argv[1], sys.argv[2]

def edit(path, section_edits):
    lines = open(path).read().split("\n")
    section = ""
    for i, line in enumerate(lines):
        m = re.match(r"^\[([^\]]+)\]", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*=", line)
        if m and (section, m.group(1)) in section_edits:
            lines[i] = "%s = %s" % (m.group(1), section_edits.pop((section, m.group(1))))
    if section_edits:
        sys.exit("not found in %s: %s" % (path, section_edits))
    open(path, "w").write("\n".join(lines))

edit(config, {
    ("", "proxy_app"): '"tcp://127.0.0.1:$proxy_port"',
    ("rpc", "pprof_laddr"): '"127.0.0.1:$pprof_port"',
    ("rpc", "laddr"): '"tcp://127.0.0.1:$rpc_port"',
    ("p2p", "laddr"): '"tcp://127.0.0.1:$p2p_port"',
    ("p2p", "external_address"): '""',
    ("p2p", "addr_book_strict"): "false",
    ("consensus", "timeout_commit"): '"300ms"',
    ("instrumentation", "prometheus"): "false",
})
edit(app, {
    ("api", "address"): '"tcp://127.0.0.1:$api_port"',
    ("grpc", "address"): '"127.0.0.1:$grpc_port"',
    ("json-rpc", "enable"): "false",
})
EOF
info "genesis: unbonding_time $(jq -r .app_state.staking.params.unbonding_time "$genesis"), voting_period $(jq -r .app_state.gov.params.voting_period "$genesis"), signed_blocks_window $(jq -r .app_state.slashing.params.signed_blocks_window "$genesis"), max_gas $(jq -r .consensus.params.block.max_gas "$genesis")"

step "chain: start (loopback only)"
"$bin" start --home "$home" >"$work/node.log" 2>&1 &
node_pid=$!
info "node pid $node_pid, log ${work#"$root"/}/node.log"

height() { curl -sf "$rpc_http/status" | jq -r '.result.sync_info.latest_block_height // empty' 2>/dev/null || true; }
block_time() { curl -sf "$rpc_http/status" | jq -r '.result.sync_info.latest_block_time'; }
# unix seconds of an RFC 3339 time, rounded up to the whole second
ceil_seconds() {
  python3 -c '
import sys, datetime, re
t = sys.argv[1]
m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", t)
secs = int(datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp())
frac = m.group(2) or ""
print(secs + (1 if frac.strip("0") else 0))' "$1"
}
floor_seconds() { date -u -d "$1" +%s; }
wait_height() { # wait_height H [DEADLINE_SECONDS]
  local target=$1 deadline=$((SECONDS + ${2:-60})) h
  while :; do
    h=$(height)
    if [ -n "$h" ] && [ "$h" -ge "$target" ]; then return 0; fi
    [ "$SECONDS" -lt "$deadline" ] || die "height $target not reached (at ${h:-none})"
    kill -0 "$node_pid" 2>/dev/null || die "node exited: $(tail -5 "$work/node.log")"
    sleep 0.2
  done
}
# wait until the latest block's time is at or after the unix second T
wait_block_time() { # wait_block_time T DEADLINE_SECONDS
  local target=$1 deadline=$((SECONDS + $2)) now
  while :; do
    now=$(floor_seconds "$(block_time)")
    if [ "$now" -ge "$target" ]; then return 0; fi
    [ "$SECONDS" -lt "$deadline" ] || die "block time $target not reached (at $now)"
    sleep 0.3
  done
}
wait_height 3 90
h0=$(height)
t0=$(floor_seconds "$(block_time)")
wait_height $((h0 + 10)) 60
t1=$(floor_seconds "$(block_time)")
info "blocks: 10 blocks in $((t1 - t0)) s of block time (height $((h0 + 10)))"
listeners=$(ss -ltnp 2>/dev/null | grep "pid=$node_pid," || true)
# every socket of the node must be on 127.0.0.1
nonlocal=$(printf '%s\n' "$listeners" | awk 'NF { print $4 }' | grep -v '^127\.0\.0\.1:' || true)
info "listening: $(printf '%s\n' "$listeners" | awk 'NF { print $4 }' | sort | tr '\n' ' ')"
check "every listener of the node is on 127.0.0.1" test -n "$listeners" -a -z "$nonlocal"

q() { "$bin" query "$@" --node "$rpc" --chain-id "$chain_id" -o json; }
smart() { q wasm contract-state smart "$1" "$2" | jq -c '.data'; }
balance() { # balance ADDR DENOM
  q bank balances "$1" | jq -r --arg d "$2" '[.balances[] | select(.denom == $d) | .amount][0] // "0"'
}

tx_count=0
tx_json=
# tx FROM LABEL ARGS...: signs, broadcasts, waits for inclusion; the included tx's JSON is in
# $tx_json (a file). Returns 1 if the chain refused or failed it (the log is printed).
tx() {
  local from=$1 label=$2
  shift 2
  tx_count=$((tx_count + 1))
  local out=$work/tx/$(printf '%02d' $tx_count)-$label
  local gas=(--gas auto --gas-adjustment 1.5)
  case "$label" in store-*) gas=(--gas 9900000) ;; esac
  "$bin" tx "$@" --from "$from" "${kr[@]}" --chain-id "$chain_id" --node "$rpc" \
    --fees "$fees" "${gas[@]}" -b sync -y -o json >"$out.broadcast.json" 2>"$out.stderr" || {
    info "$label: not broadcast: $(tail -3 "$out.stderr")"
    return 1
  }
  local hash code
  hash=$(jq -r '.txhash' "$out.broadcast.json")
  code=$(jq -r '.code' "$out.broadcast.json")
  if [ "$code" != 0 ]; then
    info "$label: refused by CheckTx (code $code): $(jq -r .raw_log "$out.broadcast.json")"
    return 1
  fi
  local deadline=$((SECONDS + 30))
  until q tx "$hash" >"$out.json" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || die "$label: tx $hash not included within 30 s"
    sleep 0.3
  done
  tx_json=$out.json
  code=$(jq -r '.code' "$tx_json")
  if [ "$code" != 0 ]; then
    info "$label: failed (code $code): $(jq -r .raw_log "$tx_json")"
    return 1
  fi
  info "$label: height $(jq -r .height "$tx_json"), gas used $(jq -r .gas_used "$tx_json") of $(jq -r .gas_wanted "$tx_json")"
}
# attr TYPE KEY: values of an event attribute of the last tx, one a line
attr() {
  jq -r --arg t "$1" --arg k "$2" \
    '.events[] | select(.type == $t) | .attributes[] | select(.key == $k) | .value' "$tx_json"
}
wasm_attr() { # wasm_attr KEY: values of a key in the wasm events of the last tx
  attr wasm "$1"
}
exec_hub() { # exec_hub FROM LABEL MSG [extra args]
  local from=$1 label=$2 msg=$3
  shift 3
  tx "$from" "$label" wasm execute "$hub" "$msg" "$@"
}

# ---------------------------------------------------------------------------------------------
step "chain: second validator without a node (tx staking create-validator)"
"$bin" init val2-consensus --chain-id "$chain_id" --home "$work/val2-home" >/dev/null 2>&1
val2_pubkey=$("$bin" comet show-validator --home "$work/val2-home")
jq -n --argjson pk "$val2_pubkey" --arg amount "${val2_stake}stake" --arg min "$val2_stake" '{
  pubkey: $pk, amount: $amount, moniker: "val2-no-node",
  "commission-rate": "0.1", "commission-max-rate": "0.2", "commission-max-change-rate": "0.01",
  "min-self-delegation": $min }' >"$work/val2.json"
tx val2 create-validator staking create-validator "$work/val2.json" || die "create-validator failed"
wait_height $(($(height) + 2)) 20
q staking validators >"$work/validators-start.json"
info "validators: $(jq -c '[.validators[] | {op: .operator_address[-8:], status, jailed: (.jailed // false), tokens}]' "$work/validators-start.json")"
check "both validators bonded (the node-less one included)" \
  test "$(jq '[.validators[] | select(.status == "BOND_STATUS_BONDED")] | length' "$work/validators-start.json")" = 2

# ---------------------------------------------------------------------------------------------
step "deploy: store the three codes, instantiate the hub"
declare -A code_id
for contract in hub token collector; do
  tx val1 "store-$contract" wasm store "artifacts/flowstake_$contract.wasm" || die "store $contract failed"
  code_id[$contract]=$(attr store_code code_id | head -1)
  info "flowstake_$contract.wasm: code id ${code_id[$contract]}"
done
instantiate_msg=$(jq -nc \
  --arg owner "$owner" --arg token_code "${code_id[token]}" --arg collector_code "${code_id[collector]}" \
  --arg v1 "$valoper1" --arg v2 "$valoper2" --arg treasury "$treasury" '{
  owner: $owner, guardian: null, denom: "stake",
  token_code_id: ($token_code | tonumber), collector_code_id: ($collector_code | tonumber),
  token: { name: "Flowstake Staked Token", symbol: "fsSTAKE", decimals: 6, marketing: null },
  validators: [ { address: $v1, weight: 1 }, { address: $v2, weight: 1 } ],
  fee_receiver: $treasury, fee_rate: "0.05", min_bond: "1000", min_unbond: "1000",
  epoch_period: 20, unbonding_period: 60, max_unbond_shortfall: "0.2",
  rate_bounds: { max_fall: "0.1", max_rise: "0.05" }, max_reward_rate: "0.5" }')
echo "$instantiate_msg" >"$work/instantiate.json"
tx owner instantiate wasm instantiate "${code_id[hub]}" "$instantiate_msg" --label flowstake-hub \
  --admin "$owner" --amount "${seed}stake" || die "instantiate failed"
hub=$(q wasm list-contract-by-code "${code_id[hub]}" | jq -r '.contracts[0]')
config_json=$(smart "$hub" '{"config":{}}')
token=$(jq -r .token <<<"$config_json")
collector=$(jq -r .collector <<<"$config_json")
info "hub $hub"
info "token $token, collector $collector"
info "config: epoch_period $(jq -r .epoch_period <<<"$config_json"), unbonding_period $(jq -r .unbonding_period <<<"$config_json"), max_reward_rate $(jq -r .max_reward_rate <<<"$config_json")"
check "hub instantiated with epoch_period 20 and unbonding_period 60 (7 * epoch >= unbonding)" \
  test "$(jq -r '"\(.epoch_period)/\(.unbonding_period)"' <<<"$config_json")" = "20/60"
withdraw_addr=$(q distribution delegator-withdraw-address --delegator-address "$hub" | jq -r '.withdraw_address')
check "hub's distribution withdraw address is the collector" test "$withdraw_addr" = "$collector"

# ---------------------------------------------------------------------------------------------
step "bond, queue an unbond, submit the batch"
exec_hub user bond '{"bond":{"receiver":null,"min_shares":null}}' --amount "${user_bond}stake" || die "bond failed"
shares=$(smart "$token" "{\"balance\":{\"address\":\"$user\"}}" | jq -r .balance)
info "user holds $shares derivative units"
q staking delegations "$hub" >"$work/delegations-after-bond.json"
info "hub's delegations: $(jq -c '[.delegation_responses[] | {v: .delegation.validator_address[-8:], amount: .balance.amount}]' "$work/delegations-after-bond.json")"
hook=$(printf '{"queue_unbond":{"receiver":null}}' | base64 -w0)

# unbond_and_submit ID SHARES UNBONDING_SECONDS: queues SHARES from the user, waits for the
# pending batch's submit_after, submits it, and checks batch ID against the chain's unbonding
# entries and the hub's observed unbonding time (UNBONDING_SECONDS or one more: the completion
# is rounded up, the submission time down). Sets native_unbonded and completes_at.
unbond_and_submit() {
  local id=$1 amount=$2 unbonding=$3
  tx user "queue-unbond-$id" wasm execute "$token" \
    "{\"send\":{\"contract\":\"$hub\",\"amount\":\"$amount\",\"msg\":\"$hook\"}}" || die "queue unbond failed"
  local pending submit_after
  if [ "$(wasm_attr submitted | head -1)" = true ]; then
    # The first request after the epoch ended submitted the batch it joined.
    info "queue_unbond submitted batch $(wasm_attr batch_id | tail -1) itself (its epoch had ended)"
  else
    pending=$(smart "$hub" '{"pending_batch":{}}')
    info "pending batch: $pending"
    [ "$(jq -r .id <<<"$pending")" = "$id" ] || die "pending batch is not $id"
    submit_after=$(jq -r .submit_after <<<"$pending")
    wait_block_time "$submit_after" 60
    exec_hub user "submit-batch-$id" '{"submit_batch":{}}' || die "submit_batch failed"
  fi
  local submit_height reply_completes_at batch state submitted_at observed
  submit_height=$(jq -r .height "$tx_json")
  native_unbonded=$(wasm_attr native_unbonded | head -1)
  reply_completes_at=$(wasm_attr completes_at | head -1)
  info "submit_batch: native_unbonded $native_unbonded; reply: completes_at ${reply_completes_at:-none}, unbonding_time $(wasm_attr unbonding_time | head -1); MsgUndelegate events: $(attr unbond completion_time | sort -u | tr '\n' ' ')"
  batch=$(smart "$hub" "{\"batch\":{\"id\":$id}}")
  state=$(smart "$hub" '{"state":{}}')
  info "batch $id: $batch"
  info "state: unbonding_time_observed $(jq -r .unbonding_time_observed <<<"$state")"
  completes_at=$(jq -r .completes_at <<<"$batch")
  submitted_at=$(jq -r .submitted_at <<<"$batch")

  local entries_total=0 all_match=true entry_count=0 valoper ubd completion initial created chain_ceil
  for valoper in "$valoper1" "$valoper2"; do
    ubd=$(q staking unbonding-delegation "$hub" "$valoper" 2>/dev/null || echo '{}')
    while read -r completion initial created; do
      [ -n "$completion" ] || continue
      [ "$created" = "$submit_height" ] || continue
      entry_count=$((entry_count + 1))
      entries_total=$(big "$entries_total + $initial")
      chain_ceil=$(ceil_seconds "$completion")
      info "chain entry on ${valoper: -8}: completion_time $completion (rounded up $chain_ceil), initial_balance $initial, creation_height $created"
      [ "$chain_ceil" = "$completes_at" ] || all_match=false
    done < <(jq -r '(.unbond // .).entries[]? | "\(.completion_time) \(.initial_balance) \(.creation_height)"' <<<"$ubd")
  done
  check "batch $id: the chain holds an unbonding entry of the submission's block ($entry_count)" test "$entry_count" -ge 1
  check "batch $id: completes_at ($completes_at) = the chain's completion_time rounded up, every entry" $all_match
  check "batch $id: the reply's completes_at attribute (${reply_completes_at:-none}) = completes_at" test "$reply_completes_at" = "$completes_at"
  observed=$(jq -r .unbonding_time_observed <<<"$state")
  check "batch $id: state.unbonding_time_observed is $unbonding or $((unbonding + 1)) ($observed)" \
    test "$observed" = "$unbonding" -o "$observed" = "$((unbonding + 1))"
  check "batch $id: completes_at - submitted_at = unbonding_time_observed ($((completes_at - submitted_at)))" \
    test "$((completes_at - submitted_at))" = "$observed"
  check "batch $id: the entries' initial balances sum to native_expected ($entries_total)" \
    test "$entries_total" = "$(jq -r .native_expected <<<"$batch")"
  check "batch $id: status unbonding" test "$(jq -r .status <<<"$batch")" = unbonding
}

# reconcile_and_withdraw ID: waits for block time >= completes_at, reconciles (again a couple of
# blocks later while the hub waits for proof of payout), checks the booking, then withdraws and
# checks the user's stake balance against the requests query.
reconcile_and_withdraw() {
  local id=$1
  info "waiting for block time >= completes_at $completes_at"
  wait_block_time "$completes_at" 120
  local hub_balance_before attempt=0 first_answer= reconciled=false waiting batches answer batch
  hub_balance_before=$(balance "$hub" stake)
  while [ $attempt -lt 10 ]; do
    attempt=$((attempt + 1))
    exec_hub user "reconcile-$id-$attempt" '{"reconcile":{}}' || die "reconcile failed"
    waiting=$(wasm_attr waiting_for | head -1)
    batches=$(wasm_attr batches | head -1)
    answer="batches=$batches${waiting:+ waiting_for=$waiting settle_after=$(wasm_attr settle_after | head -1)}"
    info "reconcile #$attempt at height $(jq -r .height "$tx_json"), block time $(jq -r .timestamp "$tx_json"): $answer"
    [ -n "$first_answer" ] || first_answer=$answer
    if [ -z "$waiting" ] && [ "${batches:-0}" -ge 1 ]; then
      reconciled=true
      info "booked: batch_ids $(wasm_attr batch_ids | head -1), native_expected $(wasm_attr native_expected | head -1), native_arrived $(wasm_attr native_arrived | head -1), shortfall $(wasm_attr shortfall | head -1), surplus $(wasm_attr surplus | head -1)"
      break
    fi
    wait_height $(($(jq -r .height "$tx_json") + 2)) 20
  done
  check "batch $id: reconcile settled it (first answer: $first_answer; $attempt call(s))" $reconciled
  batch=$(smart "$hub" "{\"batch\":{\"id\":$id}}")
  info "batch $id: $batch"
  check "batch $id: reconciled with native_received = native_unbonded ($native_unbonded)" \
    test "$(jq -r '"\(.status) \(.native_received)"' <<<"$batch")" = "reconciled $native_unbonded"
  check "batch $id: the hub's balance held the undelegated amount before reconcile ($hub_balance_before)" \
    holds "$hub_balance_before >= $native_unbonded"

  local requests promised user_stake_before user_inj_before user_stake_after user_inj_after fee_paid paid delta inj_delta
  requests=$(smart "$hub" "{\"unbond_requests_by_user\":{\"user\":\"$user\",\"start_after\":null,\"limit\":10}}")
  info "user's requests: $requests"
  promised=$(python3 -c "
import json, sys
print(sum(int(r['native']) for r in json.loads(sys.argv[1]) if r['status'] == 'reconciled'))" "$requests")
  user_stake_before=$(balance "$user" stake)
  user_inj_before=$(balance "$user" inj)
  exec_hub user "withdraw-$id" '{"withdraw_unbonded":{"receiver":null,"limit":null}}' || die "withdraw failed"
  user_stake_after=$(balance "$user" stake)
  user_inj_after=$(balance "$user" inj)
  fee_paid=$(jq -r '.tx.auth_info.fee.amount[] | select(.denom == "inj") | .amount' "$tx_json")
  paid=$(wasm_attr native_paid | head -1)
  delta=$(big "$user_stake_after - $user_stake_before")
  inj_delta=$(big "$user_inj_before - $user_inj_after")
  info "withdraw: native_paid $paid; user's stake $user_stake_before -> $user_stake_after (+$delta); fee $fee_paid inj (inj balance -$inj_delta)"
  check "batch $id: the user's stake balance rose by exactly the promised native ($promised)" test "$delta" = "$promised"
  check "batch $id: withdraw's native_paid = promised" test "$paid" = "$promised"
  check "batch $id: the fee was paid in inj only (inj balance fell by the fee)" test "$inj_delta" = "$fee_paid"
}

unbond_and_submit 1 "$(big "$shares // 2")" 60

# ---------------------------------------------------------------------------------------------
step "reconcile after completion, withdraw"
reconcile_and_withdraw 1

# ---------------------------------------------------------------------------------------------
step "harvest: real rewards booked"
state_before=$(smart "$hub" '{"state":{}}')
treasury_stake_before=$(balance "$treasury" stake)
exec_hub user harvest '{"harvest":{}}' || die "harvest failed"
state_after=$(smart "$hub" '{"state":{}}')
treasury_stake_after=$(balance "$treasury" stake)
rewards=$(wasm_attr rewards | head -1)
fee=$(wasm_attr fee | head -1)
restaked=$(wasm_attr native_restaked | head -1)
info "receive_rewards: rewards ${rewards:-none}, fee ${fee:-none}, native_restaked ${restaked:-none}, rewards_vested $(wasm_attr rewards_vested | tail -1)"
summary='{total_native, unvested_rewards, exchange_rate, rewards: .totals.rewards, fees: .totals.fees}'
info "state before: $(jq -c "$summary" <<<"$state_before")"
info "state after:  $(jq -c "$summary" <<<"$state_after")"
check "harvest booked real rewards (rewards ${rewards:-0} > 0)" test "${rewards:-0}" != 0 -a -n "${rewards:-}"
grown=$(python3 -c "
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(int(a['total_native']) + int(a['unvested_rewards']) - int(b['total_native']) - int(b['unvested_rewards']))" "$state_after" "$state_before")
info "total_native + unvested_rewards grew by $grown"
check "total_native + unvested_rewards rose by exactly what was re-staked (${restaked:-0})" \
  test "$grown" = "${restaked:-x}"
check "the fee receiver's stake rose by the fee (${fee:-0})" \
  test "$(big "$treasury_stake_after - $treasury_stake_before")" = "${fee:-0}"
check "totals.rewards rose by the rewards" \
  test "$(python3 -c "print(int('$(jq -r .totals.rewards <<<"$state_after")') - int('$(jq -r .totals.rewards <<<"$state_before")'))")" = "${rewards:-x}"

# ---------------------------------------------------------------------------------------------
step "sweep_rewards: inj in the collector goes to the fee receiver"
collector_inj_harvested=$(balance "$collector" inj)
info "collector's inj after harvest (fee rewards the chain paid in inj): $collector_inj_harvested"
tx user send-inj bank send user "$collector" 1000000000000000inj || die "bank send to the collector failed"
collector_inj_before=$(balance "$collector" inj)
treasury_inj_before=$(balance "$treasury" inj)
exec_hub user sweep '{"sweep_rewards":{"denoms":["inj"]}}' || die "sweep_rewards failed"
collector_inj_after=$(balance "$collector" inj)
treasury_inj_after=$(balance "$treasury" inj)
swept=$(big "$treasury_inj_after - $treasury_inj_before")
info "collector inj $collector_inj_before -> $collector_inj_after; fee receiver inj $treasury_inj_before -> $treasury_inj_after"
check "sweep moved the collector's whole inj balance ($collector_inj_before) to the fee receiver" \
  test "$swept" = "$collector_inj_before" -a "$collector_inj_after" = 0
if exec_hub user sweep-stake '{"sweep_rewards":{"denoms":["stake"]}}' 2>/dev/null; then
  fail "sweep of the staking denom is refused"
else
  pass "sweep of the staking denom is refused"
fi

# ---------------------------------------------------------------------------------------------
step "governance: unbonding_time 60s -> 30s (MsgUpdateParams), then a batch learns it"
gov_addr=$(q auth module-account gov | jq -r '.account.value.address // .account.base_account.address')
params=$(q staking params | jq -c '.params')
info "staking params: $params"
jq -n --arg authority "$gov_addr" --argjson params "$(jq -c '.unbonding_time = "30s"' <<<"$params")" '{
  messages: [ { "@type": "/cosmos.staking.v1beta1.MsgUpdateParams", authority: $authority, params: $params } ],
  metadata: "", deposit: "1000000000000000000inj", title: "unbonding time 30s",
  summary: "chain-check: staking unbonding_time 60s -> 30s", expedited: false }' >"$work/proposal.json"
tx val1 gov-proposal gov submit-proposal "$work/proposal.json" || die "submit-proposal failed"
proposal_id=$(attr submit_proposal proposal_id | head -1)
tx val1 gov-vote gov vote "$proposal_id" yes || die "vote failed"
vote_height=$(jq -r .height "$tx_json")
deadline=$((SECONDS + 90))
while :; do
  status=$(q gov proposal "$proposal_id" | jq -r '.proposal.status')
  case "$status" in
    PROPOSAL_STATUS_PASSED) break ;;
    PROPOSAL_STATUS_REJECTED | PROPOSAL_STATUS_FAILED) break ;;
  esac
  [ "$SECONDS" -lt "$deadline" ] || break
  sleep 0.5
done
unbonding_now=$(q staking params | jq -r '.params.unbonding_time')
info "proposal $proposal_id: $status at height $(height) (voted at $vote_height); unbonding_time now $unbonding_now"
check "the gov proposal passed and unbonding_time is 30s" test "$status:$unbonding_now" = "PROPOSAL_STATUS_PASSED:30s"
if [ "$unbonding_now" = 30s ]; then
  rest=$(smart "$token" "{\"balance\":{\"address\":\"$user\"}}" | jq -r .balance)
  unbond_and_submit 2 "$rest" 30
  reconcile_and_withdraw 2
fi

# ---------------------------------------------------------------------------------------------
step "jail the node-less validator (self-delegation below its min-self-delegation)"
tx val2 val2-unbond staking unbond "$valoper2" 1000000000000000000stake || die "val2 self-unbond failed"
wait_height $(($(jq -r .height "$tx_json") + 2)) 20
q staking validators >"$work/validators-end.json"
info "query staking validators: $(jq -c '[.validators[] | {op: .operator_address[-8:], status, jailed: (.jailed // false), tokens}]' "$work/validators-end.json")"
v2=$(jq -c --arg v "$valoper2" '.validators[] | select(.operator_address == $v) | {status, jailed: (.jailed // false)}' "$work/validators-end.json")
check "val2 is jailed and out of the bonded set ($v2)" \
  test "$(jq -r '"\(.jailed) \(.status)"' <<<"$v2")" = "true BOND_STATUS_UNBONDING"
validators_before=$(smart "$hub" '{"validators":{"start_after":null,"limit":50}}')
exec_hub user sync '{"sync":{}}' || die "sync failed"
info "sync event: left_active_set $(attr wasm-flowstake_sync left_active_set | head -1)"
validators_after=$(smart "$hub" '{"validators":{"start_after":null,"limit":50}}')
info "hub validators before sync: $(jq -c '[.[] | {v: .address[-8:], active, delegated}]' <<<"$validators_before")"
info "hub validators after sync:  $(jq -c '[.[] | {v: .address[-8:], active, delegated}]' <<<"$validators_after")"
check "the hub reports val2 inactive and val1 active after the sync" \
  test "$(jq -r --arg v "$valoper2" '[.[] | "\(.address == $v):\(.active)"] | sort | join(",")' <<<"$validators_after")" = "false:true,true:false"
exec_hub user bond-after-jail '{"bond":{"receiver":null,"min_shares":null}}' --amount "1000000stake" || die "bond after the jail failed"
bond_target=$(jq -r '.events[] | select(.type == "delegate") | .attributes[] | select(.key == "validator") | .value' "$tx_json" | head -1)
check "a bond after the jail delegates to val1 (${bond_target: -8})" test "$bond_target" = "$valoper1"

# ---------------------------------------------------------------------------------------------
step "summary"
info "chain: injectived v$injective_version, $(height) blocks, $tx_count transactions (JSON in ${work#"$root"/}/tx/)"
printf '%s checks passed, %s failed\n' "$passes" "$fails"
if [ "$fails" != 0 ]; then exit 1; fi

#!/usr/bin/env bash
# A local test network of four validator nodes (injectived v1.20.1) on 127.0.0.1, for tests that
# need a real chain: several validators, jailing for downtime, fast unbonding and governance.
#
#   scripts/localnet.sh up [--validators N]      build (or resume) the net and wait for blocks
#   scripts/localnet.sh down                     stop every node this script started
#   scripts/localnet.sh status                   per node: pid, height, validator status, jailed
#   scripts/localnet.sh reset [--validators N]   down, wipe the net's folder, up
#   scripts/localnet.sh stop-validator K         stop node K (1..4)
#   scripts/localnet.sh start-validator K [--unjail]
#                                                restart node K with its home; with --unjail
#                                                (also if node K runs), send `tx slashing unjail`
#                                                for validator K once its jail time is over
#
# The node is injectived v1.20.1 from the PyPI package injective-core==1.20.1 (licence BUSL-1.1:
# a local test network only), installed if missing into target/localnet/venv. The net lives in
# target/localnet/net (ignored by git): node1..node4 (homes, node.log, node.pid), keyring/
# (keyring-backend test), accounts.json (names, addresses, mnemonics), localnet.json (layout).
#
# LOCALNET_NET_DIR puts the net elsewhere (default target/localnet/net), so that two nets can run
# side by side with different LOCALNET_PORT_BASE values; the node install stays shared. `reset`
# wipes only a folder directly in target/localnet. Commands on any net share one lock: one
# started while another runs waits for it (up to 10 minutes).
#
# Ports: LOCALNET_PORT_BASE (default 26800; reset keeps the old net's) when the net is built;
# node K uses the block of ten from BASE + 10*(K-1): +0 p2p, +1 rpc, +2 grpc, +3 api (REST and
# grpc-web), +4 pprof, +5 abci (unused in-process). Every listener is on 127.0.0.1. Chain id:
# LOCALNET_CHAIN_ID (default flowstake-local-1).
#
# --validators N adds N validators that run no node (`tx staking create-validator` from accounts
# funded after start). x/slashing's window is global, so in that mode it is 100000 blocks for
# everyone (a node-less validator is not jailed before about 15 hours, and neither is a stopped
# node); without it the window is 50 blocks and a stopped node is jailed within about 30 s.
#
# Exit codes: 0 done, 1 wrong state (already up, not up, node K already running or stopped) or a
# failure, 2 bad usage. `status` exits 0 if a node runs, 1 if none does.
#
# Needs: python3 (venv), curl, jq, flock, setsid.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

injective_version=1.20.1
base_dir=$root/target/localnet
venv=$base_dir/venv
bin=$venv/bin/injectived
net=${LOCALNET_NET_DIR:-$base_dir/net}
meta=$net/localnet.json
keyring=$net/keyring
nodes=4
fees=10000000000000000inj # 0.01 inj; the app's minimum gas price is 160000000inj per gas

# Amounts (18 decimals: injective's power reduction is 1e18, so 1e18 stake is one unit of power).
node_bond=10000000000000000000000000     # 1e25 stake self-bonded by each node's validator
node_funds=20000000000000000000000000    # 2e25 stake held by each node's validator account
account_stake=100000000000000000000000   # 1e23 stake for the deployer, the keeper, each user
inj_funds=1000000000000000000000000      # 1e24 inj for fees, every genesis account
nodeless_bond=1000000000000000000000     # 1e21 stake self-bonded by each node-less validator
nodeless_stake=2000000000000000000000    # 2e21 stake sent to each node-less validator account
nodeless_inj=10000000000000000000000     # 1e22 inj sent to each node-less validator account
max_nodeless=200

say() { printf 'localnet: %s\n' "$*"; }
progress() { printf 'localnet:   %s\n' "$*"; }
die() { # die MESSAGE [CODE]
  printf 'localnet: error: %s\n' "$1" >&2
  exit "${2:-1}"
}
usage() {
  cat <<'EOF'
usage: scripts/localnet.sh COMMAND
  up [--validators N]        build (or resume) the four-node net on 127.0.0.1, wait for blocks
  down                       stop every node this script started (by pid), wait for them to exit
  status                     per node: pid alive, height, validator status, jailed; chain id, RPCs
  reset [--validators N]     down + wipe target/localnet/net + up
  stop-validator K           stop node K (K = 1..4)
  start-validator K [--unjail]
                             restart node K with the same home; --unjail (also if node K runs):
                             unjail validator K once downtime_jail_duration has passed
env: LOCALNET_PORT_BASE (default 26800), LOCALNET_CHAIN_ID (default flowstake-local-1),
     LOCALNET_NET_DIR (absolute; default target/localnet/net)
EOF
}
bad_usage() {
  printf 'localnet: error: %s\n' "$1" >&2
  usage >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# layout

port_base() {
  if [ -f "$meta" ]; then jq -r .port_base "$meta"; else echo "${LOCALNET_PORT_BASE:-26800}"; fi
}
chain_id() {
  if [ -f "$meta" ]; then jq -r .chain_id "$meta"; else echo "${LOCALNET_CHAIN_ID:-flowstake-local-1}"; fi
}
port() { # port K OFFSET
  echo $(($(port_base) + 10 * ($1 - 1) + $2))
}
home_of() { echo "$net/node$1"; }
rpc_of() { echo "http://127.0.0.1:$(port "$1" 1)"; }
api_of() { echo "http://127.0.0.1:$(port "$1" 3)"; }

check_k() { # check_k K: K must be 1..4
  case "${1:-}" in
    [1-4]) ;;
    "") bad_usage "missing validator number K (1..$nodes)" ;;
    *) bad_usage "validator number must be 1..$nodes, not '$1'" ;;
  esac
}

# node_pid K: the pid of node K if it runs and is the process this script started: the pid in
# node.pid, whose executable is inside the venv and whose command line is `injectived start
# --home` node K's home (the venv's wrapper execs the packaged binary, keeping the pid); nothing
# otherwise.
node_pid() {
  local k=$1 file pid cmdline exe
  file=$(home_of "$k")/node.pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 0
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  case "$exe" in "$venv"/*) ;; *) return 0 ;; esac
  case "$cmdline" in
    *"/injectived start --home $(home_of "$k") ") echo "$pid" ;;
  esac
}
running_nodes() {
  local k out=()
  for k in $(seq 1 $nodes); do
    [ -z "$(node_pid "$k")" ] || out+=("$k")
  done
  echo "${out[*]:-}"
}

# ---------------------------------------------------------------------------------------------
# tools and install

need_tools() {
  local tool
  for tool in python3 curl jq flock setsid; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed (apt-get install $tool)"
  done
}

# with_progress LABEL LOG CMD...: runs CMD (output to LOG) and prints a line every 10 s
with_progress() {
  local label=$1 log=$2 pid rc start=$SECONDS next=10
  shift 2
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $((SECONDS - start)) -ge $next ]; then
      progress "$label ... $((SECONDS - start)) s"
      next=$((next + 10))
    fi
  done
  rc=0
  wait "$pid" || rc=$?
  return $rc
}

node_installed() { [ -x "$bin" ] && [[ "$("$bin" version 2>&1)" == *"v$injective_version"* ]]; }

install_node() {
  mkdir -p "$base_dir"
  node_installed && return 0
  (
    flock 8
    node_installed && exit 0
    say "installing injective-core==$injective_version (about 76 MB) into ${venv#"$root"/}"
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || die "python3 -m venv failed"
    with_progress "installing injective-core" "$base_dir/install.log" \
      "$venv/bin/pip" install --progress-bar off "injective-core==$injective_version" ||
      die "pip install failed (see ${base_dir#"$root"/}/install.log): $(tail -3 "$base_dir/install.log")"
    node_installed || die "injectived is not v$injective_version after the install"
    say "installed $("$bin" version 2>&1 | head -1)"
  ) 8>"$base_dir/install.lock"
}

# ---------------------------------------------------------------------------------------------
# chain access

height_of() { # height_of K: node K's latest height, empty if its RPC does not answer
  curl -sf -m 2 "$(rpc_of "$1")/status" 2>/dev/null | jq -r '.result.sync_info.latest_block_height // empty' 2>/dev/null || true
}
# first_api: the REST address of the first running node that answers
first_api() {
  local k
  for k in $(running_nodes); do
    if curl -sf -m 2 "$(api_of "$k")/cosmos/base/tendermint/v1beta1/node_info" >/dev/null 2>&1; then
      api_of "$k"
      return 0
    fi
  done
  return 1
}
first_rpc() {
  local k
  for k in $(running_nodes); do
    if [ -n "$(height_of "$k")" ]; then
      rpc_of "$k"
      return 0
    fi
  done
  return 1
}
validators_json() { # validators_json API: every validator, any status
  curl -sf -m 5 "$1/cosmos/staking/v1beta1/validators?pagination.limit=1000"
}

# cli_tx FROM ARGS...: signs and broadcasts (sync) a transaction; prints its hash
cli_tx() {
  local from=$1 rpc out
  shift
  rpc=$(first_rpc) || die "no node answers on RPC"
  out=$("$bin" tx "$@" --from "$from" --keyring-backend test --keyring-dir "$keyring" \
    --home "$(home_of 1)" --chain-id "$(chain_id)" --node "${rpc/http:/tcp:}" \
    --fees "$fees" -b sync -y -o json 2>&1) || die "tx $1 $2 from $from not broadcast: $(tail -3 <<<"$out")"
  out=$(grep '^{' <<<"$out" | tail -1)
  [ "$(jq -r .code <<<"$out")" = 0 ] || die "tx $1 $2 from $from refused: $(jq -r .raw_log <<<"$out")"
  jq -r .txhash <<<"$out"
}
# wait_txs TIMEOUT HASH...: waits until every transaction is in a block and succeeded
wait_txs() {
  local timeout=$1 deadline api hash code left
  shift
  deadline=$((SECONDS + timeout))
  left=("$@")
  while [ ${#left[@]} -gt 0 ]; do
    api=$(first_api) || true
    local still=()
    for hash in "${left[@]}"; do
      code=$(curl -sf -m 3 "$api/cosmos/tx/v1beta1/txs/$hash" 2>/dev/null | jq -r '.tx_response.code' 2>/dev/null || true)
      case "$code" in
        "") still+=("$hash") ;;
        0) ;;
        *) die "tx $hash failed (code $code): $(curl -sf "$api/cosmos/tx/v1beta1/txs/$hash" | jq -r .tx_response.raw_log)" ;;
      esac
    done
    left=("${still[@]}")
    [ ${#left[@]} -gt 0 ] || break
    [ "$SECONDS" -lt "$deadline" ] || die "${#left[@]} transaction(s) not in a block after $timeout s"
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------
# building the net

check_ports_free() {
  local k off p
  for k in $(seq 1 $nodes); do
    for off in 0 1 2 3 4 5; do
      p=$(port "$k" "$off")
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "port $p on 127.0.0.1 is in use (set LOCALNET_PORT_BASE to a free block of $((nodes * 10)) ports)"
      fi
    done
  done
}

# configure_node K PEERS: loopback listeners, ports, peers, block timing
configure_node() {
  local k=$1 peers=$2 home
  home=$(home_of "$k")
  python3 - "$home/config/config.toml" "$home/config/app.toml" <<EOF
import re, sys

def set_keys(path, wanted):
    out, section = [], ""
    for line in open(path).read().split("\n"):
        head = re.match(r"^\[([^\]]+)\]\s*$", line)
        if head:
            section = head.group(1)
        else:
            key = re.match(r"^([A-Za-z0-9_.-]+)\s*=", line)
            if key and (section, key.group(1)) in wanted:
                line = "%s = %s" % (key.group(1), wanted.pop((section, key.group(1))))
        out.append(line)
    if wanted:
        sys.exit("keys not found in %s: %s" % (path, sorted(wanted)))
    open(path, "w").write("\n".join(out))

set_keys(sys.argv[1], {
    ("", "moniker"): '"node$k"',
    ("", "proxy_app"): '"tcp://127.0.0.1:$(port "$k" 5)"',
    ("rpc", "laddr"): '"tcp://127.0.0.1:$(port "$k" 1)"',
    ("rpc", "pprof_laddr"): '"127.0.0.1:$(port "$k" 4)"',
    ("p2p", "laddr"): '"tcp://127.0.0.1:$(port "$k" 0)"',
    ("p2p", "external_address"): '""',
    ("p2p", "persistent_peers"): '"$peers"',
    ("p2p", "pex"): "false",
    ("p2p", "addr_book_strict"): "false",
    ("p2p", "allow_duplicate_ip"): "true",
    ("consensus", "timeout_commit"): '"300ms"',
    ("instrumentation", "prometheus"): "false",
})
set_keys(sys.argv[2], {
    ("api", "enable"): "true",
    ("api", "address"): '"tcp://127.0.0.1:$(port "$k" 3)"',
    ("grpc", "enable"): "true",
    ("grpc", "address"): '"127.0.0.1:$(port "$k" 2)"',
    ("json-rpc", "enable"): "false",
    ("json-rpc-debug", "enable"): "false",
    ("chainstream", "server"): '""',
    ("injective-websocket", "address"): '""',
})
EOF
}

# add_key NAME ROLE: a secp256k1 key in the net's keyring; its JSON (with mnemonic) is kept
add_key() {
  local name=$1 role=$2 json
  json=$("$bin" keys add "$name" --algo secp256k1 --keyring-backend test --keyring-dir "$keyring" --output json 2>/dev/null) ||
    die "keys add $name failed"
  jq -c --arg role "$role" '{name, role: $role, address, pubkey: (.pubkey | fromjson), mnemonic}' <<<"$json" >>"$net/keys.jsonl"
}
address_of() { jq -r --arg n "$1" 'select(.name == $n) | .address' "$net/keys.jsonl"; }

build_net() { # build_net N
  local n=$1 chain k name genesis peers window max_validators t0=$SECONDS
  chain=$(chain_id)
  [ "$n" -gt 0 ] && window=100000 || window=50
  max_validators=$((nodes + n > 100 ? nodes + n : 100))
  say "building $chain in ${net#"$root"/}: $nodes nodes$([ "$n" -gt 0 ] && echo ", $n node-less validators"), ports $(port_base)-$(($(port_base) + 10 * nodes - 1))"
  mkdir -p "$net/gentx" "$keyring"
  : >"$net/keys.jsonl"
  for k in $(seq 1 $nodes); do
    "$bin" init "node$k" --chain-id "$chain" --home "$(home_of "$k")" >/dev/null 2>&1 || die "init node$k failed"
  done
  progress "keys: val1..val$nodes, deployer, keeper, user1..user5$([ "$n" -gt 0 ] && echo ", nodeless1..nodeless$n")"
  for k in $(seq 1 $nodes); do add_key "val$k" validator; done
  add_key deployer deployer
  add_key keeper keeper
  for k in 1 2 3 4 5; do add_key "user$k" user; done
  for k in $(seq 1 "$n"); do add_key "nodeless$k" nodeless-validator; done

  local h1
  h1=$(home_of 1)
  for k in $(seq 1 $nodes); do
    "$bin" genesis add-genesis-account "$(address_of "val$k")" "${node_funds}stake,${inj_funds}inj" --chain-id "$chain" --home "$h1" >/dev/null 2>&1 ||
      die "add-genesis-account val$k failed"
  done
  for name in deployer keeper user1 user2 user3 user4 user5; do
    "$bin" genesis add-genesis-account "$(address_of "$name")" "${account_stake}stake,${inj_funds}inj" --chain-id "$chain" --home "$h1" >/dev/null 2>&1 ||
      die "add-genesis-account $name failed"
  done

  genesis=$h1/config/genesis.json
  jq --arg window "$window" --argjson maxval "$max_validators" '
      .app_state.staking.params.unbonding_time = "90s"
    | .app_state.staking.params.max_validators = $maxval
    | .app_state.slashing.params.signed_blocks_window = $window
    | .app_state.slashing.params.min_signed_per_window = "0.500000000000000000"
    | .app_state.slashing.params.downtime_jail_duration = "60s"
    | .app_state.slashing.params.slash_fraction_downtime = "0.010000000000000000"
    | .app_state.gov.params.voting_period = "20s"
    | .app_state.gov.params.expedited_voting_period = "10s"
    | .app_state.gov.params.max_deposit_period = "60s"
    | .app_state.gov.params.min_deposit = [{"denom": "inj", "amount": "1000000000000000000"}]
    | .app_state.gov.params.expedited_min_deposit = [{"denom": "inj", "amount": "5000000000000000000"}]' \
    "$genesis" >"$genesis.new" || die "genesis edit failed"
  mv "$genesis.new" "$genesis"

  progress "gentx: $nodes validators of ${node_bond} stake each"
  for k in $(seq 1 $nodes); do
    [ "$k" = 1 ] || cp "$genesis" "$(home_of "$k")/config/genesis.json"
    "$bin" genesis gentx "val$k" "${node_bond}stake" --chain-id "$chain" --home "$(home_of "$k")" \
      --keyring-backend test --keyring-dir "$keyring" --moniker "node$k" --ip 127.0.0.1 \
      --p2p-port "$(port "$k" 0)" --min-self-delegation 1 \
      --output-document "$net/gentx/node$k.json" >/dev/null 2>&1 || die "gentx val$k failed"
  done
  "$bin" genesis collect-gentxs --gentx-dir "$net/gentx" --home "$h1" >/dev/null 2>&1 || die "collect-gentxs failed"
  "$bin" genesis validate --home "$h1" >/dev/null 2>&1 || die "the genesis does not validate: $("$bin" genesis validate --home "$h1" 2>&1 | tail -2)"
  for k in $(seq 2 $nodes); do cp "$genesis" "$(home_of "$k")/config/genesis.json"; done

  local ids=() valopers=() valcons=()
  for k in $(seq 1 $nodes); do
    ids+=("$("$bin" tendermint show-node-id --home "$(home_of "$k")")")
    valcons+=("$("$bin" tendermint show-address --home "$(home_of "$k")")")
    valopers+=("$("$bin" keys show "val$k" --bech val -a --keyring-backend test --keyring-dir "$keyring")")
  done
  for k in $(seq 1 $nodes); do
    peers=""
    for j in $(seq 1 $nodes); do
      [ "$j" = "$k" ] && continue
      peers="${peers:+$peers,}${ids[$((j - 1))]}@127.0.0.1:$(port "$j" 0)"
    done
    configure_node "$k" "$peers" || die "configuring node$k failed"
  done

  # accounts.json: every key with its mnemonic (valoper for the validators)
  local valoper_map="{}"
  for k in $(seq 1 $nodes); do
    valoper_map=$(jq -c --arg n "val$k" --arg v "${valopers[$((k - 1))]}" '. + {($n): $v}' <<<"$valoper_map")
  done
  jq -s --arg chain "$chain" --arg keyring "${keyring#"$root"/}" --argjson valopers "$valoper_map" \
    --arg node_funds "$node_funds" --arg account_stake "$account_stake" --arg inj "$inj_funds" \
    --arg nl_stake "$nodeless_stake" --arg nl_inj "$nodeless_inj" '{
      chain_id: $chain, keyring_backend: "test", keyring_dir: $keyring, key_algo: "secp256k1",
      hd_path: "m/44'"'"'/60'"'"'/0'"'"'/0/0", bech32_prefix: "inj", fee_denom: "inj", staking_denom: "stake",
      accounts: [ .[] | . + (if $valopers[.name] then {valoper: $valopers[.name]} else {} end)
        + {funds: (if .role == "validator" then "\($node_funds)stake,\($inj)inj"
                   elif .role == "nodeless-validator" then "\($nl_stake)stake,\($nl_inj)inj (sent by val1 after start)"
                   else "\($account_stake)stake,\($inj)inj" end)} ] }' \
    "$net/keys.jsonl" >"$net/accounts.json"
  rm -f "$net/keys.jsonl"

  local node_list="[]"
  for k in $(seq 1 $nodes); do
    node_list=$(jq -c --argjson k "$k" --arg home "${net#"$root"/}/node$k" --arg id "${ids[$((k - 1))]}" \
      --arg valoper "${valopers[$((k - 1))]}" --arg valcons "${valcons[$((k - 1))]}" \
      --arg rpc "$(rpc_of "$k")" --arg api "$(api_of "$k")" --arg grpc "127.0.0.1:$(port "$k" 2)" \
      --arg p2p "127.0.0.1:$(port "$k" 0)" \
      '. + [{node: $k, home: $home, node_id: $id, valoper: $valoper, valcons: $valcons, rpc: $rpc, api: $api, grpc: $grpc, p2p: $p2p}]' <<<"$node_list")
  done
  jq -n --arg chain "$chain" --argjson base "$(port_base)" --argjson n "$n" --argjson window "$window" \
    --argjson nodes "$node_list" \
    '{chain_id: $chain, port_base: $base, nodeless_validators: $n, signed_blocks_window: $window,
      nodeless_created: false, nodes: $nodes}' >"$meta.new"
  mv "$meta.new" "$meta"
  progress "genesis: unbonding_time 90s, signed_blocks_window $window (min_signed 0.5, jail 60s, slash 1%), voting_period 20s (expedited 10s), max_validators $max_validators ($((SECONDS - t0)) s)"
}

# start_node K: starts node K in its own session; its pid goes to node.pid
start_node() {
  local k=$1 home pid
  home=$(home_of "$k")
  rm -f "$home/node.pid"
  printf '\n==== start %s\n' "$(date -u +%FT%TZ)" >>"$home/node.log"
  # its own session, no inherited lock descriptors; the pid is the node's (bash execs it)
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$1"; exec "$2" start --home "$3"' localnet-node "$home/node.pid" "$bin" "$home" \
    </dev/null >>"$home/node.log" 2>&1 8>&- 9>&- &
  pid=""
  for _ in $(seq 1 50); do
    pid=$(node_pid "$k")
    [ -z "$pid" ] || break
    sleep 0.1
  done
  [ -n "$pid" ] || die "node$k did not start: $(tail -5 "$home/node.log")"
  progress "node$k started (pid $pid, rpc $(rpc_of "$k"), log ${home#"$root"/}/node.log)"
}

# stop_nodes K...: TERM, then wait up to 30 s (KILL after that)
stop_nodes() {
  local k pid pids=() names=()
  for k in "$@"; do
    pid=$(node_pid "$k")
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
    names+=("node$k (pid $pid)")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  local deadline=$((SECONDS + 30)) alive
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      ! kill -0 "$pid" 2>/dev/null || alive+=("$pid")
    done
    [ ${#alive[@]} -gt 0 ] || break
    if [ "$SECONDS" -ge "$deadline" ]; then
      for pid in "${alive[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  for k in "$@"; do rm -f "$(home_of "$k")/node.pid"; done
  say "stopped ${names[*]}"
}

# wait_blocks COUNT TIMEOUT: until each of the four nodes is COUNT blocks past the highest height
# seen at the start (the first blocks after a fresh start count from 0); fails if a node exits
wait_blocks() {
  local count=$1 timeout=$2 start=$SECONDS next=5 k h top=0 target lowest line
  for k in $(running_nodes); do
    h=$(height_of "$k")
    [ -n "$h" ] && [ "$h" -gt "$top" ] && top=$h
  done
  target=$((top + count))
  say "waiting for blocks: every node at height >= $target"
  while :; do
    lowest=$target
    line=""
    for k in $(seq 1 $nodes); do
      [ -n "$(node_pid "$k")" ] || die "node$k exited: $(tail -5 "$(home_of "$k")/node.log")"
      h=$(height_of "$k")
      line="$line node$k=${h:--}"
      if [ -z "$h" ]; then lowest=-1; elif [ "$h" -lt "$lowest" ]; then lowest=$h; fi
    done
    if [ "$lowest" -ge "$target" ]; then
      progress "heights:$line ($((SECONDS - start)) s)"
      return 0
    fi
    if [ $((SECONDS - start)) -ge $next ]; then
      progress "heights:$line ($((SECONDS - start)) s)"
      next=$((next + 5))
    fi
    [ $((SECONDS - start)) -lt "$timeout" ] || die "blocks not produced within $timeout s (heights:$line)"
    sleep 0.3
  done
}

# create_nodeless N: funds nodeless1..N from val1, then each sends create-validator with a fresh
# consensus key (kept in nodeless/); waits until all 4+N validators are bonded
create_nodeless() {
  local n=$1 i name tmp pubkey addrs=() hashes=() hash api bonded start=$SECONDS
  say "node-less validators: $n (signed_blocks_window 100000 for everyone: a stopped node is not jailed in this mode)"
  mkdir -p "$net/nodeless"
  for i in $(seq 1 "$n"); do addrs+=("$(jq -r --arg n "nodeless$i" '.accounts[] | select(.name == $n) | .address' "$net/accounts.json")"); done
  hash=$(cli_tx val1 bank multi-send "$(jq -r '.accounts[] | select(.name == "val1") | .address' "$net/accounts.json")" \
    "${addrs[@]}" "${nodeless_stake}stake,${nodeless_inj}inj" --gas auto --gas-adjustment 1.5)
  wait_txs 60 "$hash"
  progress "funded nodeless1..nodeless$n from val1"
  for i in $(seq 1 "$n"); do
    name=nodeless$i
    tmp=$net/nodeless/.init-$name
    rm -rf "$tmp"
    "$bin" init "$name" --chain-id "$(chain_id)" --home "$tmp" >/dev/null 2>&1 || die "consensus key for $name failed"
    pubkey=$("$bin" tendermint show-validator --home "$tmp")
    cp "$tmp/config/priv_validator_key.json" "$net/nodeless/$name.priv_validator_key.json"
    rm -rf "$tmp"
    jq -n --argjson pubkey "$pubkey" --arg amount "${nodeless_bond}stake" --arg moniker "$name" '{
      pubkey: $pubkey, amount: $amount, moniker: $moniker, identity: "", website: "", security: "",
      details: "localnet validator without a node", "commission-rate": "0.1",
      "commission-max-rate": "0.2", "commission-max-change-rate": "0.01", "min-self-delegation": "1" }' \
      >"$net/nodeless/$name.json"
  done
  # different signers: broadcast in groups of 8 without waiting for each block
  local jobs=() job
  for i in $(seq 1 "$n"); do
    (cli_tx "nodeless$i" staking create-validator "$net/nodeless/nodeless$i.json" --gas 400000 >"$net/nodeless/nodeless$i.txhash") &
    jobs+=($!)
    if [ $((i % 8)) = 0 ] || [ "$i" = "$n" ]; then
      for job in "${jobs[@]}"; do wait "$job" || die "a create-validator transaction was not accepted"; done
      jobs=()
      progress "create-validator broadcast: $i of $n"
    fi
  done
  for i in $(seq 1 "$n"); do hashes+=("$(cat "$net/nodeless/nodeless$i.txhash")"); done
  wait_txs 120 "${hashes[@]}"
  while :; do
    api=$(first_api) || true
    bonded=$(curl -sf -m 5 "$api/cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED&pagination.limit=1000" 2>/dev/null | jq '.validators | length' 2>/dev/null || echo 0)
    [ "$bonded" -ge $((nodes + n)) ] && break
    [ $((SECONDS - start)) -lt 180 ] || die "only $bonded of $((nodes + n)) validators bonded"
    sleep 0.5
  done
  jq '.nodeless_created = true' "$meta" >"$meta.new" && mv "$meta.new" "$meta"
  progress "$bonded validators bonded ($((SECONDS - start)) s)"
}

print_endpoints() {
  local k
  say "chain id $(chain_id); accounts and mnemonics: ${net#"$root"/}/accounts.json (keyring-backend test, --keyring-dir ${keyring#"$root"/})"
  for k in $(seq 1 $nodes); do
    progress "node$k rpc $(rpc_of "$k")  api $(api_of "$k")  grpc 127.0.0.1:$(port "$k" 2)  p2p 127.0.0.1:$(port "$k" 0)"
  done
}

# ---------------------------------------------------------------------------------------------
# commands

up_started=0
on_exit() {
  local rc=$?
  if [ "$up_started" = 1 ] && [ "$rc" != 0 ]; then
    printf 'localnet: up failed; stopping the nodes it started\n' >&2
    stop_nodes $(seq 1 $nodes) >&2 || true
  fi
  exit "$rc"
}
trap on_exit EXIT

cmd_up() { # cmd_up N|"" (fresh: whether the net must be built)
  local n=$1 t0=$SECONDS running stored k
  need_tools
  running=$(running_nodes)
  [ -z "$running" ] || die "already up (nodes running: $running); use down, reset or start-validator K"
  if [ -f "$meta" ] && [ "$(jq -r .nodeless_created "$meta")" = false ] && [ "$(jq -r .nodeless_validators "$meta")" != 0 ]; then
    say "the net in ${net#"$root"/} never finished its node-less validators: rebuilding it"
    [ -n "$n" ] || n=$(jq -r .nodeless_validators "$meta")
    wipe_net
  fi
  if [ -f "$meta" ]; then
    stored=$(jq -r .nodeless_validators "$meta")
    if [ -n "$n" ] && [ "$n" != "$stored" ]; then
      die "the existing net has $stored node-less validator(s), not $n: use reset --validators $n"
    fi
    if [ -n "${LOCALNET_PORT_BASE:-}" ] && [ "$LOCALNET_PORT_BASE" != "$(port_base)" ]; then
      die "the existing net uses port base $(port_base), not LOCALNET_PORT_BASE=$LOCALNET_PORT_BASE: use reset"
    fi
    install_node
    check_ports_free
    say "resuming $(chain_id) from ${net#"$root"/} (reset starts afresh)"
    up_started=1
    for k in $(seq 1 $nodes); do start_node "$k"; done
    wait_blocks 3 120
  else
    [ -n "$n" ] || n=0
    [ ! -e "$net" ] || {
      say "removing an incomplete ${net#"$root"/}"
      wipe_net
    }
    check_ports_free
    install_node
    build_net "$n"
    up_started=1
    for k in $(seq 1 $nodes); do start_node "$k"; done
    wait_blocks 3 120
    [ "$n" = 0 ] || create_nodeless "$n"
  fi
  up_started=0
  print_endpoints
  say "up in $((SECONDS - t0)) s"
}

# Removes the net's folder: only one of this script's nets (a folder directly in
# target/localnet holding its localnet.json), never another folder LOCALNET_NET_DIR names.
wipe_net() {
  if [ "$(dirname -- "$net")" = "$base_dir" ] && { [ -f "$meta" ] || [ "$net" = "$base_dir/net" ]; }; then
    rm -rf -- "$net"
  else
    die "refusing to remove $net: reset wipes only a net of this script in ${base_dir#"$root"/}"
  fi
}

cmd_down() {
  local running
  running=$(running_nodes)
  [ -n "$running" ] || die "not up (no node of ${net#"$root"/} is running)"
  # shellcheck disable=SC2086
  stop_nodes $running
  [ -z "$(running_nodes)" ] || die "some nodes are still running: $(running_nodes)"
  say "down"
}

cmd_reset() {
  local n=$1
  need_tools
  if [ -f "$meta" ]; then # keep the port base and chain id unless the environment sets them
    LOCALNET_PORT_BASE=${LOCALNET_PORT_BASE:-$(jq -r .port_base "$meta")}
    LOCALNET_CHAIN_ID=${LOCALNET_CHAIN_ID:-$(jq -r .chain_id "$meta")}
  fi
  [ -z "$(running_nodes)" ] || cmd_down
  if [ -e "$net" ]; then
    wipe_net
    say "wiped ${net#"$root"/}"
  fi
  cmd_up "${n:-0}"
}

cmd_stop_validator() {
  local k=$1 pid others
  [ -f "$meta" ] || die "not up (no net in ${net#"$root"/})"
  pid=$(node_pid "$k")
  [ -n "$pid" ] || die "node$k is not running"
  stop_nodes "$k"
  others=$(running_nodes)
  if [ "$(wc -w <<<"$others")" -lt 3 ]; then
    say "warning: only ${others:-no nodes} left running: below 2/3 of the power, the chain halts until a node is started again"
  elif [ "$(jq -r .signed_blocks_window "$meta")" -le 1000 ]; then
    say "validator $k ($(jq -r --argjson k "$k" '.nodes[$k - 1].valoper' "$meta")) will be jailed for downtime once it has missed more than $(($(jq -r .signed_blocks_window "$meta") / 2)) of the last $(jq -r .signed_blocks_window "$meta") blocks (about 30 s; not before height $(($(jq -r .signed_blocks_window "$meta") + 1)))"
  else
    say "signed_blocks_window is $(jq -r .signed_blocks_window "$meta") (mode --validators): validator $k will not be jailed soon"
  fi
}

cmd_start_validator() {
  local k=$1 unjail=$2
  [ -f "$meta" ] || die "not up (no net in ${net#"$root"/}): use up"
  need_tools
  if [ -n "$(node_pid "$k")" ]; then
    [ "$unjail" = 1 ] || die "node$k is already running"
    say "node$k is already running"
  else
    check_ports_free_node "$k"
    start_node "$k"
    wait_caught_up "$k"
  fi
  unjail_or_tell "$k" "$unjail"
}

# wait_caught_up K: until node K is within a block of the others and not catching up
wait_caught_up() {
  local k=$1 start=$SECONDS h top j
  say "waiting for node$k to catch up"
  while :; do
    [ -n "$(node_pid "$k")" ] || die "node$k exited: $(tail -5 "$(home_of "$k")/node.log")"
    h=$(height_of "$k")
    top=0
    for j in $(running_nodes); do
      [ "$j" = "$k" ] && continue
      local hj
      hj=$(height_of "$j")
      [ -n "$hj" ] && [ "$hj" -gt "$top" ] && top=$hj
    done
    if [ -n "$h" ] && [ "$h" -ge $((top - 1)) ] && [ "$h" -gt 0 ] &&
      [ "$(curl -sf -m 2 "$(rpc_of "$k")/status" | jq -r .result.sync_info.catching_up)" = false ]; then
      break
    fi
    [ $((SECONDS - start)) -lt 180 ] || die "node$k did not catch up within 180 s (at ${h:--}, others at $top)"
    [ $(((SECONDS - start) % 5)) != 0 ] || progress "node$k at ${h:--}, others at $top"
    sleep 1
  done
  progress "node$k at height $h ($((SECONDS - start)) s)"
}

# unjail_or_tell K UNJAIL: with UNJAIL=1 unjails validator K (waiting for its jailed_until);
# otherwise says whether it is jailed
unjail_or_tell() {
  local k=$1 unjail=$2 api info until_s now hash valoper valcons jailed
  api=$(first_api) || die "no REST API answers"
  valoper=$(jq -r --argjson k "$k" '.nodes[$k - 1].valoper' "$meta")
  valcons=$(jq -r --argjson k "$k" '.nodes[$k - 1].valcons' "$meta")
  jailed=$(curl -sf "$api/cosmos/staking/v1beta1/validators/$valoper" | jq -r '.validator.jailed // false')
  if [ "$jailed" = true ] && [ "$unjail" != 1 ]; then
    say "validator $k is still jailed: start-validator $k --unjail unjails it once downtime_jail_duration (60s) has passed"
  elif [ "$unjail" = 1 ]; then
    if [ "$jailed" != true ]; then
      say "validator $k is not jailed"
    else
      info=$(curl -sf "$api/cosmos/slashing/v1beta1/signing_infos/$valcons" | jq -r .val_signing_info.jailed_until)
      until_s=$(date -u -d "$info" +%s)
      now=$(date -u +%s)
      if [ "$until_s" -gt "$now" ]; then
        say "validator $k is jailed until $info: waiting $((until_s - now + 2)) s"
        sleep $((until_s - now + 2))
      fi
      hash=$(cli_tx "val$k" slashing unjail --gas 300000)
      wait_txs 60 "$hash"
      say "validator $k unjailed (tx $hash)"
    fi
  fi
}

check_ports_free_node() {
  local off p
  for off in 0 1 2 3 4 5; do
    p=$(port "$1" "$off")
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      die "port $p on 127.0.0.1 is in use: node$1 cannot start"
    fi
  done
}

cmd_status() {
  [ -f "$meta" ] || die "not up (no net in ${net#"$root"/})"
  local k pid h api vals sinfos valoper valcons v missed running window
  running=$(running_nodes)
  window=$(jq -r .signed_blocks_window "$meta")
  say "chain id $(chain_id); ${net#"$root"/}; signed_blocks_window $window; node-less validators $(jq -r .nodeless_validators "$meta")"
  api=$(first_api || true)
  vals='{"validators": []}'
  sinfos='{"info": []}'
  if [ -n "$api" ]; then
    vals=$(validators_json "$api" || echo '{"validators": []}')
    sinfos=$(curl -sf -m 5 "$api/cosmos/slashing/v1beta1/signing_infos?pagination.limit=1000" || echo '{"info": []}')
  fi
  printf '%-6s %-8s %-8s %-8s %-22s %-7s %-10s %s\n' node pid alive height status jailed missed rpc
  for k in $(seq 1 $nodes); do
    pid=$(node_pid "$k")
    h=""
    [ -z "$pid" ] || h=$(height_of "$k")
    valoper=$(jq -r --argjson k "$k" '.nodes[$k - 1].valoper' "$meta")
    valcons=$(jq -r --argjson k "$k" '.nodes[$k - 1].valcons' "$meta")
    v=$(jq -c --arg v "$valoper" '.validators[] | select(.operator_address == $v) | {status, jailed: (.jailed // false)}' <<<"$vals")
    [ -n "$v" ] || v='{}'
    missed=$(jq -r --arg c "$valcons" '.info[] | select(.address == $c) | .missed_blocks_counter' <<<"$sinfos")
    printf '%-6s %-8s %-8s %-8s %-22s %-7s %-10s %s\n' "node$k" "${pid:--}" "$([ -n "$pid" ] && echo yes || echo no)" \
      "${h:--}" "$(jq -r '.status // "?"' <<<"$v")" "$(jq -r 'if has("jailed") then .jailed else "?" end' <<<"$v")" \
      "${missed:-?}/$window" "$(rpc_of "$k")"
  done
  if [ -n "$api" ]; then
    local bonded jailed_count total
    total=$(jq '.validators | length' <<<"$vals")
    bonded=$(jq '[.validators[] | select(.status == "BOND_STATUS_BONDED")] | length' <<<"$vals")
    jailed_count=$(jq '[.validators[] | select(.jailed == true)] | length' <<<"$vals")
    say "validators: $total, bonded $bonded, jailed $jailed_count"
    if [ "$(jq -r .nodeless_validators "$meta")" != 0 ]; then
      local node_cons most
      node_cons=$(jq -c '[.nodes[].valcons]' "$meta")
      most=$(jq -r --argjson nodes "$node_cons" '[.info[] | select(.address as $a | $nodes | index($a) | not)
        | .missed_blocks_counter | tonumber] | max // 0' <<<"$sinfos")
      say "node-less validators: most missed blocks $most of $window (jailed above $((window / 2)))"
    fi
    local rpc top
    rpc=$(first_rpc || true)
    top=$(curl -sf -m 2 "$rpc/status" | jq -r .result.sync_info.latest_block_height)
    if [ -n "$top" ] && [ "$top" -gt 21 ]; then
      curl -sf -m 5 "$rpc/blockchain?minHeight=$((top - 20))&maxHeight=$top" | python3 -c '
import json, sys, datetime
metas = json.load(sys.stdin)["result"]["block_metas"]
def t(s):
    s = s.rstrip("Z")
    whole, _, frac = s.partition(".")
    return datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").timestamp() + float("0." + (frac or "0"))
times = sorted(t(m["header"]["time"]) for m in metas)
print("localnet: block time %.2f s (mean interval over %d blocks up to height %s)" % ((times[-1] - times[0]) / (len(times) - 1), len(times) - 1, max(int(m["header"]["height"]) for m in metas)))' || true
    fi
  elif [ -n "$running" ]; then
    say "no node's REST API answers yet"
  fi
  if [ -z "$running" ]; then
    say "not up (no node is running)"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# arguments

parse_validators() { # parse_validators ARGS...: prints N or nothing
  local n=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --validators)
        [ $# -ge 2 ] || bad_usage "--validators needs a number"
        n=$2
        shift 2
        ;;
      --validators=*)
        n=${1#--validators=}
        shift
        ;;
      *) bad_usage "unknown option '$1'" ;;
    esac
  done
  if [ -n "$n" ]; then
    [[ "$n" =~ ^[0-9]+$ ]] || bad_usage "--validators needs a number, not '$n'"
    n=$((10#$n))
    [ "$n" -le $max_nodeless ] || bad_usage "--validators is at most $max_nodeless"
  fi
  echo "$n"
}

lock() {
  mkdir -p "$base_dir"
  exec 9>"$base_dir/localnet.lock"
  # One lock for every net (they share the install and the test accounts): a command started
  # while another runs waits for it, up to 10 minutes.
  if ! flock -n 9; then
    say "waiting for another scripts/localnet.sh command to finish"
    flock -w 600 9 || die "another scripts/localnet.sh command is running (waited 10 minutes)"
  fi
}

[ $# -ge 1 ] || bad_usage "missing command"
command=$1
shift
case "$command" in
  up)
    n=$(parse_validators "$@") || exit 2
    lock
    cmd_up "$n"
    ;;
  reset)
    n=$(parse_validators "$@") || exit 2
    lock
    cmd_reset "$n"
    ;;
  down)
    [ $# = 0 ] || bad_usage "down takes no argument"
    lock
    cmd_down
    ;;
  status)
    [ $# = 0 ] || bad_usage "status takes no argument"
    cmd_status
    ;;
  stop-validator)
    [ $# -le 1 ] || bad_usage "stop-validator takes one argument K"
    check_k "${1:-}"
    lock
    cmd_stop_validator "$1"
    ;;
  start-validator)
    check_k "${1:-}"
    k=$1
    shift
    unjail=0
    case "${1:-}" in
      "") ;;
      --unjail) unjail=1 ;;
      *) bad_usage "unknown option '$1' for start-validator" ;;
    esac
    [ $# -le 1 ] || bad_usage "start-validator takes K and at most --unjail"
    lock
    cmd_start_validator "$k" "$unjail"
    ;;
  -h | --help | help) usage ;;
  *) bad_usage "unknown command '$command'" ;;
esac

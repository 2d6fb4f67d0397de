//! `gas.json` in the shape the issue fixes, and `gas.md` for people: tables, ratios to the
//! floor, slopes per validator, targets met or missed and by how much.

use std::fmt::Write;

use flowstake_vm_tests::artifacts;
use flowstake_vm_tests::querier::{GAS_QUERY_FLAT, GAS_QUERY_PER_BYTE};
use flowstake_vm_tests::vm::CallGas;

use crate::chain_gas::{self, ChainGas};
use crate::measure::{
    AtHolders, AtValidators, Measured, Probes, HISTORY_BATCHES, HISTORY_HOLDERS, HOLDER_COUNTS,
    HOLDER_VALIDATORS, OPERATIONS,
};

/// Wasm size targets, in bytes (1 KB = 1,000 bytes).
pub const HUB_SIZE_TARGET: u64 = 380_000;
pub const TOKEN_SIZE_TARGET: u64 = 300_000;
/// "Flat": within this many percent of the smallest configuration's figure.
pub(crate) const FLAT_PERCENT: u64 = 5;
/// Most gas per validator that harvest and submit may add.
pub(crate) const SLOPE_TARGET: u64 = 15_000_000;
/// How the build route and its settings were chosen: a record of the comparison made then.
const ROUTE_NOTES: &str = include_str!("route.md");
/// What each part of the hub costs: a record of measurements on modified copies of the hub.
const ATTRIBUTION_NOTES: &str = include_str!("attribution.md");
/// Operations of `gas.json`.
const JSON_OPERATIONS: usize = 6;

pub struct Sizes {
    pub hub: u64,
    pub token: u64,
    pub collector: u64,
    pub floor: u64,
}

impl Sizes {
    pub fn read() -> Sizes {
        let size = |path: std::path::PathBuf| std::fs::metadata(&path).map_or(0, |m| m.len());
        Sizes {
            hub: size(artifacts::contract_path("hub")),
            token: size(artifacts::contract_path("token")),
            collector: size(artifacts::contract_path("collector")),
            floor: size(artifacts::floor_path()),
        }
    }
}

pub struct Report {
    pub floor: u64,
    pub floor_token: u64,
    pub at_validators: Vec<AtValidators>,
    pub at_holders: Vec<AtHolders>,
    pub probes: Probes,
    /// The real chain's figures, if `docs/gas-chain.json` exists.
    pub chain: Option<ChainGas>,
    pub sizes: Sizes,
    pub checksums: String,
    /// `artifacts/build-info.txt`: the route and settings the artifacts were built with.
    pub build_info: String,
}

impl Report {
    /// The hub's gas of `op` at each validator count.
    pub(crate) fn series(&self, op: &str) -> Vec<(usize, u64)> {
        self.at_validators
            .iter()
            .map(|at| (at.validators, at.get(op).hub))
            .collect()
    }

    /// The hub's gas of `op` at `validators`, if the report measured both.
    pub(crate) fn vm_gas(&self, op: &str, validators: usize) -> Option<u64> {
        let at = self
            .at_validators
            .iter()
            .find(|at| at.validators == validators)?;
        at.ops
            .iter()
            .find(|(name, _)| *name == op)
            .map(|(_, m)| m.hub)
    }

    pub(crate) fn at(&self, validators: usize) -> &AtValidators {
        self.at_validators
            .iter()
            .find(|at| at.validators == validators)
            .expect("measured validator count")
    }

    /// Gas added per validator from the smallest to the largest set.
    pub(crate) fn slope(&self, op: &str) -> i64 {
        let series = self.series(op);
        let (n0, g0) = series[0];
        let (n1, g1) = series[series.len() - 1];
        (g1 as i64 - g0 as i64) / (n1 as i64 - n0 as i64)
    }

    /// The steepest gas added per validator over the 1-validator figure, at any count.
    pub(crate) fn max_slope(&self, op: &str) -> i64 {
        let series = self.series(op);
        let (n0, g0) = series[0];
        series[1..]
            .iter()
            .map(|&(n, g)| (g as i64 - g0 as i64) / (n as i64 - n0 as i64))
            .max()
            .unwrap_or(0)
    }

    pub(crate) fn ratio(&self, gas: u64) -> f64 {
        gas as f64 / self.floor as f64
    }
}

/// `100000` as `100,000`.
fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

pub(crate) fn millions(gas: u64) -> String {
    format!("{:.1} M", gas as f64 / 1e6)
}

pub(crate) fn signed_millions(gas: i64) -> String {
    format!("{:+.2} M", gas as f64 / 1e6)
}

pub(crate) fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1e3)
}

/// `docs/gas.json`, in exactly the shape of the issue.
pub fn json(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("{\n  \"vm\": \"cosmwasm-vm 2.3.5\",\n");
    let _ = writeln!(out, "  \"floor\": {},", report.floor);
    let _ = writeln!(
        out,
        "  \"wasm_bytes\": {{ \"hub\": {}, \"token\": {} }},",
        report.sizes.hub, report.sizes.token
    );
    out.push_str("  \"operations\": {\n");
    for (index, op) in OPERATIONS[..JSON_OPERATIONS].iter().enumerate() {
        let values: Vec<String> = report
            .series(op)
            .iter()
            .map(|(n, gas)| format!("\"{n}\": {gas}"))
            .collect();
        let comma = if index + 1 < JSON_OPERATIONS { "," } else { "" };
        let key = format!("\"{op}\":");
        let _ = writeln!(out, "    {key:<20}{{ {} }}{comma}", values.join(", "));
    }
    out.push_str("  },\n");
    let holders = |pick: fn(&AtHolders) -> &Measured| -> String {
        let values: Vec<String> = report
            .at_holders
            .iter()
            .map(|at| format!("\"{}\": {}", at.holders, pick(at).hub))
            .collect();
        format!("{{ {} }}", values.join(", "))
    };
    let _ = writeln!(
        out,
        "  \"holders\": {{ \"bond\": {}, \"submit_batch\": {} }}",
        holders(|at| &at.bond),
        holders(|at| &at.submit_batch)
    );
    out.push_str("}\n");
    out
}

/// The hub's gas per operation and validator count, with ratios and slopes.
pub fn validator_table(report: &Report) -> String {
    let mut out = String::new();
    let counts: Vec<String> = report
        .at_validators
        .iter()
        .map(|at| at.validators.to_string())
        .collect();
    let _ = writeln!(
        out,
        "| operation (hub calls) | {} | per validator | × floor at {} | × floor at {} |",
        counts.join(" | "),
        counts[0],
        counts[counts.len() - 1]
    );
    let _ = writeln!(
        out,
        "| --- |{} ---: | ---: | ---: |",
        " ---: |".repeat(counts.len())
    );
    for op in OPERATIONS {
        let series = report.series(op);
        let cells: Vec<String> = report
            .at_validators
            .iter()
            .map(|at| {
                let m = at.get(op);
                if m.txs > 1 {
                    format!("{} ({} tx)", millions(m.hub), m.txs)
                } else {
                    millions(m.hub)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| {op} | {} | {} | {:.2} | {:.2} |",
            cells.join(" | "),
            signed_millions(report.slope(op)),
            report.ratio(series[0].1),
            report.ratio(series[series.len() - 1].1)
        );
    }
    out
}

/// The token's and the collector's calls per operation and validator count.
pub fn side_table(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("| operation | contract |");
    for at in &report.at_validators {
        let _ = write!(out, " {} |", at.validators);
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" ---: |".repeat(report.at_validators.len()));
    out.push('\n');
    for op in OPERATIONS {
        for (contract, pick) in [
            ("token", (|m: &Measured| m.token) as fn(&Measured) -> u64),
            ("collector", |m: &Measured| m.collector),
        ] {
            if report.at_validators.iter().all(|at| pick(at.get(op)) == 0) {
                continue;
            }
            let _ = write!(out, "| {op} | {contract} |");
            for at in &report.at_validators {
                let _ = write!(out, " {} |", millions(pick(at.get(op))));
            }
            out.push('\n');
        }
    }
    out
}

/// Operations that took more than one transaction somewhere: how many, and the largest.
fn transactions_note(report: &Report) -> String {
    let mut out = String::new();
    for op in OPERATIONS {
        let several: Vec<String> = report
            .at_validators
            .iter()
            .filter(|at| at.get(op).txs > 1)
            .map(|at| {
                let m = at.get(op);
                format!(
                    "{} at {} validators (largest {})",
                    m.txs,
                    at.validators,
                    millions(m.largest_tx)
                )
            })
            .collect();
        if !several.is_empty() {
            let _ = writeln!(
                out,
                "`{op}` took several transactions, each a call of its own (the figure is their \
                 sum): {}.",
                several.join(", ")
            );
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn calls_table(out: &mut String, calls: &[CallGas]) {
    out.push_str("| call | gas | host part | of which queries | wasm part |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: |\n");
    for call in calls {
        let _ = writeln!(
            out,
            "| {} `{}` | {} | {} | {} | {} |",
            call.label,
            call.entry,
            millions(call.gas),
            millions(call.host_gas),
            millions(call.query_gas),
            millions(call.gas - call.host_gas)
        );
    }
}

pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let first = report.at_validators[0].validators;
    let last = report.at_validators[report.at_validators.len() - 1].validators;
    let query_flat = thousands(GAS_QUERY_FLAT);
    let history_holders = HISTORY_HOLDERS;
    let history_batches = HISTORY_BATCHES;
    let unbonding_batch = HISTORY_BATCHES + 1;
    let first_batch = HISTORY_BATCHES + 2;
    let _ = write!(
        out,
        "# Gas in the CosmWasm VM

Generated by `scripts/gas-report.sh` (which builds the artifacts with `scripts/build-wasm.sh
--floor`, then runs `cargo run --release --locked --bin gas-report` in `tests/vm`). Do not
edit by hand: rerun the script. `gas.json` holds the figures of the tables below marked
*(json)*.

**What is measured.** The artifacts in `artifacts/` are stored in cosmwasm-vm 2.3.5 (its cache
validates and compiles them as a chain's node does) and every call runs in a fresh instance
of the compiled wasm. The figures are VM gas, as `Instance::create_gas_report` counts it:
wasm execution plus what the host charges, which here is what cosmwasm-vm's own testing
backend charges (a query costs {query_flat} plus {GAS_QUERY_PER_BYTE} per byte of the
answer; storage a few units per byte). The Cosmos SDK's own gas for storage, message routing and
instantiation is not included: it is the same for any contract doing the same storage work.
Gas is deterministic: the same artifacts give the same figures on every run.

**What an operation counts.** Every call into the hub that the operation makes: the
execute, its replies, and callbacks (`receive_rewards` from the collector during harvest,
`receive` from the token when queuing). The token's and the collector's own calls are
reported separately and are not in the hub figures. An operation that takes several
transactions (a submission the hub spreads over calls) counts all of them. The slope is
(gas at {last} − gas at {first}) / ({last} − {first}).

**Addresses.** Every address has the length and format of Injective's (prefix `inj`), in
bech32 with a valid checksum, and the VM's api (cosmwasm-vm's `MockApi` with that prefix)
validates them as the chain does, refusing a wrong prefix or checksum: accounts (users,
holders, owner, keeper, fee receiver) are 20 bytes, `inj1` + 38 characters = 42; contracts
(hub, token, collector) are 32 bytes, `inj1` + 58 = 62, derived from the code id and the
instance sequence as wasmd derives them; validators are `injvaloper1` + 38 = 49 characters,
numbered in their first two data characters so that they sort by index.

**The state each figure is measured in.** Not a fresh hub: a steady state with history.
For the validator counts, the hub is instantiated with the set, every validator receives one
bond, then {history_holders} holders bond; {history_batches} epochs pass with a harvest each and a batch
of half of those holders' requests submitted; both batches mature and are reconciled and four
holders withdraw; then four more holders queue (the first, after the epoch's end, submits
batch {unbonding_batch}, which stays unbonding; the other three wait in the pending batch) and a day of
rewards is harvested. Only then is anything measured, in this order: a fresh user's bond
(the token then holds a balance for each staker and holder before it), the queries, a harvest
of one day's rewards (not the first), sync, a queue unbond into the pending batch that holds
those three requests, and its cancel, the submission of that batch (batch {first_batch}, with the
user's request), seven more of the user's batches submitted one an epoch (batch
{unbonding_batch} is reconciled on the way, as it matures), a reconcile that books the user's first two
(with {unbonding_batch} batches reconciled before them and the user's six others still unbonding), the
user's withdrawal of nine requests (two claimable), adding a validator, and removing one
that holds stake. `instantiate` is the only figure of an empty hub. The holder counts start
from the same history with {HOLDER_VALIDATORS} validators before their N holders bond and queue
(see Holders).

"
    );

    out.push_str("## Artifacts\n\n");
    out.push_str(
        "Built by `scripts/build-wasm.sh` (settings from `artifacts/build-info.txt`; the floor \
         is built with the same route and settings from `tests/vm/floor`):\n\n",
    );
    let _ = writeln!(out, "```\n{}```\n", report.build_info);
    out.push_str("| wasm | bytes | target |\n| --- | ---: | --- |\n");
    let _ = writeln!(
        out,
        "| flowstake_hub.wasm *(json)* | {} | < {} |",
        report.sizes.hub,
        kb(HUB_SIZE_TARGET)
    );
    let _ = writeln!(
        out,
        "| flowstake_token.wasm *(json)* | {} | < {} |",
        report.sizes.token,
        kb(TOKEN_SIZE_TARGET)
    );
    let _ = writeln!(
        out,
        "| flowstake_collector.wasm | {} | |",
        report.sizes.collector
    );
    let _ = writeln!(out, "| floor | {} | |\n", report.sizes.floor);
    if !report.checksums.is_empty() {
        let _ = writeln!(out, "```\n{}```\n", report.checksums);
    }
    out.push_str(ROUTE_NOTES);
    out.push('\n');

    let _ = write!(
        out,
        "## The floor

A minimal contract kept in `tests/vm/floor`: `execute` reads one config item and emits one
`Delegate` and one cw20 `Mint`, nothing else. Its call costs **{}** *(json: `floor`)*; the
token's mint it triggers costs {} more and is not in the floor, as the token's calls are not
in the hub's figures.

",
        millions(report.floor),
        millions(report.floor_token)
    );

    out.push_str("## Targets\n\n");
    out.push_str(&crate::targets::summary(report));
    out.push('\n');

    let _ = write!(
        out,
        "## Operations by validator count\n\nGas of all hub calls of each operation, in millions \
         of VM gas. The first six rows are `operations` in gas.json. Queries (`redemption_rate`, \
         `state`, `preview_bond`) are one call each. `instantiate` is the hub's instantiation \
         with its two replies.\n\n"
    );
    out.push_str(&validator_table(report));
    out.push('\n');
    out.push_str(&transactions_note(report));

    out.push_str(
        "### The token's and the collector's calls\n\nNot in the figures above: the token's \
         `mint` (bond), `send` (queue unbond), `transfer` (cancel) and `burn` (submit batch), the \
         collector's `forward` (harvest).\n\n",
    );
    out.push_str(&side_table(report));
    out.push('\n');

    if !report.at_holders.is_empty() {
        let _ = write!(
            out,
            "## Holders\n\nWith {HOLDER_VALIDATORS} validators, after the history (see the \
             method) and then N holders who each bonded and queued a request into the pending \
             batch (so the token holds N more balances and the hub N more requests). A fresh \
             user then bonds and queues, and the batch of N + 4 requests (three of them the history's) is submitted. Hub calls; the token's in brackets.\n\n| operation | {} |\n| --- |{}\n",
            HOLDER_COUNTS
                .iter()
                .map(|h| format!("{h} holders"))
                .collect::<Vec<_>>()
                .join(" | "),
            " ---: |".repeat(HOLDER_COUNTS.len())
        );
        for (name, pick) in [
            (
                "bond *(json)*",
                (|at: &AtHolders| &at.bond) as fn(&AtHolders) -> &Measured,
            ),
            ("queue_unbond", |at: &AtHolders| &at.queue_unbond),
            ("submit_batch *(json)*", |at: &AtHolders| &at.submit_batch),
        ] {
            let _ = write!(out, "| {name} |");
            for at in &report.at_holders {
                let m = pick(at);
                let _ = write!(out, " {} ({}) |", millions(m.hub), millions(m.token));
            }
            out.push('\n');
        }
        out.push('\n');
    }

    out.push_str(&chain_gas::section(
        report.chain.as_ref(),
        &|op: &str, n: usize| report.vm_gas(op, n),
    ));

    let _ = write!(
        out,
        "## Call by call\n\nEvery call of each operation at {first} and at {last} validators. The \
         host part is what the host charged (storage, queries, address checks); the wasm part is \
         execution of the contract's own code.\n\n"
    );
    for op in [
        "bond",
        "harvest",
        "queue_unbond",
        "submit_batch",
        "withdraw_unbonded",
        "reconcile",
        "remove_validator",
    ] {
        for validators in [first, last] {
            let _ = writeln!(out, "**{op}, {validators} validators**\n");
            calls_table(&mut out, &report.at(validators).get(op).calls);
            out.push('\n');
        }
    }

    out.push_str(&analysis(report));
    out.push('\n');
    out.push_str(ATTRIBUTION_NOTES);
    out
}

/// Where the gas goes: the fixed cost of entering the hub against the floor, and what grows
/// with the validator set.
fn analysis(report: &Report) -> String {
    let mut out = String::new();
    let first = report.at(report.at_validators[0].validators);
    let last_at = &report.at_validators[report.at_validators.len() - 1];
    let n = (last_at.validators - first.validators) as i64;
    let probes = &report.probes;
    let bond = first.get("bond");
    let per_validator = |op: &str, pick: fn(&Measured) -> u64| -> i64 {
        (pick(last_at.get(op)) as i64 - pick(first.get(op)) as i64) / n
    };
    let _ = write!(
        out,
        "## Where the gas goes

**Fixed cost of a hub call.** A bond sent without funds makes the hub parse the message,
check the pause, load the config and stop at the payment check: {} ({:.2} × floor; host gas
{}). A `paused` query (one item, a short answer) costs {}. The whole bond costs {}: about {}
of it is the bond's own work after that entry (the state, the rate, the ledger's load index,
the writes, the response with its two messages and five attributes), against the floor's
{} for its entire call.

**Per validator.** From {} to {} validators, per validator added:

| operation | all hub gas | host part | of which queries | wasm part |
| --- | ---: | ---: | ---: | ---: |
",
        millions(probes.bond_without_funds.gas),
        report.ratio(probes.bond_without_funds.gas),
        millions(probes.bond_without_funds.host_gas),
        millions(probes.query_paused.gas),
        millions(bond.hub),
        millions(bond.hub.saturating_sub(probes.bond_without_funds.gas)),
        millions(report.floor),
        first.validators,
        last_at.validators,
    );
    for op in [
        "sync",
        "harvest",
        "submit_batch",
        "reconcile",
        "remove_validator",
    ] {
        let all = per_validator(op, |m| m.hub);
        let host = per_validator(op, |m| m.hub_host_gas());
        let queries = per_validator(op, |m| m.hub_query_gas());
        let _ = writeln!(
            out,
            "| {op} | {} | {} | {} | {} |",
            signed_millions(all),
            signed_millions(host),
            signed_millions(queries),
            signed_millions(all - host)
        );
    }
    out.push_str(
        "\n`sync` is the part harvest, submit batch and reconcile share: one `AllDelegations` \
         and one `AllValidators` query (their answers grow by one delegation and one validator \
         per validator and are charged per byte), and the load of every validator of the set from storage to compare it with the chain. \
         Harvest adds one `WithdrawDelegatorReward` message per delegated validator; submit \
         batch adds the pro-rata split, one ledger write and one `Undelegate` message per \
         validator, and one reply (the first undelegation's `MsgUndelegateResponse`). No \
         operation makes a query or a reply per validator: the host part per \
         validator is the answer's bytes and the ledger's storage reads and writes; the rest \
         is wasm execution (decoding the answer and the ledger entries, building the \
         messages).\n",
    );
    out
}

//! Real gas of every hub transaction on a real node, beside the chain's own staking messages.
//!
//! Run by `scripts/chain-gas.sh`, which builds a localnet with enough node-less validators for
//! a hub set of `CHAIN_GAS_VALIDATORS`, runs this test (`--ignored`: it needs that net) and
//! stops the net. The test deploys the hub with that many validators, builds a steady state
//! with history (every validator holds stake, several users bonded, one batch submitted), then
//! sends one transaction of each kind and records the chain's `gas_used` and `gas_wanted`.
//! The history batch is submitted before the set is filled, so that one is unbonding even
//! where a submission to the whole set does not fit a block.
//!
//! Every transaction is simulated first (on a node whose simulation limit is raised above the
//! block's, so a transaction too large for a block still shows what it needs), then sent
//! through the operator library, which asks for at most the block's gas limit. One that needs
//! more than the block allows is recorded as not fitting, with its simulated gas, and the run
//! goes on.
//!
//! Cranks that may span several calls are called again while they say they are not done:
//! `submit_batch` while its response carries `submission_done` = `false` (absent means done);
//! a harvest's `withdrawn` attribute (validators withdrawn from), when present, is noted.
//!
//! Environment: `LOCALNET_NET_DIR` (the net), `CHAIN_GAS_VALIDATORS` (the hub's set size, 1 by
//! default), `CHAIN_GAS_ARTIFACTS` (the wasm folder, `artifacts/` by default), `CHAIN_GAS_OUT`
//! (the JSON written, `target/chain-gas/size-N.json` by default).

mod common;

use std::str::FromStr;
use std::time::{Duration, Instant};

use bip32::{DerivationPath, Language, Mnemonic};
use common::{connect, entry, net_dir, root};
use cosmrs::cosmwasm::{MsgExecuteContract, MsgInstantiateContract};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::distribution::MsgWithdrawDelegatorReward;
use cosmrs::proto::cosmos::auth::v1beta1::{QueryAccountInfoRequest, QueryAccountInfoResponse};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::prost::Message;
use cosmrs::rpc::{Client, HttpClient};
use cosmrs::staking::{MsgDelegate, MsgUndelegate};
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin, Denom};
use cosmwasm_std::{to_json_binary, Decimal, Uint128};
use flowstake::hub::{InstantiateMsg, RateBounds, TokenInfo, ValidatorWeight};
use flowstake_operator::client::{Chain, Signer, TxOutcome};
use flowstake_operator::ops;
use serde::Serialize;
use serde_json::{json, Value};

/// Native each filling bond delegates: one per validator, so that every validator holds stake.
const FILL_BOND: u128 = 1_000_000_000_000;
/// Bonds per transaction while filling (fewer if a simulation says they would not fit).
const FILL_PER_TX: usize = 10;
/// Most `submit_batch` calls for one batch before the harness gives up.
const MAX_SUBMIT_CALLS: usize = 60;

/// One measured operation, as `docs/gas-chain.json` records it.
#[derive(Clone, Debug, Serialize)]
struct Op {
    op: String,
    /// The chain's gas used (the largest call's when there are several); the simulated gas of
    /// a transaction that does not fit; null if it could not be measured.
    gas_used: Option<u64>,
    gas_wanted: Option<u64>,
    /// Whether it fits a block; null if it was not measured (refused, or skipped).
    fits: Option<bool>,
    calls: u32,
    note: String,
}

/// A localnet account: the library's signer, and the same key for simulations.
struct Key {
    signer: Signer,
    key: SigningKey,
    name: String,
}

fn key(chain: &Chain, name: &str) -> Key {
    let entry = entry(name);
    let phrase = entry["mnemonic"].as_str().unwrap();
    let signer = Signer::from_mnemonic(phrase, &chain.file.prefix, chain.file.coin_type).unwrap();
    let mnemonic = Mnemonic::new(phrase.trim(), Language::English).unwrap();
    let path =
        DerivationPath::from_str(&format!("m/44'/{}'/0'/0/0", chain.file.coin_type)).unwrap();
    let key = SigningKey::derive_from_path(mnemonic.to_seed(""), &path).unwrap();
    assert_eq!(
        key.public_key().account_id(&chain.file.prefix).unwrap(),
        signer.address
    );
    Key {
        signer,
        key,
        name: name.to_string(),
    }
}

fn any(msg: impl Msg) -> Any {
    msg.to_any().unwrap()
}

fn coin(amount: u128, denom: &str) -> Coin {
    Coin {
        denom: Denom::from_str(denom).unwrap(),
        amount,
    }
}

fn addr(address: &str) -> AccountId {
    AccountId::from_str(address).unwrap()
}

/// The first run of digits after `label` in `text`.
fn number_after(text: &str, label: &str) -> Option<u64> {
    let start = text.find(label)? + label.len();
    let digits: String = text[start..]
        .chars()
        .skip_while(|c| c.is_whitespace())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

fn short(text: &str) -> String {
    let text = text.replace('\n', " ");
    if text.chars().count() > 240 {
        format!("{}...", text.chars().take(240).collect::<String>())
    } else {
        text
    }
}

struct Harness {
    chain: Chain,
    rpc: HttpClient,
    /// The block's gas limit (consensus params), None if unlimited.
    max_gas: Option<u64>,
    size: usize,
    started: Instant,
    ops: Vec<Op>,
    hub: String,
    token: String,
}

impl Harness {
    fn say(&self, line: &str) {
        eprintln!(
            "chain-gas [{} validators, {:>4} s] {line}",
            self.size,
            self.started.elapsed().as_secs()
        );
    }

    fn fits(&self, gas: u64) -> bool {
        self.max_gas.is_none_or(|max| gas <= max)
    }

    /// Simulates `msgs` signed by `who`: the gas used, or the node's refusal.
    async fn simulate(&self, who: &Key, msgs: &[Any]) -> Result<u64, String> {
        let request = QueryAccountInfoRequest {
            address: who.signer.address.to_string(),
        };
        let answer = self
            .rpc
            .abci_query(
                Some("/cosmos.auth.v1beta1.Query/AccountInfo".to_string()),
                request.encode_to_vec(),
                None,
                false,
            )
            .await
            .map_err(|e| e.to_string())?;
        let info = QueryAccountInfoResponse::decode(answer.value.as_slice())
            .map_err(|e| e.to_string())?
            .info
            .ok_or("no account")?;
        let body = Body::new(msgs.to_vec(), "", 0u32);
        let fee = Fee::from_amount_and_gas(coin(0, &self.chain.file.fee_denom), 0u64);
        let auth =
            SignerInfo::single_direct(Some(who.key.public_key()), info.sequence).auth_info(fee);
        let chain_id = self.chain.file.chain_id.parse().unwrap();
        let doc = SignDoc::new(&body, &auth, &chain_id, info.account_number).unwrap();
        let bytes = doc.sign(&who.key).unwrap().to_bytes().unwrap();
        #[allow(deprecated)]
        let request = SimulateRequest {
            tx: None,
            tx_bytes: bytes,
        };
        let answer = self
            .rpc
            .abci_query(
                Some("/cosmos.tx.v1beta1.Service/Simulate".to_string()),
                request.encode_to_vec(),
                None,
                false,
            )
            .await
            .map_err(|e| e.to_string())?;
        if answer.code.is_err() {
            return Err(answer.log);
        }
        let response =
            SimulateResponse::decode(answer.value.as_slice()).map_err(|e| e.to_string())?;
        Ok(response.gas_info.map_or(0, |g| g.gas_used))
    }

    /// Simulates and sends one transaction; never panics on the chain's answer.
    async fn attempt(&self, op: &str, who: &Key, msgs: Vec<Any>) -> (Op, Option<TxOutcome>) {
        let simulated = self.simulate(who, &msgs).await;
        let sent = self.chain.send(&who.signer, msgs).await;
        let mut record = Op {
            op: op.to_string(),
            gas_used: None,
            gas_wanted: None,
            fits: None,
            calls: 1,
            note: String::new(),
        };
        match (sent, simulated) {
            (Ok(outcome), simulated) => {
                record.gas_used = Some(outcome.gas_used.max(0) as u64);
                record.gas_wanted = Some(outcome.gas_wanted.max(0) as u64);
                record.fits = Some(true);
                if let Ok(sim) = simulated {
                    self.say(&format!(
                        "{op}: gas_used {} (simulated {sim}), gas_wanted {}",
                        outcome.gas_used, outcome.gas_wanted
                    ));
                }
                (record, Some(outcome))
            }
            (Err(err), simulated) => {
                let text = err.to_string();
                let out_of_gas = text.contains("out of gas");
                match simulated {
                    Ok(sim) if !self.fits(sim) => {
                        record.gas_used = Some(sim);
                        record.gas_wanted = self.max_gas;
                        record.fits = Some(false);
                        record.note = format!(
                            "simulated {sim} > block max_gas {}; sent with the block's limit: {}",
                            self.max_gas.unwrap_or(0),
                            short(&text)
                        );
                    }
                    Ok(sim) if out_of_gas => {
                        record.gas_used = Some(sim);
                        record.gas_wanted = number_after(&text, "gasWanted:");
                        record.fits = Some(false);
                        record.note = format!("simulated {sim}; out of gas: {}", short(&text));
                    }
                    Err(log) if log.contains("out of gas") => {
                        // The simulation itself stopped at the node's simulation limit.
                        record.gas_used = number_after(&log, "gasUsed:");
                        record.gas_wanted = number_after(&log, "gasWanted:");
                        record.fits = record.gas_used.map(|g| self.fits(g));
                        record.note = format!(
                            "the simulation ran out of gas at {} (the node's simulation limit): needs more; {}",
                            record.gas_wanted.unwrap_or(0),
                            short(&log)
                        );
                    }
                    Ok(sim) => {
                        record.gas_used = Some(sim);
                        record.note = format!("refused (simulated {sim}): {}", short(&text));
                    }
                    Err(log) => {
                        record.note = format!("refused: {}", short(&log));
                    }
                }
                self.say(&format!("{op}: NOT SENT OK: {}", record.note));
                (record, None)
            }
        }
    }

    /// [`Self::attempt`], recorded.
    async fn measure(&mut self, op: &str, who: &Key, msgs: Vec<Any>) -> Option<TxOutcome> {
        let (record, outcome) = self.attempt(op, who, msgs).await;
        self.ops.push(record);
        outcome
    }

    fn skip(&mut self, op: &str, why: &str) {
        self.say(&format!("{op}: not measured: {why}"));
        self.ops.push(Op {
            op: op.to_string(),
            gas_used: None,
            gas_wanted: None,
            fits: None,
            calls: 0,
            note: format!("not measured: {why}"),
        });
    }

    /// A setup transaction: it must succeed.
    async fn run(&self, what: &str, who: &Key, msgs: Vec<Any>) -> TxOutcome {
        match self.chain.send(&who.signer, msgs).await {
            Ok(outcome) => outcome,
            Err(err) => panic!("setup step {what} by {} failed: {err}", who.name),
        }
    }

    fn hub_msg(&self, who: &Key, msg: Value, native: u128) -> Any {
        let funds = if native > 0 {
            vec![coin(native, &self.chain.file.staking_denom)]
        } else {
            vec![]
        };
        any(MsgExecuteContract {
            sender: who.signer.address.clone(),
            contract: addr(&self.hub),
            msg: serde_json::to_vec(&msg).unwrap(),
            funds,
        })
    }

    fn bond_msg(&self, who: &Key, native: u128) -> Any {
        self.hub_msg(
            who,
            json!({"bond": {"receiver": null, "min_shares": null}}),
            native,
        )
    }

    fn queue_msg(&self, who: &Key, shares: u128) -> Any {
        self.send_msg(who, shares, json!({"queue_unbond": {"receiver": null}}))
    }

    /// An instant exit of `shares` from the buffer, accepting any payout.
    fn instant_msg(&self, who: &Key, shares: u128) -> Any {
        let hook = json!({"instant_unbond": {"receiver": null, "min_native": null}});
        self.send_msg(who, shares, hook)
    }

    /// `shares` of derivative sent to the hub through the token's `Send`, with `hook`.
    fn send_msg(&self, who: &Key, shares: u128, hook: Value) -> Any {
        let send = json!({"send": {
            "contract": self.hub,
            "amount": shares.to_string(),
            "msg": to_json_binary(&hook).unwrap(),
        }});
        any(MsgExecuteContract {
            sender: who.signer.address.clone(),
            contract: addr(&self.token),
            msg: serde_json::to_vec(&send).unwrap(),
            funds: vec![],
        })
    }

    async fn query(&self, msg: Value) -> Value {
        self.chain.query(&self.hub, &msg).await.unwrap()
    }

    async fn now(&self) -> u64 {
        self.chain.latest().await.unwrap().1
    }

    /// Waits until a block's time is at least `time`.
    async fn wait_until(&self, time: u64, what: &str) {
        let now = self.now().await;
        if now < time {
            self.say(&format!("waiting {} s for {what}", time - now));
        }
        while self.now().await < time {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits for `count` new blocks.
    async fn wait_blocks(&self, count: u64) {
        let (start, _) = self.chain.latest().await.unwrap();
        while self.chain.latest().await.unwrap().0 < start + count {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// The hub's validators as (address, delegated).
    async fn hub_validators(&self) -> Vec<(String, u128)> {
        let mut all = vec![];
        let mut after: Option<String> = None;
        loop {
            let page = self
                .query(json!({"validators": {"start_after": after, "limit": 30}}))
                .await;
            let page = page.as_array().unwrap().clone();
            if page.is_empty() {
                break;
            }
            for v in &page {
                let delegated: u128 = v["delegated"].as_str().unwrap().parse().unwrap();
                all.push((v["address"].as_str().unwrap().to_string(), delegated));
            }
            after = all.last().map(|(a, _)| a.clone());
        }
        all
    }

    async fn pending(&self) -> (u64, u128, u64) {
        let p = self.query(json!({"pending_batch": {}})).await;
        (
            p["id"].as_u64().unwrap(),
            p["shares"].as_str().unwrap().parse().unwrap(),
            p["submit_after"].as_u64().unwrap(),
        )
    }

    /// Submits the pending batch, calling again while the hub says the submission is not done.
    /// Returns the combined record and whether the whole batch went out.
    async fn submit(&mut self, op: &str, keeper: &Key) -> (Op, bool) {
        let mut calls: Vec<Op> = vec![];
        let mut done = false;
        for _ in 0..MAX_SUBMIT_CALLS {
            let msg = self.hub_msg(keeper, json!({"submit_batch": {}}), 0);
            let (record, outcome) = self.attempt(op, keeper, vec![msg]).await;
            calls.push(record);
            let Some(outcome) = outcome else { break };
            if !outcome
                .wasm_attributes("submission_done")
                .contains(&"false")
            {
                done = true;
                break;
            }
        }
        let mut combined = calls[0].clone();
        combined.calls = calls.len() as u32;
        combined.gas_used = calls.iter().filter_map(|c| c.gas_used).max();
        combined.gas_wanted = calls.iter().filter_map(|c| c.gas_wanted).max();
        combined.fits = if calls.iter().all(|c| c.fits == Some(true)) {
            Some(true)
        } else if calls.iter().any(|c| c.fits == Some(false)) {
            Some(false)
        } else {
            None
        };
        if calls.len() > 1 {
            let each: Vec<String> = calls
                .iter()
                .map(|c| c.gas_used.map_or("-".to_string(), |g| g.to_string()))
                .collect();
            let total: u64 = calls.iter().filter_map(|c| c.gas_used).sum();
            combined.note = format!(
                "{} calls, gas_used per call: {} (total {total}); gas_used is the largest call{}",
                calls.len(),
                each.join(", "),
                calls
                    .iter()
                    .find(|c| !c.note.is_empty())
                    .map_or(String::new(), |c| format!("; {}", c.note))
            );
        }
        if !done && combined.note.is_empty() {
            combined.note = "the batch was not fully submitted".to_string();
        }
        (combined, done)
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a localnet with enough validators: scripts/chain-gas.sh"]
async fn chain_gas() {
    let started = Instant::now();
    let size: usize = std::env::var("CHAIN_GAS_VALIDATORS")
        .map(|v| v.parse().expect("CHAIN_GAS_VALIDATORS is a number"))
        .unwrap_or(1);
    assert!(size >= 1);
    let artifacts = std::env::var_os("CHAIN_GAS_ARTIFACTS")
        .map_or_else(|| root().join("artifacts"), std::path::PathBuf::from);
    let out = std::env::var_os("CHAIN_GAS_OUT").map_or_else(
        || root().join(format!("target/chain-gas/size-{size}.json")),
        std::path::PathBuf::from,
    );
    let chain = connect().await;
    let rpc = HttpClient::builder(chain.file.rpc.parse().unwrap())
        .compat_mode(cosmrs::rpc::client::CompatMode::V0_38)
        .build()
        .unwrap();
    let status = rpc.status().await.unwrap();
    let params = rpc
        .consensus_params(status.sync_info.latest_block_height)
        .await
        .unwrap();
    let max_gas = u64::try_from(params.consensus_params.block.max_gas).ok();

    // The hub's set: the nodes' validators first, then node-less ones; at least one stays
    // outside for add_validator.
    let layout: Value =
        serde_json::from_str(&std::fs::read_to_string(net_dir().join("localnet.json")).unwrap())
            .unwrap();
    let mut candidates: Vec<String> = layout["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["valoper"].as_str().unwrap().to_string())
        .collect();
    let mut others: Vec<String> = chain
        .bonded_validators()
        .await
        .unwrap()
        .into_iter()
        .filter(|v| !candidates.contains(v))
        .collect();
    others.sort();
    candidates.extend(others);
    assert!(
        candidates.len() > size,
        "{} bonded validators: a hub set of {size} needs at least {} (scripts/chain-gas.sh)",
        candidates.len(),
        size + 1
    );
    let set: Vec<String> = candidates[..size].to_vec();
    let outside = candidates[size].clone();

    let mut h = Harness {
        chain,
        rpc,
        max_gas,
        size,
        started,
        ops: vec![],
        hub: String::new(),
        token: String::new(),
    };
    h.say(&format!(
        "chain {} at {}, block max_gas {max_gas:?}, {} bonded validators, artifacts {}",
        h.chain.file.chain_id,
        h.chain.file.rpc,
        candidates.len(),
        artifacts.display()
    ));
    let deployer = key(&h.chain, "deployer");
    let keeper = key(&h.chain, "keeper");
    let users: Vec<Key> = (1..=4)
        .map(|i| key(&h.chain, &format!("user{i}")))
        .collect();
    let plain = key(&h.chain, "user5");
    let denom = h.chain.file.staking_denom.clone();

    // --- deployment: three codes, then the hub instantiated with the whole set (measured).
    let mut ids = vec![];
    for name in ["hub", "token", "collector"] {
        let wasm = std::fs::read(artifacts.join(format!("flowstake_{name}.wasm")))
            .expect("the artifacts exist (scripts/build-wasm.sh)");
        let id = ops::store(&h.chain, &deployer.signer, wasm).await.unwrap();
        h.say(&format!("stored {name}: code id {id}"));
        ids.push(id);
    }
    let unbonding = h.chain.unbonding_time().await.unwrap();
    let epoch = unbonding.div_ceil(7).max(1);
    let instantiate = InstantiateMsg {
        owner: None,
        guardian: None,
        denom: denom.clone(),
        token_code_id: ids[1],
        collector_code_id: ids[2],
        token: TokenInfo {
            name: format!("Flowstake {denom}"),
            symbol: "fsSTAKE".to_string(),
            decimals: 6,
            marketing: None,
        },
        validators: set
            .iter()
            .map(|address| ValidatorWeight {
                address: address.clone(),
                weight: 1,
            })
            .collect(),
        fee_receiver: deployer.signer.address.to_string(),
        fee_rate: Decimal::percent(5),
        min_bond: Uint128::new(1_000),
        min_unbond: Uint128::new(1_000),
        epoch_period: epoch,
        unbonding_period: unbonding,
        max_unbond_shortfall: Decimal::percent(5),
        rate_bounds: RateBounds {
            max_fall: Decimal::percent(10),
            max_rise: Decimal::percent(2),
        },
        // The localnet's few bonded tokens earn far more than any real chain's.
        max_reward_rate: Some(Decimal::percent(1000)),
    };
    let msg = any(MsgInstantiateContract {
        sender: deployer.signer.address.clone(),
        admin: Some(deployer.signer.address.clone()),
        code_id: ids[0],
        label: Some("flowstake hub (gas)".to_string()),
        msg: serde_json::to_vec(&instantiate).unwrap(),
        funds: vec![coin(1_000_000, &denom)],
    });
    let Some(outcome) = h.measure("instantiate", &deployer, vec![msg]).await else {
        h.say("the hub could not be instantiated: nothing else to measure");
        finish(&h, &out);
        return;
    };
    h.hub = outcome
        .events
        .iter()
        .find(|(t, k, _)| t == "instantiate" && k == "_contract_address")
        .map(|(_, _, v)| v.clone())
        .unwrap();
    let config = h.query(json!({"config": {}})).await;
    h.token = config["token"].as_str().unwrap().to_string();
    h.say(&format!(
        "hub {} with {size} validators, epoch {epoch} s, unbonding {unbonding} s",
        h.hub
    ));

    // --- history: four users bond, user1 and user2 queue, and that batch is submitted while
    // only the validators these bonds went to hold stake (a batch submission that would not
    // fit a block with the whole set staked still fits, so that a batch is unbonding).
    let msg = h.bond_msg(&users[0], 2 * FILL_BOND);
    h.run("user bond", &users[0], vec![msg]).await;
    for (user, native) in users[1..].iter().zip([
        300_000_000_000_000u128,
        200_000_000_000_000,
        100_000_000_000_000,
    ]) {
        let msg = h.bond_msg(user, native);
        h.run("user bond", user, vec![msg]).await;
    }
    h.say("user1..user4 bonded");

    // History: user1 and user2 queue, and the batch is submitted.
    let (first_batch, _, _) = h.pending().await;
    for (user, shares) in [(&users[0], FILL_BOND), (&users[1], 100_000_000_000_000)] {
        let msg = h.queue_msg(user, shares);
        h.run("history queue", user, vec![msg]).await;
    }
    let mut history_ok = true;
    loop {
        // user1's request may have submitted its batch itself (the epoch ended while filling):
        // whatever is pending is submitted too, so that the measured requests open a new epoch.
        let (_, shares, after) = h.pending().await;
        if shares == 0 {
            break;
        }
        h.wait_until(after, "the first batch's epoch").await;
        h.say("submitting the first batch (history)");
        let (record, done) = h.submit("submit_batch (history)", &keeper).await;
        h.say(&format!(
            "first batch: {} call(s), largest gas_used {:?}, fits {:?} {}",
            record.calls, record.gas_used, record.fits, record.note
        ));
        if !done {
            history_ok = false;
            break;
        }
    }
    let history: Option<Value> = if history_ok {
        let batch = h.query(json!({"batch": {"id": first_batch}})).await;
        h.say(&format!(
            "batch {first_batch} submitted, completes at {}",
            batch["completes_at"]
        ));
        Some(batch)
    } else {
        None
    };

    // --- measured: queue and cancel in the fresh epoch the submission opened (neither depends on
    // the set: no sync, no message to the chain).
    let (_, _, submit_after) = h.pending().await;
    let ends_soon = h.now().await >= submit_after;
    let msg = h.queue_msg(&users[2], FILL_BOND);
    if let Some(outcome) = h.measure("queue_unbond", &users[2], vec![msg]).await {
        if outcome.wasm_attributes("submitted").contains(&"true") || ends_soon {
            h.ops.last_mut().unwrap().note =
                "the epoch had ended: this request also submitted its batch".to_string();
        }
    }
    let msg = h.queue_msg(&users[3], FILL_BOND);
    let queued = h.chain.send(&users[3].signer, vec![msg]).await.is_ok();
    if queued {
        let msg = h.hub_msg(&users[3], json!({"cancel_unbond": {}}), 0);
        h.measure("cancel_unbond", &users[3], vec![msg]).await;
    } else {
        h.skip("cancel_unbond", "the request to cancel could not be queued");
    }
    // --- steady state: every validator holds stake (one bond into each empty validator,
    // several per transaction), then the rest is measured.
    let mut per_tx = FILL_PER_TX;
    let mut rounds = 0;
    loop {
        let empty = h
            .hub_validators()
            .await
            .iter()
            .filter(|(_, d)| *d == 0)
            .count();
        if empty == 0 {
            break;
        }
        rounds += 1;
        assert!(rounds < 4 * size + 10, "validators still without stake");
        let count = empty.min(per_tx);
        let msgs: Vec<Any> = (0..count)
            .map(|_| h.bond_msg(&users[0], FILL_BOND))
            .collect();
        match h.simulate(&users[0], &msgs).await {
            Ok(gas) if gas.saturating_mul(3) / 2 <= max_gas.unwrap_or(u64::MAX) * 9 / 10 => {}
            _ if per_tx > 1 => {
                per_tx = (per_tx / 2).max(1);
                continue;
            }
            other => panic!("a single filling bond does not fit: {other:?}"),
        }
        h.run("filling bonds", &users[0], msgs).await;
        h.say(&format!(
            "filling: {} of {size} validators held no stake, {count} bonds sent",
            empty
        ));
    }
    h.say("every validator holds stake");
    let msg = h.bond_msg(&users[2], FILL_BOND);
    h.measure("bond", &users[2], vec![msg]).await;

    let msg = h.hub_msg(&keeper, json!({"harvest": {}}), 0);
    if let Some(outcome) = h.measure("harvest", &keeper, vec![msg]).await {
        let withdraws = outcome
            .events
            .iter()
            .filter(|(t, k, _)| t == "withdraw_rewards" && k == "validator")
            .count();
        let rewards = outcome
            .wasm_attributes("rewards")
            .first()
            .map(|r| r.to_string());
        let note = match outcome.wasm_attributes("withdrawn").first() {
            Some(count) => format!(
                "one call; withdrawn = {count} (of {size}); rewards {}",
                rewards.unwrap_or_default()
            ),
            None => format!(
                "one call withdraws from every validator (no `withdrawn` attribute; {withdraws} withdraw_rewards events, the chain's own withdrawal on a re-staked delegation included); rewards {}",
                rewards.unwrap_or_default()
            ),
        };
        h.ops.last_mut().unwrap().note = note;
    }
    let msg = h.hub_msg(&keeper, json!({"sync": {}}), 0);
    h.measure("sync", &keeper, vec![msg]).await;

    let msg = h.hub_msg(
        &deployer,
        json!({"add_validator": {"address": outside, "weight": 1}}),
        0,
    );
    let added = h
        .measure("add_validator", &deployer, vec![msg])
        .await
        .is_some();
    if added {
        h.ops.last_mut().unwrap().note = format!("set {size} -> {}", size + 1);
    }
    let holder = h
        .hub_validators()
        .await
        .into_iter()
        .filter(|(a, d)| *d > 0 && set.contains(a))
        .max_by_key(|(_, d)| *d);
    match holder {
        Some((address, delegated)) if added || size > 1 => {
            let msg = h.hub_msg(
                &deployer,
                json!({"remove_validator": {"address": address}}),
                0,
            );
            if let Some(outcome) = h.measure("remove_validator", &deployer, vec![msg]).await {
                let moves = outcome
                    .events
                    .iter()
                    .filter(|(t, k, _)| t == "redelegate" && k == "destination_validator")
                    .count();
                let after = if added { size } else { size - 1 };
                h.ops.last_mut().unwrap().note = format!(
                    "set {} -> {after}; {delegated} stake redelegated in {moves} redelegation(s)",
                    after + 1
                );
            }
        }
        _ => h.skip("remove_validator", "no other validator to redelegate to"),
    }

    // The measured submission: the batch opened after the first one.
    let (_, shares, after) = h.pending().await;
    if shares > 0 {
        h.wait_until(after, "the second batch's epoch").await;
        let (record, _) = h.submit("submit_batch", &keeper).await;
        h.ops.push(record);
    } else {
        h.skip("submit_batch", "the pending batch is empty");
    }

    // The chain's own messages, from a plain account, to a validator of the hub's set.
    let delegator = plain.signer.address.clone();
    let validator = addr(&set[0]);
    let msg = any(MsgDelegate {
        delegator_address: delegator.clone(),
        validator_address: validator.clone(),
        amount: coin(1_000_000_000_000_000_000, &denom),
    });
    let delegated = h
        .measure("chain:MsgDelegate", &plain, vec![msg])
        .await
        .is_some();
    if delegated {
        h.wait_blocks(3).await;
        let msg = any(MsgWithdrawDelegatorReward {
            delegator_address: delegator.clone(),
            validator_address: validator.clone(),
        });
        h.measure("chain:MsgWithdrawDelegatorReward", &plain, vec![msg])
            .await;
        let msg = any(MsgUndelegate {
            delegator_address: delegator.clone(),
            validator_address: validator.clone(),
            amount: coin(500_000_000_000_000_000, &denom),
        });
        h.measure("chain:MsgUndelegate", &plain, vec![msg]).await;
    } else {
        h.skip("chain:MsgWithdrawDelegatorReward", "the delegation failed");
        h.skip("chain:MsgUndelegate", "the delegation failed");
    }

    // Reconcile: once the first batch's completion time has passed, the first call finds it
    // not yet provably paid (nothing to settle), the next block's call settles it.
    match history {
        Some(batch) => {
            let completes_at = batch["completes_at"].as_u64().unwrap();
            h.wait_until(completes_at, "the first batch's unbonding")
                .await;
            let msg = h.hub_msg(&keeper, json!({"reconcile": {"limit": null}}), 0);
            let first = h
                .attempt("reconcile_nothing_to_do", &keeper, vec![msg])
                .await;
            let settled_at_once = first
                .1
                .as_ref()
                .is_some_and(|o| o.wasm_attributes("batches").iter().any(|b| *b != "0"));
            if settled_at_once {
                let mut record = first.0;
                record.op = "reconcile_settle".to_string();
                h.ops.push(record);
                h.skip(
                    "reconcile_nothing_to_do",
                    "the first reconcile after completion settled at once",
                );
            } else {
                let mut record = first.0;
                if let Some(outcome) = &first.1 {
                    record.note = format!(
                        "waiting_for {}: syncs and records the block, books nothing",
                        outcome
                            .wasm_attributes("waiting_for")
                            .first()
                            .copied()
                            .unwrap_or("-")
                    );
                }
                h.ops.push(record);
                h.wait_blocks(1).await;
                let msg = h.hub_msg(&keeper, json!({"reconcile": {"limit": null}}), 0);
                if let Some(outcome) = h.measure("reconcile_settle", &keeper, vec![msg]).await {
                    h.ops.last_mut().unwrap().note = format!(
                        "batches {}",
                        outcome
                            .wasm_attributes("batches")
                            .first()
                            .copied()
                            .unwrap_or("-")
                    );
                }
            }
            let msg = h.hub_msg(
                &users[0],
                json!({"withdraw_unbonded": {"receiver": null, "limit": null}}),
                0,
            );
            h.measure("withdraw_unbonded", &users[0], vec![msg]).await;
        }
        None => {
            for op in [
                "reconcile_nothing_to_do",
                "reconcile_settle",
                "withdraw_unbonded",
            ] {
                h.skip(op, "no batch could be submitted");
            }
        }
    }

    // --- last, so that nothing above runs with a buffer: governance sets a 10 % buffer, a bond
    // fills it, and a holder exits at once from it (the exit syncs first, as the cranks do).
    let liquidity = json!({"update_config": {"liquidity": {
        "buffer_target": "0.1",
        "exit_fee": "0.005",
    }}});
    let msg = h.hub_msg(&deployer, liquidity, 0);
    if h.measure("set_liquidity", &deployer, vec![msg])
        .await
        .is_some()
    {
        let msg = h.bond_msg(&users[3], FILL_BOND);
        if let Some(outcome) = h.measure("bond_into_buffer", &users[3], vec![msg]).await {
            h.ops.last_mut().unwrap().note = format!(
                "to_buffer {}",
                outcome
                    .wasm_attributes("to_buffer")
                    .first()
                    .copied()
                    .unwrap_or("0")
            );
        }
        let msg = h.instant_msg(&users[3], FILL_BOND / 10);
        if let Some(outcome) = h.measure("instant_unbond", &users[3], vec![msg]).await {
            h.ops.last_mut().unwrap().note = format!(
                "paid {} (fee {})",
                outcome
                    .wasm_attributes("paid")
                    .first()
                    .copied()
                    .unwrap_or("-"),
                outcome
                    .wasm_attributes("fee")
                    .first()
                    .copied()
                    .unwrap_or("-")
            );
        }
    } else {
        for op in ["bond_into_buffer", "instant_unbond"] {
            h.skip(op, "the buffer could not be set");
        }
    }

    finish(&h, &out);
}

/// Writes the size's report and prints its table.
fn finish(h: &Harness, out: &std::path::Path) {
    let seconds = h.started.elapsed().as_secs();
    let report = json!({
        "validators": h.size,
        "block_max_gas": h.max_gas,
        "seconds": seconds,
        "ops": h.ops,
    });
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(out, serde_json::to_string_pretty(&report).unwrap() + "\n").unwrap();
    h.say(&format!("wrote {} ({seconds} s)", out.display()));
    for op in &h.ops {
        eprintln!(
            "  {:<34} gas_used {:>12} gas_wanted {:>12} fits {:<5} calls {} {}",
            op.op,
            op.gas_used.map_or("-".to_string(), |g| g.to_string()),
            op.gas_wanted.map_or("-".to_string(), |g| g.to_string()),
            op.fits.map_or("-".to_string(), |f| f.to_string()),
            op.calls,
            op.note
        );
    }
}

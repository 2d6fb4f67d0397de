//! What the localnet tests share: the net's accounts, a connection, a deployment, keeper ticks.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::time::Duration;

use cosmwasm_std::{Decimal, Uint128};
use flowstake::hub::{ExecuteMsg, QueryMsg, UnbondRequestResponse};
use flowstake_operator::client::{Chain, Signer, TxOutcome};
use flowstake_operator::config::{ChainFile, Deployment};
use flowstake_operator::keeper::{KeeperConfig, Tick};
use flowstake_operator::ops::{self, DeployParams};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The localnet's folder: `LOCALNET_NET_DIR` as `scripts/localnet.sh` reads it (two nets can run
/// side by side), by default target/localnet/net.
pub fn net_dir() -> PathBuf {
    match std::env::var_os("LOCALNET_NET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("target/localnet/net"),
    }
}

pub fn accounts() -> serde_json::Value {
    let path = net_dir().join("accounts.json");
    let text = std::fs::read_to_string(&path).expect("the localnet is up (scripts/localnet.sh)");
    serde_json::from_str(&text).unwrap()
}

pub fn entry(name: &str) -> serde_json::Value {
    accounts()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no account {name}"))
        .clone()
}

/// A funded account of the localnet, by name (accounts.json).
pub fn account(chain: &ChainFile, name: &str) -> Signer {
    let entry = entry(name);
    let signer = Signer::from_mnemonic(
        entry["mnemonic"].as_str().unwrap(),
        &chain.prefix,
        chain.coin_type,
    )
    .unwrap();
    // The key the tool derives is the one the chain's own key tool made.
    assert_eq!(
        signer.address.to_string(),
        entry["address"].as_str().unwrap()
    );
    signer
}

pub async fn connect() -> Chain {
    let mut file = ChainFile::load(&root().join("packages/operator/chains/localnet.toml")).unwrap();
    // The committed chain file names the default net; another net has its own ports.
    let layout = net_dir().join("localnet.json");
    let layout: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(layout).unwrap()).unwrap();
    let base = layout["port_base"].as_u64().unwrap();
    file.rpc = format!("http://127.0.0.1:{}", base + 1);
    file.chain_id = layout["chain_id"].as_str().unwrap().to_string();
    Chain::connect(file).await.expect("the localnet answers")
}

/// The parameters the tests deploy with.
pub fn deploy_params() -> DeployParams {
    DeployParams {
        artifacts: root().join("artifacts"),
        validators: vec![],
        epoch_period: None,
        fee_rate: Decimal::percent(5),
        fee_receiver: None,
        guardian: None,
        min_bond: Uint128::new(1_000),
        min_unbond: Uint128::new(1_000),
        seed: Uint128::new(1_000_000),
        symbol: "fsSTAKE".to_string(),
        // The localnet's few bonded tokens earn far more than any real chain's.
        max_reward_rate: Some(Decimal::percent(1000)),
        buffer_target: Decimal::zero(),
        exit_fee: Decimal::zero(),
    }
}

pub async fn deploy(chain: &Chain, deployer: &Signer) -> Deployment {
    deploy_with(chain, deployer, &deploy_params()).await
}

pub async fn deploy_with(chain: &Chain, deployer: &Signer, params: &DeployParams) -> Deployment {
    ops::deploy(chain, deployer, params, &mut |line| eprintln!("{line}"))
        .await
        .unwrap()
}

pub async fn requests(
    chain: &Chain,
    hub: &Deployment,
    user: &Signer,
) -> Vec<UnbondRequestResponse> {
    let query = QueryMsg::UnbondRequestsByUser {
        user: user.address.to_string(),
        start_after: None,
        limit: None,
    };
    chain.query(&hub.hub, &query).await.unwrap()
}

pub async fn stake(chain: &Chain, user: &Signer) -> u128 {
    chain
        .balance(user.address.as_ref(), &chain.file.staking_denom)
        .await
        .unwrap()
}

/// The operator address of a localnet validator, by name (accounts.json).
pub fn valoper(name: &str) -> String {
    entry(name)["valoper"].as_str().unwrap().to_string()
}

/// Runs `scripts/localnet.sh` with `args`.
pub fn localnet(args: &[&str]) {
    let status = std::process::Command::new(root().join("scripts/localnet.sh"))
        .args(args)
        .status()
        .expect("scripts/localnet.sh runs");
    assert!(status.success(), "localnet.sh {args:?} failed");
}

/// One keeper tick; a node that does not answer for a moment (a restart, a loaded machine) is
/// asked again, as the keeper loop itself does.
pub async fn tick(chain: &Chain, keeper: &Signer, hub: &Deployment, config: KeeperConfig) -> Tick {
    let mut log = |line: &str| eprintln!("keeper: {line}");
    for _ in 0..30 {
        match flowstake_operator::keeper::tick(chain, keeper, hub, config, &mut log).await {
            Ok(done) => return done,
            Err(err) if err.is_transient() => {
                eprintln!("keeper: node unavailable, retrying: {err}");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(err) => panic!("{err}"),
        }
    }
    panic!("the node did not answer for a minute");
}

/// `user` bonds `native`.
pub async fn bond(
    chain: &Chain,
    user: &Signer,
    hub: &Deployment,
    native: u128,
) -> Result<TxOutcome, flowstake_operator::error::OperatorError> {
    let msg = ExecuteMsg::Bond {
        receiver: None,
        min_shares: None,
        forward: None,
    };
    ops::execute(chain, user, hub, &msg, native).await
}

pub fn ok(outcome: Result<TxOutcome, flowstake_operator::error::OperatorError>) -> TxOutcome {
    outcome.unwrap_or_else(|err| panic!("{err}"))
}

// ---------------------------------------------------------------------------------------------
// The chain's own figures, read directly from x/staking, x/bank, x/gov and the token, to hold
// the hub against; and the chain messages the tests send that are no hub operation.

use std::collections::BTreeMap;

use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use cosmrs::proto::prost::Message;
use cosmrs::rpc::{Client, HttpClient};
use cosmrs::Any;
use flowstake::hub::{StateResponse, ValidatorResponse};
use flowstake_operator::error::OperatorError;

fn page() -> Option<PageRequest> {
    Some(PageRequest {
        limit: 1000,
        ..Default::default()
    })
}

/// One ABCI query of the node the chain file names, decoded; `Err` carries the node's log.
pub async fn abci<Req: Message, Resp: Message + Default>(
    chain: &Chain,
    path: &str,
    request: Req,
) -> Result<Resp, String> {
    let bytes = abci_bytes(chain, path, request).await?;
    Resp::decode(bytes.as_slice()).map_err(|e| e.to_string())
}

/// One ABCI query, its answer undecoded.
pub async fn abci_bytes<Req: Message>(
    chain: &Chain,
    path: &str,
    request: Req,
) -> Result<Vec<u8>, String> {
    let rpc = HttpClient::builder(chain.file.rpc.parse().unwrap())
        .compat_mode(cosmrs::rpc::client::CompatMode::V0_38)
        .build()
        .unwrap();
    let mut last = String::new();
    // A node under load may drop a connection: ask again a few times.
    for _ in 0..5 {
        match rpc
            .abci_query(Some(path.to_string()), request.encode_to_vec(), None, false)
            .await
        {
            Ok(response) if response.code.is_err() => return Err(response.log),
            Ok(response) => return Ok(response.value),
            Err(err) => {
                last = err.to_string();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    panic!("query {path}: the node did not answer: {last}");
}

fn amount(text: &str) -> u128 {
    text.parse()
        .unwrap_or_else(|_| panic!("not an amount: {text:?}"))
}

/// The chain's delegations of `delegator`: validator -> tokens (the chain's own rounding of its
/// shares). Delegations worth no token are left out.
pub async fn chain_delegations(chain: &Chain, delegator: &str) -> BTreeMap<String, u128> {
    let request = staking::QueryDelegatorDelegationsRequest {
        delegator_addr: delegator.to_string(),
        pagination: page(),
    };
    let response: staking::QueryDelegatorDelegationsResponse = abci(
        chain,
        "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
        request,
    )
    .await
    .unwrap();
    response
        .delegation_responses
        .into_iter()
        .filter_map(|d| {
            let validator = d.delegation?.validator_address;
            let tokens = amount(&d.balance?.amount);
            (tokens > 0).then_some((validator, tokens))
        })
        .collect()
}

/// One unbonding entry of a delegator on the chain.
#[derive(Clone, Debug)]
pub struct UnbondingEntry {
    pub validator: String,
    pub creation_height: i64,
    /// Completion time in whole seconds, rounded up (as the hub rounds it).
    pub completes_at: u64,
    pub initial_balance: u128,
    pub balance: u128,
}

pub async fn chain_unbondings(chain: &Chain, delegator: &str) -> Vec<UnbondingEntry> {
    let request = staking::QueryDelegatorUnbondingDelegationsRequest {
        delegator_addr: delegator.to_string(),
        pagination: page(),
    };
    let response: staking::QueryDelegatorUnbondingDelegationsResponse = abci(
        chain,
        "/cosmos.staking.v1beta1.Query/DelegatorUnbondingDelegations",
        request,
    )
    .await
    .unwrap();
    let mut entries = vec![];
    for ubd in response.unbonding_responses {
        for entry in ubd.entries {
            let time = entry.completion_time.unwrap_or_default();
            entries.push(UnbondingEntry {
                validator: ubd.validator_address.clone(),
                creation_height: entry.creation_height,
                completes_at: time.seconds as u64 + u64::from(time.nanos > 0),
                initial_balance: amount(&entry.initial_balance),
                balance: amount(&entry.balance),
            });
        }
    }
    entries
}

/// One redelegation entry of a delegator on the chain.
#[derive(Clone, Debug)]
pub struct RedelegationEntry {
    pub source: String,
    pub destination: String,
    pub creation_height: i64,
    pub completes_at: u64,
    pub initial_balance: u128,
    /// Tokens the entry's destination shares are worth now.
    pub balance: u128,
}

pub async fn chain_redelegations(chain: &Chain, delegator: &str) -> Vec<RedelegationEntry> {
    let request = staking::QueryRedelegationsRequest {
        delegator_addr: delegator.to_string(),
        src_validator_addr: String::new(),
        dst_validator_addr: String::new(),
        pagination: page(),
    };
    let response: Result<staking::QueryRedelegationsResponse, String> = abci(
        chain,
        "/cosmos.staking.v1beta1.Query/Redelegations",
        request,
    )
    .await;
    let response = match response {
        Ok(response) => response,
        // The chain answers "not found" for a delegator without redelegations.
        Err(log) if log.contains("not found") => return vec![],
        Err(log) => panic!("redelegations of {delegator}: {log}"),
    };
    let mut entries = vec![];
    for red in response.redelegation_responses {
        let pair = red.redelegation.unwrap();
        for entry in red.entries {
            let inner = entry.redelegation_entry.unwrap();
            let time = inner.completion_time.unwrap_or_default();
            entries.push(RedelegationEntry {
                source: pair.validator_src_address.clone(),
                destination: pair.validator_dst_address.clone(),
                creation_height: inner.creation_height,
                completes_at: time.seconds as u64 + u64::from(time.nanos > 0),
                initial_balance: amount(&inner.initial_balance),
                balance: amount(&entry.balance),
            });
        }
    }
    entries
}

/// A validator as the chain has it, or `None` once the chain deleted it.
pub async fn chain_validator(chain: &Chain, valoper: &str) -> Option<staking::Validator> {
    let request = staking::QueryValidatorRequest {
        validator_addr: valoper.to_string(),
    };
    let response: Result<staking::QueryValidatorResponse, String> =
        abci(chain, "/cosmos.staking.v1beta1.Query/Validator", request).await;
    match response {
        Ok(response) => response.validator,
        Err(log) if log.contains("not found") => None,
        Err(log) => panic!("validator {valoper}: {log}"),
    }
}

pub async fn hub_state(chain: &Chain, hub: &Deployment) -> StateResponse {
    chain.query(&hub.hub, &QueryMsg::State {}).await.unwrap()
}

pub async fn hub_validators(chain: &Chain, hub: &Deployment) -> Vec<ValidatorResponse> {
    let query = QueryMsg::Validators {
        start_after: None,
        limit: Some(100),
    };
    chain.query(&hub.hub, &query).await.unwrap()
}

pub async fn token_supply(chain: &Chain, hub: &Deployment) -> u128 {
    let info: cw20::TokenInfoResponse = chain
        .query(&hub.token, &cw20::Cw20QueryMsg::TokenInfo {})
        .await
        .unwrap();
    info.total_supply.u128()
}

pub async fn balance(chain: &Chain, address: &str) -> u128 {
    chain
        .balance(address, &chain.file.staking_denom)
        .await
        .unwrap()
}

/// Whether a validator's shares are worth one token each. The chain writes shares as an
/// 18-decimal fixed-point number, with or without the decimal point.
pub fn one_token_per_share(tokens: &str, shares: &str) -> bool {
    match shares.split_once('.') {
        Some((whole, fraction)) => whole == tokens && fraction.bytes().all(|b| b == b'0'),
        None => shares == format!("{tokens}000000000000000000") || (shares == "0" && tokens == "0"),
    }
}

/// Units x/staking may keep back from one unbonding or redelegation entry made on `valoper`:
/// it turns the tokens asked for into shares and the shares back into tokens, truncated, so
/// on a validator whose shares are no longer worth one token each (it was slashed) an entry
/// can hold one unit less than was asked for (never more); on any other, none.
pub async fn entry_truncation(chain: &Chain, valoper: &str) -> u128 {
    let validator = chain_validator(chain, valoper)
        .await
        .unwrap_or_else(|| panic!("validator {valoper} not found"));
    u128::from(!one_token_per_share(
        &validator.tokens,
        &validator.delegator_shares,
    ))
}

/// Redelegation entries of `delegator` into `destination` whose source was slashed (its
/// shares are no longer worth one token each): each may have delivered a unit less than asked.
async fn incoming_from_slashed(chain: &Chain, delegator: &str, destination: &str) -> u128 {
    let mut count = 0;
    for entry in chain_redelegations(chain, delegator).await {
        if entry.destination != destination {
            continue;
        }
        let source = chain_validator(chain, &entry.source).await;
        if source.is_some_and(|v| !one_token_per_share(&v.tokens, &v.delegator_shares)) {
            count += 1;
        }
    }
    count
}

/// Units a delegation to a slashed validator may differ from the hub's ledger until the next
/// sync (the chain's share rounding).
pub const ROUNDING_UNITS: u128 = 2;

/// The hub against the chain, after a step (`step` names it in a failure):
/// - its ledger (the validators query) is the chain's delegations of the hub address, to the
///   unit, validator by validator; the only difference accepted is a slash the hub cannot
///   have seen yet: less on the chain, on a validator the chain has jailed and the hub still
///   counts active (its next sync books it), a unit or two of share rounding on a validator
///   that was slashed, and a unit less per maturing redelegation into it out of a slashed
///   validator; outside the set, only a unit or two of share dust on a removed slashed
///   validator;
/// - the ledger sums to the backing and the unvested rewards;
/// - the token's supply is the hub's `total_shares`;
/// - the hub's balance covers what it holds for withdrawals and its known surplus;
/// - the running totals balance (conservation, to the unit).
///
/// Returns the state it read.
pub async fn check_hub(chain: &Chain, hub: &Deployment, step: &str) -> StateResponse {
    let state = hub_state(chain, hub).await;
    let ledger = hub_validators(chain, hub).await;
    let on_chain = chain_delegations(chain, &hub.hub).await;
    let mut unseen_slash = 0u128;
    for entry in &ledger {
        let held = on_chain.get(&entry.address).copied().unwrap_or(0);
        let booked = entry.delegated.u128();
        if held == booked {
            continue;
        }
        let validator = chain_validator(chain, &entry.address).await;
        let jailed = validator.as_ref().is_some_and(|v| v.jailed);
        // On a validator whose tokens are no longer one per share (it was slashed), the chain
        // rounds each delegation and undelegation to whole shares and tokens: the hub's
        // next sync books the unit or two as a slash or surplus.
        let slashed_here = validator
            .as_ref()
            .is_some_and(|v| !one_token_per_share(&v.tokens, &v.delegator_shares));
        // A redelegation out of a slashed validator turns the tokens asked for into source
        // shares and back, truncated: the destination may receive a unit less per entry than
        // the hub moved and booked there.
        let from_slashed = incoming_from_slashed(chain, &hub.hub, &entry.address).await;
        let rounding = (slashed_here && held.abs_diff(booked) <= ROUNDING_UNITS)
            || (held < booked && booked - held <= from_slashed);
        assert!(
            (held < booked && jailed && entry.active) || rounding,
            "{step}: the hub books {booked} on {}, the chain holds {held} (jailed {jailed}, \
             active in the hub {})",
            entry.address,
            entry.active
        );
        if rounding {
            eprintln!(
                "{step}: {} rounded on the chain: hub {booked}, chain {held}",
                entry.address
            );
        } else {
            unseen_slash += booked - held;
        }
    }
    for (validator, held) in &on_chain {
        if ledger.iter().any(|v| &v.address == validator) {
            continue;
        }
        // Moving a whole delegation off a slashed validator turns the tokens asked for into
        // shares, rounded: the chain may leave a dust of shares worth a unit or two, which the
        // hub counted as slashed when it removed the validator.
        let dust = *held <= ROUNDING_UNITS
            && chain_validator(chain, validator)
                .await
                .is_some_and(|v| !one_token_per_share(&v.tokens, &v.delegator_shares));
        assert!(
            dust,
            "{step}: the chain holds {held} of the hub's stake on {validator}, outside its set"
        );
        eprintln!("{step}: {held} of share dust left on the removed {validator}");
    }
    if unseen_slash > 0 {
        eprintln!("{step}: {unseen_slash} slashed on the chain, not yet synced by the hub");
    }
    let ledger_sum: u128 = ledger.iter().map(|v| v.delegated.u128()).sum();
    let in_submission = state
        .submission
        .as_ref()
        .map_or(0, |s| s.native_left.u128());
    assert_eq!(
        ledger_sum,
        state.total_native.u128() - state.buffer.u128() - state.buffer_incoming.u128()
            + state.unvested_rewards.u128()
            + in_submission,
        "{step}: the ledger does not sum to the backing and the unvested rewards"
    );
    let supply = token_supply(chain, hub).await;
    assert_eq!(
        supply,
        state.total_shares.u128(),
        "{step}: token supply against total_shares"
    );
    let held = balance(chain, &hub.hub).await;
    let owed =
        state.reserved_for_claims.u128() + state.unlocked_surplus.u128() + state.buffer.u128();
    assert!(
        held >= owed,
        "{step}: the hub holds {held}, less than it reserved ({owed})"
    );
    let t = &state.totals;
    let inflow = t.bonded + t.rewards + t.surplus;
    let outflow = state.total_native
        + state.unvested_rewards
        + t.unbonding
        + state.reserved_for_claims
        + state.unlocked_surplus
        + t.paid_out
        + t.fees
        + t.slashed
        + t.instant_paid;
    assert_eq!(inflow, outflow, "{step}: the totals do not balance: {t:?}");
    state
}

/// Signs and sends chain messages that are not the hub's (governance, staking, bank).
pub async fn send_msgs(
    chain: &Chain,
    signer: &Signer,
    msgs: Vec<(&str, Vec<u8>)>,
) -> Result<TxOutcome, OperatorError> {
    let anys = msgs
        .into_iter()
        .map(|(type_url, value)| Any {
            type_url: type_url.to_string(),
            value,
        })
        .collect();
    chain.send(signer, anys).await
}

/// A plain bank transfer of the staking denom.
pub async fn transfer(chain: &Chain, from: &Signer, to: &str, native: u128) -> TxOutcome {
    let msg = cosmrs::proto::cosmos::bank::v1beta1::MsgSend {
        from_address: from.address.to_string(),
        to_address: to.to_string(),
        amount: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: chain.file.staking_denom.clone(),
            amount: native.to_string(),
        }],
    };
    ok(send_msgs(
        chain,
        from,
        vec![("/cosmos.bank.v1beta1.MsgSend", msg.encode_to_vec())],
    )
    .await)
}

/// The amount of `denom` in a coin list as events write it (`12stake,3inj`).
pub fn coins_amount(text: &str, denom: &str) -> u128 {
    text.split(',')
        .filter_map(|coin| coin.strip_suffix(denom))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .map(amount)
        .sum()
}

/// Every value of `key` in events of type `kind`.
pub fn event_values<'a>(outcome: &'a TxOutcome, kind: &str, key: &str) -> Vec<&'a str> {
    outcome
        .events
        .iter()
        .filter(|(t, k, _)| t == kind && k == key)
        .map(|(_, _, v)| v.as_str())
        .collect()
}

/// The transaction's events, each as its type and attributes. The outcome lists attributes in
/// order; a new event begins where the type changes or a key comes again.
pub fn grouped_events(outcome: &TxOutcome) -> Vec<(String, BTreeMap<String, String>)> {
    let mut events: Vec<(String, BTreeMap<String, String>)> = vec![];
    for (kind, key, value) in &outcome.events {
        match events.last_mut() {
            Some((last, attributes)) if last == kind && !attributes.contains_key(key) => {
                attributes.insert(key.clone(), value.clone());
            }
            _ => events.push((kind.clone(), BTreeMap::from([(key.clone(), value.clone())]))),
        }
    }
    events
}

/// The first `wasm` attribute `key` as a number.
pub fn wasm_number(outcome: &TxOutcome, key: &str) -> u128 {
    let value = outcome
        .wasm_attributes(key)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no wasm attribute {key} in {}", outcome.hash));
    amount(value)
}

/// Submits the pending batch, calling again while the hub says the submission is not done.
pub async fn submit(chain: &Chain, keeper: &Signer, hub: &Deployment) -> Vec<TxOutcome> {
    let mut outcomes = vec![];
    loop {
        let outcome = ok(ops::execute(chain, keeper, hub, &ExecuteMsg::SubmitBatch {}, 0).await);
        let done = outcome.wasm_attributes("submission_done").first().copied() != Some("false");
        outcomes.push(outcome);
        if done {
            return outcomes;
        }
        assert!(outcomes.len() < 20, "the submission does not end");
    }
}

/// Waits until the chain's time reaches `time` (seconds), polling the latest block.
pub async fn wait_until(chain: &Chain, time: u64) {
    loop {
        let (_, now) = chain.latest().await.unwrap();
        if now >= time {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Reconciles once the chain has paid batch `id` (the hub waits for a block after its
/// completion): calls reconcile until the batch is booked, within `deadline` (chain time).
pub async fn reconcile_batch(
    chain: &Chain,
    keeper: &Signer,
    hub: &Deployment,
    id: u64,
    deadline: u64,
) -> Vec<TxOutcome> {
    let mut outcomes = vec![];
    loop {
        let batch: flowstake::hub::BatchResponse = chain
            .query(&hub.hub, &QueryMsg::Batch { id })
            .await
            .unwrap();
        if matches!(batch.status, flowstake::hub::BatchStatus::Reconciled) {
            return outcomes;
        }
        let (_, now) = chain.latest().await.unwrap();
        assert!(
            now < deadline,
            "batch {id} not reconciled in time: {batch:?}"
        );
        if now >= batch.completes_at {
            let msg = ExecuteMsg::Reconcile { limit: None };
            match ops::execute(chain, keeper, hub, &msg, 0).await {
                Ok(outcome) => outcomes.push(outcome),
                Err(err) if err.is_not_due() => {}
                Err(err) => panic!("reconcile: {err}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
}

/// `user` withdraws everything reconciled and is paid, as the bank shows it, exactly what the
/// hub's requests query promised for it.
pub async fn withdraw_all(chain: &Chain, user: &Signer, hub: &Deployment) -> u128 {
    let promised: u128 = requests(chain, hub, user)
        .await
        .iter()
        .filter(|r| matches!(r.status, flowstake::hub::BatchStatus::Reconciled))
        .map(|r| r.native.u128())
        .sum();
    let before = stake(chain, user).await;
    let withdraw = ExecuteMsg::WithdrawUnbonded {
        receiver: None,
        limit: None,
    };
    let outcome = ok(ops::execute(chain, user, hub, &withdraw, 0).await);
    let paid = stake(chain, user).await - before;
    assert_eq!(
        paid, promised,
        "{} paid {paid}, promised {promised}",
        user.address
    );
    assert_eq!(wasm_number(&outcome, "native_paid"), paid);
    paid
}

/// The gov module's account: the authority of every module's `MsgUpdateParams`.
pub async fn gov_authority(chain: &Chain) -> String {
    use cosmrs::proto::cosmos::auth::v1beta1 as auth;
    let request = auth::QueryModuleAccountByNameRequest {
        name: "gov".to_string(),
    };
    let response: auth::QueryModuleAccountByNameResponse = abci(
        chain,
        "/cosmos.auth.v1beta1.Query/ModuleAccountByName",
        request,
    )
    .await
    .unwrap();
    let account = response.account.expect("the gov module account");
    let module = auth::ModuleAccount::decode(account.value.as_slice())
        .unwrap_or_else(|e| panic!("gov account {}: {e}", account.type_url));
    module.base_account.unwrap().address
}

/// x/staking's parameters as the chain has them; re-encoding them gives the chain's bytes
/// back, so no field of this chain's parameters is lost in a `MsgUpdateParams`.
pub async fn staking_params(chain: &Chain) -> staking::Params {
    let path = "/cosmos.staking.v1beta1.Query/Params";
    let raw = abci_bytes(chain, path, staking::QueryParamsRequest {})
        .await
        .unwrap();
    let response = staking::QueryParamsResponse::decode(raw.as_slice()).unwrap();
    assert_eq!(
        response.encode_to_vec(),
        raw,
        "the chain's staking parameters hold fields this client does not know"
    );
    response.params.unwrap()
}

/// Submits a governance proposal that sets x/staking's unbonding time to `seconds` (one
/// `MsgUpdateParams` signed by the gov module's authority), deposits the minimum and has
/// every validator of the localnet vote yes. Returns the proposal id.
pub async fn propose_unbonding_time(chain: &Chain, seconds: u64) -> u64 {
    use cosmrs::proto::cosmos::gov::v1 as gov;
    let mut params = staking_params(chain).await;
    params.unbonding_time = Some(cosmrs::proto::tendermint::google::protobuf::Duration {
        seconds: seconds as i64,
        nanos: 0,
    });
    let update = staking::MsgUpdateParams {
        authority: gov_authority(chain).await,
        params: Some(params),
    };
    let gov_params: gov::QueryParamsResponse = abci(
        chain,
        "/cosmos.gov.v1.Query/Params",
        gov::QueryParamsRequest {
            params_type: "deposit".to_string(),
        },
    )
    .await
    .unwrap();
    let deposit = gov_params.params.expect("gov params").min_deposit;
    let proposer = account(&chain.file, "val1");
    let submit = gov::MsgSubmitProposal {
        messages: vec![Any {
            type_url: "/cosmos.staking.v1beta1.MsgUpdateParams".to_string(),
            value: update.encode_to_vec(),
        }],
        initial_deposit: deposit,
        proposer: proposer.address.to_string(),
        metadata: String::new(),
        title: format!("unbonding time {seconds} s"),
        summary: format!("x/staking unbonding_time to {seconds}s"),
        expedited: false,
    };
    let outcome = ok(send_msgs(
        chain,
        &proposer,
        vec![("/cosmos.gov.v1.MsgSubmitProposal", submit.encode_to_vec())],
    )
    .await);
    let id: u64 = outcome
        .attribute("submit_proposal", "proposal_id")
        .expect("a proposal id")
        .parse()
        .unwrap();
    for name in ["val1", "val2", "val3", "val4"] {
        let voter = account(&chain.file, name);
        let vote = gov::MsgVote {
            proposal_id: id,
            voter: voter.address.to_string(),
            option: gov::VoteOption::Yes as i32,
            metadata: String::new(),
        };
        ok(send_msgs(
            chain,
            &voter,
            vec![("/cosmos.gov.v1.MsgVote", vote.encode_to_vec())],
        )
        .await);
    }
    eprintln!("proposal {id}: unbonding time {seconds} s, four votes yes");
    id
}

/// Waits until proposal `id` has passed (polling its status), then checks that the chain's
/// unbonding time is `seconds`. Returns the chain time it was seen passed.
pub async fn await_proposal(chain: &Chain, id: u64, seconds: u64) -> u64 {
    use cosmrs::proto::cosmos::gov::v1 as gov;
    let (_, start) = chain.latest().await.unwrap();
    loop {
        let response: gov::QueryProposalResponse = abci(
            chain,
            "/cosmos.gov.v1.Query/Proposal",
            gov::QueryProposalRequest { proposal_id: id },
        )
        .await
        .unwrap();
        let proposal = response.proposal.unwrap();
        let status = gov::ProposalStatus::try_from(proposal.status).unwrap();
        let (_, now) = chain.latest().await.unwrap();
        match status {
            gov::ProposalStatus::Passed => {
                assert_eq!(chain.unbonding_time().await.unwrap(), seconds);
                eprintln!("proposal {id} passed after {} s", now - start);
                return now;
            }
            gov::ProposalStatus::VotingPeriod | gov::ProposalStatus::DepositPeriod => {}
            other => panic!("proposal {id}: {other:?}: {:?}", proposal.failed_reason),
        }
        assert!(now < start + 120, "proposal {id} still {status:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A new account with a key no one else holds (derived from `seed` and the chain's time),
/// funded by `funder` with `native` of the staking denom and enough of the fee denom.
pub async fn fresh_account(chain: &Chain, funder: &Signer, native: u128, seed: &str) -> Signer {
    let (height, time) = chain.latest().await.unwrap();
    let mut entropy = [0u8; 32];
    for (i, byte) in format!("{seed}/{height}/{time}").bytes().enumerate() {
        entropy[i % 32] = entropy[i % 32].wrapping_mul(31).wrapping_add(byte);
    }
    let mnemonic = bip32::Mnemonic::from_entropy(entropy, bip32::Language::English);
    let signer =
        Signer::from_mnemonic(mnemonic.phrase(), &chain.file.prefix, chain.file.coin_type).unwrap();
    let coin = |denom: &str, amount: u128| cosmrs::proto::cosmos::base::v1beta1::Coin {
        denom: denom.to_string(),
        amount: amount.to_string(),
    };
    let fees = 10u128.pow(18);
    let mut amounts = vec![coin(&chain.file.staking_denom, native)];
    if chain.file.fee_denom != chain.file.staking_denom {
        amounts.push(coin(&chain.file.fee_denom, fees));
    }
    // The chain takes coin lists sorted by denom.
    amounts.sort_by(|a, b| a.denom.cmp(&b.denom));
    let msg = cosmrs::proto::cosmos::bank::v1beta1::MsgSend {
        from_address: funder.address.to_string(),
        to_address: signer.address.to_string(),
        amount: amounts,
    };
    ok(send_msgs(
        chain,
        funder,
        vec![("/cosmos.bank.v1beta1.MsgSend", msg.encode_to_vec())],
    )
    .await);
    signer
}

/// `operator` creates a validator that runs no node, self-bonding `native`, with a fresh
/// consensus key derived from `seed`; returns its operator address once the chain has it
/// bonded. On this net it would be jailed for downtime once the slashing window has passed.
pub async fn create_validator(
    chain: &Chain,
    operator: &Signer,
    native: u128,
    seed: &str,
) -> String {
    use cosmrs::tendermint::crypto::ed25519::SigningKey;
    let (_, time) = chain.latest().await.unwrap();
    let mut secret = [0u8; 32];
    for (i, byte) in format!("{seed}/{time}").bytes().enumerate() {
        secret[i % 32] = secret[i % 32].wrapping_mul(31).wrapping_add(byte);
    }
    let key = SigningKey::try_from(&secret[..])
        .unwrap()
        .verification_key();
    let pubkey = cosmrs::proto::cosmos::crypto::ed25519::PubKey {
        key: key.as_bytes().to_vec(),
    };
    let valoper = cosmrs::AccountId::new(
        &format!("{}valoper", chain.file.prefix),
        &operator.address.to_bytes(),
    )
    .unwrap()
    .to_string();
    // Rates are the chain's 18-decimal fixed point, as integers.
    let rate = |percent: u128| (percent * 10u128.pow(16)).to_string();
    #[allow(deprecated)]
    let msg = staking::MsgCreateValidator {
        description: Some(staking::Description {
            moniker: seed.to_string(),
            details: "a localnet test validator without a node".to_string(),
            ..Default::default()
        }),
        commission: Some(staking::CommissionRates {
            rate: rate(10),
            max_rate: rate(20),
            max_change_rate: rate(1),
        }),
        min_self_delegation: "1".to_string(),
        delegator_address: String::new(),
        validator_address: valoper.clone(),
        pubkey: Some(Any {
            type_url: "/cosmos.crypto.ed25519.PubKey".to_string(),
            value: pubkey.encode_to_vec(),
        }),
        value: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: chain.file.staking_denom.clone(),
            amount: native.to_string(),
        }),
    };
    ok(send_msgs(
        chain,
        operator,
        vec![(
            "/cosmos.staking.v1beta1.MsgCreateValidator",
            msg.encode_to_vec(),
        )],
    )
    .await);
    let (_, start) = chain.latest().await.unwrap();
    while !chain.bonded_validators().await.unwrap().contains(&valoper) {
        let (_, now) = chain.latest().await.unwrap();
        assert!(now < start + 30, "validator {valoper} not bonded");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    valoper
}

/// `delegator` undelegates `native` from `valoper` (a chain message, not the hub's).
pub async fn undelegate(
    chain: &Chain,
    delegator: &Signer,
    valoper: &str,
    native: u128,
) -> TxOutcome {
    let msg = staking::MsgUndelegate {
        delegator_address: delegator.address.to_string(),
        validator_address: valoper.to_string(),
        amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: chain.file.staking_denom.clone(),
            amount: native.to_string(),
        }),
    };
    ok(send_msgs(
        chain,
        delegator,
        vec![("/cosmos.staking.v1beta1.MsgUndelegate", msg.encode_to_vec())],
    )
    .await)
}

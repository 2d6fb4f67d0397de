//! Differential check of the strict staking model (`tests/src/strict`) against the real chain.
//!
//! One seeded random sequence of chain-level operations (delegate, undelegate, two
//! undelegations in one transaction, redelegate, withdraw rewards, bank send, time passing) is
//! played on the localnet through the operator library, and every transaction the chain
//! included is played on the strict model at the chain's block height and header time; a
//! transaction the chain refused must be refused by the model for the same reason. After every
//! step the chain's figures at that height are read and compared with the model's:
//! - to the unit: each delegator's balance (less the rewards it was paid), delegations (shares
//!   and tokens), unbonding entries (creation height, completion time to the nanosecond,
//!   initial balance, balance), redelegation entries (creation height, completion time, initial
//!   balance, destination shares), validators (tokens, shares), the reward withdrawals each
//!   transaction made (which delegations, automatic or not) and when each delegation's reward
//!   period started;
//! - within the tolerance of `compare::RewardPair`: every reward paid and every reward pending,
//!   since the chain allocates rewards per block and the model accrues them per second.
//!
//! `scripts/differential.sh [--steps N] [--seed S]` starts a localnet of its own, runs this
//! test (`DIFF_STEPS`, `DIFF_SEED`) and stops the net. The first difference ends the run with
//! both sides' figures.

mod common;

#[path = "differential/chain.rs"]
mod chain;
#[path = "differential/compare.rs"]
mod compare;
#[path = "differential/model.rs"]
mod model;

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::time::{Duration, Instant};

use cosmrs::tx::Msg;
use cosmrs::Any;
use cosmwasm_std::{coin, BankMsg, CosmosMsg, Decimal, DistributionMsg, StakingMsg};
use cw_multi_test::error::AnyError;
use cw_multi_test::AppResponse;
use flowstake_operator::client::{account_id, coin as chain_coin, Chain, Signer, TxOutcome};
use flowstake_operator::error::OperatorError;
use flowstake_tests::strict::{ChainError, YEAR_SECONDS};

use chain::ChainReader;
use compare::{amount_of, RewardPair, State};
use model::{Model, ModelValidator};

/// One token of the localnet's staking denom (18 decimals).
const TOKEN: u128 = 1_000_000_000_000_000_000;
const NANOS: u64 = 1_000_000_000;
/// Reward figures over fewer blocks are left out of the raw-ratio statistics (not of the checks).
const STATS_MIN_BLOCKS: u64 = 20;

#[derive(Clone, Debug)]
enum Op {
    Delegate {
        user: usize,
        validator: usize,
        amount: u128,
    },
    Undelegate {
        user: usize,
        validator: usize,
        amount: u128,
    },
    /// Two undelegations of one pair in one transaction: one block, one completion time.
    UndelegateTwice {
        user: usize,
        validator: usize,
        first: u128,
        second: u128,
    },
    Redelegate {
        user: usize,
        source: usize,
        destination: usize,
        amount: u128,
    },
    Withdraw {
        user: usize,
        validator: usize,
    },
    Send {
        from: usize,
        to: usize,
        amount: u128,
    },
    Wait {
        seconds: u64,
    },
}

/// SplitMix64: a small seeded generator, the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// 1 to `max` whole tokens and a random fraction of one.
    fn tokens(&mut self, max: u64) -> u128 {
        (self.below(max) + 1) as u128 * TOKEN + self.below(TOKEN as u64) as u128
    }

    /// 1 to `total`.
    fn portion(&mut self, total: u128) -> u128 {
        if total <= 1 {
            return total;
        }
        let wide = ((self.next() as u128) << 64) | self.next() as u128;
        wide % total + 1
    }
}

#[derive(Default)]
struct Stats {
    steps: usize,
    accepted: usize,
    refused: BTreeMap<&'static str, usize>,
    checkpoints: usize,
    exact_figures: usize,
    reward_figures: usize,
    withdrawals: usize,
    unbondings_paid: usize,
    redelegations_matured: usize,
    raw_min: f64,
    raw_max: f64,
    residual_max: f64,
}

struct Runner {
    chain: Chain,
    reader: ChainReader,
    model: Model,
    rng: Rng,
    signers: Vec<Signer>,
    /// Delegator addresses, in the order of `names`.
    users: Vec<String>,
    names: Vec<String>,
    validators: Vec<String>,
    seconds_per_block: f64,
    /// Height of the block whose transaction started each delegation's reward period on the
    /// chain (its creation or its last withdrawal).
    period_start: BTreeMap<(String, String), u64>,
    /// Rewards paid to each delegator in this run (chain, model).
    received: BTreeMap<String, (u128, u128)>,
    /// The model's figures at the last checkpoint.
    last: State,
    stats: Stats,
    did_fill: bool,
    did_transitive: bool,
}

/// The chain's refusal, by kind.
fn chain_refusal(log: &str) -> &'static str {
    let log = log.to_lowercase();
    let kinds = [
        (
            "too many unbonding delegation entries",
            "max unbonding entries",
        ),
        (
            "redelegation to this validator already in progress",
            "transitive redelegation",
        ),
        ("too many redelegation entries", "max redelegation entries"),
        ("invalid shares amount", "more than delegated"),
        ("insufficient funds", "insufficient funds"),
        ("no delegation", "no delegation"),
        (
            "cannot redelegate to the same validator",
            "self redelegation",
        ),
    ];
    kinds
        .iter()
        .find(|(needle, _)| log.contains(needle))
        .map_or("other", |(_, kind)| *kind)
}

/// The model's refusal, by the same kinds.
fn model_refusal(err: &AnyError) -> &'static str {
    let chain_error = err.chain().find_map(|e| e.downcast_ref::<ChainError>());
    match chain_error {
        Some(ChainError::MaxUnbondingEntries { .. }) => "max unbonding entries",
        Some(ChainError::TransitiveRedelegation { .. }) => "transitive redelegation",
        Some(ChainError::MaxRedelegationEntries { .. }) => "max redelegation entries",
        Some(ChainError::InsufficientDelegation { .. }) => "more than delegated",
        Some(ChainError::NoDelegation { .. }) => "no delegation",
        Some(ChainError::SelfRedelegation { .. }) => "self redelegation",
        Some(_) => "other",
        None => {
            let text = format!("{err:#}");
            if text.contains("Cannot Sub") || text.contains("Overflow") {
                "insufficient funds"
            } else {
                "other"
            }
        }
    }
}

/// The withdrawals a transaction made, as (delegator, validator, staking-denom amount), in
/// the order of the chain's events.
fn chain_withdrawals(
    outcome: &TxOutcome,
    sender: &str,
    denom: &str,
) -> Vec<(String, String, u128)> {
    let mut records: Vec<BTreeMap<String, String>> = vec![];
    for (kind, key, value) in &outcome.events {
        if kind != "withdraw_rewards" {
            continue;
        }
        match records.last_mut() {
            Some(record) if !record.contains_key(key) => {
                record.insert(key.clone(), value.clone());
            }
            _ => records.push(BTreeMap::from([(key.clone(), value.clone())])),
        }
    }
    records
        .into_iter()
        .map(|record| {
            let delegator = record
                .get("delegator")
                .cloned()
                .unwrap_or_else(|| sender.to_string());
            let validator = record.get("validator").cloned().unwrap_or_default();
            let amount = record.get("amount").map_or(0, |a| amount_of(a, denom));
            (delegator, validator, amount)
        })
        .collect()
}

fn model_withdrawals(responses: &[AppResponse], denom: &str) -> Vec<(String, String, u128)> {
    let mut all = vec![];
    for response in responses {
        for event in response
            .events
            .iter()
            .filter(|e| e.ty == "withdraw_rewards")
        {
            let get = |key: &str| {
                event
                    .attributes
                    .iter()
                    .find(|a| a.key == key)
                    .map(|a| a.value.clone())
                    .unwrap_or_default()
            };
            all.push((
                get("delegator"),
                get("validator"),
                amount_of(&get("amount"), denom),
            ));
        }
    }
    all
}

/// Per (delegator, validator), the amounts in order.
fn by_pair(list: &[(String, String, u128)]) -> BTreeMap<(String, String), Vec<u128>> {
    let mut map: BTreeMap<(String, String), Vec<u128>> = BTreeMap::new();
    for (delegator, validator, amount) in list {
        map.entry((delegator.clone(), validator.clone()))
            .or_default()
            .push(*amount);
    }
    map
}

fn tokens(amount: u128) -> String {
    format!("{:.6}", amount as f64 / TOKEN as f64)
}

fn dec_f64(value: cosmwasm_std::Decimal256) -> f64 {
    f64::from_str(&value.to_string()).unwrap()
}

impl Runner {
    async fn new(seed: u64) -> Self {
        let chain = common::connect().await;
        let mut reader = ChainReader::new(&chain.file.rpc, &chain.file.staking_denom);
        let names: Vec<String> = (1..=5).map(|i| format!("user{i}")).collect();
        let signers: Vec<Signer> = names
            .iter()
            .map(|name| common::account(&chain.file, name))
            .collect();
        let users: Vec<String> = signers.iter().map(|s| s.address.to_string()).collect();
        let validator_names: Vec<String> = (1..=4).map(|i| format!("val{i}")).collect();
        let validators: Vec<String> = validator_names
            .iter()
            .map(|name| common::valoper(name))
            .collect();
        let accounts: Vec<String> = validator_names
            .iter()
            .map(|name| common::entry(name)["address"].as_str().unwrap().to_string())
            .collect();

        // The chain's reward per token and block, from validator 1's self-delegation over at
        // least 40 blocks, and the mean block time over the same blocks.
        let mut latest = reader.latest_height().await;
        let from = latest.saturating_sub(200).max(latest / 2).max(5);
        if latest < from + 40 {
            reader.wait_for(from + 40).await;
            latest = from + 40;
        }
        let state = reader.state(from, &[], &validators).await;
        let self_bond = state.validators[&validators[0]].0;
        let earned = dec_f64(
            reader
                .delegation_rewards(latest, &accounts[0], &validators[0])
                .await,
        ) - dec_f64(
            reader
                .delegation_rewards(from, &accounts[0], &validators[0])
                .await,
        );
        let blocks = (latest - from) as f64;
        let per_block = earned / (self_bond as f64 * blocks);
        let seconds_per_block = (reader.block_time(latest).await - reader.block_time(from).await)
            as f64
            / NANOS as f64
            / blocks;
        let commission = dec_f64(reader.commission(latest, &validators[0]).await);
        let apr = per_block / seconds_per_block * YEAR_SECONDS as f64 / (1.0 - commission);
        let apr = Decimal::from_str(&format!("{apr:.18}")).unwrap();
        println!(
            "differential: calibration over blocks {from}..{latest}: {per_block:.6e} per token \
             and block to delegators, {seconds_per_block:.4} s per block, commission \
             {commission}: model APR {apr}"
        );

        // The run starts from a fresh net: no delegation, entry or slash of the users yet.
        let start = reader.latest_height().await;
        let state = reader.state(start, &users, &validators).await;
        assert!(
            state.delegations.is_empty()
                && state.unbondings.is_empty()
                && state.redelegations.is_empty(),
            "the users already hold stake: run on a fresh net (scripts/differential.sh resets it)"
        );
        let mut model_validators = vec![];
        for (validator, account) in validators.iter().zip(&accounts) {
            let (tokens, shares) = state.validators[validator];
            assert_eq!(
                shares,
                cosmwasm_std::Decimal256::from_ratio(tokens, 1u128),
                "validator {validator} was slashed: run on a fresh net"
            );
            model_validators.push(ModelValidator {
                valoper: validator.clone(),
                account: account.clone(),
                tokens,
                commission: Decimal::from_str(&format!("{commission}")).unwrap(),
            });
        }
        let balances: Vec<(String, u128)> = users
            .iter()
            .map(|user| (user.clone(), state.balances[user] as u128))
            .collect();
        let unbonding_time = chain.unbonding_time().await.unwrap();
        let time = reader.block_time(start).await;
        let mut model = Model::new(
            start,
            time,
            &chain.file.staking_denom,
            unbonding_time,
            apr,
            &model_validators,
            &balances,
        );
        let next = reader.block_time(start + 1).await;
        model.announce(start + 1, next);
        let last = model.state(&users, &validators);
        let (figures, differences) = state.compare(&last);
        assert!(
            differences.is_empty(),
            "the model does not start as the chain: {differences:#?}"
        );
        println!(
            "differential: seed {seed}; start at height {start}; unbonding time \
             {unbonding_time} s; {figures} figures equal"
        );
        Self {
            chain,
            reader,
            model,
            rng: Rng(seed),
            signers,
            users,
            names,
            validators,
            seconds_per_block,
            period_start: BTreeMap::new(),
            received: BTreeMap::new(),
            last,
            stats: Stats {
                raw_min: f64::MAX,
                raw_max: f64::MIN,
                ..Stats::default()
            },
            did_fill: false,
            did_transitive: false,
        }
    }

    fn denom(&self) -> String {
        self.chain.file.staking_denom.clone()
    }

    fn describe(&self, op: &Op) -> String {
        let v = |i: usize| format!("val{}", i + 1);
        match op {
            Op::Delegate {
                user,
                validator,
                amount,
            } => format!(
                "{} delegates {} to {}",
                self.names[*user],
                tokens(*amount),
                v(*validator)
            ),
            Op::Undelegate {
                user,
                validator,
                amount,
            } => format!(
                "{} undelegates {} from {}",
                self.names[*user],
                tokens(*amount),
                v(*validator)
            ),
            Op::UndelegateTwice {
                user,
                validator,
                first,
                second,
            } => format!(
                "{} undelegates {} and {} from {} in one transaction",
                self.names[*user],
                tokens(*first),
                tokens(*second),
                v(*validator)
            ),
            Op::Redelegate {
                user,
                source,
                destination,
                amount,
            } => format!(
                "{} redelegates {} from {} to {}",
                self.names[*user],
                tokens(*amount),
                v(*source),
                v(*destination)
            ),
            Op::Withdraw { user, validator } => {
                format!(
                    "{} withdraws rewards from {}",
                    self.names[*user],
                    v(*validator)
                )
            }
            Op::Send { from, to, amount } => format!(
                "{} sends {} to {}",
                self.names[*from],
                tokens(*amount),
                self.names[*to]
            ),
            Op::Wait { seconds } => format!("{seconds} s pass"),
        }
    }

    /// The transaction of `op`: signer index, the chain's messages, the model's.
    fn messages(&self, op: &Op) -> (usize, Vec<Any>, Vec<CosmosMsg>) {
        let denom = self.denom();
        let user = |i: usize| account_id(&self.users[i], "delegator").unwrap();
        let val = |i: usize| account_id(&self.validators[i], "validator").unwrap();
        let amount = |a: u128| chain_coin(a, &denom).unwrap();
        let undelegate = |u: usize, v: usize, a: u128| {
            let chain = cosmrs::staking::MsgUndelegate {
                delegator_address: user(u),
                validator_address: val(v),
                amount: amount(a),
            }
            .to_any()
            .unwrap();
            let model = StakingMsg::Undelegate {
                validator: self.validators[v].clone(),
                amount: coin(a, &denom),
            }
            .into();
            (chain, model)
        };
        match *op {
            Op::Delegate {
                user: u,
                validator: v,
                amount: a,
            } => {
                let chain = cosmrs::staking::MsgDelegate {
                    delegator_address: user(u),
                    validator_address: val(v),
                    amount: amount(a),
                }
                .to_any()
                .unwrap();
                let model = StakingMsg::Delegate {
                    validator: self.validators[v].clone(),
                    amount: coin(a, &denom),
                }
                .into();
                (u, vec![chain], vec![model])
            }
            Op::Undelegate {
                user: u,
                validator: v,
                amount: a,
            } => {
                let (chain, model) = undelegate(u, v, a);
                (u, vec![chain], vec![model])
            }
            Op::UndelegateTwice {
                user: u,
                validator: v,
                first,
                second,
            } => {
                let (c1, m1) = undelegate(u, v, first);
                let (c2, m2) = undelegate(u, v, second);
                (u, vec![c1, c2], vec![m1, m2])
            }
            Op::Redelegate {
                user: u,
                source,
                destination,
                amount: a,
            } => {
                let chain = cosmrs::staking::MsgBeginRedelegate {
                    delegator_address: user(u),
                    validator_src_address: val(source),
                    validator_dst_address: val(destination),
                    amount: amount(a),
                }
                .to_any()
                .unwrap();
                let model = StakingMsg::Redelegate {
                    src_validator: self.validators[source].clone(),
                    dst_validator: self.validators[destination].clone(),
                    amount: coin(a, &denom),
                }
                .into();
                (u, vec![chain], vec![model])
            }
            Op::Withdraw {
                user: u,
                validator: v,
            } => {
                let chain = cosmrs::distribution::MsgWithdrawDelegatorReward {
                    delegator_address: user(u),
                    validator_address: val(v),
                }
                .to_any()
                .unwrap();
                let model = DistributionMsg::WithdrawDelegatorReward {
                    validator: self.validators[v].clone(),
                }
                .into();
                (u, vec![chain], vec![model])
            }
            Op::Send {
                from,
                to,
                amount: a,
            } => {
                let chain = cosmrs::bank::MsgSend {
                    from_address: user(from),
                    to_address: user(to),
                    amount: vec![amount(a)],
                }
                .to_any()
                .unwrap();
                let model = BankMsg::Send {
                    to_address: self.users[to].clone(),
                    amount: vec![coin(a, &denom)],
                }
                .into();
                (from, vec![chain], vec![model])
            }
            Op::Wait { .. } => unreachable!("a wait sends nothing"),
        }
    }

    /// Plays one operation on both sides and compares.
    async fn play(&mut self, op: &Op) -> Result<String, String> {
        if let Op::Wait { seconds } = op {
            tokio::time::sleep(Duration::from_secs(*seconds)).await;
            let height = self.reader.latest_height().await;
            self.checkpoint(height).await?;
            return Ok(format!("compared at height {height}"));
        }
        let (signer, chain_msgs, model_msgs) = self.messages(op);
        let sender = self.users[signer].clone();
        let since: BTreeMap<(String, String), u64> = self
            .last
            .delegations
            .keys()
            .filter_map(|(d, v)| Some(((d.clone(), v.clone()), self.model.rewards_since(d, v)?)))
            .collect();
        match self.chain.send(&self.signers[signer], chain_msgs).await {
            Ok(outcome) => {
                let height = outcome.height;
                let before = self.reader.block_time(height - 1).await;
                let time = self.reader.block_time(height).await;
                self.model.announce(height - 1, before);
                self.model.announce(height, time);
                let responses = self.model.execute(&sender, model_msgs).map_err(|err| {
                    format!("the chain accepted it at height {height}, the model refused: {err:#}")
                })?;
                self.stats.accepted += 1;
                self.withdrawals(&outcome, &responses, &sender, height, time, &since)?;
                self.checkpoint(height).await?;
                Ok(format!("accepted at height {height}"))
            }
            Err(OperatorError::Refused { log, .. }) => {
                let kind = chain_refusal(&log);
                match self.model.execute(&sender, model_msgs) {
                    Ok(_) => {
                        return Err(format!(
                            "the chain refused it ({log}), the model accepted it"
                        ))
                    }
                    Err(err) => {
                        let model_kind = model_refusal(&err);
                        if model_kind != kind || kind == "other" {
                            return Err(format!(
                                "refused for different reasons: chain {kind:?} ({log}), model \
                                 {model_kind:?} ({err:#})"
                            ));
                        }
                    }
                }
                *self.stats.refused.entry(kind).or_default() += 1;
                if kind == "max unbonding entries" {
                    self.did_fill = true;
                }
                if kind == "transitive redelegation" {
                    self.did_transitive = true;
                }
                let height = self.reader.latest_height().await;
                self.checkpoint(height).await?;
                Ok(format!("refused by both: {kind}"))
            }
            Err(other) => panic!("the chain did not take the transaction: {other}"),
        }
    }

    /// The withdrawals of one transaction: the same delegations on both sides, in the same
    /// order; the amounts within the reward tolerance; the reward periods restart.
    fn withdrawals(
        &mut self,
        outcome: &TxOutcome,
        responses: &[AppResponse],
        sender: &str,
        height: u64,
        time: u64,
        since: &BTreeMap<(String, String), u64>,
    ) -> Result<(), String> {
        let denom = self.denom();
        let on_chain = by_pair(&chain_withdrawals(outcome, sender, &denom));
        let in_model = by_pair(&model_withdrawals(responses, &denom));
        let chain_pairs: Vec<_> = on_chain.iter().map(|(k, v)| (k, v.len())).collect();
        let model_pairs: Vec<_> = in_model.iter().map(|(k, v)| (k, v.len())).collect();
        if chain_pairs != model_pairs {
            return Err(format!(
                "reward withdrawals differ: chain {on_chain:?}, model {in_model:?}"
            ));
        }
        for (pair, amounts) in &on_chain {
            let model_amounts = &in_model[pair];
            for (index, (chain, model)) in amounts.iter().zip(model_amounts).enumerate() {
                let (blocks, model_seconds) = if index == 0 {
                    let start = self.period_start[pair];
                    let began = since[pair];
                    (height - start, time / NANOS - began / NANOS)
                } else {
                    (0, 0)
                };
                self.reward(RewardPair {
                    chain: *chain as f64,
                    model: *model as f64,
                    blocks,
                    model_seconds,
                })
                .map_err(|e| format!("reward paid to {pair:?}: {e}"))?;
                let received = self.received.entry(pair.0.clone()).or_default();
                received.0 += chain;
                received.1 += model;
                self.stats.withdrawals += 1;
            }
            self.period_start.insert(pair.clone(), height);
        }
        Ok(())
    }

    fn reward(&mut self, pair: RewardPair) -> Result<(), String> {
        self.stats.reward_figures += 1;
        pair.check(self.seconds_per_block)?;
        if pair.blocks >= STATS_MIN_BLOCKS {
            if let Some(raw) = pair.raw_ratio() {
                self.stats.raw_min = self.stats.raw_min.min(raw);
                self.stats.raw_max = self.stats.raw_max.max(raw);
            }
            if let Some(residual) = pair.residual(self.seconds_per_block) {
                self.stats.residual_max = self.stats.residual_max.max(residual.abs());
            }
        }
        Ok(())
    }

    /// Compares both sides after block `height`: pending rewards (tolerance), then, once the
    /// model has run that block's end, every exact figure.
    async fn checkpoint(&mut self, height: u64) -> Result<(), String> {
        let before = self.reader.block_time(height - 1).await;
        let time = self.reader.block_time(height).await;
        self.model.announce(height - 1, before);
        self.model.announce(height, time);
        let model_rewards = self.model.rewards(&self.users, &self.validators);
        let since: BTreeMap<(String, String), u64> = model_rewards
            .keys()
            .filter_map(|(d, v)| Some(((d.clone(), v.clone()), self.model.rewards_since(d, v)?)))
            .collect();
        let next = self.reader.block_time(height + 1).await;
        self.model.announce(height + 1, next);

        let mut chain_state = self
            .reader
            .state(height, &self.users, &self.validators)
            .await;
        let mut model_state = self.model.state(&self.users, &self.validators);
        for (user, (chain, model)) in &self.received {
            *chain_state.balances.get_mut(user).unwrap() -= *chain as i128;
            *model_state.balances.get_mut(user).unwrap() -= *model as i128;
        }
        let (figures, differences) = chain_state.compare(&model_state);
        self.stats.exact_figures += figures;
        self.stats.checkpoints += 1;
        if !differences.is_empty() {
            return Err(format!(
                "after height {height}: {}",
                differences.join("\n  ")
            ));
        }

        // Reward periods: delegations created at this height start one; removed ones end.
        self.period_start
            .retain(|pair, _| chain_state.delegations.contains_key(pair));
        for pair in chain_state.delegations.keys() {
            if !self.last.delegations.contains_key(pair) || !self.period_start.contains_key(pair) {
                self.period_start.insert(pair.clone(), height);
            }
        }
        // The model's period starts at the block time of the chain's.
        for (pair, start) in self.period_start.clone() {
            let expected = self.reader.block_time(start).await;
            self.stats.exact_figures += 1;
            if since.get(&pair) != Some(&expected) {
                return Err(format!(
                    "reward period of {pair:?}: chain from height {start} ({expected} ns), \
                     model from {:?} ns",
                    since.get(&pair)
                ));
            }
        }

        let chain_rewards = self.reader.rewards(height, &self.users).await;
        let pairs: BTreeSet<&(String, String)> =
            chain_rewards.keys().chain(model_rewards.keys()).collect();
        for pair in pairs {
            let chain = chain_rewards.get(pair).copied().unwrap_or_default();
            let model = model_rewards.get(pair).copied().unwrap_or_default();
            let start = self.period_start.get(pair).copied().unwrap_or(height);
            let began = since.get(pair).copied().unwrap_or(time);
            self.reward(RewardPair {
                chain: dec_f64(chain),
                model: dec_f64(model),
                blocks: height - start,
                model_seconds: time / NANOS - began / NANOS,
            })
            .map_err(|e| format!("pending rewards of {pair:?} at height {height}: {e}"))?;
        }

        // What completed since the last checkpoint.
        for (pair, entries) in &self.last.unbondings {
            let now = model_state.unbondings.get(pair);
            self.stats.unbondings_paid += entries
                .iter()
                .filter(|e| {
                    !now.is_some_and(|list| {
                        list.iter().any(|n| {
                            n.creation_height == e.creation_height && n.completion == e.completion
                        })
                    })
                })
                .count();
        }
        for (key, entries) in &self.last.redelegations {
            let now = model_state.redelegations.get(key).map_or(0, Vec::len);
            self.stats.redelegations_matured += entries.len().saturating_sub(now);
        }
        self.last = model_state;
        Ok(())
    }

    /// The model's figures now (equal to the chain's at the last checkpoint).
    fn view(&self) -> &State {
        &self.last
    }

    fn delegated(&self, user: usize, validator: usize) -> u128 {
        self.view()
            .delegations
            .get(&(self.users[user].clone(), self.validators[validator].clone()))
            .map_or(0, |(_, worth)| *worth)
    }

    fn balance(&self, user: usize) -> u128 {
        self.model
            .app
            .wrap()
            .query_balance(&self.users[user], self.denom())
            .unwrap()
            .amount
            .u128()
    }

    /// `user`'s balance on the chain: the model's, with the rewards the chain paid it in place
    /// of those the model paid.
    fn chain_balance(&self, user: usize) -> u128 {
        let (chain, model) = self
            .received
            .get(&self.users[user])
            .copied()
            .unwrap_or_default();
        self.balance(user) - model + chain
    }

    /// Whether `user` has a redelegation into `validator` still maturing.
    fn receiving(&self, user: usize, validator: usize) -> bool {
        self.view()
            .redelegations
            .keys()
            .any(|(d, _, dst)| d == &self.users[user] && dst == &self.validators[validator])
    }

    fn entries(&self, user: usize, validator: usize) -> &[compare::Unbonding] {
        self.view()
            .unbondings
            .get(&(self.users[user].clone(), self.validators[validator].clone()))
            .map_or(&[], Vec::as_slice)
    }

    fn delegations_of(&self) -> Vec<(usize, usize)> {
        let mut all = vec![];
        for user in 0..self.users.len() {
            for validator in 0..self.validators.len() {
                if self.delegated(user, validator) > 0 {
                    all.push((user, validator));
                }
            }
        }
        all
    }

    fn other_validator(&mut self, not: usize) -> usize {
        let n = self.validators.len() as u64;
        (not + 1 + self.rng.below(n - 1) as usize) % n as usize
    }

    /// The next operations: forced scenarios first while they have not happened, then one
    /// random operation.
    fn draw(&mut self, total: usize) -> Vec<Op> {
        let done = self.stats.steps;
        if !self.did_fill && done >= total / 5 {
            if let Some(ops) = self.fill() {
                return ops;
            }
        }
        if !self.did_transitive && done >= 2 * total / 5 {
            return self.transitive();
        }
        let users = self.users.len() as u64;
        let validators = self.validators.len() as u64;
        let user = self.rng.below(users) as usize;
        let validator = self.rng.below(validators) as usize;
        let delegations = self.delegations_of();
        let pick = self.rng.below(100);
        let existing = if delegations.is_empty() {
            None
        } else {
            Some(delegations[self.rng.below(delegations.len() as u64) as usize])
        };
        match (pick, existing) {
            (0..=21, _) | (22..=59, None) => {
                let balance = self.balance(user);
                let amount = if self.rng.chance(3) {
                    // More than either side holds: their balances differ by the rewards paid,
                    // which match only within the reward tolerance.
                    self.chain_balance(user).max(balance) + 1
                } else {
                    self.rng.tokens(3_000).min(balance / 2).max(1)
                };
                vec![Op::Delegate {
                    user,
                    validator,
                    amount,
                }]
            }
            (22..=39, Some((user, validator))) => {
                let delegated = self.delegated(user, validator);
                let amount = match self.rng.below(20) {
                    0..=2 => delegated,
                    3 => delegated + 1,
                    _ => self.rng.portion(delegated / 2).max(1),
                };
                vec![Op::Undelegate {
                    user,
                    validator,
                    amount,
                }]
            }
            (40..=44, Some((user, validator))) => {
                let delegated = self.delegated(user, validator);
                let first = self.rng.portion(delegated / 3).max(1);
                let second = self.rng.portion(delegated / 3).max(1);
                vec![Op::UndelegateTwice {
                    user,
                    validator,
                    first,
                    second,
                }]
            }
            (45..=59, Some((user, source))) => {
                // A quarter of the time out of a validator the user is still redelegating
                // into, if there is one: the chain refuses that.
                let receiving: Vec<usize> = (0..self.validators.len())
                    .filter(|v| self.receiving(user, *v) && self.delegated(user, *v) > 0)
                    .collect();
                let source = if !receiving.is_empty() && self.rng.chance(25) {
                    receiving[self.rng.below(receiving.len() as u64) as usize]
                } else {
                    source
                };
                let destination = self.other_validator(source);
                let delegated = self.delegated(user, source);
                let amount = if self.rng.chance(10) {
                    delegated
                } else {
                    self.rng.portion(delegated / 2).max(1)
                };
                vec![Op::Redelegate {
                    user,
                    source,
                    destination,
                    amount,
                }]
            }
            (60..=69, existing) => match existing {
                Some((user, validator)) if !self.rng.chance(10) => {
                    vec![Op::Withdraw { user, validator }]
                }
                // A delegation that does not exist: refused.
                _ => {
                    let absent = (0..self.users.len())
                        .flat_map(|u| (0..self.validators.len()).map(move |v| (u, v)))
                        .find(|(u, v)| self.delegated(*u, *v) == 0);
                    let (user, validator) = absent.unwrap_or((user, validator));
                    vec![Op::Withdraw { user, validator }]
                }
            },
            (70..=81, _) => {
                let to = (user + 1 + self.rng.below(users - 1) as usize) % users as usize;
                let balance = self.balance(user);
                let amount = if self.rng.chance(3) {
                    self.chain_balance(user).max(balance) + 1
                } else {
                    self.rng.portion(balance / 10).max(1)
                };
                vec![Op::Send {
                    from: user,
                    to,
                    amount,
                }]
            }
            (82..=87, _) => vec![Op::Wait {
                seconds: 5 + self.rng.below(106),
            }],
            (88..=94, _) => self.fill().unwrap_or_else(|| self.transitive()),
            _ => self.transitive(),
        }
    }

    /// Fills one (delegator, validator) pair to six unbonding entries, tries two undelegations
    /// in one transaction (the second would be the 8th entry's check: refused), then a 7th
    /// (accepted) and an 8th (refused). The pair has no entry maturing in the next minute.
    fn fill(&mut self) -> Option<Vec<Op>> {
        let now = self.model.app.block_info().time.nanos();
        let mut candidates = vec![];
        for user in 0..self.users.len() {
            for validator in 0..self.validators.len() {
                let entries = self.entries(user, validator);
                if entries.iter().all(|e| e.completion > now + 60 * NANOS) {
                    candidates.push((user, validator));
                }
            }
        }
        if candidates.is_empty() {
            return None;
        }
        let (user, validator) = candidates[self.rng.below(candidates.len() as u64) as usize];
        let mut ops = vec![];
        if self.delegated(user, validator) < 30 * TOKEN {
            ops.push(Op::Delegate {
                user,
                validator,
                amount: 40 * TOKEN + self.rng.tokens(10),
            });
        }
        let existing = self.entries(user, validator).len();
        for _ in existing..6 {
            ops.push(Op::Undelegate {
                user,
                validator,
                amount: self.rng.tokens(1),
            });
        }
        ops.push(Op::UndelegateTwice {
            user,
            validator,
            first: self.rng.tokens(1),
            second: self.rng.tokens(1),
        });
        for _ in 0..2 {
            ops.push(Op::Undelegate {
                user,
                validator,
                amount: self.rng.tokens(1),
            });
        }
        Some(ops)
    }

    /// A redelegation A to B, then one out of B while the first matures: refused.
    fn transitive(&mut self) -> Vec<Op> {
        let user = self.rng.below(self.users.len() as u64) as usize;
        let mut ops = vec![];
        let sources: Vec<usize> = (0..self.validators.len())
            .filter(|v| self.delegated(user, *v) >= 2 * TOKEN && !self.receiving(user, *v))
            .collect();
        let source = if sources.is_empty() {
            let source = (0..self.validators.len())
                .find(|v| !self.receiving(user, *v))
                .unwrap_or(0);
            ops.push(Op::Delegate {
                user,
                validator: source,
                amount: 100 * TOKEN + self.rng.tokens(10),
            });
            source
        } else {
            sources[self.rng.below(sources.len() as u64) as usize]
        };
        let middle = self.other_validator(source);
        let last = self.other_validator(middle);
        let amount = TOKEN + self.rng.portion(TOKEN);
        ops.push(Op::Redelegate {
            user,
            source,
            destination: middle,
            amount,
        });
        ops.push(Op::Redelegate {
            user,
            source: middle,
            destination: last,
            amount: amount / 2,
        });
        ops
    }

    /// Time passes until every entry has completed, then a last comparison.
    fn drain(&self) -> Option<Op> {
        let now = self.model.app.block_info().time.nanos();
        let last = self
            .view()
            .unbondings
            .values()
            .flatten()
            .map(|e| e.completion)
            .chain(
                self.view()
                    .redelegations
                    .values()
                    .flatten()
                    .map(|e| e.completion),
            )
            .max()?;
        Some(Op::Wait {
            seconds: last.saturating_sub(now) / NANOS + 3,
        })
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
    })
}

/// The differential run: `DIFF_STEPS` operations (25 by default) from `DIFF_SEED` (the clock
/// by default; printed), then time until every entry has completed.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs its own localnet: scripts/differential.sh"]
async fn the_strict_model_matches_the_chain_step_by_step() {
    let steps = env_u64("DIFF_STEPS").unwrap_or(25) as usize;
    let seed = env_u64("DIFF_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            % 1_000_000_000
    });
    println!("differential: seed {seed}, {steps} steps (DIFF_SEED={seed} DIFF_STEPS={steps})");
    let started = Instant::now();
    let mut runner = Runner::new(seed).await;
    let mut failure = None;
    'run: while runner.stats.steps < steps {
        for op in runner.draw(steps) {
            let text = runner.describe(&op);
            let result = runner.play(&op).await;
            runner.stats.steps += 1;
            match result {
                Ok(outcome) => println!("step {}: {text}: {outcome}", runner.stats.steps),
                Err(difference) => {
                    failure = Some(format!(
                        "step {}: {text}:\n  {difference}",
                        runner.stats.steps
                    ));
                    break 'run;
                }
            }
        }
    }
    if failure.is_none() {
        if let Some(op) = runner.drain() {
            let text = runner.describe(&op);
            match runner.play(&op).await {
                Ok(outcome) => println!("drain: {text}: {outcome}"),
                Err(difference) => failure = Some(format!("drain: {text}:\n  {difference}")),
            }
        }
    }
    let stats = &runner.stats;
    let (raw_min, raw_max) = if stats.raw_min <= stats.raw_max {
        (stats.raw_min, stats.raw_max)
    } else {
        (f64::NAN, f64::NAN)
    };
    let refused: Vec<String> = stats
        .refused
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    println!(
        "differential: seed {seed}: {} steps ({} accepted transactions; refused by both: {}), \
         {} checkpoints, {} exact figures and {} reward figures compared, {} withdrawals, {} \
         unbonding entries paid out, {} redelegation entries matured; rewards: model/chain \
         {:.3}..{:.3} raw (periods of {STATS_MIN_BLOCKS}+ blocks), {:.4} % at most after \
         conversion to the model's clock (tolerance {} %); {:.0} s",
        stats.steps,
        stats.accepted,
        if refused.is_empty() {
            "none".to_string()
        } else {
            refused.join(", ")
        },
        stats.checkpoints,
        stats.exact_figures,
        stats.reward_figures,
        stats.withdrawals,
        stats.unbondings_paid,
        stats.redelegations_matured,
        raw_min,
        raw_max,
        stats.residual_max * 100.0,
        compare::REWARD_RELATIVE * 100.0,
        started.elapsed().as_secs_f64()
    );
    if let Some(failure) = failure {
        panic!("differential: seed {seed}: a difference at {failure}");
    }
    assert!(
        steps < 10 || (runner.did_fill && runner.did_transitive),
        "the run did not reach the 8th-entry and transitive refusals"
    );
}

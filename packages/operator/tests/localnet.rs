//! End to end on the real four-validator localnet (`scripts/localnet.sh`), with the artifacts
//! of `scripts/build-wasm.sh`, through the operator tool's library. Run by `scripts/e2e.sh`,
//! which starts the localnet, runs these tests (`--ignored`: they need it) and stops it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cosmwasm_std::{Decimal, Uint128};
use flowstake::hub::{ExecuteMsg, QueryMsg, StateResponse, UnbondRequestResponse};
use flowstake_operator::client::{Chain, Signer, TxOutcome};
use flowstake_operator::config::{ChainFile, Deployment};
use flowstake_operator::keeper::{KeeperConfig, Tick};
use flowstake_operator::ops::{self, DeployParams};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A funded account of the localnet, by name (accounts.json).
fn account(chain: &ChainFile, name: &str) -> Signer {
    let path = root().join("target/localnet/net/accounts.json");
    let text = std::fs::read_to_string(&path).expect("the localnet is up (scripts/localnet.sh)");
    let accounts: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no account {name}"));
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

async fn connect() -> Chain {
    let file = ChainFile::load(&root().join("packages/operator/chains/localnet.toml")).unwrap();
    Chain::connect(file).await.expect("the localnet answers")
}

async fn deploy(chain: &Chain, deployer: &Signer) -> Deployment {
    let params = DeployParams {
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
    };
    ops::deploy(chain, deployer, &params, &mut |line| eprintln!("{line}"))
        .await
        .unwrap()
}

async fn requests(chain: &Chain, hub: &Deployment, user: &Signer) -> Vec<UnbondRequestResponse> {
    let query = QueryMsg::UnbondRequestsByUser {
        user: user.address.to_string(),
        start_after: None,
        limit: None,
    };
    chain.query(&hub.hub, &query).await.unwrap()
}

async fn stake(chain: &Chain, user: &Signer) -> u128 {
    chain
        .balance(user.address.as_ref(), &chain.file.staking_denom)
        .await
        .unwrap()
}

/// The operator address of a localnet validator, by name (accounts.json).
fn valoper(name: &str) -> String {
    let path = root().join("target/localnet/net/accounts.json");
    let accounts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .and_then(|a| a["valoper"].as_str())
        .unwrap()
        .to_string()
}

/// Runs `scripts/localnet.sh` with `args`.
fn localnet(args: &[&str]) {
    let status = std::process::Command::new(root().join("scripts/localnet.sh"))
        .args(args)
        .status()
        .expect("scripts/localnet.sh runs");
    assert!(status.success(), "localnet.sh {args:?} failed");
}

/// One keeper tick; a node that does not answer for a moment (a restart, a loaded machine) is
/// asked again, as the keeper loop itself does.
async fn tick(chain: &Chain, keeper: &Signer, hub: &Deployment, config: KeeperConfig) -> Tick {
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
async fn bond(
    chain: &Chain,
    user: &Signer,
    hub: &Deployment,
    native: u128,
) -> Result<TxOutcome, flowstake_operator::error::OperatorError> {
    let msg = ExecuteMsg::Bond {
        receiver: None,
        min_shares: None,
    };
    ops::execute(chain, user, hub, &msg, native).await
}

fn ok(outcome: Result<TxOutcome, flowstake_operator::error::OperatorError>) -> TxOutcome {
    outcome.unwrap_or_else(|err| panic!("{err}"))
}

/// Users bond, queue and cancel; the keeper loop submits, reconciles and harvests on its own
/// over several epochs and the chain's real unbonding time; every user withdraws to the unit
/// what the hub's query promised, as the bank shows it.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn users_are_paid_what_the_hub_promised_through_a_real_unbonding() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper_key = account(&chain.file, "keeper");
    let hub = deploy(&chain, &deployer).await;
    let users: Vec<Signer> = ["user1", "user2", "user3"]
        .iter()
        .map(|name| account(&chain.file, name))
        .collect();

    let bonds = [3_000_000_000u128, 2_000_000_000, 1_000_000_000];
    for (user, native) in users.iter().zip(bonds) {
        ok(bond(&chain, user, &hub, native).await);
    }
    // user1 and user2 queue part of their shares; user3 queues and cancels.
    ok(ops::unbond(&chain, &users[0], &hub, 1_000_000_000).await);
    ok(ops::unbond(&chain, &users[1], &hub, 2_000_000_000).await);
    ok(ops::unbond(&chain, &users[2], &hub, 500_000_000).await);
    ok(ops::execute(&chain, &users[2], &hub, &ExecuteMsg::CancelUnbond {}, 0).await);
    assert!(requests(&chain, &hub, &users[2]).await.is_empty());
    // A second round of requests in a later epoch.
    let config = KeeperConfig {
        interval: Duration::from_secs(2),
        harvest_every: 20,
    };
    let (_, time) = chain.latest().await.unwrap();
    let status = ops::status(&chain, &hub).await.unwrap();
    let epoch = status.config.epoch_period;
    // Keeper ticks until the first batch is submitted and an epoch has passed.
    while ops::status(&chain, &hub).await.unwrap().pending.id == 1 {
        tick(&chain, &keeper_key, &hub, config).await;
        tokio::time::sleep(config.interval).await;
    }
    ok(ops::unbond(&chain, &users[0], &hub, 500_000_000).await);

    // The keeper runs until every request is reconciled, within the chain's unbonding time
    // and a few epochs.
    let unbonding = chain.unbonding_time().await.unwrap();
    let deadline = time + 4 * epoch + 2 * unbonding + 60;
    loop {
        tick(&chain, &keeper_key, &hub, config).await;
        let mut all = vec![];
        for user in &users[..2] {
            all.extend(requests(&chain, &hub, user).await);
        }
        let done = all
            .iter()
            .all(|r| matches!(r.status, flowstake::hub::BatchStatus::Reconciled));
        if done && all.len() == 3 {
            break;
        }
        let (_, now) = chain.latest().await.unwrap();
        assert!(now < deadline, "requests not reconciled in time: {all:?}");
        tokio::time::sleep(config.interval).await;
    }

    for user in &users[..2] {
        let promised: u128 = requests(&chain, &hub, user)
            .await
            .iter()
            .map(|r| r.native.u128())
            .sum();
        let before = stake(&chain, user).await;
        let withdraw = ExecuteMsg::WithdrawUnbonded {
            receiver: None,
            limit: None,
        };
        ok(ops::execute(&chain, user, &hub, &withdraw, 0).await);
        let paid = stake(&chain, user).await - before;
        assert_eq!(
            paid, promised,
            "{} paid {paid}, promised {promised}",
            user.address
        );
        assert!(requests(&chain, &hub, user).await.is_empty());
    }
    // Real rewards were booked and the rate rose; conservation against the chain's balances.
    let state: StateResponse = chain.query(&hub.hub, &QueryMsg::State {}).await.unwrap();
    assert!(!state.totals.rewards.is_zero(), "no rewards booked");
    assert!(state.exchange_rate > Decimal::one());
    let hub_balance = chain
        .balance(&hub.hub, &chain.file.staking_denom)
        .await
        .unwrap();
    assert!(Uint128::new(hub_balance) >= state.reserved_for_claims + state.unlocked_surplus);
}

/// Every crank the keeper sends twice in a row is refused the second time as not due, and
/// the keeper treats it so: running two keepers at once is safe.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn a_second_keeper_finds_nothing_due() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper_key = account(&chain.file, "user4");
    let hub = deploy(&chain, &deployer).await;
    let user = account(&chain.file, "user5");
    ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    ok(ops::unbond(&chain, &user, &hub, 100_000_000).await);
    let epoch = ops::status(&chain, &hub).await.unwrap().config.epoch_period;
    tokio::time::sleep(Duration::from_secs(epoch + 2)).await;
    let config = KeeperConfig {
        interval: Duration::from_secs(1),
        harvest_every: 0,
    };
    let first = tick(&chain, &keeper_key, &hub, config).await;
    assert!(first.submitted, "{first:?}");
    // The same submission again: the hub refuses it (the batch is empty now).
    let again = ops::execute(&chain, &keeper_key, &hub, &ExecuteMsg::SubmitBatch {}, 0).await;
    let err = again.unwrap_err();
    assert!(err.is_not_due(), "{err}");
    // Reconcile before anything completed: not due either.
    let early = ops::execute(
        &chain,
        &keeper_key,
        &hub,
        &ExecuteMsg::Reconcile { limit: None },
        0,
    )
    .await
    .unwrap_err();
    assert!(early.is_not_due(), "{early}");
}

/// Eight batches in a row, one an epoch: the hub never sends an undelegation the chain refuses
/// for its limit of seven entries per validator (the eighth waits until the first completed).
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn eight_consecutive_batches_are_all_accepted_by_the_chain() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper_key = account(&chain.file, "keeper");
    let user = account(&chain.file, "user3");
    let hub = deploy(&chain, &deployer).await;
    ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    let config = KeeperConfig {
        interval: Duration::from_secs(2),
        harvest_every: u64::MAX,
    };
    let status = ops::status(&chain, &hub).await.unwrap();
    let (epoch, unbonding) = (
        status.config.epoch_period,
        chain.unbonding_time().await.unwrap(),
    );
    let deadline = status.time + 9 * epoch + unbonding + 60;
    let mut waited_for_room = 0;
    loop {
        let status = ops::status(&chain, &hub).await.unwrap();
        if status.pending.id > 8 {
            break;
        }
        assert!(
            status.time < deadline,
            "only {} batches submitted",
            status.pending.id - 1
        );
        if status.pending.shares.is_zero() {
            ok(ops::unbond(&chain, &user, &hub, 10_000_000).await);
        }
        let done = tick(&chain, &keeper_key, &hub, config).await;
        assert!(done.refused.is_empty(), "{:?}", done.refused);
        waited_for_room += done.not_due.iter().filter(|c| **c == "submit").count();
        tokio::time::sleep(config.interval).await;
    }
    // Every submission was a transaction the chain accepted, undelegations included.
    let status = ops::status(&chain, &hub).await.unwrap();
    assert_eq!(status.pending.id, 9);
    eprintln!("submissions the hub held back for the entry limit: {waited_for_room}");
}

/// A validator's node stops while a batch unbonds from it: the chain jails it and slashes it
/// for downtime; the hub's next sync books the loss and marks it inactive, new stake goes
/// elsewhere, and the batch (whose entries predate the infraction) is paid in full.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the localnet: scripts/e2e.sh"]
async fn a_validator_jailed_for_downtime_is_booked_and_gets_no_new_stake() {
    let chain = connect().await;
    let deployer = account(&chain.file, "deployer");
    let keeper_key = account(&chain.file, "keeper");
    let user = account(&chain.file, "user2");
    let hub = deploy(&chain, &deployer).await;
    // One bond per validator: each goes to the one furthest below its share.
    for _ in 0..4 {
        ok(bond(&chain, &user, &hub, 1_000_000_000).await);
    }
    ok(ops::unbond(&chain, &user, &hub, 400_000_000).await);
    let config = KeeperConfig {
        interval: Duration::from_secs(2),
        harvest_every: u64::MAX,
    };
    while ops::status(&chain, &hub).await.unwrap().pending.id == 1 {
        tick(&chain, &keeper_key, &hub, config).await;
        tokio::time::sleep(config.interval).await;
    }

    let jailed = valoper("val2");
    localnet(&["stop-validator", "2"]);
    let (_, stopped_at) = chain.latest().await.unwrap();
    loop {
        if !chain.bonded_validators().await.unwrap().contains(&jailed) {
            break;
        }
        let (_, now) = chain.latest().await.unwrap();
        assert!(now < stopped_at + 180, "validator 2 was not jailed");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let (_, now) = chain.latest().await.unwrap();
    eprintln!("jailed {} s after its node stopped", now - stopped_at);

    let before: StateResponse = chain.query(&hub.hub, &QueryMsg::State {}).await.unwrap();
    ok(ops::execute(&chain, &keeper_key, &hub, &ExecuteMsg::Sync {}, 0).await);
    let after: StateResponse = chain.query(&hub.hub, &QueryMsg::State {}).await.unwrap();
    assert!(
        after.totals.slashed > before.totals.slashed,
        "the downtime slash was not booked"
    );
    let validators: Vec<flowstake::hub::ValidatorResponse> = chain
        .query(
            &hub.hub,
            &QueryMsg::Validators {
                start_after: None,
                limit: None,
            },
        )
        .await
        .unwrap();
    let entry = validators.iter().find(|v| v.address == jailed).unwrap();
    assert!(!entry.active, "the hub still counts validator 2 active");
    for _ in 0..3 {
        let outcome = ok(bond(&chain, &user, &hub, 1_000_000_000).await);
        assert_ne!(
            outcome.wasm_attributes("validator").first().copied(),
            Some(jailed.as_str())
        );
    }
    localnet(&["start-validator", "2"]);

    // The batch completes on the chain's time and pays what the hub promised.
    loop {
        tick(&chain, &keeper_key, &hub, config).await;
        let all = requests(&chain, &hub, &user).await;
        if all
            .iter()
            .all(|r| matches!(r.status, flowstake::hub::BatchStatus::Reconciled))
        {
            break;
        }
        let (_, now) = chain.latest().await.unwrap();
        assert!(now < stopped_at + 400, "not reconciled: {all:?}");
        tokio::time::sleep(config.interval).await;
    }
    let promised: u128 = requests(&chain, &hub, &user)
        .await
        .iter()
        .map(|r| r.native.u128())
        .sum();
    let before = stake(&chain, &user).await;
    let withdraw = ExecuteMsg::WithdrawUnbonded {
        receiver: None,
        limit: None,
    };
    ok(ops::execute(&chain, &user, &hub, &withdraw, 0).await);
    assert_eq!(stake(&chain, &user).await - before, promised);
}

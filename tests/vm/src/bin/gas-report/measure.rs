//! The measurements: each operation played on the artifacts in the VM, with the gas of every
//! call it made, per contract.

use cosmwasm_std::Decimal;
use flowstake::hub::{BatchStatus, QueryMsg, RatePoint, RedemptionRateResponse, StateResponse};
use flowstake_vm_tests::chain::BLOCK_TIME;
use flowstake_vm_tests::floor::Floor;
use flowstake_vm_tests::suite::{Suite, SuiteBuilder, DAY};
use flowstake_vm_tests::vm::{CallGas, Outcome};

/// Validator counts of the report.
pub const VALIDATOR_COUNTS: [usize; 6] = [1, 10, 30, 60, 100, 150];
/// Holder counts of the report: holders who bonded and queued a request each.
pub const HOLDER_COUNTS: [usize; 3] = [1, 1_000, 10_000];
/// Validators in the hub's set while the holder counts are measured.
pub const HOLDER_VALIDATORS: usize = 10;

/// Every stake the measurements bond, in native units.
const STAKE: u128 = 10_000_000;
const USER_BOND: u128 = 50_000_000;
const REQUEST: u128 = 1_000_000;
/// Requests the withdrawing user holds, and how many of them are claimable.
pub const WITHDRAW_REQUESTS: usize = 9;
pub const WITHDRAW_CLAIMABLE: usize = 2;
/// Holders who bond before anything is measured, and who unbond in the past batches.
pub const HISTORY_HOLDERS: usize = 20;
/// Points the measured `rate_history` query asks for (a wallet's chart of a month of days).
const RATE_POINTS: u32 = 30;
/// Batches submitted, reconciled and withdrawn before anything is measured.
pub const HISTORY_BATCHES: usize = 2;

/// One operation: every call it made, with the hub's, the token's and the collector's sums.
#[derive(Clone, Debug)]
pub struct Measured {
    pub hub: u64,
    pub token: u64,
    pub collector: u64,
    pub calls: Vec<CallGas>,
    /// Transactions the operation took (a submission spread over several calls takes more
    /// than one); the figures are their sums.
    pub txs: usize,
    /// The hub's gas in the largest of those transactions.
    pub largest_tx: u64,
}

impl Measured {
    fn of(outcome: &Outcome, suite: &Suite) -> Measured {
        let hub = outcome.gas_of(&suite.hub);
        Measured {
            hub,
            token: outcome.gas_of(&suite.token),
            collector: outcome.gas_of(&suite.collector),
            calls: outcome.calls.clone(),
            txs: 1,
            largest_tx: hub,
        }
    }

    /// The sum of the transactions of one operation, in order.
    fn of_all(outcomes: &[Outcome], suite: &Suite) -> Measured {
        let parts: Vec<Measured> = outcomes.iter().map(|o| Measured::of(o, suite)).collect();
        Measured {
            hub: parts.iter().map(|m| m.hub).sum(),
            token: parts.iter().map(|m| m.token).sum(),
            collector: parts.iter().map(|m| m.collector).sum(),
            calls: parts.iter().flat_map(|m| m.calls.clone()).collect(),
            txs: parts.len(),
            largest_tx: parts.iter().map(|m| m.hub).max().unwrap_or(0),
        }
    }

    fn query(call: CallGas) -> Measured {
        Measured {
            hub: call.gas,
            token: 0,
            collector: 0,
            txs: 1,
            largest_tx: call.gas,
            calls: vec![call],
        }
    }

    /// Gas the host charged for queries, over the hub's calls.
    pub fn hub_query_gas(&self) -> u64 {
        self.calls
            .iter()
            .filter(|c| c.label == "hub")
            .map(|c| c.query_gas)
            .sum()
    }

    /// Gas the host charged (storage, queries, addresses), over the hub's calls.
    pub fn hub_host_gas(&self) -> u64 {
        self.calls
            .iter()
            .filter(|c| c.label == "hub")
            .map(|c| c.host_gas)
            .sum()
    }
}

/// The operations of the report, in its order. The first six are those of `gas.json`.
pub const OPERATIONS: [&str; 19] = [
    "bond",
    "redemption_rate",
    "harvest",
    "queue_unbond",
    "submit_batch",
    "withdraw_unbonded",
    "state",
    "preview_bond",
    "sync",
    "cancel_unbond",
    "reconcile",
    "add_validator",
    "remove_validator",
    "instantiate",
    "preview_instant_unbond",
    "rate_history",
    "apr",
    "apy",
    "instant_unbond",
];

/// Every operation at one validator count, in [`OPERATIONS`] order.
pub struct AtValidators {
    pub validators: usize,
    pub ops: Vec<(&'static str, Measured)>,
}

impl AtValidators {
    pub fn get(&self, op: &str) -> &Measured {
        &self
            .ops
            .iter()
            .find(|(name, _)| *name == op)
            .unwrap_or_else(|| panic!("operation {op} measured"))
            .1
    }
}

fn expect(outcome: Result<Outcome, impl std::fmt::Display>, what: &str) -> Outcome {
    outcome.unwrap_or_else(|err| panic!("{what}: {err}"))
}

fn hub_query(suite: &mut Suite, msg: &QueryMsg) -> CallGas {
    let hub = suite.hub.clone();
    let (_, call): (serde_json::Value, CallGas) = suite
        .vm
        .query_gas(&hub, msg)
        .unwrap_or_else(|err| panic!("query {msg:?}: {err}"));
    call
}

/// The floor: its own call, and the token's mint it triggers.
pub fn floor() -> (u64, u64) {
    let mut floor = Floor::deploy();
    let user = floor.vm.addr("alice");
    // A first bond creates the token's balance entry and supply; the measured one is a
    // second user's, as the hub's bond is measured.
    floor.bond(&user, STAKE).expect("the floor bonds");
    let user = floor.vm.addr("bob");
    let outcome = floor.bond(&user, USER_BOND).expect("the floor bonds");
    (outcome.gas_of(&floor.floor), outcome.gas_of(&floor.token))
}

/// Whether the hub is in the middle of submitting a batch over several calls.
fn submission_open(suite: &mut Suite) -> bool {
    let state: serde_json::Value = suite.query_hub(&QueryMsg::State {});
    state.get("submission").is_some_and(|s| !s.is_null())
}

/// Submits the pending batch as a keeper does: one `SubmitBatch`, then more in the blocks
/// after it while the hub says the submission goes on. Returns every transaction.
fn submit_whole_batch(suite: &mut Suite) -> Vec<Outcome> {
    let submit_after = suite.pending_batch().submit_after;
    suite.advance_to(submit_after);
    let mut outcomes = vec![expect(suite.submit_batch(), "submit_batch")];
    while submission_open(suite) {
        assert!(outcomes.len() < 100, "a submission ends");
        suite.advance(BLOCK_TIME);
        outcomes.push(expect(suite.submit_batch(), "submit_batch, continued"));
    }
    outcomes
}

/// The history every measurement starts from: [`HISTORY_HOLDERS`] holders bonded, daily
/// harvests, [`HISTORY_BATCHES`] batches of their requests submitted, matured, reconciled
/// and withdrawn, one more batch submitted (returned: it is still unbonding) and requests of
/// three holders in the pending batch, then a day of rewards harvested. No operation
/// measured after it is the first of its kind.
fn history(suite: &mut Suite) -> u64 {
    let holders: Vec<String> = (0..HISTORY_HOLDERS)
        .map(|index| suite.user(&format!("past{index}")))
        .collect();
    for holder in &holders {
        suite.fund_and_bond(holder, 4 * REQUEST);
    }
    let mut last_batch = 0;
    for round in 0..HISTORY_BATCHES {
        suite.advance(DAY);
        expect(suite.harvest(), "history: harvest");
        for holder in holders.iter().skip(round).step_by(HISTORY_BATCHES) {
            expect(suite.queue_unbond(holder, REQUEST), "history: queue_unbond");
        }
        last_batch = suite.pending_batch().id;
        submit_whole_batch(suite);
    }
    let completes_at = suite.batch(last_batch).completes_at;
    suite.advance_to(completes_at);
    expect(suite.reconcile_settled(None), "history: reconcile");
    assert_eq!(
        suite.batch(last_batch).status,
        BatchStatus::Reconciled,
        "the past batches are reconciled"
    );
    for holder in holders.iter().take(HISTORY_BATCHES * 2) {
        expect(suite.withdraw_unbonded(holder), "history: withdraw");
    }
    // The epoch has long ended: the first request submits the batch it joins, the others
    // wait in the next one, which the measured user joins.
    let unbonding = suite.pending_batch().id;
    for holder in holders.iter().skip(HISTORY_BATCHES * 2).take(4) {
        expect(suite.queue_unbond(holder, REQUEST), "history: queue_unbond");
        while submission_open(suite) {
            suite.advance(BLOCK_TIME);
            expect(suite.submit_batch(), "history: submit_batch, continued");
        }
    }
    assert_eq!(
        suite.batch(unbonding).status,
        BatchStatus::Unbonding,
        "a past batch is unbonding"
    );
    suite.advance(DAY);
    expect(suite.harvest(), "history: harvest");
    unbonding
}

/// Plays every operation at `validators` validators, each validator holding a delegation,
/// after the [`history`].
pub fn at_validators(validators: usize) -> AtValidators {
    let mut suite = SuiteBuilder::new()
        .validators(validators)
        .outsiders(1)
        .build();
    let mut ops: Vec<(&'static str, Measured)> = vec![];
    let instantiate = suite.instantiate.clone();
    ops.push(("instantiate", Measured::of(&instantiate, &suite)));
    suite.spread_stake(validators, STAKE);
    assert!(
        suite
            .hub_validators()
            .iter()
            .all(|v| !v.delegated.is_zero()),
        "every validator holds a delegation"
    );
    let unbonding = history(&mut suite);

    let alice = suite.user("alice");
    suite.fund(&alice, USER_BOND);
    let outcome = expect(suite.bond(&alice, USER_BOND), "bond");
    ops.push(("bond", Measured::of(&outcome, &suite)));

    let call = hub_query(&mut suite, &QueryMsg::RedemptionRate {});
    ops.push(("redemption_rate", Measured::query(call)));
    let call = hub_query(&mut suite, &QueryMsg::State {});
    ops.push(("state", Measured::query(call)));
    let preview = QueryMsg::PreviewBond {
        native: USER_BOND.into(),
    };
    let call = hub_query(&mut suite, &preview);
    ops.push(("preview_bond", Measured::query(call)));

    let preview = QueryMsg::PreviewInstantUnbond {
        shares: REQUEST.into(),
    };
    let call = hub_query(&mut suite, &preview);
    ops.push(("preview_instant_unbond", Measured::query(call)));
    let history = QueryMsg::RateHistory {
        start_after: None,
        limit: Some(RATE_POINTS),
    };
    let points: Vec<RatePoint> = suite.query_hub(&history);
    assert!(
        points.len() > 1,
        "the history holds points: {}",
        points.len()
    );
    let call = hub_query(&mut suite, &history);
    ops.push(("rate_history", Measured::query(call)));
    let call = hub_query(&mut suite, &QueryMsg::Apr { window: None });
    ops.push(("apr", Measured::query(call)));
    let call = hub_query(&mut suite, &QueryMsg::Apy { window: None });
    ops.push(("apy", Measured::query(call)));

    // A day of rewards on every delegation.
    suite.advance(DAY);
    let rate_before: RedemptionRateResponse = suite.redemption_rate();
    let outcome = expect(suite.harvest(), "harvest");
    assert!(suite.redemption_rate().redemption_rate > rate_before.redemption_rate);
    ops.push(("harvest", Measured::of(&outcome, &suite)));
    let outcome = expect(suite.sync(), "sync");
    ops.push(("sync", Measured::of(&outcome, &suite)));

    let outcome = expect(suite.queue_unbond(&alice, REQUEST), "queue_unbond");
    ops.push(("queue_unbond", Measured::of(&outcome, &suite)));
    let outcome = expect(suite.cancel_unbond(&alice), "cancel_unbond");
    ops.push(("cancel_unbond", Measured::of(&outcome, &suite)));

    // Alice queues in nine batches: eight submitted, one pending.
    expect(suite.queue_unbond(&alice, REQUEST), "queue_unbond");
    let mut alice_batches = vec![suite.pending_batch().id];
    let outcomes = submit_whole_batch(&mut suite);
    ops.push(("submit_batch", Measured::of_all(&outcomes, &suite)));
    let mut past_reconciled = false;
    for _ in 2..WITHDRAW_REQUESTS {
        expect(suite.queue_unbond(&alice, REQUEST), "queue_unbond");
        alice_batches.push(suite.pending_batch().id);
        submit_whole_batch(&mut suite);
        // The history's last batch is reconciled as it matures, before the user's.
        if !past_reconciled && suite.now() >= suite.batch(unbonding).completes_at {
            expect(suite.reconcile_settled(None), "reconcile of the past batch");
            assert_eq!(suite.batch(unbonding).status, BatchStatus::Reconciled);
            past_reconciled = true;
        }
    }
    assert!(past_reconciled, "the past batch was reconciled");
    expect(suite.queue_unbond(&alice, REQUEST), "queue_unbond");

    // The first two batches mature and are reconciled; the others are not. In the block that
    // reaches the second's completion the hub waits for proof of payout; the reconcile
    // measured is the one a block later that books both.
    let completes_at = suite
        .batch(alice_batches[WITHDRAW_CLAIMABLE - 1])
        .completes_at;
    suite.advance_to(completes_at);
    let waiting = expect(
        suite.reconcile(None),
        "reconcile in the block of completion",
    );
    assert!(waiting.attribute("wasm", "waiting_for").is_some());
    suite.advance(BLOCK_TIME);
    let outcome = expect(suite.reconcile(None), "reconcile");
    let booked = WITHDRAW_CLAIMABLE.to_string();
    assert_eq!(outcome.attribute("wasm", "batches"), Some(booked.as_str()));
    ops.push(("reconcile", Measured::of(&outcome, &suite)));
    let requests = suite.requests(&alice);
    assert_eq!(requests.len(), WITHDRAW_REQUESTS);
    let claimable = requests
        .iter()
        .filter(|r| r.status == BatchStatus::Reconciled)
        .count();
    assert_eq!(claimable, WITHDRAW_CLAIMABLE);
    let expected_pay: u128 = requests
        .iter()
        .filter(|r| r.status == BatchStatus::Reconciled)
        .map(|r| r.native.u128())
        .sum();
    let outcome = expect(suite.withdraw_unbonded(&alice), "withdraw_unbonded");
    assert_eq!(suite.native(&alice), expected_pay);
    assert_eq!(
        suite.requests(&alice).len(),
        WITHDRAW_REQUESTS - WITHDRAW_CLAIMABLE
    );
    ops.push(("withdraw_unbonded", Measured::of(&outcome, &suite)));

    let outsider = suite.outsiders[0].clone();
    let outcome = expect(suite.add_validator(&outsider, 1), "add_validator");
    ops.push(("add_validator", Measured::of(&outcome, &suite)));
    let removed = suite.validators[0].clone();
    let outcome = expect(suite.remove_validator(&removed), "remove_validator");
    ops.push(("remove_validator", Measured::of(&outcome, &suite)));

    let state: StateResponse = suite.state();
    assert_eq!(
        state.total_native.u128() + state.unvested_rewards.u128(),
        suite.delegated_on_chain()
    );

    // Last, with a buffer: a deposit fills it and Alice exits from it at once.
    suite.set_liquidity(Decimal::percent(10), Decimal::permille(5));
    let bob = suite.user("bob");
    suite.fund_and_bond(&bob, USER_BOND);
    assert!(
        !suite.state().buffer.is_zero(),
        "the deposit filled the buffer"
    );
    let outcome = expect(suite.instant_unbond(&alice, REQUEST), "instant_unbond");
    ops.push(("instant_unbond", Measured::of(&outcome, &suite)));

    ops.sort_by_key(|(name, _)| OPERATIONS.iter().position(|o| o == name));
    AtValidators { validators, ops }
}

/// Bond, queue and submit with `holders` holders who each bonded and queued a request.
pub struct AtHolders {
    pub holders: usize,
    pub bond: Measured,
    pub queue_unbond: Measured,
    pub submit_batch: Measured,
}

pub fn at_holders(holders: usize) -> AtHolders {
    let mut suite = SuiteBuilder::new()
        .validators(HOLDER_VALIDATORS)
        .outsiders(0)
        .build();
    suite.spread_stake(HOLDER_VALIDATORS, STAKE);
    history(&mut suite);
    for index in 0..holders {
        let holder = suite.user(&format!("holder{index}"));
        suite.fund_and_bond(&holder, 2 * REQUEST);
        expect(suite.queue_unbond(&holder, REQUEST), "holder queues");
    }
    let alice = suite.user("alice");
    suite.fund(&alice, USER_BOND);
    let outcome = expect(suite.bond(&alice, USER_BOND), "bond");
    let bond = Measured::of(&outcome, &suite);
    let outcome = expect(suite.queue_unbond(&alice, REQUEST), "queue_unbond");
    let queue_unbond = Measured::of(&outcome, &suite);
    assert_eq!(
        suite.pending_batch().shares.u128(),
        (holders as u128 + 4) * REQUEST,
        "the holders', the user's and three of the history's requests"
    );
    let outcomes = submit_whole_batch(&mut suite);
    let submit_batch = Measured::of_all(&outcomes, &suite);
    AtHolders {
        holders,
        bond,
        queue_unbond,
        submit_batch,
    }
}

/// Calls that split the hub's fixed cost from its work, at one validator.
pub struct Probes {
    /// `paused`: one item loaded, a short answer. The fixed cost of any hub query.
    pub query_paused: CallGas,
    /// A bond without funds: the hub parses the message, checks the pause, loads the config
    /// and stops at the payment check. The fixed cost of entering the hub's `execute`.
    pub bond_without_funds: CallGas,
}

pub fn probes() -> Probes {
    let mut suite = SuiteBuilder::new().validators(1).outsiders(0).build();
    let query_paused = hub_query(&mut suite, &QueryMsg::Paused {});
    let alice = suite.user("alice");
    let hub = suite.hub.clone();
    let bond = flowstake::hub::ExecuteMsg::Bond {
        receiver: None,
        min_shares: None,
        forward: None,
    };
    let refused = suite.vm.execute(&alice, &hub, &bond, &[]);
    assert!(refused.is_err(), "a bond without funds is refused");
    let bond_without_funds = suite.vm.last_calls()[0].clone();
    Probes {
        query_paused,
        bond_without_funds,
    }
}

//! Bond, harvest, unbond, reconcile and withdraw end to end, with every figure checked against
//! the reference model and the invariants checked after every step.

use cosmwasm_std::Decimal;
use flowstake::hub::BatchStatus;
use flowstake_tests::model::{claim, RateModel};
use flowstake_tests::*;

const FEE_PERCENT: u128 = 5;

/// 36.5 % a year is 0.1 % a day: rewards over whole days are exact decimals on the chain, so
/// the expected figures are exact too.
fn lifecycle_suite() -> Suite {
    SuiteBuilder::new()
        .validators(3)
        .epoch_days(4)
        .unbonding_days(21)
        .apr(Decimal::permille(365))
        .fee_percent(FEE_PERCENT as u64)
        .build()
}

/// The completion time the chain gives an undelegation made in the current block, `unbonding`
/// seconds on, rounded up to the whole second as the hub rounds the chain's answer (the test
/// chain's block times carry nanoseconds).
fn completion_of_undelegation_now(suite: &Suite, unbonding: u64) -> u64 {
    let time = suite.app.block_info().time.plus_seconds(unbonding);
    time.seconds() + u64::from(time.subsec_nanos() > 0)
}

/// What the test has booked so far, to compare with the hub and the balances.
struct Books {
    model: RateModel,
    fees: u128,
    rewards: u128,
}

/// Harvests and checks that the rewards the chain paid are the ones the reward meter computed
/// from the delegations and the time, that the fee is `floor(rewards * 5 %)`, and that the rest
/// raised the backing.
fn harvest_and_check(suite: &mut Suite, books: &mut Books) -> u128 {
    let rewards = suite.expected_rewards();
    assert!(rewards > 0, "no rewards accrued");
    assert_eq!(
        suite.chain_pending_rewards(),
        rewards,
        "the chain and the reward meter disagree"
    );
    let rate_before = suite.redemption_rate().redemption_rate;

    suite.harvest().unwrap();

    let fee = books.model.harvest(rewards, FEE_PERCENT);
    books.fees += fee;
    books.rewards += rewards;
    let state = suite.state();
    assert_eq!(state.total_native.u128(), books.model.total_native);
    assert_eq!(state.total_shares.u128(), books.model.total_shares);
    assert_eq!(state.totals.rewards.u128(), books.rewards);
    assert_eq!(state.totals.fees.u128(), books.fees);
    assert_eq!(suite.native_balance(FEE_RECEIVER), books.fees);
    assert_eq!(
        state.pending_rewards.u128(),
        0,
        "the collector kept rewards"
    );
    assert_eq!(suite.chain_pending_rewards(), 0);
    assert!(suite.redemption_rate().redemption_rate > rate_before);
    suite.assert_invariants();
    rewards
}

#[test]
fn three_users_over_several_epochs_are_paid_the_model_figures() {
    let mut suite = lifecycle_suite();
    let start = suite.now();
    let funds = suite.native_balance(ALICE);
    let mut books = Books {
        model: RateModel::seeded(suite.seed),
        fees: 0,
        rewards: 0,
    };
    assert_eq!(suite.pending_batch().submit_after, start + 4 * DAY);
    suite.assert_invariants();

    // Day 0: three deposits at the initial rate of one.
    for (user, native) in [(ALICE, 10_000_000), (BOB, 25_000_000), (CAROL, 40_000_000)] {
        let shares = books.model.bond(native);
        assert_eq!(shares, native, "the rate is one before any reward");
        suite.bond(user, native).unwrap();
        assert_eq!(suite.shares(user), shares);
        assert_eq!(suite.native_balance(user), funds - native);
        suite.assert_invariants();
    }
    assert_eq!(suite.chain_delegated_total(), 75_000_000 + suite.seed);

    // Day 2: two days of 0.1 % on 76 million, every delegation a multiple of 500.
    suite.advance_days(2);
    assert_eq!(suite.expected_rewards(), 76_000_000 * 2 / 1_000);
    harvest_and_check(&mut suite, &mut books);
    assert_eq!(suite.native_balance(FEE_RECEIVER), 152_000 * 5 / 100);

    // Day 2: Alice and Bob queue part of their shares; they join the first batch.
    suite.queue_unbond(ALICE, 4_000_000).unwrap();
    suite.assert_invariants();
    suite.queue_unbond(BOB, 10_000_000).unwrap();
    suite.assert_invariants();
    let pending = suite.pending_batch();
    assert_eq!(pending.id, 1);
    assert_eq!(pending.shares.u128(), 14_000_000);
    assert_eq!(suite.shares(ALICE), 6_000_000);
    assert_eq!(suite.shares(BOB), 15_000_000);
    let alice_requests = suite.requests(ALICE);
    assert_eq!(alice_requests.len(), 1);
    assert_eq!(alice_requests[0].status, BatchStatus::Pending);
    assert_eq!(alice_requests[0].shares.u128(), 4_000_000);
    assert_eq!(
        alice_requests[0].native.u128(),
        books.model.preview_unbond(4_000_000)
    );

    // Day 2: Carol adds to her stake at the raised rate and receives fewer shares than native.
    let carol_extra = books.model.bond(5_000_000);
    assert_eq!(suite.preview_bond(5_000_000), carol_extra);
    suite.bond(CAROL, 5_000_000).unwrap();
    assert!(carol_extra < 5_000_000);
    assert_eq!(suite.shares(CAROL), 40_000_000 + carol_extra);
    suite.assert_invariants();

    // Day 4: harvest, then the epoch ends and the first batch is submitted at the new rate.
    suite.advance_to_submit();
    assert_eq!(suite.now(), start + 4 * DAY);
    harvest_and_check(&mut suite, &mut books);
    let native_first = books.model.submit(14_000_000);
    assert_eq!(suite.preview_unbond(14_000_000), native_first);
    suite.submit_batch().unwrap();
    suite.assert_invariants();
    let first = suite.batch(1);
    assert_eq!(first.status, BatchStatus::Unbonding);
    assert_eq!(first.shares.u128(), 14_000_000);
    assert_eq!(first.native_expected.u128(), native_first);
    assert_eq!(first.submitted_at, start + 4 * DAY);
    // Day 25: the chain's completion time, rounded up to the second.
    assert_eq!(
        first.completes_at,
        completion_of_undelegation_now(&suite, 21 * DAY)
    );
    assert!(first.completes_at > start + 25 * DAY);
    assert_eq!(suite.chain_unbonding_total(), native_first);
    assert_eq!(suite.token_supply(), books.model.total_shares);
    assert_eq!(suite.pending_batch().id, 2);
    assert_eq!(suite.pending_batch().submit_after, start + 8 * DAY);

    // Day 6: Carol queues; day 8: harvest and submit the second batch.
    suite.advance_days(2);
    suite.queue_unbond(CAROL, 20_000_000).unwrap();
    suite.assert_invariants();
    suite.advance_to_submit();
    harvest_and_check(&mut suite, &mut books);
    let native_second = books.model.submit(20_000_000);
    suite.submit_batch().unwrap();
    suite.assert_invariants();
    assert_eq!(suite.batch(2).native_expected.u128(), native_second);
    assert_eq!(
        suite.batch(2).completes_at,
        completion_of_undelegation_now(&suite, 21 * DAY)
    );

    // Days 15 and 22: the keeper harvests weekly, so that each harvest's rewards (0.7 % of the
    // backing) are within what may vest at once (50 % a year for 7 days, about 0.96 %).
    suite.advance_to(start + 15 * DAY);
    harvest_and_check(&mut suite, &mut books);
    suite.advance_to(start + 22 * DAY);
    harvest_and_check(&mut suite, &mut books);

    // Day 25: the first batch matures; the chain pays it to the hub at the end of the block
    // that reaches its completion time; reconcile books it whole.
    suite.advance_to(first.completes_at);
    suite.advance_seconds(BLOCK_SECONDS);
    assert_eq!(suite.chain_unbonding_total(), native_second);
    assert_eq!(suite.native_balance_of(&suite.hub), native_first);
    suite.reconcile().unwrap();
    suite.assert_invariants();
    let first = suite.batch(1);
    assert_eq!(first.status, BatchStatus::Reconciled);
    assert_eq!(first.native_received.u128(), native_first);
    assert_eq!(suite.state().reserved_for_claims.u128(), native_first);

    let alice_paid = claim(native_first, 4_000_000, 14_000_000);
    let bob_paid = claim(native_first, 10_000_000, 14_000_000);
    assert_eq!(suite.requests(BOB)[0].native.u128(), bob_paid);
    suite.withdraw_unbonded(ALICE).unwrap();
    suite.assert_invariants();
    suite.withdraw_unbonded(BOB).unwrap();
    suite.assert_invariants();
    assert_eq!(suite.native_balance(ALICE), funds - 10_000_000 + alice_paid);
    assert_eq!(suite.native_balance(BOB), funds - 25_000_000 + bob_paid);
    assert!(suite.requests(ALICE).is_empty());
    // The rounding dust of the batch goes back to all holders at the next harvest.
    let dust = native_first - alice_paid - bob_paid;
    assert!(dust < 2);
    let state = suite.state();
    assert_eq!(state.reserved_for_claims.u128(), 0);
    assert_eq!(state.unlocked_surplus.u128(), dust);

    // Day 29: harvest (re-staking the dust; a week after the last harvest, its rewards enter
    // the rate at once as well), then the second batch matures and Carol withdraws.
    suite.advance_to(suite.batch(2).completes_at);
    books.model.total_native += dust;
    harvest_and_check(&mut suite, &mut books);
    assert_eq!(suite.state().unlocked_surplus.u128(), 0);
    suite.reconcile().unwrap();
    suite.assert_invariants();
    suite.withdraw_unbonded(CAROL).unwrap();
    suite.assert_invariants();

    // Final balances, supply and totals.
    assert_eq!(suite.native_balance(ALICE), funds - 10_000_000 + alice_paid);
    assert_eq!(suite.native_balance(BOB), funds - 25_000_000 + bob_paid);
    assert_eq!(
        suite.native_balance(CAROL),
        funds - 45_000_000 + native_second
    );
    assert_eq!(suite.shares(ALICE), 6_000_000);
    assert_eq!(suite.shares(BOB), 15_000_000);
    assert_eq!(suite.shares(CAROL), 20_000_000 + carol_extra);
    assert_eq!(suite.native_balance(FEE_RECEIVER), books.fees);

    let state = suite.state();
    assert_eq!(state.total_native.u128(), books.model.total_native);
    assert_eq!(state.total_shares.u128(), books.model.total_shares);
    assert_eq!(
        state.exchange_rate,
        Decimal::from_ratio(books.model.total_native, books.model.total_shares)
    );
    assert!(state.exchange_rate > Decimal::one());
    assert_eq!(state.totals.bonded.u128(), suite.seed + 80_000_000);
    assert_eq!(
        state.totals.paid_out.u128(),
        alice_paid + bob_paid + native_second
    );
    assert_eq!(state.totals.slashed.u128(), 0);
    assert_eq!(state.totals.unbonding.u128(), 0);
    assert_eq!(
        suite.preview_unbond(6_000_000),
        books.model.preview_unbond(6_000_000)
    );
    assert_eq!(suite.chain_delegated_total(), books.model.total_native);
    assert_eq!(suite.native_balance_of(&suite.hub), 0);
}

#[test]
fn bond_then_unbond_never_returns_more_than_the_deposit() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 50_000_000).unwrap();
    suite.advance_days(3);
    suite.harvest().unwrap();
    let rate = suite.redemption_rate().redemption_rate;
    assert!(rate > Decimal::one());

    let funds = suite.native_balance(DAVE);
    let deposit = 3_333_333;
    suite.bond(DAVE, deposit).unwrap();
    let shares = suite.shares(DAVE);
    suite.queue_unbond(DAVE, shares).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let batch = suite.batch(1);
    suite.advance_to(batch.completes_at);
    suite.reconcile().unwrap();
    suite.withdraw_unbonded(DAVE).unwrap();
    suite.assert_invariants();

    let returned = suite.native_balance(DAVE) - (funds - deposit);
    assert!(
        returned <= deposit,
        "round trip paid {returned} for {deposit}"
    );
    // Two roundings down, each worth less than one share at a rate below two.
    assert!(
        deposit - returned <= 2,
        "round trip lost {}",
        deposit - returned
    );
}

#[test]
fn submit_before_the_epoch_ends_is_refused() {
    let mut suite = SuiteBuilder::new().epoch_days(4).build();
    let submit_after = suite.pending_batch().submit_after;
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.advance_days(1);
    suite.queue_unbond(ALICE, 1_000_000).unwrap();

    let now = suite.now();
    assert_hub_error(
        suite.submit_batch(),
        flowstake_hub::error::ContractError::EpochNotElapsed { submit_after, now },
    );
    suite.advance_seconds(submit_after - now - 1);
    assert!(suite.submit_batch().is_err());
    suite.advance_seconds(1);
    suite.submit_batch().unwrap();
    suite.assert_invariants();
}

#[test]
fn submitting_an_empty_batch_is_refused() {
    let mut suite = SuiteBuilder::new().build();
    suite.advance_to_submit();
    assert_hub_error(
        suite.submit_batch(),
        flowstake_hub::error::ContractError::EmptyBatch { id: 1 },
    );
}

#[test]
fn first_request_after_the_epoch_ends_submits_the_batch() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.bond(BOB, 5_000_000).unwrap();
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    suite.advance_to_submit();
    let now = suite.now();

    suite.queue_unbond(BOB, 2_000_000).unwrap();
    suite.assert_invariants();
    let batch = suite.batch(1);
    assert_eq!(batch.status, BatchStatus::Unbonding);
    assert_eq!(batch.shares.u128(), 3_000_000);
    assert_eq!(batch.submitted_at, now);
    let pending = suite.pending_batch();
    assert_eq!(pending.id, 2);
    assert_eq!(pending.shares.u128(), 0);
    assert_eq!(pending.submit_after, now + suite.config().epoch_period);
    assert_eq!(suite.chain_unbonding_total(), 3_000_000);
}

#[test]
fn second_request_in_a_batch_adds_to_the_first() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.queue_unbond(ALICE, 1_500_000).unwrap();
    suite.queue_unbond(ALICE, 2_000_000).unwrap();
    suite.assert_invariants();

    let requests = suite.requests(ALICE);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].batch_id, 1);
    assert_eq!(requests[0].shares.u128(), 3_500_000);
    assert_eq!(suite.pending_batch().shares.u128(), 3_500_000);
    assert_eq!(suite.shares(ALICE), 1_500_000);
}

#[test]
fn request_for_another_receiver_is_paid_to_the_receiver() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 5_000_000).unwrap();
    suite.queue_unbond_for(ALICE, 2_000_000, BOB).unwrap();
    suite.assert_invariants();
    assert!(suite.requests(ALICE).is_empty());
    assert_eq!(suite.requests(BOB)[0].shares.u128(), 2_000_000);

    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    suite.advance_to(suite.batch(1).completes_at);
    suite.reconcile().unwrap();
    let bob_before = suite.native_balance(BOB);
    assert_hub_error(
        suite.withdraw_unbonded(ALICE),
        flowstake_hub::error::ContractError::NothingToWithdraw {
            user: suite.addr(ALICE).into_string(),
        },
    );
    suite.withdraw_unbonded(BOB).unwrap();
    assert_eq!(suite.native_balance(BOB), bob_before + 2_000_000);
    suite.assert_invariants();
}

#[test]
fn rewards_already_in_the_collector_are_restaked_at_harvest() {
    let mut suite = SuiteBuilder::new()
        .apr(Decimal::permille(365))
        .fee_percent(5)
        .build();
    suite.bond(ALICE, 9_000_000).unwrap();
    // What the chain pays the withdraw address by itself when a delegation changes.
    let auto_paid = 40_000;
    let collector = suite.collector.clone();
    suite.send_native(KEEPER, &collector, auto_paid).unwrap();
    assert_eq!(suite.state().pending_rewards.u128(), auto_paid);
    suite.assert_invariants();

    suite.advance_days(2);
    let withdrawn = suite.expected_rewards();
    assert_eq!(withdrawn, 10_000_000 * 2 / 1_000);
    suite.harvest().unwrap();

    let mut model = RateModel::seeded(suite.seed);
    model.bond(9_000_000);
    let backing = model.total_native;
    let fee = model.harvest(withdrawn + auto_paid, FEE_PERCENT);
    let restaked = withdrawn + auto_paid - fee;
    let state = suite.state();
    assert_eq!(state.totals.rewards.u128(), withdrawn + auto_paid);
    assert_eq!(suite.native_balance(FEE_RECEIVER), fee);
    assert_eq!(state.pending_rewards.u128(), 0);
    // Everything forwarded, less the fee, is delegated at once...
    assert_eq!(
        state.total_native.u128() + state.unvested_rewards.u128(),
        model.total_native
    );
    assert_eq!(suite.chain_delegated_total(), model.total_native);
    // ...but 60,000 in two days on ten million is more than the 50 % a year that may vest:
    // floor(10,000,000 * 50 % * 2 / 365) = 27,397 enters the rate now.
    let vested = backing * 2 / (2 * 365);
    assert_eq!(vested, 27_397);
    assert_eq!(state.total_native.u128(), backing + vested);
    assert_eq!(state.unvested_rewards.u128(), restaked - vested);

    // Three days later a sync may vest floor(10,027,397 * 50 % * 3 / 365) = 41,208, more than
    // the 29,603 left: all of it is in the rate, each reward counted once.
    suite.advance_days(3);
    assert!((backing + vested) * 3 / (2 * 365) >= restaked - vested);
    suite.sync().unwrap();
    let state = suite.state();
    assert_eq!(state.total_native.u128(), model.total_native);
    assert_eq!(state.unvested_rewards.u128(), 0);
    assert_eq!(state.totals.rewards.u128(), withdrawn + auto_paid);
    suite.assert_invariants();
}

#[test]
fn matured_batches_reconciled_together_each_receive_what_they_expected() {
    let mut suite = SuiteBuilder::new().build();
    suite.bond(ALICE, 7_000_000).unwrap();
    suite.bond(BOB, 11_000_000).unwrap();
    suite.queue_unbond(ALICE, 3_333_333).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    suite.queue_unbond(BOB, 4_444_444).unwrap();
    suite.advance_to_submit();
    suite.submit_batch().unwrap();
    let first = suite.batch(1);
    let second = suite.batch(2);

    suite.advance_to(second.completes_at);
    suite.reconcile().unwrap();
    suite.assert_invariants();
    assert_eq!(suite.batch(1).native_received, first.native_expected);
    assert_eq!(suite.batch(2).native_received, second.native_expected);

    // A batch reconciled earlier and not yet withdrawn keeps its reserve apart. The epoch
    // ended long ago, so this request submits its batch at once.
    suite.queue_unbond(ALICE, 1_000_000).unwrap();
    assert_eq!(suite.batch(3).status, BatchStatus::Unbonding);
    suite.advance_to(suite.batch(3).completes_at);
    suite.reconcile().unwrap();
    assert_eq!(
        suite.batch(3).native_received,
        suite.batch(3).native_expected
    );
    suite.assert_invariants();

    let before = suite.native_balance(ALICE);
    suite.withdraw_unbonded(ALICE).unwrap();
    assert_eq!(
        suite.native_balance(ALICE),
        before + first.native_expected.u128() + suite.batch(3).native_expected.u128()
    );
    suite.withdraw_unbonded(BOB).unwrap();
    suite.assert_invariants();
    assert_eq!(suite.state().reserved_for_claims.u128(), 0);
}

//! Short scenarios through the same engine as the `simulate` command, with the summary's
//! figures checked against values computed here from the rules of the design, of x/staking and
//! x/distribution, and from what the hub, the bank and the chain report.

use cosmwasm_std::testing::mock_env;
use cosmwasm_std::{Decimal, Uint128};
use flowstake::hub::{QueryMsg, StateResponse};
use flowstake_simulate::config::{DAY, DENOM};
use flowstake_simulate::{Behaviour, DayRecord, Infraction, Report, ScenarioConfig, Simulation};

const DAYS: u64 = 40;
const EPOCH_DAYS: u64 = 4;
const UNBONDING_DAYS: u64 = 21;
const VALIDATORS: usize = 3;
/// The chain moves 5 seconds per block: a day is this many blocks.
const BLOCKS_PER_DAY: u64 = DAY / 5;

/// Five busy users who all join on day 0, so that every validator holds stake from the first
/// day. 36.5 % a year is 0.1 % a day: the chain's daily reward on a delegation is exactly
/// `floor(delegation / 1000)`.
fn busy_scenario() -> ScenarioConfig {
    ScenarioConfig {
        validators: VALIDATORS,
        users: 5,
        days: DAYS,
        apr: Decimal::permille(365),
        fee_rate: Decimal::percent(5),
        seed: 7,
        epoch_period: EPOCH_DAYS * DAY,
        unbonding_period: UNBONDING_DAYS * DAY,
        slash_day: None,
        removal_day: None,
        behaviour: Behaviour {
            join_window_days: 1,
            bond: 0.3,
            unbond: 0.5,
            cancel: 0.1,
            withdraw: 1.0,
            rejected: 0.05,
            instant_exiters: 0.0,
        },
        ..ScenarioConfig::default()
    }
}

fn run(config: ScenarioConfig) -> (Simulation, Report) {
    let mut simulation = Simulation::new(config).expect("the scenario is valid");
    let report = simulation.run(&mut |_: &DayRecord| {});
    if let Some(halt) = &report.halt {
        panic!("the run stopped: {halt}");
    }
    (simulation, report)
}

fn hub_state(simulation: &Simulation) -> StateResponse {
    let chain = &simulation.chain;
    chain
        .app
        .wrap()
        .query_wasm_smart(&chain.hub, &QueryMsg::State {})
        .expect("state query")
}

fn balance(simulation: &Simulation, address: &cosmwasm_std::Addr) -> u128 {
    let coin = simulation.chain.app.wrap().query_balance(address, DENOM);
    coin.expect("balance query").amount.u128()
}

#[test]
fn short_run_summary_matches_independent_figures() {
    let config = busy_scenario();
    let (simulation, report) = run(config.clone());
    let summary = &report.summary;
    let state = hub_state(&simulation);
    let totals = &state.totals;

    assert_eq!(summary.days_run, DAYS);
    assert_eq!(report.records.len() as u64, DAYS + 1);
    assert_eq!(summary.violations, 0);
    assert!(summary.checks > 1_000, "only {} checks", summary.checks);
    assert_eq!(summary.stats.harvests, DAYS);
    // The harvest is the first transaction of each day, and every transaction of a day shares
    // its block: the payouts the chain makes by itself when a later bond or undelegation
    // changes a delegation find nothing accrued since.
    assert_eq!(summary.stats.rewards_paid_on_changes, 0);

    // Deposits and withdrawals are what the hub booked.
    assert_eq!(
        summary.stats.deposits,
        totals.bonded.u128() - config.seed_deposit
    );
    assert_eq!(summary.stats.withdrawals, totals.paid_out.u128());
    assert!(summary.stats.withdrawals > 0);

    // Every day's rewards are the chain's 0.1 % of the previous evening's delegations, floored
    // per validator: at most the floor of the total, less than one unit per validator below.
    for pair in report.records.windows(2) {
        let (evening, day) = (&pair[0], &pair[1]);
        let ceiling = evening.chain_delegated / 1_000;
        assert!(
            day.rewards <= ceiling && day.rewards + VALIDATORS as u128 > ceiling,
            "day {}: rewards {} for delegations {}",
            day.day,
            day.rewards,
            evening.chain_delegated
        );
    }

    // Fees: floor(rewards * 5 %) at each harvest, summed; the fee receiver holds them.
    let rewards: u128 = report.records.iter().map(|r| r.rewards).sum();
    let fees: u128 = report.records.iter().map(|r| r.rewards * 5 / 100).sum();
    assert_eq!(summary.rewards, rewards);
    assert_eq!(summary.fees, fees);
    assert_eq!(totals.fees.u128(), fees);
    assert_eq!(balance(&simulation, &simulation.chain.fee_receiver), fees);
    assert_eq!(summary.slashed, 0);

    // The final rate from the hub's running totals.
    let backing = totals.bonded + totals.rewards + totals.surplus
        - totals.unbonding
        - state.reserved_for_claims
        - state.unlocked_surplus
        - totals.paid_out
        - totals.fees
        - totals.slashed;
    // The backing is what the rate counts plus the rewards not yet vested into it.
    assert_eq!(backing, state.total_native + state.unvested_rewards);
    assert_eq!(
        summary.rate_end,
        Decimal::from_ratio(state.total_native, state.total_shares)
    );
    assert_eq!(summary.rate_start, Decimal::one());
    assert!(summary.rate_end > summary.rate_start);

    // A batch every epoch; reconciled two days after the unbonding period: the chain's
    // completion is rounded up past the daily keeper's block, the next day's crank finds it
    // possibly paid and waits, and the day after proves it paid and books it. Every user
    // withdraws the day their requests become withdrawable.
    assert_eq!(summary.stats.batches_submitted, DAYS / EPOCH_DAYS);
    let reconciled = (DAYS - UNBONDING_DAYS - 2) / EPOCH_DAYS;
    assert_eq!(summary.stats.batches_reconciled, reconciled);
    assert_eq!(summary.batches_paid, reconciled);
    let longest = EPOCH_DAYS + UNBONDING_DAYS + 2;
    assert!(summary.stats.longest_wait <= longest * DAY);
    assert!(summary.stats.longest_wait > UNBONDING_DAYS * DAY);
    assert_eq!(
        summary.stats.longest_wait,
        summary.stats.longest_until_withdrawable
    );

    // The yields follow from the rate: the realised APR compounded daily over the days run
    // gives the final rate, and the APY is a year of it.
    let rate = summary.rate_end.to_string().parse::<f64>().unwrap_or(0.0);
    let daily = 1.0 + summary.realised_apr / 365.0;
    assert!((daily.powi(DAYS as i32) - rate).abs() < 1e-9);
    assert!((daily.powi(365) - 1.0 - summary.realised_apy).abs() < 1e-9);
    assert!((summary.net_apr - 0.365 * 0.95).abs() < 1e-12);
    // Without a slash the holders earn the configured APR less the fee, to rounding.
    assert!(
        (summary.realised_apr - summary.net_apr).abs() < 1e-4,
        "realised {} against {}",
        summary.realised_apr,
        summary.net_apr
    );
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let mut config = busy_scenario();
    config.days = 12;
    let (_, first) = run(config.clone());
    let (_, second) = run(config.clone());
    assert_eq!(first.summary, second.summary);
    assert_eq!(first.records, second.records);

    config.seed += 1;
    let (_, other) = run(config);
    assert_ne!(first.records, other.records);
}

/// Harvests every other day: on the days between, the chain pays the rewards of every
/// delegation that changes (bonds, a batch's undelegations, the redelegations of a removal)
/// into the collector by itself, and the next harvest forwards them with the rest.
#[test]
fn rewards_paid_on_delegation_changes_are_harvested_exactly() {
    let mut config = busy_scenario();
    config.harvest_every_days = 2;
    config.removal_day = Some(35);
    let (simulation, report) = run(config);
    let summary = &report.summary;
    let state = hub_state(&simulation);

    assert_eq!(summary.stats.harvests, DAYS / 2);
    assert!(summary.stats.rewards_paid_on_changes > 0);
    assert!(summary.stats.rewards_paid_on_changes < summary.rewards);
    // The last day harvested: the collector is empty and everything the chain paid is booked.
    assert_eq!(state.pending_rewards, Uint128::zero());
    assert_eq!(balance(&simulation, &simulation.chain.collector), 0);

    // A harvest books two days of rewards: on each validator 0.1 % of its stake on each
    // evening, rounded down once or, if the chain paid the first day out early, twice.
    for (index, day) in report.records.iter().enumerate().skip(1) {
        if day.day % 2 == 1 {
            assert_eq!(day.rewards, 0, "day {}", day.day);
            continue;
        }
        let evenings = &report.records[index.saturating_sub(2)..index];
        let ceiling: u128 = evenings.iter().map(|r| r.chain_delegated).sum::<u128>() / 1_000;
        let slack = 2 * VALIDATORS as u128;
        assert!(
            day.rewards <= ceiling && day.rewards + slack > ceiling,
            "day {}: rewards {} for two evenings of delegations worth {ceiling}",
            day.day,
            day.rewards
        );
    }
    let rewards: u128 = report.records.iter().map(|r| r.rewards).sum();
    let fees: u128 = report.records.iter().map(|r| r.rewards * 5 / 100).sum();
    assert_eq!(summary.rewards, rewards);
    assert_eq!(state.totals.rewards.u128(), rewards);
    assert_eq!(summary.fees, fees);
    assert_eq!(balance(&simulation, &simulation.chain.fee_receiver), fees);
    assert!(summary.stats.removed_validator.is_some());
}

/// A 10 % buffer with three of the five users exiting at once: the exits are paid from the
/// buffer at the rate less the fee, the fees stay with the holders, and the run's figures are
/// what the hub and the bank record.
#[test]
fn instant_exits_are_paid_from_the_buffer_and_their_fees_stay_with_the_holders() {
    let mut config = busy_scenario();
    config.buffer_target = Decimal::percent(10);
    config.exit_fee = Decimal::permille(5);
    config.behaviour.instant_exiters = 0.6;
    let exiters = (0..config.users)
        .filter(|u| config.exits_instantly(*u))
        .count();
    assert_eq!(exiters, 3);
    let (simulation, report) = run(config.clone());
    let summary = &report.summary;
    let stats = &summary.stats;
    let state = hub_state(&simulation);
    assert_eq!(summary.violations, 0);
    assert!(stats.instant_exits > 0, "{stats:?}");
    assert_eq!(stats.instant_paid, state.totals.instant_paid.u128());
    assert_eq!(stats.exit_fees, state.totals.exit_fees.u128());
    // Each fee is the exit's value times 0.5 %, rounded up: the fees are at least 0.5 % of
    // what the exits were worth, and less than a unit per exit above it.
    let worth = stats.instant_paid + stats.exit_fees;
    let floor = worth * 5 / 1_000;
    assert!(
        stats.exit_fees >= floor && stats.exit_fees <= floor + stats.instant_exits as u128,
        "fees {} on exits worth {worth}",
        stats.exit_fees
    );
    // The daily CSV's figures add up to the same.
    let paid: u128 = report.records.iter().map(|r| r.instant_paid).sum();
    assert_eq!(paid, stats.instant_paid);
    let last = report.records.last().expect("a day");
    assert_eq!(last.buffer, state.buffer.u128());
    // Held in the hub's own balance beside what is reserved for claims.
    let held = balance(&simulation, &simulation.chain.hub);
    assert!(held >= (state.buffer + state.reserved_for_claims + state.unlocked_surplus).u128());
    // The exit fees raise the rate for those who stay: the same run without the buffer
    // differs, and its rate does not include them.
    let (_, baseline) = run(config.without_buffer());
    assert_eq!(baseline.summary.stats.instant_exits, 0);
    assert_ne!(baseline.summary.rate_end, summary.rate_end);
}

/// A 1 % buffer drained by exits: exits it cannot pay are refused with nothing moved (the
/// user queues instead), and batch submissions undelegate top-ups that reconcile delivers.
#[test]
fn a_small_buffer_refuses_what_it_cannot_pay_and_batches_top_it_up() {
    let mut config = busy_scenario();
    config.buffer_target = Decimal::percent(1);
    config.exit_fee = Decimal::permille(3);
    config.behaviour.instant_exiters = 0.6;
    // Many small holders who seldom bond again, so that the exits drain the buffer between
    // deposits and each exit is small beside it.
    config.users = 60;
    config.behaviour.bond = 0.02;
    config.behaviour.unbond = 0.1;
    let (simulation, report) = run(config);
    let stats = &report.summary.stats;
    let state = hub_state(&simulation);
    assert_eq!(report.summary.violations, 0);
    assert!(
        stats.instant_exits > 0 && stats.instant_refused > 0,
        "{stats:?}"
    );
    assert!(stats.buffer_topups > 0, "{stats:?}");
    // Every top-up either reached the buffer or still rides in a batch's entries: whatever
    // the buffer holds came from deposits, rewards and top-ups, less exits.
    assert!(state.buffer_incoming.u128() <= stats.buffer_topups);
    assert!(stats.rejected_calls >= stats.instant_refused);
}

/// The block height of a day: every transaction of a day is in one block.
fn height_of_day(day: u64) -> u64 {
    mock_env().block.height + day * BLOCKS_PER_DAY
}

fn validator_index(label: &str) -> usize {
    label
        .trim_start_matches("validator")
        .parse()
        .expect("validator label")
}

/// A slash on day 30 for an infraction on day 16: the batches submitted on days 16, 20, 24 and
/// 28 lose 5 % of what each began unbonding, the one of day 12 (still unbonding) nothing, and
/// the bonded stake pays the rest of 5 % of what the validator held when day 16 began.
#[test]
fn the_slash_cuts_only_what_unbonds_since_the_infraction() {
    const SLASH_DAY: u64 = 30;
    const INFRACTION_DAY: u64 = 16;
    let mut config = busy_scenario();
    config.days = SLASH_DAY;
    config.slash_day = Some(SLASH_DAY);
    config.infraction = Infraction::DaysBefore(SLASH_DAY - INFRACTION_DAY);
    // Steadier stakes than the busy users give, so that the bonded stake pays a part.
    config.users = 20;
    config.behaviour.unbond = 0.1;
    let (simulation, report) = run(config.clone());
    let stats = &report.summary.stats;
    let label = stats
        .slashed_validator
        .clone()
        .expect("a validator was slashed");
    let index = validator_index(&label);
    let validator = simulation.chain.validators[index].clone();
    assert_eq!(stats.infraction_day, Some(INFRACTION_DAY));

    // The unbonding entries at the slashed validator, read from the chain after the slash.
    let infraction_height = height_of_day(INFRACTION_DAY);
    let entries: Vec<_> = simulation
        .chain
        .unbondings()
        .into_iter()
        .filter(|(from, _)| *from == validator)
        .map(|(_, entry)| entry)
        .collect();
    let mut owed = 0u128;
    let (mut hit, mut spared) = (0u64, 0u64);
    for entry in &entries {
        let initial = entry.initial_balance.u128();
        let day = (entry.creation_height - mock_env().block.height) / BLOCKS_PER_DAY;
        assert_eq!(day % EPOCH_DAYS, 0, "entries come from batch submissions");
        if entry.creation_height >= infraction_height {
            let cut = initial * 5 / 100;
            assert_eq!(entry.balance.u128(), initial - cut, "entry of day {day}");
            owed += cut;
            hit += 1;
        } else {
            assert_eq!(entry.balance.u128(), initial, "entry of day {day}");
            spared += 1;
        }
    }
    // Batches of days 12 to 28 are still unbonding on day 30 (21 days); 16 and later are hit.
    assert_eq!((hit, spared), (4, 1));
    assert_eq!(stats.slash_batches_hit, hit);
    assert_eq!(stats.slash_batches_spared, spared);
    assert_eq!(stats.slash_loss_unbonding, owed);

    // What the validator held when day 16 began: the hub's stake at the end of day 15, from
    // the same scenario run for 15 days (the same seed gives the same days).
    let mut shorter = config;
    shorter.days = INFRACTION_DAY - 1;
    shorter.slash_day = None;
    let (earlier, _) = run(shorter);
    let power = earlier
        .chain
        .delegations()
        .expect("delegations")
        .into_iter()
        .find(|(v, _)| *v == validator)
        .map_or(0, |(_, amount)| amount);
    let before = report.snapshots[0].stakes[index];
    let bonded = (power * 5 / 100).saturating_sub(owed).min(before);
    assert!(bonded > 0, "power {power}, owed by the entries {owed}");
    assert_eq!(stats.slash_loss_bonded, bonded);
    assert_eq!(report.snapshots[1].stakes[index], before - bonded);
    // Nothing the slash hit was reconciled yet: the hub has booked the bonded loss alone.
    assert_eq!(report.summary.slashed, bonded);
}

#[test]
fn slash_and_removal_are_absorbed_and_accounted() {
    let mut config = busy_scenario();
    config.slash_day = Some(30);
    config.removal_day = Some(35);
    let (simulation, report) = run(config);
    let summary = &report.summary;
    let state = hub_state(&simulation);

    // The infraction is in the block of the oldest batch still unbonding on day 30: batches
    // are submitted every 4 days and unbond for 21, so that of day 12; it and the four after
    // it are hit.
    let stats = &summary.stats;
    assert_eq!(stats.infraction_day, Some(12));
    assert_eq!(
        (stats.slash_batches_hit, stats.slash_batches_spared),
        (5, 0)
    );
    assert!(stats.slash_loss_unbonding > 0);

    // The bonded loss is booked at once; what the slash took from unbonding entries, and what
    // share rounding kept from them, is booked as each batch is reconciled, and some are still
    // unbonding when the run ends.
    assert_eq!(summary.slashed, state.totals.slashed.u128());
    assert!(summary.slashed >= stats.slash_loss_bonded);
    assert!(
        summary.slashed
            <= stats.slash_loss_bonded + stats.slash_loss_unbonding + stats.unbond_rounding
    );

    // The removed validator holds nothing and is out of the set.
    let removed = stats
        .removed_validator
        .clone()
        .expect("a validator was removed");
    assert_ne!(Some(removed.clone()), stats.slashed_validator);
    let index = validator_index(&removed);
    let address = simulation.chain.validators[index].clone();
    let delegations = simulation
        .chain
        .app
        .wrap()
        .query_all_delegations(&simulation.chain.hub)
        .expect("delegations");
    assert!(delegations
        .iter()
        .all(|d| d.validator != address || d.amount.amount == Uint128::zero()));
    let labels: Vec<&str> = report.snapshots.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "before the slash",
            "after the slash",
            "before the removal",
            "after the removal",
            "end of the run"
        ]
    );
    assert_eq!(report.snapshots[2].stakes[index], stats.redelegated);
    assert_eq!(report.snapshots[3].stakes[index], 0);
    assert_eq!(report.snapshots[4].stakes[index], 0);
}

#[test]
fn outputs_are_written() {
    let mut config = busy_scenario();
    config.days = 6;
    let (_, report) = run(config);
    let dir = std::env::temp_dir().join(format!("flowstake-sim-{}", std::process::id()));
    let written = flowstake_simulate::write_outputs(&report, &dir).expect("outputs");
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(
        names,
        [
            "daily.csv",
            "exchange_rate.svg",
            "total_staked.svg",
            "queue.svg",
            "validator_stake.svg"
        ]
    );
    let csv = std::fs::read_to_string(dir.join("daily.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 1 + 7);
    assert!(csv.starts_with("day,block_time_seconds,exchange_rate_native_per_derivative,"));
    for path in &written[1..] {
        let svg = std::fs::read_to_string(path).expect("svg");
        assert!(svg.starts_with("<svg"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

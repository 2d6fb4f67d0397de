//! The `operation_sequences` target: a chain and hub configuration and a sequence of
//! operations, drawn from the fuzzer's bytes, played on the strict chain by the scenario
//! harness of `flowstake-tests` (`random::run_scenario`). The harness checks the design's
//! invariants after every operation, then drains the queue to check liveness, and returns the
//! first violation, which this target turns into a crash.
//!
//! Values are drawn in the ranges the property-based suite draws them in
//! (`tests/tests/random_operations.rs`), with smaller sets so that each execution is short;
//! indices of users and validators are taken modulo what exists by the harness itself.

use arbitrary::{Arbitrary, Unstructured};
use flowstake_hub::execute::setup::MIN_SEED;
use flowstake_tests::random::{run_scenario, Op, Params, PauseSet, Scenario, Stats};

/// Operations played per input: each one is followed by a full observation of the hub, the
/// token and the chain, so this bounds the time of one execution.
pub const MAX_OPS: usize = 16;
const DAY: u64 = 86_400;

#[derive(Arbitrary, Clone, Debug)]
pub struct ParamsChoice {
    pub validators: u8,
    pub spare_validators: u8,
    pub users: u8,
    pub unbonding: u8,
    pub epoch_extra_percent: u8,
    pub fee_percent: u8,
    pub min_bond: Minimum,
    pub min_unbond: Minimum,
    pub seed: Seed,
    pub apr_permille: u16,
    pub max_fall_percent: u8,
    pub max_rise_percent: u8,
    pub max_shortfall_percent: u8,
}

#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Minimum {
    One,
    Up10k(u16),
}

/// The seed deposit, above the hub's smallest seed ([`MIN_SEED`], and never below the
/// minimum bond): the smallest accepted, up to a thousand more, or a million.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Seed {
    One,
    Up1k(u16),
    Million,
}

/// Dust, everyday and large amounts, as the property-based suite draws them.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum NativeChoice {
    Dust(u16),
    Everyday(u32),
    Large(u64),
}

impl NativeChoice {
    fn value(self) -> u128 {
        match self {
            NativeChoice::Dust(n) => u128::from(n % 20_000) + 1,
            NativeChoice::Everyday(n) => u128::from(n % 99_980_001) + 20_000,
            NativeChoice::Large(n) => u128::from(n % 999_900_000_001) + 100_000_000,
        }
    }
}

#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum WeightChoice {
    Small(u8),
    Zero,
    NearMax(u8),
}

impl WeightChoice {
    fn value(self) -> u64 {
        match self {
            WeightChoice::Small(n) => u64::from(n % 10) + 1,
            WeightChoice::Zero => 0,
            WeightChoice::NearMax(n) => 999_990 + u64::from(n % 21),
        }
    }
}

#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum AdvanceChoice {
    Blocks(u8),
    UpToDay(u32),
    UpToWeek(u32),
}

impl AdvanceChoice {
    fn value(self) -> u64 {
        match self {
            AdvanceChoice::Blocks(n) => 5 + u64::from(n % 56),
            AdvanceChoice::UpToDay(n) => 60 + u64::from(n) % (DAY - 59),
            AdvanceChoice::UpToWeek(n) => DAY + u64::from(n) % (6 * DAY + 1),
        }
    }
}

/// The harness's `Op`, mirrored with fields drawn in its ranges.
#[derive(Arbitrary, Clone, Debug)]
pub enum FuzzOp {
    Bond {
        user: u8,
        native: NativeChoice,
        receiver: Option<u8>,
        min_shares_extra: Option<u8>,
    },
    QueueUnbond {
        user: u8,
        permille: u16,
    },
    Cancel {
        user: u8,
    },
    Withdraw {
        user: u8,
        limit: Option<u8>,
    },
    Transfer {
        from: u8,
        to: u8,
        permille: u16,
    },
    RoundTrip {
        user: u8,
        native: NativeChoice,
    },
    Donate {
        user: u8,
        native: u32,
        to: u8,
    },
    HolderBurn {
        user: u8,
    },
    Harvest,
    Sync,
    SubmitBatch,
    Reconcile {
        limit: Option<u8>,
    },
    AddValidator {
        validator: u8,
        weight: WeightChoice,
    },
    RemoveValidator {
        validator: u8,
    },
    PauseValidator {
        validator: u8,
    },
    UnpauseValidator {
        validator: u8,
    },
    SetWeight {
        validator: u8,
        weight: WeightChoice,
    },
    Pause {
        mask: u8,
        by_owner: bool,
    },
    Unpause {
        mask: u8,
    },
    Intruder {
        user: u8,
        kind: u8,
    },
    Advance(AdvanceChoice),
    AdvanceToSubmit,
    AdvanceToMaturity,
    Slash {
        validator: u8,
        permille: u16,
        at_oldest_entry: bool,
    },
    Jail {
        validator: u8,
    },
    Unjail {
        validator: u8,
    },
    Tombstone {
        validator: u8,
        permille: u16,
    },
    Retire {
        validator: u8,
    },
    SetUnbondingTime {
        seconds: u32,
    },
}

#[derive(Arbitrary, Clone, Debug)]
pub struct SequenceInput {
    pub params: ParamsChoice,
    pub ops: Vec<FuzzOp>,
}

impl ParamsChoice {
    pub fn params(&self) -> Params {
        let unbonding_days = [1, 3, 21][usize::from(self.unbonding % 3)];
        let shortest = (unbonding_days * DAY + DAY).div_ceil(7);
        let minimum = |m: Minimum| match m {
            Minimum::One => 1,
            Minimum::Up10k(n) => u128::from(n % 10_000) + 1,
        };
        let percent = |p: u8| u64::from(p % 99) + 1;
        let min_bond = minimum(self.min_bond);
        let min_seed = min_bond.max(MIN_SEED);
        Params {
            validators: usize::from(self.validators % 10) + 1,
            spare_validators: usize::from(self.spare_validators % 4),
            users: usize::from(self.users % 6) + 1,
            unbonding_days,
            epoch_seconds: shortest + shortest * u64::from(self.epoch_extra_percent % 101) / 100,
            fee_percent: u64::from(self.fee_percent % 11),
            min_bond,
            min_unbond: minimum(self.min_unbond),
            seed: match self.seed {
                Seed::One => min_seed,
                Seed::Up1k(n) => min_seed + u128::from(n % 1_000) + 1,
                Seed::Million => min_seed.max(1_000_000),
            },
            apr_permille: u64::from(self.apr_permille % 1_001),
            max_fall_percent: percent(self.max_fall_percent),
            max_rise_percent: percent(self.max_rise_percent),
            max_shortfall_percent: percent(self.max_shortfall_percent),
        }
    }
}

impl FuzzOp {
    pub fn op(&self) -> Op {
        let user = |u: &u8| usize::from(*u);
        let permille = |p: &u16| p % 1_000 + 1;
        match self {
            FuzzOp::Bond {
                user: u,
                native,
                receiver,
                min_shares_extra,
            } => Op::Bond {
                user: user(u),
                native: native.value(),
                receiver: receiver.as_ref().map(user),
                min_shares_extra: min_shares_extra.map(|n| u128::from(n % 3)),
            },
            FuzzOp::QueueUnbond {
                user: u,
                permille: p,
            } => Op::QueueUnbond {
                user: user(u),
                permille: permille(p),
            },
            FuzzOp::Cancel { user: u } => Op::Cancel { user: user(u) },
            FuzzOp::Withdraw { user: u, limit } => Op::Withdraw {
                user: user(u),
                limit: limit.map(|l| u32::from(l % 121)),
            },
            FuzzOp::Transfer {
                from,
                to,
                permille: p,
            } => Op::Transfer {
                from: user(from),
                to: user(to),
                permille: permille(p),
            },
            FuzzOp::RoundTrip { user: u, native } => Op::RoundTrip {
                user: user(u),
                native: native.value(),
            },
            FuzzOp::Donate {
                user: u,
                native,
                to,
            } => Op::Donate {
                user: user(u),
                native: u128::from(native % 10_000_000) + 1,
                to: *to,
            },
            FuzzOp::HolderBurn { user: u } => Op::HolderBurn { user: user(u) },
            FuzzOp::Harvest => Op::Harvest,
            FuzzOp::Sync => Op::Sync,
            FuzzOp::SubmitBatch => Op::SubmitBatch,
            FuzzOp::Reconcile { limit } => Op::Reconcile {
                limit: limit.map(|l| u32::from(l % 41)),
            },
            FuzzOp::AddValidator { validator, weight } => Op::AddValidator {
                validator: usize::from(*validator),
                weight: weight.value(),
            },
            FuzzOp::RemoveValidator { validator } => Op::RemoveValidator {
                validator: usize::from(*validator),
            },
            FuzzOp::PauseValidator { validator } => Op::PauseValidator {
                validator: usize::from(*validator),
            },
            FuzzOp::UnpauseValidator { validator } => Op::UnpauseValidator {
                validator: usize::from(*validator),
            },
            FuzzOp::SetWeight { validator, weight } => Op::SetWeight {
                validator: usize::from(*validator),
                weight: weight.value(),
            },
            FuzzOp::Pause { mask, by_owner } => Op::Pause {
                operations: PauseSet(mask % 8),
                by_owner: *by_owner,
            },
            FuzzOp::Unpause { mask } => Op::Unpause {
                operations: PauseSet(mask % 8),
            },
            FuzzOp::Intruder { user: u, kind } => Op::Intruder {
                user: user(u),
                kind: *kind,
            },
            FuzzOp::Advance(seconds) => Op::Advance {
                seconds: seconds.value(),
            },
            FuzzOp::AdvanceToSubmit => Op::AdvanceToSubmit,
            FuzzOp::AdvanceToMaturity => Op::AdvanceToMaturity,
            FuzzOp::Slash {
                validator,
                permille: p,
                at_oldest_entry,
            } => Op::Slash {
                validator: usize::from(*validator),
                permille: p % 300 + 1,
                at_oldest_entry: *at_oldest_entry,
            },
            FuzzOp::Jail { validator } => Op::Jail {
                validator: usize::from(*validator),
            },
            FuzzOp::Unjail { validator } => Op::Unjail {
                validator: usize::from(*validator),
            },
            FuzzOp::Tombstone {
                validator,
                permille: p,
            } => Op::Tombstone {
                validator: usize::from(*validator),
                permille: p % 100 + 1,
            },
            FuzzOp::Retire { validator } => Op::Retire {
                validator: usize::from(*validator),
            },
            // A minute to four weeks.
            FuzzOp::SetUnbondingTime { seconds } => Op::SetUnbondingTime {
                seconds: 60 + u64::from(*seconds) % (28 * DAY),
            },
        }
    }
}

/// The scenario the bytes describe, if they describe one.
pub fn scenario(data: &[u8]) -> Option<Scenario> {
    let input = SequenceInput::arbitrary_take_rest(Unstructured::new(data)).ok()?;
    Some(Scenario {
        params: input.params.params(),
        ops: input.ops.iter().take(MAX_OPS).map(FuzzOp::op).collect(),
    })
}

/// Plays one input; panics with the first violation.
pub fn run(data: &[u8]) {
    let Some(scenario) = scenario(data) else {
        return;
    };
    let mut stats = Stats::default();
    if let Err(violation) = run_scenario(&scenario, &mut stats) {
        panic!("{violation}\nscenario: {scenario:#?}");
    }
}

//! What a scenario is made of: the configuration of the chain and the hub, and the operations.
//! Indices (users, validators) are taken modulo what exists, so any drawn value is playable.

use flowstake::hub::Operation;

/// The chain and the hub of one scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Validators of the hub's initial set.
    pub validators: usize,
    /// Validators on the chain outside the initial set, for governance to add.
    pub spare_validators: usize,
    /// Users that may act; each is funded the first time it does.
    pub users: usize,
    pub unbonding_days: u64,
    /// At least `unbonding / 7`, as the configuration requires.
    pub epoch_seconds: u64,
    pub fee_percent: u64,
    pub min_bond: u128,
    pub min_unbond: u128,
    /// The seed deposit, minted as dead shares: at least 1,000 and at least `min_bond`.
    pub seed: u128,
    /// Rewards a year, in per mille.
    pub apr_permille: u64,
    /// Rate bounds of the hub, in percent (1 to 99).
    pub max_fall_percent: u64,
    pub max_rise_percent: u64,
    /// Largest shortfall reconcile books as a slash, in percent (1 to 99).
    pub max_shortfall_percent: u64,
}

/// A set of pausable operations, drawn as a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PauseSet(pub u8);

impl PauseSet {
    pub fn operations(self) -> Vec<Operation> {
        [Operation::Bond, Operation::Unbond, Operation::Harvest]
            .into_iter()
            .enumerate()
            .filter(|(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, operation)| operation)
            .collect()
    }
}

/// One step of a scenario, by the one who takes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    // ------------------------------------------------ users
    /// Bond `native` for `user`, minting to `receiver` if given; `min_shares_extra` asks for
    /// that many shares more than the exact preview (so a non-zero value must be refused).
    Bond {
        user: usize,
        native: u128,
        receiver: Option<usize>,
        min_shares_extra: Option<u128>,
    },
    /// Queue `permille` of the user's derivative (at least one unit) through the token's
    /// `Send` hook.
    QueueUnbond {
        user: usize,
        permille: u16,
    },
    Cancel {
        user: usize,
    },
    Withdraw {
        user: usize,
        limit: Option<u32>,
    },
    /// A derivative transfer between users.
    Transfer {
        from: usize,
        to: usize,
        permille: u16,
    },
    /// Bond, then queue exactly the shares minted, in one block after the epoch ended so that
    /// the request submits the batch: what the batch converts them to must not exceed the bond.
    RoundTrip {
        user: usize,
        native: u128,
    },
    /// A bank transfer nobody asked for, to one of the protocol's addresses (`to` modulo 3:
    /// the hub, the reward collector, the derivative token).
    Donate {
        user: usize,
        native: u128,
        to: u8,
    },
    /// A holder burning derivative directly; the token must refuse.
    HolderBurn {
        user: usize,
    },

    // ------------------------------------------------ keepers
    Harvest,
    Sync,
    SubmitBatch,
    Reconcile {
        limit: Option<u32>,
    },

    // ------------------------------------------------ governance
    /// Add the chain validator at `validator` (an index over all chain validators).
    AddValidator {
        validator: usize,
        weight: u64,
    },
    RemoveValidator {
        validator: usize,
    },
    PauseValidator {
        validator: usize,
    },
    UnpauseValidator {
        validator: usize,
    },
    SetWeight {
        validator: usize,
        weight: u64,
    },
    /// Pause operations, by the guardian or the owner.
    Pause {
        operations: PauseSet,
        by_owner: bool,
    },
    /// Unpause operations, by the owner.
    Unpause {
        operations: PauseSet,
    },
    /// A privileged message (of `kind`) from a user: it must be refused.
    Intruder {
        user: usize,
        kind: u8,
    },

    // ------------------------------------------------ the chain
    /// Time passes (one block of that length); rewards accrue, unbondings mature.
    Advance {
        seconds: u64,
    },
    /// Time passes until the pending batch may be submitted.
    AdvanceToSubmit,
    /// Time passes until the oldest unreconciled batch has matured.
    AdvanceToMaturity,
    /// Slash `permille` of a chain validator, for an infraction now or at the height of the
    /// oldest entry a slash can still reach.
    Slash {
        validator: usize,
        permille: u16,
        at_oldest_entry: bool,
    },
    Jail {
        validator: usize,
    },
    Unjail {
        validator: usize,
    },
    /// A double sign: the chain slashes `permille` for an infraction at the oldest entry it
    /// can reach and jails the validator for good.
    Tombstone {
        validator: usize,
        permille: u16,
    },
    /// The validator is jailed and time passes beyond the unbonding time, so that x/staking
    /// unbonds it, and deletes it if no shares are left.
    Retire {
        validator: usize,
    },
    /// Chain governance sets x/staking's unbonding time; entries already made keep theirs.
    SetUnbondingTime {
        seconds: u64,
    },
}

impl Op {
    /// Short name, for statistics and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Bond { .. } => "bond",
            Op::QueueUnbond { .. } => "queue_unbond",
            Op::Cancel { .. } => "cancel",
            Op::Withdraw { .. } => "withdraw",
            Op::Transfer { .. } => "transfer",
            Op::RoundTrip { .. } => "round_trip",
            Op::Donate { .. } => "donate",
            Op::HolderBurn { .. } => "holder_burn",
            Op::Harvest => "harvest",
            Op::Sync => "sync",
            Op::SubmitBatch => "submit_batch",
            Op::Reconcile { .. } => "reconcile",
            Op::AddValidator { .. } => "add_validator",
            Op::RemoveValidator { .. } => "remove_validator",
            Op::PauseValidator { .. } => "pause_validator",
            Op::UnpauseValidator { .. } => "unpause_validator",
            Op::SetWeight { .. } => "set_weight",
            Op::Pause { .. } => "pause",
            Op::Unpause { .. } => "unpause",
            Op::Intruder { .. } => "intruder",
            Op::Advance { .. } => "advance",
            Op::AdvanceToSubmit => "advance_to_submit",
            Op::AdvanceToMaturity => "advance_to_maturity",
            Op::Slash { .. } => "slash",
            Op::Jail { .. } => "jail",
            Op::Unjail { .. } => "unjail",
            Op::Tombstone { .. } => "tombstone",
            Op::Retire { .. } => "retire",
            Op::SetUnbondingTime { .. } => "set_unbonding_time",
        }
    }
}

/// A configuration and the operations to play on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub params: Params,
    pub ops: Vec<Op>,
}

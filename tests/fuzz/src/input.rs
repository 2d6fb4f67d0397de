//! What the `hub_execute` target draws from the fuzzer's bytes: a hub configuration and a
//! sequence of actions. Messages are a local mirror of the hub's `ExecuteMsg` and `QueryMsg`
//! whose fields are drawn from small pools of accounts and validators (so that calls can
//! succeed) and from raw strings and bytes (so that they can fail in every way).

use arbitrary::Arbitrary;

use crate::amount::{Amount, Native};

/// An account: one with a role, a user, or any string at all.
#[derive(Arbitrary, Clone, Debug)]
pub enum Who {
    Owner,
    Guardian,
    Token,
    Collector,
    FeeReceiver,
    /// The hub itself.
    Hub,
    /// The account that instantiated the hub.
    Creator,
    /// One of a few users.
    User(u8),
    /// In a message, any string, mostly not a valid address; as the sender of a call (always
    /// a valid address on a chain), the account this string names.
    Raw(String),
}

/// A validator: one of those on the mock chain (some in the hub's set, some not), or any
/// string.
#[derive(Arbitrary, Clone, Debug)]
pub enum ValidatorChoice {
    Chain(u8),
    Raw(String),
}

/// A duration, in seconds.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Seconds {
    Blocks(u8),
    Hours(u8),
    Days(u8),
    Any(u64),
}

impl Seconds {
    pub fn value(self) -> u64 {
        match self {
            Seconds::Blocks(n) => u64::from(n) * 5,
            Seconds::Hours(n) => u64::from(n) * 3_600,
            Seconds::Days(n) => u64::from(n) * 86_400,
            Seconds::Any(n) => n,
        }
    }
}

/// Coins attached to a call.
#[derive(Arbitrary, Clone, Debug)]
pub struct Fund {
    pub denom: DenomChoice,
    pub amount: Native,
}

#[derive(Arbitrary, Clone, Debug)]
pub enum DenomChoice {
    Staking,
    Other,
    Raw(String),
}

/// A target weight: mostly valid, sometimes zero or beyond the maximum.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Weight {
    Small(u8),
    Any(u64),
}

impl Weight {
    pub fn value(self) -> u64 {
        match self {
            Weight::Small(n) => u64::from(n % 16),
            Weight::Any(n) => n,
        }
    }
}

/// How much of a holder's derivative: a part of the balance, or an amount that may exceed it.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Portion {
    All,
    Permille(u16),
    Exactly(Native),
}

impl Portion {
    pub fn of(self, balance: u128) -> u128 {
        match self {
            Portion::All => balance,
            Portion::Permille(permille) => {
                let permille = u128::from(permille % 1_000 + 1);
                (balance / 1_000 * permille + balance % 1_000 * permille / 1_000).max(1)
            }
            Portion::Exactly(amount) => amount.value(),
        }
    }
}

/// The hook a token `Send` carries.
#[derive(Arbitrary, Clone, Debug)]
pub enum Hook {
    QueueUnbond {
        receiver: Option<Who>,
    },
    Raw(Vec<u8>),
    InstantUnbond {
        receiver: Option<Who>,
        min_native: Option<Amount>,
    },
}

#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum PausableOp {
    Bond,
    Unbond,
    Harvest,
}

#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ExpiryChoice {
    Never,
    HeightAhead(u32),
    TimeAhead(u32),
    /// A height already passed.
    Expired,
}

#[derive(Arbitrary, Clone, Debug)]
pub enum OwnershipChoice {
    Transfer {
        to: Who,
        expiry: Option<ExpiryChoice>,
    },
    Accept,
    Renounce,
}

/// A configuration update; fractions are in per mille, so values above one are drawn too.
#[derive(Arbitrary, Clone, Debug)]
pub struct ConfigChoice {
    pub guardian: Option<Who>,
    pub clear_guardian: Option<bool>,
    pub fee_receiver: Option<Who>,
    pub fee_permille: Option<u16>,
    pub min_bond: Option<Native>,
    pub min_unbond: Option<Native>,
    pub epoch_period: Option<Seconds>,
    pub unbonding_period: Option<Seconds>,
    pub max_unbond_shortfall_permille: Option<u16>,
    pub rate_bounds_permille: Option<(u16, u16)>,
    pub max_reward_rate_permille: Option<u16>,
    /// Buffer target and exit fee, in permille.
    pub liquidity_permille: Option<(u16, u16)>,
}

/// The hub's `ExecuteMsg`, mirrored.
#[derive(Arbitrary, Clone, Debug)]
pub enum Msg {
    Bond {
        receiver: Option<Who>,
        min_shares: Option<Amount>,
    },
    Harvest,
    ReceiveRewards,
    Receive {
        sender: Who,
        amount: Native,
        hook: Hook,
    },
    CancelUnbond,
    SubmitBatch,
    Reconcile {
        limit: Option<u32>,
    },
    WithdrawUnbonded {
        receiver: Option<Who>,
        limit: Option<u32>,
    },
    Sync,
    AddValidator {
        validator: ValidatorChoice,
        weight: Weight,
    },
    RemoveValidator {
        validator: ValidatorChoice,
    },
    SetValidatorWeight {
        validator: ValidatorChoice,
        weight: Weight,
    },
    PauseValidator {
        validator: ValidatorChoice,
    },
    UnpauseValidator {
        validator: ValidatorChoice,
    },
    UpdateConfig(ConfigChoice),
    Pause(Vec<PausableOp>),
    Unpause(Vec<PausableOp>),
    UpdateOwnership(OwnershipChoice),
    SweepRewards(Vec<DenomChoice>),
}

/// A change to a message's JSON before it is parsed.
#[derive(Arbitrary, Clone, Debug)]
pub struct Edit {
    pub at: u16,
    pub kind: EditKind,
}

#[derive(Arbitrary, Clone, Debug)]
pub enum EditKind {
    Replace(u8),
    Insert(u8),
    InsertText(String),
    Remove,
    Truncate,
}

/// The hub's `QueryMsg`, mirrored.
#[derive(Arbitrary, Clone, Debug)]
pub enum Query {
    Config,
    State,
    RedemptionRate,
    PreviewBond(Amount),
    PreviewUnbond(Amount),
    PendingBatch,
    Batch(u64),
    Batches {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    UnbondRequestsByUser {
        user: Who,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    Validators {
        start_after: Option<ValidatorChoice>,
        limit: Option<u32>,
    },
    Paused,
    Ownership,
}

/// A well-formed call anyone may make, so that sequences reach deep states often.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Crank {
    Harvest,
    Sync,
    SubmitBatch,
    Reconcile(Option<u8>),
    Withdraw { user: u8, limit: Option<u8> },
    Cancel { user: u8 },
}

/// One step: a call to the hub, or something the chain or a token holder does.
#[derive(Arbitrary, Clone, Debug)]
pub enum Action {
    /// A message from `sender` with `funds`.
    Execute {
        sender: Who,
        funds: Vec<Fund>,
        msg: Msg,
    },
    /// A message turned into JSON, edited, and parsed as the chain would before the call.
    EditedJson {
        sender: Who,
        funds: Vec<Fund>,
        msg: Msg,
        edits: Vec<Edit>,
    },
    /// Bytes parsed as an `ExecuteMsg`, sent if they parse.
    RawJson {
        sender: Who,
        funds: Vec<Fund>,
        bytes: Vec<u8>,
    },
    /// A user bonds, with exactly one coin of the staking denom.
    Bond {
        user: u8,
        native: Native,
    },
    Crank(Crank),
    /// A user bonds and queues part of the derivative; time passes until the batch may be
    /// submitted, and a keeper submits it.
    BondQueueSubmit {
        user: u8,
        native: Native,
        shares: Portion,
    },
    /// Time passes until the oldest submitted batch has matured; a keeper reconciles and the
    /// user withdraws.
    MatureReconcileWithdraw {
        user: u8,
    },
    /// A holder sends derivative to the hub through the token's `Send`.
    TokenSend {
        user: u8,
        shares: Portion,
        hook: Hook,
    },
    /// A holder transfers derivative, to another account or to the hub itself.
    TokenTransfer {
        user: u8,
        to: Who,
        shares: Portion,
    },
    Query(Query),
    /// Bytes parsed as a `QueryMsg`, queried if they parse.
    RawQuery(Vec<u8>),
    /// The admin migrates the hub to the same code.
    Migrate,
    /// Time passes; unbondings and redelegations complete.
    Advance(Seconds),
    /// Time passes until the pending batch may be submitted.
    AdvanceToSubmit,
    /// Time passes until the oldest unreconciled batch has matured.
    AdvanceToMaturity,
    /// The chain slashes `permille` of the hub's delegation to a validator.
    Slash {
        validator: u8,
        permille: u16,
    },
    /// The chain slashes `permille` of every unbonding entry of the hub.
    SlashUnbonding {
        permille: u16,
    },
    /// Rewards accrue on the hub's delegation to a validator.
    Rewards {
        validator: u8,
        amount: Native,
    },
    /// Someone sends native to the hub unasked.
    Donate(Native),
    /// Someone sends native to the reward collector unasked.
    DonateToCollector(Native),
}

/// The hub's configuration at instantiation, mostly valid.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SetupChoice {
    pub seed: Native,
    /// How many of the chain's validators form the initial set (one to four).
    pub initial_validators: u8,
    pub weights: [u8; 4],
    pub fee_permille: u8,
    pub min_bond: Native,
    pub min_unbond: Native,
    pub unbonding_days: u8,
    /// How much longer than the shortest valid epoch the epoch is, in percent.
    pub epoch_extra_percent: u8,
    pub max_unbond_shortfall_percent: u8,
    pub max_fall_percent: u8,
    pub max_rise_percent: u8,
    /// Whether the chain may hold up to `u128::MAX` native rather than a realistic supply.
    pub full_range_supply: bool,
}

/// A whole `hub_execute` input.
#[derive(Arbitrary, Clone, Debug)]
pub struct HubInput {
    pub setup: SetupChoice,
    pub actions: Vec<Action>,
}

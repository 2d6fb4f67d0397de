//! Storage layout of the hub. Every key is a documented constant.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_storage_plus::{Index, IndexList, IndexedMap, Item, Map, MultiIndex};
use flowstake::hub::{Liquidity, Operation, RateBounds, RatePoint, Totals};

/// Configuration set by governance.
#[cw_serde]
pub struct Config {
    pub guardian: Option<Addr>,
    pub denom: String,
    pub fee_receiver: Addr,
    pub fee_rate: Decimal,
    pub min_bond: Uint128,
    pub min_unbond: Uint128,
    pub epoch_period: u64,
    pub unbonding_period: u64,
    pub max_unbond_shortfall: Decimal,
    pub rate_bounds: RateBounds,
    /// Largest annual reward rate recognised (see [`crate::math::vestable`]).
    #[serde(default = "default_max_reward_rate")]
    pub max_reward_rate: Decimal,
    /// The liquidity buffer's target and the instant exit fee (both zero before they existed).
    /// Stored only when set: a hub without a buffer reads no more on every bond than before.
    #[serde(default, skip_serializing_if = "no_liquidity")]
    pub liquidity: Liquidity,
}

fn no_liquidity(liquidity: &Liquidity) -> bool {
    liquidity.buffer_target.is_zero() && liquidity.exit_fee.is_zero()
}

fn default_max_reward_rate() -> Decimal {
    flowstake::DEFAULT_MAX_REWARD_RATE
}

/// A block the hub has seen, by height and time (seconds).
#[cw_serde]
#[derive(Default, Copy)]
pub struct BlockMark {
    pub height: u64,
    pub time: u64,
}

/// The hub's accounting. The validator ledger sums to `total_native` (the backing of
/// `total_shares`) - `buffer` - `buffer_incoming` + `unvested_rewards` + `submitting`.
/// Fields that are zero most of the time (`submitting`, the buffer's) are left out of the
/// stored JSON while zero: every bond and unbond loads and saves the state, and pays for each
/// byte.
#[cw_serde]
pub struct State {
    pub total_native: Uint128,
    pub total_shares: Uint128,
    pub dead_shares: Uint128,
    /// Native in the hub's balance owed to reconciled batches and not yet withdrawn.
    pub reserved_for_claims: Uint128,
    /// Native in the hub's balance that belongs to all holders (stray transfers found at
    /// reconcile, claim dust of fully withdrawn batches); re-staked at the next harvest, where
    /// it joins `unvested_rewards`.
    pub unlocked_surplus: Uint128,
    /// Rewards delegated (in the ledger) but not yet in `total_native`: recognised at most at
    /// `max_reward_rate` for the time elapsed, so no inflow moves the rate in one step.
    #[serde(default)]
    pub unvested_rewards: Uint128,
    /// Time (seconds) up to which reward recognition has been allowed.
    #[serde(default)]
    pub vested_at: u64,
    /// First batch id that is not yet reconciled: every batch below it is.
    pub next_reconcile_id: u64,
    /// The latest block in which a crank ran.
    #[serde(default)]
    pub seen: BlockMark,
    /// Time of a block that ended before the current one: every unbonding entry completing at
    /// or before it has been paid by the chain (x/staking pays matured entries at the end of
    /// the first block whose time reaches their completion).
    #[serde(default)]
    pub paid_through: u64,
    /// Native of the batch being submitted ([`SUBMISSION`]) still delegated: in the ledger, not
    /// in `total_native`. A slash during the submission is shared between it and the holders.
    #[serde(default, skip_serializing_if = "Uint128::is_zero")]
    pub submitting: Uint128,
    /// Native of the backing held unstaked in the hub's balance for instant exits: part of
    /// `total_native`, not in the ledger.
    #[serde(default, skip_serializing_if = "Uint128::is_zero")]
    pub buffer: Uint128,
    /// Native of the backing undelegated by batch submissions to top the buffer up
    /// ([`Batch::buffer_topup`]), not yet arrived: part of `total_native`, in neither the
    /// ledger nor the buffer.
    #[serde(default, skip_serializing_if = "Uint128::is_zero")]
    pub buffer_incoming: Uint128,
    /// The chain's unbonding time as learnt from the last submission.
    #[serde(default)]
    pub unbonding_time_observed: Option<u64>,
    pub last_sync: u64,
    /// Exchange rate right after the last sync, the reference for the rate bounds.
    pub last_sync_rate: Decimal,
    pub totals: Totals,
}

/// The batch collecting unbond requests.
#[cw_serde]
pub struct PendingBatch {
    pub id: u64,
    pub shares: Uint128,
    pub submit_after: u64,
}

/// A submitted batch.
#[cw_serde]
pub struct Batch {
    pub id: u64,
    pub shares: Uint128,
    pub native_expected: Uint128,
    pub native_received: Uint128,
    pub reconciled: bool,
    pub submitted_at: u64,
    /// Height of the submission: x/staking slashes an unbonding entry for an infraction at or
    /// before the height it was created at.
    #[serde(default)]
    pub submitted_height: u64,
    /// The chain's completion time of the batch's unbonding entries (seconds, rounded up), from
    /// its `MsgUndelegateResponse`.
    pub completes_at: u64,
    pub shares_claimed: Uint128,
    pub native_claimed: Uint128,
    /// Native undelegated with the batch's own to top the buffer up: it rides in the batch's
    /// unbonding entries, belongs to all holders, and goes to the buffer when the batch is
    /// reconciled (less its share of any slash of the entries). Left out of the JSON while
    /// zero.
    #[serde(default, skip_serializing_if = "Uint128::is_zero")]
    pub buffer_topup: Uint128,
}

/// A batch whose undelegations are spread over several `SubmitBatch` calls (more validators
/// hold stake than [`flowstake::MAX_SUBMIT_UNDELEGATIONS`]). Its shares are already converted
/// and burnt; [`State::submitting`] is still delegated, on the validators after `after`
/// (address order).
#[cw_serde]
pub struct Submission {
    pub batch_id: u64,
    /// The last validator undelegated from; empty to start again from the first.
    pub after: String,
}

/// A validator of the set and the hub's ledger of what it delegated to it.
#[cw_serde]
pub struct Validator {
    pub address: String,
    pub weight: u64,
    pub paused: bool,
    /// Not in the chain's active (bonded) set at the last sync, or deleted by the chain.
    #[serde(default)]
    pub inactive: bool,
    pub delegated: Uint128,
}

/// Scale of the delegation-per-weight key, so validators with small weights still order well.
const LOAD_SCALE: u128 = 1_000_000;

impl Validator {
    /// Native delegated per unit of weight, scaled: the order in which validators receive new
    /// delegations (lowest first). A paused, inactive or zero-weight validator sorts last, at
    /// `u128::MAX`.
    /// The key does not depend on the total, so a bond updates one entry only.
    pub fn load(&self) -> u128 {
        if self.paused || self.inactive || self.weight == 0 {
            return u128::MAX;
        }
        let scaled = self
            .delegated
            .u128()
            .checked_mul(LOAD_SCALE)
            .unwrap_or(u128::MAX - 1);
        (scaled / u128::from(self.weight)).min(u128::MAX - 1)
    }

    pub fn is_active(&self) -> bool {
        self.load() != u128::MAX
    }
}

pub struct ValidatorIndexes<'a> {
    /// Validators ordered by [`Validator::load`].
    pub load: MultiIndex<'a, u128, Validator, &'a str>,
}

impl IndexList<Validator> for ValidatorIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Validator>> + '_> {
        let v: Vec<&dyn Index<Validator>> = vec![&self.load];
        Box::new(v.into_iter())
    }
}

/// The governance configuration.
pub const CONFIG: Item<Config> = Item::new("config");
/// The derivative token, deployed at instantiation and learnt in its reply.
pub const TOKEN: Item<Addr> = Item::new("token");
/// The reward collector, deployed at instantiation and learnt in its reply.
pub const COLLECTOR: Item<Addr> = Item::new("collector");
/// The accounting totals.
pub const STATE: Item<State> = Item::new("state");
/// Operations currently paused.
pub const PAUSED: Item<Vec<Operation>> = Item::new("paused");
/// The batch collecting requests.
pub const PENDING_BATCH: Item<PendingBatch> = Item::new("pending_batch");
/// Submitted batches by id.
pub const BATCHES: Map<u64, Batch> = Map::new("batches");
/// The batch being submitted over several calls, if any: while it is, no other batch is
/// submitted and nothing is reconciled (its first entries may already be paid into the
/// balance, and attributing them needs the batch whole).
pub const SUBMISSION: Item<Submission> = Item::new("submission");
/// The validator the last harvest withdrew from last; the next one starts after it.
pub const HARVEST_CURSOR: Item<String> = Item::new("harvest_cursor");
/// The rate's history by time (seconds): see [`crate::history`].
pub const RATE_HISTORY: Map<u64, RatePoint> = Map::new("rate_history");
/// How many points [`RATE_HISTORY`] holds.
pub const RATE_POINT_COUNT: Item<u32> = Item::new("rate_point_count");
/// Unbond requests: (user, batch id) -> shares. Keyed by user first so that a user's requests
/// are one prefix, read in batch order.
pub const UNBOND_REQUESTS: Map<(&Addr, u64), Uint128> = Map::new("requests");

/// The validator set and ledger, indexed by load.
pub fn validators<'a>() -> IndexedMap<&'a str, Validator, ValidatorIndexes<'a>> {
    IndexedMap::new(
        "validators",
        ValidatorIndexes {
            load: MultiIndex::new(|_pk, v| v.load(), "validators", "validators__load"),
        },
    )
}

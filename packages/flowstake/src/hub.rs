//! Messages and responses of the hub contract.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Decimal, SignedDecimal, Uint128};
use cw20::Cw20ReceiveMsg;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

/// Name, symbol, decimals and marketing of the derivative token the hub deploys.
#[cw_serde]
#[serde(deny_unknown_fields)]
pub struct TokenInfo {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub marketing: Option<TokenMarketing>,
}

/// Marketing information of the derivative token.
#[cw_serde]
#[serde(deny_unknown_fields)]
pub struct TokenMarketing {
    pub project: Option<String>,
    pub description: Option<String>,
    /// Account allowed to update the marketing information.
    pub marketing: Option<String>,
    pub logo: Option<cw20::Logo>,
}

/// One validator of the initial set, with its target weight.
#[cw_serde]
#[serde(deny_unknown_fields)]
pub struct ValidatorWeight {
    pub address: String,
    pub weight: u64,
}

/// Bounds on how far the exchange rate may move between two ledger syncs before bond and
/// queue-unbond pause themselves.
#[cw_serde]
#[serde(deny_unknown_fields)]
pub struct RateBounds {
    /// Largest relative fall accepted between syncs (a plausible slash), e.g. `0.1`.
    pub max_fall: Decimal,
    /// Largest relative rise accepted between syncs (a plausible reward), e.g. `0.05`.
    pub max_rise: Decimal,
}

/// The liquidity buffer: a share of the backing kept unstaked in the hub, from which holders
/// exit at once for a fee.
#[cw_serde]
#[derive(Default)]
#[serde(deny_unknown_fields)]
pub struct Liquidity {
    /// Share of the backing the buffer aims to hold, at most [`crate::MAX_BUFFER_TARGET`]; zero
    /// keeps no buffer (every deposit is delegated).
    pub buffer_target: Decimal,
    /// Fee on an instant exit, at most [`crate::MAX_EXIT_FEE`]; it stays in the backing, so the
    /// rate of the remaining holders rises by it.
    pub exit_fee: Decimal,
}

#[cw_serde]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// Owner (governance); defaults to the instantiating account.
    pub owner: Option<String>,
    /// May pause operations; only the owner unpauses.
    pub guardian: Option<String>,
    /// The chain's staking denom.
    pub denom: String,
    /// Code id of the derivative token contract.
    pub token_code_id: u64,
    /// Code id of the reward collector contract.
    pub collector_code_id: u64,
    pub token: TokenInfo,
    /// Initial validator set; must not be empty and every validator must exist on the chain.
    pub validators: Vec<ValidatorWeight>,
    pub fee_receiver: String,
    /// Protocol fee on rewards, at most [`crate::MAX_FEE_RATE`].
    pub fee_rate: Decimal,
    /// Smallest bond accepted, in native units.
    pub min_bond: Uint128,
    /// Smallest unbond request accepted, in derivative units.
    pub min_unbond: Uint128,
    /// Seconds between two batch submissions; `7 * epoch` must be at least the unbonding
    /// period.
    pub epoch_period: u64,
    /// The chain's unbonding period in seconds, as expected: used for estimates before a batch
    /// is submitted. A submitted batch's completion time is the one the chain returns.
    pub unbonding_period: u64,
    /// Largest fraction of an expected unbonding that may be missing at reconcile and still be
    /// booked as a slash; a larger shortfall stops reconcile. In `(0, 1]`: one accepts any
    /// loss.
    pub max_unbond_shortfall: Decimal,
    pub rate_bounds: RateBounds,
    /// Largest annual reward rate recognised: inflows to the collector beyond it (for the time
    /// elapsed) enter the rate gradually. In `(0, 10]`; [`crate::DEFAULT_MAX_REWARD_RATE`] when
    /// left out.
    pub max_reward_rate: Option<Decimal>,
}

/// An operation that can be paused. Withdrawing matured funds and reconcile are never paused.
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// `Bond`.
    Bond,
    /// `QueueUnbond`, `InstantUnbond`, `CancelUnbond` and `SubmitBatch`.
    Unbond,
    /// `Harvest`.
    Harvest,
}

/// Configuration changes; every field left out is kept.
#[cw_serde]
#[derive(Default)]
#[serde(deny_unknown_fields)]
pub struct ConfigUpdate {
    pub guardian: Option<String>,
    /// Remove the guardian.
    pub clear_guardian: Option<bool>,
    pub fee_receiver: Option<String>,
    pub fee_rate: Option<Decimal>,
    pub min_bond: Option<Uint128>,
    pub min_unbond: Option<Uint128>,
    pub epoch_period: Option<u64>,
    pub unbonding_period: Option<u64>,
    pub max_unbond_shortfall: Option<Decimal>,
    pub rate_bounds: Option<RateBounds>,
    pub max_reward_rate: Option<Decimal>,
    pub liquidity: Option<Liquidity>,
}

/// Where a bond delivers its derivative instead of a wallet: a contract that takes cw20 through
/// the receive hook (a lending market taking it as collateral, a vault), and the hook's message.
#[cw_serde]
pub struct Forward {
    pub contract: String,
    pub msg: Binary,
}

#[cw_ownable_execute]
#[cw_serde]
#[serde(deny_unknown_fields)]
pub enum ExecuteMsg {
    /// Bond exactly one coin of the staking denom; mints derivative to `receiver` (the sender by
    /// default). Fails if fewer than `min_shares` would be minted. With `forward`, the minted
    /// derivative goes straight to `forward.contract` through its cw20 receive hook, as if the
    /// sender had sent it there with `forward.msg` (the hook's `sender` is the bonder, so
    /// `receiver` must then be absent or the sender); if the hook fails, the whole bond fails.
    Bond {
        receiver: Option<String>,
        min_shares: Option<Uint128>,
        forward: Option<Forward>,
    },
    /// Withdraw rewards from every delegation and re-stake them, less the protocol fee.
    Harvest {},
    /// Called by the reward collector only, with the rewards attached.
    ReceiveRewards {},
    /// Entry point of the derivative token's `Send`; the hook is a [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Take back the sender's request from the pending batch.
    CancelUnbond {},
    /// Submit the pending batch once its epoch has ended.
    SubmitBatch {},
    /// Book the unbonded funds of up to `limit` batches the chain has paid out.
    Reconcile {
        limit: Option<u32>,
    },
    /// Pay the sender's requests in reconciled batches, up to `limit` of them, to `receiver`.
    WithdrawUnbonded {
        receiver: Option<String>,
        limit: Option<u32>,
    },
    /// Compare the ledger with the chain's delegations and book any shortfall as a slash.
    Sync {},
    /// Send the collector's balance of each of `denoms` (rewards in denoms other than the
    /// staking denom) to the fee receiver. At most [`crate::MAX_SWEEP_DENOMS`] denoms.
    SweepRewards {
        denoms: Vec<String>,
    },
    AddValidator {
        address: String,
        weight: u64,
    },
    /// Redelegates the validator's whole stake to the remaining active validators.
    RemoveValidator {
        address: String,
    },
    SetValidatorWeight {
        address: String,
        weight: u64,
    },
    /// No new delegations go to a paused validator; its stake stays.
    PauseValidator {
        address: String,
    },
    UnpauseValidator {
        address: String,
    },
    UpdateConfig(Box<ConfigUpdate>),
    /// Guardian or owner.
    Pause {
        operations: Vec<Operation>,
    },
    /// Owner only.
    Unpause {
        operations: Vec<Operation>,
    },
}

/// Hook messages carried by the derivative token's `Send`.
#[cw_serde]
#[serde(deny_unknown_fields)]
pub enum ReceiveMsg {
    /// Queue the sent derivative for unbonding on behalf of `receiver` (the sender by default).
    QueueUnbond { receiver: Option<String> },
    /// Exit at once: the sent derivative is burnt and its native value at the current rate,
    /// less the exit fee, is paid from the liquidity buffer to `receiver` (the sender by
    /// default). Refused, with nothing moved, when the buffer cannot pay it or it would pay
    /// less than `min_native`.
    InstantUnbond {
        receiver: Option<String>,
        min_native: Option<Uint128>,
    },
}

#[cw_serde]
#[serde(deny_unknown_fields)]
pub struct MigrateMsg {}

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
#[serde(deny_unknown_fields)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(StateResponse)]
    State {},
    /// Native per derivative unit, with the time of the last ledger sync.
    #[returns(RedemptionRateResponse)]
    RedemptionRate {},
    /// Derivative a bond of `native` would mint now.
    #[returns(Uint128)]
    PreviewBond { native: Uint128 },
    /// Native that `shares` would convert to if submitted now.
    #[returns(Uint128)]
    PreviewUnbond { shares: Uint128 },
    /// What an instant exit of `shares` would pay now, and whether the buffer can pay it.
    #[returns(InstantUnbondPreview)]
    PreviewInstantUnbond { shares: Uint128 },
    /// Recorded points of the rate (one per sync, at least [`RATE_POINT_SPACING`] seconds
    /// apart, the newest following the latest sync), oldest first, by time.
    #[returns(Vec<RatePoint>)]
    RateHistory {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Simple annual rate of the rate's growth over the last `window` seconds (30 days by
    /// default), from the recorded history.
    #[returns(YieldResponse)]
    Apr { window: Option<u64> },
    /// The same growth compounded daily: `(1 + apr / 365)^365 - 1`.
    #[returns(YieldResponse)]
    Apy { window: Option<u64> },
    /// Everything a wallet shows for one holder, in one bounded query.
    #[returns(PositionResponse)]
    Position { address: String },
    #[returns(PendingBatchResponse)]
    PendingBatch {},
    #[returns(BatchResponse)]
    Batch { id: u64 },
    #[returns(Vec<BatchResponse>)]
    Batches {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(Vec<UnbondRequestResponse>)]
    UnbondRequestsByUser {
        user: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(Vec<ValidatorResponse>)]
    Validators {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(PausedResponse)]
    Paused {},
}

#[cw_serde]
pub struct ConfigResponse {
    pub guardian: Option<Addr>,
    pub denom: String,
    pub token: Addr,
    pub collector: Addr,
    pub fee_receiver: Addr,
    pub fee_rate: Decimal,
    pub min_bond: Uint128,
    pub min_unbond: Uint128,
    pub epoch_period: u64,
    pub unbonding_period: u64,
    pub max_unbond_shortfall: Decimal,
    pub rate_bounds: RateBounds,
    pub max_reward_rate: Decimal,
    pub liquidity: Liquidity,
}

#[cw_serde]
pub struct StateResponse {
    /// Native delegated according to the hub's ledger: the backing of all shares.
    pub total_native: Uint128,
    /// Derivative supply.
    pub total_shares: Uint128,
    /// Shares minted at instantiation to the hub itself, never redeemable.
    pub dead_shares: Uint128,
    /// Native per derivative unit.
    pub exchange_rate: Decimal,
    /// Rewards already in the collector, re-staked at the next harvest.
    pub pending_rewards: Uint128,
    /// Native held by the hub for reconciled batches not yet withdrawn.
    pub reserved_for_claims: Uint128,
    /// Native held by the hub beyond what batches expected (stray transfers, claim dust),
    /// re-staked at the next harvest.
    pub unlocked_surplus: Uint128,
    /// Rewards received and delegated but not yet counted in `total_native`: inflows beyond
    /// the plausible reward for the time elapsed, recognised gradually.
    pub unvested_rewards: Uint128,
    /// Native in the hub's balance not yet attributed: funds of batches the chain may have
    /// paid and reconcile has not booked, and stray transfers until reconcile books them.
    pub suspense: Uint128,
    /// Native held unstaked in the hub for instant exits; part of `total_native`.
    pub buffer: Uint128,
    /// What the buffer aims to hold now: `buffer_target` of `total_native`.
    pub buffer_goal: Uint128,
    /// Native batch submissions undelegated to top the buffer up, still unbonding; part of
    /// `total_native`.
    pub buffer_incoming: Uint128,
    /// The chain's unbonding time as the last submitted batch learnt it (completion time less
    /// submission time), if any batch was submitted.
    pub unbonding_time_observed: Option<u64>,
    /// Seconds since epoch of the last ledger sync.
    pub last_sync: u64,
    pub totals: Totals,
    /// A batch being submitted over several `submit_batch` calls, if any: until it is done, no
    /// other batch is submitted and nothing is reconciled.
    pub submission: Option<SubmissionStatus>,
}

/// A batch whose undelegations span several `submit_batch` calls.
#[cw_serde]
pub struct SubmissionStatus {
    pub batch_id: u64,
    /// Native still to undelegate for it.
    pub native_left: Uint128,
}

/// Running totals, in native units, from which conservation can be checked to the unit:
/// `bonded + rewards + surplus = total_native + unvested_rewards + unbonding +
/// reserved_for_claims + unlocked_surplus + paid_out + fees + slashed + instant_paid`.
#[cw_serde]
#[derive(Default)]
pub struct Totals {
    /// Native deposited by bonds, seed included.
    pub bonded: Uint128,
    /// Rewards received from the collector, fee included.
    pub rewards: Uint128,
    /// Fees paid to the fee receiver.
    pub fees: Uint128,
    /// Stake lost to slashing, bonded or unbonding.
    pub slashed: Uint128,
    /// Native paid to users by withdrawals.
    pub paid_out: Uint128,
    /// Stray native found in the hub's balance (at reconcile, or stake on a removed validator
    /// beyond the ledger), given to all holders.
    pub surplus: Uint128,
    /// Native submitted for unbonding whose batches are not yet reconciled.
    pub unbonding: Uint128,
    /// Native paid to users by instant exits from the buffer (fees excluded). Left out of the
    /// JSON while zero (a hub without instant exits stores and answers no more than before).
    #[serde(default, skip_serializing_if = "Uint128::is_zero")]
    pub instant_paid: Uint128,
    /// Exit fees kept in the backing for the remaining holders (part of `total_native`, not a
    /// term of the conservation identity). Left out of the JSON while zero.
    #[serde(default, skip_serializing_if = "Uint128::is_zero")]
    pub exit_fees: Uint128,
}

/// What an instant exit would pay now.
#[cw_serde]
pub struct InstantUnbondPreview {
    /// Native value of the shares at the current rate (rounded down).
    pub native: Uint128,
    /// Exit fee (rounded up), kept for the remaining holders.
    pub fee: Uint128,
    /// What the exit pays: `native - fee`.
    pub payout: Uint128,
    /// Native in the buffer now.
    pub buffer: Uint128,
    /// Whether the buffer can pay it now.
    pub payable: bool,
}

/// Seconds between two kept points of the rate history; the newest point moves with every
/// sync until it is this far from the one before.
pub const RATE_POINT_SPACING: u64 = 3600;

/// One recorded point of the exchange rate.
#[cw_serde]
pub struct RatePoint {
    /// Block time of the sync, seconds since epoch.
    pub time: u64,
    pub rate: Decimal,
    /// `total_native` then.
    pub backing: Uint128,
    /// `total_shares` then.
    pub supply: Uint128,
}

/// Growth of the rate between two recorded points. `apr = (end.rate / start.rate - 1) *
/// year / (end.time - start.time)`; `apy = (1 + apr / 365)^365 - 1`. Both are zero when the
/// history spans no time yet; both are negative after a loss.
#[cw_serde]
pub struct YieldResponse {
    pub apr: SignedDecimal,
    pub apy: SignedDecimal,
    pub start: RatePoint,
    pub end: RatePoint,
}

/// A holder's position.
#[cw_serde]
pub struct PositionResponse {
    pub address: String,
    /// Derivative balance.
    pub shares: Uint128,
    /// Its native value at the current rate (rounded down).
    pub native_value: Uint128,
    /// Unbond requests, oldest batch first, at most [`POSITION_REQUESTS`].
    pub requests: Vec<UnbondRequestResponse>,
    /// More requests than listed exist (page them with `unbond_requests_by_user`).
    pub more_requests: bool,
    /// What an instant exit of the whole balance would pay now.
    pub instant_exit: InstantUnbondPreview,
    /// Simple annual rate over the last 30 days of history.
    pub apr: SignedDecimal,
    /// Estimated reward per day at that rate: `native_value * apr / 365` (zero if negative).
    pub daily_reward: Uint128,
}

/// Most unbond requests a position lists.
pub const POSITION_REQUESTS: usize = 30;

/// Window of `apr` and `apy` when the query names none: 30 days.
pub const DEFAULT_YIELD_WINDOW: u64 = 30 * 24 * 3600;

#[cw_serde]
pub struct RedemptionRateResponse {
    pub redemption_rate: Decimal,
    /// Seconds since epoch of the last ledger sync with the chain (not the current block).
    pub update_time: u64,
}

#[cw_serde]
pub struct PendingBatchResponse {
    pub id: u64,
    pub shares: Uint128,
    /// Earliest time the batch can be submitted (seconds since epoch).
    pub submit_after: u64,
}

#[cw_serde]
pub enum BatchStatus {
    /// Collecting requests.
    Pending,
    /// Undelegated, waiting for the unbonding period.
    Unbonding,
    /// Funds arrived and booked; requests can be withdrawn.
    Reconciled,
}

#[cw_serde]
pub struct BatchResponse {
    pub id: u64,
    pub status: BatchStatus,
    pub shares: Uint128,
    /// Native the batch expected at submission.
    pub native_expected: Uint128,
    /// Native booked at reconcile (expected less any slash during unbonding).
    pub native_received: Uint128,
    pub submitted_at: u64,
    /// When the chain completes the batch's unbonding entries, as the chain returned it at
    /// submission (seconds since epoch, rounded up). The chain pays them at the end of the
    /// first block at or after it; reconcile books them in a later block.
    pub completes_at: u64,
    pub shares_claimed: Uint128,
    pub native_claimed: Uint128,
    /// Native that rode in the batch's entries to top the liquidity buffer up (not the
    /// holders' of this batch: it goes to the buffer at reconcile).
    pub buffer_topup: Uint128,
}

#[cw_serde]
pub struct UnbondRequestResponse {
    pub batch_id: u64,
    pub status: BatchStatus,
    pub shares: Uint128,
    /// Native due for the request: exact once reconciled, an estimate before.
    pub native: Uint128,
    /// When the request is expected to become withdrawable (seconds since epoch).
    pub expected_at: u64,
}

#[cw_serde]
pub struct ValidatorResponse {
    pub address: String,
    pub weight: u64,
    pub paused: bool,
    /// In the chain's active (bonded) set at the last sync; an inactive validator gets no new
    /// stake.
    pub active: bool,
    /// Native delegated to it according to the ledger.
    pub delegated: Uint128,
}

#[cw_serde]
pub struct PausedResponse {
    pub operations: Vec<Operation>,
}

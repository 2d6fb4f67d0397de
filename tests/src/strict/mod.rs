//! A strict chain for cw-multi-test: staking and distribution modules that enforce what
//! x/staking and x/distribution enforce and cw-multi-test's own modules do not.
//!
//! | rule | as on the chain |
//! | --- | --- |
//! | unbonding entries | at most [`MAX_ENTRIES`] (7) per (delegator, validator); the limit is checked before the entry is written, so an 8th undelegation fails even in the block of the 7th; undelegations of one block with the same completion time merge into one entry (x/staking `AddEntry`, SDK 0.47+) |
//! | redelegation entries | at most 7 per (delegator, source, destination); each matures after the unbonding time (or when an unbonding source finishes unbonding); entries never merge |
//! | transitive redelegation | a redelegation out of a validator into which the delegator has a redelegation still maturing fails (`ErrTransitiveRedelegation`); the `Delegation` query reports `can_redelegate` zero for such a delegation and the full amount otherwise, as wasmd does |
//! | rewards | each bonded validator's delegators earn `apr * (1 - commission)` a year, accrued every second; a withdrawal pays whole tokens to the withdraw address and drops the fraction; zero rewards withdraw with no transfer |
//! | automatic withdrawal | every change of a delegation's shares (delegate to an existing delegation, undelegate, both sides of a redelegation, a slash of a redelegation) first pays its pending rewards to the withdraw address (x/distribution `BeforeDelegationSharesModified`) |
//! | shares | delegations hold shares; a slash lowers the validator's tokens, not the shares, so undelegating after a slash returns `TokensFromShares(shares).TruncateInt()`: `shares * tokens / total_shares` rounded to 18 decimals (half to even, as `LegacyDec.Quo`), then truncated |
//! | slashing | for an infraction at height `h`, `floor(fraction * tokens at h)` is burnt, first from the unbonding entries and redelegations created at or after `h`, the rest from the bonded tokens; older entries are untouched |
//! | jailing | a jailed validator leaves the active set: it earns nothing, `AllValidators` omits it, a redelegation out of it matures when its own unbonding ends, and after the unbonding time it is unbonded (then it can no longer be slashed) |
//! | end of block | x/staking's `EndBlocker` runs after the block's transactions: cw-multi-test announces a new block before its transactions, so the model runs the end of block of the previous block then (with that block's height and time). In the block where an entry's completion time is reached it is still pending (it counts towards the 7, its funds are not paid); it is paid at that block's end, seen from the next block on. Validators jailed for the unbonding time become unbonded at the same end of block |
//! | deleted validators | an unbonded validator is deleted when its last shares leave, or at the end of block where it becomes unbonded with no shares (x/staking `RemoveValidator`): the `Validator` query returns none, a delegation to it fails (`validator does not exist`), its reward state is gone |
//! | undelegation response | `MsgUndelegate` returns `MsgUndelegateResponse { completion_time, amount }` in the response's `data` (cw-multi-test puts it into a reply's `msg_responses`): block time + unbonding time to the nanosecond, and the tokens actually unbonded after share rounding |
//! | governance and evidence | the unbonding time can change (`StrictSudo::SetUnbondingTime`) for later entries only; a tombstoned validator (`StrictSudo::Tombstone`) is jailed forever |
//!
//! Build an app with [`strict_app`]; slash at a height, jail and unjail with
//! [`StrictChain::strict_sudo`]; read entries with the other [`StrictChain`] methods. The
//! [`fixture`] is the chain alone, for tests of these rules.

mod app;
mod delegation;
mod distribution;
mod error;
pub mod fixture;
mod math;
mod queries;
mod rewards;
mod slashing;
mod staking;
mod state;

use cosmwasm_std::{Addr, Api, BlockInfo, CustomMsg, CustomQuery, Decimal};
use cw_multi_test::CosmosRouter;

pub use app::{
    strict_app, strict_app_builder, StrictApp, StrictAppBuilder, StrictChain, StrictRouter,
};
pub use distribution::StrictDistribution;
pub use error::ChainError;
pub use staking::StrictStaking;
pub use state::{
    ChainParams, DelegationState, RedelegationEntry, UnbondingEntry, ValidatorState,
    ValidatorStatus, DEFAULT_POWER_REDUCTION, MAX_ENTRIES, YEAR_SECONDS,
};

/// The strict chain's privileged actions, beyond cw-multi-test's `StakingSudo::Slash` (which
/// the strict chain runs as a slash at the current height).
#[derive(Clone, Debug, PartialEq)]
pub enum StrictSudo {
    /// x/staking `Slash` for an infraction at `infraction_height` (at most the current height).
    Slash {
        validator: String,
        infraction_height: u64,
        fraction: Decimal,
    },
    /// x/staking `Jail`.
    Jail { validator: String },
    /// x/slashing `Unjail`; refused for a tombstoned validator.
    Unjail { validator: String },
    /// x/evidence's handling of a double sign, without the slash (send a `Slash` for it): the
    /// validator is jailed (if it is not already) and tombstoned, jailed forever: `Unjail` is
    /// refused with [`ChainError::Tombstoned`].
    Tombstone { validator: String },
    /// x/staking `MsgUpdateParams` through governance, changing `unbonding_time` only: it
    /// applies to undelegations, redelegations and jailings made afterwards; existing entries
    /// keep their completion time.
    SetUnbondingTime { seconds: u64 },
}

/// What every chain operation needs besides the storage.
pub(crate) struct Env<'a, ExecC: CustomMsg, QueryC: CustomQuery> {
    pub api: &'a dyn Api,
    pub router: &'a dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
    pub block: &'a BlockInfo,
    /// The account holding bonded and unbonding tokens.
    pub pool: &'a Addr,
}

use cosmwasm_std::{CheckedMultiplyRatioError, Decimal, OverflowError, StdError, Uint128};
use cw_ownable::OwnershipError;
use cw_utils::PaymentError;
use flowstake::hub::Operation;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error(transparent)]
    Overflow(#[from] OverflowError),

    #[error(transparent)]
    MultiplyRatio(#[from] CheckedMultiplyRatioError),

    #[error(transparent)]
    Payment(#[from] PaymentError),

    #[error(transparent)]
    Ownership(#[from] OwnershipError),

    #[error("sender {sender} is neither the guardian nor the owner")]
    NotGuardian { sender: String },

    #[error("only the reward collector may call this; sender was {sender}")]
    NotCollector { sender: String },

    #[error("only the derivative token {token} is accepted; received from {sender}")]
    ForeignToken { token: String, sender: String },

    #[error("the hub cannot own an unbond request: neither sender nor receiver may be the hub")]
    HubAsRequester {},

    #[error("buffer_target {value} is above the maximum {max}")]
    BufferTargetTooHigh { value: Decimal, max: Decimal },

    #[error("exit_fee {value} is above the maximum {max}")]
    ExitFeeTooHigh { value: Decimal, max: Decimal },

    #[error("an instant exit of {shares} shares would pay nothing")]
    ExitPaysZero { shares: Uint128 },

    #[error("the buffer holds {buffer}, less than the {payout} this instant exit pays; queue an unbond instead")]
    BufferTooSmall { payout: Uint128, buffer: Uint128 },

    #[error("the batch needs {native}, but the delegations and the buffer hold only {available}: the rest rides in unbonding top-ups of the buffer; submit once reconcile has brought them in")]
    BatchAwaitsTopUps { native: Uint128, available: Uint128 },

    #[error("this instant exit pays {payout}, less than min_native {min_native}")]
    ExitBelowMinimum {
        payout: Uint128,
        min_native: Uint128,
    },

    #[error("the derivative token is not deployed yet")]
    TokenNotDeployed {},

    #[error("operation {operation:?} is paused")]
    Paused { operation: Operation },

    #[error("bond of {amount} is below the minimum {min_bond}")]
    BondTooSmall { amount: Uint128, min_bond: Uint128 },

    #[error("unbond of {shares} shares is below the minimum {min_unbond}")]
    UnbondTooSmall {
        shares: Uint128,
        min_unbond: Uint128,
    },

    /// A forwarding bond speaks for its sender in the receiving contract's hook: it cannot
    /// name someone else as the receiver.
    #[error("a bond forwarded to a contract is delivered in the sender's name ({sender}), not {receiver}'s")]
    ForwardForAnother { receiver: String, sender: String },

    #[error("bond would mint {shares} shares, fewer than the {min_shares} asked for")]
    MintBelowMinimum {
        shares: Uint128,
        min_shares: Uint128,
    },

    #[error("bond of {native} would mint zero shares")]
    MintsZero { native: Uint128 },

    #[error("the hub holds no backing for its {total_shares} shares")]
    NoBacking { total_shares: Uint128 },

    #[error("no active validator can take a delegation")]
    NoActiveValidator {},

    #[error("the batch can be submitted from {submit_after}; now is {now}")]
    EpochNotElapsed { submit_after: u64, now: u64 },

    #[error("the pending batch {id} holds no request")]
    EmptyBatch { id: u64 },

    #[error("batch {batch_id} is still being submitted ({native_left} left to undelegate): call submit_batch until it is done")]
    SubmissionInProgress { batch_id: u64, native_left: Uint128 },

    #[error("the batch {batch_id} being submitted is not stored")]
    SubmissionWithoutBatch { batch_id: u64 },

    #[error("{user} has no request in the pending batch {batch_id}")]
    NoPendingRequest { user: String, batch_id: u64 },

    #[error("{user} has nothing to withdraw yet")]
    NothingToWithdraw { user: String },

    #[error("no batch has matured for reconcile")]
    NothingToReconcile {},

    #[error("{open} batches are not reconciled yet, the most allowed; reconcile first")]
    TooManyOpenBatches { open: u64, max: u64 },

    #[error("{in_flight} batches may still hold unbonding entries on the chain, which allows {max} per validator; submit after the oldest is paid out")]
    UnbondingEntriesFull { in_flight: u64, max: u64 },

    #[error("the chain returned no MsgUndelegateResponse for the batch's undelegation")]
    UndelegateResponseMissing {},

    #[error("the chain's MsgUndelegateResponse could not be read: {reason}")]
    UndelegateResponseInvalid { reason: String },

    #[error("unbonded funds short beyond the bound: expected {expected}, arrived {arrived}")]
    ShortfallTooLarge { expected: Uint128, arrived: Uint128 },

    #[error("validator {address} is not in the set")]
    UnknownValidator { address: String },

    #[error("validator {address} is already in the set")]
    ValidatorExists { address: String },

    #[error("validator {address} does not exist on the chain")]
    ValidatorNotOnChain { address: String },

    #[error("the set already holds the maximum of {max} validators")]
    TooManyValidators { max: u32 },

    #[error("the initial validator set is empty")]
    NoValidators {},

    #[error("validator weight must be between 1 and {max}; got {weight}")]
    InvalidWeight { weight: u64, max: u64 },

    #[error("{delegated} is delegated to {address} but only {can_redelegate} can be redelegated now (an incoming redelegation is maturing)")]
    RedelegationMaturing {
        address: String,
        delegated: Uint128,
        can_redelegate: Uint128,
    },

    #[error("fee rate {fee_rate} exceeds the cap {max}")]
    FeeTooHigh { fee_rate: Decimal, max: Decimal },

    #[error("{field} must not be zero")]
    ZeroValue { field: String },

    #[error("epoch {epoch_period}s is too short: 7 epochs must span the unbonding period {unbonding_period}s")]
    EpochTooShort {
        epoch_period: u64,
        unbonding_period: u64,
    },

    #[error("seed deposit {seed} is below the minimum {min}")]
    SeedTooSmall { seed: Uint128, min: Uint128 },

    #[error("max_reward_rate is {value}; it must be above zero and at most {max}")]
    InvalidRewardRate { value: Decimal, max: Decimal },

    #[error("{count} denoms named; at most {max} per sweep")]
    TooManySweepDenoms { count: usize, max: usize },

    #[error("{field} is {value}; it must be above zero and below one")]
    InvalidFraction { field: String, value: Decimal },

    #[error("cannot migrate {contract} from version {from} to {to}")]
    MigrationRefused {
        contract: String,
        from: String,
        to: String,
    },

    #[error("unknown reply id {id}")]
    UnknownReply { id: u64 },

    #[error("the token instantiation reply carried no contract address")]
    ReplyWithoutAddress {},
}

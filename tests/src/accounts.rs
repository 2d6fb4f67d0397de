//! Named accounts, denoms and time units shared by every scenario.

/// The chain's staking denom.
pub const DENOM: &str = "ustake";
/// A second denom every user holds, to send the wrong coin.
pub const OTHER_DENOM: &str = "uother";

/// What every funded account starts with, in each denom, unless the builder says otherwise.
pub const USER_FUNDS: u128 = 1_000_000_000_000;

pub const DAY: u64 = 86_400;
/// One year as the chain counts it for rewards (`strict::YEAR_SECONDS`).
pub const YEAR: u64 = 365 * DAY;
/// Seconds per block when the harness moves time forward.
pub const BLOCK_SECONDS: u64 = 5;

pub const ALICE: &str = "alice";
pub const BOB: &str = "bob";
pub const CAROL: &str = "carol";
pub const DAVE: &str = "dave";
/// Governance.
pub const OWNER: &str = "owner";
/// May pause, not unpause.
pub const GUARDIAN: &str = "guardian";
/// Calls the permissionless cranks (harvest, submit, reconcile, sync).
pub const KEEPER: &str = "keeper";
/// Receives the protocol fee; starts with no funds so its balance is the fees paid.
pub const FEE_RECEIVER: &str = "fee_receiver";
/// Holds no role; every privileged call from it must fail.
pub const MALLORY: &str = "mallory";
pub const ATTACKER: &str = "attacker";
pub const VICTIM: &str = "victim";

/// Every named account a scenario may use; all but the fee receiver start funded.
pub const ACCOUNTS: [&str; 11] = [
    ALICE,
    BOB,
    CAROL,
    DAVE,
    OWNER,
    GUARDIAN,
    KEEPER,
    FEE_RECEIVER,
    MALLORY,
    ATTACKER,
    VICTIM,
];

//! The chain state the contracts read and change outside their own storage: bank balances,
//! validators, delegations with their rewards, unbonding and redelegation entries, and
//! withdraw addresses. It applies the bank, staking and distribution messages the contracts
//! emit with the rules of the Cosmos SDK that matter to a liquid staking hub:
//!
//! - at most [`MAX_ENTRIES`] unbonding entries per delegator-validator pair, and as many
//!   redelegation entries per delegator-source-destination triple;
//! - no redelegation out of a validator that is receiving a redelegation still maturing
//!   (`can_redelegate` is then zero);
//! - pending rewards are paid to the withdraw address whenever a delegation changes;
//! - an undelegation answers with `MsgUndelegateResponse`: block time plus unbonding time;
//! - x/staking's end of block runs after the block's transactions: an unbonding entry whose
//!   completion time a block reaches is paid at that block's end, seen from the next block on
//!   (and a matured redelegation ends there too).
//!
//! Amounts are kept as `u128` of the one bonded denom; bank balances may hold any denom.

use std::collections::BTreeMap;

use cosmwasm_std::{BlockInfo, Coin, Decimal, Timestamp, Uint128};

/// The chain's `MaxEntries`: unbonding entries per pair, redelegation entries per triple.
pub const MAX_ENTRIES: usize = 7;
/// Seconds per year, for the reward rate.
pub const YEAR: u64 = 365 * 86_400;
/// Seconds between two blocks, for the height.
pub const BLOCK_TIME: u64 = 5;

/// One delegation and the rewards it has accrued since they were last withdrawn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stake {
    pub amount: u128,
    pub rewards: u128,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnbondingEntry {
    pub delegator: String,
    pub validator: String,
    pub amount: u128,
    pub completes_at: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedelegationEntry {
    pub delegator: String,
    pub src: String,
    pub dst: String,
    pub amount: u128,
    pub completes_at: u64,
}

#[derive(Clone, Debug)]
pub struct ChainState {
    pub block: BlockInfo,
    pub denom: String,
    pub unbonding_period: u64,
    /// Staking rewards per year, as a fraction of the delegation, accrued when time advances.
    pub reward_rate: Decimal,
    pub(crate) balances: BTreeMap<String, BTreeMap<String, u128>>,
    /// Validator address to commission.
    pub(crate) validators: BTreeMap<String, Decimal>,
    /// (delegator, validator) to stake.
    pub(crate) delegations: BTreeMap<(String, String), Stake>,
    pub(crate) unbondings: Vec<UnbondingEntry>,
    pub(crate) redelegations: Vec<RedelegationEntry>,
    pub(crate) withdraw_addresses: BTreeMap<String, String>,
    /// Everything ever slashed, for conservation checks.
    pub slashed_total: u128,
}

impl ChainState {
    pub fn new(denom: &str, unbonding_period: u64) -> Self {
        ChainState {
            block: BlockInfo {
                height: 1_000,
                time: Timestamp::from_seconds(1_700_000_000),
                chain_id: "flowstake-vm".to_string(),
            },
            denom: denom.to_string(),
            unbonding_period,
            reward_rate: Decimal::percent(10),
            balances: BTreeMap::new(),
            validators: BTreeMap::new(),
            delegations: BTreeMap::new(),
            unbondings: vec![],
            redelegations: vec![],
            withdraw_addresses: BTreeMap::new(),
            slashed_total: 0,
        }
    }

    pub fn now(&self) -> u64 {
        self.block.time.seconds()
    }

    // ---- bank ----

    pub fn balance(&self, address: &str, denom: &str) -> u128 {
        self.balances
            .get(address)
            .and_then(|coins| coins.get(denom))
            .copied()
            .unwrap_or_default()
    }

    /// Creates funds out of nothing: the test's faucet.
    pub fn mint(&mut self, address: &str, denom: &str, amount: u128) {
        if amount == 0 {
            return;
        }
        *self
            .balances
            .entry(address.to_string())
            .or_default()
            .entry(denom.to_string())
            .or_default() += amount;
    }

    pub(crate) fn debit(&mut self, address: &str, denom: &str, amount: u128) -> Result<(), String> {
        let held = self.balance(address, denom);
        if held < amount {
            return Err(format!(
                "insufficient funds: {address} holds {held}{denom}, needs {amount}{denom}"
            ));
        }
        let coins = self.balances.get_mut(address).expect("held above zero");
        if held == amount {
            coins.remove(denom);
            if coins.is_empty() {
                self.balances.remove(address);
            }
        } else {
            coins.insert(denom.to_string(), held - amount);
        }
        Ok(())
    }

    pub fn transfer(&mut self, from: &str, to: &str, coins: &[Coin]) -> Result<(), String> {
        for coin in coins {
            self.debit(from, &coin.denom, coin.amount.u128())?;
            self.mint(to, &coin.denom, coin.amount.u128());
        }
        Ok(())
    }

    // ---- staking ----

    pub fn add_validator(&mut self, address: &str, commission: Decimal) {
        self.validators.insert(address.to_string(), commission);
    }

    pub fn has_validator(&self, address: &str) -> bool {
        self.validators.contains_key(address)
    }

    pub fn delegation(&self, delegator: &str, validator: &str) -> u128 {
        self.stake(delegator, validator)
            .map(|s| s.amount)
            .unwrap_or_default()
    }

    /// Every balance of `address`, by denom.
    pub fn balances_of(&self, address: &str) -> Vec<(String, u128)> {
        self.balances
            .get(address)
            .into_iter()
            .flatten()
            .map(|(denom, amount)| (denom.clone(), *amount))
            .collect()
    }

    /// Validators on the chain with their commission, in address order.
    pub fn validators(&self) -> Vec<(String, Decimal)> {
        self.validators
            .iter()
            .map(|(address, commission)| (address.clone(), *commission))
            .collect()
    }

    pub fn validator_commission(&self, address: &str) -> Option<Decimal> {
        self.validators.get(address).copied()
    }

    pub fn stake(&self, delegator: &str, validator: &str) -> Option<&Stake> {
        self.delegations
            .get(&(delegator.to_string(), validator.to_string()))
    }

    /// Every delegation of `delegator`, in validator order.
    pub fn delegations_of(&self, delegator: &str) -> Vec<(String, u128)> {
        self.delegations
            .iter()
            .filter(|((d, _), stake)| d == delegator && stake.amount > 0)
            .map(|((_, v), stake)| (v.clone(), stake.amount))
            .collect()
    }

    /// Everything `delegator` has delegated.
    pub fn total_delegated(&self, delegator: &str) -> u128 {
        self.delegations_of(delegator).iter().map(|(_, a)| a).sum()
    }

    /// Rewards accrued and not yet withdrawn, on all of `delegator`'s delegations.
    pub fn pending_rewards(&self, delegator: &str) -> u128 {
        self.delegations
            .iter()
            .filter(|((d, _), _)| d == delegator)
            .map(|(_, stake)| stake.rewards)
            .sum()
    }

    /// Unbonding entries of `delegator` not yet paid out.
    pub fn unbondings_of(&self, delegator: &str) -> Vec<UnbondingEntry> {
        self.unbondings
            .iter()
            .filter(|e| e.delegator == delegator)
            .cloned()
            .collect()
    }

    pub fn redelegations_of(&self, delegator: &str) -> Vec<RedelegationEntry> {
        self.redelegations
            .iter()
            .filter(|e| e.delegator == delegator)
            .cloned()
            .collect()
    }

    /// Whether `validator` receives a redelegation of `delegator` still maturing: the SDK then
    /// refuses to redelegate out of it (no transitive redelegation).
    pub(crate) fn receiving_redelegation(&self, delegator: &str, validator: &str) -> bool {
        self.redelegations
            .iter()
            .any(|e| e.delegator == delegator && e.dst == validator)
    }

    /// What the chain lets `delegator` redelegate out of `validator` now.
    pub fn can_redelegate(&self, delegator: &str, validator: &str) -> u128 {
        if self.receiving_redelegation(delegator, validator) {
            0
        } else {
            self.delegation(delegator, validator)
        }
    }

    /// Pays the rewards of one delegation to the delegator's withdraw address, as the chain
    /// does on an explicit withdrawal and whenever the delegation changes.
    pub(crate) fn withdraw_rewards(&mut self, delegator: &str, validator: &str) -> u128 {
        let key = (delegator.to_string(), validator.to_string());
        let Some(stake) = self.delegations.get_mut(&key) else {
            return 0;
        };
        let rewards = std::mem::take(&mut stake.rewards);
        let to = self.withdraw_address(delegator);
        let denom = self.denom.clone();
        self.mint(&to, &denom, rewards);
        if stake_is_empty(self.delegations.get(&key)) {
            self.delegations.remove(&key);
        }
        rewards
    }

    /// Where the rewards of `delegator` are paid.
    pub fn withdraw_address(&self, delegator: &str) -> String {
        self.withdraw_addresses
            .get(delegator)
            .cloned()
            .unwrap_or_else(|| delegator.to_string())
    }

    /// Adds rewards to one delegation directly.
    pub fn add_rewards(&mut self, delegator: &str, validator: &str, amount: u128) {
        let key = (delegator.to_string(), validator.to_string());
        self.delegations.entry(key).or_default().rewards += amount;
    }

    /// Cuts `fraction` of every delegation to `validator` and of every unbonding entry from
    /// it, as a slash does. Returns what `delegator` lost.
    pub fn slash(&mut self, validator: &str, fraction: Decimal, delegator: &str) -> u128 {
        let mut lost_by_delegator = 0;
        for ((d, v), stake) in self.delegations.iter_mut() {
            if v == validator {
                let cut = Uint128::new(stake.amount).mul_floor(fraction).u128();
                stake.amount -= cut;
                self.slashed_total += cut;
                if d == delegator {
                    lost_by_delegator += cut;
                }
            }
        }
        for entry in self.unbondings.iter_mut() {
            if entry.validator == validator {
                let cut = Uint128::new(entry.amount).mul_floor(fraction).u128();
                entry.amount -= cut;
                self.slashed_total += cut;
                if entry.delegator == delegator {
                    lost_by_delegator += cut;
                }
            }
        }
        lost_by_delegator
    }

    /// Ends the current block and moves the block time on by `seconds`: the end of block pays
    /// the unbonding entries the current block's time has reached and ends the matured
    /// redelegations ([`Self::end_block`]), then rewards accrue on every delegation at
    /// [`Self::reward_rate`] for the time to the new block.
    pub fn advance(&mut self, seconds: u64) {
        self.end_block();
        let rate = self.reward_rate;
        for stake in self.delegations.values_mut() {
            let yearly = Uint128::new(stake.amount).mul_floor(rate);
            stake.rewards += yearly.multiply_ratio(seconds, YEAR).u128();
        }
        self.block.time = self.block.time.plus_seconds(seconds);
        self.block.height += (seconds / BLOCK_TIME).max(1);
    }

    /// x/staking's end of block for the current block, after its transactions: entries whose
    /// completion time is at or before the block's time are paid to their delegators and
    /// matured redelegations end. Until then an entry counts towards the seven.
    pub fn end_block(&mut self) {
        let now = self.now();
        let (matured, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.unbondings)
            .into_iter()
            .partition(|e| e.completes_at <= now);
        self.unbondings = waiting;
        let denom = self.denom.clone();
        for entry in matured {
            self.mint(&entry.delegator, &denom, entry.amount);
        }
        self.redelegations.retain(|e| e.completes_at > now);
    }
}

pub(crate) fn stake_is_empty(stake: Option<&Stake>) -> bool {
    stake.is_some_and(|s| s.amount == 0 && s.rewards == 0)
}

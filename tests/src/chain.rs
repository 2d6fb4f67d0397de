//! What the chain itself records, read without going through the hub: delegations, unbonding
//! entries, accrued rewards; and the harness's own meter of the rewards that should accrue.

use std::collections::BTreeMap;

use cosmwasm_std::{
    from_json, Addr, Decimal, DelegationTotalRewardsResponse, DistributionQuery, QueryRequest,
    Storage, Timestamp, Uint128, Uint256,
};
use serde::Deserialize;

use crate::accounts::{DENOM, YEAR};
use crate::suite::Suite;

impl Suite {
    // ---------------------------------------------------------------- chain views

    /// The hub's delegations as the chain records them: (validator, amount).
    pub fn chain_delegations(&self) -> Vec<(String, u128)> {
        self.app
            .wrap()
            .query_all_delegations(&self.hub)
            .unwrap()
            .into_iter()
            .map(|delegation| (delegation.validator, delegation.amount.amount.u128()))
            .collect()
    }

    /// The hub's delegation to the validator at `index`, as the chain records it.
    pub fn chain_delegation(&self, validator_index: usize) -> u128 {
        let validator = self.validator(validator_index);
        self.chain_delegations()
            .into_iter()
            .find(|(address, _)| *address == validator)
            .map_or(0, |(_, amount)| amount)
    }

    pub fn chain_delegated_total(&self) -> u128 {
        self.chain_delegations()
            .into_iter()
            .map(|(_, amount)| amount)
            .sum()
    }

    /// The hub's unbonding entries that the chain has not paid out yet.
    pub fn chain_unbondings(&self) -> Vec<ChainUnbonding> {
        // cw-multi-test keeps the queue in an `Item` named "unbonding_queue" inside the
        // length-prefixed namespace "staking"; it has no query for it.
        let namespace = b"staking";
        let mut key = (namespace.len() as u16).to_be_bytes().to_vec();
        key.extend_from_slice(namespace);
        key.extend_from_slice(b"unbonding_queue");
        let entries: Vec<ChainUnbonding> = match self.app.storage().get(&key) {
            Some(raw) => from_json(raw).expect("unreadable unbonding queue"),
            None => vec![],
        };
        entries
            .into_iter()
            .filter(|entry| entry.delegator == self.hub)
            .collect()
    }

    /// Native the chain still owes the hub from unbonding at the validator at `index`.
    pub fn chain_unbonding(&self, validator_index: usize) -> u128 {
        let validator = self.validator(validator_index);
        self.chain_unbondings()
            .into_iter()
            .filter(|entry| entry.validator == validator)
            .map(|entry| entry.amount.u128())
            .sum()
    }

    pub fn chain_unbonding_total(&self) -> u128 {
        self.chain_unbondings()
            .into_iter()
            .map(|entry| entry.amount.u128())
            .sum()
    }

    /// Rewards the hub could withdraw now, as the chain's distribution module reports them
    /// (whole units per delegation, as a withdrawal pays).
    pub fn chain_pending_rewards(&self) -> u128 {
        let response: DelegationTotalRewardsResponse = self
            .app
            .wrap()
            .query(&QueryRequest::Distribution(
                DistributionQuery::DelegationTotalRewards {
                    delegator_address: self.hub.to_string(),
                },
            ))
            .unwrap();
        response
            .rewards
            .iter()
            .flat_map(|reward| reward.reward.iter())
            .filter(|reward| reward.denom == DENOM)
            .map(|reward| {
                let whole = reward.amount.to_uint_floor();
                Uint128::try_from(whole).expect("reward above u128").u128()
            })
            .sum()
    }

    /// Rewards accrued since the last harvest, computed by the harness from the delegations it
    /// saw at every time step: `floor(sum(delegation * apr * seconds / year))` per validator.
    /// Exact as long as no slash happened (a slash leaves fractional stake on the chain).
    pub fn expected_rewards(&self) -> u128 {
        assert!(
            self.meter.exact,
            "the reward meter is not exact once a validator was slashed"
        );
        self.meter.expected()
    }
}

/// One entry of the chain's unbonding queue, as cw-multi-test stores it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ChainUnbonding {
    pub delegator: Addr,
    pub validator: String,
    pub amount: Uint128,
    pub payout_at: Timestamp,
}

/// Rewards accrued per validator since the last harvest, in units of
/// `1 / (YEAR * 10^18)` native, so that the sum is exact.
#[derive(Debug)]
pub(crate) struct RewardMeter {
    pub(crate) accrued: BTreeMap<String, Uint256>,
    pub(crate) exact: bool,
}

impl Default for RewardMeter {
    fn default() -> Self {
        Self {
            accrued: BTreeMap::new(),
            exact: true,
        }
    }
}

impl RewardMeter {
    pub(crate) fn accrue(&mut self, delegations: &[(String, u128)], seconds: u64, apr: Decimal) {
        // A validator without a delegation has no rewards: the chain drops what was not
        // withdrawn when a delegation is removed entirely.
        let mut accrued = BTreeMap::new();
        for (validator, amount) in delegations {
            let before = self.accrued.get(validator).copied().unwrap_or_default();
            let added = Uint256::from(*amount)
                * Uint256::from(seconds)
                * Uint256::from(apr.atomics().u128());
            accrued.insert(validator.clone(), before + added);
        }
        self.accrued = accrued;
    }

    pub(crate) fn reset(&mut self) {
        self.accrued.clear();
    }

    pub(crate) fn expected(&self) -> u128 {
        let unit = Uint256::from(YEAR) * Uint256::from(10u128.pow(Decimal::DECIMAL_PLACES));
        self.accrued
            .values()
            .map(|accrued| {
                Uint128::try_from(*accrued / unit)
                    .expect("rewards above u128")
                    .u128()
            })
            .sum()
    }
}

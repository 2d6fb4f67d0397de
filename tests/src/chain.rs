//! What the chain itself records, read without going through the hub: delegations, unbonding
//! entries, accrued rewards; and the harness's own meter of the rewards that should accrue.

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::{
    Addr, Decimal, DelegationTotalRewardsResponse, DistributionQuery, QueryRequest, Timestamp,
    Uint128, Uint256,
};
use serde::Deserialize;

use crate::accounts::{DENOM, YEAR};
use crate::strict::{RedelegationEntry, StrictChain};
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
        self.app
            .unbonding_entries(&self.hub)
            .into_iter()
            .map(|(validator, entry)| ChainUnbonding {
                delegator: self.hub.clone(),
                validator,
                amount: entry.balance,
                payout_at: entry.completion_time,
            })
            .collect()
    }

    /// The hub's redelegation entries that have not matured: (source, destination, entry).
    pub fn chain_redelegations(&self) -> Vec<(String, String, RedelegationEntry)> {
        self.app.redelegation_entries(&self.hub)
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

    /// Rewards accrued since the last harvest and not paid out yet, computed by the harness
    /// from the delegations it saw at every time step:
    /// `floor(sum(delegation * apr * seconds / year))` per validator. Exact as long as no slash
    /// happened (a slash leaves fractional stake on the chain).
    pub fn expected_rewards(&self) -> u128 {
        assert!(
            self.meter.exact,
            "the reward meter is not exact once a validator was slashed"
        );
        self.meter.expected(&self.reward_markers())
    }

    /// Rewards the chain paid to the collector by itself since the last harvest, because a
    /// delegation changed, as the harness computes them.
    pub fn expected_auto_paid_rewards(&self) -> u128 {
        assert!(
            self.meter.exact,
            "the reward meter is not exact once a validator was slashed"
        );
        self.meter.auto_paid(&self.reward_markers())
    }

    /// When the reward period of each of the hub's delegations started: the chain starts a new
    /// one at every withdrawal, the automatic ones included.
    pub(crate) fn reward_markers(&self) -> BTreeMap<String, Timestamp> {
        self.chain_delegations()
            .into_iter()
            .filter_map(|(validator, _)| {
                let state = self.app.delegation_state(&self.hub, &validator)?;
                Some((validator, state.rewards_since))
            })
            .collect()
    }

    /// Validators in the active set, the only ones that earn rewards.
    pub(crate) fn earning_validators(&self) -> BTreeSet<String> {
        self.app
            .wrap()
            .query_all_validators()
            .unwrap()
            .into_iter()
            .map(|validator| validator.address)
            .collect()
    }
}

/// One of the hub's unbonding entries on the chain.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ChainUnbonding {
    pub delegator: Addr,
    pub validator: String,
    pub amount: Uint128,
    pub payout_at: Timestamp,
}

/// Rewards accrued per validator since its last withdrawal, in units of
/// `1 / (YEAR * 10^18)` native, so that the sum is exact; and the rewards the chain paid out by
/// itself since the last harvest. A withdrawal is seen through the delegation's reward marker:
/// when it moved, everything accrued until then was paid, rounded down.
#[derive(Debug)]
pub(crate) struct RewardMeter {
    pub(crate) accrued: BTreeMap<String, Uint256>,
    pub(crate) exact: bool,
    markers: BTreeMap<String, Timestamp>,
    auto_paid: u128,
}

impl Default for RewardMeter {
    fn default() -> Self {
        Self {
            accrued: BTreeMap::new(),
            exact: true,
            markers: BTreeMap::new(),
            auto_paid: 0,
        }
    }
}

fn whole(accrued: Uint256) -> u128 {
    let unit = Uint256::from(YEAR) * Uint256::from(10u128.pow(Decimal::DECIMAL_PLACES));
    Uint128::try_from(accrued / unit)
        .expect("rewards above u128")
        .u128()
}

impl RewardMeter {
    /// Books as paid what accrued on delegations whose reward period restarted.
    pub(crate) fn settle(&mut self, markers: &BTreeMap<String, Timestamp>) {
        let restarted: Vec<String> = self
            .accrued
            .keys()
            .filter(|validator| markers.get(*validator) != self.markers.get(*validator))
            .cloned()
            .collect();
        for validator in restarted {
            let accrued = self.accrued.remove(&validator).unwrap_or_default();
            self.auto_paid += whole(accrued);
        }
        self.markers = markers.clone();
    }

    pub(crate) fn accrue(
        &mut self,
        delegations: &[(String, u128)],
        earning: &BTreeSet<String>,
        seconds: u64,
        apr: Decimal,
    ) {
        for (validator, amount) in delegations {
            if !earning.contains(validator) {
                continue;
            }
            let added = Uint256::from(*amount)
                * Uint256::from(seconds)
                * Uint256::from(apr.atomics().u128());
            *self.accrued.entry(validator.clone()).or_default() += added;
        }
    }

    /// Starts over after a harvest withdrew everything.
    pub(crate) fn reset(&mut self, markers: BTreeMap<String, Timestamp>) {
        self.accrued.clear();
        self.auto_paid = 0;
        self.markers = markers;
    }

    /// What a harvest would withdraw now.
    pub(crate) fn expected(&self, markers: &BTreeMap<String, Timestamp>) -> u128 {
        self.accrued
            .iter()
            .filter(|(validator, _)| markers.get(*validator) == self.markers.get(*validator))
            .map(|(_, accrued)| whole(*accrued))
            .sum()
    }

    /// What the chain paid by itself since the last harvest.
    pub(crate) fn auto_paid(&self, markers: &BTreeMap<String, Timestamp>) -> u128 {
        let pending_restarts: u128 = self
            .accrued
            .iter()
            .filter(|(validator, _)| markers.get(*validator) != self.markers.get(*validator))
            .map(|(_, accrued)| whole(*accrued))
            .sum();
        self.auto_paid + pending_restarts
    }
}

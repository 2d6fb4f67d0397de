//! The cw-multi-test `App` on the strict chain, and the operations on it that go beyond the
//! chain's messages: slashes at a height, jailing, and views of the entries.

use cosmwasm_std::testing::{MockApi, MockStorage};
use cosmwasm_std::{Addr, Empty, Storage, Validator};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{
    App, AppBuilder, AppResponse, BankKeeper, FailingModule, GovFailingModule, IbcFailingModule,
    Router, StakingInfo, StargateFailing, WasmKeeper,
};

use super::state::{DelegationState, RedelegationEntry, UnbondingEntry, ValidatorState};
use super::{StrictDistribution, StrictStaking, StrictSudo};

/// An `App` like cw-multi-test's default one, on the strict chain.
pub type StrictApp = App<
    BankKeeper,
    MockApi,
    MockStorage,
    FailingModule<Empty, Empty, Empty>,
    WasmKeeper<Empty, Empty>,
    StrictStaking,
    StrictDistribution,
    IbcFailingModule,
    GovFailingModule,
    StargateFailing,
>;

/// The router of a [`StrictApp`], as its init function receives it.
pub type StrictRouter = Router<
    BankKeeper,
    FailingModule<Empty, Empty, Empty>,
    WasmKeeper<Empty, Empty>,
    StrictStaking,
    StrictDistribution,
    IbcFailingModule,
    GovFailingModule,
    StargateFailing,
>;

/// An `AppBuilder` with the strict chain's modules, for callers that set more up themselves.
pub type StrictAppBuilder = AppBuilder<
    BankKeeper,
    MockApi,
    MockStorage,
    FailingModule<Empty, Empty, Empty>,
    WasmKeeper<Empty, Empty>,
    StrictStaking,
    StrictDistribution,
    IbcFailingModule,
    GovFailingModule,
    StargateFailing,
>;

pub fn strict_app_builder() -> StrictAppBuilder {
    AppBuilder::new()
        .with_staking(StrictStaking::new())
        .with_distribution(StrictDistribution::new())
}

/// Builds an app on the strict chain with the staking parameters `info` and the bonded
/// `validators` (their commission applies to rewards), then runs `init` (to fund accounts).
pub fn strict_app<F>(info: StakingInfo, validators: Vec<Validator>, init: F) -> StrictApp
where
    F: FnOnce(&mut StrictRouter, &MockApi, &mut dyn Storage),
{
    let builder = strict_app_builder();
    let block = cosmwasm_std::testing::mock_env().block;
    builder
        .with_block(block.clone())
        .build(|router, api, storage| {
            router
                .staking
                .setup(storage, &block, info)
                .expect("strict chain setup failed");
            for validator in validators {
                router
                    .staking
                    .add_validator(api, storage, &block, validator)
                    .expect("adding a validator failed");
            }
            init(router, api, storage);
        })
}

/// The strict chain's own operations on a [`StrictApp`].
pub trait StrictChain {
    /// Runs a slash at a height, a jailing or an unjailing. Each is validated before anything
    /// changes, so a refused one leaves the chain as it was.
    fn strict_sudo(&mut self, msg: StrictSudo) -> AnyResult<AppResponse>;
    /// The account holding every bonded and unbonding token.
    fn staking_pool(&self) -> Addr;
    /// The delegator's unbonding entries not yet paid out, as (validator, entry).
    fn unbonding_entries(&self, delegator: &Addr) -> Vec<(String, UnbondingEntry)>;
    /// The delegator's redelegation entries not yet matured, as (source, destination, entry).
    fn redelegation_entries(&self, delegator: &Addr) -> Vec<(String, String, RedelegationEntry)>;
    /// Creation height of the oldest entry a slash of `validator` could still reach.
    fn oldest_entry_height(&self, validator: &str) -> Option<u64>;
    fn validator_state(&self, address: &str) -> Option<ValidatorState>;
    fn delegation_state(&self, delegator: &Addr, validator: &str) -> Option<DelegationState>;
}

impl StrictChain for StrictApp {
    fn strict_sudo(&mut self, msg: StrictSudo) -> AnyResult<AppResponse> {
        let block = self.block_info();
        self.init_modules(|router, api, storage| {
            let router: &StrictRouter = router;
            router
                .staking
                .sudo_strict(api, storage, router, &block, msg)
        })
    }

    fn staking_pool(&self) -> Addr {
        self.router().staking.pool().clone()
    }

    fn unbonding_entries(&self, delegator: &Addr) -> Vec<(String, UnbondingEntry)> {
        self.read_module(|router, _, storage| router.staking.unbonding_entries(storage, delegator))
            .expect("unreadable unbonding entries")
    }

    fn redelegation_entries(&self, delegator: &Addr) -> Vec<(String, String, RedelegationEntry)> {
        self.read_module(|router, _, storage| {
            router.staking.redelegation_entries(storage, delegator)
        })
        .expect("unreadable redelegation entries")
    }

    fn oldest_entry_height(&self, validator: &str) -> Option<u64> {
        self.read_module(|router, _, storage| router.staking.entry_heights(storage, validator))
            .expect("unreadable entries")
            .into_iter()
            .min()
    }

    fn validator_state(&self, address: &str) -> Option<ValidatorState> {
        self.read_module(|router, _, storage| router.staking.validator_state(storage, address))
            .expect("unreadable validator")
    }

    fn delegation_state(&self, delegator: &Addr, validator: &str) -> Option<DelegationState> {
        self.read_module(|router, _, storage| {
            router
                .staking
                .delegation_state(storage, delegator, validator)
        })
        .expect("unreadable delegation")
    }
}

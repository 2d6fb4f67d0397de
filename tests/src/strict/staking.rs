//! `StrictStaking`: the strict chain's staking module for cw-multi-test. Messages are in
//! `delegation`, queries in `queries`, slashes and jailing in `slashing`; this file holds the
//! module itself, its set-up, the views of its state and the end of block that pays matured
//! unbondings.

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{
    Addr, Api, BankMsg, Binary, BlockInfo, Coin, CustomMsg, CustomQuery, Decimal256, Order,
    Querier, StakingMsg, StakingQuery, StdResult, Storage, Uint128, Uint256, Validator,
};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{AppResponse, CosmosRouter, Module, Staking, StakingInfo, StakingSudo};

use super::delegation::{delegate, redelegate, undelegate};
use super::error::ChainError;
use super::queries::staking_query;
use super::slashing::{jail, set_unbonding_time, slash, tombstone, unjail};
use super::state::{
    all_redelegations, all_unbondings, is_removable, note_maturity, remove_validator,
    save_validator, ChainParams, DelegationState, RedelegationEntry, UnbondingEntry,
    ValidatorState, ValidatorStatus, DEFAULT_POWER_REDUCTION, DELEGATIONS, LAST_BLOCK,
    NEXT_MATURITY, PARAMS, REDELEGATIONS, UNBONDINGS, VALIDATORS,
};
use super::{Env, StrictSudo};

/// The staking module of the strict chain. Bonded and unbonding tokens are held by one pool
/// account, [`StrictStaking::pool`].
#[derive(Clone, Debug)]
pub struct StrictStaking {
    pool: Addr,
}

impl Default for StrictStaking {
    fn default() -> Self {
        Self {
            pool: MockApi::default().addr_make("bonded_tokens_pool"),
        }
    }
}

impl StrictStaking {
    pub fn new() -> Self {
        Self::default()
    }

    /// The account that holds every delegated and unbonding token.
    pub fn pool(&self) -> &Addr {
        &self.pool
    }

    /// Sets the chain's parameters, as `StakeKeeper::setup` does, and records `block` as the
    /// block now running: its end of block runs when cw-multi-test announces the next one.
    pub fn setup(
        &self,
        storage: &mut dyn Storage,
        block: &BlockInfo,
        info: StakingInfo,
    ) -> StdResult<()> {
        LAST_BLOCK.save(storage, block)?;
        PARAMS.save(
            storage,
            &ChainParams {
                bonded_denom: info.bonded_denom,
                unbonding_time: info.unbonding_time,
                apr: info.apr,
                power_reduction: Uint128::new(DEFAULT_POWER_REDUCTION),
            },
        )
    }

    /// Sets x/staking's `PowerReduction` (tokens per unit of consensus power), which a slash
    /// counts the validator's power in.
    pub fn set_power_reduction(&self, storage: &mut dyn Storage, tokens: u128) -> StdResult<()> {
        let mut params = PARAMS.load(storage)?;
        params.power_reduction = Uint128::new(tokens.max(1));
        PARAMS.save(storage, &params)
    }

    /// Adds a bonded validator with no stake; its commission is taken from `validator`.
    pub fn add_validator(
        &self,
        _api: &dyn Api,
        storage: &mut dyn Storage,
        block: &BlockInfo,
        validator: Validator,
    ) -> AnyResult<()> {
        if VALIDATORS.has(storage, &validator.address) {
            return Err(ChainError::ValidatorExists {
                address: validator.address,
            }
            .into());
        }
        let state = ValidatorState {
            info: validator,
            tokens: Default::default(),
            delegator_shares: Decimal256::zero(),
            jailed: false,
            status: ValidatorStatus::Bonded,
            reward_index: Uint256::zero(),
            index_time: block.time,
        };
        save_validator(storage, block.height, &state)?;
        Ok(())
    }

    /// Runs a slash at a height, a jailing or an unjailing.
    pub fn sudo_strict<ExecC: CustomMsg, QueryC: CustomQuery>(
        &self,
        api: &dyn Api,
        storage: &mut dyn Storage,
        router: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        block: &BlockInfo,
        msg: StrictSudo,
    ) -> AnyResult<AppResponse> {
        let env = self.env(api, router, block);
        match msg {
            StrictSudo::Slash {
                validator,
                infraction_height,
                fraction,
            } => slash(&env, storage, &validator, infraction_height, fraction),
            StrictSudo::Jail { validator } => jail(&env, storage, &validator),
            StrictSudo::Unjail { validator } => unjail(&env, storage, &validator),
            StrictSudo::Tombstone { validator } => tombstone(&env, storage, &validator),
            StrictSudo::SetUnbondingTime { seconds } => set_unbonding_time(storage, seconds),
        }
    }

    /// A validator's state, if it exists.
    pub fn validator_state(
        &self,
        storage: &dyn Storage,
        address: &str,
    ) -> StdResult<Option<ValidatorState>> {
        VALIDATORS.may_load(storage, address)
    }

    /// A delegation's state, if it exists.
    pub fn delegation_state(
        &self,
        storage: &dyn Storage,
        delegator: &Addr,
        validator: &str,
    ) -> StdResult<Option<DelegationState>> {
        DELEGATIONS.may_load(storage, (delegator, validator))
    }

    /// The delegator's unbonding entries not yet paid out, as (validator, entry).
    pub fn unbonding_entries(
        &self,
        storage: &dyn Storage,
        delegator: &Addr,
    ) -> StdResult<Vec<(String, UnbondingEntry)>> {
        let mut all = vec![];
        for item in UNBONDINGS
            .prefix(delegator)
            .range(storage, None, None, Order::Ascending)
        {
            let (validator, entries) = item?;
            all.extend(entries.into_iter().map(|entry| (validator.clone(), entry)));
        }
        Ok(all)
    }

    /// The delegator's redelegation entries not yet matured, as (source, destination, entry).
    pub fn redelegation_entries(
        &self,
        storage: &dyn Storage,
        delegator: &Addr,
    ) -> StdResult<Vec<(String, String, RedelegationEntry)>> {
        let mut all = vec![];
        for item in REDELEGATIONS
            .sub_prefix(delegator)
            .range(storage, None, None, Order::Ascending)
        {
            let ((source, destination), entries) = item?;
            all.extend(
                entries
                    .into_iter()
                    .map(|entry| (source.clone(), destination.clone(), entry)),
            );
        }
        Ok(all)
    }

    /// Creation heights of the entries a slash of `validator` could still reach: its pending
    /// unbonding entries and the pending redelegation entries out of it, of every delegator.
    pub fn entry_heights(&self, storage: &dyn Storage, validator: &str) -> StdResult<Vec<u64>> {
        let mut heights = vec![];
        for ((_, from), entries) in all_unbondings(storage)? {
            if from == validator {
                heights.extend(entries.iter().map(|entry| entry.creation_height));
            }
        }
        for ((_, source, _), entries) in all_redelegations(storage)? {
            if source == validator {
                heights.extend(entries.iter().map(|entry| entry.creation_height));
            }
        }
        Ok(heights)
    }

    fn env<'a, ExecC: CustomMsg, QueryC: CustomQuery>(
        &'a self,
        api: &'a dyn Api,
        router: &'a dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        block: &'a BlockInfo,
    ) -> Env<'a, ExecC, QueryC> {
        Env {
            api,
            router,
            block,
            pool: &self.pool,
        }
    }

    /// The block whose transactions are running now, as last announced by cw-multi-test.
    pub fn current_block(&self, storage: &dyn Storage) -> StdResult<Option<BlockInfo>> {
        LAST_BLOCK.may_load(storage)
    }

    /// x/staking's end blocker (`BlockValidatorUpdates`) for the block `env.block`, after its
    /// transactions: validators jailed for the whole unbonding time become unbonded
    /// (`UnbondAllMatureValidators`), and are deleted if no shares are left; matured
    /// unbonding entries are paid to their delegators (`CompleteUnbonding`); matured
    /// redelegation entries are removed (`CompleteRedelegation`), which lifts the
    /// transitive-redelegation block. "Matured" is a completion time at or before the block's
    /// time.
    fn end_block<ExecC: CustomMsg, QueryC: CustomQuery>(
        &self,
        env: &Env<ExecC, QueryC>,
        storage: &mut dyn Storage,
    ) -> AnyResult<AppResponse> {
        let Some(params) = PARAMS.may_load(storage)? else {
            return Ok(AppResponse::default());
        };
        let now = env.block.time;
        match NEXT_MATURITY.may_load(storage)? {
            Some(next) if next <= now => {}
            _ => return Ok(AppResponse::default()),
        }
        NEXT_MATURITY.remove(storage);

        let validators: Vec<ValidatorState> = VALIDATORS
            .range(storage, None, None, Order::Ascending)
            .map(|item| item.map(|(_, state)| state))
            .collect::<StdResult<_>>()?;
        for mut state in validators {
            if let ValidatorStatus::Unbonding { completes_at, .. } = state.status {
                if completes_at <= now {
                    state.status = ValidatorStatus::Unbonded;
                    if is_removable(&state) {
                        remove_validator(storage, &state.info.address)?;
                    } else {
                        save_validator(storage, env.block.height, &state)?;
                    }
                } else {
                    note_maturity(storage, completes_at)?;
                }
            }
        }

        for ((delegator, validator), entries) in all_unbondings(storage)? {
            let (matured, pending): (Vec<_>, Vec<_>) = entries
                .into_iter()
                .partition(|entry| entry.completion_time <= now);
            for entry in &pending {
                note_maturity(storage, entry.completion_time)?;
            }
            if matured.is_empty() {
                continue;
            }
            if pending.is_empty() {
                UNBONDINGS.remove(storage, (&delegator, &validator));
            } else {
                UNBONDINGS.save(storage, (&delegator, &validator), &pending)?;
            }
            let paid: Uint128 = matured.iter().map(|entry| entry.balance).sum();
            if !paid.is_zero() {
                let send = BankMsg::Send {
                    to_address: delegator.to_string(),
                    amount: vec![Coin::new(paid, &params.bonded_denom)],
                };
                env.router
                    .execute(env.api, storage, env.block, self.pool.clone(), send.into())?;
            }
        }

        for ((delegator, source, destination), entries) in all_redelegations(storage)? {
            let pending: Vec<RedelegationEntry> = entries
                .into_iter()
                .filter(|entry| entry.completion_time > now)
                .collect();
            for entry in &pending {
                note_maturity(storage, entry.completion_time)?;
            }
            let key = (&delegator, source.as_str(), destination.as_str());
            if pending.is_empty() {
                REDELEGATIONS.remove(storage, key);
            } else {
                REDELEGATIONS.save(storage, key, &pending)?;
            }
        }
        Ok(AppResponse::default())
    }
}

impl Staking for StrictStaking {
    /// cw-multi-test calls this from `App::update_block` and `App::set_block` with the NEW
    /// block, before any of its transactions. x/staking's `EndBlocker` runs at the end of a
    /// block, after its transactions, with that block's height and time; so this runs the end
    /// of block of the PREVIOUS block (the one whose transactions have all run) and then
    /// records `block` as the one now running. A call that announces no later block (same
    /// height and time) only records it.
    fn process_queue<ExecC: CustomMsg, QueryC: CustomQuery>(
        &self,
        api: &dyn Api,
        storage: &mut dyn Storage,
        router: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        block: &BlockInfo,
    ) -> AnyResult<AppResponse> {
        let previous = LAST_BLOCK.may_load(storage)?;
        let response = match previous {
            Some(previous) if block.height > previous.height || block.time > previous.time => {
                let env = self.env(api, router, &previous);
                self.end_block(&env, storage)?
            }
            _ => AppResponse::default(),
        };
        LAST_BLOCK.save(storage, block)?;
        Ok(response)
    }
}

impl Module for StrictStaking {
    type ExecT = StakingMsg;
    type QueryT = StakingQuery;
    type SudoT = StakingSudo;

    fn execute<ExecC, QueryC>(
        &self,
        api: &dyn Api,
        storage: &mut dyn Storage,
        router: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        block: &BlockInfo,
        sender: Addr,
        msg: StakingMsg,
    ) -> AnyResult<AppResponse>
    where
        ExecC: CustomMsg + serde::de::DeserializeOwned + 'static,
        QueryC: CustomQuery + serde::de::DeserializeOwned + 'static,
    {
        let env = self.env(api, router, block);
        match msg {
            StakingMsg::Delegate { validator, amount } => {
                delegate(&env, storage, &sender, &validator, amount)
            }
            StakingMsg::Undelegate { validator, amount } => {
                undelegate(&env, storage, &sender, &validator, amount)
            }
            StakingMsg::Redelegate {
                src_validator,
                dst_validator,
                amount,
            } => redelegate(
                &env,
                storage,
                &sender,
                &src_validator,
                &dst_validator,
                amount,
            ),
            other => Err(ChainError::Unsupported {
                what: format!("{other:?}"),
            }
            .into()),
        }
    }

    fn query(
        &self,
        api: &dyn Api,
        storage: &dyn Storage,
        _querier: &dyn Querier,
        block: &BlockInfo,
        request: StakingQuery,
    ) -> AnyResult<Binary> {
        staking_query(api, storage, block, request)
    }

    /// cw-multi-test's `StakingSudo::Slash` has no height: it is a slash for an infraction at
    /// the current height, which reaches the bonded tokens only.
    fn sudo<ExecC, QueryC>(
        &self,
        api: &dyn Api,
        storage: &mut dyn Storage,
        router: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        block: &BlockInfo,
        msg: StakingSudo,
    ) -> AnyResult<AppResponse>
    where
        ExecC: CustomMsg + serde::de::DeserializeOwned + 'static,
        QueryC: CustomQuery + serde::de::DeserializeOwned + 'static,
    {
        match msg {
            StakingSudo::Slash {
                validator,
                percentage,
            } => {
                let msg = StrictSudo::Slash {
                    validator,
                    infraction_height: block.height,
                    fraction: percentage,
                };
                self.sudo_strict(api, storage, router, block, msg)
            }
        }
    }
}

//! Configuration, pause, ownership and migration. Roles are checked before dispatch (`guard`).

use cosmwasm_std::{Addr, Decimal, DepsMut, Env, Response};
use flowstake::hub::{ConfigUpdate, Operation};
use flowstake::{MAX_BUFFER_TARGET, MAX_EXIT_FEE, MAX_FEE_RATE, MAX_REWARD_RATE_CAP};

use crate::error::ContractError;
use crate::state::{Config, CONFIG, PAUSED};

/// Name recorded in cw2, checked at migration.
pub const CONTRACT_NAME: &str = "crates.io:flowstake-hub";
/// Version recorded in cw2, checked at migration.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

fn ensure_nonzero(value: bool, field: &str) -> Result<(), ContractError> {
    if value {
        return Err(ContractError::ZeroValue {
            field: field.to_string(),
        });
    }
    Ok(())
}

/// A fraction in `(0, 1)`, or in `(0, 1]` when `one_allowed`.
fn ensure_fraction(value: Decimal, field: &str, one_allowed: bool) -> Result<(), ContractError> {
    let above = if one_allowed {
        value > Decimal::one()
    } else {
        value >= Decimal::one()
    };
    if value.is_zero() || above {
        return Err(ContractError::InvalidFraction {
            field: field.to_string(),
            value,
        });
    }
    Ok(())
}

/// Every bound on the configuration, checked at instantiation and on every update.
pub fn validate_config(config: &Config) -> Result<(), ContractError> {
    ensure_nonzero(config.denom.is_empty(), "denom")?;
    if config.fee_rate > MAX_FEE_RATE {
        return Err(ContractError::FeeTooHigh {
            fee_rate: config.fee_rate,
            max: MAX_FEE_RATE,
        });
    }
    ensure_nonzero(config.min_bond.is_zero(), "min_bond")?;
    ensure_nonzero(config.min_unbond.is_zero(), "min_unbond")?;
    ensure_nonzero(config.unbonding_period == 0, "unbonding_period")?;
    // Liveness only: seven epochs spanning the unbonding period let a batch go out every epoch.
    // The chain's limit of seven entries is kept at submission from the completion times the
    // chain returned, whatever the chain's unbonding time does.
    ensure_nonzero(config.epoch_period == 0, "epoch_period")?;
    if config.epoch_period.saturating_mul(7) < config.unbonding_period {
        return Err(ContractError::EpochTooShort {
            epoch_period: config.epoch_period,
            unbonding_period: config.unbonding_period,
        });
    }
    if config.max_reward_rate.is_zero() || config.max_reward_rate > MAX_REWARD_RATE_CAP {
        return Err(ContractError::InvalidRewardRate {
            value: config.max_reward_rate,
            max: MAX_REWARD_RATE_CAP,
        });
    }
    // A shortfall bound of one accepts any loss: governance's way to let reconcile book a
    // batch that lost everything, so that later batches and their requests move on.
    ensure_fraction(config.max_unbond_shortfall, "max_unbond_shortfall", true)?;
    ensure_fraction(config.rate_bounds.max_fall, "rate_bounds.max_fall", false)?;
    ensure_fraction(config.rate_bounds.max_rise, "rate_bounds.max_rise", false)?;
    if config.liquidity.buffer_target > MAX_BUFFER_TARGET {
        return Err(ContractError::BufferTargetTooHigh {
            value: config.liquidity.buffer_target,
            max: MAX_BUFFER_TARGET,
        });
    }
    if config.liquidity.exit_fee > MAX_EXIT_FEE {
        return Err(ContractError::ExitFeeTooHigh {
            value: config.liquidity.exit_fee,
            max: MAX_EXIT_FEE,
        });
    }
    Ok(())
}

pub fn update_config(deps: DepsMut, update: Box<ConfigUpdate>) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    let validate =
        |address: String| -> Result<Addr, ContractError> { Ok(deps.api.addr_validate(&address)?) };
    let ConfigUpdate {
        guardian,
        clear_guardian,
        fee_receiver,
        fee_rate,
        min_bond,
        min_unbond,
        epoch_period,
        unbonding_period,
        max_unbond_shortfall,
        rate_bounds,
        max_reward_rate,
        liquidity,
    } = *update;
    if let Some(guardian) = guardian {
        config.guardian = Some(validate(guardian)?);
    }
    if clear_guardian == Some(true) {
        config.guardian = None;
    }
    if let Some(fee_receiver) = fee_receiver {
        config.fee_receiver = validate(fee_receiver)?;
    }
    config.fee_rate = fee_rate.unwrap_or(config.fee_rate);
    config.min_bond = min_bond.unwrap_or(config.min_bond);
    config.min_unbond = min_unbond.unwrap_or(config.min_unbond);
    config.epoch_period = epoch_period.unwrap_or(config.epoch_period);
    config.unbonding_period = unbonding_period.unwrap_or(config.unbonding_period);
    config.max_unbond_shortfall = max_unbond_shortfall.unwrap_or(config.max_unbond_shortfall);
    config.rate_bounds = rate_bounds.unwrap_or(config.rate_bounds);
    config.max_reward_rate = max_reward_rate.unwrap_or(config.max_reward_rate);
    config.liquidity = liquidity.unwrap_or(config.liquidity);
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}

/// Pauses (`paused = true`) or unpauses the given operations.
pub fn pause(
    deps: DepsMut,
    operations: Vec<Operation>,
    paused: bool,
) -> Result<Response, ContractError> {
    let mut current = PAUSED.load(deps.storage)?;
    current.retain(|op| !operations.contains(op));
    if paused {
        current.extend(operations.iter().copied());
    }
    current.sort();
    PAUSED.save(deps.storage, &current)?;
    let names: Vec<String> = operations.iter().map(|op| format!("{op:?}")).collect();
    Ok(Response::new()
        .add_attribute("action", if paused { "pause" } else { "unpause" })
        .add_attribute("operations", names.join(",")))
}

pub fn update_ownership(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    action: cw_ownable::Action,
) -> Result<Response, ContractError> {
    let ownership = cw_ownable::update_ownership(deps, &env.block, &sender, action)?;
    Ok(Response::new()
        .add_attribute("action", "update_ownership")
        .add_attributes(ownership.into_attributes()))
}

/// Refuses a migration from another contract or from a newer version (cw2's own check), then
/// records this version.
pub fn migrate(deps: DepsMut) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    cw2::ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION).map_err(
        |_| ContractError::MigrationRefused {
            contract: stored.contract.clone(),
            from: stored.version.clone(),
            to: CONTRACT_VERSION.to_string(),
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

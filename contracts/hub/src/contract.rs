//! Entry points: validate the raw input, check role and pause, dispatch.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response};
use cw_utils::nonpayable;
use flowstake::hub::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::execute::{admin, bond, harvest, setup, unbond, validators, withdraw};
use crate::{guard, query};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    setup::instantiate(deps, env, info, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    guard::check(deps.as_ref(), &info, &msg)?;
    if !matches!(msg, ExecuteMsg::Bond { .. } | ExecuteMsg::ReceiveRewards {}) {
        nonpayable(&info)?;
    }
    let sender = info.sender.clone();
    match msg {
        ExecuteMsg::Bond {
            receiver,
            min_shares,
            forward,
        } => {
            let request = bond::BondRequest {
                receiver,
                min_shares,
                forward,
            };
            bond::bond(deps, env, info, request)
        }
        ExecuteMsg::Harvest {} => harvest::harvest(deps, env),
        ExecuteMsg::ReceiveRewards {} => harvest::receive_rewards(deps, env, info),
        ExecuteMsg::Sync {} => harvest::sync(deps, env),
        ExecuteMsg::SweepRewards { denoms } => harvest::sweep_rewards(deps, denoms),
        ExecuteMsg::Receive(cw20_msg) => unbond::receive(deps, env, sender, cw20_msg),
        ExecuteMsg::CancelUnbond {} => unbond::cancel(deps, sender),
        ExecuteMsg::SubmitBatch {} => unbond::submit(deps, env),
        ExecuteMsg::Reconcile { limit } => withdraw::reconcile(deps, env, limit),
        ExecuteMsg::WithdrawUnbonded { receiver, limit } => {
            withdraw::withdraw(deps, sender, receiver, limit)
        }
        ExecuteMsg::AddValidator { address, weight } => validators::add(deps, address, weight),
        ExecuteMsg::RemoveValidator { address } => validators::remove(deps, env, address),
        ExecuteMsg::SetValidatorWeight { address, weight } => {
            validators::set_weight(deps, address, weight)
        }
        ExecuteMsg::PauseValidator { address } => validators::set_paused(deps, address, true),
        ExecuteMsg::UnpauseValidator { address } => validators::set_paused(deps, address, false),
        ExecuteMsg::UpdateConfig(update) => admin::update_config(deps, update),
        ExecuteMsg::Pause { operations } => admin::pause(deps, operations, true),
        ExecuteMsg::Unpause { operations } => admin::pause(deps, operations, false),
        ExecuteMsg::UpdateOwnership(action) => admin::update_ownership(deps, env, sender, action),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, env: Env, msg: Reply) -> Result<Response, ContractError> {
    match setup::ReplyId::try_from(msg.id)? {
        setup::ReplyId::BatchUndelegated => unbond::undelegated(deps, msg),
        _ => setup::reply(deps, env, msg),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    query::query(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    admin::migrate(deps)
}

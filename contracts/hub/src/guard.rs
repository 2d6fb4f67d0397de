//! The checks made before any execute message is dispatched: who may send it, and whether its
//! operation is paused. Each lives here once, not in the handlers.

use cosmwasm_std::{Deps, MessageInfo};
use flowstake::hub::{ExecuteMsg, Operation};

use crate::error::ContractError;
use crate::state::{CONFIG, PAUSED};

/// Who may send a message.
enum Role {
    Anyone,
    /// The guardian or the owner.
    Guardian,
    Owner,
}

fn role(msg: &ExecuteMsg) -> Role {
    match msg {
        ExecuteMsg::AddValidator { .. }
        | ExecuteMsg::RemoveValidator { .. }
        | ExecuteMsg::SetValidatorWeight { .. }
        | ExecuteMsg::PauseValidator { .. }
        | ExecuteMsg::UnpauseValidator { .. }
        | ExecuteMsg::UpdateConfig(_)
        | ExecuteMsg::Unpause { .. } => Role::Owner,
        ExecuteMsg::Pause { .. } => Role::Guardian,
        // Ownership changes are checked by cw-ownable itself; the collector-only and
        // token-only entry points check their caller in their handlers.
        _ => Role::Anyone,
    }
}

/// The pausable operation a message belongs to, if any. Withdrawing matured funds and
/// reconcile are never paused.
pub fn operation(msg: &ExecuteMsg) -> Option<Operation> {
    match msg {
        ExecuteMsg::Bond { .. } => Some(Operation::Bond),
        ExecuteMsg::Receive(_) | ExecuteMsg::CancelUnbond {} | ExecuteMsg::SubmitBatch {} => {
            Some(Operation::Unbond)
        }
        ExecuteMsg::Harvest {} => Some(Operation::Harvest),
        _ => None,
    }
}

pub fn check(deps: Deps, info: &MessageInfo, msg: &ExecuteMsg) -> Result<(), ContractError> {
    match role(msg) {
        Role::Anyone => {}
        Role::Owner => cw_ownable::assert_owner(deps.storage, &info.sender)?,
        Role::Guardian => {
            let guardian = CONFIG.load(deps.storage)?.guardian;
            let is_guardian = guardian.as_ref() == Some(&info.sender);
            if !is_guardian && !cw_ownable::is_owner(deps.storage, &info.sender)? {
                return Err(ContractError::NotGuardian {
                    sender: info.sender.to_string(),
                });
            }
        }
    }
    if let Some(operation) = operation(msg) {
        if PAUSED.load(deps.storage)?.contains(&operation) {
            return Err(ContractError::Paused { operation });
        }
    }
    Ok(())
}

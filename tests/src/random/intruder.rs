//! Intruders: a user sending a message only a role may send (the owner, the guardian, the
//! reward collector, the derivative token). Each must be refused for the role, changing
//! nothing (invariant 8).

use cosmwasm_std::{coins, to_json_binary, Decimal, Uint128};
use cw20::Cw20ReceiveMsg;
use cw_ownable::{Action, OwnershipError};
use flowstake::hub::{ConfigUpdate, ExecuteMsg, Operation, ReceiveMsg};
use flowstake_hub::error::ContractError as HubError;

use super::outcome::Refusal;
use super::world::World;
use super::{fail, Checked};
use crate::accounts::DENOM;

impl World {
    /// A privileged message from a user: refused for the role, and nothing changes.
    pub fn intruder(&mut self, drawn: usize, kind: u8) -> Checked {
        let user = self.user_index(drawn);
        let sender = self.user(user);
        let validator = self.chain_validator(usize::from(kind));
        let (msg, funds) = match kind % 13 {
            0 => (
                ExecuteMsg::AddValidator {
                    address: validator,
                    weight: 1,
                },
                vec![],
            ),
            1 => (ExecuteMsg::RemoveValidator { address: validator }, vec![]),
            2 => (
                ExecuteMsg::SetValidatorWeight {
                    address: validator,
                    weight: 5,
                },
                vec![],
            ),
            3 => (ExecuteMsg::PauseValidator { address: validator }, vec![]),
            4 => (ExecuteMsg::UnpauseValidator { address: validator }, vec![]),
            5 => (
                config_update(ConfigUpdate {
                    fee_rate: Some(Decimal::percent(1)),
                    ..Default::default()
                }),
                vec![],
            ),
            6 => (
                config_update(ConfigUpdate {
                    guardian: Some(sender.to_string()),
                    fee_receiver: Some(sender.to_string()),
                    ..Default::default()
                }),
                vec![],
            ),
            7 => (
                ExecuteMsg::Unpause {
                    operations: vec![Operation::Bond, Operation::Unbond, Operation::Harvest],
                },
                vec![],
            ),
            8 => (
                ExecuteMsg::Pause {
                    operations: vec![Operation::Bond],
                },
                vec![],
            ),
            9 => (
                ExecuteMsg::UpdateOwnership(Action::TransferOwnership {
                    new_owner: sender.to_string(),
                    expiry: None,
                }),
                vec![],
            ),
            10 => (ExecuteMsg::ReceiveRewards {}, coins(1_000, DENOM)),
            11 => {
                let hook = ReceiveMsg::QueueUnbond { receiver: None };
                let forged = Cw20ReceiveMsg {
                    sender: sender.to_string(),
                    amount: Uint128::new(1_000_000),
                    msg: to_json_binary(&hook).expect("hook"),
                };
                (ExecuteMsg::Receive(forged), vec![])
            }
            _ => (ExecuteMsg::UpdateOwnership(Action::AcceptOwnership), vec![]),
        };
        let result = self.execute_hub(&sender, &msg, &funds);
        let before = self.observe_next();
        self.stats.invariant_checks += 1;
        let Err(err) = result else {
            return Err(fail(
                "8 privileged",
                format!("{msg:?} accepted from user{user}"),
            ));
        };
        let unbond_paused = before.is_paused(Operation::Unbond);
        self.refused(&err, &before, &[user], |refusal| match refusal {
            Refusal::Hub(HubError::Ownership(OwnershipError::NotOwner)) => {
                kind % 13 < 10 && kind % 13 != 8
            }
            // The forged hook is a queue request: a paused queue refuses it first.
            Refusal::Hub(HubError::Paused { operation }) => {
                kind % 13 == 11 && *operation == Operation::Unbond && unbond_paused
            }
            Refusal::Hub(HubError::NotGuardian { .. }) => kind % 13 == 8,
            Refusal::Hub(HubError::NotCollector { .. }) => kind % 13 == 10,
            Refusal::Hub(HubError::ForeignToken { .. }) => kind % 13 == 11,
            Refusal::Hub(HubError::Ownership(_)) => kind % 13 == 12,
            _ => false,
        })
    }
}

fn config_update(update: ConfigUpdate) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig(Box::new(update))
}

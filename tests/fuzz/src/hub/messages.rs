//! The hub's messages built from their mirrors, and the accounts, validators and funds they
//! name.

use cosmwasm_std::{coin, to_json_binary, Addr, Binary, Coin, Decimal, Uint128};
use cw20::Cw20ReceiveMsg;
use cw_ownable::{Action as OwnershipAction, Expiration};
use flowstake::hub::{ConfigUpdate, ExecuteMsg, Operation, QueryMsg, RateBounds, ReceiveMsg};

use super::{World, CHAIN_VALIDATORS, DENOM, MAX_EDITS, OTHER_DENOM, USERS};
use crate::input::{
    ConfigChoice, DenomChoice, Edit, EditKind, ExpiryChoice, Fund, Hook, Msg, OwnershipChoice,
    PausableOp, Query, ValidatorChoice, Who,
};

impl World {
    pub fn now(&self) -> u64 {
        self.env.block.time.seconds()
    }

    pub(crate) fn user(&self, index: u8) -> &Addr {
        &self.accounts.users[usize::from(index) % USERS]
    }

    /// The address string of an account.
    pub fn name(&self, who: &Who) -> String {
        let accounts = &self.accounts;
        match who {
            Who::Owner => accounts.owner.to_string(),
            Who::Guardian => accounts.guardian.to_string(),
            Who::Token => accounts.token.to_string(),
            Who::Collector => accounts.collector.to_string(),
            Who::FeeReceiver => accounts.fee_receiver.to_string(),
            Who::Hub => accounts.hub.to_string(),
            Who::Creator => accounts.creator.to_string(),
            Who::User(index) => self.user(*index).to_string(),
            Who::Raw(raw) => raw.clone(),
        }
    }

    /// The sender of a call: on a chain always a valid address, so a raw string names some
    /// other account.
    pub(crate) fn sender(&self, who: &Who) -> Addr {
        match who {
            Who::Raw(raw) => self.deps.api.addr_make(raw),
            _ => Addr::unchecked(self.name(who)),
        }
    }

    pub(crate) fn validator(&self, choice: &ValidatorChoice) -> String {
        match choice {
            ValidatorChoice::Chain(index) => {
                CHAIN_VALIDATORS[usize::from(*index) % CHAIN_VALIDATORS.len()].to_string()
            }
            ValidatorChoice::Raw(raw) => raw.clone(),
        }
    }

    pub(crate) fn denom(choice: &DenomChoice) -> String {
        match choice {
            DenomChoice::Staking => DENOM.to_string(),
            DenomChoice::Other => OTHER_DENOM.to_string(),
            DenomChoice::Raw(raw) => raw.clone(),
        }
    }

    pub(crate) fn funds(&self, funds: &[Fund]) -> Vec<Coin> {
        funds
            .iter()
            .take(4)
            .map(|fund| coin(fund.amount.value(), World::denom(&fund.denom)))
            .collect()
    }

    pub(crate) fn hook(&self, hook: &Hook) -> Binary {
        match hook {
            Hook::QueueUnbond { receiver } => to_json_binary(&ReceiveMsg::QueueUnbond {
                receiver: receiver.as_ref().map(|who| self.name(who)),
            })
            .expect("a hook serialises"),
            Hook::Raw(bytes) => Binary::from(bytes.clone()),
            Hook::InstantUnbond {
                receiver,
                min_native,
            } => to_json_binary(&ReceiveMsg::InstantUnbond {
                receiver: receiver.as_ref().map(|who| self.name(who)),
                min_native: min_native.map(|n| Uint128::new(n.value())),
            })
            .expect("a hook serialises"),
        }
    }

    pub(crate) fn expiry(&self, choice: ExpiryChoice) -> Expiration {
        match choice {
            ExpiryChoice::Never => Expiration::Never {},
            ExpiryChoice::HeightAhead(blocks) => {
                Expiration::AtHeight(self.env.block.height + u64::from(blocks))
            }
            ExpiryChoice::TimeAhead(seconds) => {
                Expiration::AtTime(self.env.block.time.plus_seconds(u64::from(seconds)))
            }
            ExpiryChoice::Expired => Expiration::AtHeight(self.env.block.height - 1),
        }
    }

    pub(crate) fn config_update(&self, choice: &ConfigChoice) -> ConfigUpdate {
        let permille = |value: u16| Decimal::permille(u64::from(value));
        ConfigUpdate {
            guardian: choice.guardian.as_ref().map(|who| self.name(who)),
            clear_guardian: choice.clear_guardian,
            fee_receiver: choice.fee_receiver.as_ref().map(|who| self.name(who)),
            fee_rate: choice.fee_permille.map(permille),
            min_bond: choice.min_bond.map(|n| Uint128::new(n.value())),
            min_unbond: choice.min_unbond.map(|n| Uint128::new(n.value())),
            epoch_period: choice.epoch_period.map(|s| s.value()),
            unbonding_period: choice.unbonding_period.map(|s| s.value()),
            max_unbond_shortfall: choice.max_unbond_shortfall_permille.map(permille),
            rate_bounds: choice.rate_bounds_permille.map(|(fall, rise)| RateBounds {
                max_fall: permille(fall),
                max_rise: permille(rise),
            }),
            max_reward_rate: choice.max_reward_rate_permille.map(permille),
            liquidity: choice
                .liquidity_permille
                .map(|(target, fee)| flowstake::hub::Liquidity {
                    buffer_target: permille(target % 300),
                    exit_fee: permille(fee % 15),
                }),
        }
    }

    /// The hub's message for a mirrored one.
    pub fn message(&self, msg: &Msg) -> ExecuteMsg {
        let operations = |ops: &[PausableOp]| -> Vec<Operation> {
            ops.iter()
                .take(4)
                .map(|op| match op {
                    PausableOp::Bond => Operation::Bond,
                    PausableOp::Unbond => Operation::Unbond,
                    PausableOp::Harvest => Operation::Harvest,
                })
                .collect()
        };
        match msg {
            Msg::Bond {
                receiver,
                min_shares,
            } => ExecuteMsg::Bond {
                receiver: receiver.as_ref().map(|who| self.name(who)),
                min_shares: min_shares.map(|n| Uint128::new(n.value())),
                forward: None,
            },
            Msg::Harvest => ExecuteMsg::Harvest {},
            Msg::ReceiveRewards => ExecuteMsg::ReceiveRewards {},
            Msg::Receive {
                sender,
                amount,
                hook,
            } => ExecuteMsg::Receive(Cw20ReceiveMsg {
                sender: self.name(sender),
                amount: Uint128::new(amount.value()),
                msg: self.hook(hook),
            }),
            Msg::CancelUnbond => ExecuteMsg::CancelUnbond {},
            Msg::SubmitBatch => ExecuteMsg::SubmitBatch {},
            Msg::Reconcile { limit } => ExecuteMsg::Reconcile { limit: *limit },
            Msg::WithdrawUnbonded { receiver, limit } => ExecuteMsg::WithdrawUnbonded {
                receiver: receiver.as_ref().map(|who| self.name(who)),
                limit: *limit,
            },
            Msg::Sync => ExecuteMsg::Sync {},
            Msg::AddValidator { validator, weight } => ExecuteMsg::AddValidator {
                address: self.validator(validator),
                weight: weight.value(),
            },
            Msg::RemoveValidator { validator } => ExecuteMsg::RemoveValidator {
                address: self.validator(validator),
            },
            Msg::SetValidatorWeight { validator, weight } => ExecuteMsg::SetValidatorWeight {
                address: self.validator(validator),
                weight: weight.value(),
            },
            Msg::PauseValidator { validator } => ExecuteMsg::PauseValidator {
                address: self.validator(validator),
            },
            Msg::UnpauseValidator { validator } => ExecuteMsg::UnpauseValidator {
                address: self.validator(validator),
            },
            Msg::UpdateConfig(choice) => {
                ExecuteMsg::UpdateConfig(Box::new(self.config_update(choice)))
            }
            Msg::Pause(ops) => ExecuteMsg::Pause {
                operations: operations(ops),
            },
            Msg::Unpause(ops) => ExecuteMsg::Unpause {
                operations: operations(ops),
            },
            Msg::UpdateOwnership(choice) => ExecuteMsg::UpdateOwnership(match choice {
                OwnershipChoice::Transfer { to, expiry } => OwnershipAction::TransferOwnership {
                    new_owner: self.name(to),
                    expiry: expiry.map(|e| self.expiry(e)),
                },
                OwnershipChoice::Accept => OwnershipAction::AcceptOwnership,
                OwnershipChoice::Renounce => OwnershipAction::RenounceOwnership,
            }),
            Msg::SweepRewards(denoms) => ExecuteMsg::SweepRewards {
                denoms: denoms.iter().take(12).map(World::denom).collect(),
            },
        }
    }

    pub(crate) fn query_message(&self, query: &Query) -> QueryMsg {
        match query {
            Query::Config => QueryMsg::Config {},
            Query::State => QueryMsg::State {},
            Query::RedemptionRate => QueryMsg::RedemptionRate {},
            Query::PreviewBond(n) => QueryMsg::PreviewBond {
                native: Uint128::new(n.value()),
            },
            Query::PreviewUnbond(n) => QueryMsg::PreviewUnbond {
                shares: Uint128::new(n.value()),
            },
            Query::PendingBatch => QueryMsg::PendingBatch {},
            Query::Batch(id) => QueryMsg::Batch { id: *id },
            Query::Batches { start_after, limit } => QueryMsg::Batches {
                start_after: *start_after,
                limit: *limit,
            },
            Query::UnbondRequestsByUser {
                user,
                start_after,
                limit,
            } => QueryMsg::UnbondRequestsByUser {
                user: self.name(user),
                start_after: *start_after,
                limit: *limit,
            },
            Query::Validators { start_after, limit } => QueryMsg::Validators {
                start_after: start_after.as_ref().map(|v| self.validator(v)),
                limit: *limit,
            },
            Query::Paused => QueryMsg::Paused {},
            Query::Ownership => QueryMsg::Ownership {},
        }
    }
}

/// Applies up to [`MAX_EDITS`] byte edits to a message's JSON.
pub(super) fn edit_json(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits.iter().take(MAX_EDITS) {
        let at = usize::from(edit.at) % (bytes.len() + 1);
        match &edit.kind {
            EditKind::Replace(byte) => {
                if let Some(slot) = bytes.get_mut(at) {
                    *slot = *byte;
                }
            }
            EditKind::Insert(byte) => bytes.insert(at, *byte),
            EditKind::InsertText(text) => {
                bytes.splice(at..at, text.bytes());
            }
            EditKind::Remove => {
                if at < bytes.len() {
                    bytes.remove(at);
                }
            }
            EditKind::Truncate => bytes.truncate(at),
        }
    }
    bytes
}

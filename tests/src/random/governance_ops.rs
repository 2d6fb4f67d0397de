//! Governance: the owner, and the guardian for pause.

use cosmwasm_std::Uint128;
use flowstake::hub::ExecuteMsg;
use flowstake_hub::error::ContractError as HubError;
use flowstake_hub::state::Validator;

use super::expect::{book_slash, is_removal_split};
use super::observe::Observation;
use super::op::PauseSet;
use super::outcome::{same, same_books, same_delegations, Refusal};
use super::world::World;
use super::{ensure, fail, Checked};
use crate::strict::{ChainError, StrictChain};

/// Most validators the set may hold, and the largest weight.
const MAX_VALIDATORS: usize = 200;
const MAX_WEIGHT: u64 = 1_000_000;

fn valid_weight(weight: u64) -> bool {
    (1..=MAX_WEIGHT).contains(&weight)
}

impl World {
    /// An owner call whose only effect is on the books, as `expect` predicts.
    fn owner_call(
        &mut self,
        msg: &ExecuteMsg,
        expect: impl FnOnce(&mut Observation) -> Result<(), String>,
        allowed: impl FnOnce(&Refusal, &Observation) -> bool,
    ) -> Checked {
        let owner = self.roles.owner.clone();
        self.owner_or_guardian_call(&owner, msg, expect, allowed)
    }

    fn owner_or_guardian_call(
        &mut self,
        sender: &cosmwasm_std::Addr,
        msg: &ExecuteMsg,
        expect: impl FnOnce(&mut Observation) -> Result<(), String>,
        allowed: impl FnOnce(&Refusal, &Observation) -> bool,
    ) -> Checked {
        let result = self.execute_hub(sender, msg, &[]);
        let before = self.observe_next();
        match result {
            Err(err) => self.refused(&err, &before, &[], |refusal| allowed(refusal, &before)),
            Ok(_) => {
                let mut expected = before.clone();
                expect(&mut expected).map_err(|why| fail("8 refusals", why))?;
                same_books("governance", &expected, &self.last)?;
                same("governance", "chain", &before.chain, &self.last.chain)?;
                self.check_rate_move(&before, 0, 0)?;
                self.check_invariants()
            }
        }
    }

    pub fn add_validator(&mut self, drawn: usize, weight: u64) -> Checked {
        let address = self.chain_validator(drawn);
        let msg = ExecuteMsg::AddValidator {
            address: address.clone(),
            weight,
        };
        let new = address.clone();
        // x/staking deletes an unbonded validator with no delegator shares left: the hub
        // refuses to add a validator the chain no longer has.
        let on_chain = self.suite.app.validator_state(&address).is_some();
        self.owner_call(
            &msg,
            |expected| {
                if expected.ledger.contains_key(&new)
                    || !valid_weight(weight)
                    || expected.ledger.len() >= MAX_VALIDATORS
                    || !on_chain
                {
                    return Err(format!("added {new} with weight {weight}"));
                }
                let validator = Validator {
                    address: new.clone(),
                    weight,
                    paused: false,
                    inactive: false,
                    delegated: Uint128::zero(),
                };
                expected.ledger.insert(new, validator);
                Ok(())
            },
            |refusal, before| match refusal {
                Refusal::Hub(HubError::ValidatorExists { .. }) => {
                    before.ledger.contains_key(&address)
                }
                Refusal::Hub(HubError::InvalidWeight { .. }) => !valid_weight(weight),
                Refusal::Hub(HubError::TooManyValidators { .. }) => {
                    before.ledger.len() >= MAX_VALIDATORS
                }
                Refusal::Hub(HubError::ValidatorNotOnChain { .. }) => !on_chain,
                _ => false,
            },
        )
    }

    pub fn set_validator_paused(&mut self, drawn: usize, paused: bool) -> Checked {
        let address = self.chain_validator(drawn);
        let msg = if paused {
            ExecuteMsg::PauseValidator {
                address: address.clone(),
            }
        } else {
            ExecuteMsg::UnpauseValidator {
                address: address.clone(),
            }
        };
        let known = address.clone();
        self.owner_call(
            &msg,
            |expected| {
                let validator = expected
                    .ledger
                    .get_mut(&known)
                    .ok_or("paused an unknown validator")?;
                validator.paused = paused;
                Ok(())
            },
            |refusal, before| {
                matches!(refusal, Refusal::Hub(HubError::UnknownValidator { .. }))
                    && !before.ledger.contains_key(&address)
            },
        )
    }

    pub fn set_weight(&mut self, drawn: usize, weight: u64) -> Checked {
        let address = self.chain_validator(drawn);
        let msg = ExecuteMsg::SetValidatorWeight {
            address: address.clone(),
            weight,
        };
        let known = address.clone();
        self.owner_call(
            &msg,
            |expected| {
                let validator = expected
                    .ledger
                    .get_mut(&known)
                    .ok_or("weighted an unknown validator")?;
                if !valid_weight(weight) {
                    return Err(format!("weight {weight} accepted"));
                }
                validator.weight = weight;
                Ok(())
            },
            |refusal, before| match refusal {
                Refusal::Hub(HubError::UnknownValidator { .. }) => {
                    !before.ledger.contains_key(&address)
                }
                Refusal::Hub(HubError::InvalidWeight { .. }) => !valid_weight(weight),
                _ => false,
            },
        )
    }

    pub fn pause(&mut self, operations: PauseSet, by_owner: bool) -> Checked {
        let sender = if by_owner {
            self.roles.owner.clone()
        } else {
            self.roles.guardian.clone()
        };
        let operations = operations.operations();
        let msg = ExecuteMsg::Pause {
            operations: operations.clone(),
        };
        self.owner_or_guardian_call(
            &sender,
            &msg,
            |expected| {
                for operation in operations {
                    if !expected.paused.contains(&operation) {
                        expected.paused.push(operation);
                    }
                }
                Ok(())
            },
            |_, _| false,
        )
    }

    pub fn unpause(&mut self, operations: PauseSet) -> Checked {
        let operations = operations.operations();
        let msg = ExecuteMsg::Unpause {
            operations: operations.clone(),
        };
        self.owner_call(
            &msg,
            |expected| {
                expected.paused.retain(|op| !operations.contains(op));
                Ok(())
            },
            |_, _| false,
        )
    }

    /// Removing a validator redelegates exactly what the chain holds to the remaining active
    /// validators in proportion to their weights, the least loaded
    /// [`flowstake::MAX_REDELEGATION_TARGETS`] of them when there are more; nothing stays
    /// behind.
    pub fn remove_validator(&mut self, drawn: usize) -> Checked {
        let address = self.chain_validator(drawn);
        let owner = self.roles.owner.clone();
        let msg = ExecuteMsg::RemoveValidator {
            address: address.clone(),
        };
        let result = self.execute_hub(&owner, &msg, &[]);
        let before = self.observe_next();
        let on_chain = before.chain.delegation(&address);
        let incoming = before
            .chain
            .redelegations
            .keys()
            .any(|(_, to)| *to == address);
        let candidate =
            |v: &&Validator| v.address != address && !v.paused && !v.inactive && v.weight > 0;
        // The hub skips, and marks inactive, a destination holding none of its stake that the
        // chain has deleted since the last sync.
        let vanished: Vec<String> = before
            .ledger
            .values()
            .filter(candidate)
            .filter(|v| v.delegated.is_zero() && !before.on_chain.contains(&v.address))
            .map(|v| v.address.clone())
            .collect();
        let mut rest: Vec<&Validator> = before
            .ledger
            .values()
            .filter(candidate)
            .filter(|v| !vanished.contains(&v.address))
            .collect();
        rest.sort_by_key(|v| v.load());
        rest.truncate(flowstake::MAX_REDELEGATION_TARGETS);
        rest.sort_by(|a, b| a.address.cmp(&b.address));
        let Some(removed) = before.ledger.get(&address) else {
            return match result {
                Ok(_) => Err(fail("8 refusals", "removed a validator outside the set")),
                Err(err) => self.refused(&err, &before, &[], |refusal| {
                    matches!(refusal, Refusal::Hub(HubError::UnknownValidator { .. }))
                }),
            };
        };
        let blocked = incoming && on_chain > 0;
        let err = match result {
            Err(err) => err,
            Ok(_) => {
                ensure(!blocked && !rest.is_empty(), "7 chain limits", || {
                    format!(
                        "removal accepted (incoming redelegation {blocked}, {} active left)",
                        rest.len()
                    )
                })?;
                let ledger = removed.delegated.u128();
                let slashed = ledger.saturating_sub(on_chain);
                let surplus = on_chain.saturating_sub(ledger);
                let mut expected = before.clone();
                expected.ledger.remove(&address);
                for gone in &vanished {
                    expected.ledger.get_mut(gone).expect("in the set").inactive = true;
                }
                let weights: Vec<u128> = rest.iter().map(|v| u128::from(v.weight)).collect();
                let mut parts = vec![];
                for validator in &rest {
                    let now = self
                        .last
                        .ledger
                        .get(&validator.address)
                        .map_or(0, |v| v.delegated.u128());
                    let part = now.checked_sub(validator.delegated.u128()).ok_or_else(|| {
                        fail(
                            "remove_validator",
                            format!("removal lowered the ledger of {}", validator.address),
                        )
                    })?;
                    expected
                        .ledger
                        .get_mut(&validator.address)
                        .expect("in the set")
                        .delegated += Uint128::new(part);
                    parts.push((validator.address.clone(), part));
                }
                let amounts: Vec<u128> = parts.iter().map(|(_, part)| *part).collect();
                ensure(
                    is_removal_split(on_chain, &weights, &amounts),
                    "7 chain",
                    || {
                        format!(
                            "redelegated {amounts:?} of {on_chain} against the weights {weights:?}"
                        )
                    },
                )?;
                // The loss is shared between the backing and the unvested rewards.
                let native_loss = book_slash(&mut expected.state, slashed);
                expected.state.total_native += Uint128::new(surplus);
                expected.state.totals.surplus += Uint128::new(surplus);
                same_books("remove_validator", &expected, &self.last)?;
                let after_chain = self.last.chain.clone();
                // On a slashed validator a redelegation of `part` tokens moves the shares they
                // stand for, truncated, worth `part - 1` at worst: up to one unit per message
                // stays behind (see `adversarial_validators.rs`, which expects none).
                let source_slashed = self.model.slashed_validators.contains(&address);
                let messages = amounts.iter().filter(|part| **part > 0).count() as u128;
                let left = after_chain.delegation(&address);
                ensure(
                    left == 0 || (source_slashed && left <= messages),
                    "7 chain",
                    || {
                        format!(
                            "{left} left delegated to the removed {address} after {messages} \
                            redelegations"
                        )
                    },
                )?;
                if left > 0 {
                    *self.model.stranded.entry(address.clone()).or_default() += left;
                }
                let mut deltas: Vec<(String, i128)> =
                    parts.iter().map(|(a, p)| (a.clone(), *p as i128)).collect();
                deltas.push((address.clone(), -((on_chain - left) as i128)));
                same_delegations(self, &before.chain, &after_chain, &deltas, source_slashed)?;
                for ((from, to), count) in &after_chain.redelegations {
                    let old = before
                        .chain
                        .redelegations
                        .get(&(from.clone(), to.clone()))
                        .copied()
                        .unwrap_or(0);
                    ensure(
                        *count <= old + usize::from(*from == address),
                        "7 chain",
                        || format!("redelegation entries {from} -> {to}: {old} -> {count}"),
                    )?;
                }
                self.collector_grew(&before)?;
                self.check_rate_move(&before, native_loss, surplus)?;
                return self.check_invariants();
            }
        };
        let emptied = self.emptied_validators();
        let source_slashed = self.model.slashed_validators.contains(&address);
        self.refused(&err, &before, &[], |refusal| match refusal {
            Refusal::Hub(HubError::RedelegationMaturing { .. }) => blocked,
            Refusal::Hub(HubError::NoActiveValidator {}) => rest.is_empty(),
            // The hub's whole stake there is one unit, worth less than a token after a slash:
            // the chain refuses to redelegate it (`ErrTinyRedelegationAmount`).
            Refusal::Chain(ChainError::TinyRedelegation {}) => source_slashed && on_chain == 1,
            // A known finding (`a_validator_slashed_to_zero_does_not_block_bonds`): no
            // delegation, nor redelegation, into a validator with no tokens left.
            Refusal::Chain(ChainError::InvalidExchangeRate { address }) => {
                emptied.contains(address)
            }
            _ => false,
        })
    }
}

//! The bank, staking and distribution messages a contract emits, applied to the chain state
//! with the SDK's rules: the seven-entry limits, no transitive redelegation, rewards paid out
//! whenever a delegation changes. An undelegation answers with the chain's
//! `MsgUndelegateResponse`.

use cosmwasm_std::{BankMsg, Binary, Coin, CosmosMsg, DistributionMsg, Empty, StakingMsg};
use flowstake::chain::{MsgUndelegateResponse, MSG_UNDELEGATE_RESPONSE_TYPE_URL};
use prost::Message;

use crate::chain::{stake_is_empty, ChainState, RedelegationEntry, UnbondingEntry, MAX_ENTRIES};

impl ChainState {
    fn check_denom(&self, coin: &Coin) -> Result<u128, String> {
        if coin.denom != self.denom {
            return Err(format!(
                "invalid coin denomination: got {}, expected {}",
                coin.denom, self.denom
            ));
        }
        if coin.amount.is_zero() {
            return Err("invalid delegation amount: zero".to_string());
        }
        Ok(coin.amount.u128())
    }

    fn delegate(&mut self, delegator: &str, validator: &str, coin: &Coin) -> Result<(), String> {
        let amount = self.check_denom(coin)?;
        if !self.has_validator(validator) {
            return Err(format!("validator does not exist: {validator}"));
        }
        self.debit(delegator, &coin.denom, amount)?;
        self.withdraw_rewards(delegator, validator);
        let key = (delegator.to_string(), validator.to_string());
        self.delegations.entry(key).or_default().amount += amount;
        Ok(())
    }

    fn take_stake(&mut self, delegator: &str, validator: &str, amount: u128) -> Result<(), String> {
        let held = self.delegation(delegator, validator);
        if held < amount {
            return Err(format!(
                "invalid shares amount: {delegator} has {held} on {validator}, asked {amount}"
            ));
        }
        self.withdraw_rewards(delegator, validator);
        let key = (delegator.to_string(), validator.to_string());
        let stake = self.delegations.get_mut(&key).expect("held above");
        stake.amount -= amount;
        if stake_is_empty(Some(stake)) {
            self.delegations.remove(&key);
        }
        Ok(())
    }

    /// Starts an unbonding entry; answers with the completion time (block time plus the
    /// unbonding time, to the nanosecond) and the amount unbonded, as x/staking does.
    fn undelegate(
        &mut self,
        delegator: &str,
        validator: &str,
        coin: &Coin,
    ) -> Result<MsgUndelegateResponse, String> {
        let amount = self.check_denom(coin)?;
        let entries = self
            .unbondings
            .iter()
            .filter(|e| e.delegator == delegator && e.validator == validator)
            .count();
        if entries >= MAX_ENTRIES {
            return Err(format!(
                "too many unbonding delegation entries for (delegator, validator) tuple: \
                 ({delegator}, {validator}) has {entries}"
            ));
        }
        self.take_stake(delegator, validator, amount)?;
        let completion = self.block.time.plus_seconds(self.unbonding_period);
        self.unbondings.push(UnbondingEntry {
            delegator: delegator.to_string(),
            validator: validator.to_string(),
            amount,
            completes_at: completion.seconds(),
        });
        Ok(MsgUndelegateResponse::new(
            completion,
            &Coin::new(amount, coin.denom.clone()),
        ))
    }

    fn redelegate(
        &mut self,
        delegator: &str,
        src: &str,
        dst: &str,
        coin: &Coin,
    ) -> Result<(), String> {
        let amount = self.check_denom(coin)?;
        if src == dst {
            return Err("cannot redelegate to the same validator".to_string());
        }
        if !self.has_validator(dst) {
            return Err(format!("validator does not exist: {dst}"));
        }
        if self.receiving_redelegation(delegator, src) {
            return Err(format!(
                "redelegation to this validator already in progress; first redelegation to \
                 this validator must complete before next redelegation: {src}"
            ));
        }
        let entries = self
            .redelegations
            .iter()
            .filter(|e| e.delegator == delegator && e.src == src && e.dst == dst)
            .count();
        if entries >= MAX_ENTRIES {
            return Err(format!(
                "too many redelegation entries for (delegator, src-validator, dst-validator) \
                 tuple: ({delegator}, {src}, {dst})"
            ));
        }
        self.take_stake(delegator, src, amount)?;
        self.withdraw_rewards(delegator, dst);
        let key = (delegator.to_string(), dst.to_string());
        self.delegations.entry(key).or_default().amount += amount;
        self.redelegations.push(RedelegationEntry {
            delegator: delegator.to_string(),
            src: src.to_string(),
            dst: dst.to_string(),
            amount,
            completes_at: self.now() + self.unbonding_period,
        });
        Ok(())
    }

    /// Applies a bank, staking or distribution message sent by `sender`. Returns the message's
    /// response as the chain returns it in `msg_responses` (type URL and protobuf bytes), for
    /// the messages whose response a contract reads: `MsgUndelegate`.
    pub fn apply(
        &mut self,
        sender: &str,
        msg: &CosmosMsg<Empty>,
    ) -> Result<Option<(String, Binary)>, String> {
        if let CosmosMsg::Staking(StakingMsg::Undelegate { validator, amount }) = msg {
            let response = self.undelegate(sender, validator, amount)?;
            return Ok(Some((
                MSG_UNDELEGATE_RESPONSE_TYPE_URL.to_string(),
                Binary::new(response.encode_to_vec()),
            )));
        }
        self.apply_without_response(sender, msg).map(|()| None)
    }

    fn apply_without_response(
        &mut self,
        sender: &str,
        msg: &CosmosMsg<Empty>,
    ) -> Result<(), String> {
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                self.transfer(sender, to_address, amount)
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                for coin in amount {
                    self.debit(sender, &coin.denom, coin.amount.u128())?;
                }
                Ok(())
            }
            CosmosMsg::Staking(StakingMsg::Delegate { validator, amount }) => {
                self.delegate(sender, validator, amount)
            }
            CosmosMsg::Staking(StakingMsg::Redelegate {
                src_validator,
                dst_validator,
                amount,
            }) => self.redelegate(sender, src_validator, dst_validator, amount),
            CosmosMsg::Distribution(DistributionMsg::SetWithdrawAddress { address }) => {
                self.withdraw_addresses
                    .insert(sender.to_string(), address.clone());
                Ok(())
            }
            CosmosMsg::Distribution(DistributionMsg::WithdrawDelegatorReward { validator }) => {
                if self.stake(sender, validator).is_none() {
                    return Err(format!(
                        "no delegation for (address, validator) tuple: ({sender}, {validator})"
                    ));
                }
                self.withdraw_rewards(sender, validator);
                Ok(())
            }
            other => Err(format!(
                "message not supported by the VM harness: {other:?}"
            )),
        }
    }
}

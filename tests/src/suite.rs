//! `Suite`: a running chain with the hub, the derivative token and the reward collector
//! deployed, and one method per user action, crank and governance call. Queries, chain views
//! and the invariant checks are in their own modules.
//!
//! The chain is the strict one of [`crate::strict`]: seven unbonding entries per validator,
//! redelegation entries and the transitive-redelegation rule, rewards paid out automatically
//! whenever a delegation changes, slashes at an infraction height, jailing.

use cosmwasm_std::{coins, to_json_binary, Addr, Coin, Decimal, Uint128};
use cw20::Cw20ExecuteMsg;
use cw_multi_test::error::AnyResult;
use cw_multi_test::{AppResponse, Executor};
use cw_ownable::Action;
use flowstake::hub::{ConfigUpdate, ExecuteMsg, Operation, ReceiveMsg};
use serde::Serialize;

use crate::accounts::{BLOCK_SECONDS, DAY, DENOM, KEEPER};
use crate::builder::CodeIds;
use crate::chain::RewardMeter;
use crate::strict::{StrictApp, StrictChain, StrictSudo};

/// A running chain with the three contracts deployed.
pub struct Suite {
    /// The in-process chain: cw-multi-test's `App` with the strict staking and distribution
    /// modules.
    pub app: StrictApp,
    pub hub: Addr,
    pub token: Addr,
    pub collector: Addr,
    pub code_ids: CodeIds,
    /// Every validator on the chain: the initial set first, then the spare ones.
    pub(crate) validators: Vec<String>,
    /// The seed deposit the hub was instantiated with.
    pub seed: u128,
    pub(crate) apr: Decimal,
    pub(crate) meter: RewardMeter,
}

impl Suite {
    // ---------------------------------------------------------------- addresses and time

    /// The address of a named account.
    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// Address of the validator at `index` (the initial set first, then spare validators).
    pub fn validator(&self, index: usize) -> String {
        self.validators[index].clone()
    }

    pub fn validator_count(&self) -> usize {
        self.validators.len()
    }

    /// Current block time, in seconds.
    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    /// Current block height.
    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    /// Moves time forward by `seconds`; the chain pays out matured unbondings. Rewards accrue
    /// for every second (the reward meter books `seconds` of them).
    ///
    /// This produces two blocks (one if `seconds` is 1): the first at `now + seconds -
    /// BLOCK_SECONDS` (at `now + 1` when `seconds` is at most `BLOCK_SECONDS`), the second at
    /// `now + seconds`. The strict chain runs a block's end of block (x/staking's `EndBlocker`)
    /// when the next block starts, so once this returns the end of block of a block at least
    /// `BLOCK_SECONDS` before the new current time has run, as on a real chain where many
    /// blocks pass in a day: what matured by then is paid. What matures at exactly the new
    /// current time is paid at the end of the current block, seen from the next one.
    pub fn advance_seconds(&mut self, seconds: u64) {
        let markers = self.reward_markers();
        self.meter.settle(&markers);
        let delegations = self.chain_delegations();
        let earning = self.earning_validators();
        self.meter.accrue(&delegations, &earning, seconds, self.apr);
        self.pass_time(seconds);
    }

    /// The blocks of [`Suite::advance_seconds`], without the reward meter's bookkeeping; with
    /// `seconds` zero, one block at the same time.
    pub fn pass_time(&mut self, seconds: u64) {
        let first = if seconds > BLOCK_SECONDS {
            seconds - BLOCK_SECONDS
        } else {
            seconds.min(1)
        };
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(first);
            block.height += (first / BLOCK_SECONDS).max(1);
        });
        let rest = seconds - first;
        if rest > 0 {
            self.app.update_block(|block| {
                block.time = block.time.plus_seconds(rest);
                block.height += 1;
            });
        }
    }

    pub fn advance_days(&mut self, days: u64) {
        self.advance_seconds(days * DAY);
    }

    /// Moves time forward to `timestamp` (seconds); does nothing if it has passed.
    pub fn advance_to(&mut self, timestamp: u64) {
        let now = self.now();
        if timestamp > now {
            self.advance_seconds(timestamp - now);
        }
    }

    /// Moves time forward until the pending batch may be submitted.
    pub fn advance_to_submit(&mut self) {
        let submit_after = self.pending_batch().submit_after;
        self.advance_to(submit_after);
    }

    /// Slashes `percent` of the validator's stake, bonded and unbonding: an infraction
    /// committed in the block of the oldest unbonding or redelegation entry the slash can still
    /// reach (in the current block if there is none), so every pending entry of the validator
    /// is cut, as on a chain that finds a double sign late.
    pub fn slash(&mut self, validator_index: usize, percent: u64) {
        let validator = self.validator(validator_index);
        let infraction_height = self
            .app
            .oldest_entry_height(&validator)
            .unwrap_or_else(|| self.height());
        self.slash_at_height(validator_index, percent, infraction_height)
            .expect("slash failed");
    }

    /// Slashes `percent` of the validator's stake for an infraction at `infraction_height`:
    /// of its tokens when that block began, first from the entries created since, the rest
    /// from the bonded stake.
    pub fn slash_at_height(
        &mut self,
        validator_index: usize,
        percent: u64,
        infraction_height: u64,
    ) -> AnyResult<AppResponse> {
        self.meter.exact = false;
        let validator = self.validator(validator_index);
        self.app.strict_sudo(StrictSudo::Slash {
            validator,
            infraction_height,
            fraction: Decimal::percent(percent),
        })
    }

    /// Jails the validator: it leaves the active set and stops earning rewards.
    pub fn jail(&mut self, validator_index: usize) -> AnyResult<AppResponse> {
        let validator = self.validator(validator_index);
        self.app.strict_sudo(StrictSudo::Jail { validator })
    }

    pub fn unjail(&mut self, validator_index: usize) -> AnyResult<AppResponse> {
        let validator = self.validator(validator_index);
        self.app.strict_sudo(StrictSudo::Unjail { validator })
    }

    /// Tombstones the validator for a double sign (x/evidence), without slashing it (call
    /// [`Suite::slash`] for that): it is jailed, and can never be unjailed.
    pub fn tombstone(&mut self, validator_index: usize) -> AnyResult<AppResponse> {
        let validator = self.validator(validator_index);
        self.app.strict_sudo(StrictSudo::Tombstone { validator })
    }

    /// Chain governance changes x/staking's `unbonding_time`: undelegations and redelegations
    /// made from now on complete `seconds` after they are made; entries already on the chain
    /// keep their completion time. The hub's own `unbonding_period` is not changed.
    pub fn set_unbonding_time(&mut self, seconds: u64) -> AnyResult<AppResponse> {
        self.app
            .strict_sudo(StrictSudo::SetUnbondingTime { seconds })
    }

    // ---------------------------------------------------------------- user actions

    /// Sends any message to the hub.
    pub fn execute_hub(
        &mut self,
        sender: &str,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> AnyResult<AppResponse> {
        let sender = self.addr(sender);
        let hub = self.hub.clone();
        self.app.execute_contract(sender, hub, msg, funds)
    }

    /// Bonds `native` of the staking denom for the sender.
    pub fn bond(&mut self, user: &str, native: u128) -> AnyResult<AppResponse> {
        self.bond_with(user, &coins(native, DENOM), None, None)
    }

    pub fn bond_with(
        &mut self,
        user: &str,
        funds: &[Coin],
        receiver: Option<&str>,
        min_shares: Option<u128>,
    ) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::Bond {
            receiver: receiver.map(|name| self.addr(name).into_string()),
            min_shares: min_shares.map(Uint128::new),
            forward: None,
        };
        self.execute_hub(user, &msg, funds)
    }

    /// Harvest, called by the keeper.
    pub fn harvest(&mut self) -> AnyResult<AppResponse> {
        let response = self.execute_hub(KEEPER, &ExecuteMsg::Harvest {}, &[])?;
        let markers = self.reward_markers();
        self.meter.reset(markers);
        Ok(response)
    }

    /// Queues `shares` for unbonding through the token's `Send` hook.
    pub fn queue_unbond(&mut self, user: &str, shares: u128) -> AnyResult<AppResponse> {
        self.send_to_hub(user, shares, ReceiveMsg::QueueUnbond { receiver: None })
    }

    /// Exits `shares` of `user` at once from the buffer, refusing less than `min_native`.
    pub fn instant_unbond(
        &mut self,
        user: &str,
        shares: u128,
        min_native: Option<u128>,
    ) -> AnyResult<AppResponse> {
        let hook = ReceiveMsg::InstantUnbond {
            receiver: None,
            min_native: min_native.map(Uint128::new),
        };
        self.send_to_hub(user, shares, hook)
    }

    /// Queues `shares` of `user` for unbonding on behalf of `receiver`.
    pub fn queue_unbond_for(
        &mut self,
        user: &str,
        shares: u128,
        receiver: &str,
    ) -> AnyResult<AppResponse> {
        let receiver = Some(self.addr(receiver).into_string());
        self.send_to_hub(user, shares, ReceiveMsg::QueueUnbond { receiver })
    }

    fn send_to_hub(
        &mut self,
        user: &str,
        shares: u128,
        hook: ReceiveMsg,
    ) -> AnyResult<AppResponse> {
        let token = self.token.clone();
        self.send_cw20(user, &token, shares, &hook)
    }

    /// Sends `amount` of any cw20 `token` to the hub with a hook message.
    pub fn send_cw20<T: Serialize>(
        &mut self,
        user: &str,
        token: &Addr,
        amount: u128,
        hook: &T,
    ) -> AnyResult<AppResponse> {
        let msg = Cw20ExecuteMsg::Send {
            contract: self.hub.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(hook)?,
        };
        let sender = self.addr(user);
        self.app.execute_contract(sender, token.clone(), &msg, &[])
    }

    pub fn cancel_unbond(&mut self, user: &str) -> AnyResult<AppResponse> {
        self.execute_hub(user, &ExecuteMsg::CancelUnbond {}, &[])
    }

    /// A keeper's submission: a batch spread over more validators than one call undelegates
    /// from takes several calls, made at once; the response holds the events of all of them.
    pub fn submit_batch(&mut self) -> AnyResult<AppResponse> {
        let mut response = self.execute_hub(KEEPER, &ExecuteMsg::SubmitBatch {}, &[])?;
        let mut last = response.clone();
        while submission_continues(&last) {
            last = self.execute_hub(KEEPER, &ExecuteMsg::SubmitBatch {}, &[])?;
            response.events.extend(last.events.iter().cloned());
        }
        Ok(response)
    }

    /// A keeper's reconcile: when the hub answers that a batch may have been paid but no
    /// earlier block proves it (`waiting_for`), the keeper calls again a block later.
    pub fn reconcile(&mut self) -> AnyResult<AppResponse> {
        let response = self.reconcile_once()?;
        if has_wasm_attr(&response, "waiting_for") {
            self.advance_seconds(BLOCK_SECONDS);
            return self.reconcile_once();
        }
        Ok(response)
    }

    /// One reconcile call, as it is.
    pub fn reconcile_once(&mut self) -> AnyResult<AppResponse> {
        self.execute_hub(KEEPER, &ExecuteMsg::Reconcile { limit: None }, &[])
    }

    pub fn withdraw_unbonded(&mut self, user: &str) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::WithdrawUnbonded {
            receiver: None,
            limit: None,
        };
        self.execute_hub(user, &msg, &[])
    }

    pub fn sync(&mut self) -> AnyResult<AppResponse> {
        self.execute_hub(KEEPER, &ExecuteMsg::Sync {}, &[])
    }

    /// A bank transfer to the hub that no message asked for.
    pub fn donate(&mut self, from: &str, native: u128) -> AnyResult<AppResponse> {
        let hub = self.hub.clone();
        self.send_native(from, &hub, native)
    }

    /// A bank transfer to the reward collector that no message asked for.
    pub fn donate_to_collector(&mut self, from: &str, native: u128) -> AnyResult<AppResponse> {
        let collector = self.collector.clone();
        self.send_native(from, &collector, native)
    }

    /// A plain bank transfer of the staking denom.
    pub fn send_native(&mut self, from: &str, to: &Addr, native: u128) -> AnyResult<AppResponse> {
        let from = self.addr(from);
        self.app
            .send_tokens(from, to.clone(), &coins(native, DENOM))
    }

    // ---------------------------------------------------------------- derivative token

    pub fn execute_token(&mut self, sender: &str, msg: &Cw20ExecuteMsg) -> AnyResult<AppResponse> {
        let sender = self.addr(sender);
        let token = self.token.clone();
        self.app.execute_contract(sender, token, msg, &[])
    }

    pub fn transfer_shares(
        &mut self,
        from: &str,
        to: &str,
        shares: u128,
    ) -> AnyResult<AppResponse> {
        let msg = Cw20ExecuteMsg::Transfer {
            recipient: self.addr(to).into_string(),
            amount: Uint128::new(shares),
        };
        self.execute_token(from, &msg)
    }

    // ---------------------------------------------------------------- governance

    pub fn add_validator(
        &mut self,
        sender: &str,
        address: &str,
        weight: u64,
    ) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::AddValidator {
            address: address.to_string(),
            weight,
        };
        self.execute_hub(sender, &msg, &[])
    }

    pub fn remove_validator(&mut self, sender: &str, address: &str) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::RemoveValidator {
            address: address.to_string(),
        };
        self.execute_hub(sender, &msg, &[])
    }

    pub fn set_validator_weight(
        &mut self,
        sender: &str,
        address: &str,
        weight: u64,
    ) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::SetValidatorWeight {
            address: address.to_string(),
            weight,
        };
        self.execute_hub(sender, &msg, &[])
    }

    pub fn pause_validator(&mut self, sender: &str, address: &str) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::PauseValidator {
            address: address.to_string(),
        };
        self.execute_hub(sender, &msg, &[])
    }

    pub fn unpause_validator(&mut self, sender: &str, address: &str) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::UnpauseValidator {
            address: address.to_string(),
        };
        self.execute_hub(sender, &msg, &[])
    }

    pub fn update_config(&mut self, sender: &str, update: ConfigUpdate) -> AnyResult<AppResponse> {
        self.execute_hub(sender, &ExecuteMsg::UpdateConfig(Box::new(update)), &[])
    }

    pub fn pause(&mut self, sender: &str, operations: &[Operation]) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::Pause {
            operations: operations.to_vec(),
        };
        self.execute_hub(sender, &msg, &[])
    }

    pub fn unpause(&mut self, sender: &str, operations: &[Operation]) -> AnyResult<AppResponse> {
        let msg = ExecuteMsg::Unpause {
            operations: operations.to_vec(),
        };
        self.execute_hub(sender, &msg, &[])
    }

    pub fn update_ownership(&mut self, sender: &str, action: Action) -> AnyResult<AppResponse> {
        self.execute_hub(sender, &ExecuteMsg::UpdateOwnership(action), &[])
    }
}

/// Whether a `wasm` event of the response carries the attribute `key`.
pub fn has_wasm_attr(response: &AppResponse, key: &str) -> bool {
    wasm_attr(response, key).is_some()
}

/// Whether a response left a batch partly submitted (`submission_done` false in its last
/// submission): the keeper calls `SubmitBatch` again.
pub fn submission_continues(response: &AppResponse) -> bool {
    response
        .events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .rfind(|a| a.key == "submission_done")
        .is_some_and(|a| a.value == "false")
}

/// The value of the first attribute `key` in the response's `wasm` events.
pub fn wasm_attr(response: &AppResponse, key: &str) -> Option<String> {
    response
        .events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

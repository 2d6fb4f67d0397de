//! The mock chain behind [`Hub`]: time, delegations, unbondings and the hub's balance follow
//! the messages the hub emits, and a test can slash or send funds as a chain would.

use cosmwasm_std::{
    coin, coins, BankMsg, Binary, Coin, CosmosMsg, Decimal, FullDelegation, MsgResponse, Reply,
    Response, StakingMsg, SubMsgResponse, SubMsgResult, Uint128, Validator as ChainValidator,
};
use flowstake::chain::{MsgUndelegateResponse, MSG_UNDELEGATE_RESPONSE_TYPE_URL};
use prost::Message;

use super::{Hub, Unbonding, DENOM};
use crate::contract;
use crate::error::ContractError;
use crate::execute::setup::ReplyId;
use flowstake::hub::ExecuteMsg;

impl Hub {
    /// A keeper's reconcile: when the chain may have paid a batch that no earlier block proves
    /// paid, the hub only records the block; the keeper calls again a block later.
    pub fn reconcile(&mut self, limit: Option<u32>) -> Result<Response, ContractError> {
        let msg = ExecuteMsg::Reconcile { limit };
        let response = self.execute_as("keeper", msg.clone())?;
        if super::has_attr(&response, "waiting_for") {
            self.advance(5);
            return self.execute_as("keeper", msg);
        }
        Ok(response)
    }

    /// Moves the clock on; undelegations that complete are paid to the hub (the mock pays them
    /// at once; the hub itself waits for a later block before it books them).
    pub fn advance(&mut self, seconds: u64) {
        self.env.block.time = self.env.block.time.plus_seconds(seconds);
        self.env.block.height += seconds / 5;
        let now = self.env.block.time.seconds();
        let (done, waiting): (Vec<Unbonding>, Vec<Unbonding>) =
            std::mem::take(&mut self.unbondings)
                .into_iter()
                .partition(|u| u.completes_at <= now);
        self.unbondings = waiting;
        for unbonding in done {
            self.balance += unbonding.amount;
        }
        self.push_chain();
    }

    pub fn now(&self) -> u64 {
        self.env.block.time.seconds()
    }

    /// The chain slashes `native` from the hub's delegation to `validator`.
    pub fn slash(&mut self, validator: &str, native: u128) {
        let delegation = self.delegations.get_mut(validator).unwrap();
        *delegation -= Uint128::new(native);
        self.push_chain();
    }

    /// The chain slashes `native` from the hub's entries still unbonding, oldest first.
    pub fn slash_unbonding(&mut self, native: u128) {
        let mut left = Uint128::new(native);
        for unbonding in self.unbondings.iter_mut() {
            let cut = left.min(unbonding.amount);
            unbonding.amount -= cut;
            left -= cut;
        }
        assert!(left.is_zero(), "not that much is unbonding");
    }

    /// Someone sends `native` to the hub unasked.
    pub fn donate(&mut self, native: u128) {
        self.balance += Uint128::new(native);
        self.push_chain();
    }

    /// Follows a successful response on the mock chain, refusing what a chain would refuse.
    pub(super) fn apply(&mut self, funds: &[Coin], response: &Response) {
        for fund in funds.iter().filter(|c| c.denom == DENOM) {
            self.balance += fund.amount;
        }
        for sub in &response.messages {
            match &sub.msg {
                CosmosMsg::Staking(msg) => {
                    self.apply_staking(msg);
                    if sub.id == ReplyId::BatchUndelegated as u64 {
                        self.reply_undelegated(msg, &sub.payload);
                    }
                }
                CosmosMsg::Bank(BankMsg::Send { amount, .. }) => {
                    for sent in amount {
                        assert_eq!(sent.denom, DENOM);
                        self.balance = self
                            .balance
                            .checked_sub(sent.amount)
                            .expect("hub sends more than it holds");
                    }
                }
                _ => {}
            }
        }
        self.push_chain();
    }

    /// The chain's reply to an undelegation: a `MsgUndelegateResponse` in `msg_responses`
    /// with the completion time and the amount, as wasmd gives it (no events).
    fn reply_undelegated(&mut self, msg: &StakingMsg, payload: &Binary) {
        let StakingMsg::Undelegate { amount, .. } = msg else {
            panic!("reply requested on {msg:?}");
        };
        let completion = self.env.block.time.plus_seconds(self.unbonding_time);
        let value = MsgUndelegateResponse::new(completion, amount).encode_to_vec();
        #[allow(deprecated)]
        let result = SubMsgResult::Ok(SubMsgResponse {
            events: vec![],
            data: None,
            msg_responses: vec![MsgResponse {
                type_url: MSG_UNDELEGATE_RESPONSE_TYPE_URL.to_string(),
                value: value.into(),
            }],
        });
        let reply = Reply {
            id: ReplyId::BatchUndelegated as u64,
            payload: payload.clone(),
            gas_used: 0,
            result,
        };
        let response = contract::reply(self.deps.as_mut(), self.env.clone(), reply)
            .expect("the hub refused the undelegation's reply");
        self.apply(&[], &response);
    }

    fn apply_staking(&mut self, msg: &StakingMsg) {
        match msg {
            StakingMsg::Delegate { validator, amount } => {
                assert!(self.chain_validators.contains(validator));
                assert_eq!(amount.denom, DENOM);
                self.balance = self
                    .balance
                    .checked_sub(amount.amount)
                    .expect("hub delegates more than it holds");
                *self.delegations.entry(validator.clone()).or_default() += amount.amount;
            }
            StakingMsg::Undelegate { validator, amount } => {
                let delegation = self.delegations.entry(validator.clone()).or_default();
                *delegation = delegation
                    .checked_sub(amount.amount)
                    .expect("undelegation above the delegation");
                self.unbondings.push(Unbonding {
                    amount: amount.amount,
                    completes_at: self.env.block.time.seconds() + self.unbonding_time,
                });
            }
            StakingMsg::Redelegate {
                src_validator,
                dst_validator,
                amount,
            } => {
                let maturing = self.maturing.get(src_validator).copied();
                let source = self.delegations.entry(src_validator.clone()).or_default();
                assert!(
                    amount.amount <= *source - maturing.unwrap_or_default(),
                    "redelegation out of a maturing redelegation"
                );
                *source -= amount.amount;
                *self.delegations.entry(dst_validator.clone()).or_default() += amount.amount;
                *self.maturing.entry(dst_validator.clone()).or_default() += amount.amount;
            }
            other => panic!("unexpected staking message {other:?}"),
        }
    }

    /// Writes the mock chain into the querier.
    pub fn push_chain(&mut self) {
        let hub = self.hub_addr();
        let validators: Vec<ChainValidator> = self
            .chain_validators
            .iter()
            .map(|v| {
                ChainValidator::create(
                    v.clone(),
                    Decimal::percent(5),
                    Decimal::percent(20),
                    Decimal::percent(1),
                )
            })
            .collect();
        let delegations: Vec<FullDelegation> = self
            .delegations
            .iter()
            .filter(|(_, amount)| !amount.is_zero())
            .map(|(validator, amount)| {
                let maturing = self.maturing.get(validator).copied().unwrap_or_default();
                FullDelegation::create(
                    hub.clone(),
                    validator.clone(),
                    coin(amount.u128(), DENOM),
                    coin(amount.saturating_sub(maturing).u128(), DENOM),
                    vec![],
                )
            })
            .collect();
        self.deps
            .querier
            .staking
            .update(DENOM, &validators, &delegations);
        self.deps
            .querier
            .bank
            .update_balance(hub, coins(self.balance.u128(), DENOM));
    }
}

//! A transaction on the mock chain: the hub's call, then every message of its response in
//! order, the collector's forward calling the hub back.

use cosmwasm_std::testing::{message_info, BankQuerier};
use cosmwasm_std::{
    coin, coins, from_json, Addr, Api, BankMsg, Binary, Coin, CosmosMsg, Decimal, DistributionMsg,
    FullDelegation, MsgResponse, Reply, ReplyOn, Response, StakingMsg, SubMsg, SubMsgResponse,
    SubMsgResult, Validator, WasmMsg,
};
use cw20::Cw20ExecuteMsg;
use flowstake::chain::{MsgUndelegateResponse, MSG_UNDELEGATE_RESPONSE_TYPE_URL};
use flowstake::hub::{ExecuteMsg, QueryMsg};
use flowstake_hub::contract;
use flowstake_hub::error::ContractError;
use prost::Message;

use super::{CallError, World, DENOM, REPLY_BATCH_UNDELEGATED};
use crate::chain::Refusal;

/// A message the hub emitted must be one the chain accepts.
fn chain_accepts(result: Result<(), Refusal>, msg: &CosmosMsg) {
    if let Err(Refusal(reason)) = result {
        panic!("the chain refuses a message the hub emitted: {reason}; message {msg:?}");
    }
}

impl World {
    /// Calls the hub's `execute` and follows its response on the chain.
    pub fn call_hub(
        &mut self,
        sender: &Addr,
        funds: &[Coin],
        msg: ExecuteMsg,
    ) -> Result<Response, CallError> {
        let mut paid: u128 = 0;
        for coin in funds.iter().filter(|c| c.denom == DENOM) {
            paid = paid
                .checked_add(coin.amount.u128())
                .ok_or(CallError::Bank)?;
        }
        if !self.chain.receive(paid, false) {
            return Err(CallError::Bank);
        }
        self.push_chain();
        let info = message_info(sender, funds);
        let response = contract::execute(self.deps.as_mut(), self.env.clone(), info, msg)
            .map_err(CallError::Hub)?;
        self.apply_response(&response)?;
        Ok(response)
    }

    /// Runs the hub's messages in order, as the chain does after the call returns.
    pub(crate) fn apply_response(&mut self, response: &Response) -> Result<(), CallError> {
        let now = self.now();
        for sub in &response.messages {
            let msg = &sub.msg;
            let batch_reply = matches!(msg, CosmosMsg::Staking(StakingMsg::Undelegate { .. }))
                && sub.reply_on == ReplyOn::Success
                && sub.id == REPLY_BATCH_UNDELEGATED;
            if !self.instantiating && !batch_reply {
                assert_eq!(
                    sub.reply_on,
                    ReplyOn::Never,
                    "the hub asked for a reply it cannot handle: {sub:?}"
                );
            }
            match msg {
                CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                    for sent in amount {
                        let result = self.chain.send(to_address, &sent.denom, sent.amount.u128());
                        chain_accepts(result, msg);
                    }
                }
                CosmosMsg::Staking(StakingMsg::Delegate { validator, amount }) => {
                    let result =
                        self.chain
                            .delegate(validator, &amount.denom, amount.amount.u128());
                    chain_accepts(result, msg);
                }
                CosmosMsg::Staking(StakingMsg::Undelegate { validator, amount }) => {
                    let result =
                        self.chain
                            .undelegate(validator, &amount.denom, amount.amount.u128(), now);
                    chain_accepts(result, msg);
                    if batch_reply {
                        self.undelegated_reply(sub, amount);
                    }
                }
                CosmosMsg::Staking(StakingMsg::Redelegate {
                    src_validator,
                    dst_validator,
                    amount,
                }) => {
                    let result = self.chain.redelegate(
                        src_validator,
                        dst_validator,
                        &amount.denom,
                        amount.amount.u128(),
                        now,
                    );
                    chain_accepts(result, msg);
                }
                CosmosMsg::Distribution(DistributionMsg::SetWithdrawAddress { address }) => {
                    assert_eq!(
                        address,
                        self.accounts.collector.as_str(),
                        "rewards withdrawn to another account than the collector"
                    );
                    self.chain.withdraw_to_collector = true;
                }
                CosmosMsg::Distribution(DistributionMsg::WithdrawDelegatorReward { validator }) => {
                    chain_accepts(self.chain.withdraw_rewards(validator), msg);
                }
                CosmosMsg::Wasm(WasmMsg::Execute {
                    contract_addr,
                    msg: inner,
                    funds,
                }) => {
                    assert!(funds.is_empty(), "the hub attached funds to {msg:?}");
                    if contract_addr == self.accounts.token.as_str() {
                        let result = self.token_message(inner);
                        chain_accepts(result, msg);
                    } else if contract_addr == self.accounts.collector.as_str() {
                        self.collector_message(inner)?;
                    } else {
                        panic!("the hub called an unknown contract: {msg:?}");
                    }
                }
                CosmosMsg::Wasm(WasmMsg::Instantiate { .. }) if self.instantiating => {}
                other => panic!("the hub emitted an unexpected message: {other:?}"),
            }
        }
        Ok(())
    }

    /// The derivative token executes what the hub, its minter, sends it.
    pub(crate) fn token_message(&mut self, msg: &Binary) -> Result<(), Refusal> {
        let hub = self.accounts.hub.to_string();
        let msg: Cw20ExecuteMsg = from_json(msg).expect("the hub sends the token a cw20 message");
        match msg {
            Cw20ExecuteMsg::Mint { recipient, amount } => {
                if self.deps.api.addr_validate(&recipient).is_err() {
                    return Err(Refusal(format!("cw20: invalid recipient {recipient}")));
                }
                self.chain.token.mint(&recipient, amount.u128())?;
                // Beyond the dead shares, a mint to the hub is a bond naming it as receiver.
                if recipient == hub && !self.instantiating {
                    self.donated_shares += amount.u128();
                }
                Ok(())
            }
            Cw20ExecuteMsg::Burn { amount } => self.chain.token.burn(&hub, amount.u128()),
            Cw20ExecuteMsg::Transfer { recipient, amount } => {
                if self.deps.api.addr_validate(&recipient).is_err() {
                    return Err(Refusal(format!("cw20: invalid recipient {recipient}")));
                }
                self.chain.token.transfer(&hub, &recipient, amount.u128())
            }
            other => panic!("the hub sent the token an unexpected message: {other:?}"),
        }
    }

    /// The hub's reply to a batch's first undelegation, as the chain gives it: the
    /// `MsgUndelegateResponse` with the completion time (block time plus the chain's unbonding
    /// time) in `msg_responses`, and the same bytes in the deprecated `data`. The reply must be
    /// accepted: the response is what the hub asked for.
    fn undelegated_reply(&mut self, sub: &SubMsg, amount: &Coin) {
        let completion = self
            .env
            .block
            .time
            .plus_seconds(self.chain.unbonding_period);
        let value = Binary::new(MsgUndelegateResponse::new(completion, amount).encode_to_vec());
        #[allow(deprecated)]
        let reply = Reply {
            id: sub.id,
            payload: sub.payload.clone(),
            gas_used: 0,
            result: SubMsgResult::Ok(SubMsgResponse {
                events: vec![],
                data: Some(value.clone()),
                msg_responses: vec![MsgResponse {
                    type_url: MSG_UNDELEGATE_RESPONSE_TYPE_URL.to_string(),
                    value,
                }],
            }),
        };
        let response = contract::reply(self.deps.as_mut(), self.env.clone(), reply)
            .unwrap_or_else(|err| panic!("the hub refused the chain's undelegation reply: {err}"));
        assert!(
            response.messages.is_empty(),
            "the undelegation reply sends messages: {response:?}"
        );
    }

    /// What the reward collector does with the hub's message: `Forward` sends its whole
    /// balance back to the hub's `ReceiveRewards` (nothing with nothing to send); `Sweep`
    /// refuses the staking denom and sends its balance of the others (none on this chain).
    pub(crate) fn collector_message(&mut self, msg: &Binary) -> Result<(), CallError> {
        let msg: flowstake::collector::ExecuteMsg =
            from_json(msg).expect("the hub sends the collector a collector message");
        match msg {
            flowstake::collector::ExecuteMsg::Forward {} => self.forward(),
            flowstake::collector::ExecuteMsg::Sweep { denoms, receiver } => {
                let config: flowstake::hub::ConfigResponse = from_json(
                    self.query_pushed(QueryMsg::Config {})
                        .expect("the hub answers its config"),
                )
                .expect("a config answer");
                assert_eq!(
                    receiver,
                    config.fee_receiver.as_str(),
                    "a sweep to another account than the fee receiver"
                );
                if denoms.iter().any(|d| d == DENOM) {
                    return Err(CallError::Collector(format!(
                        "the collector refuses to sweep the staking denom {DENOM}"
                    )));
                }
                Ok(())
            }
        }
    }

    /// The reward collector's `Forward`.
    fn forward(&mut self) -> Result<(), CallError> {
        let amount = self.chain.collector_balance;
        if amount == 0 {
            return Ok(());
        }
        self.chain.collector_balance = 0;
        let collector = self.accounts.collector.clone();
        self.call_hub(
            &collector,
            &coins(amount, DENOM),
            ExecuteMsg::ReceiveRewards {},
        )
        .map(|_| ())
    }

    /// Writes the chain into the querier the hub reads.
    pub fn push_chain(&mut self) {
        let hub = self.accounts.hub.clone();
        let validators: Vec<Validator> = self
            .chain
            .validators
            .iter()
            .map(|address| {
                Validator::create(
                    address.clone(),
                    Decimal::percent(5),
                    Decimal::percent(20),
                    Decimal::percent(1),
                )
            })
            .collect();
        let delegations: Vec<FullDelegation> = self
            .chain
            .delegations
            .iter()
            .filter(|(_, amount)| **amount > 0)
            .map(|(validator, amount)| {
                FullDelegation::create(
                    hub.clone(),
                    validator.clone(),
                    coin(*amount, DENOM),
                    coin(self.chain.can_redelegate(validator), DENOM),
                    vec![],
                )
            })
            .collect();
        let querier = &mut self.deps.querier;
        querier.staking.update(DENOM, &validators, &delegations);
        // Both balances at once: the querier sums its balances into a supply.
        querier.bank = BankQuerier::new(&[
            (hub.as_str(), &coins(self.chain.hub_balance, DENOM)),
            (
                self.accounts.collector.as_str(),
                &coins(self.chain.collector_balance, DENOM),
            ),
        ]);
    }

    /// Calls the hub's `query` on the current chain.
    pub fn query_result(&mut self, msg: QueryMsg) -> Result<Binary, ContractError> {
        self.push_chain();
        self.query_pushed(msg)
    }

    /// Calls the hub's `query` on the chain as last written into the querier
    /// ([`World::push_chain`]): for a series of queries on one state.
    pub fn query_pushed(&self, msg: QueryMsg) -> Result<Binary, ContractError> {
        contract::query(self.deps.as_ref(), self.env.clone(), msg)
    }
}

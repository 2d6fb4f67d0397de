//! A transaction on the mock chain: the hub's call, then every message of its response in
//! order, the collector's forward calling the hub back.

use cosmwasm_std::testing::{message_info, BankQuerier};
use cosmwasm_std::{
    coin, coins, from_json, Addr, Api, BankMsg, Binary, Coin, CosmosMsg, Decimal, DistributionMsg,
    FullDelegation, ReplyOn, Response, StakingMsg, Validator, WasmMsg,
};
use cw20::Cw20ExecuteMsg;
use flowstake::hub::{ExecuteMsg, QueryMsg};
use flowstake_hub::contract;
use flowstake_hub::error::ContractError;

use super::{CallError, World, DENOM};
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
            if !self.instantiating {
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
                        self.forward(inner)?;
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

    /// The reward collector's `Forward`: its whole balance goes back to the hub's
    /// `ReceiveRewards`; with nothing to send it sends nothing.
    pub(crate) fn forward(&mut self, msg: &Binary) -> Result<(), CallError> {
        let flowstake::collector::ExecuteMsg::Forward {} =
            from_json(msg).expect("the hub sends the collector a collector message");
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

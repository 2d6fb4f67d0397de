//! How the host routes what a contract emits, as wasmd does: each message in order with all
//! it triggers, then its reply, before the next; contract messages run in the addressed
//! contract, bank, staking and distribution messages change the modelled chain; a failed
//! submessage with a reply on error is undone before its reply.

use cosmwasm_std::{
    Addr, Binary, Coin, CosmosMsg, Empty, Event, MessageInfo, MsgResponse, Reply, ReplyOn,
    Response, SubMsgResponse, SubMsgResult, WasmMsg,
};
use cosmwasm_vm::{call_execute, call_instantiate, call_reply};

use crate::outcome::{CallGas, TxError};
use crate::storage::ContractStorage;
use crate::vm::{Contract, Vm};

const INSTANTIATE_RESPONSE_TYPE: &str = "/cosmwasm.wasm.v1.MsgInstantiateContractResponse";
const EXECUTE_RESPONSE_TYPE: &str = "/cosmwasm.wasm.v1.MsgExecuteContractResponse";

/// What a message produced, as the caller's reply would see it.
#[derive(Default)]
pub(crate) struct Produced {
    pub(crate) events: Vec<Event>,
    pub(crate) data: Option<Binary>,
    pub(crate) msg_responses: Vec<MsgResponse>,
}

impl Vm {
    pub(crate) fn run_instantiate(
        &mut self,
        sender: &str,
        code_id: u64,
        msg: &[u8],
        funds: &[Coin],
        label: &str,
        calls: &mut Vec<CallGas>,
    ) -> Result<(String, Produced), TxError> {
        if code_id == 0 || code_id as usize > self.codes.len() {
            return Err(TxError::Chain {
                sender: sender.to_string(),
                error: format!("no code with id {code_id}"),
            });
        }
        let address = self.next_contract_address(code_id);
        self.contracts.insert(
            address.clone(),
            Contract {
                code_id,
                label: label.to_string(),
                storage: ContractStorage::default(),
            },
        );
        self.created.push(address.clone());
        self.chain()
            .transfer(sender, &address, funds)
            .map_err(|error| TxError::Chain {
                sender: sender.to_string(),
                error,
            })?;
        let info = MessageInfo {
            sender: Addr::unchecked(sender),
            funds: funds.to_vec(),
        };
        let response = self.call(&address, "instantiate".to_string(), calls, |i, env| {
            call_instantiate::<_, _, _, Empty>(i, env, &info, msg)
        })?;
        let mut events = vec![Event::new("instantiate")
            .add_attribute("_contract_address", &address)
            .add_attribute("code_id", code_id.to_string())];
        let (more, data) = self.process_response(&address, response, calls)?;
        events.extend(more);
        let mut encoded = vec![];
        protobuf_bytes(&mut encoded, 1, address.as_bytes());
        if let Some(data) = data {
            protobuf_bytes(&mut encoded, 2, &data);
        }
        let encoded = Binary::new(encoded);
        Ok((
            address,
            Produced {
                events,
                data: Some(encoded.clone()),
                msg_responses: vec![MsgResponse {
                    type_url: INSTANTIATE_RESPONSE_TYPE.to_string(),
                    value: encoded,
                }],
            },
        ))
    }

    pub(crate) fn run_execute(
        &mut self,
        sender: &str,
        contract: &str,
        msg: &[u8],
        funds: &[Coin],
        calls: &mut Vec<CallGas>,
    ) -> Result<Produced, TxError> {
        if !self.contracts.contains_key(contract) {
            return Err(TxError::Chain {
                sender: sender.to_string(),
                error: format!("no contract at {contract}"),
            });
        }
        self.chain()
            .transfer(sender, contract, funds)
            .map_err(|error| TxError::Chain {
                sender: sender.to_string(),
                error,
            })?;
        let info = MessageInfo {
            sender: Addr::unchecked(sender),
            funds: funds.to_vec(),
        };
        let entry = format!("execute:{}", message_name(msg));
        let response = self.call(contract, entry, calls, |i, env| {
            call_execute::<_, _, _, Empty>(i, env, &info, msg)
        })?;
        let mut events = vec![Event::new("execute").add_attribute("_contract_address", contract)];
        let (more, data) = self.process_response(contract, response, calls)?;
        events.extend(more);
        let mut encoded = vec![];
        if let Some(data) = &data {
            protobuf_bytes(&mut encoded, 1, data);
        }
        let encoded = Binary::new(encoded);
        Ok(Produced {
            events,
            data: data.map(|_| encoded.clone()),
            msg_responses: vec![MsgResponse {
                type_url: EXECUTE_RESPONSE_TYPE.to_string(),
                value: encoded,
            }],
        })
    }

    fn run_reply(
        &mut self,
        contract: &str,
        reply: Reply,
        calls: &mut Vec<CallGas>,
    ) -> Result<(Vec<Event>, Option<Binary>), TxError> {
        let entry = format!("reply:{}", reply.id);
        let response = self.call(contract, entry, calls, |i, env| {
            call_reply::<_, _, _, Empty>(i, env, &reply)
        })?;
        let mut events = vec![Event::new("reply").add_attribute("_contract_address", contract)];
        let (more, data) = self.process_response(contract, response, calls)?;
        events.extend(more);
        Ok((events, data))
    }

    /// Turns a response into events and runs its messages in order, each with everything it
    /// triggers (and its reply) before the next, as wasmd does.
    fn process_response(
        &mut self,
        contract: &str,
        response: Response<Empty>,
        calls: &mut Vec<CallGas>,
    ) -> Result<(Vec<Event>, Option<Binary>), TxError> {
        let mut events = vec![];
        if !response.attributes.is_empty() {
            events.push(
                Event::new("wasm")
                    .add_attribute("_contract_address", contract)
                    .add_attributes(response.attributes),
            );
        }
        for event in response.events {
            events.push(
                Event::new(format!("wasm-{}", event.ty))
                    .add_attribute("_contract_address", contract)
                    .add_attributes(event.attributes),
            );
        }
        let mut data = response.data;
        for sub in response.messages {
            let replies_on_error = matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Error);
            let replies_on_success = matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Success);
            let checkpoint = replies_on_error.then(|| self.checkpoint());
            let result = match self.dispatch(contract, &sub.msg, calls) {
                Ok(produced) => {
                    events.extend(produced.events.iter().cloned());
                    if !replies_on_success {
                        continue;
                    }
                    #[allow(deprecated)]
                    SubMsgResult::Ok(SubMsgResponse {
                        events: produced.events,
                        data: produced.data,
                        msg_responses: produced.msg_responses,
                    })
                }
                Err(error) => match checkpoint {
                    Some(checkpoint) => {
                        self.rollback(checkpoint);
                        SubMsgResult::Err(error.to_string())
                    }
                    None => return Err(error),
                },
            };
            let reply = Reply {
                id: sub.id,
                payload: sub.payload,
                gas_used: 0,
                result,
            };
            let (reply_events, reply_data) = self.run_reply(contract, reply, calls)?;
            events.extend(reply_events);
            if reply_data.is_some() {
                data = reply_data;
            }
        }
        Ok((events, data))
    }

    fn dispatch(
        &mut self,
        sender: &str,
        msg: &CosmosMsg<Empty>,
        calls: &mut Vec<CallGas>,
    ) -> Result<Produced, TxError> {
        match msg {
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => self.run_execute(sender, contract_addr, msg, funds, calls),
            CosmosMsg::Wasm(WasmMsg::Instantiate {
                code_id,
                msg,
                funds,
                label,
                ..
            }) => self
                .run_instantiate(sender, *code_id, msg, funds, label, calls)
                .map(|(_, produced)| produced),
            other => {
                let response =
                    self.chain()
                        .apply(sender, other)
                        .map_err(|error| TxError::Chain {
                            sender: sender.to_string(),
                            error,
                        })?;
                // wasmd gives a reply the message's response in `msg_responses` and, for the
                // deprecated `data`, the same bytes.
                Ok(match response {
                    Some((type_url, value)) => Produced {
                        events: vec![],
                        data: Some(value.clone()),
                        msg_responses: vec![MsgResponse { type_url, value }],
                    },
                    None => Produced::default(),
                })
            }
        }
    }
}

/// The name of a JSON message: its only key (`{"bond":{...}}` is `bond`).
pub(crate) fn message_name(msg: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(msg) {
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Appends a length-delimited protobuf field.
fn protobuf_bytes(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    out.push((field << 3) | 2);
    let mut len = bytes.len() as u64;
    while len >= 0x80 {
        out.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(bytes);
}

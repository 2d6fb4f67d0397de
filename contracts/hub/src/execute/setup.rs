//! Instantiation: the seed deposit, the initial validator set, and the deployment of the token
//! and the reward collector, whose addresses arrive in replies.

use cosmwasm_std::{
    to_json_binary, Addr, Decimal, DepsMut, DistributionMsg, Env, MessageInfo, Reply, Response,
    SubMsg, SubMsgResult, Uint128, WasmMsg,
};
use cw20::{Cw20ExecuteMsg, MinterResponse};
use flowstake::hub::{InstantiateMsg, Liquidity, TokenInfo, Totals};

use crate::error::ContractError;
use crate::execute::admin::{validate_config, CONTRACT_NAME, CONTRACT_VERSION};
use crate::execute::validators::{check_on_chain, check_weight, MAX_VALIDATORS};
use crate::ledger;
use crate::state::{
    validators, BlockMark, Config, PendingBatch, State, Validator, COLLECTOR, CONFIG, PAUSED,
    PENDING_BATCH, STATE, TOKEN,
};

/// Submessages whose replies the hub handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum ReplyId {
    InstantiateToken = 1,
    InstantiateCollector = 2,
    /// The first undelegation of a submitted batch: its `MsgUndelegateResponse` carries the
    /// chain's completion time. The payload is the batch id.
    BatchUndelegated = 3,
}

impl TryFrom<u64> for ReplyId {
    type Error = ContractError;

    fn try_from(id: u64) -> Result<Self, Self::Error> {
        match id {
            1 => Ok(ReplyId::InstantiateToken),
            2 => Ok(ReplyId::InstantiateCollector),
            3 => Ok(ReplyId::BatchUndelegated),
            _ => Err(ContractError::UnknownReply { id }),
        }
    }
}

/// Smallest seed deposit, in native units (and never below `min_bond`). The seed's dead shares
/// are what keeps a first depositor from pushing the rate around while the supply is small.
pub const MIN_SEED: u128 = 1_000;

pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let api = deps.api;
    let owner = msg.owner.as_deref().unwrap_or(info.sender.as_str());
    cw_ownable::initialize_owner(deps.storage, api, Some(owner))?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;

    let config = Config {
        guardian: msg.guardian.map(|g| api.addr_validate(&g)).transpose()?,
        denom: msg.denom,
        fee_receiver: api.addr_validate(&msg.fee_receiver)?,
        fee_rate: msg.fee_rate,
        min_bond: msg.min_bond,
        min_unbond: msg.min_unbond,
        epoch_period: msg.epoch_period,
        unbonding_period: msg.unbonding_period,
        max_unbond_shortfall: msg.max_unbond_shortfall,
        rate_bounds: msg.rate_bounds,
        max_reward_rate: msg
            .max_reward_rate
            .unwrap_or(flowstake::DEFAULT_MAX_REWARD_RATE),
        // No buffer and no exit fee until the owner sets them (`update_config`): with them the
        // message's decoder outgrew the VM's limit of 100 locals per wasm function.
        liquidity: Liquidity::default(),
    };
    validate_config(&config)?;
    let seed = cw_utils::must_pay(&info, &config.denom)?;
    let min_seed = config.min_bond.max(Uint128::new(MIN_SEED));
    if seed < min_seed {
        return Err(ContractError::SeedTooSmall {
            seed,
            min: min_seed,
        });
    }

    if msg.validators.is_empty() {
        return Err(ContractError::NoValidators {});
    }
    if msg.validators.len() > MAX_VALIDATORS as usize {
        return Err(ContractError::TooManyValidators {
            max: MAX_VALIDATORS,
        });
    }
    for entry in &msg.validators {
        check_weight(entry.weight)?;
        check_on_chain(&deps.querier, &entry.address)?;
        if validators().has(deps.storage, &entry.address) {
            return Err(ContractError::ValidatorExists {
                address: entry.address.clone(),
            });
        }
        let validator = Validator {
            address: entry.address.clone(),
            weight: entry.weight,
            paused: false,
            inactive: false,
            delegated: Uint128::zero(),
        };
        validators().save(deps.storage, &entry.address, &validator)?;
    }
    let (delegate_seed, _) = ledger::delegate(deps.storage, &deps.querier, seed, &config.denom)?;

    let now = env.block.time.seconds();
    STATE.save(
        deps.storage,
        &State {
            total_native: seed,
            total_shares: seed,
            dead_shares: seed,
            reserved_for_claims: Uint128::zero(),
            unlocked_surplus: Uint128::zero(),
            unvested_rewards: Uint128::zero(),
            vested_at: now,
            next_reconcile_id: 1,
            seen: BlockMark {
                height: env.block.height,
                time: now,
            },
            paid_through: 0,
            submitting: Uint128::zero(),
            buffer: Uint128::zero(),
            buffer_incoming: Uint128::zero(),
            unbonding_time_observed: None,
            last_sync: now,
            last_sync_rate: Decimal::one(),
            totals: Totals {
                bonded: seed,
                ..Totals::default()
            },
        },
    )?;
    let first = STATE.load(deps.storage)?;
    crate::history::record(deps.storage, &first, now)?;
    PENDING_BATCH.save(
        deps.storage,
        &PendingBatch {
            id: 1,
            shares: Uint128::zero(),
            submit_after: now + config.epoch_period,
        },
    )?;
    PAUSED.save(deps.storage, &vec![])?;

    let hub = env.contract.address;
    let instantiate_token = WasmMsg::Instantiate {
        admin: Some(owner.to_string()),
        code_id: msg.token_code_id,
        msg: to_json_binary(&token_instantiate_msg(msg.token, &hub))?,
        funds: vec![],
        label: "flowstake derivative token".to_string(),
    };
    let instantiate_collector = WasmMsg::Instantiate {
        admin: Some(owner.to_string()),
        code_id: msg.collector_code_id,
        msg: to_json_binary(&flowstake::collector::InstantiateMsg {
            denom: config.denom.clone(),
        })?,
        funds: vec![],
        label: "flowstake reward collector".to_string(),
    };
    CONFIG.save(deps.storage, &config)?;

    Ok(Response::new()
        .add_message(delegate_seed)
        .add_submessage(SubMsg::reply_on_success(
            instantiate_token,
            ReplyId::InstantiateToken as u64,
        ))
        .add_submessage(SubMsg::reply_on_success(
            instantiate_collector,
            ReplyId::InstantiateCollector as u64,
        ))
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner)
        .add_attribute("seed", seed))
}

fn token_instantiate_msg(token: TokenInfo, hub: &Addr) -> cw20_base::msg::InstantiateMsg {
    cw20_base::msg::InstantiateMsg {
        name: token.name,
        symbol: token.symbol,
        decimals: token.decimals,
        initial_balances: vec![],
        mint: Some(MinterResponse {
            minter: hub.to_string(),
            cap: None,
        }),
        marketing: token
            .marketing
            .map(|m| cw20_base::msg::InstantiateMarketingInfo {
                project: m.project,
                description: m.description,
                marketing: m.marketing,
                logo: m.logo,
            }),
    }
}

pub fn reply(deps: DepsMut, env: Env, msg: Reply) -> Result<Response, ContractError> {
    let msg_id = msg.id;
    let id = ReplyId::try_from(msg_id)?;
    let address = deps.api.addr_validate(&instantiated_address(msg.result)?)?;
    match id {
        ReplyId::InstantiateToken => {
            TOKEN.save(deps.storage, &address)?;
            // The seed becomes dead shares held by the hub itself: never redeemable, they keep
            // the rate from being pushed around while the supply is small.
            let dead_shares = STATE.load(deps.storage)?.dead_shares;
            let mint = WasmMsg::Execute {
                contract_addr: address.to_string(),
                msg: to_json_binary(&Cw20ExecuteMsg::Mint {
                    recipient: env.contract.address.to_string(),
                    amount: dead_shares,
                })?,
                funds: vec![],
            };
            Ok(Response::new()
                .add_message(mint)
                .add_attribute("action", "token_deployed")
                .add_attribute("token", address))
        }
        ReplyId::BatchUndelegated => Err(ContractError::UnknownReply { id: msg_id }),
        ReplyId::InstantiateCollector => {
            COLLECTOR.save(deps.storage, &address)?;
            let set_withdraw = DistributionMsg::SetWithdrawAddress {
                address: address.to_string(),
            };
            Ok(Response::new()
                .add_message(set_withdraw)
                .add_attribute("action", "collector_deployed")
                .add_attribute("collector", address))
        }
    }
}

/// The address of a contract instantiated by a submessage: from the response data where the
/// chain sets it, else from the `instantiate` event every chain emits.
fn instantiated_address(result: SubMsgResult) -> Result<String, ContractError> {
    let response = result
        .into_result()
        .map_err(|_| ContractError::ReplyWithoutAddress {})?;
    #[allow(deprecated)]
    if let Some(data) = &response.data {
        if let Ok(parsed) = cw_utils::parse_instantiate_response_data(data) {
            return Ok(parsed.contract_address);
        }
    }
    response
        .events
        .iter()
        .filter(|event| event.ty == "instantiate")
        .flat_map(|event| event.attributes.iter())
        .find(|attr| attr.key == "_contract_address")
        .map(|attr| attr.value.clone())
        .ok_or(ContractError::ReplyWithoutAddress {})
}

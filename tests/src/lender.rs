//! A lending-style contract for the scenario tests: it takes the derivative as collateral
//! through the cw20 receive hook and prices it as a lender integrating the hub would, with
//! `redemption_rate`, refusing a rate whose `update_time` is older than its staleness window
//! and a rate the hub's breaker has paused.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, Decimal, Deps, DepsMut, Empty, Env, MessageInfo,
    Response, StdResult, Uint128,
};
use cw20::Cw20ReceiveMsg;
use cw_multi_test::{Contract, ContractWrapper};
use cw_storage_plus::{Item, Map};
use flowstake::hub::{Operation, PausedResponse, QueryMsg as HubQuery, RedemptionRateResponse};
use thiserror::Error;

#[cw_serde]
pub struct LenderInstantiateMsg {
    pub hub: String,
    pub token: String,
    /// Oldest `update_time` accepted, in seconds before the current block.
    pub staleness: u64,
}

#[cw_serde]
pub enum LenderExecuteMsg {
    Receive(Cw20ReceiveMsg),
}

/// What the receive hook accepts.
#[cw_serde]
pub enum LenderHook {
    DepositCollateral {},
}

#[cw_serde]
pub enum LenderQueryMsg {
    Collateral { address: String },
}

#[cw_serde]
pub struct CollateralResponse {
    pub shares: Uint128,
    /// The collateral's value in native at the hub's redemption rate, rounded down.
    pub value: Uint128,
    pub rate: Decimal,
}

#[derive(Error, Debug, PartialEq)]
pub enum LenderError {
    #[error(transparent)]
    Std(#[from] cosmwasm_std::StdError),
    #[error("collateral accepted only in the derivative token {expected}, not {sent}")]
    ForeignToken { expected: String, sent: String },
    #[error("the rate was updated at {update_time}, more than {staleness} s before {now}")]
    StaleRate {
        update_time: u64,
        now: u64,
        staleness: u64,
    },
    #[error("the hub has paused bonds and unbonds: its rate is not trusted")]
    HubPaused {},
}

#[cw_serde]
struct Config {
    hub: Addr,
    token: Addr,
    staleness: u64,
}

const CONFIG: Item<Config> = Item::new("config");
const COLLATERAL: Map<&Addr, Uint128> = Map::new("collateral");

fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: LenderInstantiateMsg,
) -> Result<Response, LenderError> {
    let config = Config {
        hub: deps.api.addr_validate(&msg.hub)?,
        token: deps.api.addr_validate(&msg.token)?,
        staleness: msg.staleness,
    };
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new())
}

fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: LenderExecuteMsg,
) -> Result<Response, LenderError> {
    let LenderExecuteMsg::Receive(receive) = msg;
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.token {
        return Err(LenderError::ForeignToken {
            expected: config.token.into_string(),
            sent: info.sender.into_string(),
        });
    }
    let LenderHook::DepositCollateral {} = from_json(&receive.msg)?;
    let owner_addr = deps.api.addr_validate(&receive.sender)?;
    COLLATERAL.update(deps.storage, &owner_addr, |held| -> StdResult<_> {
        Ok(held.unwrap_or_default() + receive.amount)
    })?;
    Ok(Response::new()
        .add_attribute("action", "deposit_collateral")
        .add_attribute("owner", owner_addr)
        .add_attribute("shares", receive.amount))
}

/// The hub's rate, if a lender may price with it now.
fn trusted_rate(deps: Deps, env: &Env, config: &Config) -> Result<Decimal, LenderError> {
    let paused: PausedResponse = deps
        .querier
        .query_wasm_smart(&config.hub, &HubQuery::Paused {})?;
    if paused.operations.contains(&Operation::Bond) {
        return Err(LenderError::HubPaused {});
    }
    let rate: RedemptionRateResponse = deps
        .querier
        .query_wasm_smart(&config.hub, &HubQuery::RedemptionRate {})?;
    let now = env.block.time.seconds();
    if now.saturating_sub(rate.update_time) > config.staleness {
        return Err(LenderError::StaleRate {
            update_time: rate.update_time,
            now,
            staleness: config.staleness,
        });
    }
    Ok(rate.redemption_rate)
}

fn query(deps: Deps, env: Env, msg: LenderQueryMsg) -> Result<Binary, LenderError> {
    let LenderQueryMsg::Collateral { address } = msg;
    let config = CONFIG.load(deps.storage)?;
    let owner_addr = deps.api.addr_validate(&address)?;
    let shares = COLLATERAL
        .may_load(deps.storage, &owner_addr)?
        .unwrap_or_default();
    let rate = trusted_rate(deps, &env, &config)?;
    Ok(to_json_binary(&CollateralResponse {
        shares,
        value: shares.mul_floor(rate),
        rate,
    })?)
}

pub fn lender_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(execute, instantiate, query))
}

impl crate::Suite {
    /// Stores and instantiates a lender taking this hub's derivative, with a staleness window
    /// of `staleness` seconds.
    pub fn instantiate_lender(&mut self, staleness: u64) -> Addr {
        use cw_multi_test::Executor;
        let code_id = self.app.store_code(lender_contract());
        let msg = LenderInstantiateMsg {
            hub: self.hub.to_string(),
            token: self.token.to_string(),
            staleness,
        };
        let owner = self.addr(crate::OWNER);
        self.app
            .instantiate_contract(code_id, owner, &msg, &[], "lender", None)
            .unwrap()
    }

    /// Bonds `native` for `user` and forwards the derivative to `contract` with `msg`.
    pub fn bond_and_forward(
        &mut self,
        user: &str,
        native: u128,
        receiver: Option<&str>,
        contract: &Addr,
        msg: Binary,
    ) -> cw_multi_test::error::AnyResult<cw_multi_test::AppResponse> {
        let msg = flowstake::hub::ExecuteMsg::Bond {
            receiver: receiver.map(|name| self.addr(name).into_string()),
            min_shares: None,
            forward: Some(flowstake::hub::Forward {
                contract: contract.to_string(),
                msg,
            }),
        };
        let funds = cosmwasm_std::coins(native, crate::DENOM);
        self.execute_hub(user, &msg, &funds)
    }

    /// What the lender at `lender` says `user`'s collateral is worth, or why it refuses to
    /// price it.
    pub fn lender_collateral(&self, lender: &Addr, user: &str) -> StdResult<CollateralResponse> {
        let msg = LenderQueryMsg::Collateral {
            address: self.addr(user).into_string(),
        };
        self.app.wrap().query_wasm_smart(lender, &msg)
    }
}

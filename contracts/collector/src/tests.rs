use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
};
use cosmwasm_std::{
    coin, coins, from_json, to_json_binary, Addr, CosmosMsg, OwnedDeps, Response, WasmMsg,
};
use cw2::{get_contract_version, set_contract_version};
use flowstake::collector::{ConfigResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use flowstake::hub::ExecuteMsg as HubExecuteMsg;

use crate::contract::{execute, instantiate, migrate, query, CONTRACT_NAME, CONTRACT_VERSION};
use crate::error::ContractError;

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

const DENOM: &str = "ustake";

/// A collector instantiated by the returned hub address.
fn setup() -> (Deps, Addr) {
    let mut deps = mock_dependencies();
    let hub_addr = deps.api.addr_make("hub");
    let msg = InstantiateMsg {
        denom: DENOM.to_string(),
    };
    instantiate(deps.as_mut(), mock_env(), message_info(&hub_addr, &[]), msg).unwrap();
    (deps, hub_addr)
}

fn forward(deps: &mut Deps, sender: &Addr) -> Result<Response, ContractError> {
    let info = message_info(sender, &[]);
    execute(deps.as_mut(), mock_env(), info, ExecuteMsg::Forward {})
}

fn set_collector_balance(deps: &mut Deps, balance: Vec<cosmwasm_std::Coin>) {
    let collector_addr = mock_env().contract.address;
    deps.querier.bank.update_balance(collector_addr, balance);
}

fn attribute<'a>(response: &'a Response, key: &str) -> Option<&'a str> {
    response
        .attributes
        .iter()
        .find(|attr| attr.key == key)
        .map(|attr| attr.value.as_str())
}

#[test]
fn instantiate_stores_sender_as_hub() {
    let (deps, hub_addr) = setup();
    let bin = query(deps.as_ref(), mock_env(), QueryMsg::Config {}).unwrap();
    let config: ConfigResponse = from_json(bin).unwrap();
    assert_eq!(
        config,
        ConfigResponse {
            hub: hub_addr,
            denom: DENOM.to_string(),
        }
    );
    let version = get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.contract, CONTRACT_NAME);
    assert_eq!(version.version, CONTRACT_VERSION);
}

#[test]
fn forward_by_stranger_is_refused() {
    let (mut deps, _) = setup();
    set_collector_balance(&mut deps, coins(500, DENOM));
    let stranger = deps.api.addr_make("stranger");
    let err = forward(&mut deps, &stranger).unwrap_err();
    assert_eq!(
        err,
        ContractError::Unauthorized {
            sender: stranger.to_string()
        }
    );
}

#[test]
fn forward_with_zero_balance_sends_nothing() {
    let (mut deps, hub_addr) = setup();
    let response = forward(&mut deps, &hub_addr).unwrap();
    assert!(response.messages.is_empty());
    assert_eq!(response.attributes[0].key, "action");
    assert_eq!(response.attributes[0].value, "forward");
    assert_eq!(attribute(&response, "amount"), Some("0"));
}

#[test]
fn forward_ignores_other_denoms() {
    let (mut deps, hub_addr) = setup();
    set_collector_balance(&mut deps, coins(700, "uother"));
    let response = forward(&mut deps, &hub_addr).unwrap();
    assert!(response.messages.is_empty());
}

#[test]
fn forward_sends_whole_balance_to_hub_receive_rewards() {
    let (mut deps, hub_addr) = setup();
    set_collector_balance(&mut deps, vec![coin(1_234, DENOM), coin(99, "uother")]);
    let response = forward(&mut deps, &hub_addr).unwrap();

    let expected = CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr: hub_addr.to_string(),
        msg: to_json_binary(&HubExecuteMsg::ReceiveRewards {}).unwrap(),
        funds: coins(1_234, DENOM),
    });
    assert_eq!(response.messages.len(), 1);
    assert_eq!(response.messages[0].msg, expected);
    assert_eq!(response.attributes[0].key, "action");
    assert_eq!(response.attributes[0].value, "forward");
    assert_eq!(attribute(&response, "amount"), Some("1234"));
}

fn migration_refused(from: &str) -> ContractError {
    ContractError::MigrationRefused {
        from: from.to_string(),
        to: format!("{CONTRACT_NAME}@{CONTRACT_VERSION}"),
    }
}

#[test]
fn migrate_refuses_downgrade() {
    let (mut deps, _) = setup();
    set_contract_version(&mut deps.storage, CONTRACT_NAME, "99.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert_eq!(err, migration_refused(&format!("{CONTRACT_NAME}@99.0.0")));
    assert_eq!(
        get_contract_version(&deps.storage).unwrap().version,
        "99.0.0"
    );
}

#[test]
fn migrate_refuses_foreign_contract() {
    let (mut deps, _) = setup();
    set_contract_version(&mut deps.storage, "crates.io:flowstake-token", "0.0.1").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert_eq!(err, migration_refused("crates.io:flowstake-token@0.0.1"));
}

#[test]
fn migrate_accepts_upgrade_and_keeps_config() {
    let (mut deps, hub_addr) = setup();
    set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
    let response = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(attribute(&response, "from_version"), Some("0.0.1"));
    assert_eq!(
        get_contract_version(&deps.storage).unwrap().version,
        CONTRACT_VERSION
    );
    let bin = query(deps.as_ref(), mock_env(), QueryMsg::Config {}).unwrap();
    let config: ConfigResponse = from_json(bin).unwrap();
    assert_eq!(config.hub, hub_addr);
}

fn sweep(deps: &mut Deps, sender: &Addr, denoms: &[&str]) -> Result<Response, ContractError> {
    let receiver = deps.api.addr_make("treasury").to_string();
    let msg = ExecuteMsg::Sweep {
        denoms: denoms.iter().map(|d| d.to_string()).collect(),
        receiver,
    };
    execute(deps.as_mut(), mock_env(), message_info(sender, &[]), msg)
}

#[test]
fn sweep_sends_every_named_denom_with_a_balance_to_the_receiver() {
    let (mut deps, hub_addr) = setup();
    set_collector_balance(
        &mut deps,
        vec![coin(7, "uatom"), coin(5, "ibc/ABC"), coin(100, DENOM)],
    );
    let response = sweep(
        &mut deps,
        &hub_addr,
        &["uatom", "ibc/ABC", "uosmo", "uatom"],
    )
    .unwrap();
    let treasury = deps.api.addr_make("treasury");
    assert_eq!(response.messages.len(), 1);
    assert_eq!(
        response.messages[0].msg,
        CosmosMsg::Bank(cosmwasm_std::BankMsg::Send {
            to_address: treasury.to_string(),
            amount: vec![coin(5, "ibc/ABC"), coin(7, "uatom")],
        })
    );
}

#[test]
fn sweep_refuses_the_staking_denom_and_strangers() {
    let (mut deps, hub_addr) = setup();
    set_collector_balance(&mut deps, vec![coin(100, DENOM), coin(3, "uatom")]);
    assert_eq!(
        sweep(&mut deps, &hub_addr, &["uatom", DENOM]).unwrap_err(),
        ContractError::SweepStakingDenom {
            denom: DENOM.to_string()
        }
    );
    let stranger = deps.api.addr_make("stranger");
    assert_eq!(
        sweep(&mut deps, &stranger, &["uatom"]).unwrap_err(),
        ContractError::Unauthorized {
            sender: stranger.to_string()
        }
    );
}

#[test]
fn sweep_with_nothing_to_send_sends_nothing() {
    let (mut deps, hub_addr) = setup();
    set_collector_balance(&mut deps, vec![coin(100, DENOM)]);
    let response = sweep(&mut deps, &hub_addr, &["uatom"]).unwrap();
    assert!(response.messages.is_empty());
}

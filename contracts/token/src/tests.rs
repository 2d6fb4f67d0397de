use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
};
use cosmwasm_std::{to_json_binary, Addr, Binary, Empty, OwnedDeps, Response, Uint128};
use cw2::{get_contract_version, set_contract_version};
use cw20::{Cw20ReceiveMsg, MinterResponse};
use cw20_base::contract::{query_balance, query_minter, query_token_info};
use cw20_base::msg::{ExecuteMsg, InstantiateMsg};
use flowstake::token::MinterMsg;

use crate::contract::{execute, instantiate, migrate, CONTRACT_NAME, CONTRACT_VERSION};
use crate::error::ContractError;

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

/// Balance minted to the holder at setup.
const HOLDER_SHARES: u128 = 1_000;

struct Accounts {
    minter: Addr,
    holder: Addr,
    other: Addr,
}

fn token_msg(minter: Option<&Addr>) -> InstantiateMsg {
    InstantiateMsg {
        name: "Flowstake Staked Token".to_string(),
        symbol: "fsTOKEN".to_string(),
        decimals: 6,
        initial_balances: vec![],
        mint: minter.map(|minter| MinterResponse {
            minter: minter.to_string(),
            cap: None,
        }),
        marketing: None,
    }
}

/// A token whose minter is `minter` and in which `holder` owns [`HOLDER_SHARES`].
fn setup() -> (Deps, Accounts) {
    let mut deps = mock_dependencies();
    let accounts = Accounts {
        minter: deps.api.addr_make("hub"),
        holder: deps.api.addr_make("holder"),
        other: deps.api.addr_make("other"),
    };
    let info = message_info(&accounts.minter, &[]);
    instantiate(
        deps.as_mut(),
        mock_env(),
        info,
        token_msg(Some(&accounts.minter)),
    )
    .unwrap();
    let mint = ExecuteMsg::Mint {
        recipient: accounts.holder.to_string(),
        amount: Uint128::new(HOLDER_SHARES),
    };
    run(&mut deps, &accounts.minter, mint).unwrap();
    (deps, accounts)
}

fn run(
    deps: &mut Deps,
    sender: &Addr,
    msg: impl Into<crate::msg::ExecuteMsg>,
) -> Result<Response, ContractError> {
    execute(
        deps.as_mut(),
        mock_env(),
        message_info(sender, &[]),
        msg.into(),
    )
}

fn balance(deps: &Deps, account: &Addr) -> u128 {
    query_balance(deps.as_ref(), account.to_string())
        .unwrap()
        .balance
        .u128()
}

fn supply(deps: &Deps) -> u128 {
    query_token_info(deps.as_ref()).unwrap().total_supply.u128()
}

#[test]
fn instantiate_refuses_missing_minter() {
    let mut deps = mock_dependencies();
    let creator = deps.api.addr_make("hub");
    let err = instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&creator, &[]),
        token_msg(None),
    )
    .unwrap_err();
    assert_eq!(err, ContractError::MinterRequired {});
}

#[test]
fn instantiate_records_own_contract_version() {
    let (deps, accounts) = setup();
    let version = get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.contract, CONTRACT_NAME);
    assert_eq!(version.version, CONTRACT_VERSION);
    let minter = query_minter(deps.as_ref()).unwrap().unwrap();
    assert_eq!(minter.minter, accounts.minter.to_string());
}

#[test]
fn minter_can_mint_and_burn_own_balance() {
    let (mut deps, accounts) = setup();
    let mint = ExecuteMsg::Mint {
        recipient: accounts.minter.to_string(),
        amount: Uint128::new(500),
    };
    run(&mut deps, &accounts.minter, mint).unwrap();
    assert_eq!(balance(&deps, &accounts.minter), 500);
    assert_eq!(supply(&deps), HOLDER_SHARES + 500);

    let burn = ExecuteMsg::Burn {
        amount: Uint128::new(200),
    };
    run(&mut deps, &accounts.minter, burn).unwrap();
    assert_eq!(balance(&deps, &accounts.minter), 300);
    assert_eq!(supply(&deps), HOLDER_SHARES + 300);
}

#[test]
fn holder_cannot_mint() {
    let (mut deps, accounts) = setup();
    let mint = ExecuteMsg::Mint {
        recipient: accounts.holder.to_string(),
        amount: Uint128::new(1),
    };
    let err = run(&mut deps, &accounts.holder, mint).unwrap_err();
    assert_eq!(
        err,
        ContractError::Base(cw20_base::ContractError::Unauthorized {})
    );
    assert_eq!(supply(&deps), HOLDER_SHARES);
}

#[test]
fn holder_burn_is_refused() {
    let (mut deps, accounts) = setup();
    let burn = ExecuteMsg::Burn {
        amount: Uint128::new(100),
    };
    let err = run(&mut deps, &accounts.holder, burn).unwrap_err();
    assert_eq!(
        err,
        ContractError::BurnNotAllowed {
            sender: accounts.holder.to_string()
        }
    );
    assert_eq!(balance(&deps, &accounts.holder), HOLDER_SHARES);
    assert_eq!(supply(&deps), HOLDER_SHARES);
}

#[test]
fn holder_burn_from_with_allowance_is_refused() {
    let (mut deps, accounts) = setup();
    let allow = ExecuteMsg::IncreaseAllowance {
        spender: accounts.other.to_string(),
        amount: Uint128::new(400),
        expires: None,
    };
    run(&mut deps, &accounts.holder, allow).unwrap();

    let burn_from = ExecuteMsg::BurnFrom {
        owner: accounts.holder.to_string(),
        amount: Uint128::new(100),
    };
    let err = run(&mut deps, &accounts.other, burn_from).unwrap_err();
    assert_eq!(
        err,
        ContractError::BurnNotAllowed {
            sender: accounts.other.to_string()
        }
    );
    assert_eq!(balance(&deps, &accounts.holder), HOLDER_SHARES);
    assert_eq!(supply(&deps), HOLDER_SHARES);
}

#[test]
fn minter_can_burn_from_with_allowance() {
    let (mut deps, accounts) = setup();
    let allow = ExecuteMsg::IncreaseAllowance {
        spender: accounts.minter.to_string(),
        amount: Uint128::new(400),
        expires: None,
    };
    run(&mut deps, &accounts.holder, allow).unwrap();

    let burn_from = ExecuteMsg::BurnFrom {
        owner: accounts.holder.to_string(),
        amount: Uint128::new(100),
    };
    run(&mut deps, &accounts.minter, burn_from).unwrap();
    assert_eq!(balance(&deps, &accounts.holder), HOLDER_SHARES - 100);
    assert_eq!(supply(&deps), HOLDER_SHARES - 100);
}

#[test]
fn update_minter_is_refused_even_for_minter() {
    let (mut deps, accounts) = setup();
    for sender in [&accounts.minter, &accounts.holder] {
        let update = ExecuteMsg::UpdateMinter {
            new_minter: Some(accounts.other.to_string()),
        };
        let err = run(&mut deps, sender, update).unwrap_err();
        assert_eq!(err, ContractError::MinterFixed {});
    }
    let minter = query_minter(deps.as_ref()).unwrap().unwrap();
    assert_eq!(minter.minter, accounts.minter.to_string());
}

#[test]
fn transfer_and_send_still_work() {
    let (mut deps, accounts) = setup();
    let transfer = ExecuteMsg::Transfer {
        recipient: accounts.other.to_string(),
        amount: Uint128::new(300),
    };
    run(&mut deps, &accounts.holder, transfer).unwrap();
    assert_eq!(balance(&deps, &accounts.holder), HOLDER_SHARES - 300);
    assert_eq!(balance(&deps, &accounts.other), 300);

    let hook = to_json_binary("queue_unbond").unwrap();
    let send = ExecuteMsg::Send {
        contract: accounts.minter.to_string(),
        amount: Uint128::new(200),
        msg: hook.clone(),
    };
    let response = run(&mut deps, &accounts.holder, send).unwrap();
    assert_eq!(balance(&deps, &accounts.holder), HOLDER_SHARES - 500);
    assert_eq!(balance(&deps, &accounts.minter), 200);
    assert_eq!(supply(&deps), HOLDER_SHARES);

    let expected = Cw20ReceiveMsg {
        sender: accounts.holder.to_string(),
        amount: Uint128::new(200),
        msg: hook,
    }
    .into_cosmos_msg(accounts.minter.to_string())
    .unwrap();
    assert_eq!(response.messages.len(), 1);
    assert_eq!(response.messages[0].msg, expected);
}

fn mint_and_send(accounts: &Accounts, amount: u128) -> MinterMsg {
    MinterMsg::MintAndSend {
        owner: accounts.holder.to_string(),
        contract: accounts.other.to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary("deposit").unwrap(),
    }
}

#[test]
fn mint_and_send_credits_the_contract_in_the_owners_name() {
    let (mut deps, accounts) = setup();
    let response = run(&mut deps, &accounts.minter, mint_and_send(&accounts, 400)).unwrap();
    assert_eq!(balance(&deps, &accounts.other), 400);
    assert_eq!(balance(&deps, &accounts.holder), HOLDER_SHARES);
    assert_eq!(supply(&deps), HOLDER_SHARES + 400);
    let expected = Cw20ReceiveMsg {
        sender: accounts.holder.to_string(),
        amount: Uint128::new(400),
        msg: to_json_binary("deposit").unwrap(),
    }
    .into_cosmos_msg(accounts.other.to_string())
    .unwrap();
    assert_eq!(response.messages.len(), 1);
    assert_eq!(response.messages[0].msg, expected);
}

#[test]
fn mint_and_send_is_the_minters_alone() {
    let (mut deps, accounts) = setup();
    let err = run(&mut deps, &accounts.holder, mint_and_send(&accounts, 400)).unwrap_err();
    assert_eq!(
        err,
        ContractError::Base(cw20_base::ContractError::Unauthorized {})
    );
    assert_eq!(balance(&deps, &accounts.other), 0);
    assert_eq!(supply(&deps), HOLDER_SHARES);
}

#[test]
fn mint_and_send_refuses_a_bad_address() {
    let (mut deps, accounts) = setup();
    let msg = MinterMsg::MintAndSend {
        owner: accounts.holder.to_string(),
        contract: "not-an-address".to_string(),
        amount: Uint128::new(1),
        msg: Binary::default(),
    };
    let err = run(&mut deps, &accounts.minter, msg).unwrap_err();
    assert!(matches!(err, ContractError::Std(_)), "{err:?}");
    assert_eq!(supply(&deps), HOLDER_SHARES);
}

#[test]
fn both_kinds_of_message_parse_from_their_plain_json() {
    let cw20: crate::msg::ExecuteMsg =
        cosmwasm_std::from_json(br#"{"transfer":{"recipient":"a","amount":"5"}}"#).unwrap();
    assert!(matches!(
        cw20,
        crate::msg::ExecuteMsg::Cw20(ExecuteMsg::Transfer { .. })
    ));
    let minter: crate::msg::ExecuteMsg = cosmwasm_std::from_json(
        br#"{"mint_and_send":{"owner":"a","contract":"b","amount":"5","msg":"e30="}}"#,
    )
    .unwrap();
    assert!(matches!(minter, crate::msg::ExecuteMsg::Minter(_)));
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
    let err = migrate(deps.as_mut(), mock_env(), Empty {}).unwrap_err();
    assert_eq!(err, migration_refused(&format!("{CONTRACT_NAME}@99.0.0")));
    assert_eq!(
        get_contract_version(&deps.storage).unwrap().version,
        "99.0.0"
    );
}

#[test]
fn migrate_refuses_foreign_contract() {
    let (mut deps, _) = setup();
    set_contract_version(&mut deps.storage, "crates.io:cw20-base", "0.0.1").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), Empty {}).unwrap_err();
    assert_eq!(err, migration_refused("crates.io:cw20-base@0.0.1"));
}

#[test]
fn migrate_refuses_unreadable_version() {
    let (mut deps, _) = setup();
    set_contract_version(&mut deps.storage, CONTRACT_NAME, "latest").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), Empty {}).unwrap_err();
    assert_eq!(err, migration_refused(&format!("{CONTRACT_NAME}@latest")));
}

#[test]
fn migrate_accepts_upgrade_and_keeps_balances() {
    let (mut deps, accounts) = setup();
    set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
    migrate(deps.as_mut(), mock_env(), Empty {}).unwrap();
    let version = get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.contract, CONTRACT_NAME);
    assert_eq!(version.version, CONTRACT_VERSION);
    assert_eq!(balance(&deps, &accounts.holder), HOLDER_SHARES);
}

#[test]
fn query_passes_through_to_cw20_base() {
    let (deps, accounts) = setup();
    let msg = cw20_base::msg::QueryMsg::Balance {
        address: accounts.holder.to_string(),
    };
    let bin: Binary = crate::contract::query(deps.as_ref(), mock_env(), msg).unwrap();
    let response: cw20::BalanceResponse = cosmwasm_std::from_json(bin).unwrap();
    assert_eq!(response.balance.u128(), HOLDER_SHARES);
}

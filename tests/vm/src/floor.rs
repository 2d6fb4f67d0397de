//! The gas floor deployed in the VM: the floor contract and a derivative token it mints, so
//! that its `Mint` runs as the hub's does.

use cosmwasm_std::{coins, Decimal, Uint128};
use cw20::MinterResponse;
use serde_json::json;

use crate::artifacts;
use crate::chain::ChainState;
use crate::suite::{validator_address, DENOM, UNBONDING};
use crate::vm::{Outcome, TxError, Vm};

pub struct Floor {
    pub vm: Vm,
    pub floor: String,
    pub token: String,
    pub validator: String,
}

impl Floor {
    /// One validator, the token (minter: the floor) and the floor.
    pub fn deploy() -> Floor {
        let validator = validator_address(0);
        let mut chain = ChainState::new(DENOM, UNBONDING);
        chain.add_validator(&validator, Decimal::percent(5));
        let mut vm = Vm::new(chain);
        let floor_path = artifacts::floor_path();
        let floor_code = vm
            .store_code(&artifacts::read(&floor_path))
            .unwrap_or_else(|err| panic!("the VM rejects {}: {err}", floor_path.display()));
        let token_path = artifacts::contract_path("token");
        let token_code = vm
            .store_code(&artifacts::read(&token_path))
            .unwrap_or_else(|err| panic!("the VM rejects {}: {err}", token_path.display()));
        let deployer = vm.addr("deployer");
        // The token is the first contract and the floor the second: the token names the
        // floor's address as its minter before the floor exists.
        let floor_addr = crate::address::contract(floor_code, 2);
        let token_msg = cw20_base_instantiate(&floor_addr);
        let (token, _) = vm
            .instantiate(&deployer, token_code, &token_msg, &[], "floor token")
            .unwrap_or_else(|err| panic!("the floor's token instantiates: {err}"));
        let floor_msg = json!({ "denom": DENOM, "validator": validator, "token": token });
        let (floor, _) = vm
            .instantiate(&deployer, floor_code, &floor_msg, &[], "floor")
            .unwrap_or_else(|err| panic!("the floor instantiates: {err}"));
        assert_eq!(
            floor, floor_addr,
            "the floor has the address its token expects"
        );
        Floor {
            vm,
            floor,
            token,
            validator,
        }
    }

    /// `user` bonds `native` to the floor, funded first.
    pub fn bond(&mut self, user: &str, native: u128) -> Result<Outcome, TxError> {
        self.vm.chain().mint(user, DENOM, native);
        self.vm.execute(
            user,
            &self.floor,
            &json!({ "bond": {} }),
            &coins(native, DENOM),
        )
    }
}

fn cw20_base_instantiate(minter: &str) -> serde_json::Value {
    json!({
        "name": "Floor Token",
        "symbol": "FLOOR",
        "decimals": 6,
        "initial_balances": [],
        "mint": MinterResponse { minter: minter.to_string(), cap: None::<Uint128> },
        "marketing": null,
    })
}

//! What holds the artifacts to a chain's standard and the gas report to its figures: the VM
//! refuses what a chain refuses, the floor runs, and a bond costs the same with 1 or 150
//! validators.

use bech32::{Bech32, Hrp};
use cosmwasm_std::coins;
use flowstake::hub::ExecuteMsg;
use flowstake_vm_tests::address;
use flowstake_vm_tests::chain::ChainState;
use flowstake_vm_tests::floor::Floor;
use flowstake_vm_tests::suite::{SuiteBuilder, DENOM, UNBONDING};
use flowstake_vm_tests::vm::{TxError, Vm};

/// Every address of the deployment has the chain's format and length, and the VM's api
/// validates addresses as the chain does: a bond to a receiver is accepted for an account or
/// a contract of the chain, and refused for another prefix, a bad checksum or a bare name.
#[test]
fn addresses_have_the_chains_lengths_and_the_vm_validates_them() {
    let mut suite = SuiteBuilder::new().validators(3).build();
    for contract in [&suite.hub, &suite.token, &suite.collector] {
        assert!(contract.starts_with("inj1"), "{contract}");
        assert_eq!(contract.len(), 62, "{contract}");
    }
    for account in [&suite.owner, &suite.fee_receiver, &suite.keeper] {
        assert!(account.starts_with("inj1"), "{account}");
        assert_eq!(account.len(), 42, "{account}");
    }
    for validator in suite.validators.iter().chain(&suite.outsiders) {
        assert!(validator.starts_with("injvaloper1"), "{validator}");
        assert_eq!(validator.len(), 49, "{validator}");
    }

    let alice = suite.user("alice");
    let hub = suite.hub.clone();
    let bond_to = |suite: &mut flowstake_vm_tests::suite::Suite, receiver: &str| {
        suite.fund(&alice, 1_000_000);
        let msg = ExecuteMsg::Bond {
            receiver: Some(receiver.to_string()),
            min_shares: None,
            forward: None,
        };
        suite
            .vm
            .execute(&alice, &hub, &msg, &coins(1_000_000, DENOM))
    };
    let bob = suite.user("bob");
    bond_to(&mut suite, &bob).expect("a bond to an account of the chain");
    assert!(suite.shares(&bob) > 0);
    let collector = suite.collector.clone();
    bond_to(&mut suite, &collector).expect("a bond to a contract of the chain");

    let bytes: Vec<u8> = (0..address::ACCOUNT_BYTES as u8).collect();
    let other_prefix =
        bech32::encode::<Bech32>(Hrp::parse("cosmos").unwrap(), &bytes).expect("encodes");
    let mut bad_checksum = bob.clone();
    let last = bad_checksum.pop().unwrap();
    bad_checksum.push(if last == 'q' { 'p' } else { 'q' });
    let mixed_case = bob.replacen("inj1", "INJ1", 1);
    for (what, receiver) in [
        ("another prefix", other_prefix.as_str()),
        ("a bad checksum", bad_checksum.as_str()),
        ("a bare name", "bob"),
        ("upper and lower case mixed", mixed_case.as_str()),
    ] {
        match bond_to(&mut suite, receiver) {
            Err(TxError::Contract { error, .. }) => {
                assert!(!error.is_empty(), "{what}: refused with a reason");
            }
            other => panic!("a receiver with {what} ({receiver}) is refused, got {other:?}"),
        }
    }
}

/// The regression check of the gas report: a bond costs the same with 1 or 150 validators,
/// within 5 %. Gas is deterministic, so this is exact, not a timing.
#[test]
fn bond_gas_at_150_validators_is_within_5_percent_of_1_validator() {
    let bond_gas = |validators: usize| {
        let mut suite = SuiteBuilder::new().validators(validators).build();
        suite.spread_stake(validators, 1_000_000);
        let alice = suite.user("alice");
        let outcome = suite.fund_and_bond(&alice, 1_000_000);
        (outcome.gas_of(&suite.hub), outcome.total_gas())
    };
    let (hub_1, all_1) = bond_gas(1);
    let (hub_150, all_150) = bond_gas(150);
    println!("bond gas: hub {hub_1} -> {hub_150}, all calls {all_1} -> {all_150}");
    assert!(
        hub_150 * 100 <= hub_1 * 105,
        "bond into the hub costs {hub_150} at 150 validators, more than 5 % above {hub_1} at 1"
    );
    assert!(
        all_150 * 100 <= all_1 * 105,
        "bond with the token's mint costs {all_150} at 150 validators, more than 5 % above \
         {all_1} at 1"
    );
}

/// Appends `value` as unsigned LEB128.
fn leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(out: &mut Vec<u8>, id: u8, content: &[u8]) {
    out.push(id);
    leb(out, content.len() as u32);
    out.extend_from_slice(content);
}

/// The smallest module the VM takes for a contract (memory, `interface_version_8`,
/// `allocate`, `deallocate`) plus one function with `locals` i32 locals and `body`.
fn module(locals: u32, body: &[u8]) -> Vec<u8> {
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    // () -> (), (i32) -> i32, (i32) -> ()
    section(
        &mut wasm,
        1,
        &[3, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 1, 0x7f, 0],
    );
    section(&mut wasm, 3, &[4, 0, 1, 2, 0]);
    section(&mut wasm, 5, &[1, 0, 1]);
    let mut exports = vec![4];
    for (name, kind, index) in [
        ("memory", 2u8, 0u8),
        ("interface_version_8", 0, 0),
        ("allocate", 0, 1),
        ("deallocate", 0, 2),
    ] {
        leb(&mut exports, name.len() as u32);
        exports.extend_from_slice(name.as_bytes());
        exports.extend_from_slice(&[kind, index]);
    }
    section(&mut wasm, 7, &exports);
    let mut last = vec![1];
    leb(&mut last, locals);
    last.push(0x7f);
    last.extend_from_slice(body);
    last.push(0x0b);
    let mut code = vec![4, 2, 0, 0x0b, 4, 0, 0x20, 0, 0x0b, 2, 0, 0x0b];
    leb(&mut code, last.len() as u32);
    code.extend_from_slice(&last);
    section(&mut wasm, 10, &code);
    wasm
}

/// The harness validates code as a chain does, so an artifact a chain would refuse fails
/// every test here: bulk-memory instructions (what Rust 1.95 emits before lowering) and
/// functions with more than 100 locals are refused.
#[test]
fn the_vm_refuses_what_a_chain_refuses() {
    let mut vm = Vm::new(ChainState::new(DENOM, UNBONDING));
    vm.store_code(&module(100, &[]))
        .expect("a function with 100 locals is accepted");
    let error = vm.store_code(&module(101, &[])).unwrap_err();
    assert!(error.contains("more than 100 locals"), "{error}");
    // memory.copy of zero bytes from 0 to 0
    let memory_copy = [0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0a, 0, 0];
    let error = vm.store_code(&module(0, &memory_copy)).unwrap_err();
    assert!(
        error.contains("bulk memory support is not enabled"),
        "{error}"
    );
}

#[test]
fn the_floor_delegates_and_mints() {
    let mut floor = Floor::deploy();
    let alice = floor.vm.addr("alice");

    let outcome = floor.bond(&alice, 1_000_000).unwrap();

    assert_eq!(
        outcome.trace(),
        vec!["floor execute:bond", "floor token execute:mint"]
    );
    let floor_addr = floor.floor.clone();
    assert_eq!(
        floor.vm.chain().delegation(&floor_addr, &floor.validator),
        1_000_000
    );
    let balance: cw20::BalanceResponse = floor
        .vm
        .query(
            &floor.token.clone(),
            &cw20::Cw20QueryMsg::Balance { address: alice },
        )
        .unwrap();
    assert_eq!(balance.balance.u128(), 1_000_000);
}

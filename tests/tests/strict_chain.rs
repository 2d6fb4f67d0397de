//! The strict chain's staking rules, each tested on the chain alone and citing the x/staking
//! behaviour it mirrors. Rewards are switched off here (APR zero) so that balances move only by
//! stake; the reward rules are in `strict_rewards.rs`.

use cosmwasm_std::{
    coin, from_json, Binary, Decimal, Decimal256, Empty, MsgResponse, StakingMsg, Timestamp,
    Uint128,
};
use cw_multi_test::{AppResponse, ContractWrapper, Executor};
use flowstake::chain::{
    MsgUndelegateResponse, ProtoCoin, ProtoTimestamp, MSG_UNDELEGATE_RESPONSE_TYPE_URL,
};
use flowstake_tests::strict::fixture::{chain_error, ChainFixture, BLOCK_TIME, UNBONDING_TIME};
use flowstake_tests::strict::{ChainError, StrictChain, StrictSudo, ValidatorStatus, MAX_ENTRIES};
use flowstake_tests::{ALICE, BOB};
use prost::Message;

/// Asserts that a call failed with a chain error matching the pattern.
macro_rules! assert_refused {
    ($result:expr, $pattern:pat) => {
        let err = $result.expect_err("the chain accepted it");
        assert!(
            matches!(chain_error(&err), Some($pattern)),
            "unexpected error: {err:?}"
        );
    };
}

fn chain(validators: usize) -> ChainFixture {
    ChainFixture::new(
        Decimal::zero(),
        &vec![Decimal::zero(); validators],
        &[ALICE, BOB],
    )
}

fn pool_balance(chain: &ChainFixture) -> u128 {
    let pool = chain.app.staking_pool();
    chain
        .app
        .wrap()
        .query_balance(pool, "ustake")
        .unwrap()
        .amount
        .u128()
}

/// x/staking `MaxEntries` = 7: `Undelegate` checks `HasMaxUnbondingDelegationEntries` for the
/// (delegator, validator) pair and fails with `ErrMaxUnbondingDelegationEntries`; another
/// validator has its own limit, and a matured entry frees its place.
#[test]
fn eighth_unbonding_entry_of_a_pair_is_refused() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 1, 1_000_000).unwrap();
    let first_block = chain.now() + BLOCK_TIME;
    for _ in 0..MAX_ENTRIES {
        chain.next_block(BLOCK_TIME);
        chain.undelegate(ALICE, 0, 1_000).unwrap();
    }
    assert_eq!(chain.unbonding_entries(ALICE).len(), 7);

    chain.next_block(BLOCK_TIME);
    let err = chain.undelegate(ALICE, 0, 1_000).unwrap_err();
    assert_eq!(
        chain_error(&err),
        Some(&ChainError::MaxUnbondingEntries {
            delegator: chain.addr(ALICE).into_string(),
            validator: chain.validator(0),
            max: 7,
        })
    );
    assert_eq!(chain.delegated(ALICE, 0), 1_000_000 - 7_000);
    chain.undelegate(ALICE, 1, 1_000).unwrap();

    // The first entry matures at the end of the block that reaches its completion time: in
    // that block it still takes its place; from the next block on it is gone.
    let at_first = |chain: &ChainFixture| {
        let validator = chain.validator(0);
        chain
            .unbonding_entries(ALICE)
            .into_iter()
            .filter(|(address, _)| *address == validator)
            .count()
    };
    chain.next_block(first_block + UNBONDING_TIME - chain.now());
    assert_eq!(at_first(&chain), 7);
    assert_refused!(
        chain.undelegate(ALICE, 0, 1_000),
        ChainError::MaxUnbondingEntries { .. }
    );
    chain.next_block(BLOCK_TIME);
    assert_eq!(at_first(&chain), 6);
    chain.undelegate(ALICE, 0, 1_000).unwrap();
}

/// x/staking `UnbondingDelegation.AddEntry` (SDK 0.47+): an undelegation with the creation
/// height and completion time of an existing entry is added to it, so ten undelegations in one
/// block take one entry.
#[test]
fn undelegations_in_one_block_merge_into_one_entry() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    for _ in 0..10 {
        chain.undelegate(ALICE, 0, 1_000).unwrap();
    }
    let entries = chain.unbonding_entries(ALICE);
    assert_eq!(entries.len(), 1);
    let (validator, entry) = &entries[0];
    assert_eq!(*validator, chain.validator(0));
    assert_eq!(entry.creation_height, chain.height());
    assert_eq!(
        entry.completion_time.seconds(),
        chain.now() + UNBONDING_TIME
    );
    assert_eq!(entry.initial_balance, Uint128::new(10_000));
    assert_eq!(entry.balance, Uint128::new(10_000));
    assert_eq!(chain.delegated(ALICE, 0), 990_000);
}

/// x/staking checks `HasMaxUnbondingDelegationEntries` before `SetUnbondingDelegationEntry`
/// merges: with seven entries, even an undelegation in the block of the seventh is refused.
#[test]
fn entry_limit_is_checked_before_the_merge() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    for _ in 0..MAX_ENTRIES {
        chain.next_block(BLOCK_TIME);
        chain.undelegate(ALICE, 0, 1_000).unwrap();
    }
    let err = chain.undelegate(ALICE, 0, 1_000).unwrap_err();
    assert!(matches!(
        chain_error(&err),
        Some(ChainError::MaxUnbondingEntries { max: 7, .. })
    ));
    assert_eq!(chain.unbonding_entries(ALICE).len(), 7);
}

/// x/staking `EndBlocker` → `BlockValidatorUpdates` → `DequeueAllMatureUBDQueue` /
/// `CompleteUnbonding`: an entry is paid at the end of the first block whose time reaches its
/// completion time, after that block's transactions; it is seen paid from the next block on.
#[test]
fn matured_unbonding_is_paid_at_the_end_of_the_block() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 400_000).unwrap();
    let before = chain.balance(ALICE);

    chain.next_block(UNBONDING_TIME - 1);
    assert_eq!(chain.balance(ALICE), before);
    assert_eq!(chain.unbonding_entries(ALICE).len(), 1);

    chain.next_block(1);
    assert_eq!(chain.balance(ALICE), before);
    assert_eq!(chain.unbonding_entries(ALICE).len(), 1);

    chain.next_block(BLOCK_TIME);
    assert_eq!(chain.balance(ALICE), before + 400_000);
    assert!(chain.unbonding_entries(ALICE).is_empty());
    assert_eq!(pool_balance(&chain), 600_000);
}

/// x/staking `BeginRedelegation`: the stake moves to the destination at once; the entry, which
/// only serves slashing and the transitive rule, matures after the unbonding time.
#[test]
fn redelegation_moves_stake_at_once_and_matures_after_the_unbonding_time() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 300_000).unwrap();
    assert_eq!(chain.delegated(ALICE, 0), 700_000);
    assert_eq!(chain.delegated(ALICE, 1), 300_000);
    let entries = chain.redelegation_entries(ALICE);
    assert_eq!(entries.len(), 1);
    let (source, destination, entry) = &entries[0];
    assert_eq!(
        (source, destination),
        (&chain.validator(0), &chain.validator(1))
    );
    assert_eq!(entry.creation_height, chain.height());
    assert_eq!(entry.initial_balance, Uint128::new(300_000));
    assert_eq!(
        entry.shares_dst,
        Decimal256::from_atomics(300_000u128, 0).unwrap()
    );

    chain.next_block(UNBONDING_TIME - 1);
    assert_eq!(chain.redelegation_entries(ALICE).len(), 1);
    // Reached in this block, removed at its end (x/staking `CompleteRedelegation`).
    chain.next_block(1);
    assert_eq!(chain.redelegation_entries(ALICE).len(), 1);
    chain.next_block(BLOCK_TIME);
    assert!(chain.redelegation_entries(ALICE).is_empty());
    assert_eq!(pool_balance(&chain), 1_000_000);
}

/// x/staking `HasMaxRedelegationEntries` for (delegator, source, destination) fails the 8th
/// with `ErrMaxRedelegationEntries`; redelegation entries never merge (`Redelegation.AddEntry`
/// appends), so two in one block take two places.
#[test]
fn eighth_redelegation_entry_of_a_triple_is_refused() {
    let mut chain = chain(3);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 1_000).unwrap();
    chain.redelegate(ALICE, 0, 1, 1_000).unwrap();
    assert_eq!(chain.redelegation_entries(ALICE).len(), 2);
    for _ in 2..MAX_ENTRIES {
        chain.next_block(BLOCK_TIME);
        chain.redelegate(ALICE, 0, 1, 1_000).unwrap();
    }
    chain.next_block(BLOCK_TIME);
    let err = chain.redelegate(ALICE, 0, 1, 1_000).unwrap_err();
    assert_eq!(
        chain_error(&err),
        Some(&ChainError::MaxRedelegationEntries {
            delegator: chain.addr(ALICE).into_string(),
            src_validator: chain.validator(0),
            dst_validator: chain.validator(1),
            max: 7,
        })
    );
    assert_eq!(chain.delegated(ALICE, 1), 7_000);
    chain.redelegate(ALICE, 0, 2, 1_000).unwrap();
}

/// x/staking `BeginRedelegation` fails with `ErrTransitiveRedelegation` when
/// `HasReceivingRedelegation(delegator, source)`: none of the delegator's stake at a validator
/// can move on while a redelegation into it matures, not even stake that was there before.
/// Other delegators and undelegations are not affected.
#[test]
fn redelegating_out_of_a_validator_with_an_incoming_redelegation_is_refused() {
    let mut chain = chain(3);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 1, 500_000).unwrap();
    chain.delegate(BOB, 1, 500_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 300_000).unwrap();

    let err = chain.redelegate(ALICE, 1, 2, 100_000).unwrap_err();
    assert_eq!(
        chain_error(&err),
        Some(&ChainError::TransitiveRedelegation {
            validator: chain.validator(1),
        })
    );
    assert_eq!(chain.delegated(ALICE, 1), 800_000);
    chain.redelegate(BOB, 1, 2, 100_000).unwrap();
    chain.undelegate(ALICE, 1, 100_000).unwrap();
    // Redelegating further out of the source is not transitive.
    chain.redelegate(ALICE, 0, 2, 100_000).unwrap();

    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 1, 2, 100_000).unwrap();
}

/// wasmd's `Delegation` query: `can_redelegate` is zero while the delegation receives a
/// redelegation still maturing (x/staking would refuse any of it) and the full amount
/// otherwise. The hub reads it before removing a validator.
#[test]
fn can_redelegate_is_zero_while_an_incoming_redelegation_matures() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(ALICE, 1, 500_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.redelegate(ALICE, 0, 1, 300_000).unwrap();

    let receiving = chain.delegation(ALICE, 1).unwrap();
    assert_eq!(receiving.amount.amount.u128(), 800_000);
    assert_eq!(receiving.can_redelegate.amount.u128(), 0);
    let sending = chain.delegation(ALICE, 0).unwrap();
    assert_eq!(sending.can_redelegate, sending.amount);

    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    let receiving = chain.delegation(ALICE, 1).unwrap();
    assert_eq!(receiving.can_redelegate, receiving.amount);
}

/// The refusals of `MsgBeginRedelegate`, `MsgUndelegate` and `MsgDelegate`: same validator
/// (`ErrSelfRedelegation`), more than delegated (`ErrBadSharesAmount`), zero, another denom
/// (`ErrBadDenom`), an unknown validator (`ErrNoValidatorFound`), no delegation
/// (`ErrNoDelegation`). None of them changes anything.
#[test]
fn malformed_staking_messages_are_refused() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000).unwrap();
    let alice = chain.addr(ALICE);
    assert_refused!(
        chain.redelegate(ALICE, 0, 0, 10),
        ChainError::SelfRedelegation { .. }
    );
    assert_refused!(
        chain.undelegate(ALICE, 0, 1_001),
        ChainError::InsufficientDelegation { .. }
    );
    assert_refused!(
        chain.redelegate(ALICE, 0, 1, 1_001),
        ChainError::InsufficientDelegation { .. }
    );
    assert_refused!(chain.delegate(ALICE, 1, 0), ChainError::ZeroAmount {});
    assert_refused!(
        chain.undelegate(ALICE, 1, 10),
        ChainError::NoDelegation { .. }
    );
    let other_denom = StakingMsg::Delegate {
        validator: chain.validator(0),
        amount: coin(10, "uother"),
    };
    assert_refused!(
        chain.app.execute(alice.clone(), other_denom.into()),
        ChainError::BadDenom { .. }
    );
    let unknown = StakingMsg::Delegate {
        validator: chain.addr("nobody").into_string(),
        amount: coin(10, "ustake"),
    };
    assert_refused!(
        chain.app.execute(alice, unknown.into()),
        ChainError::NoValidator { .. }
    );
    assert_eq!(chain.delegated(ALICE, 0), 1_000);
    assert_eq!(chain.delegated(ALICE, 1), 0);
    assert!(chain.redelegation_entries(ALICE).is_empty());
}

// ---------------------------------------------------------------- end of block

/// x/staking's `EndBlocker` (`BlockValidatorUpdates` → `CompleteUnbonding`) runs in EndBlock,
/// after the block's DeliverTx: in the block whose time reaches an entry's completion time,
/// the block's transactions still see the entry. An 8th undelegation is refused
/// (`ErrMaxUnbondingDelegationEntries`) and the funds are not in the delegator's balance; the
/// entry is paid at that block's end, seen from the next block on.
#[test]
fn an_entry_reaching_its_completion_is_paid_after_the_blocks_transactions() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    for _ in 0..MAX_ENTRIES {
        chain.next_block(BLOCK_TIME);
        chain.undelegate(ALICE, 0, 1_000).unwrap();
    }
    let first = chain.unbonding_entries(ALICE)[0].1.completion_time;
    let before = chain.balance(ALICE);

    chain.next_block(first.seconds() - chain.now());
    assert_eq!(chain.app.block_info().time, first);
    assert_refused!(
        chain.undelegate(ALICE, 0, 1_000),
        ChainError::MaxUnbondingEntries { max: 7, .. }
    );
    assert_eq!(chain.balance(ALICE), before);
    assert_eq!(chain.unbonding_entries(ALICE).len(), MAX_ENTRIES);

    chain.next_block(BLOCK_TIME);
    assert_eq!(chain.balance(ALICE), before + 1_000);
    assert_eq!(chain.unbonding_entries(ALICE).len(), MAX_ENTRIES - 1);
    chain.undelegate(ALICE, 0, 1_000).unwrap();
}

/// The end of block that runs when a new block starts is that of the block which ended, with
/// its time: a jump of one block from before an entry's completion to far after it pays
/// nothing yet (no block in between reached the completion time); the end of the new block
/// does.
#[test]
fn the_end_of_block_uses_the_time_of_the_block_that_ends() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 400_000).unwrap();
    let before = chain.balance(ALICE);

    chain.next_block(UNBONDING_TIME - 1);
    chain.next_block(86_400);
    assert_eq!(chain.balance(ALICE), before);
    assert_eq!(chain.unbonding_entries(ALICE).len(), 1);
    chain.next_block(BLOCK_TIME);
    assert_eq!(chain.balance(ALICE), before + 400_000);
    assert!(chain.unbonding_entries(ALICE).is_empty());
}

/// x/staking `UnbondAllMatureValidators` runs in the same `EndBlocker`: a jailed validator
/// whose unbonding time is reached in a block is still unbonding during that block's
/// transactions, and unbonded from the next block on.
#[test]
fn a_jailed_validator_becomes_unbonded_at_the_end_of_the_block_reaching_its_time() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain
        .sudo(StrictSudo::Jail {
            validator: chain.validator(0),
        })
        .unwrap();
    chain.next_block(UNBONDING_TIME);
    let state = chain.app.validator_state(&chain.validator(0)).unwrap();
    assert!(matches!(state.status, ValidatorStatus::Unbonding { .. }));
    chain.next_block(BLOCK_TIME);
    let state = chain.app.validator_state(&chain.validator(0)).unwrap();
    assert_eq!(state.status, ValidatorStatus::Unbonded);
}

// ---------------------------------------------------------------- deleted validators

fn jail(chain: &mut ChainFixture, validator: usize) {
    chain
        .sudo(StrictSudo::Jail {
            validator: chain.validator(validator),
        })
        .unwrap();
}

/// Jails the validator and lets its unbonding time pass, with the end of block that unbonds
/// it.
fn jail_until_unbonded(chain: &mut ChainFixture, validator: usize) {
    jail(chain, validator);
    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    let state = chain.app.validator_state(&chain.validator(validator));
    assert_eq!(state.unwrap().status, ValidatorStatus::Unbonded);
}

/// Asserts that the validator no longer exists, for every query and message.
fn assert_deleted(chain: &mut ChainFixture, validator: usize) {
    let address = chain.validator(validator);
    assert_eq!(chain.app.wrap().query_validator(&address).unwrap(), None);
    assert!(chain.app.validator_state(&address).is_none());
    assert!(!chain
        .app
        .wrap()
        .query_all_validators()
        .unwrap()
        .iter()
        .any(|v| v.address == address));
    let err = chain.delegate(BOB, validator, 1_000).unwrap_err();
    assert_eq!(
        chain_error(&err),
        Some(&ChainError::NoValidator {
            address: address.clone()
        })
    );
    assert!(
        err.root_cause().to_string().contains("does not exist"),
        "{err}"
    );
    assert_refused!(
        chain.slash(validator, Decimal::percent(1), chain.height()),
        ChainError::NoValidator { .. }
    );
    assert_refused!(
        chain.withdraw_rewards(ALICE, validator),
        ChainError::NoValidator { .. }
    );
}

/// x/staking `Unbond` → `RemoveValidatorTokensAndShares`: when an unbonded validator's
/// delegator shares reach zero it is deleted (`RemoveValidator`, and x/distribution's
/// `AfterValidatorRemoved` drops its reward state). The `Validator` query then returns none
/// (wasmd answers `null`), a delegation to it fails with `validator does not exist`; the
/// unbonding entries made from it are still paid.
#[test]
fn an_unbonded_validator_is_deleted_when_its_last_shares_leave() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.delegate(BOB, 0, 500_000).unwrap();
    chain.next_block(BLOCK_TIME);
    jail_until_unbonded(&mut chain, 0);

    chain.undelegate(ALICE, 0, 1_000_000).unwrap();
    let address = chain.validator(0);
    assert!(chain
        .app
        .wrap()
        .query_validator(&address)
        .unwrap()
        .is_some());
    // The last shares leave by a redelegation: x/staking `BeginRedelegation` unbonds them too.
    chain.redelegate(BOB, 0, 1, 500_000).unwrap();
    assert_deleted(&mut chain, 0);
    assert_eq!(chain.delegated(BOB, 1), 500_000);

    let before = chain.balance(ALICE);
    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    assert_eq!(chain.balance(ALICE), before + 1_000_000);
}

/// x/staking `UnbondAllMatureValidators`: a validator that becomes unbonded at an end of block
/// with no delegator shares left is deleted there. While it is unbonding it still exists.
#[test]
fn a_validator_unbonding_with_no_shares_is_deleted_when_it_unbonds() {
    let mut chain = chain(2);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    jail(&mut chain, 0);
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 1_000_000).unwrap();
    let address = chain.validator(0);
    let state = chain.app.validator_state(&address).unwrap();
    assert!(state.delegator_shares.is_zero());
    assert!(matches!(state.status, ValidatorStatus::Unbonding { .. }));
    assert!(chain
        .app
        .wrap()
        .query_validator(&address)
        .unwrap()
        .is_some());

    chain.next_block(UNBONDING_TIME);
    assert!(chain
        .app
        .wrap()
        .query_validator(&address)
        .unwrap()
        .is_some());
    chain.next_block(BLOCK_TIME);
    assert_deleted(&mut chain, 0);
}

/// Only unbonded validators are deleted: a bonded one whose last delegator leaves stays, in
/// the active set, and takes delegations again.
#[test]
fn a_bonded_validator_with_no_shares_is_not_deleted() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(UNBONDING_TIME);
    chain.next_block(BLOCK_TIME);
    let address = chain.validator(0);
    assert!(chain
        .app
        .wrap()
        .query_validator(&address)
        .unwrap()
        .is_some());
    assert_eq!(chain.app.wrap().query_all_validators().unwrap().len(), 1);
    chain.delegate(BOB, 0, 1_000).unwrap();
}

// ---------------------------------------------------------------- undelegation response

fn undelegate_response(response: &AppResponse) -> MsgUndelegateResponse {
    let data = response.data.as_ref().expect("no response data");
    MsgUndelegateResponse::decode(data.as_slice()).expect("not a MsgUndelegateResponse")
}

fn proto_time(time: Timestamp) -> ProtoTimestamp {
    ProtoTimestamp {
        seconds: time.seconds() as i64,
        nanos: time.subsec_nanos() as i32,
    }
}

/// x/staking `MsgServer.Undelegate` returns `MsgUndelegateResponse { completion_time, amount }`:
/// block time + unbonding time to the nanosecond, and the tokens this message unbonded (each
/// undelegation its own amount, even when its entry merges into another).
#[test]
fn undelegation_returns_its_completion_time_and_amount() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    let now = chain.app.block_info().time;
    assert_ne!(now.subsec_nanos(), 0, "the fixture's time has nanoseconds");

    let first = chain.undelegate(ALICE, 0, 400_000).unwrap();
    let second = chain.undelegate(ALICE, 0, 1_000).unwrap();
    let completion = now.plus_seconds(UNBONDING_TIME);
    for (response, amount) in [(first, "400000"), (second, "1000")] {
        assert_eq!(
            undelegate_response(&response),
            MsgUndelegateResponse {
                completion_time: Some(proto_time(completion)),
                amount: Some(ProtoCoin {
                    denom: "ustake".to_string(),
                    amount: amount.to_string(),
                }),
            }
        );
    }
    assert_eq!(
        chain.unbonding_entries(ALICE)[0].1.completion_time,
        completion
    );
}

/// After a slash the exchange rate is below one: x/staking turns the requested tokens into
/// shares (`SharesFromTokens`, truncated to 18 decimals) and back (`TokensFromShares`, rounded
/// to 18 decimals, then `TruncateInt`), so the amount unbonded, which the response reports, can
/// be one less than asked: 1005 asked returns 1004, while 1000 asked returns 1000.
#[test]
fn undelegation_response_reports_the_amount_after_share_rounding() {
    let mut chain = chain(1);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain
        .slash(0, Decimal::percent(10), chain.height())
        .unwrap();
    assert_eq!(chain.validator_tokens(0), 900_000);

    let response = chain.undelegate(ALICE, 0, 1_005).unwrap();
    let decoded = undelegate_response(&response);
    assert_eq!(decoded.amount.unwrap().amount, "1004");
    assert_eq!(
        decoded.completion_time,
        Some(proto_time(
            chain.app.block_info().time.plus_seconds(UNBONDING_TIME)
        ))
    );
    assert_eq!(
        chain.unbonding_entries(ALICE)[0].1.balance,
        Uint128::new(1_004)
    );

    let response = chain.undelegate(ALICE, 0, 1_000).unwrap();
    assert_eq!(
        undelegate_response(&response).amount.unwrap().amount,
        "1000"
    );
}

/// A contract that sends staking messages it is given; an `Undelegate` goes as a submessage
/// with a reply on success, whose `msg_responses` the reply stores.
mod probe {
    use cosmwasm_std::{
        to_json_binary, to_json_vec, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Reply,
        Response, StakingMsg, StdError, StdResult, SubMsg, SubMsgResult,
    };

    pub fn instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Ok(Response::new())
    }

    pub fn execute(_: DepsMut, _: Env, _: MessageInfo, msg: StakingMsg) -> StdResult<Response> {
        Ok(match msg {
            StakingMsg::Undelegate { .. } => {
                Response::new().add_submessage(SubMsg::reply_on_success(msg, 1))
            }
            other => Response::new().add_message(other),
        })
    }

    pub fn reply(deps: DepsMut, _: Env, reply: Reply) -> StdResult<Response> {
        let SubMsgResult::Ok(result) = reply.result else {
            return Err(StdError::generic_err("reply on an error"));
        };
        deps.storage
            .set(b"responses", &to_json_vec(&result.msg_responses)?);
        Ok(Response::new())
    }

    pub fn query(deps: Deps, _: Env, _: Empty) -> StdResult<Binary> {
        let stored = deps.storage.get(b"responses").unwrap_or_default();
        to_json_binary(&Binary::from(stored))
    }
}

/// cw-multi-test hands a submessage's `data` to the reply as its one `msg_responses` entry,
/// typed `/cosmos.staking.v1beta1.MsgUndelegateResponse`, as wasmd does for `MsgUndelegate`:
/// a contract reads the completion time and the amount there.
#[test]
fn a_reply_to_an_undelegation_carries_the_response_in_msg_responses() {
    let mut chain = chain(1);
    let code = chain.app.store_code(Box::new(
        ContractWrapper::new(probe::execute, probe::instantiate, probe::query)
            .with_reply(probe::reply),
    ));
    let alice = chain.addr(ALICE);
    let contract = chain
        .app
        .instantiate_contract(
            code,
            alice.clone(),
            &Empty {},
            &[coin(10_000, "ustake")],
            "probe",
            None,
        )
        .unwrap();
    let delegate = StakingMsg::Delegate {
        validator: chain.validator(0),
        amount: coin(10_000, "ustake"),
    };
    chain
        .app
        .execute_contract(alice.clone(), contract.clone(), &delegate, &[])
        .unwrap();
    chain.next_block(BLOCK_TIME);
    let undelegate = StakingMsg::Undelegate {
        validator: chain.validator(0),
        amount: coin(2_500, "ustake"),
    };
    chain
        .app
        .execute_contract(alice, contract.clone(), &undelegate, &[])
        .unwrap();

    let stored: Binary = chain
        .app
        .wrap()
        .query_wasm_smart(&contract, &Empty {})
        .unwrap();
    let responses: Vec<MsgResponse> = from_json(stored).unwrap();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].type_url, MSG_UNDELEGATE_RESPONSE_TYPE_URL);
    let decoded = MsgUndelegateResponse::decode(responses[0].value.as_slice()).unwrap();
    let completion = chain.app.block_info().time.plus_seconds(UNBONDING_TIME);
    assert_eq!(decoded.completion_time, Some(proto_time(completion)));
    assert_eq!(decoded.amount.unwrap().amount, "2500");
}

// ---------------------------------------------------------------- governance

/// x/staking `MsgUpdateParams` through governance: the new `unbonding_time` applies to
/// undelegations, redelegations and jailings made afterwards; entries already made keep the
/// completion time stored in them (x/staking stores it per entry and per validator).
#[test]
fn a_new_unbonding_time_applies_to_later_entries_only() {
    let mut chain = chain(3);
    chain.delegate(ALICE, 0, 1_000_000).unwrap();
    chain.next_block(BLOCK_TIME);
    chain.undelegate(ALICE, 0, 1_000).unwrap();
    let old = chain.now() + UNBONDING_TIME;
    let week = 7 * 86_400;
    chain
        .sudo(StrictSudo::SetUnbondingTime { seconds: week })
        .unwrap();
    chain.next_block(BLOCK_TIME);
    let response = chain.undelegate(ALICE, 0, 2_000).unwrap();
    let new = chain.now() + week;
    assert_eq!(
        undelegate_response(&response)
            .completion_time
            .unwrap()
            .seconds,
        new as i64
    );
    chain.redelegate(ALICE, 0, 1, 3_000).unwrap();
    jail(&mut chain, 2);

    let completions: Vec<u64> = chain
        .unbonding_entries(ALICE)
        .iter()
        .map(|(_, entry)| entry.completion_time.seconds())
        .collect();
    assert_eq!(completions, vec![old, new]);
    assert_eq!(
        chain.redelegation_entries(ALICE)[0]
            .2
            .completion_time
            .seconds(),
        new
    );
    let jailed = chain.app.validator_state(&chain.validator(2)).unwrap();
    assert!(matches!(
        jailed.status,
        ValidatorStatus::Unbonding { completes_at, .. } if completes_at.seconds() == new
    ));

    // The later entry is paid first.
    let before = chain.balance(ALICE);
    chain.next_block(new - chain.now());
    chain.next_block(BLOCK_TIME);
    assert_eq!(chain.balance(ALICE), before + 2_000);
    assert_eq!(chain.unbonding_entries(ALICE).len(), 1);
    assert!(chain.redelegation_entries(ALICE).is_empty());

    assert_refused!(
        chain.sudo(StrictSudo::SetUnbondingTime { seconds: 0 }),
        ChainError::InvalidParams { .. }
    );
}

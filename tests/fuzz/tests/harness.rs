//! The `hub_execute` harness itself: a full cycle of the hub is played on the mock chain and
//! every step is accepted, so the target can reach every state a real hub reaches. And the
//! findings of the target, written out as scenarios, so that they outlive any change to how
//! the target reads its bytes.

use flowstake::hub::{BatchResponse, PendingBatchResponse, QueryMsg, StateResponse};
use flowstake_fuzz::amount::{Amount, Native};
use flowstake_fuzz::hub::World;
use flowstake_fuzz::input::{
    Action, Crank, Hook, Msg, Portion, SetupChoice, ValidatorChoice, Weight, Who,
};

fn setup() -> SetupChoice {
    SetupChoice {
        seed: Native::Everyday(1_000_000),
        initial_validators: 2,
        weights: [1, 2, 3, 4],
        fee_permille: 50,
        min_bond: Native::Dust(100),
        min_unbond: Native::Dust(100),
        unbonding_days: 20,
        epoch_extra_percent: 0,
        max_unbond_shortfall_percent: 10,
        max_fall_percent: 10,
        max_rise_percent: 20,
        full_range_supply: false,
    }
}

fn state(world: &mut World) -> StateResponse {
    world.query(QueryMsg::State {})
}

/// What the hub reports of its books and its queue.
fn books(world: &mut World) -> (StateResponse, PendingBatchResponse, Vec<BatchResponse>) {
    let batches = world.query(QueryMsg::Batches {
        start_after: None,
        limit: None,
    });
    (
        state(world),
        world.query(QueryMsg::PendingBatch {}),
        batches,
    )
}

#[test]
fn a_full_cycle_is_accepted_step_by_step() {
    let mut world = World::instantiate(&setup()).expect("a valid setup");
    world.check_identities();
    // Rewards accrue on both validators of the set before the harvest withdraws them.
    for validator in 0..2 {
        world.act(&Action::Rewards {
            validator,
            amount: Native::Everyday(10_000),
        });
    }
    // Each hub call must change the books; time passing must not.
    let steps = [
        (
            Action::Bond {
                user: 0,
                native: Native::Everyday(5_000_000),
            },
            true,
        ),
        (Action::Crank(Crank::Harvest), true),
        (
            Action::TokenSend {
                user: 0,
                shares: Portion::Permille(499),
                hook: Hook::QueueUnbond { receiver: None },
            },
            true,
        ),
        (Action::AdvanceToSubmit, false),
        (Action::Crank(Crank::SubmitBatch), true),
        (Action::AdvanceToMaturity, false),
        (Action::Crank(Crank::Reconcile(None)), true),
        (
            Action::Crank(Crank::Withdraw {
                user: 0,
                limit: None,
            }),
            true,
        ),
    ];
    for (step, changes_books) in &steps {
        let before = books(&mut world);
        world.act(step);
        let after = books(&mut world);
        assert_eq!(before != after, *changes_books, "{step:?}");
    }
    let totals = state(&mut world).totals;
    assert_eq!(totals.bonded.u128(), 6_000_000);
    assert!(totals.rewards.u128() > 0);
    assert!(totals.paid_out.u128() > 2_400_000);
}

/// Finding of `hub_execute` (fixed): with the chain's supply near `u128::MAX`, the hub holds close to `u128::MAX` on
/// one validator, the chain slashes it all (the hub has not synced yet, so its ledger still
/// books it), and a bond of 1,000 then overflows the ledger entry: `ledger::delegate` adds with
/// `+=` and panics before `bond` reaches its checked addition to `total_native`. A bond that
/// cannot be booked must be refused with an error, not abort.
#[test]
fn a_bond_that_overflows_the_ledger_is_refused() {
    let setup = SetupChoice {
        seed: Native::Any(Amount::NearMax(21)),
        initial_validators: 0,
        full_range_supply: true,
        ..setup()
    };
    let mut world = World::instantiate(&setup).expect("a valid setup");
    world.act(&Action::Slash {
        validator: 0,
        permille: 1_000,
    });
    world.act(&Action::Bond {
        user: 0,
        native: Native::Everyday(1_000),
    });
}

/// Finding of `operation_sequences` (fixed; `regressions/operation_sequences/`): removing a
/// validator whose whole delegation was one unit, with no slash on the chain, booked that unit
/// as lost and left it delegated to a validator no longer in the set, out of reach of `Sync`:
/// the rate fell with nothing lost on the chain. One unscathed unit redelegates like any other
/// amount.
#[test]
fn removing_a_validator_holding_one_unit_moves_it() {
    let setup = SetupChoice {
        seed: Native::Dust(1),
        initial_validators: 0,
        ..setup()
    };
    let mut world = World::instantiate(&setup).expect("a valid setup");
    world.act(&Action::Execute {
        sender: Who::Owner,
        funds: vec![],
        msg: Msg::AddValidator {
            validator: ValidatorChoice::Chain(1),
            weight: Weight::Small(1),
        },
    });
    // The seed's one unit is delegated to val0, the only validator of the initial set.
    world.act(&Action::Execute {
        sender: Who::Owner,
        funds: vec![],
        msg: Msg::RemoveValidator {
            validator: ValidatorChoice::Chain(0),
        },
    });
    let state = state(&mut world);
    assert_eq!(state.totals.slashed.u128(), 0);
    assert_eq!(state.total_native.u128(), 1);
}

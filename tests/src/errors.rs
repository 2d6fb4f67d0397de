//! Finding the contracts' typed errors inside cw-multi-test's errors.
//!
//! cw-multi-test wraps a contract's error in one context per message layer; anyhow's own
//! `downcast_ref` looks through those layers (walking `chain()` and downcasting each
//! `dyn Error` does not find the typed error there).

use cw_multi_test::error::{AnyError, AnyResult};
use cw_multi_test::AppResponse;
use flowstake_hub::error::ContractError;

/// The hub's error inside a failed call.
pub fn hub_error(err: &AnyError) -> Option<&ContractError> {
    err.downcast_ref::<ContractError>()
}

/// The derivative token's error inside a failed call.
pub fn token_error(err: &AnyError) -> Option<&flowstake_token::error::ContractError> {
    err.downcast_ref::<flowstake_token::error::ContractError>()
}

/// Asserts that the call failed with exactly `expected` from the hub.
#[track_caller]
pub fn assert_hub_error(result: AnyResult<AppResponse>, expected: ContractError) {
    match result {
        Ok(response) => panic!("expected {expected:?}, the call succeeded: {response:?}"),
        Err(err) => match hub_error(&err) {
            Some(actual) => assert_eq!(actual, &expected),
            None => panic!("expected {expected:?}, got a non-hub error: {err:?}"),
        },
    }
}

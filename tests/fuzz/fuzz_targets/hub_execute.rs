//! The hub's execute and query entry points with arbitrary messages and funds on a mock chain; see `flowstake_fuzz::hub`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| flowstake_fuzz::hub::run(data));

//! The hub's math against a big-integer reference; see `flowstake_fuzz::math`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| flowstake_fuzz::math::run(data));

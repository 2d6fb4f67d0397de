//! Random operation sequences on the strict chain; see `flowstake_fuzz::sequences`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| flowstake_fuzz::sequences::run(data));

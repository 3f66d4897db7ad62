//! Fuzz target `token_record`: see `gateway_core_fuzz::token_record` for the input format and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gateway_core_fuzz::token_record(data));

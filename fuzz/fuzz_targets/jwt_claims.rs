//! Fuzz target `jwt_claims`: see `gateway_core_fuzz::jwt_claims` for the input format and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gateway_core_fuzz::jwt_claims(data));

//! Fuzz target `sse_decode`: see `gateway_core_fuzz::sse_decode` for the input format and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gateway_core_fuzz::sse_decode(data));

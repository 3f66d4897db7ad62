//! Fuzz target `chat_stream`: see `gateway_core_fuzz::chat_stream` for the input format and the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gateway_core_fuzz::chat_stream(data));

//! GitHub webhook deliveries: see tech_health::fuzzing::webhook.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tech_health::fuzzing::webhook(data));

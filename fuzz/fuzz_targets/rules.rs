//! Check conditions, JSONPath, version ranges, filters: see tech_health::fuzzing::rules.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tech_health::fuzzing::rules(data));

//! Facts files, the fast reader against the general one: see tech_health::fuzzing::facts_file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tech_health::fuzzing::facts_file(data));

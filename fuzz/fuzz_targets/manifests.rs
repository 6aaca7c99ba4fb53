//! The scanner's manifest and lockfile readers: see tech_health::fuzzing::manifests.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tech_health::fuzzing::manifests(data));

//! Catalog descriptor files (catalog-info.yaml): see tech_health::fuzzing::catalog_yaml.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tech_health::fuzzing::catalog_yaml(data));

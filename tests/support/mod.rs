//! Shared helpers of the differential test (and, for `jre.rs`, of the benchmark).

pub mod adversarial;
pub mod fleet;
pub mod harness;
pub mod jre;
pub mod json;
pub mod pools;
pub mod quirks;

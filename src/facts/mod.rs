//! Facts: named JSON values about an entity, from the catalog itself or from facts files
//! (pushed by CI or produced by collectors).

pub mod catalog;
pub mod file;
mod record;
mod split;
mod window;

pub use file::{
    FactRecord, FactsError, parse_facts, parse_facts_general, parse_facts_in_chunks, read_chunks,
};
pub use window::read_file_chunks;

//! The Backstage catalog: descriptor files, entities, references and the group tree.

mod entity_ref;

pub use entity_ref::{DEFAULT_NAMESPACE, EntityRef, RefError};

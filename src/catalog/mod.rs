//! The Backstage catalog: descriptor files, entities, references and the group tree.

mod entity;
mod entity_ref;
mod load;
mod relations;

pub use entity::{Entity, Link, Metadata, Origin, Problem, Relations, Severity};
pub use entity_ref::{DEFAULT_NAMESPACE, EntityRef, RefError};
pub use load::{Catalog, parse_descriptors};

//! The Backstage catalog: descriptor files, entities, references and the group tree.
//!
//! [`Catalog::load`] reads descriptor files (following `Location` entities);
//! [`parse_descriptors`] reads one file's documents. Neither fails wholesale: what cannot
//! be read becomes a [`Problem`], and everything else loads.

mod descriptor;
mod entity;
mod entity_ref;
mod kinds;
mod location;
mod metadata;
mod names;
mod problem;
mod relations;
mod str_map;
mod tree;

pub use descriptor::parse_descriptors;
pub use entity::{Entity, Link, Metadata, Origin, Relation, Relations, Spec};
pub use entity_ref::{DEFAULT_NAMESPACE, EntityRef, RefError};
pub use problem::{Problem, Severity};
pub use str_map::StrMap;
pub use tree::Catalog;

#[cfg(test)]
mod location_tests;
#[cfg(test)]
mod testing;

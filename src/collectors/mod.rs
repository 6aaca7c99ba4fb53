//! Collectors that run by themselves: each has a cadence (a cron expression), is asked for
//! everything, one entity or one repository, and hands back entities and facts that the service
//! applies through its ordinary change path. Every run is recorded in the store.
//!
//! The fact JSON Schemas of collectors live in `service::collectors`; this module is about
//! *running* collectors: the [`Collector`] trait, the [`Runner`] that applies their output, the
//! scheduler, the Backstage catalog source, and GitHub webhook signatures.

pub mod backstage;
mod registry;
pub mod run;
pub mod schedule;
pub mod settings;
pub mod webhook;

use std::fmt;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::catalog::EntityRef;
pub use run::{Runner, Trigger};

/// What a collector is asked to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything it knows about.
    All,
    /// One entity; `repository` is its `github.com/project-slug` annotation, when it has one.
    Entity {
        entity: EntityRef,
        repository: Option<String>,
    },
    /// One repository, `owner/name`, and the entities it backs.
    Repository(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Entity { entity, .. } => write!(f, "{entity}"),
            Scope::Repository(slug) => write!(f, "repository:{slug}"),
        }
    }
}

/// Which kinds of scope a collector can answer, besides [`Scope::All`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Handles {
    pub entity: bool,
    pub repository: bool,
}

/// Facts about an entity, named by its ref.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityFacts {
    pub entity: EntityRef,
    /// The fact collector (schema in `checks/collectors/`) the facts belong to.
    pub collector: String,
    pub facts: Map<String, Value>,
}

/// Facts about a repository: they apply to every entity annotated with its slug.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryFacts {
    /// `owner/name`.
    pub slug: String,
    pub collector: String,
    pub facts: Map<String, Value>,
}

/// Facts a collector could not refresh this time, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum StaleTarget {
    Entity(EntityRef),
    Repository(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stale {
    pub target: StaleTarget,
    /// The fact collector whose facts stay, marked stale.
    pub collector: String,
    pub reason: String,
}

/// Catalog entities a source found.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySync {
    /// Backstage envelopes.
    pub entities: Vec<Value>,
    /// True: this is every entity of the source, so those it held before and not now are
    /// removed with their facts. False: only added or changed.
    pub complete: bool,
    /// Refs the source says are gone (e.g. one entity asked for and not found).
    pub removed: Vec<EntityRef>,
}

/// What one run of a collector found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collection {
    pub entities: Option<EntitySync>,
    pub facts: Vec<EntityFacts>,
    pub repositories: Vec<RepositoryFacts>,
    pub stale: Vec<Stale>,
    /// Problems that did not stop the run (one bad entity, one repository that failed, …).
    pub errors: Vec<String>,
}

/// Why a run collected nothing at all.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct CollectError(pub String);

/// A source of entities and facts that the service runs at its cadence and on demand.
#[async_trait]
pub trait Collector: Send + Sync {
    /// Unique among configured collectors; names its runs and metrics.
    fn name(&self) -> &str;
    /// What it is, e.g. `backstage` or `github`.
    fn kind(&self) -> &str;
    /// Scopes it can answer besides everything.
    fn handles(&self) -> Handles;
    /// The fact collectors whose facts it writes: when a run fails they are marked stale on the
    /// entities in scope.
    fn fact_collectors(&self) -> Vec<String>;
    /// Entities whose catalog entries come from this collector carry this source.
    fn source(&self) -> String {
        format!("collector:{}", self.name())
    }
    async fn collect(&self, scope: &Scope) -> Result<Collection, CollectError>;
    /// What it keeps between runs (e.g. ETags), stored after each run that changed it so that
    /// a restarted service goes on from there; `None`: nothing to keep.
    async fn saved_state(&self) -> Option<Value> {
        None
    }
    /// Goes on from a state an earlier process stored.
    async fn restore_state(&self, _state: Value) -> Result<(), String> {
        Ok(())
    }
}

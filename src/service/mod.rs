//! The running service: standards, store and the evaluated fleet, kept in step. Every change —
//! pushed facts, a catalog change, a reload — re-evaluates what it touches, writes the results
//! and rollups in one transaction, and only then becomes visible to readers.

mod catalog;
mod change;
pub mod collectors;
mod delivery;
mod governance;
mod load;
mod replica;
mod rollouts;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;

use crate::health::Fleet;
use crate::settings::SettingsFile;
use crate::store::{Retention, Store, StoreError};
pub use catalog::SyncOutcome;
pub use change::{EntityChange, FactItem, ItemError, PushOutcome};
use collectors::Collectors;
pub use governance::{CampaignEntry, Governance};
pub use load::{ReloadReport, standards_files};
pub use replica::ReplicaStatus;
pub use rollouts::{OutcomeInput, Reported, Steer};

/// Why the service cannot start or a change cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad standards, settings or catalog: one `file:line:column: message` per line.
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("facts rejected")]
    Invalid(Vec<ItemError>),
    #[error("{0} is not in the catalog or is not scored")]
    NotFound(String),
    /// Something other than an entity that is not there (the message says what).
    #[error("{0}")]
    Missing(String),
    /// The request does not fit the state of what it names; nothing was stored.
    #[error("{0}")]
    Conflict(String),
    /// A request body that cannot be accepted; nothing was stored.
    #[error("{message}")]
    Rejected {
        code: &'static str,
        message: String,
        errors: Vec<crate::governance::FieldError>,
    },
}

/// Where the service reads its standards and catalog.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Folder with `checks/` and `golden-tech/`; `None`: the bundled standards.
    pub config_dir: Option<PathBuf>,
    /// Catalog files, folders or globs, re-read on every reload.
    pub catalog: Vec<PathBuf>,
    /// Load the bundled example fleet (catalog and facts).
    pub demo: bool,
    /// A facts file (a JSON array of `{"entity", "facts"}`, as the example fleet's) loaded on
    /// start, instead of the example fleet's, for what the store does not know yet.
    pub facts: Option<PathBuf>,
    /// Kinds scored; empty means `component`.
    pub kinds: Vec<String>,
}

pub struct App {
    pub store: Arc<dyn Store>,
    /// The collectors that run by themselves, at their cadence and on demand.
    pub runner: Arc<crate::collectors::Runner>,
    pub settings: SettingsFile,
    pub sources: Sources,
    pub retention: Retention,
    fleet: RwLock<Arc<Fleet>>,
    collectors: RwLock<Arc<Collectors>>,
    /// One writer at a time: a change reads the fleet, writes the store, then publishes.
    writer: tokio::sync::Mutex<()>,
    /// What the last load of the catalog files read, to tell whether they changed since.
    catalog_seen: parking_lot::Mutex<Option<crate::source::FilesSeen>>,
    /// Set by tests and benchmarks to judge exemptions at a fixed time.
    clock: RwLock<Option<DateTime<Utc>>>,
    governance: RwLock<Arc<Governance>>,
    /// Webhooks with their secrets, resolved on start.
    webhooks: Arc<Vec<delivery::Webhook>>,
    /// Wakes the task that applies what time changes (expiries, campaign deadlines).
    wake: Arc<tokio::sync::Notify>,
    /// Wakes the event delivery task.
    outbox_wake: Arc<tokio::sync::Notify>,
    /// This replica's name: `TECH_HEALTH_REPLICA_ID`, else host and process id.
    pub replica: String,
    /// The last change of the shared log this replica has applied (or made).
    applied: std::sync::atomic::AtomicI64,
    /// Start-up is done and the log applied: `readyz` answers 200.
    ready: std::sync::atomic::AtomicBool,
    /// Whether this replica leads: runs the schedules, expiries, pruning and event delivery.
    leading: tokio::sync::watch::Sender<bool>,
}

impl App {
    /// The fleet as of the last completed change. Cheap: clones an `Arc`.
    pub fn fleet(&self) -> Arc<Fleet> {
        self.fleet.read().clone()
    }

    pub fn collectors(&self) -> Arc<Collectors> {
        self.collectors.read().clone()
    }

    /// The time changes are evaluated at, to the microsecond (what both stores keep, so a
    /// replica that reads a change back evaluates at the very same time).
    pub fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        self.clock.read().unwrap_or_else(Utc::now).trunc_subsecs(6)
    }

    /// Sets the clock (tests); what time changes is applied at once.
    pub fn set_clock(&self, at: Option<DateTime<Utc>>) {
        *self.clock.write() = at;
        self.wake.notify_one();
    }

    pub(crate) fn publish(&self, fleet: Fleet) {
        metrics::gauge!("tech_health_entities_scored").set(fleet.scored.len() as f64);
        metrics::gauge!("tech_health_catalog_entities").set(fleet.catalog.entities().len() as f64);
        *self.fleet.write() = Arc::new(fleet);
        // The leader's clock task runs the fleet changes' controller after every evaluation.
        self.wake.notify_one();
    }
}

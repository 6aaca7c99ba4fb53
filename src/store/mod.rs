//! The store: entities, facts and their history, results, group rollups and daily snapshots;
//! exemptions with their audit log, campaigns with their progress, the event outbox, and what
//! collectors keep between runs.
//! One trait, two implementations — SQLite (the default, a file) and Postgres — chosen from the
//! URL scheme, each with its own migrations under `migrations/`.

mod batch;
mod connect;
mod governance;
mod replication;
mod rollouts;
mod rows;
mod sql;
mod state;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

pub use batch::Rows;
pub use governance::{
    AuditRow, CampaignRow, ExemptionRow, GovernanceStore, OutboxRow, ProgressRow,
};
pub use replication::{
    ChangeListener, ChangeScope, LeaderSession, LogDraft, LogEntry, Replication, WriteLock,
};
pub use rollouts::{ChangeAuditRow, FleetChangeRow, MemberRow, OutcomeRow, RolloutStore};
pub use sql::{PostgresStore, SqliteStore};
pub use state::CollectorStateStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    Url(String),
    /// The store is held by another process that cannot share it.
    #[error("{0}")]
    InUse(String),
}

impl StoreError {
    /// The store cannot be reached (down, restarting, out of connections): worth a 503 and a
    /// retry, not a 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => match e {
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
                sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
                // Postgres: connection exceptions (08…) and operator intervention (57P…).
                sqlx::Error::Database(d) => d
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
                _ => false,
            },
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A catalog entity as stored: its ref, kind and Backstage envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntity {
    pub entity_ref: String,
    pub kind: String,
    pub body: Value,
    /// Where it came from: a file path relative to the catalog root, or `api`.
    pub source: String,
}

/// One collector's facts about one entity at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRow {
    pub entity_ref: String,
    pub collector: String,
    /// A JSON object: fact name → value.
    pub facts: Value,
    pub observed_at: DateTime<Utc>,
}

/// The latest evaluation of one entity, as other readers of the store see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub entity_ref: String,
    pub golden: bool,
    pub eligible: bool,
    /// Track id → level id held (or null).
    pub levels: Value,
    /// Check id → status.
    pub statuses: Value,
    /// Blocking reasons `[{code, message}]`.
    pub blocking: Value,
    pub evaluated_at: DateTime<Utc>,
}

/// A collector's facts about an entity that it could not refresh: they stay, marked with why
/// and since when, until a fresh batch from that collector clears the mark.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleMark {
    pub entity_ref: String,
    pub collector: String,
    pub reason: String,
    /// When the facts first went stale (a repeated mark keeps the first time).
    pub since: DateTime<Utc>,
}

/// One run of a collector, as recorded (and as `GET /api/v1/collectors` shows it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CollectorRun)]
pub struct RunRow {
    /// Assigned by the store; ignored when recording.
    pub id: i64,
    pub collector: String,
    /// `schedule`, `refresh` or `webhook`.
    pub trigger: String,
    /// `all`, an entity ref, or `repository:owner/name`.
    pub scope: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `ok`, `partial` (some errors) or `failed` (nothing collected).
    pub status: String,
    pub entities_touched: i64,
    pub errors: Vec<String>,
}

/// A group's rollup; also kept as that day's snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub group_ref: String,
    pub summary: Value,
}

/// Everything one change writes, applied in a single transaction: no reader of the store ever
/// sees half of it.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// Replace every result and rollup (a full re-evaluation) instead of updating some.
    pub replace_all: bool,
    /// Every scored entity was evaluated at `now`: stamp every stored result with it (`results`
    /// then needs to hold only those whose content changed).
    pub restamp_results: bool,
    pub upsert_entities: Rows<StoredEntity>,
    /// Removed with their facts, history and results.
    pub delete_entities: Vec<String>,
    /// Facts written here clear their stale mark.
    pub facts: Vec<FactRow>,
    /// Marks the stored facts of (entity, collector) stale; absent facts are left alone.
    pub stale: Vec<StaleMark>,
    pub results: Rows<ResultRow>,
    /// Results of entities that are no longer scored.
    pub delete_results: Vec<String>,
    pub aggregates: Vec<GroupRow>,
    pub delete_aggregates: Vec<String>,
    /// Exemptions created or whose state changed.
    pub exemptions: Vec<ExemptionRow>,
    /// Appended to the exemption audit log.
    pub audit: Vec<AuditRow>,
    /// Campaigns created or whose state changed.
    pub campaigns: Vec<CampaignRow>,
    /// Today's progress of campaigns (replacing an earlier point of the same day).
    pub campaign_progress: Vec<ProgressRow>,
    /// Events to deliver, one row per webhook.
    pub events: Vec<OutboxRow>,
    /// Fleet changes created or whose state changed.
    pub fleet_changes: Vec<FleetChangeRow>,
    /// Components of fleet changes, as they now stand.
    pub change_members: Vec<MemberRow>,
    /// Outcomes reported.
    pub change_outcomes: Vec<OutcomeRow>,
    /// Transitions of fleet changes.
    pub change_audit: Vec<ChangeAuditRow>,
    /// The change log row that tells the other replicas what this change touched.
    pub log: Option<LogDraft>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.upsert_entities.is_empty()
            && self.delete_entities.is_empty()
            && self.facts.is_empty()
            && self.stale.is_empty()
            && self.results.is_empty()
            && self.delete_results.is_empty()
            && self.aggregates.is_empty()
            && self.delete_aggregates.is_empty()
            && self.exemptions.is_empty()
            && self.audit.is_empty()
            && self.campaigns.is_empty()
            && self.campaign_progress.is_empty()
            && self.events.is_empty()
            && self.fleet_changes.is_empty()
            && self.change_members.is_empty()
            && self.change_outcomes.is_empty()
            && self.change_audit.is_empty()
    }
}

/// How long fact history is kept: both limits apply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    pub max_age_days: u32,
    pub max_per_entity: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age_days: 90,
            max_per_entity: 100,
        }
    }
}

/// Row counts, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub entities: i64,
    pub facts: i64,
    pub fact_history: i64,
    pub results: i64,
}

#[async_trait]
pub trait Store:
    GovernanceStore + RolloutStore + CollectorStateStore + Replication + Send + Sync
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Applies a change in one transaction; `now` stamps rows and names the snapshot day.
    /// Returns the sequence of its change log row, when it has one (`change.log`).
    async fn commit(&self, change: &ChangeSet, now: DateTime<Utc>) -> Result<Option<i64>>;
    /// Every stored entity, in ref order.
    async fn entities(&self) -> Result<Vec<StoredEntity>> {
        let mut out = Vec::new();
        self.each_entity(&mut |e| out.push(e)).await?;
        Ok(out)
    }
    /// Hands every stored entity to `each` as it is read, in ref order (a whole fleet's
    /// envelopes are never held at once).
    async fn each_entity(&self, each: &mut (dyn FnMut(StoredEntity) + Send)) -> Result<()>;
    /// Every entity's ref and source, without the bodies.
    async fn entity_sources(&self) -> Result<Vec<(String, String)>>;
    /// The latest facts of every collector about every entity.
    async fn latest_facts(&self) -> Result<Vec<FactRow>> {
        let mut out = Vec::new();
        self.each_latest_fact(&mut |f| out.push(f)).await?;
        Ok(out)
    }
    /// Hands the latest facts of every collector about every entity to `each` as they are
    /// read, by entity and collector.
    async fn each_latest_fact(&self, each: &mut (dyn FnMut(FactRow) + Send)) -> Result<()>;
    /// Newest first.
    async fn fact_history(
        &self,
        entity_ref: &str,
        collector: Option<&str>,
        limit: i64,
    ) -> Result<Vec<FactRow>>;
    async fn results(&self) -> Result<Vec<ResultRow>>;
    async fn result(&self, entity_ref: &str) -> Result<Option<ResultRow>>;
    async fn aggregate(&self, group_ref: &str) -> Result<Option<Value>>;
    /// Daily snapshots of one group from `since` on, oldest first.
    async fn snapshots(&self, group_ref: &str, since: NaiveDate)
    -> Result<Vec<(NaiveDate, Value)>>;
    /// Daily snapshots of several groups from `since` on, by group then day (one query).
    async fn snapshots_of(
        &self,
        group_refs: &[String],
        since: NaiveDate,
    ) -> Result<Vec<(String, NaiveDate, Value)>>;
    /// Deletes fact history beyond the retention limits, and collector runs older than its
    /// age limit; returns how many rows went.
    async fn prune_history(&self, retention: Retention, now: DateTime<Utc>) -> Result<u64>;
    /// Every stale mark on the latest facts.
    async fn stale_marks(&self) -> Result<Vec<StaleMark>>;
    /// Records a collector run; returns its id.
    async fn record_run(&self, run: &RunRow) -> Result<i64>;
    /// The latest runs of one collector, newest first.
    async fn runs(&self, collector: &str, limit: i64) -> Result<Vec<RunRow>>;
    async fn ping(&self) -> Result<()>;
    async fn counts(&self) -> Result<Counts>;
    /// The sequence of the last committed change of the change log (0 for none).
    async fn latest_seq(&self) -> Result<i64>;
    /// Changes after `seq`, oldest first, at most `limit`.
    async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<LogEntry>>;
    /// The first sequence still in the log (older ones were pruned), if any.
    async fn oldest_seq(&self) -> Result<Option<i64>>;
    /// Deletes log rows older than `before`, always keeping the last one.
    async fn prune_log(&self, before: DateTime<Utc>) -> Result<u64>;
    /// Some stored entities (those of `refs` that are stored).
    async fn entities_of(&self, refs: &[String]) -> Result<Vec<StoredEntity>>;
    /// The latest facts (with their stale marks) of some entities.
    async fn latest_facts_of(&self, refs: &[String]) -> Result<(Vec<FactRow>, Vec<StaleMark>)>;
}

/// Claims a SQLite database for this process (the service's replica): while the returned file
/// is held, another process claiming the same database is refused with a message saying why.
/// Other stores need no claim (`None`).
pub fn claim(url: &str) -> Result<Option<std::fs::File>> {
    match url.strip_prefix("sqlite://") {
        Some(path) => connect::lock_file(Path::new(path)).map(Some),
        None => Ok(None),
    }
}

/// Opens (creating the file of a SQLite database when needed) and migrates the store.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(Arc::new(SqliteStore::open(Path::new(path)).await?))
    } else if url == "sqlite::memory:" {
        Ok(Arc::new(SqliteStore::memory().await?))
    } else {
        Err(StoreError::Url(url.to_string()))
    }
}

//! Governance in the store: exemptions and their audit log, campaigns and their daily progress,
//! and the outbox of events to deliver. Written by `commit` in the same transaction as the
//! change that caused them; read back on start and by the routes and the delivery task.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};

use super::sql::{PostgresStore, SqliteStore};
use super::{ChangeSet, Result};

/// One exemption: its current state (`active`, `revoked`, `expired`) and the whole record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExemptionRow {
    pub id: String,
    pub entity_ref: String,
    pub state: String,
    pub expires_at: DateTime<Utc>,
    #[sqlx(json)]
    pub body: Value,
}

/// One line of the append-only exemption audit log.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditRow {
    /// Assigned by the store (ascending); ignored when written.
    pub seq: i64,
    pub exemption_id: String,
    pub entity_ref: String,
    /// `created`, `revoked` or `expired`.
    pub action: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    /// The exemption as it was.
    #[sqlx(json)]
    pub body: Value,
}

/// A campaign: its definition and the state it was last seen in.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: String,
    pub state: String,
    #[sqlx(json)]
    pub body: Value,
    pub created_at: DateTime<Utc>,
}

/// A campaign's progress on the day of the change that writes it (the last of a day wins).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRow {
    pub campaign_id: String,
    pub progress: Value,
}

/// An event for one webhook, pending until a 2xx answer.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxRow {
    pub event_id: String,
    /// The webhook URL.
    pub target: String,
    pub event_type: String,
    /// The exact JSON body that is signed and sent.
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
}

#[async_trait]
pub trait GovernanceStore: Send + Sync {
    /// Every exemption ever created, in creation order of ids.
    async fn exemptions(&self) -> Result<Vec<ExemptionRow>>;
    /// The audit log, oldest first; of one entity when given.
    async fn exemption_audit(&self, entity_ref: Option<&str>) -> Result<Vec<AuditRow>>;
    async fn campaigns(&self) -> Result<Vec<CampaignRow>>;
    /// A campaign's daily progress, oldest first.
    async fn campaign_series(&self, campaign_id: &str) -> Result<Vec<(NaiveDate, Value)>>;
    /// Undelivered events whose next attempt is due at `now`, oldest first.
    async fn due_events(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>>;
    /// When the next undelivered event is due, if any is pending.
    async fn next_event_due(&self) -> Result<Option<DateTime<Utc>>>;
    async fn event_delivered(&self, event_id: &str, target: &str, at: DateTime<Utc>) -> Result<()>;
    async fn event_failed(
        &self,
        event_id: &str,
        target: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Deletes events delivered before `before`; returns how many went.
    async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64>;
}

macro_rules! governance_sql {
    ($store:ident, $db:ty) => {
        impl $store {
            /// The governance part of a change, inside the caller's transaction.
            pub(super) async fn write_governance(
                tx: &mut sqlx::Transaction<'_, $db>,
                change: &ChangeSet,
                now: DateTime<Utc>,
            ) -> Result<()> {
                for e in &change.exemptions {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO exemptions (id, entity_ref, state, expires_at, body, \
                         updated_at) VALUES (",
                    );
                    let mut v = q.separated(", ");
                    v.push_bind(&e.id)
                        .push_bind(&e.entity_ref)
                        .push_bind(&e.state)
                        .push_bind(e.expires_at)
                        .push_bind(Json(&e.body))
                        .push_bind(now);
                    q.push(
                        ") ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
                         body = excluded.body, updated_at = excluded.updated_at",
                    );
                    q.build().execute(&mut **tx).await?;
                }
                for a in &change.audit {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO exemption_audit (exemption_id, entity_ref, action, actor, \
                         at, body) VALUES (",
                    );
                    let mut v = q.separated(", ");
                    v.push_bind(&a.exemption_id)
                        .push_bind(&a.entity_ref)
                        .push_bind(&a.action)
                        .push_bind(&a.actor)
                        .push_bind(a.at)
                        .push_bind(Json(&a.body));
                    q.push(")").build().execute(&mut **tx).await?;
                }
                for c in &change.campaigns {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO campaigns (id, state, body, created_at) VALUES (",
                    );
                    let mut v = q.separated(", ");
                    v.push_bind(&c.id)
                        .push_bind(&c.state)
                        .push_bind(Json(&c.body))
                        .push_bind(c.created_at);
                    q.push(
                        ") ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
                         body = excluded.body",
                    );
                    q.build().execute(&mut **tx).await?;
                }
                let day = now.date_naive();
                for p in &change.campaign_progress {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO campaign_progress (campaign_id, day, progress) VALUES (",
                    );
                    let mut v = q.separated(", ");
                    v.push_bind(&p.campaign_id)
                        .push_bind(day)
                        .push_bind(Json(&p.progress));
                    q.push(
                        ") ON CONFLICT (campaign_id, day) DO UPDATE SET \
                         progress = excluded.progress",
                    );
                    q.build().execute(&mut **tx).await?;
                }
                for e in &change.events {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO event_outbox (event_id, target, event_type, payload, \
                         created_at, attempts, next_attempt_at) VALUES (",
                    );
                    let mut v = q.separated(", ");
                    v.push_bind(&e.event_id)
                        .push_bind(&e.target)
                        .push_bind(&e.event_type)
                        .push_bind(&e.payload)
                        .push_bind(e.created_at)
                        .push_bind(e.attempts)
                        .push_bind(e.next_attempt_at);
                    q.push(") ON CONFLICT (event_id, target) DO NOTHING");
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl GovernanceStore for $store {
            async fn exemptions(&self) -> Result<Vec<ExemptionRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, entity_ref, state, expires_at, body FROM exemptions ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn exemption_audit(&self, entity_ref: Option<&str>) -> Result<Vec<AuditRow>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT seq, exemption_id, entity_ref, action, actor, at, body \
                     FROM exemption_audit",
                );
                if let Some(e) = entity_ref {
                    q.push(" WHERE entity_ref = ").push_bind(e);
                }
                q.push(" ORDER BY seq");
                Ok(q.build_query_as().fetch_all(&self.pool).await?)
            }

            async fn campaigns(&self) -> Result<Vec<CampaignRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, state, body, created_at FROM campaigns ORDER BY created_at, id",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn campaign_series(&self, campaign_id: &str) -> Result<Vec<(NaiveDate, Value)>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT day, progress FROM campaign_progress WHERE campaign_id = ",
                );
                q.push_bind(campaign_id).push(" ORDER BY day");
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.try_get("day")?,
                            r.try_get::<Json<Value>, _>("progress")?.0,
                        ))
                    })
                    .collect()
            }

            async fn due_events(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT event_id, target, event_type, payload, created_at, attempts, \
                     next_attempt_at FROM event_outbox WHERE delivered_at IS NULL \
                     AND next_attempt_at <= ",
                );
                q.push_bind(now)
                    .push(" ORDER BY created_at, event_id LIMIT ")
                    .push_bind(limit);
                Ok(q.build_query_as().fetch_all(&self.pool).await?)
            }

            async fn next_event_due(&self) -> Result<Option<DateTime<Utc>>> {
                let row = sqlx::query(
                    "SELECT next_attempt_at FROM event_outbox WHERE delivered_at IS NULL \
                     ORDER BY next_attempt_at LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(r.try_get("next_attempt_at")?),
                    None => None,
                })
            }

            async fn event_delivered(
                &self,
                event_id: &str,
                target: &str,
                at: DateTime<Utc>,
            ) -> Result<()> {
                let mut q = QueryBuilder::<$db>::new(
                    "UPDATE event_outbox SET attempts = attempts + 1, last_error = NULL, \
                     delivered_at = ",
                );
                q.push_bind(at)
                    .push(" WHERE event_id = ")
                    .push_bind(event_id)
                    .push(" AND target = ")
                    .push_bind(target);
                q.build().execute(&self.pool).await?;
                Ok(())
            }

            async fn event_failed(
                &self,
                event_id: &str,
                target: &str,
                error: &str,
                next_attempt_at: DateTime<Utc>,
            ) -> Result<()> {
                let mut q = QueryBuilder::<$db>::new(
                    "UPDATE event_outbox SET attempts = attempts + 1, last_error = ",
                );
                q.push_bind(error)
                    .push(", next_attempt_at = ")
                    .push_bind(next_attempt_at)
                    .push(" WHERE event_id = ")
                    .push_bind(event_id)
                    .push(" AND target = ")
                    .push_bind(target)
                    .push(" AND delivered_at IS NULL");
                q.build().execute(&self.pool).await?;
                Ok(())
            }

            async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64> {
                let mut q = QueryBuilder::<$db>::new(
                    "DELETE FROM event_outbox WHERE delivered_at IS NOT NULL AND delivered_at < ",
                );
                q.push_bind(before);
                Ok(q.build().execute(&self.pool).await?.rows_affected())
            }
        }
    };
}

governance_sql!(SqliteStore, sqlx::Sqlite);
governance_sql!(PostgresStore, sqlx::Postgres);

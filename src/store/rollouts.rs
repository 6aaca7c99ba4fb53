//! Fleet changes in the store: the change with its state, its components, the outcomes
//! reported and the audit log of its transitions. Written by `commit` in the transaction of the
//! change that caused them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::QueryBuilder;
use sqlx::types::Json;

use super::sql::{PostgresStore, SqliteStore};
use super::{ChangeSet, Result};

/// A fleet change: its definition and its state.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FleetChangeRow {
    pub id: String,
    /// As shown: `wave-2-active`, `paused`, …
    pub state: String,
    #[sqlx(json)]
    pub body: Value,
    #[sqlx(json)]
    pub status: Value,
    pub created_at: DateTime<Utc>,
}

/// One component of a change, as it stands.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MemberRow {
    pub change_id: String,
    pub entity_ref: String,
    #[sqlx(json)]
    pub body: Value,
}

/// One outcome as reported.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutcomeRow {
    pub change_id: String,
    pub entity_ref: String,
    pub outcome: String,
    pub pr_url: Option<String>,
    pub at: DateTime<Utc>,
    /// `api` or `github`.
    pub source: String,
    pub reported_by: String,
}

/// One transition of a change, appended to its audit log.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChangeAuditRow {
    /// Assigned by the store; ignored when written.
    pub seq: i64,
    pub change_id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from_state: String,
    pub to_state: String,
    #[sqlx(json)]
    pub body: Value,
}

#[async_trait]
pub trait RolloutStore: Send + Sync {
    /// Every change, oldest first.
    async fn fleet_changes(&self) -> Result<Vec<FleetChangeRow>>;
    async fn fleet_change(&self, id: &str) -> Result<Option<FleetChangeRow>>;
    /// Components of a change: all, or those of `refs`.
    async fn change_members(&self, id: &str, refs: Option<&[String]>) -> Result<Vec<MemberRow>>;
    /// The outcomes reported for a change, oldest first.
    async fn change_outcomes(&self, id: &str) -> Result<Vec<OutcomeRow>>;
    /// A change's transitions, oldest first.
    async fn change_audit(&self, id: &str) -> Result<Vec<ChangeAuditRow>>;
}

/// Rows per statement when a change's components are written (four binds each).
const MEMBERS_PER_INSERT: usize = 2000;

macro_rules! rollout_sql {
    ($store:ident, $db:ty) => {
        impl $store {
            /// The fleet-change part of a change, inside the caller's transaction.
            pub(super) async fn write_rollouts(
                tx: &mut sqlx::Transaction<'_, $db>,
                change: &ChangeSet,
                now: DateTime<Utc>,
            ) -> Result<()> {
                for c in &change.fleet_changes {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO fleet_changes (id, state, body, status, created_at, \
                         updated_at) VALUES (",
                    );
                    let mut v = q.separated(", ");
                    v.push_bind(&c.id)
                        .push_bind(&c.state)
                        .push_bind(Json(&c.body))
                        .push_bind(Json(&c.status))
                        .push_bind(c.created_at)
                        .push_bind(now);
                    q.push(
                        ") ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
                         status = excluded.status, updated_at = excluded.updated_at",
                    );
                    q.build().execute(&mut **tx).await?;
                }
                for chunk in change.change_members.chunks(MEMBERS_PER_INSERT) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO fleet_change_members (change_id, entity_ref, body) ",
                    );
                    q.push_values(chunk, |mut v, m| {
                        v.push_bind(&m.change_id)
                            .push_bind(&m.entity_ref)
                            .push_bind(Json(&m.body));
                    });
                    q.push(
                        " ON CONFLICT (change_id, entity_ref) DO UPDATE SET body = excluded.body",
                    );
                    q.build().execute(&mut **tx).await?;
                }
                for o in &change.change_outcomes {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO fleet_change_outcomes (change_id, entity_ref, outcome, \
                         pr_url, at, source, reported_by) VALUES (",
                    );
                    let mut v = q.separated(", ");
                    v.push_bind(&o.change_id)
                        .push_bind(&o.entity_ref)
                        .push_bind(&o.outcome)
                        .push_bind(&o.pr_url)
                        .push_bind(o.at)
                        .push_bind(&o.source)
                        .push_bind(&o.reported_by);
                    q.push(")").build().execute(&mut **tx).await?;
                }
                for a in &change.change_audit {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO fleet_change_audit (change_id, at, actor, from_state, \
                         to_state, body) VALUES (",
                    );
                    let mut v = q.separated(", ");
                    v.push_bind(&a.change_id)
                        .push_bind(a.at)
                        .push_bind(&a.actor)
                        .push_bind(&a.from_state)
                        .push_bind(&a.to_state)
                        .push_bind(Json(&a.body));
                    q.push(")").build().execute(&mut **tx).await?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl RolloutStore for $store {
            async fn fleet_changes(&self) -> Result<Vec<FleetChangeRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, state, body, status, created_at FROM fleet_changes \
                     ORDER BY created_at, id",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn fleet_change(&self, id: &str) -> Result<Option<FleetChangeRow>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT id, state, body, status, created_at FROM fleet_changes WHERE id = ",
                );
                q.push_bind(id);
                Ok(q.build_query_as().fetch_optional(&self.pool).await?)
            }

            async fn change_members(
                &self,
                id: &str,
                refs: Option<&[String]>,
            ) -> Result<Vec<MemberRow>> {
                let mut out = Vec::new();
                let pieces: Vec<Option<&[String]>> = match refs {
                    None => vec![None],
                    Some(refs) => refs.chunks(500).map(Some).collect(),
                };
                for piece in pieces {
                    let mut q = QueryBuilder::<$db>::new(
                        "SELECT change_id, entity_ref, body FROM fleet_change_members \
                         WHERE change_id = ",
                    );
                    q.push_bind(id);
                    if let Some(refs) = piece {
                        q.push(" AND entity_ref IN (");
                        let mut v = q.separated(", ");
                        for r in refs {
                            v.push_bind(r);
                        }
                        q.push(")");
                    }
                    q.push(" ORDER BY entity_ref");
                    out.extend(q.build_query_as().fetch_all(&self.pool).await?);
                }
                Ok(out)
            }

            async fn change_outcomes(&self, id: &str) -> Result<Vec<OutcomeRow>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT change_id, entity_ref, outcome, pr_url, at, source, reported_by \
                     FROM fleet_change_outcomes WHERE change_id = ",
                );
                q.push_bind(id).push(" ORDER BY seq");
                Ok(q.build_query_as().fetch_all(&self.pool).await?)
            }

            async fn change_audit(&self, id: &str) -> Result<Vec<ChangeAuditRow>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT seq, change_id, at, actor, from_state, to_state, body \
                     FROM fleet_change_audit WHERE change_id = ",
                );
                q.push_bind(id).push(" ORDER BY seq");
                Ok(q.build_query_as().fetch_all(&self.pool).await?)
            }
        }
    };
}

rollout_sql!(SqliteStore, sqlx::Sqlite);
rollout_sql!(PostgresStore, sqlx::Postgres);

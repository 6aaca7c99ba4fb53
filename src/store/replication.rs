//! What lets several replicas share one store: the change log (one row per commit, written in the
//! same transaction as its data), the cross-replica write lock, change notifications, and the
//! leader's lock. On Postgres the locks are advisory locks and the notifications LISTEN/NOTIFY;
//! a SQLite store has exactly one replica (its file is locked), so it needs neither.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener};
use sqlx::{Connection, Row};

use super::Result;
use super::sql::{PostgresStore, SqliteStore};

/// What one committed change touched, for the replicas that did not make it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ChangeScope {
    /// The latest facts (or stale marks) of these entities changed. `reevaluate`: they were
    /// evaluated anew at the change's time; `governance`: exemptions or campaigns changed.
    #[serde(rename_all = "camelCase")]
    Entities {
        refs: Vec<String>,
        reevaluate: bool,
        governance: bool,
    },
    /// These entities were added, changed or removed (by the catalog API or a catalog sync).
    Catalog { refs: Vec<String> },
    /// The standards were read again (a reload, a replica's start-up) and every entity was
    /// evaluated anew at the change's time, after these entities were written or deleted and
    /// these entities' facts written.
    #[serde(rename_all = "camelCase")]
    Fleet {
        entities: Vec<String>,
        facts: Vec<String>,
    },
    /// A fleet change was created or moved: its state and these components (all of them when
    /// `None`) are read again.
    Rollout {
        change: String,
        members: Option<Vec<String>>,
    },
}

/// The log row a change writes.
#[derive(Debug, Clone, PartialEq)]
pub struct LogDraft {
    /// The replica that made the change.
    pub origin: String,
    pub scope: ChangeScope,
}

/// A committed change, as read back from the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub seq: i64,
    /// The change's time: what it evaluated at.
    pub at: DateTime<Utc>,
    pub origin: String,
    pub scope: ChangeScope,
}

/// The cross-replica write lock, held from before a writer catches up with the log until its
/// change is committed. Dropping it releases it (its connection then goes back to the pool);
/// a process that dies releases it with its connections.
pub struct WriteLock {
    held: Option<(PoolConnection<sqlx::Postgres>, i32)>,
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let Some((mut conn, ns)) = self.held.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
                        .bind(ns)
                        .bind(WRITE_KEY)
                        .execute(&mut *conn)
                        .await;
                    if unlocked.is_err() {
                        // Closing the session releases the lock as surely.
                        drop(conn.detach());
                    }
                });
            }
            Err(_) => drop(conn.detach()),
        }
    }
}

/// A connection that hears of commits made by any replica.
pub struct ChangeListener(PgListener);

impl ChangeListener {
    /// Wakes `wake` at every notification of a commit by another replica than `own`, for as
    /// long as the task runs. A lost connection is re-established (notifications sent
    /// meanwhile are missed: the woken side catches up by sequence). Reading is never cancelled
    /// half-way, so run it as a task of its own and abort that task to stop.
    pub async fn forward(mut self, own: String, wake: std::sync::Arc<tokio::sync::Notify>) {
        loop {
            match self.0.recv().await {
                Ok(n) => {
                    let origin = n.payload().split_once(' ').map(|(_, o)| o);
                    if origin != Some(own.as_str()) {
                        wake.notify_one();
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "change notifications interrupted");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// A connection of its own on which a replica tries to hold the leader's lock; the lock goes
/// with the connection (a killed leader's session ends and another replica takes over).
pub struct LeaderSession {
    conn: PgConnection,
    ns: i32,
}

impl LeaderSession {
    /// Takes the leader's lock if it is free; true while this session holds it.
    pub async fn try_lead(&mut self) -> Result<bool> {
        Ok(sqlx::query("SELECT pg_try_advisory_lock($1, $2) AS held")
            .bind(self.ns)
            .bind(LEADER_KEY)
            .fetch_one(&mut self.conn)
            .await?
            .try_get("held")?)
    }

    /// Fails when the session (and so the lock) is lost.
    pub async fn check(&mut self) -> Result<()> {
        self.conn.ping().await?;
        Ok(())
    }
}

#[async_trait]
pub trait Replication: Send + Sync {
    /// Several replicas may share this store (Postgres).
    fn shared(&self) -> bool;
    /// Waits for the cross-replica write lock.
    async fn lock_writes(&self) -> Result<WriteLock>;
    /// Notifications of every commit; `None` where this replica is the only writer.
    async fn listen(&self) -> Result<Option<ChangeListener>>;
    /// A session to hold the leader's lock on; `None` where this replica always leads.
    async fn leader_session(&self, replica: &str) -> Result<Option<LeaderSession>>;
    /// The replica holding the leader's lock, as it named itself.
    async fn leader(&self) -> Result<Option<String>>;
}

#[async_trait]
impl Replication for SqliteStore {
    fn shared(&self) -> bool {
        false
    }
    async fn lock_writes(&self) -> Result<WriteLock> {
        Ok(WriteLock { held: None })
    }
    async fn listen(&self) -> Result<Option<ChangeListener>> {
        Ok(None)
    }
    async fn leader_session(&self, _replica: &str) -> Result<Option<LeaderSession>> {
        Ok(None)
    }
    async fn leader(&self) -> Result<Option<String>> {
        Ok(None)
    }
}

impl SqliteStore {
    /// Tells the other replicas of a commit: there are none.
    pub(super) async fn announce(
        &self,
        _tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        _seq: i64,
        _origin: &str,
    ) -> Result<()> {
        Ok(())
    }
}

impl PostgresStore {
    /// Tells the other replicas of a commit (delivered when the transaction commits): the
    /// payload is `SEQ ORIGIN`.
    pub(super) async fn announce(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        seq: i64,
        origin: &str,
    ) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&self.channel)
            .bind(format!("{seq} {origin}"))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// The second key of the leader's advisory lock and of the write lock (the first is the
/// store's `ns`).
const LEADER_KEY: i32 = 1;
const WRITE_KEY: i32 = 2;

/// What a leader's session calls itself (`application_name`), before its replica's name.
const LEADER_APP: &str = "tech-health leader ";

#[async_trait]
impl Replication for PostgresStore {
    fn shared(&self) -> bool {
        true
    }
    async fn lock_writes(&self) -> Result<WriteLock> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(self.ns)
            .bind(WRITE_KEY)
            .execute(&mut *conn)
            .await?;
        Ok(WriteLock {
            held: Some((conn, self.ns)),
        })
    }
    async fn listen(&self) -> Result<Option<ChangeListener>> {
        let mut l = PgListener::connect_with(&self.pool).await?;
        l.listen(&self.channel).await?;
        Ok(Some(ChangeListener(l)))
    }
    async fn leader_session(&self, replica: &str) -> Result<Option<LeaderSession>> {
        let options: PgConnectOptions = self
            .options
            .clone()
            .application_name(&format!("{LEADER_APP}{replica}"));
        let conn = PgConnection::connect_with(&options).await?;
        Ok(Some(LeaderSession { conn, ns: self.ns }))
    }
    async fn leader(&self) -> Result<Option<String>> {
        // A two-key advisory lock shows as classid = first key, objid = second, objsubid = 2.
        let row = sqlx::query(
            "SELECT a.application_name AS name FROM pg_locks l \
             JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 \
             AND l.objid::bigint = $2 AND l.objsubid = 2 AND l.database = \
             (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .bind(i64::from(self.ns))
        .bind(i64::from(LEADER_KEY))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<String, _>("name"))
            .transpose()?
            .map(|n| n.strip_prefix(LEADER_APP).unwrap_or(&n).to_string()))
    }
}

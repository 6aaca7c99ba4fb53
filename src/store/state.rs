//! What collectors keep between runs (the GitHub collector's ETags and head commits), one JSON
//! document per collector, so that a restarted service refreshes as cheaply as a running one.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};

use super::Result;
use super::sql::{PostgresStore, SqliteStore};

#[async_trait]
pub trait CollectorStateStore {
    /// The state a collector saved last, if any.
    async fn collector_state(&self, collector: &str) -> Result<Option<Value>>;
    /// Replaces a collector's saved state.
    async fn save_collector_state(
        &self,
        collector: &str,
        state: &Value,
        now: DateTime<Utc>,
    ) -> Result<()>;
}

macro_rules! state_sql {
    ($store:ident, $db:ty) => {
        #[async_trait]
        impl CollectorStateStore for $store {
            async fn collector_state(&self, collector: &str) -> Result<Option<Value>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT state FROM collector_state WHERE collector = ",
                );
                q.push_bind(collector);
                let row = q.build().fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some(r.try_get::<Json<Value>, _>("state")?.0),
                    None => None,
                })
            }

            async fn save_collector_state(
                &self,
                collector: &str,
                state: &Value,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let mut q = QueryBuilder::<$db>::new(
                    "INSERT INTO collector_state (collector, state, updated_at) VALUES (",
                );
                q.separated(", ")
                    .push_bind(collector)
                    .push_bind(Json(state))
                    .push_bind(now);
                q.push(
                    ") ON CONFLICT (collector) DO UPDATE SET state = excluded.state, \
                     updated_at = excluded.updated_at",
                );
                q.build().execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

state_sql!(SqliteStore, sqlx::Sqlite);
state_sql!(PostgresStore, sqlx::Postgres);

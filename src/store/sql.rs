//! The SQL behind both stores. The statements are the same for SQLite and Postgres (both speak
//! `INSERT … ON CONFLICT … DO UPDATE` and window functions; placeholders come from
//! `QueryBuilder`), so one macro writes both implementations; only the migrations and the
//! connection set-up differ.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};

pub use super::connect::{PostgresStore, SqliteStore};
use super::rows::{fact_row, result_row, stored_entity};
use super::{
    ChangeScope, ChangeSet, Counts, FactRow, LogEntry, Result, ResultRow, Retention, RunRow,
    StaleMark, Store, StoredEntity,
};

/// Rows per multi-row statement: well under both databases' bind-parameter limits.
const BATCH: usize = 400;

/// Per entity and collector, the newest of `rows` (the later of two equally new), in the
/// order they first appear.
fn latest_facts(rows: &[FactRow]) -> Vec<&FactRow> {
    let mut at: rustc_hash::FxHashMap<(&str, &str), usize> = Default::default();
    let mut out: Vec<&FactRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match at.entry((&row.entity_ref, &row.collector)) {
            std::collections::hash_map::Entry::Occupied(i) => {
                let kept = &mut out[*i.get()];
                if kept.observed_at <= row.observed_at {
                    *kept = row;
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(out.len());
                out.push(row);
            }
        }
    }
    out
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $name:literal) => {
        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $name
            }

            async fn commit(&self, change: &ChangeSet, now: DateTime<Utc>) -> Result<Option<i64>> {
                let mut tx = self.pool.begin().await?;
                if change.replace_all {
                    sqlx::query("DELETE FROM results").execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM group_aggregates")
                        .execute(&mut *tx)
                        .await?;
                }
                for chunk in change.delete_entities.chunks(BATCH) {
                    let mut q =
                        QueryBuilder::<$db>::new("DELETE FROM entities WHERE entity_ref IN (");
                    let mut list = q.separated(", ");
                    for r in chunk {
                        list.push_bind(r);
                    }
                    q.push(")").build().execute(&mut *tx).await?;
                }
                for chunk in change.upsert_entities.batches(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO entities (entity_ref, kind, body, source, updated_at) ",
                    );
                    q.push_values(chunk.iter(), |mut b, e| {
                        b.push_bind(&e.entity_ref)
                            .push_bind(&e.kind)
                            .push_bind(Json(&e.body))
                            .push_bind(&e.source)
                            .push_bind(now);
                    });
                    q.push(
                        " ON CONFLICT (entity_ref) DO UPDATE SET kind = excluded.kind, \
                         body = excluded.body, source = excluded.source, \
                         updated_at = excluded.updated_at",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                // The current facts: one row per entity and collector (a statement cannot
                // write one twice), never replaced by an older observation — as the fleet in
                // memory keeps them.
                for chunk in latest_facts(&change.facts).chunks(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO facts (entity_ref, collector, facts, observed_at) ",
                    );
                    q.push_values(chunk, |mut b, f| {
                        b.push_bind(&f.entity_ref)
                            .push_bind(&f.collector)
                            .push_bind(Json(&f.facts))
                            .push_bind(f.observed_at);
                    });
                    q.push(
                        " ON CONFLICT (entity_ref, collector) DO UPDATE SET \
                         facts = excluded.facts, observed_at = excluded.observed_at, \
                         stale_reason = NULL, stale_since = NULL \
                         WHERE facts.observed_at <= excluded.observed_at",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in change.facts.chunks(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO fact_history (entity_ref, collector, facts, observed_at) ",
                    );
                    q.push_values(chunk, |mut b, f| {
                        b.push_bind(&f.entity_ref)
                            .push_bind(&f.collector)
                            .push_bind(Json(&f.facts))
                            .push_bind(f.observed_at);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                for m in &change.stale {
                    let mut q = QueryBuilder::<$db>::new("UPDATE facts SET stale_reason = ");
                    q.push_bind(&m.reason)
                        .push(", stale_since = COALESCE(stale_since, ")
                        .push_bind(m.since)
                        .push(") WHERE entity_ref = ")
                        .push_bind(&m.entity_ref)
                        .push(" AND collector = ")
                        .push_bind(&m.collector);
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in change.delete_results.chunks(BATCH) {
                    let mut q =
                        QueryBuilder::<$db>::new("DELETE FROM results WHERE entity_ref IN (");
                    let mut list = q.separated(", ");
                    for r in chunk {
                        list.push_bind(r);
                    }
                    q.push(")").build().execute(&mut *tx).await?;
                }
                for chunk in change.results.batches(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO results (entity_ref, golden, eligible, levels, statuses, \
                         blocking, evaluated_at) ",
                    );
                    q.push_values(chunk.iter(), |mut b, r| {
                        b.push_bind(&r.entity_ref)
                            .push_bind(r.golden)
                            .push_bind(r.eligible)
                            .push_bind(Json(&r.levels))
                            .push_bind(Json(&r.statuses))
                            .push_bind(Json(&r.blocking))
                            .push_bind(r.evaluated_at);
                    });
                    q.push(
                        " ON CONFLICT (entity_ref) DO UPDATE SET golden = excluded.golden, \
                         eligible = excluded.eligible, levels = excluded.levels, \
                         statuses = excluded.statuses, blocking = excluded.blocking, \
                         evaluated_at = excluded.evaluated_at",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                if change.restamp_results {
                    let mut q = QueryBuilder::<$db>::new("UPDATE results SET evaluated_at = ");
                    q.push_bind(now).build().execute(&mut *tx).await?;
                }
                for chunk in change.delete_aggregates.chunks(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "DELETE FROM group_aggregates WHERE group_ref IN (",
                    );
                    let mut list = q.separated(", ");
                    for r in chunk {
                        list.push_bind(r);
                    }
                    q.push(")").build().execute(&mut *tx).await?;
                }
                let day = now.date_naive();
                for chunk in change.aggregates.chunks(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO group_aggregates (group_ref, summary, updated_at) ",
                    );
                    q.push_values(chunk, |mut b, g| {
                        b.push_bind(&g.group_ref)
                            .push_bind(Json(&g.summary))
                            .push_bind(now);
                    });
                    q.push(
                        " ON CONFLICT (group_ref) DO UPDATE SET summary = excluded.summary, \
                         updated_at = excluded.updated_at",
                    );
                    q.build().execute(&mut *tx).await?;
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO group_snapshots (group_ref, day, summary) ",
                    );
                    q.push_values(chunk, |mut b, g| {
                        b.push_bind(&g.group_ref)
                            .push_bind(day)
                            .push_bind(Json(&g.summary));
                    });
                    q.push(
                        " ON CONFLICT (group_ref, day) DO UPDATE SET summary = excluded.summary",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                Self::write_governance(&mut tx, change, now).await?;
                Self::write_rollouts(&mut tx, change, now).await?;
                let mut seq = None;
                if let Some(log) = &change.log {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO change_log (at, origin, scope) VALUES (",
                    );
                    q.push_bind(now)
                        .push(", ")
                        .push_bind(&log.origin)
                        .push(", ")
                        .push_bind(Json(&log.scope))
                        .push(") RETURNING seq");
                    let s: i64 = q.build().fetch_one(&mut *tx).await?.try_get("seq")?;
                    self.announce(&mut tx, s, &log.origin).await?;
                    seq = Some(s);
                }
                tx.commit().await?;
                Ok(seq)
            }

            async fn each_entity(&self, each: &mut (dyn FnMut(StoredEntity) + Send)) -> Result<()> {
                let mut rows = sqlx::query(
                    "SELECT entity_ref, kind, body, source FROM entities ORDER BY entity_ref",
                )
                .fetch(&self.pool);
                while let Some(r) = rows.try_next().await? {
                    each(stored_entity(&r)?);
                }
                Ok(())
            }

            async fn entity_sources(&self) -> Result<Vec<(String, String)>> {
                let rows = sqlx::query("SELECT entity_ref, source FROM entities")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("entity_ref")?, r.try_get("source")?)))
                    .collect()
            }

            async fn each_latest_fact(&self, each: &mut (dyn FnMut(FactRow) + Send)) -> Result<()> {
                let mut rows = sqlx::query(
                    "SELECT entity_ref, collector, facts, observed_at FROM facts \
                     ORDER BY entity_ref, collector",
                )
                .fetch(&self.pool);
                while let Some(r) = rows.try_next().await? {
                    each(fact_row(&r)?);
                }
                Ok(())
            }

            async fn fact_history(
                &self,
                entity_ref: &str,
                collector: Option<&str>,
                limit: i64,
            ) -> Result<Vec<FactRow>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT entity_ref, collector, facts, observed_at FROM fact_history \
                     WHERE entity_ref = ",
                );
                q.push_bind(entity_ref);
                if let Some(c) = collector {
                    q.push(" AND collector = ").push_bind(c);
                }
                q.push(" ORDER BY observed_at DESC, id DESC LIMIT ")
                    .push_bind(limit);
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter().map(fact_row).collect()
            }

            async fn results(&self) -> Result<Vec<ResultRow>> {
                let rows = sqlx::query(
                    "SELECT entity_ref, golden, eligible, levels, statuses, blocking, \
                     evaluated_at FROM results ORDER BY entity_ref",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(result_row).collect()
            }

            async fn result(&self, entity_ref: &str) -> Result<Option<ResultRow>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT entity_ref, golden, eligible, levels, statuses, blocking, \
                     evaluated_at FROM results WHERE entity_ref = ",
                );
                q.push_bind(entity_ref);
                let row = q.build().fetch_optional(&self.pool).await?;
                row.as_ref().map(result_row).transpose()
            }

            async fn aggregate(&self, group_ref: &str) -> Result<Option<Value>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT summary FROM group_aggregates WHERE group_ref = ",
                );
                q.push_bind(group_ref);
                let row = q.build().fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some(r.try_get::<Json<Value>, _>("summary")?.0),
                    None => None,
                })
            }

            async fn snapshots(
                &self,
                group_ref: &str,
                since: NaiveDate,
            ) -> Result<Vec<(NaiveDate, Value)>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT day, summary FROM group_snapshots WHERE group_ref = ",
                );
                q.push_bind(group_ref)
                    .push(" AND day >= ")
                    .push_bind(since)
                    .push(" ORDER BY day");
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("day")?, r.try_get::<Json<Value>, _>("summary")?.0)))
                    .collect()
            }

            async fn snapshots_of(
                &self,
                group_refs: &[String],
                since: NaiveDate,
            ) -> Result<Vec<(String, NaiveDate, Value)>> {
                let mut out = Vec::new();
                for chunk in group_refs.chunks(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "SELECT group_ref, day, summary FROM group_snapshots WHERE day >= ",
                    );
                    q.push_bind(since).push(" AND group_ref IN (");
                    let mut list = q.separated(", ");
                    for g in chunk {
                        list.push_bind(g);
                    }
                    q.push(") ORDER BY group_ref, day");
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push((
                            r.try_get("group_ref")?,
                            r.try_get("day")?,
                            r.try_get::<Json<Value>, _>("summary")?.0,
                        ));
                    }
                }
                Ok(out)
            }

            async fn prune_history(&self, retention: Retention, now: DateTime<Utc>) -> Result<u64> {
                let cutoff = now - chrono::Duration::days(i64::from(retention.max_age_days));
                let mut q =
                    QueryBuilder::<$db>::new("DELETE FROM fact_history WHERE observed_at < ");
                q.push_bind(cutoff);
                let by_age = q.build().execute(&self.pool).await?.rows_affected();
                let mut q = QueryBuilder::<$db>::new(
                    "DELETE FROM fact_history WHERE id IN (SELECT id FROM (SELECT id, \
                     ROW_NUMBER() OVER (PARTITION BY entity_ref, collector \
                     ORDER BY observed_at DESC, id DESC) AS n FROM fact_history) ranked \
                     WHERE n > ",
                );
                q.push_bind(i64::from(retention.max_per_entity)).push(")");
                let by_count = q.build().execute(&self.pool).await?.rows_affected();
                let mut q =
                    QueryBuilder::<$db>::new("DELETE FROM collector_runs WHERE started_at < ");
                q.push_bind(cutoff);
                let runs = q.build().execute(&self.pool).await?.rows_affected();
                Ok(by_age + by_count + runs)
            }

            async fn stale_marks(&self) -> Result<Vec<StaleMark>> {
                let rows = sqlx::query(
                    "SELECT entity_ref, collector, stale_reason, stale_since FROM facts \
                     WHERE stale_reason IS NOT NULL ORDER BY entity_ref, collector",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StaleMark {
                            entity_ref: r.try_get("entity_ref")?,
                            collector: r.try_get("collector")?,
                            reason: r.try_get("stale_reason")?,
                            since: r.try_get("stale_since")?,
                        })
                    })
                    .collect()
            }

            async fn record_run(&self, run: &RunRow) -> Result<i64> {
                let mut q = QueryBuilder::<$db>::new(
                    "INSERT INTO collector_runs (collector, trigger, scope, started_at, \
                     finished_at, status, entities_touched, errors) ",
                );
                q.push_values([run], |mut b, r| {
                    b.push_bind(&r.collector)
                        .push_bind(&r.trigger)
                        .push_bind(&r.scope)
                        .push_bind(r.started_at)
                        .push_bind(r.finished_at)
                        .push_bind(&r.status)
                        .push_bind(r.entities_touched)
                        .push_bind(Json(&r.errors));
                });
                q.push(" RETURNING id");
                let row = q.build().fetch_one(&self.pool).await?;
                Ok(row.try_get("id")?)
            }

            async fn runs(&self, collector: &str, limit: i64) -> Result<Vec<RunRow>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT id, collector, trigger, scope, started_at, finished_at, status, \
                     entities_touched, errors FROM collector_runs WHERE collector = ",
                );
                q.push_bind(collector)
                    .push(" ORDER BY started_at DESC, id DESC LIMIT ")
                    .push_bind(limit);
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(RunRow {
                            id: r.try_get("id")?,
                            collector: r.try_get("collector")?,
                            trigger: r.try_get("trigger")?,
                            scope: r.try_get("scope")?,
                            started_at: r.try_get("started_at")?,
                            finished_at: r.try_get("finished_at")?,
                            status: r.try_get("status")?,
                            entities_touched: r.try_get("entities_touched")?,
                            errors: r.try_get::<Json<Vec<String>>, _>("errors")?.0,
                        })
                    })
                    .collect()
            }

            async fn latest_seq(&self) -> Result<i64> {
                let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM change_log")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get("seq")?)
            }

            async fn oldest_seq(&self) -> Result<Option<i64>> {
                let row = sqlx::query("SELECT MIN(seq) AS seq FROM change_log")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get("seq")?)
            }

            async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<LogEntry>> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT seq, at, origin, scope FROM change_log WHERE seq > ",
                );
                q.push_bind(seq)
                    .push(" ORDER BY seq LIMIT ")
                    .push_bind(limit);
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(LogEntry {
                            seq: r.try_get("seq")?,
                            at: r.try_get("at")?,
                            origin: r.try_get("origin")?,
                            scope: r.try_get::<sqlx::types::Json<ChangeScope>, _>("scope")?.0,
                        })
                    })
                    .collect()
            }

            async fn prune_log(&self, before: DateTime<Utc>) -> Result<u64> {
                let mut q = QueryBuilder::<$db>::new("DELETE FROM change_log WHERE at < ");
                q.push_bind(before)
                    .push(" AND seq < (SELECT MAX(seq) FROM change_log)");
                Ok(q.build().execute(&self.pool).await?.rows_affected())
            }

            async fn entities_of(&self, refs: &[String]) -> Result<Vec<StoredEntity>> {
                let mut out = Vec::new();
                for chunk in refs.chunks(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "SELECT entity_ref, kind, body, source FROM entities WHERE entity_ref IN (",
                    );
                    let mut list = q.separated(", ");
                    for r in chunk {
                        list.push_bind(r);
                    }
                    q.push(")");
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push(stored_entity(&r)?);
                    }
                }
                Ok(out)
            }

            async fn latest_facts_of(
                &self,
                refs: &[String],
            ) -> Result<(Vec<FactRow>, Vec<StaleMark>)> {
                let (mut facts, mut marks) = (Vec::new(), Vec::new());
                for chunk in refs.chunks(BATCH) {
                    let mut q = QueryBuilder::<$db>::new(
                        "SELECT entity_ref, collector, facts, observed_at, stale_reason, \
                         stale_since FROM facts WHERE entity_ref IN (",
                    );
                    let mut list = q.separated(", ");
                    for r in chunk {
                        list.push_bind(r);
                    }
                    q.push(") ORDER BY entity_ref, collector");
                    for r in q.build().fetch_all(&self.pool).await? {
                        let row = fact_row(&r)?;
                        if let Some(reason) = r.try_get::<Option<String>, _>("stale_reason")? {
                            marks.push(StaleMark {
                                entity_ref: row.entity_ref.clone(),
                                collector: row.collector.clone(),
                                reason,
                                since: r.try_get("stale_since")?,
                            });
                        }
                        facts.push(row);
                    }
                }
                Ok((facts, marks))
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn counts(&self) -> Result<Counts> {
                let row = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM entities) AS entities, \
                     (SELECT COUNT(*) FROM facts) AS facts, \
                     (SELECT COUNT(*) FROM fact_history) AS history, \
                     (SELECT COUNT(*) FROM results) AS results",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(Counts {
                    entities: row.try_get("entities")?,
                    facts: row.try_get("facts")?,
                    fact_history: row.try_get("history")?,
                    results: row.try_get("results")?,
                })
            }
        }
    };
}

sql_store!(SqliteStore, sqlx::Sqlite, "sqlite");
sql_store!(PostgresStore, sqlx::Postgres, "postgres");

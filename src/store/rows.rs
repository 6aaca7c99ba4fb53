//! Rows read back into the store's types, the same for both databases.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::types::Json;

use super::{FactRow, Result, ResultRow, StoredEntity};

pub(super) fn fact_row<R: Row>(row: &R) -> Result<FactRow>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(FactRow {
        entity_ref: row.try_get("entity_ref")?,
        collector: row.try_get("collector")?,
        facts: row.try_get::<Json<Value>, _>("facts")?.0,
        observed_at: row.try_get("observed_at")?,
    })
}

pub(super) fn result_row<R: Row>(row: &R) -> Result<ResultRow>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(ResultRow {
        entity_ref: row.try_get("entity_ref")?,
        golden: row.try_get("golden")?,
        eligible: row.try_get("eligible")?,
        levels: row.try_get::<Json<Value>, _>("levels")?.0,
        statuses: row.try_get::<Json<Value>, _>("statuses")?.0,
        blocking: row.try_get::<Json<Value>, _>("blocking")?.0,
        evaluated_at: row.try_get("evaluated_at")?,
    })
}

pub(super) fn stored_entity<R: Row>(row: &R) -> Result<StoredEntity>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(StoredEntity {
        entity_ref: row.try_get("entity_ref")?,
        kind: row.try_get("kind")?,
        body: row.try_get::<Json<Value>, _>("body")?.0,
        source: row.try_get("source")?,
    })
}

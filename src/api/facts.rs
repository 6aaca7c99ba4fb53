//! Pushed facts and admin actions.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::auth::{Admin, Authorized, FactsWrite};
use super::error::{ApiError, ErrorBody, JsonBody};
use super::{AppState, batch_schema};
use crate::service::{FactItem, PushOutcome, ReloadReport};

/// The body of `POST /api/v1/facts`: at least one item.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct FactItems(pub Vec<FactItem>);

impl PartialSchema for FactItems {
    fn schema() -> RefOr<Schema> {
        batch_schema(utoipa::openapi::Ref::from_schema_name(FactItem::name()))
    }
}

impl ToSchema for FactItems {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((FactItem::name().into(), FactItem::schema()));
        FactItem::schemas(schemas);
    }
}

/// Stores a batch of facts — each item validated against its collector's JSON Schema, all or
/// nothing — and re-evaluates the entities it names and the groups above them.
#[utoipa::path(post, path = "/api/v1/facts", tag = "facts", request_body = inline(FactItems),
    security(("bearer" = ["facts:write"])),
    responses((status = 200, body = PushOutcome),
        (status = 400, description = "The body is not JSON of the documented shape", body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, description = "Per-item errors in `details.items`; nothing stored", body = ErrorBody)))]
pub async fn push(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<FactsWrite>,
    JsonBody(FactItems(items)): JsonBody<FactItems>,
) -> Result<Json<PushOutcome>, ApiError> {
    if items.is_empty() {
        return Err(ApiError::BadRequest("the batch is empty".into()));
    }
    let n = items.len();
    let outcome = s.app.push_facts(items).await?;
    tracing::info!(by = %who.name, items = n, reevaluated = outcome.reevaluated.len(), "facts stored");
    metrics::counter!("tech_health_facts_received_total").increment(n as u64);
    Ok(Json(outcome))
}

/// Re-reads the standards (and catalog files) and re-evaluates the whole fleet; on bad
/// configuration nothing changes and the error names file and line.
#[utoipa::path(post, path = "/api/v1/admin/reload", tag = "admin", security(("bearer" = ["admin"])),
    responses((status = 200, body = ReloadReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn reload(
    State(s): State<AppState>,
    _: Authorized<Admin>,
) -> Result<Json<ReloadReport>, ApiError> {
    Ok(Json(s.app.reload().await?))
}

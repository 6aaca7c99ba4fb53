//! Catalog changes: add or replace entities, remove one. Each re-evaluates what it touches.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::auth::{Authorized, CatalogWrite};
use super::error::{ApiError, ErrorBody, JsonBody};
use crate::catalog::EntityRef;
use crate::service::PushOutcome;

/// Adds or replaces catalog entities (Backstage envelopes: `apiVersion`, `kind`, `metadata`,
/// `spec`), all or nothing; re-evaluates them and whatever they own.
#[utoipa::path(post, path = "/api/v1/catalog/entities", tag = "catalog",
    request_body(content = [Object], description = "Backstage entities"),
    security(("bearer" = ["catalog:write"])),
    responses((status = 200, body = PushOutcome),
        (status = 400, description = "The body is not JSON of the documented shape", body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn upsert(
    State(s): State<AppState>,
    _: Authorized<CatalogWrite>,
    JsonBody(entities): JsonBody<Vec<serde_json::Value>>,
) -> Result<Json<PushOutcome>, ApiError> {
    if entities.is_empty() {
        return Err(ApiError::BadRequest("no entities given".into()));
    }
    Ok(Json(s.app.upsert_entities(&entities).await?))
}

/// Removes an entity with its facts, their history and its results.
#[utoipa::path(delete, path = "/api/v1/catalog/entities/{kind}/{namespace}/{name}", tag = "catalog",
    params(("kind" = String, Path), ("namespace" = String, Path), ("name" = String, Path)),
    security(("bearer" = ["catalog:write"])),
    responses((status = 200, body = PushOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    _: Authorized<CatalogWrite>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Json<PushOutcome>, ApiError> {
    Ok(Json(
        s.app
            .delete_entity(&EntityRef::new(&kind, &namespace, &name))
            .await?,
    ))
}

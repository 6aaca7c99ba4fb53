//! Catalog changes: add or replace entities, remove one. Each re-evaluates what it touches.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::auth::{Authorized, CatalogWrite};
use super::error::{ApiError, ErrorBody, JsonBody};
use super::{AppState, batch_schema};
use crate::catalog::EntityRef;
use crate::service::PushOutcome;

/// The body of `POST /api/v1/catalog/entities`: at least one Backstage entity.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct CatalogEntities(pub Vec<serde_json::Value>);

impl PartialSchema for CatalogEntities {
    /// The envelope as `catalog::descriptor` reads it (names as Backstage has them); what each
    /// kind needs in `spec` is checked after, a 422.
    fn schema() -> RefOr<Schema> {
        let envelope = serde_json::json!({
            "type": "object",
            "required": ["apiVersion", "kind", "metadata"],
            "properties": {
                "apiVersion": { "type": "string", "pattern": "^(?:[a-z0-9]+(?:-[a-z0-9]+)*(?:\\.[a-z0-9]+(?:-[a-z0-9]+)*)*/)?[A-Za-z0-9]{1,63}$" },
                "kind": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]{0,62}$" },
                "metadata": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": { "type": "string", "pattern": "^[A-Za-z0-9](?:[-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$" },
                        "namespace": { "type": ["string", "null"], "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 63 }
                    }
                },
                "spec": { "type": ["object", "null"] }
            }
        });
        match serde_json::from_value::<Schema>(envelope) {
            Ok(item) => batch_schema(item),
            Err(e) => unreachable!("the entity envelope schema is valid JSON Schema: {e}"),
        }
    }
}

impl ToSchema for CatalogEntities {}

/// Adds or replaces catalog entities (Backstage envelopes: `apiVersion`, `kind`, `metadata`,
/// `spec`), all or nothing; re-evaluates them and whatever they own.
#[utoipa::path(post, path = "/api/v1/catalog/entities", tag = "catalog",
    request_body(content = inline(CatalogEntities), description = "Backstage entities"),
    security(("bearer" = ["catalog:write"])),
    responses((status = 200, body = PushOutcome),
        (status = 400, description = "The body is not JSON of the documented shape", body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn upsert(
    State(s): State<AppState>,
    _: Authorized<CatalogWrite>,
    JsonBody(CatalogEntities(entities)): JsonBody<CatalogEntities>,
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

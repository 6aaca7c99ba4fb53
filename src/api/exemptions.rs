//! Exemptions: create and revoke (scope `exemptions:write`, the author is the token's
//! identity), list, and the append-only audit log.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::auth::{Authorized, ExemptionsWrite, Reader};
use super::error::{ApiError, ErrorBody, JsonBody};
use crate::catalog::EntityRef;
use crate::governance::exemptions::{AuditEntry, ExemptionRecord, ExemptionRequest};
use crate::service::App;

/// Exempts an entity from one check, or from every check of one level of a track, until
/// `expires`; re-evaluates the entity and its groups at once.
#[utoipa::path(post, path = "/api/v1/exemptions", tag = "exemptions", request_body = ExemptionRequest,
    security(("bearer" = ["exemptions:write"])),
    responses((status = 201, body = ExemptionRecord),
        (status = 400, description = "The body is not JSON of the documented shape", body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`invalid-exemption`: `details.errors[] = {path, message}`; nothing stored", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<ExemptionsWrite>,
    JsonBody(req): JsonBody<ExemptionRequest>,
) -> Result<(StatusCode, Json<ExemptionRecord>), ApiError> {
    let record = s.app.create_exemption(&req, &who.name).await?;
    tracing::info!(by = %who.name, exemption = %record.id, entity = %record.entity, "exemption created");
    Ok((StatusCode::CREATED, Json(record)))
}

/// Revokes an active exemption; re-evaluates its entity at once.
#[utoipa::path(delete, path = "/api/v1/exemptions/{id}", tag = "exemptions",
    params(("id" = String, Path)), security(("bearer" = ["exemptions:write"])),
    responses((status = 200, body = ExemptionRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "Already revoked or expired", body = ErrorBody)))]
pub async fn revoke(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<ExemptionsWrite>,
    Path(id): Path<String>,
) -> Result<Json<ExemptionRecord>, ApiError> {
    let record = s.app.revoke_exemption(&id, &who.name).await?;
    tracing::info!(by = %who.name, exemption = %record.id, "exemption revoked");
    Ok(Json(record))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExemptionQuery {
    /// Only this entity's (kind defaults to `component`); text that names no entity matches
    /// none.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub entity: Option<String>,
    /// `true`: only those that apply now; `false`: only revoked or expired ones.
    pub active: Option<bool>,
}

/// What an `entity` filter asks for: `None` without one; `Some(None)` when its text names no
/// entity (`/x`, a control character): it matches none, and the store is not asked.
fn entity_filter(entity: &Option<String>) -> Option<Option<String>> {
    entity.as_deref().map(|e| {
        EntityRef::parse(e, Some("component"), "default")
            .ok()
            .map(|r| r.to_string())
    })
}

/// Exemptions, oldest first, filtered.
pub fn list_exemptions(app: &App, q: &ExemptionQuery) -> Result<Vec<ExemptionRecord>, ApiError> {
    let entity = match entity_filter(&q.entity) {
        Some(None) => return Ok(Vec::new()),
        Some(Some(e)) => Some(e),
        None => None,
    };
    let now = app.now();
    Ok(app
        .governance()
        .exemptions
        .iter()
        .filter(|r| entity.as_ref().is_none_or(|e| *e == r.entity))
        .filter(|r| q.active.is_none_or(|a| a == r.applies(now)))
        .cloned()
        .collect())
}

/// Every exemption, with its state (`active`, `revoked`, `expired`).
#[utoipa::path(get, path = "/api/v1/exemptions", tag = "exemptions", params(ExemptionQuery),
    responses((status = 200, body = [ExemptionRecord]), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    _: Reader,
    Query(q): Query<ExemptionQuery>,
) -> Result<Json<Vec<ExemptionRecord>>, ApiError> {
    Ok(Json(list_exemptions(&s.app, &q)?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this entity's entries; text that names no entity matches none.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub entity: Option<String>,
}

/// The audit log, oldest first.
pub async fn audit_log(app: &App, entity: &Option<String>) -> Result<Vec<AuditEntry>, ApiError> {
    let entity = match entity_filter(entity) {
        Some(None) => return Ok(Vec::new()),
        Some(Some(e)) => Some(e),
        None => None,
    };
    let rows = app
        .store
        .exemption_audit(entity.as_deref())
        .await
        .map_err(ApiError::from)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(AuditEntry {
                seq: r.seq,
                action: r.action,
                actor: r.actor,
                at: r.at,
                exemption: serde_json::from_value(r.body).ok()?,
            })
        })
        .collect())
}

/// The append-only audit log: every exemption created, revoked or expired — who, when, what.
#[utoipa::path(get, path = "/api/v1/exemptions/audit", tag = "exemptions", params(AuditQuery),
    responses((status = 200, body = [AuditEntry]), (status = 400, body = ErrorBody)))]
pub async fn audit(
    State(s): State<AppState>,
    _: Reader,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(audit_log(&s.app, &q.entity).await?))
}

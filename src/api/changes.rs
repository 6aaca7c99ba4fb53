//! Fleet changes: create one (scope `changes:write` or `admin`), report its outcomes, pause,
//! resume or cancel it; read it as the change page shows it, its components, burn-up and
//! transitions, and what the orchestrator may open changes for now (`…/next`, JSON or NDJSON).

use std::collections::HashSet;

use async_graphql::SimpleObject;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Authorized, ChangesWrite, Reader};
use super::error::{ApiError, ErrorBody, JsonBody};
use crate::catalog::EntityRef;
use crate::governance::rollout::{
    self, BurnupPoint, ChangeRequest, ChangeRun, ChangeView, MemberState, MemberView, NextItem,
    Outcome, Target, Transition, WaveCounts,
};
use crate::service::{App, OutcomeInput, Steer};

/// A change in a list: what it is for and where it stands.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSummary {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub target: Target,
    pub state: String,
    pub wave: Option<u32>,
    pub waves: u32,
    pub totals: WaveCounts,
    /// With `team`: the counts over that team's components (recursively, for a department).
    pub team: Option<WaveCounts>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// A group: only changes with components it owns (directly or through groups below it),
    /// with their counts for it.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub team: Option<String>,
    /// Only changes still running (not `done` nor `cancelled`).
    pub open: Option<bool>,
}

/// The changes as listed, optionally for one team.
pub fn list_changes(app: &App, q: &ChangesQuery) -> Result<Vec<ChangeSummary>, ApiError> {
    let fleet = app.fleet();
    let owned: Option<HashSet<EntityRef>> = match &q.team {
        None => None,
        Some(t) => {
            // Text that names no entity names no group of the catalog either.
            let group = EntityRef::parse(t, Some("group"), "default")
                .ok()
                .filter(|g| fleet.catalog.get(g).is_some())
                .ok_or_else(|| ApiError::NotFound(format!("no group `{t}` in the catalog")))?;
            Some(fleet.owned_scored(&group).into_iter().cloned().collect())
        }
    };
    let mut out = Vec::new();
    for run in app.fleet_changes() {
        if q.open == Some(true) && run.state().is_final() {
            continue;
        }
        let team = owned
            .as_ref()
            .map(|owned| run.counts_of(|r| owned.contains(r)));
        if team
            .as_ref()
            .is_some_and(|t| t.active + t.planned + t.dropped == 0)
        {
            continue;
        }
        out.push(ChangeSummary {
            id: run.change.id.clone(),
            name: run.change.name.clone(),
            owner: run.change.owner.clone(),
            target: run.change.target.clone(),
            state: run.state().to_string(),
            wave: run.state().wave(),
            waves: run.change.waves.len() as u32,
            totals: run.totals(),
            team,
            updated_at: run.status.updated_at,
        });
    }
    Ok(out)
}

/// Creates a fleet change: a target (`technology`, e.g. `log4j-core <2.17.1`, or a `check` to
/// make pass), the fleet policy's waves (or `rollout`), criteria per wave. Eligible components
/// in the target are planned into waves at once; the first wave starts at `start` (default now).
#[utoipa::path(post, path = "/api/v1/changes", tag = "changes", request_body = ChangeRequest,
    security(("bearer" = ["changes:write"])),
    responses((status = 201, body = ChangeView),
        (status = 400, description = "The body is not JSON of the documented shape", body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`invalid-change`: `details.errors[] = {path, message}`; nothing stored", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<ChangesWrite>,
    JsonBody(req): JsonBody<ChangeRequest>,
) -> Result<(StatusCode, Json<ChangeView>), ApiError> {
    let view = s.app.create_change(&req, &who.name).await?;
    tracing::info!(by = %who.name, change = %view.change.id, "fleet change created");
    Ok((StatusCode::CREATED, Json(view)))
}

/// Every fleet change, oldest first; with `team`, those touching the team's components.
#[utoipa::path(get, path = "/api/v1/changes", tag = "changes", params(ChangesQuery),
    responses((status = 200, body = [ChangeSummary]), (status = 400, body = ErrorBody),
        (status = 404, description = "`team` is not a group of the catalog", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    _: Reader,
    Query(q): Query<ChangesQuery>,
) -> Result<Json<Vec<ChangeSummary>>, ApiError> {
    Ok(Json(list_changes(&s.app, &q)?))
}

/// One change as the change page shows it: waves with each criterion's light, counts, the
/// reasons of a pause, the teams.
#[utoipa::path(get, path = "/api/v1/changes/{id}", tag = "changes", params(("id" = String, Path)),
    responses((status = 200, body = ChangeView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Result<Json<ChangeView>, ApiError> {
    let run = s.app.fleet_change(&id)?;
    Ok(Json(run.view(&s.app.fleet(), s.app.now())))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComponentsQuery {
    /// Only this wave's components.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    pub wave: Option<u32>,
    /// Only components in this state.
    pub state: Option<MemberState>,
}

/// The components of a change (of one wave), with owner, state, outcome and pull request.
#[utoipa::path(get, path = "/api/v1/changes/{id}/components", tag = "changes",
    params(("id" = String, Path), ComponentsQuery),
    responses((status = 200, body = [MemberView]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn components(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
    Query(q): Query<ComponentsQuery>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let run = s.app.fleet_change(&id)?;
    let mut items = run.member_views(&s.app.fleet(), q.wave);
    if let Some(state) = q.state {
        items.retain(|m| m.state == state);
    }
    Ok(Json(items))
}

/// The burn-up: merged, failed and open changes after each reported outcome.
#[utoipa::path(get, path = "/api/v1/changes/{id}/burnup", tag = "changes", params(("id" = String, Path)),
    responses((status = 200, body = [BurnupPoint]), (status = 404, body = ErrorBody)))]
pub async fn burnup(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Result<Json<Vec<BurnupPoint>>, ApiError> {
    Ok(Json(rollout::burnup(&s.app.change_history(&id).await?)))
}

/// Every transition of the change, oldest first: who (the controller or a person), why.
#[utoipa::path(get, path = "/api/v1/changes/{id}/transitions", tag = "changes", params(("id" = String, Path)),
    responses((status = 200, body = [Transition]), (status = 404, body = ErrorBody)))]
pub async fn transitions(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> Result<Json<Vec<Transition>>, ApiError> {
    Ok(Json(s.app.change_transitions(&id).await?))
}

/// What the orchestrator may open changes for now.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct NextPage {
    pub change: String,
    pub state: String,
    /// The wave the items are of (`null` when none is active).
    pub wave: Option<u32>,
    pub items: Vec<NextItem>,
}

/// The components the orchestrator may open changes for now: the active wave's without an
/// outcome, within `maxOpenPerOwner`; none while planned, paused, cancelled or done. With
/// `Accept: application/x-ndjson`, one item per line.
#[utoipa::path(get, path = "/api/v1/changes/{id}/next", tag = "changes", params(("id" = String, Path)),
    responses((status = 200, description = "The page; with `Accept: application/x-ndjson`, its items, one per line", body = NextPage),
        (status = 404, body = ErrorBody)))]
pub async fn next(
    State(s): State<AppState>,
    _: Reader,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (run, items) = s.app.change_next(&id)?;
    let ndjson = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/x-ndjson"));
    if ndjson {
        let mut body = Vec::with_capacity(items.len() * 120);
        for i in &items {
            serde_json::to_writer(&mut body, i)
                .map_err(|e| ApiError::Internal(format!("next: {e}")))?;
            body.push(b'\n');
        }
        return Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response());
    }
    Ok(Json(next_page(&run, items)).into_response())
}

pub fn next_page(run: &ChangeRun, items: Vec<NextItem>) -> NextPage {
    NextPage {
        change: run.change.id.clone(),
        state: run.state().to_string(),
        wave: run
            .state()
            .wave()
            .filter(|_| matches!(run.state(), rollout::State::Active(_))),
        items,
    }
}

/// One outcome as the orchestrator reports it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutcomeItem {
    #[schema(pattern = r"\S")]
    pub entity: String,
    pub outcome: Outcome,
    /// The pull request, e.g. `https://github.com/acme/billing-service/pull/42`.
    pub pr_url: Option<String>,
    /// When it happened (RFC 3339; default: when it is received).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/changes/{id}/outcomes`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutcomesRequest {
    #[schema(min_items = 1, max_items = 10000)]
    pub outcomes: Vec<OutcomeItem>,
}

/// What a report or a person's move did.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct ChangeMoved {
    pub accepted: usize,
    /// The change's state after it.
    pub state: String,
    /// The transitions it caused (the controller's, on the leading replica).
    pub transitions: Vec<Transition>,
}

/// Reports outcomes of components' changes (all taken, or none: a `422` names each refused
/// one). On the leading replica the controller decides at once.
#[utoipa::path(post, path = "/api/v1/changes/{id}/outcomes", tag = "changes", params(("id" = String, Path)),
    request_body = OutcomesRequest, security(("bearer" = ["changes:write"])),
    responses((status = 200, body = ChangeMoved),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The change is done or cancelled", body = ErrorBody),
        (status = 422, description = "`invalid-outcomes`: `details.errors[] = {path, message}` (not a component, wave not started, dropped); nothing stored", body = ErrorBody)))]
pub async fn outcomes(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<ChangesWrite>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<OutcomesRequest>,
) -> Result<Json<ChangeMoved>, ApiError> {
    if req.outcomes.is_empty() || req.outcomes.len() > 10_000 {
        return Err(ApiError::BadRequest("give 1 to 10,000 outcomes".into()));
    }
    let items: Vec<OutcomeInput> = req
        .outcomes
        .into_iter()
        .map(|o| OutcomeInput {
            entity: o.entity,
            outcome: o.outcome,
            pr_url: o.pr_url,
            at: o.at,
        })
        .collect();
    let r = s.app.report_outcomes(&id, &items, "api", &who.name).await?;
    Ok(Json(ChangeMoved {
        accepted: r.accepted,
        state: r.state,
        transitions: r.transitions,
    }))
}

/// `POST …/pause`, `…/resume`, `…/cancel`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SteerRequest {
    /// Why (kept in the audit log).
    #[schema(pattern = r"\S")]
    pub reason: String,
}

async fn steer(
    s: &AppState,
    who: &str,
    id: &str,
    action: Steer,
    reason: &str,
) -> Result<Json<ChangeMoved>, ApiError> {
    let transitions = s.app.steer_change(id, action, reason, who).await?;
    let state = s.app.fleet_change(id)?.state().to_string();
    Ok(Json(ChangeMoved {
        accepted: 0,
        state,
        transitions,
    }))
}

/// Pauses a change by hand; it moves again only when resumed.
#[utoipa::path(post, path = "/api/v1/changes/{id}/pause", tag = "changes", params(("id" = String, Path)),
    request_body = SteerRequest, security(("bearer" = ["changes:write"])),
    responses((status = 200, body = ChangeMoved), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pause(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<ChangesWrite>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<SteerRequest>,
) -> Result<Json<ChangeMoved>, ApiError> {
    steer(&s, &who.name, &id, Steer::Pause, &req.reason).await
}

/// Resumes a paused change: the failures standing now are acknowledged (they no longer count
/// against `maxFailedShare`), and the controller moves it on.
#[utoipa::path(post, path = "/api/v1/changes/{id}/resume", tag = "changes", params(("id" = String, Path)),
    request_body = SteerRequest, security(("bearer" = ["changes:write"])),
    responses((status = 200, body = ChangeMoved), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resume(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<ChangesWrite>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<SteerRequest>,
) -> Result<Json<ChangeMoved>, ApiError> {
    steer(&s, &who.name, &id, Steer::Resume, &req.reason).await
}

/// Cancels a change for good.
#[utoipa::path(post, path = "/api/v1/changes/{id}/cancel", tag = "changes", params(("id" = String, Path)),
    request_body = SteerRequest, security(("bearer" = ["changes:write"])),
    responses((status = 200, body = ChangeMoved), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<ChangesWrite>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<SteerRequest>,
) -> Result<Json<ChangeMoved>, ApiError> {
    steer(&s, &who.name, &id, Steer::Cancel, &req.reason).await
}

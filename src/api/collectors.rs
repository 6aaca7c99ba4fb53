//! Collector routes: what runs and how it went, and GitHub webhook deliveries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::collectors::run::entities_of_repository;
use crate::collectors::{Scope, Trigger, webhook};
use crate::store::RunRow;

/// Runs listed per collector.
const LAST_RUNS: i64 = 10;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectorView {
    pub name: String,
    /// e.g. `backstage`.
    pub kind: String,
    /// The cron expression; null: runs only on demand.
    pub cadence: Option<String>,
    pub next_run: Option<DateTime<Utc>>,
    /// A run is in progress.
    pub running: bool,
    /// Can re-collect one entity (refresh) / one repository (webhooks).
    pub handles_entity: bool,
    pub handles_repository: bool,
    /// Newest first.
    pub last_runs: Vec<RunRow>,
    /// The replica that runs the schedules: the leader (null while none leads).
    pub leader: Option<String>,
}

/// The configured collectors: cadence, next run, and their latest runs with errors.
#[utoipa::path(get, path = "/api/v1/collectors", tag = "collectors",
    responses((status = 200, body = [CollectorView])))]
pub async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<CollectorView>>, ApiError> {
    s.auth.allow_read(&headers).await?;
    let leader = s.app.replica_status().await.leader_replica;
    let mut out = Vec::new();
    for e in s.app.runner.entries() {
        let c = &e.collector;
        let runs = s
            .app
            .store
            .runs(c.name(), LAST_RUNS)
            .await
            .map_err(ApiError::from)?;
        out.push(CollectorView {
            name: c.name().to_string(),
            kind: c.kind().to_string(),
            cadence: e.cadence.as_ref().map(|(text, _)| text.clone()),
            next_run: e.next_run(),
            running: e.running(),
            handles_entity: c.handles().entity,
            handles_repository: c.handles().repository,
            last_runs: runs,
            leader: leader.clone(),
        });
    }
    Ok(Json(out))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAccepted {
    /// `X-GitHub-Event`.
    pub event: String,
    /// `X-GitHub-Delivery`.
    pub delivery: Option<String>,
    /// `repository.full_name`.
    pub repository: Option<String>,
    /// Entities annotated with that repository (`github.com/project-slug`).
    pub entities: Vec<String>,
    /// Collectors asked to re-collect the repository (in the background).
    pub scheduled: Vec<String>,
    /// Outcomes of fleet changes taken from a `pull_request` or `check_suite` delivery.
    pub outcomes: Vec<WebhookOutcome>,
}

/// A fleet change's outcome a delivery reported.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookOutcome {
    pub change: String,
    pub entity: String,
    pub outcome: crate::governance::rollout::Outcome,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A GitHub webhook delivery, signed with `X-Hub-Signature-256`. `push` and `repository`: the
/// repository is re-collected by the collectors that handle repositories, and its entities
/// re-evaluated. `pull_request` and `check_suite`: pull requests of a fleet change (its label
/// or branch prefix) become outcomes of the repository's components. Other events are
/// acknowledged and ignored.
#[utoipa::path(post, path = "/api/v1/webhooks/github", tag = "collectors",
    extensions(("x-authenticated-by" = json!("X-Hub-Signature-256"))),
    request_body(content = Object, description = "The delivery, as GitHub sends it"),
    params(("X-GitHub-Event" = String, Header), ("X-GitHub-Delivery" = Option<String>, Header),
           ("X-Hub-Signature-256" = String, Header, description = "`sha256=` + hex HMAC-SHA256 of the body")),
    responses((status = 202, body = WebhookAccepted), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn github(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<WebhookAccepted>), ApiError> {
    // The required headers first, configured or not, as the document requires them.
    let signature = header(&headers, "x-hub-signature-256").ok_or_else(|| {
        ApiError::BadSignature("the X-Hub-Signature-256 header is missing".into())
    })?;
    let event = header(&headers, "x-github-event")
        .ok_or_else(|| ApiError::BadRequest("the X-GitHub-Event header is missing".into()))?
        .to_string();
    let secret = s.app.runner.webhook_secret().ok_or_else(|| {
        ApiError::NotFound("GitHub webhooks are not configured (collectors.githubWebhook)".into())
    })?;
    if !webhook::signature_matches(secret, &body, signature) {
        return Err(ApiError::BadSignature(
            "X-Hub-Signature-256 does not match the body and the configured secret".into(),
        ));
    }
    let delivery = header(&headers, "x-github-delivery").map(str::to_string);
    let payload: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the delivery is not JSON: {e}")))?;
    let mut accepted = WebhookAccepted {
        event,
        delivery,
        repository: webhook::repository_of(&payload),
        entities: Vec::new(),
        scheduled: Vec::new(),
        outcomes: Vec::new(),
    };
    let Some(slug) = accepted.repository.clone() else {
        return Ok((StatusCode::ACCEPTED, Json(accepted)));
    };
    let entities = entities_of_repository(&s.app, &slug);
    if webhook::PULL_REQUEST_EVENTS.contains(&accepted.event.as_str()) {
        accepted.entities = entities.iter().map(ToString::to_string).collect();
        accepted.outcomes = s
            .app
            .github_outcomes(&accepted.event, &payload, &entities)
            .await?
            .into_iter()
            .map(|(change, entity, outcome)| WebhookOutcome {
                change,
                entity,
                outcome,
            })
            .collect();
        return Ok((StatusCode::ACCEPTED, Json(accepted)));
    }
    if !webhook::EVENTS.contains(&accepted.event.as_str()) {
        return Ok((StatusCode::ACCEPTED, Json(accepted)));
    }
    accepted.entities = entities.iter().map(ToString::to_string).collect();
    let scope = Scope::Repository(slug);
    let entries = s.app.runner.able(&scope);
    accepted.scheduled = entries
        .iter()
        .map(|e| e.collector.name().to_string())
        .collect();
    let app = s.app.clone();
    tokio::spawn(async move {
        for entry in entries {
            app.run_collector(&entry, scope.clone(), Trigger::Webhook, true)
                .await;
        }
    });
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

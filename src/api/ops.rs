//! Liveness, readiness and Prometheus metrics.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::ApiError;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Object)))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// How long readiness and metrics wait for the store before answering without it.
const STORE_WAIT: Duration = Duration::from_secs(2);

/// Ready: start-up is done, the shared change log applied, and the store answers (within 2 s).
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, body = Object), (status = 503, body = super::error::ErrorBody)))]
pub async fn readyz(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    if !s.app.is_ready() {
        return Err(ApiError::Unavailable(
            "starting: the change log is not applied yet".into(),
        ));
    }
    match tokio::time::timeout(STORE_WAIT, s.app.store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(ApiError::Unavailable(e.to_string())),
        Err(_) => {
            return Err(ApiError::Unavailable(format!(
                "the store did not answer within {} s",
                STORE_WAIT.as_secs()
            )));
        }
    }
    let r = s.app.replica_status().await;
    Ok(Json(json!({
        "status": "ready",
        "store": s.app.store.backend(),
        "replica": r.replica,
        "leader": r.leader,
        "appliedSeq": r.applied_seq,
    })))
}

/// This replica, the one that leads, and how far it has applied the shared change log.
#[utoipa::path(get, path = "/api/v1/replica", tag = "ops", responses((status = 200, body = crate::service::ReplicaStatus)))]
pub async fn replica(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Json<crate::service::ReplicaStatus>, ApiError> {
    s.auth.allow_read(&headers).await?;
    Ok(Json(s.app.replica_status().await))
}

/// Prometheus text format.
///
/// With `requireTokenForReads` it asks for a token like every read (a scraper sends one with
/// `authorization.credentials`).
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = super::error::ErrorBody)))]
pub async fn metrics(State(s): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Err(e) = s.auth.allow_read(&headers).await {
        return e.into_response();
    }
    // Which replica leads (each replica's own gauge says whether it does).
    let r = s.app.replica_status().await;
    metrics::gauge!("tech_health_leader", "replica" => r.replica.clone())
        .set(f64::from(u8::from(r.leader)));
    // The leader as this replica sees it: 1 for the one that leads, 0 for those seen before.
    static SEEN: parking_lot::Mutex<Vec<String>> = parking_lot::Mutex::new(Vec::new());
    {
        let mut seen = SEEN.lock();
        if let Some(l) = &r.leader_replica
            && !seen.contains(l)
        {
            seen.push(l.clone());
        }
        for name in seen.iter() {
            let leads = r.leader_replica.as_ref() == Some(name);
            metrics::gauge!("tech_health_leader_replica", "replica" => name.clone())
                .set(f64::from(u8::from(leads)));
        }
    }
    // Store counts when the store answers at once; a scrape never waits on a store that is down.
    if let Ok(Ok(c)) = tokio::time::timeout(STORE_WAIT, s.app.store.counts()).await {
        metrics::gauge!("tech_health_store_entities").set(c.entities as f64);
        metrics::gauge!("tech_health_store_facts").set(c.facts as f64);
        metrics::gauge!("tech_health_store_fact_history").set(c.fact_history as f64);
        metrics::gauge!("tech_health_store_results").set(c.results as f64);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

/// Counts and times every request by route and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("tech_health_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("tech_health_http_request_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    resp
}

/// Whatever answers with an error but no JSON (a timeout, a method not allowed, a rejected
/// body size) gets the JSON error body too.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.as_u16() < 400 || is_json {
        return resp;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        s if s.is_server_error() => "internal",
        _ => "bad-request",
    };
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body is larger than the service accepts (limits.maxBodyBytes)".to_string()
        }
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let body = super::error::ErrorBody {
        error: super::error::ErrorDetail {
            code: code.into(),
            message,
            details: serde_json::Value::Null,
        },
    };
    let mut out = (status, Json(body)).into_response();
    for (k, v) in resp.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

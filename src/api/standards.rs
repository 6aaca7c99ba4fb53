//! The standards as served: checks, tracks, and the radar as the Backstage tech-radar loads it.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use crate::health::view::{self, LinkView, UsedIn};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub severity: String,
    pub how_to_fix: Option<String>,
    pub links: Vec<LinkView>,
    pub used_in: Vec<UsedIn>,
    /// The facts it reads.
    pub facts: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LevelView {
    pub id: String,
    pub name: String,
    pub checks: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
    pub levels: Vec<LevelView>,
}

/// Every check of the standards.
#[utoipa::path(get, path = "/api/v1/checks", tag = "standards", responses((status = 200, body = [CheckView])))]
pub async fn checks(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<CheckView>>, ApiError> {
    s.auth.allow_read(&headers).await?;
    let fleet = s.app.fleet();
    let e = &fleet.engine;
    Ok(Json(
        e.checks
            .iter()
            .enumerate()
            .map(|(i, c)| CheckView {
                id: c.id().to_string(),
                name: c.def.name.clone(),
                description: Some(c.def.description.clone()).filter(|d| !d.is_empty()),
                severity: view::severity(c).to_string(),
                how_to_fix: c.def.how_to_fix.clone(),
                links: view::links(c),
                used_in: view::used_in(e, i),
                facts: c
                    .facts_read()
                    .into_iter()
                    .map(|s| e.facts.name(s).to_string())
                    .collect(),
            })
            .collect(),
    ))
}

/// Every track with its levels and their checks.
#[utoipa::path(get, path = "/api/v1/tracks", tag = "standards", responses((status = 200, body = [TrackView])))]
pub async fn tracks(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<TrackView>>, ApiError> {
    s.auth.allow_read(&headers).await?;
    let fleet = s.app.fleet();
    let e = &fleet.engine;
    Ok(Json(
        e.tracks
            .iter()
            .map(|t| TrackView {
                id: t.def.id.clone(),
                name: t.def.name.clone(),
                description: t.def.description.clone(),
                required: t.def.required,
                levels: t
                    .def
                    .levels
                    .iter()
                    .zip(&t.levels)
                    .map(|(l, checks)| LevelView {
                        id: l.id.clone(),
                        name: l.display_name().to_string(),
                        checks: checks
                            .iter()
                            .map(|&c| e.checks[c].id().to_string())
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// The Golden Tech radar as a Backstage tech-radar `TechRadarLoaderResponse`.
#[utoipa::path(get, path = "/api/v1/radar", tag = "standards",
    responses((status = 200, description = "TechRadarLoaderResponse: quadrants, rings, entries", body = Object)))]
pub async fn radar(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    s.auth.allow_read(&headers).await?;
    Ok(Json(s.app.fleet().engine.radar.to_loader_response()))
}

//! Group routes: rollups over every component a group owns, recursively, and their trend.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Reader;
use super::error::{ApiError, ErrorBody};
use crate::catalog::EntityRef;
use crate::health::Fleet;
use crate::health::rollup::{CheckTally, GroupRollup, GroupSummary, TrackDistribution};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupHealth {
    #[serde(flatten)]
    pub summary: GroupSummary,
    pub evaluated_at: DateTime<Utc>,
    pub checks: Vec<CheckTally>,
    /// The same figures for each direct child group.
    pub children: Vec<GroupSummary>,
}

pub fn group_ref(namespace: &str, name: &str) -> EntityRef {
    EntityRef::new("group", namespace, name)
}

pub fn group_health(fleet: &Fleet, g: &EntityRef) -> Result<GroupHealth, ApiError> {
    let tally = fleet
        .tallies
        .get(g)
        .ok_or_else(|| ApiError::NotFound(format!("{g} is not a group of the catalog")))?;
    let GroupRollup { summary, checks } = fleet.rollup(g, tally);
    let mut children: Vec<GroupSummary> = fleet
        .catalog
        .children(g)
        .into_iter()
        .filter_map(|c| fleet.tallies.get(c).map(|t| fleet.rollup(c, t).summary))
        .collect();
    children.sort_by(|a, b| a.group.cmp(&b.group));
    Ok(GroupHealth {
        summary,
        evaluated_at: fleet.evaluated_at,
        checks,
        children,
    })
}

/// Count, level distribution per track, pass rate per check, golden % and eligible % over
/// every component the group owns directly or through groups below it; the same for each
/// child group.
#[utoipa::path(get, path = "/api/v1/groups/{namespace}/{name}/health", tag = "groups",
    params(("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = GroupHealth), (status = 404, body = ErrorBody)))]
pub async fn health(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<GroupHealth>, ApiError> {
    s.auth.allow_read(&headers).await?;
    group_health(&s.app.fleet(), &group_ref(&namespace, &name)).map(Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// How many days back, today included (default 30).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, async_graphql::SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    /// `YYYY-MM-DD`
    pub date: chrono::NaiveDate,
    pub components: i64,
    pub golden: i64,
    pub golden_percent: f64,
    pub eligible: i64,
    pub eligible_percent: f64,
    pub tracks: Vec<TrackDistribution>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupTrend {
    pub group: String,
    pub days: u32,
    /// Oldest first; one per day with a snapshot (the last of that day).
    pub points: Vec<TrendPoint>,
}

pub async fn trend_of(s: &AppState, g: &EntityRef, days: u32) -> Result<GroupTrend, ApiError> {
    if !s.app.fleet().tallies.contains_key(g) {
        return Err(ApiError::NotFound(format!(
            "{g} is not a group of the catalog"
        )));
    }
    let since = s.app.now().date_naive() - chrono::Duration::days(i64::from(days) - 1);
    let rows = s
        .app
        .store
        .snapshots(&g.to_string(), since)
        .await
        .map_err(ApiError::from)?;
    let points = rows
        .into_iter()
        .filter_map(|(date, v)| trend_point(date, v))
        .collect();
    Ok(GroupTrend {
        group: g.to_string(),
        days,
        points,
    })
}

/// The group's figures per day.
#[utoipa::path(get, path = "/api/v1/groups/{namespace}/{name}/trend", tag = "groups",
    params(("namespace" = String, Path), ("name" = String, Path), TrendQuery),
    responses((status = 200, body = GroupTrend), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn trend(
    State(s): State<AppState>,
    _: Reader,
    Path((namespace, name)): Path<(String, String)>,
    Query(q): Query<TrendQuery>,
) -> Result<Json<GroupTrend>, ApiError> {
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::BadRequest(format!(
            "days must be 1..366, not {days}"
        )));
    }
    trend_of(&s, &group_ref(&namespace, &name), days)
        .await
        .map(Json)
}

/// A stored daily rollup as a trend point; `None` for a row this version cannot read.
pub fn trend_point(date: chrono::NaiveDate, v: serde_json::Value) -> Option<TrendPoint> {
    let x = serde_json::from_value::<GroupRollup>(v).ok()?.summary;
    Some(TrendPoint {
        date,
        components: x.components,
        golden: x.golden,
        golden_percent: x.golden_percent,
        eligible: x.eligible,
        eligible_percent: x.eligible_percent,
        tracks: x.tracks,
    })
}

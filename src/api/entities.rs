//! Entity routes: one entity's health, refresh, fact history, and the filtered entity list.

use std::ops::Bound;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{FACTS_WRITE, Reader};
use super::error::{ApiError, ErrorBody};
use super::{AppState, cursor_of, page_size, parse_cursor};
use crate::catalog::{Entity, EntityRef};
use crate::collectors::Trigger;
use crate::collectors::run::entity_scope;
use crate::health::view::{EntityHealth, EntitySummary};
use crate::health::{Fleet, Scored};
use crate::service::PushOutcome;

fn entity_ref(kind: &str, namespace: &str, name: &str) -> EntityRef {
    EntityRef::new(kind, namespace, name)
}

/// Every track with level and next level, every check with status and how to fix, golden
/// state and fleet eligibility.
#[utoipa::path(get, path = "/api/v1/entities/{kind}/{namespace}/{name}/health", tag = "entities",
    params(("kind" = String, Path), ("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = EntityHealth), (status = 404, body = ErrorBody)))]
pub async fn health(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    s.auth.allow_read(&headers).await?;
    let r = entity_ref(&kind, &namespace, &name);
    let body = s.app.fleet().health_json(&r).ok_or_else(|| not_found(&r))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

fn not_found(r: &EntityRef) -> ApiError {
    ApiError::NotFound(format!("{r} is not in the catalog or is not scored"))
}

/// Re-evaluates one entity now and returns its health. With a token holding `facts:write`,
/// every collector that can re-collects the entity first (its runs are recorded). Open to
/// whoever may read (the security requirement `{}`): it changes no data.
#[utoipa::path(post, path = "/api/v1/entities/{kind}/{namespace}/{name}/refresh", tag = "entities",
    params(("kind" = String, Path), ("namespace" = String, Path), ("name" = String, Path)),
    security((), ("bearer" = ["facts:write"])),
    responses((status = 200, body = EntityHealth), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn refresh(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Json<EntityHealth>, ApiError> {
    s.auth.allow_read(&headers).await?;
    let r = entity_ref(&kind, &namespace, &name);
    if s.app.fleet().scored.get(&r).is_none() {
        return Err(not_found(&r));
    }
    let writer = s.auth.identify(&headers).await?;
    if writer.is_some_and(|p| p.has(FACTS_WRITE)) {
        let scope = entity_scope(&s.app, &r);
        for entry in s.app.runner.able(&scope) {
            s.app
                .run_collector(&entry, scope.clone(), Trigger::Refresh, true)
                .await;
        }
    }
    let _: PushOutcome = s.app.refresh(std::slice::from_ref(&r)).await?;
    s.app
        .fleet()
        .health(&r)
        .map(Json)
        .ok_or_else(|| not_found(&r))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only this collector's batches.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub collector: Option<String>,
    /// At most this many (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FactBatch {
    pub collector: String,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    pub observed_at: chrono::DateTime<chrono::Utc>,
}

/// The fact batches received for an entity, newest first (kept per the retention settings).
#[utoipa::path(get, path = "/api/v1/entities/{kind}/{namespace}/{name}/facts/history", tag = "facts",
    params(("kind" = String, Path), ("namespace" = String, Path), ("name" = String, Path), HistoryQuery),
    responses((status = 200, body = [FactBatch]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn fact_history(
    State(s): State<AppState>,
    _: Reader,
    Path((kind, namespace, name)): Path<(String, String, String)>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Vec<FactBatch>>, ApiError> {
    let r = entity_ref(&kind, &namespace, &name);
    if s.app.fleet().catalog.get(&r).is_none() {
        return Err(ApiError::NotFound(format!("{r} is not in the catalog")));
    }
    let limit = page_size(q.limit, 20)?;
    let rows = s
        .app
        .store
        .fact_history(&r.to_string(), q.collector.as_deref(), limit as i64)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(
        rows.into_iter()
            .map(|f| FactBatch {
                collector: f.collector,
                facts: f.facts,
                observed_at: f.observed_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityQuery {
    /// A group (`group:ns/name`, `ns/name` or `name`): entities it owns, recursively.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub kind: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "super::empty_is_none")]
    #[param(rename = "type")]
    pub entity_type: Option<String>,
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub lifecycle: Option<String>,
    /// With `level`: entities holding at least that level of this track.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub track: Option<String>,
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub level: Option<String>,
    pub golden: Option<bool>,
    pub eligible: Option<bool>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// From the previous page's `nextCursor`.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityPage {
    pub items: Vec<EntitySummary>,
    pub next_cursor: Option<String>,
    /// How many entities match in all.
    pub total: usize,
}

/// A compiled entity filter.
pub struct Filter<'a> {
    q: &'a EntityQuery,
    owned: Option<rustc_hash::FxHashSet<EntityRef>>,
    track: Option<(usize, usize)>,
}

impl<'a> Filter<'a> {
    pub fn new(fleet: &Fleet, q: &'a EntityQuery) -> Result<Filter<'a>, ApiError> {
        let owned = match &q.owner {
            Some(o) => {
                let g = EntityRef::parse(o, Some("group"), "default")
                    .map_err(|e| ApiError::BadRequest(format!("owner: {e}")))?;
                if fleet.catalog.get(&g).is_none() {
                    return Err(ApiError::NotFound(format!(
                        "owner {g} is not in the catalog"
                    )));
                }
                Some(fleet.owned_scored(&g).into_iter().cloned().collect())
            }
            None => None,
        };
        let track = match (&q.track, &q.level) {
            (Some(t), Some(l)) => {
                let ti = fleet
                    .engine
                    .track(t)
                    .ok_or_else(|| ApiError::BadRequest(format!("unknown track `{t}`")))?;
                let li = fleet.engine.tracks[ti].level_index(l).ok_or_else(|| {
                    ApiError::BadRequest(format!("track `{t}` has no level `{l}`"))
                })?;
                Some((ti, li))
            }
            (None, None) => None,
            _ => {
                return Err(ApiError::BadRequest(
                    "`track` and `level` go together".into(),
                ));
            }
        };
        Ok(Filter { q, owned, track })
    }

    pub fn matches(&self, fleet: &Fleet, r: &EntityRef) -> bool {
        match (fleet.catalog.get(r), fleet.scored.get(r)) {
            (Some(e), Some(s)) => self.accepts(r, e, s),
            _ => false,
        }
    }

    /// [`Filter::matches`] of an entity already looked up, with its evaluation.
    pub fn accepts(&self, r: &EntityRef, e: &Entity, s: &Scored) -> bool {
        let q = self.q;
        // The entity's field is read only when the query asks about it: a spec lookup is a
        // hash of the key, and the whole fleet may be filtered.
        fn eq<'h>(want: &Option<String>, have: impl FnOnce() -> Option<&'h str>) -> bool {
            want.as_ref()
                .is_none_or(|w| have().is_some_and(|h| h.eq_ignore_ascii_case(w)))
        }
        self.owned.as_ref().is_none_or(|o| o.contains(r))
            && eq(&q.kind, || Some(r.kind()))
            && eq(&q.entity_type, || e.spec_type())
            && eq(&q.lifecycle, || e.lifecycle())
            && q.golden.is_none_or(|g| g == s.evaluation.golden)
            && q.eligible
                .is_none_or(|g| g == s.evaluation.eligibility.eligible)
            && self.track.is_none_or(|(t, l)| {
                s.evaluation.standings[t]
                    .as_ref()
                    .and_then(|st| st.level)
                    .is_some_and(|held| held >= l)
            })
    }
}

/// Scored entities, filtered, in ref order, a page at a time.
#[utoipa::path(get, path = "/api/v1/entities", tag = "entities", params(EntityQuery),
    responses((status = 200, body = EntityPage), (status = 400, body = ErrorBody),
        (status = 404, description = "`owner` is not in the catalog", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    _: Reader,
    Query(q): Query<EntityQuery>,
) -> Result<Json<EntityPage>, ApiError> {
    let fleet = s.app.fleet();
    let filter = Filter::new(&fleet, &q)?;
    let limit = page_size(q.limit, 50)?;
    let after = q.cursor.as_deref().map(parse_cursor).transpose()?;
    let mut items = Vec::new();
    let mut total = 0;
    let mut last = None;
    let lower = after.as_ref().map_or(Bound::Unbounded, Bound::Excluded);
    let mut more = false;
    for (r, scored) in fleet.scored.range((lower, Bound::Unbounded)) {
        if !filter.matches(&fleet, r) {
            continue;
        }
        if items.len() < limit {
            if let Some(e) = fleet.catalog.get(r) {
                items.push(fleet.summary(e, scored));
                last = Some(r.clone());
            }
        } else {
            more = true;
            break;
        }
    }
    // The total counts every match, on every page.
    for r in fleet.scored.keys() {
        if filter.matches(&fleet, r) {
            total += 1;
        }
    }
    Ok(Json(EntityPage {
        items,
        next_cursor: if more {
            last.as_ref().map(cursor_of)
        } else {
            None
        },
        total,
    }))
}

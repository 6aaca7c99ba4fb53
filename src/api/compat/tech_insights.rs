//! Backstage Tech Insights backend routes, under `/api/tech-insights`, answered from the
//! evaluated fleet and the store, so the stock Tech Insights scorecards read tech-health.
//! Fact ids (Tech Insights' fact retrievers) are our collectors; see [`super::shapes`] for how
//! statuses become booleans.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::shapes::{self, FactInfo};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::catalog::EntityRef;
use crate::health::{CollectorFacts, Fleet};
use crate::service::collectors::Collectors;

/// `GET /checks`: every check of the standards, as Tech Insights describes checks.
pub async fn checks(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Value>>, ApiError> {
    s.auth.allow_read(&headers).await?;
    let fleet = s.app.fleet();
    let e = &fleet.engine;
    Ok(Json(
        (0..e.checks.len()).map(|i| shapes::check(e, i)).collect(),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunBody {
    /// Check ids; absent: every check.
    checks: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum EntityArg {
    Ref(String),
    Compound {
        kind: String,
        namespace: Option<String>,
        name: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    checks: Option<Vec<String>>,
    entities: Vec<EntityArg>,
}

/// A JSON body, where an empty body is the default (Tech Insights' router reads `{}` then).
fn body<T: serde::de::DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("request body is not valid: {e}")))
}

/// The indexes of the checks asked for, in the order asked; every check when `None`.
fn selected(fleet: &Fleet, ids: Option<&[String]>) -> Result<Vec<usize>, ApiError> {
    let e = &fleet.engine;
    match ids {
        None => Ok((0..e.checks.len()).collect()),
        Some(ids) => {
            ids.iter()
                .map(|id| {
                    e.checks.iter().position(|c| c.id() == id).ok_or_else(|| {
                        ApiError::NotFound(format!("no check `{id}` in the standards"))
                    })
                })
                .collect()
        }
    }
}

/// The results of the selected checks for one entity: `None` when it is not in the catalog,
/// no results when it is there but not scored.
fn run_for(
    fleet: &Fleet,
    collectors: &Collectors,
    r: &EntityRef,
    checks: &[usize],
) -> Option<Vec<Value>> {
    fleet.catalog.get(r)?;
    let Some(health) = fleet.health(r) else {
        return Some(Vec::new());
    };
    let info = |name: &str| match fleet.fact_source(r, name) {
        Some(c) => FactInfo::collected(collectors.get(&c.collector), &c.collector, name),
        None => FactInfo::catalog(),
    };
    Some(
        checks
            .iter()
            .filter_map(|&i| shapes::check_result(&fleet.engine, i, &health.checks[i], info))
            .collect(),
    )
}

fn not_in_catalog(r: &EntityRef) -> ApiError {
    ApiError::NotFound(format!("{r} is not in the catalog"))
}

/// `POST /checks/run/{namespace}/{kind}/{name}`: the checks' results for one entity.
pub async fn run(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((namespace, kind, name)): Path<(String, String, String)>,
    bytes: Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    s.auth.allow_read(&headers).await?;
    let b: RunBody = body(&bytes)?;
    let fleet = s.app.fleet();
    let checks = selected(&fleet, b.checks.as_deref())?;
    let r = EntityRef::new(&kind, &namespace, &name);
    run_for(&fleet, &s.app.collectors(), &r, &checks)
        .map(Json)
        .ok_or_else(|| not_in_catalog(&r))
}

/// `POST /checks/run`: results for many entities (every scored one when `entities` is empty).
/// An entity that cannot be read gets an `error` and no results, as in Tech Insights.
pub async fn run_bulk(
    State(s): State<AppState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    s.auth.allow_read(&headers).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "request body is required: {\"entities\": [...], \"checks\"?: [...]}".into(),
        ));
    }
    let b: BulkBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("request body is not valid: {e}")))?;
    let fleet = s.app.fleet();
    let collectors = s.app.collectors();
    let checks = selected(&fleet, b.checks.as_deref())?;
    let refs: Vec<Result<EntityRef, (String, String)>> = if b.entities.is_empty() {
        fleet.scored.keys().cloned().map(Ok).collect()
    } else {
        b.entities.iter().map(parse_entity).collect()
    };
    Ok(Json(
        refs.into_iter()
            .map(|r| {
                let r = match r {
                    Ok(r) => r,
                    Err((text, why)) => return failed(&text, "InputError", why),
                };
                match run_for(&fleet, &collectors, &r, &checks) {
                    Some(results) => json!({ "entity": r.to_string(), "results": results }),
                    None => failed(
                        &r.to_string(),
                        "NotFoundError",
                        not_in_catalog(&r).to_string(),
                    ),
                }
            })
            .collect(),
    ))
}

fn parse_entity(arg: &EntityArg) -> Result<EntityRef, (String, String)> {
    match arg {
        EntityArg::Ref(text) => {
            EntityRef::parse(text, None, "default").map_err(|e| (text.clone(), e.to_string()))
        }
        EntityArg::Compound {
            kind,
            namespace,
            name,
        } => Ok(EntityRef::new(
            kind,
            namespace.as_deref().unwrap_or("default"),
            name,
        )),
    }
}

fn failed(entity: &str, name: &str, message: String) -> Value {
    json!({ "entity": entity, "error": { "name": name, "message": message }, "results": [] })
}

/// The query of the fact routes: `entity`, `ids[]` (or `ids`, `ids[0]`…), and the range's
/// `startDatetime` and `endDatetime`.
#[derive(Debug, Default)]
struct FactQuery {
    entity: Option<String>,
    ids: Vec<String>,
    start: Option<String>,
    end: Option<String>,
}

fn fact_query(raw: Option<&str>) -> FactQuery {
    let mut q = FactQuery::default();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
            "entity" => q.entity = Some(v),
            "startDatetime" | "startDateTime" => q.start = Some(v),
            "endDatetime" | "endDateTime" => q.end = Some(v),
            k if k == "ids" || (k.starts_with("ids[") && k.ends_with(']')) => q.ids.push(v),
            _ => {}
        }
    }
    q
}

fn unprocessable(message: String, field: &str) -> ApiError {
    ApiError::Unprocessable {
        code: "invalid-query",
        message,
        details: json!({ "field": field }),
    }
}

/// What both fact routes check: the caller may read, `entity` names an entity of the catalog,
/// `ids` are given.
async fn fact_request(
    s: &AppState,
    headers: &HeaderMap,
    raw: Option<&str>,
) -> Result<(Arc<Fleet>, EntityRef, FactQuery), ApiError> {
    s.auth.allow_read(headers).await?;
    let q = fact_query(raw);
    let fleet = s.app.fleet();
    let r = query_entity(&fleet, &q)?;
    if q.ids.is_empty() {
        return Err(unprocessable(
            "query parameter `ids[]` (fact ids, i.e. collector names) is required".into(),
            "ids",
        ));
    }
    Ok((fleet, r, q))
}

/// The entity of a fact query, which must be in the catalog.
fn query_entity(fleet: &Fleet, q: &FactQuery) -> Result<EntityRef, ApiError> {
    let text = q.entity.as_deref().ok_or_else(|| {
        ApiError::BadRequest("query parameter `entity` (an entity ref) is required".into())
    })?;
    let r = EntityRef::parse(text, None, "default")
        .map_err(|e| ApiError::BadRequest(format!("entity: {e}")))?;
    if fleet.catalog.get(&r).is_none() {
        return Err(not_in_catalog(&r));
    }
    Ok(r)
}

/// `GET /fact-schemas?ids[]=…`: the schemas of our collectors (all when no ids are given).
pub async fn fact_schemas(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<Value>>, ApiError> {
    s.auth.allow_read(&headers).await?;
    let q = fact_query(raw.as_deref());
    let collectors = s.app.collectors();
    Ok(Json(
        collectors
            .names()
            .into_iter()
            .filter(|n| q.ids.is_empty() || q.ids.iter().any(|id| id == n))
            .filter_map(|n| collectors.get(n))
            .map(shapes::fact_schema)
            .collect(),
    ))
}

/// One collector's facts about an entity as Tech Insights' `FlatTechInsightFact`.
fn fact_row(r: &EntityRef, collector: &str, facts: &Value, at: DateTime<Utc>) -> Value {
    json!({
        "id": collector,
        "entity": { "namespace": r.namespace(), "kind": r.kind(), "name": r.name() },
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "version": shapes::SCHEMA_VERSION,
        "facts": facts,
    })
}

/// `GET /facts/latest?entity=…&ids[]=…`: the latest facts of each asked collector.
pub async fn latest(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Map<String, Value>>, ApiError> {
    let (fleet, r, q) = fact_request(&s, &headers, raw.as_deref()).await?;
    let ids = &q.ids;
    let collected: &[CollectorFacts] = fleet.facts.get(&r).map_or(&[], |c| &c[..]);
    Ok(Json(
        collected
            .iter()
            .filter(|c| ids.iter().any(|id| **id == *c.collector))
            .map(|c| {
                let facts = Value::Object(c.facts.map());
                (
                    c.collector.to_string(),
                    fact_row(&r, &c.collector, &facts, c.observed_at),
                )
            })
            .collect(),
    ))
}

/// An ISO 8601 time as luxon's `DateTime.fromISO` reads it; without an offset it is UTC.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn query_time(text: Option<&str>, field: &str) -> Result<DateTime<Utc>, ApiError> {
    let text = text.ok_or_else(|| {
        unprocessable(
            format!("query parameter `{field}` (an ISO 8601 time) is required"),
            field,
        )
    })?;
    parse_time(text).ok_or_else(|| {
        unprocessable(
            format!("`{field}` is not an ISO 8601 time: `{text}`"),
            field,
        )
    })
}

/// `GET /facts/range?entity=…&ids[]=…&startDatetime=…&endDatetime=…`: each asked collector's
/// fact batches observed in the range (inclusive), oldest first, as kept by the retention.
pub async fn range(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Map<String, Value>>, ApiError> {
    let (_, r, q) = fact_request(&s, &headers, raw.as_deref()).await?;
    let ids = &q.ids;
    let start = query_time(q.start.as_deref(), "startDatetime")?;
    let end = query_time(q.end.as_deref(), "endDatetime")?;
    let mut out = Map::new();
    let key = r.to_string();
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let limit = i64::from(s.app.retention.max_per_entity.max(1));
        let rows = s
            .app
            .store
            .fact_history(&key, Some(id), limit)
            .await
            .map_err(ApiError::from)?;
        let rows: Vec<Value> = rows
            .iter()
            .rev()
            .filter(|f| f.observed_at >= start && f.observed_at <= end)
            .map(|f| fact_row(&r, &f.collector, &f.facts, f.observed_at))
            .collect();
        if !rows.is_empty() {
            out.insert(id.clone(), Value::Array(rows));
        }
    }
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_in_every_form_qs_writes() {
        let q = fact_query(Some(
            "entity=component%3Adefault%2Fx&ids%5B0%5D=ci&ids%5B%5D=github&ids=security&startDateTime=2026-01-01",
        ));
        assert_eq!(q.entity.as_deref(), Some("component:default/x"));
        assert_eq!(q.ids, ["ci", "github", "security"]);
        assert_eq!(q.start.as_deref(), Some("2026-01-01"));
    }

    #[test]
    fn times_are_read_as_luxon_reads_iso() {
        let t = |s: &str| parse_time(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("2021-12-24T01:23:45"),
            Some("2021-12-24T01:23:45+00:00".into())
        );
        assert_eq!(
            t("2021-12-24T01:23:45.5+01:00"),
            Some("2021-12-24T00:23:45.500+00:00".into())
        );
        assert_eq!(t("2021-12-24"), Some("2021-12-24T00:00:00+00:00".into()));
        assert_eq!(t("yesterday"), None);
    }
}

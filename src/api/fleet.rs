//! Fleet eligibility for orchestrators: which entities (using a technology at a version) may
//! receive an automated change now, and what blocks the rest. Pages, or the whole fleet as
//! streamed NDJSON (`Accept: application/x-ndjson`).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::SimpleObject;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::entities::{EntityQuery, Filter};
use super::error::{ApiError, ErrorBody};
use super::{AppState, cursor_of, parse_cursor};
use crate::catalog::EntityRef;
use crate::health::Fleet;
use crate::health::view::{self, BlockingView};
use crate::rules::version::{VersionRange, version_of};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibilityQuery {
    /// A group: entities it owns, recursively.
    pub owner: Option<String>,
    pub track: Option<String>,
    /// With `track`: at least this level.
    pub level: Option<String>,
    pub lifecycle: Option<String>,
    pub eligible: Option<bool>,
    /// A radar technology id, e.g. `log4j-core`: only entities using it.
    pub technology: Option<String>,
    /// With `technology`: an npm-style range, e.g. `<2.17.1`.
    pub version: Option<String>,
    /// Only the entities of this rollout wave of the change (`technology` + `version`).
    pub wave: Option<u32>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct Repository {
    pub slug: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct TechnologyFound {
    pub id: String,
    pub version: Option<String>,
    /// Where it was found, e.g. `pom.xml`.
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityRow {
    pub entity: String,
    pub title: Option<String>,
    pub owner: Option<String>,
    pub repository: Option<Repository>,
    pub levels: BTreeMap<String, Option<String>>,
    pub technology: Option<TechnologyFound>,
    pub eligible: bool,
    /// The rollout wave of the change (`technology` + `version`; the whole fleet without
    /// them); `null` when not eligible.
    pub wave: Option<u32>,
    pub blocking: Vec<BlockingView>,
}

#[derive(Debug, Default, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct EligibilitySummary {
    pub total: usize,
    pub eligible: usize,
    pub blocked: usize,
    /// Blocking reason code → entities it blocks.
    pub by_reason: BTreeMap<String, usize>,
    /// Rollout wave → eligible entities in it.
    pub by_wave: BTreeMap<u32, usize>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityPage {
    pub items: Vec<EligibilityRow>,
    pub next_cursor: Option<String>,
    pub summary: EligibilitySummary,
}

/// The technology filter, compiled.
struct Uses {
    id: String,
    range: Option<VersionRange>,
}

impl Uses {
    fn find(&self, fleet: &Fleet, r: &EntityRef) -> Option<TechnologyFound> {
        let technologies = fleet.fact(r, "technologies")?;
        let list = technologies.as_array()?;
        list.iter().find_map(|t| {
            if t.get("id")?.as_str()? != self.id {
                return None;
            }
            let version = t.get("version");
            if let Some(range) = &self.range {
                if !version
                    .and_then(version_of)
                    .is_some_and(|v| range.matches(&v))
                {
                    return None;
                }
            }
            let text = |v: Option<&Value>| {
                v.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            };
            Some(TechnologyFound {
                id: self.id.clone(),
                version: text(version),
                source: text(t.get("source")),
            })
        })
    }
}

/// Repository slug and URL from the usual annotations.
fn repository(fleet: &Fleet, r: &EntityRef) -> Option<Repository> {
    let e = fleet.catalog.get(r)?;
    if let Some(slug) = e.annotation("github.com/project-slug") {
        return Some(Repository {
            slug: slug.to_string(),
            url: format!("https://github.com/{slug}"),
        });
    }
    if let Some(slug) = e.annotation("gitlab.com/project-slug") {
        return Some(Repository {
            slug: slug.to_string(),
            url: format!("https://gitlab.com/{slug}"),
        });
    }
    let loc = e
        .annotation("backstage.io/source-location")?
        .trim_start_matches("url:");
    let path = loc
        .split("://")
        .nth(1)?
        .split('/')
        .skip(1)
        .take(2)
        .collect::<Vec<_>>()
        .join("/");
    Some(Repository {
        slug: path,
        url: loc.trim_end_matches('/').to_string(),
    })
}

/// The rows a query selects, with the rollout waves of its change.
struct Selection<'a> {
    filter: Filter<'a>,
    uses: Option<Uses>,
    waves: Arc<FxHashMap<EntityRef, u32>>,
    wave: Option<u32>,
}

impl Selection<'_> {
    fn row(&self, fleet: &Fleet, r: &EntityRef) -> Option<EligibilityRow> {
        if !self.filter.matches(fleet, r) {
            return None;
        }
        let wave = self.waves.get(r).copied();
        if self.wave.is_some() && wave != self.wave {
            return None;
        }
        let technology = match &self.uses {
            Some(u) => Some(u.find(fleet, r)?),
            None => None,
        };
        let e = fleet.catalog.get(r)?;
        let s = fleet.scored.get(r)?;
        Some(EligibilityRow {
            entity: r.to_string(),
            title: e.metadata.title.clone(),
            owner: e.owner().map(EntityRef::to_string),
            repository: repository(fleet, r),
            levels: view::levels(&fleet.engine, s),
            technology,
            eligible: s.evaluation.eligibility.eligible,
            wave,
            blocking: view::blocking(s),
        })
    }
}

fn uses(q: &EligibilityQuery) -> Result<Option<Uses>, ApiError> {
    match (&q.technology, &q.version) {
        (Some(id), range) => Ok(Some(Uses {
            id: id.clone(),
            range: range
                .as_deref()
                .map(VersionRange::parse)
                .transpose()
                .map_err(ApiError::BadRequest)?,
        })),
        (None, Some(_)) => Err(ApiError::BadRequest("`version` needs `technology`".into())),
        (None, None) => Ok(None),
    }
}

/// The waves of the query's change: every eligible entity using the technology at the version
/// (the whole fleet without a technology), whatever the other filters; caps count within it.
fn change_waves(
    fleet: &Fleet,
    q: &EligibilityQuery,
) -> Result<FxHashMap<EntityRef, u32>, ApiError> {
    let uses = uses(q)?;
    let change = format!(
        "{}{}",
        q.technology.as_deref().unwrap_or_default(),
        q.version.as_deref().unwrap_or_default()
    );
    let members = fleet.scored.iter().filter_map(|(r, s)| {
        let in_change = s.evaluation.eligibility.eligible
            && uses.as_ref().is_none_or(|u| u.find(fleet, r).is_some());
        in_change.then_some(r)
    });
    Ok(fleet.waves(&change, members))
}

fn selection<'a>(
    fleet: &Fleet,
    q: &EligibilityQuery,
    eq: &'a EntityQuery,
    waves: Arc<FxHashMap<EntityRef, u32>>,
) -> Result<Selection<'a>, ApiError> {
    Ok(Selection {
        filter: Filter::new(fleet, eq)?,
        uses: uses(q)?,
        waves,
        wave: q.wave,
    })
}

fn entity_query(q: &EligibilityQuery) -> EntityQuery {
    EntityQuery {
        owner: q.owner.clone(),
        track: q.track.clone(),
        level: q.level.clone(),
        lifecycle: q.lifecycle.clone(),
        eligible: q.eligible,
        ..Default::default()
    }
}

/// One page of rows (`limit`, `cursor`) and the summary of every row the query selects.
pub(crate) fn page(fleet: &Fleet, q: &EligibilityQuery) -> Result<EligibilityPage, ApiError> {
    let eq = entity_query(q);
    let sel = selection(fleet, q, &eq, Arc::new(change_waves(fleet, q)?))?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let after = q.cursor.as_deref().map(parse_cursor).transpose()?;
    let mut summary = EligibilitySummary::default();
    let mut items = Vec::new();
    let mut more = false;
    for r in fleet.scored.keys() {
        let Some(row) = sel.row(fleet, r) else {
            continue;
        };
        summary.total += 1;
        if row.eligible {
            summary.eligible += 1;
        } else {
            summary.blocked += 1;
        }
        if let Some(w) = row.wave {
            *summary.by_wave.entry(w).or_default() += 1;
        }
        for b in &row.blocking {
            *summary.by_reason.entry(b.code.clone()).or_default() += 1;
        }
        if after.as_ref().is_none_or(|a| r > a) {
            if items.len() < limit {
                items.push(row);
            } else {
                more = true;
            }
        }
    }
    let next_cursor = if more {
        items
            .last()
            .and_then(|i| i.entity.parse().ok())
            .map(|r: EntityRef| cursor_of(&r))
    } else {
        None
    };
    Ok(EligibilityPage {
        items,
        next_cursor,
        summary,
    })
}

/// Entities with their eligibility for automated changes, rollout wave, blocking reasons and
/// summary counts. With `technology` (+ `version`) and `wave`: wave k of that change.
#[utoipa::path(get, path = "/api/v1/fleet/eligibility", tag = "fleet", params(EligibilityQuery),
    responses((status = 200, description = "A page; with `Accept: application/x-ndjson`, every row, one per line", body = EligibilityPage),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn eligibility(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<EligibilityQuery>,
) -> Result<Response, ApiError> {
    s.auth.allow_read(&headers).await?;
    let fleet = s.app.fleet();
    let ndjson = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/x-ndjson"));
    if ndjson {
        let waves = Arc::new(change_waves(&fleet, &q)?);
        // Refuse a bad filter before the first byte.
        selection(&fleet, &q, &entity_query(&q), waves.clone())?;
        return Ok(stream(fleet.clone(), q, waves));
    }
    Ok(Json(page(&fleet, &q)?).into_response())
}

/// Every matching row as NDJSON, serialised a block at a time as the client reads.
fn stream(
    fleet: Arc<Fleet>,
    q: EligibilityQuery,
    waves: Arc<FxHashMap<EntityRef, u32>>,
) -> Response {
    let refs: Vec<EntityRef> = fleet.scored.keys().cloned().collect();
    let blocks: Vec<Vec<EntityRef>> = refs.chunks(2048).map(<[EntityRef]>::to_vec).collect();
    let body = futures_util::stream::iter(blocks).map(move |block| {
        let eq = entity_query(&q);
        let mut buf = Vec::with_capacity(block.len() * 256);
        if let Ok(sel) = selection(&fleet, &q, &eq, waves.clone()) {
            for r in &block {
                if let Some(row) = sel.row(&fleet, r) {
                    if serde_json::to_writer(&mut buf, &row).is_ok() {
                        buf.push(b'\n');
                    }
                }
            }
        }
        Ok::<Bytes, std::convert::Infallible>(Bytes::from(buf))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(body),
    )
        .into_response()
}

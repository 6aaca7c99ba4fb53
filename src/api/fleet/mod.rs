//! Fleet eligibility for orchestrators: which entities (using a technology at a version) may
//! receive an automated change now, and what blocks the rest. Pages, or the whole fleet as
//! streamed NDJSON (`Accept: application/x-ndjson`).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use async_graphql::SimpleObject;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Reader;
use super::entities::EntityQuery;
use super::error::{ApiError, ErrorBody};
use super::{AppState, cursor_of, page_size, parse_cursor};
use crate::catalog::EntityRef;
use crate::health::Fleet;
use crate::health::view::BlockingView;
use selection::Selection;

mod row;
mod selection;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibilityQuery {
    /// A group: entities it owns, recursively.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub track: Option<String>,
    /// With `track`: at least this level.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub level: Option<String>,
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub lifecycle: Option<String>,
    pub eligible: Option<bool>,
    /// A radar technology id, e.g. `log4j-core`: only entities using it.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub technology: Option<String>,
    /// With `technology`: an npm-style range, e.g. `<2.17.1`.
    #[serde(default, deserialize_with = "super::empty_is_none")]
    pub version: Option<String>,
    /// Only the entities of this rollout wave of the change (`technology` + `version`).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    pub wave: Option<u32>,
    /// Page size (default 50; the NDJSON export is not paged).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    #[serde(default, deserialize_with = "super::empty_is_none")]
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
    /// Rollout wave (its number, as JSON keys are text) → eligible entities in it.
    #[schema(value_type = BTreeMap<String, usize>)]
    pub by_wave: BTreeMap<u32, usize>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityPage {
    pub items: Vec<EligibilityRow>,
    pub next_cursor: Option<String>,
    pub summary: EligibilitySummary,
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
    let sel = Selection::new(fleet, q, &eq)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let after = q.cursor.as_deref().map(parse_cursor).transpose()?;
    let mut summary = EligibilitySummary::default();
    let mut items = Vec::new();
    let mut more = false;
    for i in 0..sel.len() {
        let Some(row) = sel.row(i) else {
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
        for b in row.blocking {
            match summary.by_reason.get_mut(&*b.code) {
                Some(n) => *n += 1,
                None => {
                    summary.by_reason.insert(b.code.to_string(), 1);
                }
            }
        }
        if after.as_ref().is_none_or(|a| sel.entity(i) > a) {
            if items.len() < limit {
                items.push(row.to_owned());
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
    _: Reader,
    headers: HeaderMap,
    Query(q): Query<EligibilityQuery>,
) -> Result<Response, ApiError> {
    let fleet = s.app.fleet();
    let ndjson = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/x-ndjson"));
    page_size(q.limit, 50)?;
    if ndjson {
        return export(fleet, q).await;
    }
    Ok(Json(page(&fleet, &q)?).into_response())
}

/// Rows per block of the NDJSON export.
const BLOCK: usize = 2048;

/// Every matching row as NDJSON. The query is compiled and the blocks serialised off the async
/// runtime, several blocks at a time on every core, and streamed in order as the client reads;
/// a bad filter is refused before the first byte.
async fn export(fleet: Arc<Fleet>, q: EligibilityQuery) -> Result<Response, ApiError> {
    let (ready, compiled) = tokio::sync::oneshot::channel::<Result<(), ApiError>>();
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    tokio::task::spawn_blocking(move || {
        let eq = entity_query(&q);
        let sel = match Selection::new(&fleet, &q, &eq) {
            Ok(sel) => sel,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        if ready.send(Ok(())).is_err() {
            return;
        }
        let blocks: Vec<Range<usize>> = (0..sel.len())
            .step_by(BLOCK)
            .map(|start| start..(start + BLOCK).min(sel.len()))
            .collect();
        for batch in blocks.chunks(rayon::current_num_threads().max(1)) {
            let rendered: Vec<Vec<u8>> = batch
                .par_iter()
                .map(|range| sel.ndjson(range.clone()))
                .collect();
            for block in rendered {
                // The client went away: stop.
                if tx.blocking_send(Bytes::from(block)).is_err() {
                    return;
                }
            }
        }
    });
    compiled
        .await
        .map_err(|e| ApiError::Internal(format!("eligibility export: {e}")))??;
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        let block = rx.recv().await?;
        Some((Ok::<Bytes, std::convert::Infallible>(block), rx))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(body),
    )
        .into_response())
}

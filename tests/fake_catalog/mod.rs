//! A local stand-in for a Backstage catalog backend: `GET /api/catalog/entities/by-query` with
//! filters and opaque base64-JSON cursors (as the real catalog issues them: the next page is
//! asked for with the cursor alone), `GET /api/catalog/entities/by-name/…`, and a static
//! bearer token. It records every request it answers.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use parking_lot::Mutex;
use serde_json::{Value, json};

pub struct Catalog {
    pub entities: Mutex<Vec<Value>>,
    pub token: Mutex<String>,
    /// `path?query` of every request, in order.
    pub requests: Mutex<Vec<String>>,
    /// How long each page takes to answer.
    pub delay: Mutex<std::time::Duration>,
}

pub struct FakeCatalog {
    pub base: String,
    pub state: Arc<Catalog>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeCatalog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A component as the catalog serves it: with the uid, etag and relations it adds.
pub fn component(name: &str, owner: &str, lifecycle: &str) -> Value {
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "namespace": "default",
            "name": name,
            "uid": format!("7d1c9f2e-{:04x}-4b6a-9c1e-2f0a1b3c4d5e", name.len()),
            "etag": format!("{:x}", name.len() * 7919),
            "annotations": {
                "backstage.io/managed-by-location": format!("url:https://github.com/acme/{name}/blob/main/catalog-info.yaml"),
                "github.com/project-slug": format!("acme/{name}")
            }
        },
        "spec": { "type": "service", "lifecycle": lifecycle, "owner": owner },
        "relations": [{ "type": "ownedBy", "targetRef": owner }]
    })
}

impl FakeCatalog {
    pub async fn start(token: &str, entities: Vec<Value>) -> FakeCatalog {
        let state = Arc::new(Catalog {
            entities: Mutex::new(entities),
            token: Mutex::new(token.to_string()),
            requests: Mutex::new(Vec::new()),
            delay: Mutex::new(std::time::Duration::ZERO),
        });
        let app = axum::Router::new()
            .route(
                "/api/catalog/entities/by-query",
                axum::routing::get(by_query),
            )
            .route(
                "/api/catalog/entities/by-name/{kind}/{namespace}/{name}",
                axum::routing::get(by_name),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeCatalog { base, state, task }
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.requests.lock().clone()
    }
}

fn refused(status: StatusCode, name: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "name": name, "message": message } })),
    )
        .into_response()
}

fn authorised(c: &Catalog, headers: &HeaderMap) -> bool {
    let want = format!("Bearer {}", c.token.lock());
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(want.as_str())
}

fn params(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A value of an entity by dotted path; annotation keys may hold dots themselves.
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(found) = v.get(path) {
        return Some(found);
    }
    let (head, rest) = path.split_once('.')?;
    lookup(v.get(head)?, rest)
}

/// `kind=component,spec.lifecycle=production`: every condition holds (case-insensitive).
fn matches(e: &Value, filter: &str) -> bool {
    filter.split(',').all(|cond| match cond.split_once('=') {
        Some((k, want)) => lookup(e, k)
            .and_then(Value::as_str)
            .is_some_and(|have| have.eq_ignore_ascii_case(want)),
        None => lookup(e, cond).is_some(),
    })
}

async fn by_query(
    State(c): State<Arc<Catalog>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let q = q.unwrap_or_default();
    c.requests
        .lock()
        .push(format!("/api/catalog/entities/by-query?{q}"));
    let delay = *c.delay.lock();
    tokio::time::sleep(delay).await;
    if !authorised(&c, &headers) {
        return refused(
            StatusCode::UNAUTHORIZED,
            "AuthenticationError",
            "Missing credentials",
        );
    }
    let p = params(&q);
    let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (filters, offset, limit): (Vec<String>, usize, usize) = match get("cursor") {
        Some(cursor) => {
            if p.iter().any(|(k, _)| k == "filter") {
                return refused(
                    StatusCode::BAD_REQUEST,
                    "InputError",
                    "cursor cannot be combined with filter",
                );
            }
            let Some(state) = B64
                .decode(&cursor)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            else {
                return refused(StatusCode::BAD_REQUEST, "InputError", "Malformed cursor");
            };
            (
                serde_json::from_value(state["filter"].clone()).unwrap(),
                state["offset"].as_u64().unwrap() as usize,
                state["limit"].as_u64().unwrap() as usize,
            )
        }
        None => (
            p.iter()
                .filter(|(k, _)| k == "filter")
                .map(|(_, v)| v.clone())
                .collect(),
            0,
            get("limit").map_or(20, |l| l.parse().unwrap()),
        ),
    };
    let mut all: Vec<Value> = c
        .entities
        .lock()
        .iter()
        .filter(|e| filters.is_empty() || filters.iter().any(|f| matches(e, f)))
        .cloned()
        .collect();
    all.sort_by_key(|e| {
        e["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    });
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    let cursor = |offset: usize| {
        B64.encode(
            json!({ "filter": filters, "offset": offset, "limit": limit,
                    "orderFields": [{"field": "metadata.name", "order": "asc"}],
                    "totalItems": total })
            .to_string(),
        )
    };
    let mut page_info = serde_json::Map::new();
    if offset + limit < total {
        page_info.insert("nextCursor".into(), json!(cursor(offset + limit)));
    }
    if offset > 0 {
        page_info.insert(
            "prevCursor".into(),
            json!(cursor(offset.saturating_sub(limit))),
        );
    }
    Json(json!({ "items": page, "totalItems": total, "pageInfo": page_info })).into_response()
}

async fn by_name(
    State(c): State<Arc<Catalog>>,
    headers: HeaderMap,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Response {
    c.requests.lock().push(format!(
        "/api/catalog/entities/by-name/{kind}/{namespace}/{name}"
    ));
    if !authorised(&c, &headers) {
        return refused(
            StatusCode::UNAUTHORIZED,
            "AuthenticationError",
            "Missing credentials",
        );
    }
    let found = c
        .entities
        .lock()
        .iter()
        .find(|e| {
            e["kind"]
                .as_str()
                .is_some_and(|k| k.eq_ignore_ascii_case(&kind))
                && e["metadata"]["namespace"].as_str().unwrap_or("default") == namespace
                && e["metadata"]["name"] == name.as_str()
        })
        .cloned();
    match found {
        Some(e) => Json(e).into_response(),
        None => refused(
            StatusCode::NOT_FOUND,
            "NotFoundError",
            &format!(
                "No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'"
            ),
        ),
    }
}

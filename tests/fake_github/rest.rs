//! The fake's REST API and what every answer shares: the token check, armed faults, ETags
//! with 304s, `x-ratelimit-*` headers, and the points GitHub would charge.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{FakeRepo, Fault, Shared, graphql, now, sha_of};

/// Counts the request, checks the token and the armed faults. `Err` is the answer to send.
async fn admit(s: &Shared, headers: &HeaderMap, key: &str) -> Result<(), Response> {
    s.counts.lock().unwrap().requests += 1;
    if let Some(token) = &s.token {
        let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
        if sent != Some(&format!("Bearer {token}")) && sent != Some(&format!("token {token}")) {
            return Err(error(s, StatusCode::UNAUTHORIZED, "Bad credentials", 1));
        }
    }
    let fault = {
        let mut faults = s.faults.lock().unwrap();
        let hit = faults
            .iter_mut()
            .find(|f| f.times > 0 && key.contains(&f.matches));
        hit.map(|f| {
            f.times -= 1;
            f.fault.clone()
        })
    };
    match fault {
        None => Ok(()),
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            Ok(())
        }
        Some(Fault::Status(code)) => Err(error(
            s,
            StatusCode::from_u16(code).unwrap(),
            "Server Error",
            0,
        )),
        Some(Fault::GraphqlRateLimited { reset_in }) => {
            let mut r = axum::Json(json!({
                "errors": [{ "type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1." }]
            }))
            .into_response();
            limit_headers(s, r.headers_mut());
            let h = r.headers_mut();
            h.insert("x-ratelimit-remaining", HeaderValue::from(0));
            h.insert("x-ratelimit-reset", HeaderValue::from(now() + reset_in));
            Err(r)
        }
        Some(Fault::PrimaryLimit { reset_in }) => {
            let mut r = error(s, StatusCode::FORBIDDEN, "API rate limit exceeded", 0);
            let h = r.headers_mut();
            h.insert("x-ratelimit-remaining", HeaderValue::from(0));
            h.insert("x-ratelimit-reset", HeaderValue::from(now() + reset_in));
            Err(r)
        }
        Some(Fault::SecondaryLimit { retry_after }) => {
            let mut r = error(
                s,
                StatusCode::TOO_MANY_REQUESTS,
                "You have exceeded a secondary rate limit.",
                0,
            );
            r.headers_mut()
                .insert("retry-after", HeaderValue::from(retry_after));
            Err(r)
        }
    }
}

fn error(s: &Shared, status: StatusCode, message: &str, points: u64) -> Response {
    s.charge(points);
    let mut r = (
        status,
        axum::Json(json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest"
        })),
    )
        .into_response();
    limit_headers(s, r.headers_mut());
    r
}

fn limit_headers(s: &Shared, h: &mut HeaderMap) {
    let used = s.counts().points.min(5000);
    h.insert("x-ratelimit-limit", HeaderValue::from(5000));
    h.insert("x-ratelimit-remaining", HeaderValue::from(5000 - used));
    h.insert("x-ratelimit-used", HeaderValue::from(used));
    h.insert("x-ratelimit-reset", HeaderValue::from(now() + 3600));
    h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
}

/// A JSON answer with its ETag; a 304 (free) when the client's `If-None-Match` matches.
fn conditional(s: &Shared, headers: &HeaderMap, body: Value, link: Option<String>) -> Response {
    let text = body.to_string();
    let etag = format!(
        "W/\"{}\"",
        &hex::encode(Sha256::digest(text.as_bytes()))[..32]
    );
    let sent = headers.get("if-none-match").and_then(|v| v.to_str().ok());
    let mut r = if sent == Some(etag.as_str()) {
        s.counts.lock().unwrap().not_modified += 1;
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        s.charge(1);
        let mut r = ([("content-type", "application/json; charset=utf-8")], text).into_response();
        if let Some(l) = link {
            r.headers_mut()
                .insert("link", HeaderValue::from_str(&l).unwrap());
        }
        r
    };
    r.headers_mut()
        .insert("etag", HeaderValue::from_str(&etag).unwrap());
    limit_headers(s, r.headers_mut());
    r
}

fn repo_json(r: &FakeRepo) -> Value {
    let slug = r.slug();
    json!({
        "id": u64::from_str_radix(&r.head[..8], 16).unwrap_or(1),
        "name": r.name,
        "full_name": slug,
        "private": false,
        "owner": { "login": r.owner, "type": "Organization" },
        "html_url": format!("https://github.example/{slug}"),
        "fork": false,
        "url": format!("https://api.github.example/repos/{slug}"),
        "default_branch": r.default_branch,
        "archived": r.archived,
        "disabled": false,
        "visibility": "internal",
        "topics": [],
    })
}

#[derive(serde::Deserialize)]
pub struct Page {
    page: Option<usize>,
    per_page: Option<usize>,
}

pub async fn list(
    State(s): State<Arc<Shared>>,
    UrlPath(owner): UrlPath<String>,
    Query(q): Query<Page>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&s, &headers, &format!("GET {uri}")).await {
        return r;
    }
    let repos: Vec<Arc<FakeRepo>> = s
        .repos
        .read()
        .unwrap()
        .values()
        .filter(|r| r.owner == owner)
        .cloned()
        .collect();
    if repos.is_empty() {
        return error(&s, StatusCode::NOT_FOUND, "Not Found", 1);
    }
    let size = q.per_page.unwrap_or(30).min(100).min(s.page_size).max(1);
    let page = q.page.unwrap_or(1).max(1);
    let last = repos.len().div_ceil(size);
    let items: Vec<Value> = repos
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|r| repo_json(r))
        .collect();
    let path = uri.path();
    let origin = s.origin.read().unwrap().clone();
    let link_to = |p: usize| format!("<{origin}{path}?per_page={size}&page={p}>");
    let link = (page < last).then(|| {
        format!(
            "{}; rel=\"next\", {}; rel=\"last\"",
            link_to(page + 1),
            link_to(last)
        )
    });
    conditional(&s, &headers, Value::Array(items), link)
}

pub async fn repository(
    State(s): State<Arc<Shared>>,
    UrlPath((owner, name)): UrlPath<(String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&s, &headers, &format!("GET {uri}")).await {
        return r;
    }
    match s.repo(&format!("{owner}/{name}")) {
        Some(r) => conditional(&s, &headers, repo_json(&r), None),
        None => error(&s, StatusCode::NOT_FOUND, "Not Found", 1),
    }
}

pub async fn branch(
    State(s): State<Arc<Shared>>,
    UrlPath((owner, name, branch)): UrlPath<(String, String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&s, &headers, &format!("GET {uri}")).await {
        return r;
    }
    let Some(r) = s
        .repo(&format!("{owner}/{name}"))
        .filter(|r| r.default_branch == branch && !r.files.is_empty())
    else {
        return error(&s, StatusCode::NOT_FOUND, "Branch not found", 1);
    };
    let person = json!({ "name": "Dev", "email": "dev@acme.example", "date": r.committed_date });
    let body = json!({
        "name": r.default_branch,
        "commit": {
            "sha": r.head,
            "commit": {
                "author": person,
                "committer": person,
                "message": "Change",
                "tree": { "sha": sha_of(&r.head) }
            },
            "parents": []
        },
        "protected": r.protected,
        "protection": { "enabled": r.protected, "required_status_checks": { "enforcement_level": "non_admins", "contexts": [] } },
        "protection_url": format!("https://api.github.example/repos/{}/branches/{}/protection", r.slug(), r.default_branch),
    });
    conditional(&s, &headers, body, None)
}

pub async fn graphql_answer(
    s: &Arc<Shared>,
    schema: &graphql::FakeSchema,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let query = request
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Err(r) = admit(s, headers, &format!("POST graphql {query}")).await {
        return r;
    }
    s.counts.lock().unwrap().graphql_queries += 1;
    s.charge(1);
    let answer = schema.execute(async_graphql::Request::new(query)).await;
    let mut r = axum::Json(serde_json::to_value(&answer).unwrap()).into_response();
    limit_headers(s, r.headers_mut());
    r
}

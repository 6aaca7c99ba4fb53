//! A local fake GitHub for the collector's tests and its bench: REST (repository lists with
//! `Link` pagination, repositories, branches; ETags and 304s; `x-ratelimit-*` headers) and
//! GraphQL (see `graphql.rs`), on 127.0.0.1. It counts requests and the rate-limit points
//! GitHub would charge (REST: 1 per answer, 0 for a 304; GraphQL: 1 per query, the cost of a
//! query of at most 100 nodes), and injects faults on demand: 502s, rate limits, slow answers.
//!
//! Shared by `tests/github.rs` and `benches/github_collect.rs` (included with `#[path]`).

#![allow(dead_code)]

mod graphql;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One repository of the fake, with its files at its only commit, `head`.
#[derive(Debug, Clone)]
pub struct FakeRepo {
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub archived: bool,
    pub protected: bool,
    pub head: String,
    pub committed_date: String,
    /// `success`, `failure`, `pending`, … or `none`.
    pub ci: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl FakeRepo {
    pub fn slug(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// A fault the fake answers with instead of the real answer.
#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    /// 403 with `x-ratelimit-remaining: 0` and a reset this many seconds ahead.
    PrimaryLimit {
        reset_in: u64,
    },
    /// 429 with `Retry-After`.
    SecondaryLimit {
        retry_after: u64,
    },
    /// Answers (normally) only after this delay.
    Slow(Duration),
}

struct Armed {
    /// A substring of `GET <path>` or of `POST graphql <query>`.
    matches: String,
    fault: Fault,
    times: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    pub points: u64,
    pub graphql_queries: u64,
    pub not_modified: u64,
}

pub struct Shared {
    repos: RwLock<BTreeMap<String, Arc<FakeRepo>>>,
    faults: Mutex<Vec<Armed>>,
    counts: Mutex<Counts>,
    token: Option<String>,
    /// Repositories per page of a list, at most (GitHub: `per_page`, at most 100).
    page_size: usize,
    origin: RwLock<String>,
    rest_prefix: &'static str,
}

impl Shared {
    pub fn repo(&self, slug: &str) -> Option<Arc<FakeRepo>> {
        self.repos.read().unwrap().get(slug).cloned()
    }
    pub fn counts(&self) -> Counts {
        *self.counts.lock().unwrap()
    }
    fn charge(&self, points: u64) {
        self.counts.lock().unwrap().points += points;
    }
}

pub struct FakeGitHub {
    /// The REST root to configure as `baseUrl`.
    pub base_url: String,
    pub graphql_url: String,
    shared: Arc<Shared>,
}

impl FakeGitHub {
    /// Starts the fake on 127.0.0.1. `enterprise` serves GitHub Enterprise Server's paths
    /// (`/api/v3`, `/api/graphql`); `token`, when given, is required on every request.
    pub async fn start(
        repos: Vec<FakeRepo>,
        page_size: usize,
        enterprise: bool,
        token: Option<&str>,
    ) -> FakeGitHub {
        let rest_prefix = if enterprise { "/api/v3" } else { "" };
        let graphql_path = if enterprise {
            "/api/graphql"
        } else {
            "/graphql"
        };
        let shared = Arc::new(Shared {
            repos: RwLock::new(repos.into_iter().map(|r| (r.slug(), Arc::new(r))).collect()),
            faults: Mutex::new(Vec::new()),
            counts: Mutex::new(Counts::default()),
            token: token.map(str::to_string),
            page_size,
            origin: RwLock::new(String::new()),
            rest_prefix,
        });
        let schema = graphql::schema(shared.clone());
        let rest = Router::new()
            .route("/orgs/{owner}/repos", get(list))
            .route("/users/{owner}/repos", get(list))
            .route("/repos/{owner}/{repo}", get(repository))
            .route("/repos/{owner}/{repo}/branches/{branch}", get(branch));
        let rest = if enterprise {
            Router::new().nest(rest_prefix, rest)
        } else {
            rest
        };
        let app = rest
            .route(
                graphql_path,
                post(
                    move |State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes| {
                        let schema = schema.clone();
                        async move { graphql_answer(&s, &schema, &headers, &body).await }
                    },
                ),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        *shared.origin.write().unwrap() = origin.clone();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeGitHub {
            base_url: format!("{origin}{rest_prefix}"),
            graphql_url: format!("{origin}{graphql_path}"),
            shared,
        }
    }

    pub fn counts(&self) -> Counts {
        self.shared.counts()
    }

    pub fn reset_counts(&self) {
        *self.shared.counts.lock().unwrap() = Counts::default();
    }

    /// Answers the next `times` requests whose `GET <path>` or `POST graphql <query>` holds
    /// `matches` with `fault`.
    pub fn fail(&self, matches: &str, fault: Fault, times: usize) {
        self.shared.faults.lock().unwrap().push(Armed {
            matches: matches.to_string(),
            fault,
            times,
        });
    }

    pub fn clear_faults(&self) {
        self.shared.faults.lock().unwrap().clear();
    }

    pub fn repo(&self, slug: &str) -> Arc<FakeRepo> {
        self.shared
            .repo(slug)
            .unwrap_or_else(|| panic!("no fake repository {slug}"))
    }

    /// Changes the repository: `change` edits a copy, which becomes the new head commit.
    pub fn push(&self, slug: &str, change: impl FnOnce(&mut FakeRepo)) {
        let mut repos = self.shared.repos.write().unwrap();
        let mut repo = (**repos.get(slug).expect("a fake repository")).clone();
        change(&mut repo);
        repo.head = sha_of(&format!("{}{:?}", repo.head, repo.files));
        repo.committed_date = "2026-11-28T09:30:00Z".into();
        repos.insert(slug.to_string(), Arc::new(repo));
    }

    /// Changes something that is not a commit (CI state, protection, archived).
    pub fn update(&self, slug: &str, change: impl FnOnce(&mut FakeRepo)) {
        let mut repos = self.shared.repos.write().unwrap();
        let mut repo = (**repos.get(slug).expect("a fake repository")).clone();
        change(&mut repo);
        repos.insert(slug.to_string(), Arc::new(repo));
    }
}

/// The realistic fixture repositories of `tests/fixtures/repos/`, each with a
/// `catalog-info.yaml`, owned by `owner`.
pub fn fixture_repos(owner: &str) -> Vec<FakeRepo> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repos");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .iter()
        .map(|name| {
            let mut files = BTreeMap::new();
            read_dir(&root.join(name), "", &mut files);
            fake_repo(owner, name, files)
        })
        .collect()
}

/// `n` repositories named `svc-0000`…, whose files cycle through the fixtures.
pub fn fleet(owner: &str, n: usize) -> Vec<FakeRepo> {
    let fixtures = fixture_repos(owner);
    (0..n)
        .map(|i| {
            let base = &fixtures[i % fixtures.len()];
            let mut files = base.files.clone();
            files.remove("catalog-info.yaml");
            fake_repo(owner, &format!("svc-{i:04}"), files)
        })
        .collect()
}

fn fake_repo(owner: &str, name: &str, mut files: BTreeMap<String, Vec<u8>>) -> FakeRepo {
    files.insert(
        "catalog-info.yaml".into(),
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  annotations:\n    github.com/project-slug: {owner}/{name}\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/payments\n"
        )
        .into_bytes(),
    );
    FakeRepo {
        owner: owner.into(),
        name: name.into(),
        default_branch: "main".into(),
        archived: false,
        protected: true,
        head: sha_of(&format!("{owner}/{name}{files:?}")),
        committed_date: "2026-11-20T16:04:11Z".into(),
        ci: "success".into(),
        files,
    }
}

fn read_dir(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            read_dir(&entry.path(), &path, out);
        } else {
            out.insert(path, std::fs::read(entry.path()).unwrap());
        }
    }
}

fn sha_of(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))[..40].to_string()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

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
            1,
        )),
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
struct Page {
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn list(
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

async fn repository(
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

async fn branch(
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
        .filter(|r| r.default_branch == branch)
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

async fn graphql_answer(
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

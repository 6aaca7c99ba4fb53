//! A local fake GitHub for the collector's tests and its bench: REST (repository lists with
//! `Link` pagination, repositories, branches; ETags and 304s; `x-ratelimit-*` headers) and
//! GraphQL (see `graphql.rs`), on 127.0.0.1. It counts requests and the rate-limit points
//! GitHub would charge (REST: 1 per answer, 0 for a 304; GraphQL: 1 per query, the cost of a
//! query of at most 100 nodes), and injects faults on demand: 502s, rate limits, slow answers.
//!
//! Shared by `tests/github.rs` and `benches/github_collect.rs` (included with `#[path]`).

#![allow(dead_code)]

mod graphql;
mod rest;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
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
    /// GraphQL's way: 200 with a `RATE_LIMITED` error and `x-ratelimit-remaining: 0`.
    GraphqlRateLimited {
        reset_in: u64,
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
    /// The most requests the fake was answering at once.
    pub max_in_flight: u64,
}

pub struct Shared {
    repos: RwLock<BTreeMap<String, Arc<FakeRepo>>>,
    faults: Mutex<Vec<Armed>>,
    counts: Mutex<Counts>,
    in_flight: Mutex<u64>,
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
            in_flight: Mutex::new(0),
            token: token.map(str::to_string),
            page_size,
            origin: RwLock::new(String::new()),
            rest_prefix,
        });
        let schema = graphql::schema(shared.clone());
        let rest = Router::new()
            .route("/orgs/{owner}/repos", get(rest::list))
            .route("/users/{owner}/repos", get(rest::list))
            .route("/repos/{owner}/{repo}", get(rest::repository))
            .route("/repos/{owner}/{repo}/branches/{branch}", get(rest::branch));
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
                        async move { rest::graphql_answer(&s, &schema, &headers, &body).await }
                    },
                ),
            )
            .with_state(shared.clone())
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                in_flight,
            ));
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

/// Tracks how many requests are being answered at once.
async fn in_flight(
    State(s): State<Arc<Shared>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    {
        let mut n = s.in_flight.lock().unwrap();
        *n += 1;
        let mut c = s.counts.lock().unwrap();
        c.max_in_flight = c.max_in_flight.max(*n);
    }
    let response = next.run(request).await;
    *s.in_flight.lock().unwrap() -= 1;
    response
}

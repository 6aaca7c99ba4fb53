//! Shared set-up for the service and store tests: a store of each kind, a running app.

#![allow(dead_code)]

pub mod governance;
pub mod hooks;
pub mod process;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use sqlx::Connection;
use tech_health::service::{App, Sources};
use tech_health::settings::{SettingsFile, TokenSetting};

pub const WRITER: &str = "writer-token-for-tests";
pub const READER: &str = "reader-token-for-tests";
pub const ADMIN: &str = "admin-token-for-tests";

/// A database for one test: a SQLite file in a temp folder, or a fresh Postgres schema.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub fn postgres_base() -> Option<String> {
    match std::env::var("TECH_HEALTH_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set TECH_HEALTH_TEST_POSTGRES_URL: the store suite runs on Postgres too"
            );
            None
        }
    }
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("th.db").display());
        TestDb {
            url,
            _dir: Some(dir),
        }
    }

    /// A fresh schema on the test server; `None` when no server is configured.
    pub async fn postgres() -> Option<TestDb> {
        let base = postgres_base()?;
        // Process id, a per-process counter and the clock: two tests of one binary
        // can read the same clock value on a coarse clock, never the same counter.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let schema = format!(
            "th_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros())
                .unwrap_or_default()
        );
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| {
                panic!("Postgres at TECH_HEALTH_TEST_POSTGRES_URL is unreachable: {e}")
            });
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(TestDb {
            url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
            _dir: None,
        })
    }
}

/// One check's result in an entity's health.
/// The `/metrics` text of the service at `base` (answered 200).
pub async fn metrics(http: &reqwest::Client, base: &str) -> String {
    let r = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200, "/metrics");
    r.text().await.expect("metrics text")
}

pub fn check<'a>(health: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    health["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id}"))
}

pub fn hash(token: &str) -> String {
    tech_health::api::auth::sha256_hex(token)
}

pub fn settings() -> SettingsFile {
    let token = |name: &str, t: &str, scopes: &[&str]| TokenSetting {
        name: name.into(),
        sha256: hash(t),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
    };
    let mut s = SettingsFile::default();
    s.auth.tokens = vec![
        token("ci-bot", WRITER, &["facts:write"]),
        token("dashboard", READER, &[]),
        token("platform-admin", ADMIN, &["admin"]),
    ];
    s
}

/// The demo fleet served on a free loopback port.
pub struct Running {
    pub app: Arc<App>,
    pub base: String,
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
    scheduler: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
        for t in &self.scheduler {
            t.abort();
        }
    }
}

pub async fn serve_demo(db: &TestDb) -> Running {
    serve(
        db,
        settings(),
        Sources {
            demo: true,
            ..Default::default()
        },
    )
    .await
}

pub async fn serve(db: &TestDb, settings: SettingsFile, sources: Sources) -> Running {
    let app = App::start(settings, sources, &db.url)
        .await
        .expect("app starts");
    serve_app(app).await
}

/// Serves an app that is already started (e.g. with [`App::start_with_env`]).
pub async fn serve_app(app: Arc<App>) -> Running {
    let router = tech_health::api::router(app.clone()).expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Running {
        app,
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        task,
        scheduler: Vec::new(),
    }
}

impl Running {
    /// Starts the collectors' scheduler, as `serve` does.
    pub fn start_scheduler(&mut self) {
        self.scheduler = tech_health::collectors::schedule::spawn(self.app.clone());
    }

    /// Stops the scheduler (a run in progress is dropped, as when the service stops).
    pub fn stop_scheduler(&mut self) {
        for t in self.scheduler.drain(..) {
            t.abort();
        }
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// The `/metrics` text (answered 200).
    pub async fn metrics(&self) -> String {
        metrics(&self.http, &self.base).await
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// Runs an async test body once per store: SQLite always, Postgres when configured.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident => $body:path;)*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::service_support::TestDb::sqlite();
                    $body(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::service_support::TestDb::postgres().await else {
                        eprintln!("skipped: TECH_HEALTH_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    $body(&db).await;
                }
            )*
        }
    };
}

/// The first recorded run of the collector that started after `after`, waiting up to 15 s.
pub async fn run_after(s: &Running, name: &str, after: DateTime<Utc>) -> Value {
    for _ in 0..150 {
        let (status, list) = s.get("/api/v1/collectors").await;
        assert_eq!(status, 200, "{list}");
        let c = list
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no collector {name}: {list}"));
        let first = c["lastRuns"].as_array().unwrap().iter().rev().find(|run| {
            let started: DateTime<Utc> = run["startedAt"].as_str().unwrap().parse().unwrap();
            started > after
        });
        if let Some(run) = first {
            return run.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no run of {name} after {after}");
}

/// Posts a GitHub webhook delivery, signed with `signature` when given.
pub async fn deliver(
    s: &Running,
    event: &str,
    body: &Value,
    signature: Option<String>,
) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut req = s
        .http
        .post(format!("{}/api/v1/webhooks/github", s.base))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .body(bytes);
    if let Some(sig) = signature {
        req = req.header("x-hub-signature-256", sig);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

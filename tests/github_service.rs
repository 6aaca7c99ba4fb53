//! The GitHub collector inside the service, through HTTP on SQLite and Postgres: a service
//! configured with the fake GitHub organisation and the fake Backstage catalog collects every
//! repository on its cadence, evaluates and serves the levels of the components they back; a
//! restarted service goes on from the stored ETags, so an unchanged refresh costs at most one
//! rate-limit point per repository; a GitHub outage leaves the last facts in place, marked
//! stale, with the error visible; a signed push webhook re-collects its repository.

mod fake_catalog;
mod fake_github;
mod service_support;

use chrono::{DateTime, Utc};
use fake_catalog::{FakeCatalog, component};
use fake_github::{FakeGitHub, Fault, fixture_repos};
use serde_json::{Value, json};
use service_support::{Running, TestDb, check, deliver, run_after, serve_app, settings};
use tech_health::collectors::settings::{BackstageSetting, GitHubSetting, WebhookSetting};
use tech_health::collectors::webhook::sign;
use tech_health::collectors::{Scope, Trigger};
use tech_health::github::GitHubSettings;
use tech_health::service::{App, Sources};
use tech_health::settings::SettingsFile;

const TOKEN: &str = "catalog-token-for-tests";
const SECRET: &str = "webhook-secret-for-tests";

fn env(var: &str) -> Option<String> {
    match var {
        "CATALOG_TOKEN" => Some(TOKEN.into()),
        "GITHUB_WEBHOOK_SECRET" => Some(SECRET.into()),
        _ => None,
    }
}

fn configured(catalog: &FakeCatalog, github: &FakeGitHub) -> SettingsFile {
    let mut s = settings();
    s.collectors.backstage = vec![BackstageSetting {
        name: "backstage".into(),
        cron: "* * * * * *".into(),
        base_url: catalog.base.clone(),
        filter: Vec::new(),
        token_env: Some("CATALOG_TOKEN".into()),
        timeout_secs: 2,
        page_size: 5,
    }];
    s.collectors.github = vec![GitHubSetting {
        name: "github".into(),
        cron: "*/2 * * * * *".into(),
        entities: false,
        github: GitHubSettings {
            base_url: github.base_url.clone(),
            orgs: vec!["acme".into()],
            token_env: "TECH_HEALTH_TEST_GITHUB_TOKEN_UNSET".into(),
            request_timeout_ms: 1_000,
            max_retries: 1,
            backoff_base_ms: 20,
            ..GitHubSettings::default()
        },
    }];
    s.collectors.github_webhook = Some(WebhookSetting {
        secret_env: "GITHUB_WEBHOOK_SECRET".into(),
    });
    s
}

/// The service with both collectors configured, serving on a free port (scheduler not started).
async fn start(db: &TestDb, catalog: &FakeCatalog, github: &FakeGitHub) -> Running {
    let settings = configured(catalog, github);
    let app = App::start_with_env(settings, Sources::default(), &db.url, &env)
        .await
        .expect("app starts");
    serve_app(app).await
}

async fn health(s: &Running, name: &str) -> Value {
    let (status, h) = s
        .get(&format!("/api/v1/entities/component/default/{name}/health"))
        .await;
    assert_eq!(status, 200, "{name}: {h}");
    h
}

fn level(h: &Value, track: &str) -> Value {
    h["tracks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] == track))
        .map_or(Value::Null, |t| t["level"].clone())
}

fn time(run: &Value, field: &str) -> DateTime<Utc> {
    run[field].as_str().unwrap().parse().unwrap()
}

/// Runs the GitHub collector over everything now, as its schedule would.
async fn collect_all(s: &Running) -> tech_health::store::RunRow {
    let entry = s.app.runner.get("github").expect("configured");
    s.app
        .run_collector(&entry, Scope::All, Trigger::Schedule, true)
        .await
        .expect("ran")
}

/// Checks that read the facts of the `scanner` and `github` collectors.
const COLLECTED: [&str; 5] = [
    "branch-protection",
    "ci-green-default-branch",
    "has-readme",
    "recently-active",
    "technologies-known",
];

async fn github_collects_evaluates_and_serves(db: &TestDb) {
    let repos = fixture_repos("acme");
    let names: Vec<String> = repos.iter().map(|r| r.name.clone()).collect();
    let github = FakeGitHub::start(repos, 100, false, None).await;
    let catalog = FakeCatalog::start(
        TOKEN,
        names
            .iter()
            .map(|n| component(n, "group:default/payments", "production"))
            .collect(),
    )
    .await;
    let mut s = start(db, &catalog, &github).await;
    let before = Utc::now() - chrono::Duration::seconds(5);
    s.start_scheduler();

    // On its cadence: the first GitHub run that started once the catalog was synchronised.
    let synced = run_after(&s, "backstage", before).await;
    assert_eq!(synced["status"], "ok", "{synced}");
    let run = run_after(&s, "github", time(&synced, "finishedAt")).await;
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(run["trigger"], "schedule");
    s.stop_scheduler();
    let (_, list) = s.get("/api/v1/collectors").await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "github");
    assert_eq!(listed.unwrap()["kind"], "github", "{list}");
    for name in &names {
        let h = health(&s, name).await;
        for id in COLLECTED {
            let status = &check(&h, id)["status"];
            assert!(status != "unknown", "{name}: {id} is {status}: {h}");
        }
        assert_eq!(check(&h, "branch-protection")["status"], "pass", "{name}");
        assert!(h["stale"].as_array().unwrap().is_empty(), "{name}: {h}");
    }
    let maven = health(&s, "maven-service").await;
    assert_eq!(
        check(&maven, "supported-build-system")["facts"]["buildSystems"],
        json!(["maven"])
    );
    let java = check(&maven, "technologies-known")["facts"]["technologies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "java")
        .cloned();
    assert_eq!(java.unwrap()["version"], "17.0.9", "{maven}");
    // Bronze: tests, CI and Maven found in the repository; Silver waits for coverage facts.
    assert_eq!(level(&maven, "fleet-readiness"), "bronze", "{maven}");

    // Restarted: the stored state makes an unchanged refresh nearly free.
    drop(s);
    let s = start(db, &catalog, &github).await;
    github.reset_counts();
    let refresh = collect_all(&s).await;
    assert_eq!(refresh.status, "ok", "{:?}", refresh.errors);
    let counts = github.counts();
    assert!(
        counts.points <= names.len() as u64,
        "an unchanged refresh costs at most a point per repository: {counts:?}"
    );
    assert!(
        counts.not_modified >= names.len() as u64,
        "every repository answered 304: {counts:?}"
    );
    assert_eq!(counts.graphql_queries, 0, "no file read again: {counts:?}");

    // GitHub is down: the last facts stay, marked stale, and the error is listed.
    github.fail("/orgs/acme/repos", Fault::Status(502), usize::MAX);
    let down = collect_all(&s).await;
    assert_eq!(down.status, "partial", "{:?}", down.errors);
    let go = health(&s, "go-service").await;
    assert_eq!(check(&go, "branch-protection")["status"], "pass", "{go}");
    let marks = go["stale"].as_array().unwrap();
    let mut stale: Vec<&str> = marks
        .iter()
        .map(|m| m["collector"].as_str().unwrap())
        .collect();
    stale.sort_unstable();
    assert_eq!(stale, ["github", "scanner"], "{go}");
    assert!(
        marks[0]["reason"].as_str().unwrap().contains("listed"),
        "{go}"
    );
    let (_, list) = s.get("/api/v1/collectors").await;
    let last = &list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "github")
        .unwrap()["lastRuns"][0];
    assert_eq!(last["status"], "partial", "{last}");
    assert!(
        last["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("502")),
        "{last}"
    );

    // Back up; a push turns go-service's CI red and its signed webhook re-collects it.
    github.clear_faults();
    github.push("acme/go-service", |r| r.ci = "failure".into());
    let push = json!({
        "ref": "refs/heads/main",
        "after": github.repo("acme/go-service").head,
        "repository": { "name": "go-service", "full_name": "acme/go-service",
                        "default_branch": "main" },
        "pusher": { "name": "octocat" }
    });
    let body = serde_json::to_vec(&push).unwrap();
    let (status, _) = deliver(&s, "push", &push, Some(sign(b"wrong", &body))).await;
    assert_eq!(status, 401);
    let sent = Utc::now();
    let signature = sign(SECRET.as_bytes(), &body);
    let (status, accepted) = deliver(&s, "push", &push, Some(signature)).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["scheduled"], json!(["github"]));
    let hooked = run_after(&s, "github", sent - chrono::Duration::milliseconds(1)).await;
    let mut go = Value::Null;
    for _ in 0..100 {
        go = health(&s, "go-service").await;
        if check(&go, "ci-green-default-branch")["status"] == "fail" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        check(&go, "ci-green-default-branch")["status"],
        "fail",
        "{go}"
    );
    assert!(go["stale"].as_array().unwrap().is_empty(), "fresh: {go}");
    assert_eq!(hooked["trigger"], "webhook", "{hooked}");
    assert_eq!(hooked["scope"], "repository:acme/go-service");
    let other = health(&s, "maven-service").await;
    assert_eq!(other["stale"].as_array().unwrap().len(), 2, "still stale");
}

on_both_stores! {
    github_collects_evaluates_and_serves => super::github_collects_evaluates_and_serves;
}

//! The Backstage catalog as a source, through HTTP on SQLite and Postgres: a service configured
//! with a (fake, local) catalog pulls its entities page by page at its cadence, evaluates and
//! serves them, follows changes and removals, re-reads one entity on refresh, and keeps what it
//! has when the catalog refuses it — every run visible at `GET /api/v1/collectors`.

mod fake_catalog;
mod service_support;

use std::time::Duration;

use chrono::Utc;
use fake_catalog::{FakeCatalog, component};
use serde_json::{Value, json};
use service_support::{ADMIN, Running, TestDb, WRITER, deliver, run_after, serve_app, settings};
use tech_health::collectors::settings::BackstageSetting;
use tech_health::collectors::webhook::sign;
use tech_health::service::{App, Sources};
use tech_health::settings::SettingsFile;

const TOKEN: &str = "catalog-token-for-tests";

fn env(var: &str) -> Option<String> {
    (var == "CATALOG_TOKEN").then(|| TOKEN.to_string())
}

fn with_catalog(base: &str) -> SettingsFile {
    let mut s = settings();
    s.collectors.backstage = vec![BackstageSetting {
        name: "backstage".into(),
        cron: "* * * * * *".into(),
        base_url: base.into(),
        filter: vec!["kind=component,spec.lifecycle=production".into()],
        token_env: Some("CATALOG_TOKEN".into()),
        timeout_secs: 2,
        page_size: 2,
    }];
    s
}

fn catalog_entities() -> Vec<Value> {
    vec![
        component("payments-api", "group:default/team-a", "production"),
        component("ledger", "group:default/team-a", "production"),
        component("invoices", "group:default/team-a", "production"),
        component("checkout-web", "group:default/team-b", "production"),
        component("search", "group:default/team-b", "production"),
        component("prototype", "group:default/team-b", "experimental"),
        // Not a valid entity name: skipped and reported, the rest is synchronised.
        component("Billing Service!", "group:default/team-b", "production"),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
               "metadata": {"name": "team-a", "namespace": "default"},
               "spec": {"type": "team", "children": []}}),
    ]
}

async fn health(s: &Running, name: &str) -> (u16, Value) {
    s.get(&format!("/api/v1/entities/component/default/{name}/health"))
        .await
}

async fn catalog_is_synchronised(db: &TestDb) {
    let fake = FakeCatalog::start(TOKEN, catalog_entities()).await;
    // A catalog file stays a source of its own, next to the Backstage catalog.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog-info.yaml");
    std::fs::write(
        &file,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: local-tool\n\
         spec:\n  type: tool\n  lifecycle: production\n  owner: group:default/team-a\n",
    )
    .unwrap();
    let sources = Sources {
        catalog: vec![file],
        ..Default::default()
    };
    let app = App::start_with_env(with_catalog(&fake.base), sources, &db.url, &env)
        .await
        .expect("app starts");
    let mut s = serve_app(app).await;
    let before = Utc::now() - chrono::Duration::seconds(5);
    s.start_scheduler();

    // The first run: five valid production components, two per page, the filter sent once.
    let run = run_after(&s, "backstage", before).await;
    assert_eq!(run["status"], "partial", "{run}");
    assert_eq!(run["errors"].as_array().unwrap().len(), 1, "{run}");
    assert!(
        run["errors"][0]
            .as_str()
            .unwrap()
            .contains("Billing Service!"),
        "{run}"
    );
    assert_eq!(run["trigger"], "schedule");
    assert_eq!(run["scope"], "all");
    assert_eq!(run["entitiesTouched"], 5, "{run}");
    let requests = fake.requests();
    assert!(requests.len() >= 3, "{requests:?}");
    // The first run's three pages (a later run may have started since).
    let requests = &requests[..3];
    assert!(
        requests[0].contains("filter=kind%3Dcomponent%2Cspec.lifecycle%3Dproduction")
            && requests[0].contains("limit=2"),
        "{requests:?}"
    );
    for r in &requests[1..3] {
        let query = r.split_once('?').unwrap().1;
        assert!(query.starts_with("cursor=") && !query.contains('&'), "{r}");
    }
    let (_, page) = s.get("/api/v1/entities?limit=500").await;
    assert_eq!(
        page["total"], 6,
        "five from Backstage, one from the file: {page}"
    );
    let (status, ledger) = health(&s, "ledger").await;
    assert_eq!(status, 200, "{ledger}");
    assert_eq!(ledger["owner"], "group:default/team-a");
    assert!(
        ledger["tracks"].as_array().is_some_and(|t| !t.is_empty()),
        "levels are served: {ledger}"
    );
    assert!(health(&s, "prototype").await.0 == 404, "filtered out");

    let (_, list) = s.get("/api/v1/collectors").await;
    let c = &list[0];
    assert_eq!(
        (c["kind"].as_str(), c["cadence"].as_str()),
        (Some("backstage"), Some("* * * * * *"))
    );
    assert!(c["nextRun"].is_string(), "{c}");
    assert_eq!(c["handlesEntity"], true);

    // Facts pushed for an entity of the catalog...
    let (status, body) = s
        .post(
            "/api/v1/facts",
            Some(WRITER),
            &json!([{ "entity": "component:default/ledger", "collector": "ci",
                      "facts": { "ciGreenOnDefaultBranch": true } }]),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // ...leave with it when it disappears from the catalog; a changed owner is followed.
    {
        let mut entities = fake.state.entities.lock();
        entities.retain(|e| e["metadata"]["name"] != "ledger");
        for e in entities.iter_mut() {
            if e["metadata"]["name"] == "payments-api" {
                e["spec"]["owner"] = json!("group:default/team-b");
            }
        }
    }
    let changed = Utc::now();
    let run = run_after(&s, "backstage", changed).await;
    assert_eq!(run["status"], "partial", "{run}");
    assert_eq!(health(&s, "ledger").await.0, 404);
    // One run saw both changes (the one that started next, or one that straddled the change).
    let (_, list) = s.get("/api/v1/collectors").await;
    assert!(
        list[0]["lastRuns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["entitiesTouched"] == 2),
        "{list}"
    );
    assert_eq!(
        health(&s, "payments-api").await.1["owner"],
        "group:default/team-b"
    );
    let stored = s.app.store.entities().await.unwrap();
    assert!(!stored.iter().any(|e| e.entity_ref.ends_with("/ledger")));
    let from_backstage = stored
        .iter()
        .filter(|e| e.source == "collector:backstage")
        .count();
    assert_eq!((stored.len(), from_backstage), (5, 4));
    // A reload re-reads the file and keeps what Backstage gave.
    let (status, body) = s
        .post("/api/v1/admin/reload", Some(ADMIN), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(s.get("/api/v1/entities").await.1["total"], 5);
    assert_eq!(health(&s, "local-tool").await.0, 200);
    let facts = s.app.store.latest_facts().await.unwrap();
    assert!(
        !facts.iter().any(|f| f.entity_ref.ends_with("/ledger")),
        "its facts went with it"
    );

    // Refresh with `facts:write` re-reads the one entity from the catalog; without, it does not.
    let path = "/api/v1/entities/component/default/search/refresh";
    let asked = |fake: &FakeCatalog| {
        fake.requests()
            .iter()
            .filter(|r| r.contains("/by-name/component/default/search"))
            .count()
    };
    assert_eq!(s.post(path, None, &json!({})).await.0, 200);
    assert_eq!(asked(&fake), 0);
    let (status, refreshed) = s.post(path, Some(WRITER), &json!({})).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(asked(&fake), 1);

    // The catalog refuses the token: the run fails visibly, nothing is removed.
    *fake.state.token.lock() = "rotated".into();
    let refused = Utc::now();
    let run = run_after(&s, "backstage", refused).await;
    assert_eq!(run["status"], "failed", "{run}");
    let error = run["errors"][0].as_str().unwrap();
    assert!(
        error.contains("401") && error.contains("refused"),
        "{error}"
    );
    assert_eq!(s.get("/api/v1/entities").await.1["total"], 5);

    // The catalog answers too slowly: the run fails after the timeout, nothing is removed.
    *fake.state.token.lock() = TOKEN.into();
    *fake.state.delay.lock() = Duration::from_millis(2500);
    let slow = Utc::now();
    let run = run_after(&s, "backstage", slow).await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["errors"][0]
            .as_str()
            .unwrap()
            .contains("no answer in time"),
        "{run}"
    );
    assert_eq!(s.get("/api/v1/entities").await.1["total"], 5);

    let metrics = s.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("tech_health_collector_runs_total")
                && l.contains("collector=\"backstage\"")
                && l.contains("status=\"failed\"")),
        "{metrics}"
    );
    assert!(metrics.contains("tech_health_collector_run_seconds"));

    // The headers the document requires are checked first; then, without a configured
    // secret, there is no webhook route to deliver to.
    let (status, body) = s.post("/api/v1/webhooks/github", None, &json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid-signature"))
    );
    let (status, body) = deliver(&s, "push", &json!({}), Some(sign(b"secret", b"{}"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not-found"))
    );
}

on_both_stores! {
    catalog_is_synchronised => super::catalog_is_synchronised;
}

#[tokio::test]
async fn a_missing_token_variable_stops_start_up() {
    let db = TestDb::sqlite();
    let e = App::start_with_env(
        with_catalog("http://127.0.0.1:9"),
        Sources::default(),
        &db.url,
        &|_| None,
    )
    .await
    .err()
    .expect("refused");
    assert!(e.to_string().contains("CATALOG_TOKEN"), "{e}");
}

#[test]
fn collector_settings_are_checked_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tech-health.yaml");
    let good = "collectors:\n  backstage:\n    - baseUrl: https://backstage.example\n      cron: \"0 */15 * * * *\"\n      filter: [kind=component]\n      tokenEnv: BACKSTAGE_TOKEN\n  githubWebhook: { secretEnv: GITHUB_WEBHOOK_SECRET }\n";
    std::fs::write(&path, good).unwrap();
    let s = SettingsFile::read(&path).expect("valid");
    assert_eq!(s.collectors.backstage[0].name, "backstage");
    assert_eq!(s.collectors.backstage[0].page_size, 500);

    for (text, line, words) in [
        (
            good.replace("0 */15 * * * *", "every monday"),
            4,
            "cron expression",
        ),
        (
            good.replace("https://backstage.example", "backstage.example"),
            3,
            "http(s) URL",
        ),
        (good.replace("tokenEnv", "token"), 6, "unknown field"),
    ] {
        std::fs::write(&path, &text).unwrap();
        let e = SettingsFile::read(&path).expect_err("refused").to_string();
        assert!(e.contains(&format!("tech-health.yaml:{line}")), "{e}");
        assert!(e.contains(words), "{e}");
    }
}

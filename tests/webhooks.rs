//! GitHub webhooks, refresh and stale facts through HTTP on SQLite and Postgres, with a test
//! collector that records the scope it is asked for and reports a green CI: a delivery with a
//! bad signature is refused, a good one re-collects the repository and moves the entity's
//! level; a refresh with `facts:write` re-collects the entity; a failing collector leaves its
//! last facts in place, marked stale, and its error visible.

mod service_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use serde_json::{Map, Value, json};
use service_support::{Running, TestDb, WRITER, deliver, serve_app, settings};
use tech_health::collectors::settings::WebhookSetting;
use tech_health::collectors::webhook::sign;
use tech_health::collectors::{
    CollectError, Collection, Collector, EntityFacts, Handles, RepositoryFacts, Scope,
};
use tech_health::service::{App, Sources};

const SECRET: &str = "webhook-secret-for-tests";
const BILLING: &str = "/api/v1/entities/component/default/billing-service";

#[derive(Default)]
struct CiProbe {
    scopes: Mutex<Vec<Scope>>,
    failing: AtomicBool,
}

fn green() -> Map<String, Value> {
    json!({ "ciGreenOnDefaultBranch": true, "testCoverage": 82.5 })
        .as_object()
        .cloned()
        .unwrap()
}

#[async_trait]
impl Collector for CiProbe {
    fn name(&self) -> &str {
        "ci-probe"
    }
    fn kind(&self) -> &str {
        "test"
    }
    fn handles(&self) -> Handles {
        Handles {
            entity: true,
            repository: true,
        }
    }
    fn fact_collectors(&self) -> Vec<String> {
        vec!["ci".into()]
    }
    async fn collect(&self, scope: &Scope) -> Result<Collection, CollectError> {
        self.scopes.lock().push(scope.clone());
        if self.failing.load(Ordering::SeqCst) {
            return Err(CollectError(
                "the CI server answered 503 Service Unavailable".into(),
            ));
        }
        Ok(match scope {
            Scope::Repository(slug) => Collection {
                repositories: vec![RepositoryFacts {
                    slug: slug.clone(),
                    collector: "ci".into(),
                    facts: green(),
                }],
                ..Default::default()
            },
            // Also a repository's second component that is not in the catalog (yet).
            Scope::Entity { entity, .. } => Collection {
                facts: vec![
                    EntityFacts {
                        entity: "component:default/billing-worker".parse().unwrap(),
                        collector: "ci".into(),
                        facts: green(),
                    },
                    EntityFacts {
                        entity: entity.clone(),
                        collector: "ci".into(),
                        facts: green(),
                    },
                ],
                ..Default::default()
            },
            Scope::All => Collection::default(),
        })
    }
}

fn ci_green(health: &Value) -> &Value {
    health["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "ci-green-default-branch"))
        .expect("the check")
}

async fn last_run(s: &Running) -> Value {
    let (_, list) = s.get("/api/v1/collectors").await;
    let probe = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ci-probe")
        .cloned()
        .expect("listed");
    assert_eq!(probe["cadence"], Value::Null, "on demand only");
    probe["lastRuns"][0].clone()
}

async fn webhooks_refresh_and_stale_facts(db: &TestDb) {
    let mut config = settings();
    config.collectors.github_webhook = Some(WebhookSetting {
        secret_env: "GITHUB_WEBHOOK_SECRET".into(),
    });
    let env = |v: &str| (v == "GITHUB_WEBHOOK_SECRET").then(|| SECRET.to_string());
    let sources = Sources {
        demo: true,
        ..Default::default()
    };
    let app = App::start_with_env(config, sources, &db.url, &env)
        .await
        .expect("app starts");
    let probe = Arc::new(CiProbe::default());
    app.runner
        .register(probe.clone(), None)
        .expect("registered");
    let s = serve_app(app).await;
    let (_, before) = s.get(&format!("{BILLING}/health")).await;
    assert_eq!(ci_green(&before)["status"], "fail", "the demo's CI is red");

    // A push to billing-service's repository, as GitHub delivers it.
    let push = json!({
        "ref": "refs/heads/main", "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5",
        "repository": { "id": 186853002, "name": "billing-service",
                        "full_name": "acme/billing-service", "private": true,
                        "default_branch": "main" },
        "pusher": { "name": "octocat" }
    });
    let body = serde_json::to_vec(&push).unwrap();
    for bad in [
        None,
        Some(sign(b"not-the-secret", &body)),
        Some("sha256=00".into()),
    ] {
        let (status, err) = deliver(&s, "push", &push, bad).await;
        assert_eq!(status, 401, "{err}");
        assert_eq!(err["error"]["code"], "invalid-signature");
    }
    assert!(
        probe.scopes.lock().is_empty(),
        "nothing ran for a bad delivery"
    );

    let (status, accepted) = deliver(&s, "push", &push, Some(sign(SECRET.as_bytes(), &body))).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["repository"], "acme/billing-service");
    assert_eq!(accepted["scheduled"], json!(["ci-probe"]));
    assert_eq!(
        accepted["entities"],
        json!(["component:default/billing-service"])
    );
    let mut after = Value::Null;
    for _ in 0..100 {
        after = s.get(&format!("{BILLING}/health")).await.1;
        if ci_green(&after)["status"] == "pass" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ci_green(&after)["status"], "pass", "re-collected: {after}");
    assert_eq!(
        *probe.scopes.lock(),
        vec![Scope::Repository("acme/billing-service".into())]
    );
    let run = last_run(&s).await;
    assert_eq!(
        (run["trigger"].as_str(), run["status"].as_str()),
        (Some("webhook"), Some("ok")),
        "{run}"
    );
    assert_eq!(run["scope"], "repository:acme/billing-service");
    assert_eq!(run["entitiesTouched"], 1);

    // Events that do not change a repository's files are acknowledged and ignored.
    let star =
        json!({ "action": "created", "repository": { "full_name": "acme/billing-service" } });
    let star_sig = sign(SECRET.as_bytes(), &serde_json::to_vec(&star).unwrap());
    let (status, ignored) = deliver(&s, "star", &star, Some(star_sig)).await;
    assert_eq!((status, ignored["scheduled"].clone()), (202, json!([])));
    assert_eq!(probe.scopes.lock().len(), 1);

    // Refresh: a reader re-evaluates only; a `facts:write` token re-collects the entity first.
    let refresh = format!("{BILLING}/refresh");
    assert_eq!(s.post(&refresh, None, &json!({})).await.0, 200);
    assert_eq!(probe.scopes.lock().len(), 1);
    let (status, _) = s.post(&refresh, Some(WRITER), &json!({})).await;
    assert_eq!(status, 200);
    assert!(matches!(
        probe.scopes.lock().last(),
        Some(Scope::Entity { entity, repository: Some(r) })
            if entity.to_string() == "component:default/billing-service" && r == "acme/billing-service"
    ));
    // The item the service refuses is reported; the rest is stored.
    let run = last_run(&s).await;
    assert_eq!(
        (run["trigger"].as_str(), run["status"].as_str()),
        (Some("refresh"), Some("partial")),
        "{run}"
    );
    assert!(
        run["errors"][0]
            .as_str()
            .unwrap()
            .contains("billing-worker is not in the catalog"),
        "{run}"
    );
    assert_eq!(run["entitiesTouched"], 1, "{run}");

    // The CI server goes down: the last good facts stay, marked stale, the error is visible.
    probe.failing.store(true, Ordering::SeqCst);
    let (status, stale) = s.post(&refresh, Some(WRITER), &json!({})).await;
    assert_eq!(status, 200, "{stale}");
    assert_eq!(ci_green(&stale)["status"], "pass", "facts kept: {stale}");
    assert_eq!(ci_green(&stale)["facts"]["ciGreenOnDefaultBranch"], true);
    let marks = stale["stale"].as_array().expect("stale marks");
    assert_eq!(marks.len(), 1, "{stale}");
    assert_eq!(marks[0]["collector"], "ci");
    assert!(marks[0]["reason"].as_str().unwrap().contains("503"));
    let since = marks[0]["since"].clone();
    let q =
        r#"{ entity(ref: "component:default/billing-service") { stale { collector reason } } }"#;
    let (_, graph) = s.post("/graphql", None, &json!({ "query": q })).await;
    assert_eq!(
        graph["data"]["entity"]["stale"][0]["collector"], "ci",
        "{graph}"
    );
    let run = last_run(&s).await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(run["errors"][0].as_str().unwrap().contains("503"), "{run}");
    let stored = s.app.store.stale_marks().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].entity_ref, "component:default/billing-service");
    let restarted = App::start(
        settings(),
        Sources {
            demo: true,
            ..Default::default()
        },
        &db.url,
    )
    .await
    .expect("restarts");
    let billing = "component:default/billing-service".parse().unwrap();
    let kept = restarted.fleet().stale_facts(&billing);
    assert_eq!(kept.len(), 1, "the mark survives a restart");
    let first: chrono::DateTime<chrono::Utc> = since.as_str().unwrap().parse().unwrap();
    let drift = (kept[0].since - first).num_microseconds().unwrap().abs();
    assert!(drift < 1000, "the same time, to the store's precision");

    // Still down: still stale since the first failure. Back up: the mark goes.
    let (_, again) = s.post(&refresh, Some(WRITER), &json!({})).await;
    assert_eq!(again["stale"][0]["since"], since);
    probe.failing.store(false, Ordering::SeqCst);
    let (_, fresh) = s.post(&refresh, Some(WRITER), &json!({})).await;
    assert_eq!(fresh["stale"], json!([]), "{fresh}");
    assert!(s.app.store.stale_marks().await.unwrap().is_empty());
}

on_both_stores! {
    webhooks_refresh_and_stale_facts => super::webhooks_refresh_and_stale_facts;
}

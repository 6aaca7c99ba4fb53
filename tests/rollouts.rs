//! Fleet change rollouts through HTTP, on SQLite and on Postgres: the example log4j change is
//! created, its waves advance by themselves as outcomes arrive and soaks end, a burst of CI
//! failures (one reported by the orchestrator, one by GitHub) pauses it with its reasons, a
//! person resumes it, it survives a restart and ends done; every transition is audited and sent
//! once per event id.

mod service_support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::{Value, json};
use service_support::governance::{demo, settings, start_clock};
use service_support::hooks::{Inbox, SECRET, SECRET_ENV, receiver, wait_for};
use service_support::{READER, Running, TestDb, WRITER, hash, serve_app};
use tech_health::service::App;
use tech_health::settings::{SettingsFile, TokenSetting, WebhookSetting};

const BOT: &str = "fleet-bot-token-for-tests";
const GITHUB_SECRET: &str = "github-webhook-secret-for-tests";

const FEATURE_FLAGS: &str = "component:default/feature-flags";
const ROYALTY: &str = "component:default/royalty-calculator";
const INGESTION: &str = "component:default/ingestion-pipeline";
const PAYMENTS: &str = "component:default/payment-gateway-adapter";
const PODCASTS: &str = "component:default/podcast-catalog";
const SEARCH: &str = "component:default/search-service";
const PLAYLISTS: &str = "component:default/playlist-service";

fn rollout_settings(hook: &str) -> SettingsFile {
    let mut s = settings();
    s.auth.tokens.push(TokenSetting {
        name: "fleet-bot".into(),
        sha256: hash(BOT),
        scopes: vec!["changes:write".into()],
    });
    s.events.webhooks = vec![WebhookSetting {
        url: hook.into(),
        secret_env: SECRET_ENV.into(),
    }];
    s.events.retry_base_ms = 50;
    s.collectors.github_webhook = Some(tech_health::collectors::settings::WebhookSetting {
        secret_env: "GITHUB_WEBHOOK_SECRET".into(),
    });
    s
}

async fn start(db: &TestDb, settings: &SettingsFile) -> Running {
    // The events' webhook secret is read from the process environment.
    // SAFETY: every test sets the same value; nothing reads it concurrently with a change.
    unsafe { std::env::set_var(SECRET_ENV, SECRET) };
    let env = |v: &str| match v {
        "GITHUB_WEBHOOK_SECRET" => Some(GITHUB_SECRET.to_string()),
        v if v == SECRET_ENV => Some(SECRET.to_string()),
        _ => None,
    };
    let app = App::start_with_env(settings.clone(), demo(), &db.url, &env)
        .await
        .expect("app starts");
    serve_app(app).await
}

/// The example change of the README, starting when it is created.
fn example_change() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/fleet/changes/log4j.yaml"
    ))
    .unwrap();
    let mut change: Value = serde_saphyr::from_str(&text).unwrap();
    change.as_object_mut().unwrap().remove("start");
    change
}

async fn report(s: &Running, id: &str, items: Value) -> (u16, Value) {
    s.post(
        &format!("/api/v1/changes/{id}/outcomes"),
        Some(BOT),
        &json!({ "outcomes": items }),
    )
    .await
}

fn merged(entity: &str) -> Value {
    json!({ "entity": entity, "outcome": "merged",
            "prUrl": format!("https://github.com/acme/{}/pull/1", entity.rsplit('/').next().unwrap()) })
}

/// Waits (up to 10 s) until the change is in `state`, moved by the controller on its own.
async fn wait_state(s: &Running, id: &str, state: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        let (status, c) = s.get(&format!("/api/v1/changes/{id}")).await;
        assert_eq!(status, 200, "{c}");
        if c["state"] == state {
            return c;
        }
        last = c;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the change never reached {state}: {last:#}");
}

fn advance(s: &Running, at: &mut DateTime<Utc>, minutes: i64) {
    *at += chrono::Duration::minutes(minutes);
    s.app.set_clock(Some(*at));
}

async fn github(s: &Running, event: &str, payload: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(payload).unwrap();
    let r = s
        .http
        .post(format!("{}/api/v1/webhooks/github", s.base))
        .header("X-GitHub-Event", event)
        .header("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .header(
            "X-Hub-Signature-256",
            tech_health::collectors::webhook::sign(GITHUB_SECRET.as_bytes(), &body),
        )
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn graphql(s: &Running, token: Option<&str>, query: &str) -> (u16, Value) {
    s.post("/graphql", token, &json!({ "query": query })).await
}

fn entities(list: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["entity"].as_str().unwrap())
        .collect();
    out.sort();
    out
}

async fn the_example_change_runs_end_to_end(db: &TestDb) {
    let inbox = Arc::new(Mutex::new(Inbox::default()));
    let (hook, _receiver) = receiver(inbox.clone()).await;
    let config = rollout_settings(&hook);
    let s = start(db, &config).await;
    let mut now = start_clock(&s);

    // Created by the fleet bot only.
    let change = example_change();
    let (status, _) = s.post("/api/v1/changes", None, &change).await;
    assert_eq!(status, 401);
    let (status, e) = s.post("/api/v1/changes", Some(WRITER), &change).await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["error"]["details"]["scope"], "changes:write");
    let (status, c) = s.post("/api/v1/changes", Some(BOT), &change).await;
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["state"], "wave-0-active", "it starts at once: {c:#}");
    let names: Vec<&str> = c["waveViews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["platform", "canary", "silver", "rest"]);
    assert_eq!(c["totals"]["active"], 1);
    assert_eq!(
        c["totals"]["planned"], 6,
        "seven eligible users of log4j-core <2.17.1"
    );
    let (_, list) = s
        .get("/api/v1/changes?team=group:default/team-discovery&open=true")
        .await;
    assert_eq!(list[0]["team"]["planned"], 3, "{list}");

    // Wave 0 (platform): the orchestrator's one component; merged, soaked 30 minutes.
    let (_, next) = s.get(&format!("/api/v1/changes/{id}/next")).await;
    assert_eq!(entities(&next["items"]), [FEATURE_FLAGS]);
    assert_eq!(next["items"][0]["repository"], "acme/feature-flags");
    let (status, r) = report(&s, &id, json!([{ "entity": SEARCH, "outcome": "opened" }])).await;
    assert_eq!(status, 422, "a later wave's component: {r}");
    assert!(
        r["error"]["details"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("wave 2, which has not started"),
        "{r}"
    );
    let (status, r) = report(&s, &id, json!([merged(FEATURE_FLAGS)])).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["state"], "wave-0-active", "still soaking");
    let (_, c) = s.get(&format!("/api/v1/changes/{id}")).await;
    let soak = &c["waveViews"][0]["criteria"][0];
    assert_eq!(
        (soak["criterion"].as_str(), soak["status"].as_str()),
        (Some("minSoakMinutes"), Some("amber"))
    );
    advance(&s, &mut now, 31);
    wait_state(&s, &id, "wave-1-active").await;

    // Wave 1 (canary).
    report(&s, &id, json!([merged(ROYALTY)])).await;
    advance(&s, &mut now, 61);
    let c = wait_state(&s, &id, "wave-2-active").await;
    assert_eq!(c["waveViews"][1]["state"], "complete");

    // Wave 2 (silver): four components; two fail CI — one reported by the orchestrator, one
    // by GitHub's check suite on the pull request GitHub said was opened.
    let (_, next) = s.get(&format!("/api/v1/changes/{id}/next")).await;
    assert_eq!(
        entities(&next["items"]),
        [INGESTION, PAYMENTS, PODCASTS, SEARCH]
    );
    let opened = json!({ "action": "opened", "repository": { "full_name": "acme/podcast-catalog" },
        "pull_request": { "number": 412, "html_url": "https://github.com/acme/podcast-catalog/pull/412",
                          "title": "Bump log4j-core to 2.17.1", "merged": false,
                          "head": { "ref": "fleet/log4j-2.17.1" }, "labels": [{ "name": "fleet:log4j" }] } });
    let (status, hooked) = github(&s, "pull_request", &opened).await;
    assert_eq!(status, 202, "{hooked}");
    assert_eq!(hooked["outcomes"][0]["entity"], PODCASTS, "{hooked}");
    assert_eq!(hooked["outcomes"][0]["outcome"], "opened");
    let (_, next) = s
        .http
        .get(format!("{}/api/v1/changes/{id}/next", s.base))
        .header("Accept", "application/x-ndjson")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| (0, t))
        .unwrap();
    assert_eq!(
        next.lines().count(),
        3,
        "podcast-catalog has its pull request: {next}"
    );
    report(
        &s,
        &id,
        json!([{ "entity": PAYMENTS, "outcome": "ci-failed" }]),
    )
    .await;
    let c = wait_state(&s, &id, "wave-2-active").await;
    assert_eq!(
        c["waveViews"][2]["counts"]["ciFailed"], 1,
        "1 of 4 is within 25 %"
    );
    let failed = json!({ "action": "completed", "repository": { "full_name": "acme/podcast-catalog" },
        "check_suite": { "conclusion": "failure", "head_branch": "fleet/log4j-2.17.1",
                         "pull_requests": [{ "number": 412 }] } });
    let (status, hooked) = github(&s, "check_suite", &failed).await;
    assert_eq!(status, 202, "{hooked}");
    assert_eq!(hooked["outcomes"][0]["outcome"], "ci-failed", "{hooked}");
    let c = wait_state(&s, &id, "paused").await;
    let reason = &c["pausedReasons"][0];
    assert_eq!(reason["criterion"], "maxFailedShare", "{c:#}");
    assert_eq!(reason["wave"], 2);
    assert_eq!(
        entities(&json!(
            reason["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| json!({"entity": e}))
                .collect::<Vec<_>>()
        )),
        [PAYMENTS, PODCASTS]
    );
    let red = &c["waveViews"][2]["criteria"][2];
    assert_eq!(
        (red["criterion"].as_str(), red["status"].as_str()),
        (Some("maxFailedShare"), Some("red"))
    );
    let (_, next) = s.get(&format!("/api/v1/changes/{id}/next")).await;
    assert_eq!(next["items"], json!([]), "nothing is offered while paused");

    // Outcomes still count while paused; time alone never resumes it.
    report(&s, &id, json!([merged(SEARCH)])).await;
    advance(&s, &mut now, 120);
    tokio::time::sleep(Duration::from_millis(300)).await;
    wait_state(&s, &id, "paused").await;

    // A person resumes it, with a reason; the failures standing are acknowledged.
    let (status, e) = s
        .post(
            &format!("/api/v1/changes/{id}/resume"),
            Some(BOT),
            &json!({ "reason": " " }),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, e) = s
        .post(
            &format!("/api/v1/changes/{id}/resume"),
            Some(READER),
            &json!({ "reason": "go" }),
        )
        .await;
    assert_eq!(status, 403, "{e}");
    let (status, r) = s
        .post(
            &format!("/api/v1/changes/{id}/resume"),
            Some(BOT),
            &json!({ "reason": "flaky contract test, fixed upstream" }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["transitions"][0]["to"], "wave-2-active");
    let (status, e) = s
        .post(
            &format!("/api/v1/changes/{id}/resume"),
            Some(BOT),
            &json!({ "reason": "again" }),
        )
        .await;
    assert_eq!(status, 409, "only a paused change resumes: {e}");
    report(
        &s,
        &id,
        json!([merged(PAYMENTS), merged(PODCASTS), merged(INGESTION)]),
    )
    .await;
    let c = wait_state(&s, &id, "wave-3-active").await;
    assert_eq!(c["waveViews"][2]["counts"]["merged"], 4);

    // Every event delivered, then a restart: the state is the store's.
    wait_for(&inbox, "the change's events so far", |i| {
        i.accepted.len() >= 9
    })
    .await;
    drop(s);
    let s = start(db, &config).await;
    s.app.set_clock(Some(now));
    let c = wait_state(&s, &id, "wave-3-active").await;
    assert_eq!(c["waveViews"][3]["counts"]["active"], 1);
    assert_eq!(c["totals"]["merged"], 6, "{c:#}");

    // Wave 3 (rest), then done.
    report(&s, &id, json!([merged(PLAYLISTS)])).await;
    advance(&s, &mut now, 61);
    wait_state(&s, &id, "done").await;
    let (status, e) = report(&s, &id, json!([merged(PLAYLISTS)])).await;
    assert_eq!(status, 409, "a done change takes no outcomes: {e}");

    // The audit log: every transition, who made it and why.
    let (_, t) = s.get(&format!("/api/v1/changes/{id}/transitions")).await;
    let moves: Vec<String> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["to"].as_str().unwrap(),
                t["actor"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            "wave-0-active controller",
            "wave-0-complete controller",
            "wave-1-active controller",
            "wave-1-complete controller",
            "wave-2-active controller",
            "paused controller",
            "wave-2-active fleet-bot",
            "wave-2-complete controller",
            "wave-3-active controller",
            "wave-3-complete controller",
            "done controller"
        ]
    );
    let (_, burnup) = s.get(&format!("/api/v1/changes/{id}/burnup")).await;
    assert_eq!(
        burnup.as_array().unwrap().last().unwrap()["merged"],
        7,
        "{burnup}"
    );

    // Every transition reached the webhook once per event id.
    wait_for(&inbox, "every transition", |i| {
        i.accepted
            .iter()
            .filter(|(_, e)| e["type"] == "change.state-changed")
            .count()
            >= 11
    })
    .await;
    let i = inbox.lock();
    let events: Vec<&Value> = i
        .accepted
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e["type"] == "change.state-changed" && e["change"] == id.as_str())
        .collect();
    assert_eq!(events.len(), 11, "one event per transition");
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 11, "once per id");
    let paused = events
        .iter()
        .find(|e| e["after"]["state"] == "paused")
        .unwrap();
    assert_eq!(paused["after"]["reasons"][0]["criterion"], "maxFailedShare");
}

async fn graphql_reads_and_steers_changes(db: &TestDb) {
    let s = start(db, &rollout_settings("http://127.0.0.1:9/unused")).await;
    start_clock(&s);
    let create = format!(
        "mutation {{ createChange(input: {}) {{ id state }} }}",
        async_graphql::Value::from_json(example_change()).unwrap()
    );
    let (status, _) = graphql(&s, None, &create).await;
    assert_eq!(status, 401, "a mutation needs a token");
    let (status, e) = graphql(&s, Some(READER), &create).await;
    assert_eq!(status, 403, "{e}");
    let (status, r) = graphql(&s, Some(BOT), &create).await;
    assert_eq!(status, 200, "{r}");
    let id = r["data"]["createChange"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(r["data"]["createChange"]["state"], "wave-0-active");

    let q = format!(
        "{{ change(id: \"{id}\") {{ state waveViews {{ name state criteria {{ criterion status }} }} }} changeNext(id: \"{id}\") {{ items {{ entity }} }} }}"
    );
    let (_, r) = graphql(&s, None, &q).await;
    assert_eq!(
        r["data"]["change"]["waveViews"][0]["name"], "platform",
        "{r}"
    );
    assert_eq!(r["data"]["changeNext"]["items"][0]["entity"], FEATURE_FLAGS);

    let report = format!(
        "mutation {{ reportOutcomes(id: \"{id}\", outcomes: [{{ entity: \"{FEATURE_FLAGS}\", outcome: CI_FAILED }}]) {{ state transitions {{ to reasons {{ components }} }} }} }}"
    );
    let (_, r) = graphql(&s, Some(BOT), &report).await;
    assert_eq!(
        r["data"]["reportOutcomes"]["state"], "paused",
        "1 of 1 failed: {r}"
    );
    assert_eq!(
        r["data"]["reportOutcomes"]["transitions"][0]["reasons"][0]["components"][0],
        FEATURE_FLAGS
    );
    let cancel = format!(
        "mutation {{ cancelChange(id: \"{id}\", reason: \"log4j-core is being removed instead\") {{ state }} }}"
    );
    let (_, r) = graphql(&s, Some(BOT), &cancel).await;
    assert_eq!(r["data"]["cancelChange"]["state"], "cancelled", "{r}");
    let (_, r) = graphql(&s, Some(BOT), &cancel).await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already cancelled"),
        "{r}"
    );
}

async fn bad_changes_are_refused_with_their_fields(db: &TestDb) {
    let s = start(db, &rollout_settings("http://127.0.0.1:9/unused")).await;
    let bad = json!({ "name": " ", "owner": "group:default/platform",
        "target": { "technology": "log4j-core" },
        "criteria": { "maxFailedShare": 1.5, "checksAfter": ["no-such-check"] },
        "waveCriteria": { "nightly": { "minSoakMinutes": 5 } } });
    let (status, e) = s.post("/api/v1/changes", Some(BOT), &bad).await;
    assert_eq!(status, 422, "{e}");
    let paths: Vec<&str> = e["error"]["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/name",
            "/target/technology",
            "/criteria/maxFailedShare",
            "/criteria/checksAfter/0",
            "/waveCriteria/nightly"
        ],
        "{e}"
    );
    let (_, list) = s.get("/api/v1/changes").await;
    assert_eq!(list, json!([]), "nothing stored");
    let (status, _) = s.get("/api/v1/changes/nope").await;
    assert_eq!(status, 404);
}

/// A planned component that loses eligibility before its wave starts drops out of it, with its
/// blocking reasons; the orchestrator is not offered it and its outcomes are refused.
async fn a_component_that_loses_eligibility_drops_out(db: &TestDb) {
    let s = start(db, &rollout_settings("http://127.0.0.1:9/unused")).await;
    start_clock(&s);
    let mut change = example_change();
    change["criteria"]["minSoakMinutes"] = json!(0);
    change["waveCriteria"]["platform"]["minSoakMinutes"] = json!(0);
    let (status, c) = s.post("/api/v1/changes", Some(BOT), &change).await;
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();

    // search-service (wave 2) turns red on its default branch while wave 0 runs.
    let red = json!([{ "entity": SEARCH, "collector": "ci",
                       "facts": { "ciGreenOnDefaultBranch": false } }]);
    let (status, r) = s.post("/api/v1/facts", Some(WRITER), &red).await;
    assert_eq!(status, 200, "{r}");
    report(&s, &id, json!([merged(FEATURE_FLAGS)])).await;
    wait_state(&s, &id, "wave-1-active").await;
    report(&s, &id, json!([merged(ROYALTY)])).await;
    let c = wait_state(&s, &id, "wave-2-active").await;
    assert_eq!(c["waveViews"][2]["counts"]["active"], 3, "{c:#}");
    assert_eq!(c["waveViews"][2]["counts"]["dropped"], 1);
    let (_, dropped) = s
        .get(&format!(
            "/api/v1/changes/{id}/components?wave=2&state=dropped"
        ))
        .await;
    assert_eq!(entities(&dropped), [SEARCH]);
    let reasons = dropped[0]["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("ci-red: ")),
        "{dropped}"
    );
    let (_, next) = s.get(&format!("/api/v1/changes/{id}/next")).await;
    assert_eq!(entities(&next["items"]), [INGESTION, PAYMENTS, PODCASTS]);
    let (status, e) = report(&s, &id, json!([merged(SEARCH)])).await;
    assert_eq!(status, 422, "{e}");
    assert!(
        e["error"]["details"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("dropped"),
        "{e}"
    );
}

on_both_stores! {
    the_example_change_runs_end_to_end => super::the_example_change_runs_end_to_end;
    graphql_reads_and_steers_changes => super::graphql_reads_and_steers_changes;
    bad_changes_are_refused_with_their_fields => super::bad_changes_are_refused_with_their_fields;
    a_component_that_loses_eligibility_drops_out => super::a_component_that_loses_eligibility_drops_out;
}

/// Once a wave has soaked, only an outcome, an evaluation or a person can move it on: the
/// leader's clock leaves the controller alone meanwhile (it used to run it every 10 ms, the
/// passed soak end standing as the next deadline). Seen on the real process's `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soaked_wave_waiting_for_outcomes_leaves_the_controller_idle() {
    const TOKEN: &str = "idle-controller-admin-token";
    let data = tempfile::tempdir().unwrap();
    let s = service_support::process::Served::start(data.path(), TOKEN, |_| {});
    let http = reqwest::Client::new();
    let change = json!({
        "name": "log4j-core 2.17.1 everywhere", "owner": "group:default/platform",
        "target": { "technology": "log4j-core <2.17.1" },
        // Soaked at once, complete only when every component merged: it waits for outcomes.
        "criteria": { "minSoakMinutes": 0, "minMergedShare": 1.0 }
    });
    let created: Value = http
        .post(format!("{}/api/v1/changes", s.base))
        .bearer_auth(TOKEN)
        .json(&change)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["state"], "wave-0-active", "{created}");
    let controls = || async {
        service_support::metrics(&http, &s.base)
            .await
            .lines()
            .find_map(|l| l.strip_prefix("tech_health_fleet_change_controls_total "))
            .map_or(0.0, |v| v.trim().parse::<f64>().unwrap())
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = controls().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = controls().await;
    assert!(
        after - before <= 4.0,
        "the controller ran {} times in 2 s with nothing to move",
        after - before
    );
}

//! Outbound events through HTTP, on SQLite and on Postgres: a webhook receiver gets each
//! change once per event id, signed, across failed deliveries and a restart of the service.

mod service_support;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use service_support::governance::{CAMPAIGNER, ci, demo, rfc, settings, start_clock};
use service_support::hooks::{Inbox, SECRET, SECRET_ENV, receiver, wait_for};
use service_support::{TestDb, WRITER, serve};
use tech_health::settings::WebhookSetting;

fn of(inbox: &Inbox, kind: &str, entity: &str) -> Vec<Value> {
    inbox
        .accepted
        .iter()
        .filter(|(_, e)| e["type"] == kind && (e["entity"] == entity || e["campaign"] == entity))
        .map(|(_, e)| e.clone())
        .collect()
}

async fn events_reach_the_webhook_once_per_id(db: &TestDb) {
    // SAFETY: every test sets the same value; nothing reads it concurrently with a change.
    unsafe { std::env::set_var(SECRET_ENV, SECRET) };
    let inbox = Arc::new(Mutex::new(Inbox {
        fail_next: 2,
        ..Default::default()
    }));
    let (url, _receiver) = receiver(inbox.clone()).await;
    let mut settings = settings();
    settings.events.webhooks = vec![WebhookSetting {
        url,
        secret_env: SECRET_ENV.into(),
    }];
    settings.events.retry_base_ms = 50;
    let s = serve(db, settings.clone(), demo()).await;
    let t0 = start_clock(&s);
    const ENTITY: &str = "component:default/billing-service";

    // A campaign that only billing-service keeps from done, and that starts in an hour.
    let campaign = json!({ "name": "Billing builds green", "owner": "group:default/team-billing",
        "goal": { "checks": ["ci-green-default-branch"] },
        "scope": { "owner": "group:default/team-billing", "tags": ["billing"] },
        "start": rfc(t0 + chrono::Duration::hours(1)),
        "deadline": rfc(t0 + chrono::Duration::days(30)) });
    let (status, c) = s
        .post("/api/v1/campaigns", Some(CAMPAIGNER), &campaign)
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["state"], "scheduled");
    assert_eq!(c["progress"]["toDo"], 1, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    s.app.set_clock(Some(t0 + chrono::Duration::hours(2)));
    wait_for(&inbox, "the campaign becoming active", |i| {
        !of(i, "campaign.state-changed", &cid).is_empty()
    })
    .await;

    // The build goes green: the level moves; the first two deliveries fail and are retried.
    let (status, _) = s
        .post("/api/v1/facts", Some(WRITER), &ci(ENTITY, true))
        .await;
    assert_eq!(status, 200);
    wait_for(&inbox, "the level change", |i| {
        !of(i, "entity.level-changed", ENTITY).is_empty()
            && !of(i, "entity.eligibility-changed", ENTITY).is_empty()
            && of(i, "campaign.state-changed", &cid).len() == 2
    })
    .await;
    {
        let i = inbox.lock();
        assert!(
            i.attempts >= i.accepted.len() + 2,
            "two failures were retried"
        );
        let level = &of(&i, "entity.level-changed", ENTITY)[0];
        assert_eq!(
            level["before"]["levels"]["fleet-readiness"], "bronze",
            "{level}"
        );
        assert_eq!(
            level["after"]["levels"]["fleet-readiness"], "silver",
            "{level}"
        );
        assert!(level["occurredAt"].is_string());
        let eligibility = of(&i, "entity.eligibility-changed", ENTITY);
        assert_eq!(eligibility.len(), 1, "{:?}", i.accepted);
        assert_eq!(eligibility[0]["before"]["eligible"], false);
        assert_eq!(eligibility[0]["after"]["eligible"], true);
        assert!(
            eligibility[0]["before"]["blocking"]
                .as_array()
                .unwrap()
                .contains(&json!("ci-red"))
        );
        let states: Vec<(Value, Value)> = of(&i, "campaign.state-changed", &cid)
            .iter()
            .map(|e| (e["before"]["state"].clone(), e["after"]["state"].clone()))
            .collect();
        assert_eq!(
            states,
            vec![
                (json!("scheduled"), json!("active")),
                (json!("active"), json!("done"))
            ]
        );
    }

    // The receiver goes down; the build goes red; the service restarts before delivery.
    inbox.lock().down = true;
    let attempts = inbox.lock().attempts;
    s.post("/api/v1/facts", Some(WRITER), &ci(ENTITY, false))
        .await;
    wait_for(&inbox, "a failed attempt", |i| i.attempts > attempts).await;
    // Stopped for good: nothing of the first service is left to deliver.
    let gone = Arc::downgrade(&s.app);
    drop(s);
    for _ in 0..100 {
        if gone.upgrade().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        gone.upgrade().is_none(),
        "the first service is still running"
    );
    inbox.lock().down = false;
    let s = serve(db, settings, demo()).await;
    s.app.set_clock(Some(t0 + chrono::Duration::hours(3)));
    wait_for(&inbox, "the pending events after the restart", |i| {
        of(i, "entity.level-changed", ENTITY).len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let i = inbox.lock();
    let back = &of(&i, "entity.level-changed", ENTITY)[1];
    assert_eq!(back["after"]["levels"]["fleet-readiness"], "bronze");
    let mut ids: Vec<&String> = i.accepted.iter().map(|(id, _)| id).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each event id is accepted once");
    drop(s);
}

on_both_stores! {
    events_reach_the_webhook_once_per_id => super::events_reach_the_webhook_once_per_id;
}

/// A webhook whose secret is not in the environment stops start-up, naming the setting.
#[tokio::test]
async fn a_webhook_without_its_secret_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.yaml");
    std::fs::write(
        &file,
        "exemptions: { maxDays: 14 }\nevents:\n  webhooks:\n    - { url: 'http://127.0.0.1:9/hook', secretEnv: TECH_HEALTH_TEST_UNSET_SECRET }\n  retryBaseMs: 250\n",
    )
    .unwrap();
    let read = tech_health::settings::SettingsFile::read(&file).expect("settings read");
    assert_eq!(read.exemptions.max_days, 14);
    assert_eq!(read.events.retry_base_ms, 250);
    let db = TestDb::sqlite();
    let err = tech_health::service::App::start(read, demo(), &db.url)
        .await
        .err()
        .expect("refused");
    let message = err.to_string();
    assert!(
        message.contains("events.webhooks[0].secretEnv")
            && message.contains("TECH_HEALTH_TEST_UNSET_SECRET"),
        "{message}"
    );
    std::fs::write(&file, "events: { webhooks: [{ url: x }] }\n").unwrap();
    let err = tech_health::settings::SettingsFile::read(&file)
        .expect_err("a webhook needs its secretEnv");
    assert!(err.to_string().contains("settings.yaml:1"), "{err}");
}

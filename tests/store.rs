//! One behaviour contract for both stores: the same suite runs on SQLite and on Postgres.

mod service_support;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use service_support::TestDb;
use tech_health::store::{
    self, AuditRow, CampaignRow, ChangeSet, ExemptionRow, FactRow, GroupRow, OutboxRow,
    ProgressRow, ResultRow, Retention, RunRow, StaleMark, StoredEntity,
};

fn entity(r: &str) -> StoredEntity {
    let (kind, rest) = r.split_once(':').unwrap();
    let name = rest.split('/').nth(1).unwrap();
    StoredEntity {
        entity_ref: r.into(),
        kind: kind.into(),
        body: json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                     "metadata": {"name": name, "namespace": "default"}, "spec": {"owner": "team-a", "type": "service"}}),
        source: "api".into(),
    }
}

fn facts(r: &str, collector: &str, v: i64, at: chrono::DateTime<Utc>) -> FactRow {
    FactRow {
        entity_ref: r.into(),
        collector: collector.into(),
        facts: json!({"testFileCount": v}),
        observed_at: at,
    }
}

fn result(r: &str, golden: bool, at: chrono::DateTime<Utc>) -> ResultRow {
    ResultRow {
        entity_ref: r.into(),
        golden,
        eligible: !golden,
        levels: json!({"basics": if golden { "gold" } else { "bronze" }}),
        statuses: json!({"ci-configured": "pass"}),
        blocking: json!([]),
        evaluated_at: at,
    }
}

const A: &str = "component:default/a";
const B: &str = "component:default/b";

async fn round_trip(db: &TestDb) {
    let s = store::open(&db.url).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    let change = ChangeSet {
        upsert_entities: vec![entity(A), entity(B)].into(),
        facts: vec![
            facts(A, "ci", 1, t0),
            facts(A, "github", 2, t0),
            facts(B, "ci", 3, t0),
        ],
        results: vec![result(A, true, t0), result(B, false, t0)].into(),
        aggregates: vec![GroupRow {
            group_ref: "group:default/team-a".into(),
            summary: json!({"components": 2}),
        }],
        ..Default::default()
    };
    s.commit(&change, t0).await.unwrap();
    let entities = s.entities().await.unwrap();
    assert_eq!(entities, vec![entity(A), entity(B)]);
    let latest = s.latest_facts().await.unwrap();
    assert_eq!(latest.len(), 3);
    assert_eq!(latest[0], facts(A, "ci", 1, t0));
    assert_eq!(s.result(A).await.unwrap(), Some(result(A, true, t0)));
    assert_eq!(s.results().await.unwrap().len(), 2);
    assert_eq!(
        s.aggregate("group:default/team-a").await.unwrap(),
        Some(json!({"components": 2}))
    );

    // A newer batch replaces the latest and joins the history, newest first.
    let t1 = t0 + Duration::hours(1);
    let later = ChangeSet {
        facts: vec![facts(A, "ci", 10, t1)],
        results: vec![result(A, false, t1)].into(),
        aggregates: vec![GroupRow {
            group_ref: "group:default/team-a".into(),
            summary: json!({"components": 3}),
        }],
        ..Default::default()
    };
    s.commit(&later, t1).await.unwrap();
    let history = s.fact_history(A, Some("ci"), 10).await.unwrap();
    assert_eq!(history, vec![facts(A, "ci", 10, t1), facts(A, "ci", 1, t0)]);
    assert_eq!(s.fact_history(A, None, 10).await.unwrap().len(), 3);
    assert_eq!(s.fact_history(A, None, 1).await.unwrap().len(), 1);
    assert!(!s.result(A).await.unwrap().unwrap().golden);
    // One snapshot per group and day: the last of the day.
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    assert_eq!(
        s.snapshots("group:default/team-a", day).await.unwrap(),
        vec![(day, json!({"components": 3}))]
    );
    let t2 = t0 + Duration::days(1);
    let next_day = ChangeSet {
        aggregates: vec![GroupRow {
            group_ref: "group:default/team-a".into(),
            summary: json!({"components": 4}),
        }],
        ..Default::default()
    };
    s.commit(&next_day, t2).await.unwrap();
    let snaps = s.snapshots("group:default/team-a", day).await.unwrap();
    assert_eq!(snaps.len(), 2);
    assert_eq!(
        snaps[1],
        (day.succ_opt().unwrap(), json!({"components": 4}))
    );
    assert_eq!(
        s.snapshots("group:default/team-a", day.succ_opt().unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    let many = s
        .snapshots_of(
            &["group:default/team-a".into(), "group:default/none".into()],
            day,
        )
        .await
        .unwrap();
    assert_eq!(many.len(), 2);

    // An entity that leaves the catalog leaves with its facts, history and results.
    s.commit(
        &ChangeSet {
            delete_entities: vec![A.into()],
            ..Default::default()
        },
        t2,
    )
    .await
    .unwrap();
    assert_eq!(s.entities().await.unwrap(), vec![entity(B)]);
    assert!(
        s.latest_facts()
            .await
            .unwrap()
            .iter()
            .all(|f| f.entity_ref == B)
    );
    assert!(s.fact_history(A, None, 10).await.unwrap().is_empty());
    assert_eq!(s.result(A).await.unwrap(), None);
    let counts = s.counts().await.unwrap();
    assert_eq!(
        (
            counts.entities,
            counts.facts,
            counts.fact_history,
            counts.results
        ),
        (1, 1, 1, 1)
    );

    // A full re-evaluation replaces every result and rollup.
    s.commit(
        &ChangeSet {
            replace_all: true,
            results: vec![result(B, true, t2)].into(),
            ..Default::default()
        },
        t2,
    )
    .await
    .unwrap();
    assert_eq!(s.results().await.unwrap(), vec![result(B, true, t2)]);
    assert_eq!(s.aggregate("group:default/team-a").await.unwrap(), None);
    s.ping().await.unwrap();
}

async fn a_failed_change_writes_nothing(db: &TestDb) {
    let s = store::open(&db.url).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    s.commit(
        &ChangeSet {
            upsert_entities: vec![entity(A)].into(),
            ..Default::default()
        },
        t0,
    )
    .await
    .unwrap();
    // Facts of an entity the store does not hold break the foreign key: the whole change fails.
    let bad = ChangeSet {
        upsert_entities: vec![entity(B)].into(),
        facts: vec![
            facts(A, "ci", 1, t0),
            facts("component:default/ghost", "ci", 1, t0),
        ],
        ..Default::default()
    };
    assert!(s.commit(&bad, t0).await.is_err());
    assert_eq!(s.entities().await.unwrap(), vec![entity(A)]);
    assert!(s.latest_facts().await.unwrap().is_empty());
    assert_eq!(s.counts().await.unwrap().fact_history, 0);
}

async fn history_is_pruned_by_age_and_count(db: &TestDb) {
    let s = store::open(&db.url).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    s.commit(
        &ChangeSet {
            upsert_entities: vec![entity(A), entity(B)].into(),
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap();
    for i in 0..6 {
        let at = now - Duration::days(40) + Duration::days(i * 7);
        let c = ChangeSet {
            facts: vec![facts(A, "ci", i, at), facts(B, "ci", i, at)],
            ..Default::default()
        };
        s.commit(&c, at).await.unwrap();
    }
    // Six batches each, 40, 33, 26, 19, 12 and 5 days old: 30 days drops two, then 3 per entity.
    let gone = s
        .prune_history(
            Retention {
                max_age_days: 30,
                max_per_entity: 3,
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(gone, 6);
    let kept: Vec<i64> = s
        .fact_history(A, Some("ci"), 10)
        .await
        .unwrap()
        .iter()
        .map(|f| f.facts["testFileCount"].as_i64().unwrap())
        .collect();
    assert_eq!(kept, vec![5, 4, 3]);
    assert_eq!(s.counts().await.unwrap().fact_history, 6);
    assert_eq!(
        s.latest_facts().await.unwrap().len(),
        2,
        "the latest facts are never pruned"
    );
}

fn run(collector: &str, at: chrono::DateTime<Utc>, status: &str, errors: &[&str]) -> RunRow {
    RunRow {
        id: 0,
        collector: collector.into(),
        trigger: "schedule".into(),
        scope: "all".into(),
        started_at: at,
        finished_at: at + Duration::seconds(2),
        status: status.into(),
        entities_touched: 3,
        errors: errors.iter().map(|e| e.to_string()).collect(),
    }
}

fn mark(r: &str, collector: &str, reason: &str, since: chrono::DateTime<Utc>) -> StaleMark {
    StaleMark {
        entity_ref: r.into(),
        collector: collector.into(),
        reason: reason.into(),
        since,
    }
}

async fn stale_marks_and_collector_runs(db: &TestDb) {
    let s = store::open(&db.url).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    s.commit(
        &ChangeSet {
            upsert_entities: vec![entity(A), entity(B)].into(),
            facts: vec![facts(A, "ci", 1, t0), facts(B, "ci", 2, t0)],
            ..Default::default()
        },
        t0,
    )
    .await
    .unwrap();
    // A mark needs facts to mark: the one on B's absent `github` facts is dropped.
    let t1 = t0 + Duration::hours(1);
    let marks = ChangeSet {
        stale: vec![
            mark(A, "ci", "CI answered 503", t1),
            mark(B, "github", "rate limited", t1),
        ],
        ..Default::default()
    };
    s.commit(&marks, t1).await.unwrap();
    assert_eq!(
        s.stale_marks().await.unwrap(),
        vec![mark(A, "ci", "CI answered 503", t1)]
    );
    // Marked again later: the reason is the latest, the time the first.
    let t2 = t1 + Duration::hours(1);
    let again = ChangeSet {
        stale: vec![mark(A, "ci", "CI timed out", t2)],
        ..Default::default()
    };
    s.commit(&again, t2).await.unwrap();
    assert_eq!(
        s.stale_marks().await.unwrap(),
        vec![mark(A, "ci", "CI timed out", t1)]
    );
    assert_eq!(
        s.latest_facts().await.unwrap()[0],
        facts(A, "ci", 1, t0),
        "the facts stay"
    );
    // Fresh facts clear the mark.
    let fresh = ChangeSet {
        facts: vec![facts(A, "ci", 5, t2)],
        ..Default::default()
    };
    s.commit(&fresh, t2).await.unwrap();
    assert!(s.stale_marks().await.unwrap().is_empty());

    let first = s
        .record_run(&run("backstage", t0, "ok", &[]))
        .await
        .unwrap();
    let second = s
        .record_run(&run(
            "backstage",
            t1,
            "failed",
            &["the catalog refused the request (401)"],
        ))
        .await
        .unwrap();
    s.record_run(&run("github", t2, "ok", &[])).await.unwrap();
    assert!(second > first);
    let runs = s.runs("backstage", 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0],
        RunRow {
            id: second,
            ..run(
                "backstage",
                t1,
                "failed",
                &["the catalog refused the request (401)"]
            )
        }
    );
    assert_eq!(runs[1].id, first);
    assert_eq!(s.runs("backstage", 1).await.unwrap().len(), 1);
    assert!(s.runs("nobody", 10).await.unwrap().is_empty());

    // Runs are kept as long as fact history.
    let retention = Retention {
        max_age_days: 30,
        max_per_entity: 100,
    };
    let later = t0 + Duration::days(30) + Duration::minutes(30);
    // Gone: the two batches of t0 and the run of t0.
    assert_eq!(s.prune_history(retention, later).await.unwrap(), 3);
    assert_eq!(s.runs("backstage", 10).await.unwrap().len(), 1);
}

fn exemption(id: &str, state: &str, at: chrono::DateTime<Utc>) -> ExemptionRow {
    ExemptionRow {
        id: id.into(),
        entity_ref: A.into(),
        state: state.into(),
        expires_at: at + Duration::days(7),
        body: json!({"id": id, "state": state, "justification": "migrating CI"}),
    }
}

fn audit(id: &str, action: &str, at: chrono::DateTime<Utc>) -> AuditRow {
    AuditRow {
        seq: 0,
        exemption_id: id.into(),
        entity_ref: A.into(),
        action: action.into(),
        actor: "security-lead".into(),
        at,
        body: json!({"id": id}),
    }
}

fn event(id: &str, at: chrono::DateTime<Utc>) -> OutboxRow {
    OutboxRow {
        event_id: id.into(),
        target: "http://127.0.0.1:9/hook".into(),
        event_type: "entity.level-changed".into(),
        payload: format!(r#"{{"id":"{id}","type":"entity.level-changed"}}"#),
        created_at: at,
        attempts: 0,
        next_attempt_at: at,
    }
}

fn progress(done: i64) -> ProgressRow {
    ProgressRow {
        campaign_id: "c1".into(),
        progress: json!({"total": 4, "done": done}),
    }
}

async fn governance_round_trip(db: &TestDb) {
    let s = store::open(&db.url).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    let campaign = CampaignRow {
        id: "c1".into(),
        state: "active".into(),
        body: json!({"name": "Java 17"}),
        created_at: t0,
    };
    s.commit(
        &ChangeSet {
            upsert_entities: vec![entity(A)].into(),
            exemptions: vec![exemption("e1", "active", t0)],
            audit: vec![audit("e1", "created", t0)],
            campaigns: vec![campaign.clone()],
            campaign_progress: vec![progress(1)],
            events: vec![event("ev1", t0), event("ev2", t0)],
            ..Default::default()
        },
        t0,
    )
    .await
    .unwrap();
    assert_eq!(
        s.exemptions().await.unwrap(),
        vec![exemption("e1", "active", t0)]
    );
    assert_eq!(s.campaigns().await.unwrap(), vec![campaign.clone()]);

    // State changes replace the row; the audit log only grows; a day's last progress wins.
    let t1 = t0 + Duration::hours(2);
    s.commit(
        &ChangeSet {
            exemptions: vec![exemption("e1", "revoked", t0)],
            audit: vec![audit("e1", "revoked", t1)],
            campaigns: vec![CampaignRow {
                state: "done".into(),
                ..campaign.clone()
            }],
            campaign_progress: vec![progress(2)],
            ..Default::default()
        },
        t1,
    )
    .await
    .unwrap();
    s.commit(
        &ChangeSet {
            campaign_progress: vec![progress(4)],
            ..Default::default()
        },
        t0 + Duration::days(1),
    )
    .await
    .unwrap();
    assert_eq!(s.exemptions().await.unwrap()[0].state, "revoked");
    let log = s.exemption_audit(Some(A)).await.unwrap();
    let actions: Vec<(&str, chrono::DateTime<Utc>)> =
        log.iter().map(|a| (a.action.as_str(), a.at)).collect();
    assert_eq!(actions, vec![("created", t0), ("revoked", t1)]);
    assert!(log[0].seq < log[1].seq);
    assert!(s.exemption_audit(Some(B)).await.unwrap().is_empty());
    assert_eq!(s.campaigns().await.unwrap()[0].state, "done");
    let series: Vec<(NaiveDate, i64)> = s
        .campaign_series("c1")
        .await
        .unwrap()
        .into_iter()
        .map(|(d, v)| (d, v["done"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        series,
        vec![
            (NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), 2),
            (NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(), 4)
        ]
    );

    // The outbox: due events, a failure pushes one back, delivered ones are done.
    let due = s.due_events(t0, 10).await.unwrap();
    assert_eq!(due, vec![event("ev1", t0), event("ev2", t0)]);
    let retry_at = t0 + Duration::minutes(1);
    s.event_failed("ev1", &due[0].target, "503", retry_at)
        .await
        .unwrap();
    s.event_delivered("ev2", &due[1].target, t0).await.unwrap();
    assert!(s.due_events(t0, 10).await.unwrap().is_empty());
    assert_eq!(s.next_event_due().await.unwrap(), Some(retry_at));
    let again = s.due_events(retry_at, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].event_id.as_str(), again[0].attempts), ("ev1", 1));
    s.event_delivered("ev1", &again[0].target, retry_at)
        .await
        .unwrap();
    assert_eq!(s.next_event_due().await.unwrap(), None);
    // Delivered events are pruned by age; pending ones never. Written twice (a retried
    // change), an event stays one row.
    let ev3 = ChangeSet {
        events: vec![event("ev3", t0)],
        ..Default::default()
    };
    s.commit(&ev3, t0).await.unwrap();
    s.commit(&ev3, t0).await.unwrap();
    assert_eq!(
        s.prune_events(t0).await.unwrap(),
        0,
        "ev2 was delivered at t0"
    );
    assert_eq!(
        s.prune_events(retry_at + Duration::seconds(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        s.due_events(retry_at, 10).await.unwrap(),
        vec![event("ev3", t0)]
    );
}

async fn a_failed_change_writes_no_audit_and_no_event(db: &TestDb) {
    let s = store::open(&db.url).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    let bad = ChangeSet {
        exemptions: vec![exemption("e1", "active", t0)],
        audit: vec![audit("e1", "created", t0)],
        events: vec![event("ev1", t0)],
        facts: vec![facts("component:default/ghost", "ci", 1, t0)],
        ..Default::default()
    };
    assert!(s.commit(&bad, t0).await.is_err());
    assert!(s.exemptions().await.unwrap().is_empty());
    assert!(s.exemption_audit(None).await.unwrap().is_empty());
    assert!(s.due_events(t0, 10).await.unwrap().is_empty());
}

on_both_stores! {
    stale_marks_and_collector_runs => super::stale_marks_and_collector_runs;
    round_trip => super::round_trip;
    a_failed_change_writes_nothing => super::a_failed_change_writes_nothing;
    history_is_pruned_by_age_and_count => super::history_is_pruned_by_age_and_count;
    governance_round_trip => super::governance_round_trip;
    a_failed_change_writes_no_audit_and_no_event => super::a_failed_change_writes_no_audit_and_no_event;
}

#[tokio::test]
async fn an_unknown_url_scheme_is_refused() {
    let e = store::open("mysql://localhost/x")
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("unsupported database URL"), "{e}");
}

//! One behaviour contract for both stores: the same suite runs on SQLite and on Postgres.

mod service_support;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use service_support::TestDb;
use tech_health::store::{
    self, ChangeSet, FactRow, GroupRow, ResultRow, Retention, RunRow, StaleMark, StoredEntity,
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
        upsert_entities: vec![entity(A), entity(B)],
        facts: vec![
            facts(A, "ci", 1, t0),
            facts(A, "github", 2, t0),
            facts(B, "ci", 3, t0),
        ],
        results: vec![result(A, true, t0), result(B, false, t0)],
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
        results: vec![result(A, false, t1)],
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
            results: vec![result(B, true, t2)],
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
            upsert_entities: vec![entity(A)],
            ..Default::default()
        },
        t0,
    )
    .await
    .unwrap();
    // Facts of an entity the store does not hold break the foreign key: the whole change fails.
    let bad = ChangeSet {
        upsert_entities: vec![entity(B)],
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
            upsert_entities: vec![entity(A), entity(B)],
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
            upsert_entities: vec![entity(A), entity(B)],
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

on_both_stores! {
    stale_marks_and_collector_runs => super::stale_marks_and_collector_runs;
    round_trip => super::round_trip;
    a_failed_change_writes_nothing => super::a_failed_change_writes_nothing;
    history_is_pruned_by_age_and_count => super::history_is_pruned_by_age_and_count;
}

#[tokio::test]
async fn an_unknown_url_scheme_is_refused() {
    let e = store::open("mysql://localhost/x")
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("unsupported database URL"), "{e}");
}

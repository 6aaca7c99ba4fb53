//! A reload over HTTP with catalog files, on SQLite and Postgres: when nothing changed the
//! fleet stays and every stored result carries the reload's time; a file that changed, an
//! entity that left and a new file in a catalog folder all show after the next reload.

mod service_support;

use serde_json::{Value, json};
use service_support::{ADMIN, Running, TestDb, WRITER, serve, settings};
use tech_health::service::Sources;
use tech_health::store::StoredEntity;

fn component(name: &str, owner: &str, lifecycle: &str) -> String {
    format!(
        "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n\
         spec:\n  type: service\n  lifecycle: {lifecycle}\n  owner: {owner}\n"
    )
}

const GROUPS: &str = "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  \
                      name: team-a\nspec:\n  type: team\n  children: []\n---\n\
                      apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  \
                      name: team-b\nspec:\n  type: team\n  children: []\n";

async fn reload(s: &Running) -> Value {
    let (status, report) = s
        .post("/api/v1/admin/reload", Some(ADMIN), &json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    report
}

async fn owner(s: &Running, name: &str) -> Option<String> {
    let (status, body) = s
        .get(&format!("/api/v1/entities/component/default/{name}/health"))
        .await;
    (status == 200).then(|| body["owner"].as_str().unwrap_or_default().to_string())
}

/// Every stored result carries the time of the fleet's last evaluation (to the microsecond:
/// Postgres keeps no more).
async fn results_stamped(s: &Running) -> usize {
    let at = s.app.fleet().evaluated_at;
    let results = s.app.store.results().await.unwrap();
    for r in &results {
        let off = (r.evaluated_at - at)
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .abs();
        assert!(
            off <= 1,
            "{} evaluated at {}, not {at}",
            r.entity_ref,
            r.evaluated_at
        );
    }
    results.len()
}

async fn catalog_files_are_reread_when_they_change(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("catalog");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("groups.yaml"), GROUPS).unwrap();
    let services = folder.join("services.yaml");
    let both = component("payments", "group:default/team-a", "production")
        + &component("ledger", "group:default/team-a", "production");
    std::fs::write(&services, &both).unwrap();
    let sources = Sources {
        catalog: vec![folder.clone()],
        ..Default::default()
    };
    let s = serve(db, settings(), sources).await;
    let first = s.app.fleet().evaluated_at;
    assert_eq!(results_stamped(&s).await, 2);

    // Nothing changed: the same entities, every result stamped with the new time.
    assert_eq!(reload(&s).await["scored"], 2);
    assert!(s.app.fleet().evaluated_at > first);
    assert_eq!(results_stamped(&s).await, 2);
    assert_eq!(
        owner(&s, "payments").await.as_deref(),
        Some("group:default/team-a")
    );

    let facts = json!([{ "entity": "component:default/payments", "collector": "ci",
                         "facts": { "ciGreenOnDefaultBranch": true, "testCoverage": 64.0 } }]);
    let (status, out) = s.post("/api/v1/facts", Some(WRITER), &facts).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(coverage(&s, "payments").await, Some(64.0));

    // An edited file: ledger moves to team-b, payments leaves (with its facts).
    std::fs::write(
        &services,
        component("ledger", "group:default/team-b", "production"),
    )
    .unwrap();
    assert_eq!(reload(&s).await["scored"], 1);
    assert_eq!(
        owner(&s, "ledger").await.as_deref(),
        Some("group:default/team-b")
    );
    assert_eq!(owner(&s, "payments").await, None);
    let refs: Vec<String> = stored(&s).await.into_iter().map(|e| e.entity_ref).collect();
    assert!(!refs.iter().any(|r| r.ends_with("/payments")), "{refs:?}");
    assert_eq!(
        results_stamped(&s).await,
        1,
        "payments' result left with it"
    );

    // A new file in the folder is found by the next reload.
    std::fs::write(
        folder.join("more.yaml"),
        component("invoices", "group:default/team-a", "experimental"),
    )
    .unwrap();
    assert_eq!(reload(&s).await["scored"], 2);
    assert_eq!(
        owner(&s, "invoices").await.as_deref(),
        Some("group:default/team-a")
    );
    assert_eq!(results_stamped(&s).await, 2);

    // Payments comes back: as a new entity, without the facts it left with.
    std::fs::write(
        folder.join("back.yaml"),
        component("payments", "group:default/team-a", "production"),
    )
    .unwrap();
    assert_eq!(reload(&s).await["scored"], 3);
    assert_eq!(
        owner(&s, "payments").await.as_deref(),
        Some("group:default/team-a")
    );
    assert_eq!(coverage(&s, "payments").await, None);
}

/// The entities the store holds.
async fn stored(s: &Running) -> Vec<StoredEntity> {
    s.app.store.entities().await.unwrap()
}

/// The test coverage an entity's checks read, if any.
async fn coverage(s: &Running, name: &str) -> Option<f64> {
    let (status, health) = s
        .get(&format!("/api/v1/entities/component/default/{name}/health"))
        .await;
    assert_eq!(status, 200, "{health}");
    health["checks"]
        .as_array()?
        .iter()
        .find_map(|c| c["facts"]["testCoverage"].as_f64())
}

/// The service stops; the files change; it starts again on the same store: what the files
/// hold now is served, what left them is gone from the store, and pushed facts are kept.
async fn catalog_files_changed_while_stopped_show_on_the_next_start(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let groups = dir.path().join("groups.yaml");
    let services = dir.path().join("services.yaml");
    std::fs::write(&groups, GROUPS).unwrap();
    let both = component("payments", "group:default/team-a", "production")
        + &component("ledger", "group:default/team-a", "production");
    std::fs::write(&services, &both).unwrap();
    let sources = Sources {
        catalog: vec![groups.clone(), services.clone()],
        ..Default::default()
    };
    let s = serve(db, settings(), sources.clone()).await;
    let facts = json!([{ "entity": "component:default/ledger", "collector": "ci",
                         "facts": { "ciGreenOnDefaultBranch": true, "testCoverage": 81.5 } }]);
    let (status, out) = s.post("/api/v1/facts", Some(WRITER), &facts).await;
    assert_eq!(status, 200, "{out}");
    drop(s);

    std::fs::write(
        &services,
        component("ledger", "group:default/team-b", "production")
            + &component("invoices", "group:default/team-a", "experimental"),
    )
    .unwrap();
    let s = serve(db, settings(), sources).await;
    assert_eq!(
        owner(&s, "ledger").await.as_deref(),
        Some("group:default/team-b")
    );
    assert_eq!(
        owner(&s, "invoices").await.as_deref(),
        Some("group:default/team-a")
    );
    assert_eq!(owner(&s, "payments").await, None);
    assert_eq!(
        coverage(&s, "ledger").await,
        Some(81.5),
        "the pushed facts are kept"
    );
    let entities = stored(&s).await;
    let mut refs: Vec<&str> = entities.iter().map(|e| e.entity_ref.as_str()).collect();
    refs.sort();
    assert_eq!(
        refs,
        [
            "component:default/invoices",
            "component:default/ledger",
            "group:default/team-a",
            "group:default/team-b"
        ]
    );
    let ledger = entities
        .iter()
        .find(|e| e.entity_ref == "component:default/ledger")
        .unwrap();
    assert_eq!(ledger.body["spec"]["owner"], "group:default/team-b");
    assert_eq!(results_stamped(&s).await, 2);
}

on_both_stores! {
    catalog_files_are_reread_when_they_change => super::catalog_files_are_reread_when_they_change;
    catalog_files_changed_while_stopped_show_on_the_next_start => super::catalog_files_changed_while_stopped_show_on_the_next_start;
}

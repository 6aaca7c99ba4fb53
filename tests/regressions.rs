//! Inputs that Schemathesis found answered with a 500 (on Postgres), kept as tests on both
//! stores: each is now answered as documented.

mod service_support;

use serde_json::json;
use service_support::{ADMIN, TestDb, WRITER, serve_demo};

/// `POST /api/v1/catalog/entities` with one entity twice (Schemathesis case tBDxTS): Postgres
/// refused to write one row twice in one statement. The later one stands, as with two requests.
async fn an_entity_twice_in_one_catalog_batch(db: &TestDb) {
    let s = serve_demo(db).await;
    let entity = |lifecycle: &str| {
        json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": { "name": "twice-service" },
                "spec": { "type": "service", "lifecycle": lifecycle, "owner": "payments" } })
    };
    let batch = json!([entity("experimental"), entity("production")]);
    let (status, body) = s
        .post("/api/v1/catalog/entities", Some(ADMIN), &batch)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, page) = s.get("/api/v1/entities?owner=payments&limit=500").await;
    assert_eq!(status, 200, "{page}");
    let twice: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "twice-service")
        .collect();
    assert_eq!(twice.len(), 1, "{page}");
    assert_eq!(twice[0]["lifecycle"], "production");
    // The same for facts: one entity and collector twice in a batch, the later one stands.
    let facts = json!([
        { "entity": "twice-service", "collector": "ci", "facts": { "ciGreenOnDefaultBranch": false } },
        { "entity": "twice-service", "collector": "ci", "facts": { "ciGreenOnDefaultBranch": true } }
    ]);
    let (status, body) = s.post("/api/v1/facts", Some(WRITER), &facts).await;
    assert_eq!(status, 200, "{body}");
    let (_, health) = s
        .get("/api/v1/entities/component/default/twice-service/health")
        .await;
    let check = service_support::check(&health, "ci-green-default-branch");
    assert_eq!(check["status"], "pass", "{check}");
}

/// An entity filter holding a NUL (Schemathesis case 6dphgF on the audit log): Postgres cannot
/// hold one in a string. Text that names no entity (a control character, an empty namespace)
/// matches none, and the store is not asked.
async fn an_entity_filter_that_names_no_entity(db: &TestDb) {
    let s = serve_demo(db).await;
    for path in [
        "/api/v1/exemptions/audit?entity=a%00b",
        "/api/v1/exemptions?entity=a%00b",
        "/api/v1/exemptions/audit?entity=%C2%92n%0F",
        "/api/v1/exemptions/audit?entity=%2Fe",
    ] {
        let (status, body) = s.get(path).await;
        assert_eq!((status, &body), (200, &json!([])), "{path}");
    }
    let (status, body) = s.get("/api/v1/exemptions/audit").await;
    assert_eq!(status, 200, "{body}");
}

on_both_stores! {
    an_entity_twice_in_one_catalog_batch => super::an_entity_twice_in_one_catalog_batch;
    an_entity_filter_that_names_no_entity => super::an_entity_filter_that_names_no_entity;
}

//! `GET …/health` is written directly from JSON kept per engine; it must say exactly what the
//! typed view (`Fleet::health`, what GraphQL and the OpenAPI document describe) says, for every
//! entity of the example fleet — passing, failing, unknown and not-applicable checks alike.

mod service_support;

use service_support::{TestDb, serve_demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_answer_is_the_typed_view() {
    let db = TestDb::sqlite();
    let s = serve_demo(&db).await;
    let fleet = s.app.fleet();
    let mut statuses = std::collections::BTreeSet::new();
    for r in fleet.scored.keys() {
        let path = format!(
            "/api/v1/entities/{}/{}/{}/health",
            r.kind(),
            r.namespace(),
            r.name()
        );
        let (status, body) = s.get(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let typed = serde_json::to_value(fleet.health(r).expect("scored")).unwrap();
        assert_eq!(body, typed, "{r}");
        for c in body["checks"].as_array().unwrap() {
            statuses.insert(c["status"].as_str().unwrap().to_string());
        }
    }
    assert!(fleet.scored.len() >= 60);
    for s in ["pass", "fail", "unknown", "not-applicable"] {
        assert!(statuses.contains(s), "no {s} check in the example fleet");
    }
}

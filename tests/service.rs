//! The service through HTTP, on SQLite and on Postgres: the demo fleet loads, facts pushed
//! move levels and rollups, auth refuses what it must, bad input gets a 4xx and changes nothing.

mod service_support;

use serde_json::{Value, json};
use service_support::{ADMIN, READER, Running, TestDb, WRITER, check, serve_demo};

const BILLING: &str = "/api/v1/entities/component/default/billing-service/health";
const PAYMENTS: &str = "/api/v1/groups/default/payments/health";

fn codes(health: &Value) -> Vec<String> {
    health["eligibility"]["blocking"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|b| b["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn tally<'a>(group: &'a Value, id: &str) -> &'a Value {
    group["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in rollup"))
}

fn green(v: bool) -> Value {
    json!([{ "entity": "component:default/billing-service", "collector": "ci",
             "facts": { "ciGreenOnDefaultBranch": v, "testCoverage": 55.2 } }])
}

async fn demo_fleet_is_served(db: &TestDb) {
    let s = serve_demo(db).await;
    let (status, checkout) = s
        .get("/api/v1/entities/component/default/checkout-api/health")
        .await;
    assert_eq!(status, 200, "{checkout}");
    assert_eq!(checkout["golden"], true);
    for t in checkout["tracks"].as_array().unwrap() {
        assert_eq!(t["level"], "gold", "checkout-api holds gold in {}", t["id"]);
        assert_eq!(t["nextLevel"], Value::Null);
    }
    assert_eq!(checkout["eligibility"]["eligible"], true);
    assert_eq!(checkout["owner"], "group:default/team-checkout");

    let (_, billing) = s.get(BILLING).await;
    assert!(codes(&billing).contains(&"ci-red".to_string()), "{billing}");
    let red = check(&billing, "ci-green-default-branch");
    assert_eq!(red["status"], "fail");
    assert_eq!(red["facts"]["ciGreenOnDefaultBranch"], false);
    assert!(red["howToFix"].is_string());

    let (status, payments) = s.get(PAYMENTS).await;
    assert_eq!(status, 200);
    assert_eq!(payments["components"], 17);
    assert_eq!(payments["department"], true);
    let children: Vec<&str> = payments["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["group"].as_str().unwrap())
        .collect();
    assert!(
        children.contains(&"group:default/team-billing"),
        "{children:?}"
    );
    let sum: i64 = payments["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["components"].as_i64().unwrap())
        .sum();
    assert!(sum <= 17);
    for t in payments["tracks"].as_array().unwrap() {
        let n: i64 = t["distribution"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["count"].as_i64().unwrap())
            .sum();
        assert!(n <= 17 && n > 0);
    }

    // The owner filter walks the group tree; pages follow the cursor without overlap.
    let mut seen = Vec::new();
    let mut url = "/api/v1/entities?owner=group:default/payments&limit=5".to_string();
    loop {
        let (status, page) = s.get(&url).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], 17);
        for i in page["items"].as_array().unwrap() {
            seen.push(i["entity"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(c) => {
                url = format!("/api/v1/entities?owner=group:default/payments&limit=5&cursor={c}")
            }
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (17, 17));

    let (_, gold) = s
        .get("/api/v1/entities?track=fleet-readiness&level=gold&limit=500")
        .await;
    for i in gold["items"].as_array().unwrap() {
        assert_eq!(i["levels"]["fleet-readiness"], "gold");
    }
    let (_, checks) = s.get("/api/v1/checks").await;
    assert!(checks.as_array().unwrap().len() >= 30);
    let (_, radar) = s.get("/api/v1/radar").await;
    assert!(radar["entries"].as_array().unwrap().len() >= 40);
    assert_eq!(radar["rings"].as_array().unwrap().len(), 4);
    let (status, _) = s.get("/readyz").await;
    assert_eq!(status, 200);
}

async fn pushed_facts_move_levels_and_rollups(db: &TestDb) {
    let before_group;
    {
        let s = serve_demo(db).await;
        let (_, g) = s.get(PAYMENTS).await;
        before_group = g;
        let (status, out) = s.post("/api/v1/facts", Some(WRITER), &green(true)).await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["accepted"], 1);
        assert!(
            out["groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g == "group:default/payments"),
            "{out}"
        );

        let (_, billing) = s.get(BILLING).await;
        assert_eq!(check(&billing, "ci-green-default-branch")["status"], "pass");
        assert!(
            !codes(&billing).contains(&"ci-red".to_string()),
            "{billing}"
        );
        let (_, after) = s.get(PAYMENTS).await;
        let (b, a) = (
            tally(&before_group, "ci-green-default-branch"),
            tally(&after, "ci-green-default-branch"),
        );
        assert_eq!(a["pass"].as_i64().unwrap(), b["pass"].as_i64().unwrap() + 1);
        assert_eq!(a["fail"].as_i64().unwrap(), b["fail"].as_i64().unwrap() - 1);

        // Today's snapshot follows.
        let (_, trend) = s.get("/api/v1/groups/default/payments/trend?days=7").await;
        let points = trend["points"].as_array().unwrap();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0]["eligible"], after["eligible"]);

        let (_, history) = s
            .get("/api/v1/entities/component/default/billing-service/facts/history?collector=ci")
            .await;
        assert_eq!(
            history.as_array().unwrap().len(),
            2,
            "the demo batch and ours: {history}"
        );
        assert_eq!(history[0]["facts"]["ciGreenOnDefaultBranch"], true);
    }
    // Restarted on the same store: what was pushed is still there, the demo does not overwrite it.
    let s = serve_demo(db).await;
    let (_, billing) = s.get(BILLING).await;
    assert_eq!(check(&billing, "ci-green-default-branch")["status"], "pass");
    let (_, again) = s.get(PAYMENTS).await;
    assert_eq!(
        tally(&again, "ci-green-default-branch")["pass"]
            .as_i64()
            .unwrap(),
        tally(&before_group, "ci-green-default-branch")["pass"]
            .as_i64()
            .unwrap()
            + 1
    );
}

async fn auth_refuses_what_it_must(db: &TestDb) {
    let s = serve_demo(db).await;
    let (status, body) = s.post("/api/v1/facts", None, &green(true)).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, body) = s
        .post("/api/v1/facts", Some("not-a-token"), &green(true))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid-token");
    let (status, body) = s.post("/api/v1/facts", Some(READER), &green(true)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["details"]["scope"], "facts:write");
    let (status, _) = s
        .post("/api/v1/admin/reload", Some(WRITER), &json!({}))
        .await;
    assert_eq!(status, 403);
    let (status, report) = s
        .post("/api/v1/admin/reload", Some(ADMIN), &json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["scored"], 67);
    // Nothing refused changed anything.
    let (_, billing) = s.get(BILLING).await;
    assert_eq!(check(&billing, "ci-green-default-branch")["status"], "fail");
}

async fn bad_input_gets_4xx_and_changes_nothing(db: &TestDb) {
    let s = serve_demo(db).await;
    let (_, before) = s.get(PAYMENTS).await;
    let batch = json!([
        { "entity": "component:default/billing-service", "collector": "ci",
          "facts": { "ciGreenOnDefaultBranch": true, "testCoverage": 55.2 } },
        { "entity": "component:default/checkout-api", "collector": "ci",
          "facts": { "ciGreenOnDefaultBranch": true, "testCoverage": "high" } },
        { "entity": "component:default/no-such-thing", "collector": "ci", "facts": {} },
        { "entity": "component:default/checkout-api", "collector": "nope", "facts": {} }
    ]);
    let (status, body) = s.post("/api/v1/facts", Some(WRITER), &batch).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid-facts");
    let items = body["error"]["details"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["index"], 1);
    assert_eq!(items[0]["errors"][0]["path"], "/facts/testCoverage");
    assert!(
        items[1]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not in the catalog")
    );
    assert!(
        items[2]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown collector")
    );
    // All or nothing: the valid first item was not applied.
    let (_, billing) = s.get(BILLING).await;
    assert_eq!(check(&billing, "ci-green-default-branch")["status"], "fail");
    let (_, after) = s.get(PAYMENTS).await;
    assert_eq!(before["checks"], after["checks"]);

    let (status, body) = s
        .post("/api/v1/facts", Some(WRITER), &json!({"not": "a list"}))
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].is_string());
    let (status, body) = s
        .get("/api/v1/entities/component/default/nope/health")
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not-found"))
    );
    let (status, _) = s.get("/api/v1/entities?cursor=zz").await;
    assert_eq!(status, 400);
    let (status, _) = s.get("/api/v1/entities?track=basics").await;
    assert_eq!(status, 400);
    let (status, _) = s.get("/api/v1/groups/default/payments/trend?days=0").await;
    assert_eq!(status, 400);
    let (status, body) = s.get("/api/v1/nowhere").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not-found"))
    );
}

async fn graphql_answers_the_graph(db: &TestDb) {
    let s: Running = serve_demo(db).await;
    let q = r#"{ group(ref: "payments") { ref department aggregates { summary { components goldenPercent } }
                 children { ref aggregates { summary { components } } trend(days: 7) { date components } }
                 components(first: 3) { edges { cursor node { ref golden tracks { id level }
                   checks(status: "fail") { id facts } eligibility { eligible blocking { code } } } } pageInfo { hasNextPage } } }
               entity(ref: "component:default/checkout-api") { golden ownerGroup { ref } } }"#;
    let (status, body) = s.post("/graphql", None, &json!({ "query": q })).await;
    assert_eq!(status, 200);
    assert!(body["errors"].is_null(), "{body}");
    let g = &body["data"]["group"];
    assert_eq!(g["ref"], "group:default/payments");
    assert_eq!(g["aggregates"]["summary"]["components"], 17);
    assert!(!g["children"].as_array().unwrap().is_empty());
    assert_eq!(g["children"][0]["trend"].as_array().unwrap().len(), 1);
    assert_eq!(g["components"]["edges"].as_array().unwrap().len(), 3);
    assert_eq!(g["components"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(body["data"]["entity"]["golden"], true);
    assert_eq!(
        body["data"]["entity"]["ownerGroup"]["ref"],
        "group:default/team-checkout"
    );

    let deep = format!(
        "{{ group(ref: \"payments\") {{ {} ref {} }} }}",
        "parent { ".repeat(20),
        "}".repeat(20)
    );
    let (_, body) = s.post("/graphql", None, &json!({ "query": deep })).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nested too deep"),
        "{body}"
    );
    let r = s
        .http
        .get(format!("{}/graphql", s.base))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("graphiql"));
}

/// The names of a page's components, in the page's order.
fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["entity"]
                .as_str()
                .unwrap()
                .trim_start_matches("component:default/")
        })
        .collect()
}

async fn orchestrator_finds_log4j_users(db: &TestDb) {
    let s = serve_demo(db).await;
    let log4j = "/api/v1/fleet/eligibility?technology=log4j-core&version=%3C2.17.1";
    let (status, page) = s.get(&format!("{log4j}&limit=500")).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    let row = |name: &str| {
        items
            .iter()
            .find(|i| i["entity"] == format!("component:default/{name}"))
            .unwrap_or_else(|| panic!("{name} uses log4j-core < 2.17.1: {page}"))
    };
    // Who is found, at which version, in which wave — or blocked by what.
    let mut found: Vec<(String, String, Value, Vec<String>)> = items
        .iter()
        .zip(names(&page))
        .map(|(i, name)| {
            (
                name.to_string(),
                i["technology"]["version"].as_str().unwrap().to_string(),
                i["wave"].clone(),
                i["blocking"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b["code"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let low = "level-too-low:fleet-readiness<silver";
    let blocked = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        vec![
            (
                "billing-service".into(),
                "2.17.0".into(),
                Value::Null,
                blocked(&[low, "ci-red"])
            ),
            (
                "catalog-importer".into(),
                "2.15.0".into(),
                Value::Null,
                blocked(&["opted-out"])
            ),
            // The platform department's own component goes first.
            ("feature-flags".into(), "2.16.0".into(), json!(0), vec![]),
            (
                "impressions-etl".into(),
                "2.14.0".into(),
                Value::Null,
                blocked(&[low, "build-system-unsupported"])
            ),
            (
                "ingestion-pipeline".into(),
                "2.16.0".into(),
                json!(2),
                vec![]
            ),
            (
                "payment-gateway-adapter".into(),
                "2.14.1".into(),
                json!(2),
                vec![]
            ),
            // Team Discovery has three Silver users; at most two per team per wave.
            ("playlist-service".into(), "2.15.0".into(), json!(3), vec![]),
            ("podcast-catalog".into(), "2.14.1".into(), json!(2), vec![]),
            (
                "radio-legacy".into(),
                "2.11.0".into(),
                Value::Null,
                blocked(&[low, "owner-unknown", "deprecated"])
            ),
            // Gold in fleet readiness with canary analysis.
            (
                "royalty-calculator".into(),
                "2.12.4".into(),
                json!(1),
                vec![]
            ),
            (
                "royalty-reports".into(),
                "2.8.2".into(),
                Value::Null,
                blocked(&[low, "no-tests"])
            ),
            ("search-service".into(), "2.13.3".into(), json!(2), vec![]),
        ]
    );
    let summary = &page["summary"];
    assert_eq!(
        (&summary["total"], &summary["eligible"], &summary["blocked"]),
        (&json!(12), &json!(7), &json!(5))
    );
    assert_eq!(summary["byWave"], json!({"0": 1, "1": 1, "2": 4, "3": 1}));
    assert_eq!(summary["byReason"][low], 4);
    assert_eq!(row("billing-service")["technology"]["source"], "pom.xml");
    assert_eq!(
        row("feature-flags")["repository"]["slug"],
        "acme/feature-flags"
    );
    // The opt-out annotation's reason is passed on.
    let opted = &row("catalog-importer")["blocking"][0]["message"];
    assert!(
        opted
            .as_str()
            .unwrap()
            .contains("Being replaced by the DDEX pipeline"),
        "{opted}"
    );

    // Wave 2 of the change: exactly its list, the same on every ask.
    let (status, wave2) = s.get(&format!("{log4j}&wave=2")).await;
    assert_eq!(status, 200, "{wave2}");
    assert_eq!(
        names(&wave2),
        vec![
            "ingestion-pipeline",
            "payment-gateway-adapter",
            "podcast-catalog",
            "search-service",
        ]
    );
    assert_eq!(wave2["summary"]["byWave"], json!({"2": 4}));
    let (_, again) = s.get(&format!("{log4j}&wave=2")).await;
    assert_eq!(again, wave2);
    // Other filters narrow the rows, never move the waves of the change.
    let (_, discovery) = s.get(&format!("{log4j}&owner=team-discovery")).await;
    let waves: Vec<&Value> = discovery["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["wave"])
        .collect();
    assert_eq!(waves, vec![&json!(3), &json!(2), &json!(2)]);

    // The same question over GraphQL.
    let q = r#"{ fleetEligibility(technology: "log4j-core", version: "<2.17.1", wave: 3) {
                  edges { node { entity wave technology { version source } } }
                  summary { total byWave } } }"#;
    let (status, body) = s.post("/graphql", None, &json!({ "query": q })).await;
    assert_eq!(status, 200);
    assert!(body["errors"].is_null(), "{body}");
    let answer = &body["data"]["fleetEligibility"];
    assert_eq!(answer["summary"]["total"], 1);
    assert_eq!(answer["summary"]["byWave"], json!({"3": 1}));
    assert_eq!(
        answer["edges"][0]["node"],
        json!({"entity": "component:default/playlist-service", "wave": 3,
               "technology": {"version": "2.15.0", "source": "pom.xml"}})
    );

    // Runtimes and base images are technologies too.
    let (_, java) = s
        .get("/api/v1/fleet/eligibility?technology=java&version=%3C17&limit=500")
        .await;
    let old_java = names(&java);
    assert!(
        old_java.contains(&"radio-legacy") && old_java.contains(&"billing-service"),
        "{old_java:?}"
    );
    let (_, images) = s
        .get("/api/v1/fleet/eligibility?technology=golden-java17&version=%3C2025.1")
        .await;
    assert_eq!(images["summary"]["total"], 14, "{images}");

    // A title that needs escaping in JSON, and an annotation with a quote in it.
    let quoted = json!([{ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": { "name": "quoted-service", "title": "The \"quoted\" service\n\\ ünïcode \u{1}",
                      "annotations": { "github.com/project-slug": "acme/quo\"ted" } },
        "spec": { "type": "service", "lifecycle": "production", "owner": "team-billing" } }]);
    let (status, out) = s
        .post("/api/v1/catalog/entities", Some(ADMIN), &quoted)
        .await;
    assert_eq!(status, 200, "{out}");

    // The whole fleet as NDJSON: one line per scored entity, each the very JSON of its row in
    // a page, the same whether or not the query names a change.
    for query in [
        "",
        "?technology=log4j-core&version=%3C2.17.1",
        "?owner=payments&eligible=true",
    ] {
        let url = format!("{}/api/v1/fleet/eligibility{query}", s.base);
        let r = s
            .http
            .get(&url)
            .header("accept", "application/x-ndjson")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "application/x-ndjson");
        let text = r.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let sep = if query.is_empty() { '?' } else { '&' };
        let (_, page) = s
            .get(&format!("/api/v1/fleet/eligibility{query}{sep}limit=500"))
            .await;
        let rows: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| serde_json::to_string(row).unwrap())
            .collect();
        assert_eq!(lines, rows, "{query}");
        assert_eq!(lines.len(), page["summary"]["total"], "{query}");
        if query.is_empty() {
            assert_eq!(lines.len(), 68);
            assert!(text.contains(r#""title":"The \"quoted\" service\n\\ ünïcode \u0001""#));
        }
    }
    let bad = s
        .http
        .get(format!("{}/api/v1/fleet/eligibility?owner=nobody", s.base))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad.status(),
        404,
        "a bad filter is refused before the first byte"
    );
    let (status, _) = s.get("/api/v1/fleet/eligibility?version=%3C2").await;
    assert_eq!(status, 400);
}

async fn catalog_changes_reevaluate_what_they_touch(db: &TestDb) {
    let s = serve_demo(db).await;
    let component = json!([{ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": { "name": "dunning-service", "title": "Dunning" },
        "spec": { "type": "service", "lifecycle": "production", "owner": "team-billing" } }]);
    let (status, _) = s
        .post("/api/v1/catalog/entities", Some(WRITER), &component)
        .await;
    assert_eq!(status, 403, "facts:write is not catalog:write");
    let (status, out) = s
        .post("/api/v1/catalog/entities", Some(ADMIN), &component)
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["reevaluated"][0]["entity"],
        "component:default/dunning-service"
    );
    assert!(
        out["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "group:default/payments")
    );
    let (_, payments) = s.get(PAYMENTS).await;
    assert_eq!(payments["components"], 18);
    let (status, health) = s
        .get("/api/v1/entities/component/default/dunning-service/health")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        check(&health, "ci-green-default-branch")["status"],
        "unknown",
        "no facts yet"
    );
    let (status, _) = s
        .post(
            "/api/v1/facts",
            Some(WRITER),
            &json!([{ "entity": "dunning-service", "collector": "ci",
        "facts": { "ciGreenOnDefaultBranch": true } }]),
        )
        .await;
    assert_eq!(status, 200);

    let bad = json!([{ "apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": { "name": "no spaces allowed" } }]);
    let (status, body) = s.post("/api/v1/catalog/entities", Some(ADMIN), &bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid-entities", "{body}");

    let r = s
        .http
        .delete(format!(
            "{}/api/v1/catalog/entities/component/default/dunning-service",
            s.base
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, payments) = s.get(PAYMENTS).await;
    assert_eq!(payments["components"], 17);
    let (status, _) = s
        .get("/api/v1/entities/component/default/dunning-service/facts/history")
        .await;
    assert_eq!(status, 404);
    assert!(
        s.app
            .store
            .fact_history("component:default/dunning-service", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

on_both_stores! {
    catalog_changes_reevaluate_what_they_touch => super::catalog_changes_reevaluate_what_they_touch;
    orchestrator_finds_log4j_users => super::orchestrator_finds_log4j_users;
    demo_fleet_is_served => super::demo_fleet_is_served;
    pushed_facts_move_levels_and_rollups => super::pushed_facts_move_levels_and_rollups;
    auth_refuses_what_it_must => super::auth_refuses_what_it_must;
    bad_input_gets_4xx_and_changes_nothing => super::bad_input_gets_4xx_and_changes_nothing;
    graphql_answers_the_graph => super::graphql_answers_the_graph;
}

/// The checked-in API documents match what is served; `TECH_HEALTH_UPDATE_SNAPSHOTS=1` rewrites them.
#[tokio::test]
async fn openapi_and_graphql_schema_are_checked_in() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    let db = TestDb::sqlite();
    let s = serve_demo(&db).await;
    let (_, served) = s.get("/api/v1/openapi.json").await;
    let served = serde_json::to_string_pretty(&served).unwrap() + "\n";
    let sdl = tech_health::api::graphql::sdl();
    if std::env::var("TECH_HEALTH_UPDATE_SNAPSHOTS").is_ok() {
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("openapi.json"), &served).unwrap();
        std::fs::write(root.join("schema.graphql"), &sdl).unwrap();
    }
    let checked_in = std::fs::read_to_string(root.join("openapi.json")).unwrap_or_default();
    assert!(
        checked_in == served,
        "openapi/openapi.json differs from what is served; rerun with TECH_HEALTH_UPDATE_SNAPSHOTS=1 and review the diff"
    );
    let checked_in = std::fs::read_to_string(root.join("schema.graphql")).unwrap_or_default();
    assert!(
        checked_in == sdl,
        "openapi/schema.graphql differs from the schema; rerun with TECH_HEALTH_UPDATE_SNAPSHOTS=1"
    );
    let m = s.metrics().await;
    assert!(m.contains("tech_health_http_requests_total"), "{m}");
}

/// What the document says of the requests is what the service does: the bounds it gives a
/// number are accepted at the edges and refused just beyond; a batch must hold an item; the
/// fields it requires are each named when missing; an empty optional filter (`?owner=`, as a
/// form sends an empty field) is no filter, on every route.
#[tokio::test]
async fn the_document_and_the_behaviour_agree() {
    let db = TestDb::sqlite();
    let s = serve_demo(&db).await;
    let (_, doc) = s.get("/api/v1/openapi.json").await;
    let history = "/api/v1/entities/component/default/checkout-api/facts/history";
    let mut bounded = Vec::new();
    for (path, url) in [
        ("/api/v1/entities", "/api/v1/entities"),
        ("/api/v1/fleet/eligibility", "/api/v1/fleet/eligibility"),
        (
            "/api/v1/entities/{kind}/{namespace}/{name}/facts/history",
            history,
        ),
        (
            "/api/v1/groups/{namespace}/{name}/trend",
            "/api/v1/groups/default/payments/trend",
        ),
    ] {
        for p in doc["paths"][path]["get"]["parameters"].as_array().unwrap() {
            let (Some(min), Some(max)) = (
                p["schema"]["minimum"].as_i64(),
                p["schema"]["maximum"].as_i64(),
            ) else {
                continue;
            };
            let name = p["name"].as_str().unwrap();
            bounded.push(name);
            for (value, expected) in [(min - 1, 400), (min, 200), (max, 200), (max + 1, 400)] {
                let (status, body) = s.get(&format!("{url}?{name}={value}")).await;
                assert_eq!(status, expected, "{url}?{name}={value}: {body}");
            }
        }
    }
    assert_eq!(bounded, ["limit", "wave", "limit", "limit", "days"]);

    for path in ["/api/v1/facts", "/api/v1/catalog/entities"] {
        let body = &doc["paths"][path]["post"]["requestBody"]["content"]["application/json"];
        assert_eq!(body["schema"]["minItems"], 1, "{path}");
        let (status, refused) = s.post(path, Some(ADMIN), &json!([])).await;
        assert_eq!(status, 400, "{path}: {refused}");
    }

    for (path, schema) in [
        ("/api/v1/exemptions", "ExemptionRequest"),
        ("/api/v1/campaigns", "CampaignRequest"),
    ] {
        let (status, refused) = s.post(path, Some(ADMIN), &json!({})).await;
        assert_eq!(status, 422, "{path}: {refused}");
        let named: Vec<&str> = refused["error"]["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["path"].as_str())
            .collect();
        for field in doc["components"]["schemas"][schema]["required"]
            .as_array()
            .unwrap()
        {
            let pointer = format!("/{}", field.as_str().unwrap());
            assert!(named.contains(&pointer.as_str()), "{path}: {refused}");
        }
    }

    for (unfiltered, empty) in [
        (
            "/api/v1/entities",
            "?owner=&kind=&type=&lifecycle=&track=&level=&cursor=",
        ),
        (
            "/api/v1/fleet/eligibility",
            "?owner=&track=&level=&lifecycle=&technology=&version=&cursor=",
        ),
        ("/api/v1/exemptions", "?entity="),
        ("/api/v1/exemptions/audit", "?entity="),
        (history, "?collector="),
    ] {
        let (_, all) = s.get(unfiltered).await;
        let (status, page) = s.get(&format!("{unfiltered}{empty}")).await;
        assert_eq!((status, &page), (200, &all), "{unfiltered}{empty}");
    }
}

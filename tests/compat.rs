//! The routes of Backstage's tech-radar and Tech Insights backends, served from the demo fleet
//! on SQLite and on Postgres: what the stock frontends read, verdicts that agree with our own
//! health, facts and their history, and JSON errors for what is wrong.

mod service_support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use service_support::{Running, TestDb, WRITER, serve_demo};

const TI: &str = "/api/tech-insights";
const BILLING: &str = "component:default/billing-service";

fn results_by_id(results: &Value) -> Vec<(String, &Value)> {
    results
        .as_array()
        .unwrap_or_else(|| panic!("not a list of results: {results}"))
        .iter()
        .map(|r| (r["check"]["id"].as_str().unwrap().to_string(), r))
        .collect()
}

fn result<'a>(results: &'a Value, id: &str) -> &'a Value {
    results_by_id(results)
        .into_iter()
        .find(|(c, _)| c == id)
        .unwrap_or_else(|| panic!("no result for {id} in {results}"))
        .1
}

async fn run(s: &Running, entity_path: &str, body: &Value) -> (u16, Value) {
    s.post(&format!("{TI}/checks/run/{entity_path}"), None, body)
        .await
}

async fn radar_is_served_where_the_tech_radar_loads_it(db: &TestDb) {
    let s = serve_demo(db).await;
    let (status, data) = s.get("/api/tech-radar/data").await;
    assert_eq!(status, 200, "{data}");
    let (_, ours) = s.get("/api/v1/radar").await;
    assert_eq!(data, ours);
    for key in ["quadrants", "rings", "entries"] {
        assert!(data[key].as_array().is_some_and(|a| !a.is_empty()), "{key}");
    }
    let entry = &data["entries"][0];
    assert!(entry["timeline"][0]["ringId"].is_string(), "{entry}");
}

async fn checks_are_described_as_tech_insights_checks(db: &TestDb) {
    let s = serve_demo(db).await;
    let (status, checks) = s.get(&format!("{TI}/checks")).await;
    assert_eq!(status, 200, "{checks}");
    let (_, ours) = s.get("/api/v1/checks").await;
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&checks), ids(&ours));
    let green = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "ci-green-default-branch")
        .unwrap();
    assert_eq!(green["type"], "json-rules-engine");
    assert_eq!(green["factIds"], json!(["github"]));
    assert_eq!(
        green["rule"]["conditions"]["all"][0]["fact"],
        "ciGreenOnDefaultBranch"
    );
    assert_eq!(green["metadata"]["severity"], "error");
    assert!(green["metadata"]["howToFix"].is_string());
    assert_eq!(
        green["metadata"]["usedIn"][0],
        json!({"track": "fleet-readiness", "level": "silver"})
    );
    assert!(green["links"][0]["title"].is_string() && green["links"][0]["url"].is_string());
}

async fn runs_give_our_verdicts_as_booleans(db: &TestDb) {
    let s = serve_demo(db).await;
    // checkout-api is golden: every check that applies passes.
    let (status, checkout) = run(&s, "default/component/checkout-api", &json!({})).await;
    assert_eq!(status, 200, "{checkout}");
    assert!(!results_by_id(&checkout).is_empty());
    for (id, r) in results_by_id(&checkout) {
        assert_eq!(r["result"], true, "{id}: {r}");
        assert_eq!(r["check"]["metadata"]["status"], "pass");
    }

    // The results are exactly the entity's applicable checks, with the same verdicts.
    for name in ["billing-service", "ads-sdk-js"] {
        let (_, served) = run(&s, &format!("default/component/{name}"), &json!({})).await;
        let (_, health) = s
            .get(&format!("/api/v1/entities/component/default/{name}/health"))
            .await;
        let applicable: BTreeSet<(String, bool)> = health["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] != "not-applicable")
            .map(|c| {
                let ok = c["status"] == "pass" || c["status"] == "exempt";
                (c["id"].as_str().unwrap().to_string(), ok)
            })
            .collect();
        let served: BTreeSet<(String, bool)> = results_by_id(&served)
            .into_iter()
            .map(|(id, r)| (id, r["result"].as_bool().unwrap()))
            .collect();
        assert_eq!(served, applicable, "{name}");
    }
    // ads-sdk-js (a library) is not deployed: those checks are left out.
    let (_, sdk) = run(&s, "default/component/ads-sdk-js", &json!({})).await;
    let ids: Vec<String> = results_by_id(&sdk).into_iter().map(|(id, _)| id).collect();
    assert!(!ids.contains(&"deploys-on-merge".to_string()), "{ids:?}");
    assert!(ids.contains(&"has-readme".to_string()), "{ids:?}");

    let (_, billing) = run(&s, "default/component/billing-service", &json!({})).await;
    let red = result(&billing, "ci-green-default-branch");
    assert_eq!(red["result"], false);
    assert_eq!(red["check"]["metadata"]["status"], "fail");
    assert_eq!(
        red["facts"]["ciGreenOnDefaultBranch"],
        json!({"id": "ci", "type": "boolean", "value": false,
               "description": "The last build of the default branch passed."})
    );
    let owner = result(&billing, "group-owner");
    assert_eq!(owner["result"], true);
    assert_eq!(owner["facts"]["hasGroupOwner"]["id"], "catalog");

    // A missing fact: unknown reads as false and says which fact is missing.
    let (_, docs) = run(
        &s,
        "default/component/docs-site-generator",
        &json!({"checks": ["ci-configured", "group-owner"]}),
    )
    .await;
    assert_eq!(results_by_id(&docs).len(), 2, "{docs}");
    let unknown = result(&docs, "ci-configured");
    assert_eq!(unknown["result"], false);
    assert_eq!(unknown["check"]["metadata"]["status"], "unknown");
    assert_eq!(
        unknown["check"]["metadata"]["missingFacts"],
        json!(["ciProvider"])
    );

    // Pushed facts are read at once.
    let push = json!([{ "entity": BILLING, "collector": "ci",
                        "facts": { "ciGreenOnDefaultBranch": true, "testCoverage": 61.0 } }]);
    let (status, out) = s.post("/api/v1/facts", Some(WRITER), &push).await;
    assert_eq!(status, 200, "{out}");
    let (_, billing) = run(
        &s,
        "default/component/billing-service",
        &json!({"checks": ["ci-green-default-branch"]}),
    )
    .await;
    assert_eq!(results_by_id(&billing).len(), 1);
    assert_eq!(result(&billing, "ci-green-default-branch")["result"], true);
}

async fn bulk_runs_answer_per_entity(db: &TestDb) {
    let s = serve_demo(db).await;
    let body = json!({
        "checks": ["ci-green-default-branch"],
        "entities": [
            {"kind": "Component", "namespace": "default", "name": "billing-service"},
            "component:default/checkout-api",
            "component:default/ghost",
        ],
    });
    let (status, out) = s.post(&format!("{TI}/checks/run"), None, &body).await;
    assert_eq!(status, 200, "{out}");
    let rows = out.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["entity"], BILLING);
    assert_eq!(rows[0]["results"][0]["result"], false);
    assert_eq!(rows[1]["entity"], "component:default/checkout-api");
    assert_eq!(rows[1]["results"][0]["result"], true);
    assert_eq!(rows[2]["error"]["name"], "NotFoundError");
    assert_eq!(rows[2]["results"], json!([]));

    // No entities: every scored one.
    let (_, all) = s
        .post(
            &format!("{TI}/checks/run"),
            None,
            &json!({"entities": [], "checks": ["group-owner"]}),
        )
        .await;
    let (_, page) = s.get("/api/v1/entities?limit=1").await;
    assert_eq!(
        all.as_array().unwrap().len() as u64,
        page["total"].as_u64().unwrap()
    );
}

async fn facts_and_their_history_are_served(db: &TestDb) {
    let s = serve_demo(db).await;
    let (status, schemas) = s.get(&format!("{TI}/fact-schemas")).await;
    assert_eq!(status, 200, "{schemas}");
    let names: Vec<&str> = schemas
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"ci") && names.contains(&"scanner"),
        "{names:?}"
    );
    let (_, scanner) = s.get(&format!("{TI}/fact-schemas?ids[]=scanner")).await;
    assert_eq!(scanner.as_array().unwrap().len(), 1);
    assert_eq!(scanner[0]["version"], "1.0.0");
    assert_eq!(scanner[0]["hasReadme"]["type"], "boolean");
    assert_eq!(scanner[0]["testFileCount"]["type"], "integer");
    assert_eq!(
        scanner[0]["ciProvider"]["type"], "string",
        "a $ref to an enum"
    );

    let latest = format!("{TI}/facts/latest?entity={BILLING}&ids%5B0%5D=ci&ids%5B1%5D=security");
    let (status, facts) = s.get(&latest).await;
    assert_eq!(status, 200, "{facts}");
    assert_eq!(facts["ci"]["facts"]["ciGreenOnDefaultBranch"], false);
    assert_eq!(facts["security"]["facts"]["openHighVulns"], 7);
    assert_eq!(
        facts["ci"]["entity"],
        json!({"namespace": "default", "kind": "component", "name": "billing-service"})
    );
    let first_at = facts["ci"]["timestamp"].as_str().unwrap().to_string();

    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let push = json!([{ "entity": BILLING, "collector": "ci",
                        "facts": { "ciGreenOnDefaultBranch": true, "testCoverage": 61.0 } }]);
    let (status, out) = s.post("/api/v1/facts", Some(WRITER), &push).await;
    assert_eq!(status, 200, "{out}");
    let (_, facts) = s.get(&latest).await;
    assert_eq!(facts["ci"]["facts"]["ciGreenOnDefaultBranch"], true);
    let second_at = facts["ci"]["timestamp"].as_str().unwrap().to_string();

    let range = |start: &str| {
        format!(
            "{TI}/facts/range?entity={BILLING}&ids[]=ci&ids[]=github&startDatetime={}&endDatetime=2100-01-01T00:00:00Z",
            start.replace('+', "%2B")
        )
    };
    let (status, history) = s.get(&range("2000-01-01")).await;
    assert_eq!(status, 200, "{history}");
    let ci = history["ci"].as_array().unwrap();
    assert_eq!(ci.len(), 2, "{history}");
    assert_eq!(ci[0]["timestamp"], first_at.as_str());
    assert_eq!(ci[0]["facts"]["ciGreenOnDefaultBranch"], false);
    assert_eq!(ci[1]["timestamp"], second_at.as_str());
    assert_eq!(ci[1]["facts"]["ciGreenOnDefaultBranch"], true);
    assert_eq!(history["github"].as_array().unwrap().len(), 1);
    let (_, later) = s.get(&range(&second_at)).await;
    assert_eq!(later["ci"].as_array().unwrap().len(), 1, "{later}");
    assert!(later.get("github").is_none(), "{later}");
}

async fn wrong_requests_get_json_errors(db: &TestDb) {
    let s = serve_demo(db).await;
    let code = |v: &Value| v["error"]["code"].as_str().unwrap_or("").to_string();

    let (status, body) = run(&s, "default/component/ghost", &json!({})).await;
    assert_eq!((status, code(&body)), (404, "not-found".into()), "{body}");
    let (status, body) = run(
        &s,
        "default/component/billing-service",
        &json!({"checks": ["no-such-check"]}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no-such-check")
    );
    let (status, body) = run(
        &s,
        "default/component/billing-service",
        &json!({"checks": "ci"}),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "bad-request".into()), "{body}");
    let (status, body) = s
        .post(&format!("{TI}/checks/run"), None, &json!({"checks": []}))
        .await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = s.get(&format!("{TI}/facts/latest?ids[]=ci")).await;
    assert_eq!((status, code(&body)), (400, "bad-request".into()), "{body}");
    let (status, body) = s.get(&format!("{TI}/facts/latest?entity={BILLING}")).await;
    assert_eq!(
        (status, code(&body)),
        (422, "invalid-query".into()),
        "{body}"
    );
    let (status, body) = s
        .get(&format!(
            "{TI}/facts/range?entity={BILLING}&ids[]=ci&startDatetime=last-week&endDatetime=2100-01-01"
        ))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"]["field"], "startDatetime");
    let (status, body) = s
        .get(&format!(
            "{TI}/facts/latest?entity=component:default/ghost&ids[]=ci"
        ))
        .await;
    assert_eq!((status, code(&body)), (404, "not-found".into()), "{body}");
}

on_both_stores! {
    radar_is_served_where_the_tech_radar_loads_it => super::radar_is_served_where_the_tech_radar_loads_it;
    checks_are_described_as_tech_insights_checks => super::checks_are_described_as_tech_insights_checks;
    runs_give_our_verdicts_as_booleans => super::runs_give_our_verdicts_as_booleans;
    bulk_runs_answer_per_entity => super::bulk_runs_answer_per_entity;
    facts_and_their_history_are_served => super::facts_and_their_history_are_served;
    wrong_requests_get_json_errors => super::wrong_requests_get_json_errors;
}

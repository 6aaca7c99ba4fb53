//! Input past the service's bounds, through HTTP: each entry point answers a 4xx JSON error that
//! names the bound, and the service keeps answering afterwards. A recursion past the stack
//! would abort the whole process (issue 18); a cheap request must not cost seconds (issue 19).

mod service_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use service_support::{ADMIN, READER, Running, TestDb, WRITER, serve_demo};

const CHECKOUT: &str = "/api/v1/entities/component/default/checkout-api/health";

/// The service still answers a read after what came before.
async fn still_serves(s: &Running) {
    let (status, body) = s.get(CHECKOUT).await;
    assert_eq!(status, 200, "{body}");
}

/// A 4xx JSON error of `status` whose message (or the first of its details) says `says`.
fn refused(status: u16, body: &Value, expected: u16, says: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    let details = body["error"]["details"].to_string();
    assert!(
        message.contains(says) || details.contains(says),
        "`{says}` not in {body}"
    );
}

/// `open` `depth` times, then `inner`, then `close` as often.
fn nest(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

/// POSTs `text` as a JSON body (text that `serde_json` would not write: too deep, or numbers
/// it cannot hold), with `token` when given.
async fn post_text(s: &Running, path: &str, token: Option<&str>, text: String) -> (u16, Value) {
    let mut req = s
        .http
        .post(format!("{}{path}", s.base))
        .header("content-type", "application/json")
        .body(text);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn graphql(s: &Running, body: &Value) -> (u16, Value) {
    s.post("/graphql", None, body).await
}

async fn graphql_values_nested_past_the_bound_are_refused(db: &TestDb) {
    let s = serve_demo(db).await;
    // Just past the 64 levels a document may nest, counting the brackets around the value.
    let list = nest("[", "", "]", 64);
    let object = nest("{a:", "1", "}", 64);
    for query in [
        format!("{{__typename @skip(if:{list})}}"),
        format!("{{ entity(ref: {list}) {{ ref }} }}"),
        format!("{{ entities(owner: {object}) {{ edges {{ cursor }} }} }}"),
        format!("query($v: String = {list}) {{ __typename }}"),
        format!("{{ ...F }} fragment F on Query {{ __typename @include(if: {object}) }}"),
        nest("{ a ", "", "}", 65),
        // The reproducer of issue 19, 2,000 deep.
        format!("{{__typename @skip(if:{})}}", nest("[", "", "]", 2000)),
    ] {
        let (status, body) = graphql(&s, &json!({ "query": query })).await;
        refused(status, &body, 400, "nests brackets more than 64 levels");
    }
    // Brackets in strings and comments are text, not nesting.
    let quoted = format!(
        "{{ entity(ref: \"{}\") {{ ref }} }} # {}",
        "[".repeat(1000),
        "{".repeat(1000)
    );
    let (status, body) = graphql(&s, &json!({ "query": quoted })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["entity"], Value::Null, "{body}");
    still_serves(&s).await;
}

async fn graphql_variables_nested_past_the_bound_are_refused(db: &TestDb) {
    let s = serve_demo(db).await;
    let query = "query($v: String) { entity(ref: $v) { ref } }";
    // Variables are JSON of the body: serde_json stops at 128 levels.
    let deep: Value = serde_json::from_str(&nest("[", "", "]", 120)).unwrap();
    let (status, body) = graphql(&s, &json!({ "query": query, "variables": { "v": deep } })).await;
    assert_eq!(status, 200, "within the bound: a GraphQL error, {body}");
    assert!(body["errors"][0]["message"].is_string(), "{body}");
    let text = format!(
        r#"{{"query":"{query}","variables":{{"v":{}}}}}"#,
        nest("[", "", "]", 200)
    );
    let (status, body) = post_text(&s, "/graphql", None, text).await;
    refused(status, &body, 400, "recursion limit exceeded");
    still_serves(&s).await;
}

async fn graphql_cost_is_bounded_before_it_runs(db: &TestDb) {
    let s = serve_demo(db).await;
    // Issue 19 item 2: 1,000 aliases of a 500-entity page took 14.9 s and 1.4 GB.
    let field = "entities(first:500){edges{node{checks{status}}}}";
    let many: String = (0..1000).map(|i| format!(" a{i}: {field}")).collect();
    let started = Instant::now();
    let (status, body) = graphql(&s, &json!({ "query": format!("{{{many} }}") })).await;
    refused(status, &body, 400, "1000 aliased fields; at most 100");
    // Under the alias bound, the complexity bound counts every entity of every page.
    let few: String = (0..20).map(|i| format!(" a{i}: {field}")).collect();
    let (status, body) = graphql(&s, &json!({ "query": format!("{{{few} }}") })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too complex"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused in {:?}",
        started.elapsed()
    );
    // Fragments spreading fragments ten times each, eight deep: 10^8 selections to validate.
    let mut bomb = String::from("{ ...F0 }");
    for i in 0..8 {
        let spreads = format!(" ...F{}", i + 1).repeat(10);
        bomb.push_str(&format!(" fragment F{i} on Query {{{spreads} }}"));
    }
    bomb.push_str(" fragment F8 on Query { __typename }");
    let (status, body) = graphql(&s, &json!({ "query": bomb })).await;
    refused(status, &body, 400, "expands to more than 10000 selections");
    // One page of the same shape is fine.
    let (status, body) = graphql(&s, &json!({ "query": format!("{{ {field} }}") })).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["entities"]["edges"][0]["node"]["checks"].is_array(),
        "{body}"
    );
}

async fn json_bodies_nested_past_128_are_refused(db: &TestDb) {
    let s = serve_demo(db).await;
    // The bodies that hold free JSON (typed ones stop at the first value of the wrong type).
    for (path, body) in [
        (
            "/api/v1/facts",
            format!(
                r#"[{{"entity":"checkout-api","collector":"custom","facts":{{"x":{}}}}}]"#,
                nest("[", "", "]", 200)
            ),
        ),
        (
            "/api/v1/catalog/entities",
            format!("[{}]", nest(r#"{"a":"#, "1", "}", 200)),
        ),
    ] {
        let (status, body) = post_text(&s, path, Some(ADMIN), body).await;
        refused(status, &body, 400, "recursion limit exceeded");
    }
    still_serves(&s).await;
}

async fn fact_values_nested_past_the_bound_are_refused(db: &TestDb) {
    let s = serve_demo(db).await;
    let push = |value: Value| {
        json!([{ "entity": "component:default/checkout-api", "collector": "custom",
                 "facts": { "deep": value } }])
    };
    let deep = |levels: usize| serde_json::from_str::<Value>(&nest("[", "1", "]", levels)).unwrap();
    let (status, body) = s.post("/api/v1/facts", Some(WRITER), &push(deep(33))).await;
    refused(status, &body, 422, "nests more than 32 levels");
    let path = body["error"]["details"]["items"][0]["errors"][0]["path"]
        .as_str()
        .unwrap();
    assert_eq!(path, format!("/facts/deep{}", "/0".repeat(32)), "{body}");
    // At the bound, the value is stored, evaluated, shown and kept in history.
    let (status, body) = s.post("/api/v1/facts", Some(WRITER), &push(deep(32))).await;
    assert_eq!(status, 200, "{body}");
    still_serves(&s).await;
    let (status, body) = s
        .get("/api/v1/entities/component/default/checkout-api/facts/history?collector=custom")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.to_string().contains(&nest("[", "1", "]", 32)),
        "{body}"
    );
}

async fn pushed_facts_outside_sane_values_are_refused(db: &TestDb) {
    let s = serve_demo(db).await;
    let item = |entity: &str, collector: &str, facts: Value, observed: Option<&str>| {
        let mut i = json!({ "entity": entity, "collector": collector, "facts": facts });
        if let Some(at) = observed {
            i["observedAt"] = json!(at);
        }
        json!([i])
    };
    let green = json!({ "ciGreenOnDefaultBranch": true });
    // Issue 19 item 7: a year -100000 was accepted.
    let body = item(
        "checkout-api",
        "ci",
        green.clone(),
        Some("-100000-01-01T00:00:00Z"),
    );
    let (status, out) = s.post("/api/v1/facts", Some(WRITER), &body).await;
    refused(status, &out, 422, "before 1970");
    assert_eq!(
        out["error"]["details"]["items"][0]["errors"][0]["path"],
        "/observedAt"
    );
    // An integer fact of 2^70 was stored as 1.18e21.
    let body = r#"[{"entity":"checkout-api","collector":"ci","facts":{"testsPassed":1180591620717411303424}}]"#;
    let (status, out) = post_text(&s, "/api/v1/facts", Some(WRITER), body.to_string()).await;
    refused(status, &out, 422, "not an integer kept exactly");
    assert_eq!(
        out["error"]["details"]["items"][0]["errors"][0]["path"],
        "/facts/testsPassed"
    );
    // Facts for a group were accepted and nothing was evaluated.
    let body = item("group:default/payments", "custom", json!({ "x": 1 }), None);
    let (status, out) = s.post("/api/v1/facts", Some(WRITER), &body).await;
    refused(status, &out, 422, "is a group, which is not scored");
    still_serves(&s).await;
}

async fn writes_check_the_token_before_the_body(db: &TestDb) {
    let s = serve_demo(db).await;
    // Issue 19 item 6: a body was parsed (400 with the parser's words) before the token.
    for path in [
        "/api/v1/facts",
        "/api/v1/catalog/entities",
        "/api/v1/preview",
        "/api/v1/exemptions",
        "/api/v1/campaigns",
        "/api/v1/admin/reload",
    ] {
        for (token, expected) in [(None, 401), (Some("not-a-token"), 401), (Some(WRITER), 403)] {
            if path == "/api/v1/facts" && token == Some(WRITER) {
                continue;
            }
            let (status, body) = post_text(&s, path, token, "{ this is not json".into()).await;
            assert_eq!(status, expected, "{path} with {token:?}: {body}");
            assert!(!body.to_string().contains("line 1"), "{path}: {body}");
        }
    }
    still_serves(&s).await;
}

async fn reads_check_the_token_before_the_query(db: &TestDb) {
    let mut settings = service_support::settings();
    settings.auth.require_token_for_reads = true;
    let demo = tech_health::service::Sources {
        demo: true,
        ..Default::default()
    };
    let s = service_support::serve(db, settings, demo).await;
    for path in [
        "/api/v1/entities?limit=many",
        "/api/v1/fleet/eligibility?eligible=perhaps",
        "/api/v1/exemptions?active=perhaps",
        "/api/v1/groups/default/payments/trend?days=forever",
        "/api/v1/entities/component/default/checkout-api/facts/history?limit=x",
    ] {
        let (status, body) = s.get(path).await;
        refused(status, &body, 401, "a bearer token is required");
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .bearer_auth(READER)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{path} with a token");
    }
}

/// A preview whose one check has `conditions`.
fn preview_with(conditions: Value) -> Value {
    let patch = json!({ "checks": [{ "id": "coverage-50", "name": "Coverage", "severity": "error",
                                     "rule": { "conditions": conditions } }] });
    json!({ "patch": patch.to_string() })
}

async fn preview_conditions_past_the_bounds_are_refused(db: &TestDb) {
    let s = serve_demo(db).await;
    let leaf = json!({ "fact": "testCoverage", "operator": "greaterThan", "value": 50 });
    let nots = (0..33).fold(leaf.clone(), |inner, _| json!({ "not": inner }));
    let (status, body) = s
        .post("/api/v1/preview", Some(ADMIN), &preview_with(nots))
        .await;
    refused(status, &body, 422, "nest more than 32 levels");
    // `all` and `not` by turns (33 `all`s alone pass the 64 levels of YAML first).
    let mixed = (0..33).fold(leaf.clone(), |inner, i| {
        if i % 2 == 0 {
            json!({ "all": [inner] })
        } else {
            json!({ "not": inner })
        }
    });
    let (status, body) = s
        .post("/api/v1/preview", Some(ADMIN), &preview_with(mixed))
        .await;
    refused(status, &body, 422, "nest more than 32 levels");

    let path = format!("${}", ".a".repeat(33));
    let long = json!({ "all": [{ "fact": "testCoverage", "path": path, "operator": "equal", "value": 1 }] });
    let (status, body) = s
        .post("/api/v1/preview", Some(ADMIN), &preview_with(long))
        .await;
    refused(status, &body, 422, "more than 32 steps");
    let descents =
        json!({ "all": [{ "fact": "x", "path": "$..a..b..c", "operator": "equal", "value": 1 }] });
    let (status, body) = s
        .post("/api/v1/preview", Some(ADMIN), &preview_with(descents))
        .await;
    refused(status, &body, 422, "at most 2 are allowed");

    // A deep literal `value` within the YAML bound is data: compared, not a problem.
    let value: Value = serde_json::from_str(&nest("[", "1", "]", 50)).unwrap();
    let deep = json!({ "all": [{ "fact": "testCoverage", "operator": "equal", "value": value }] });
    let (status, body) = s
        .post("/api/v1/preview", Some(ADMIN), &preview_with(deep))
        .await;
    assert_eq!(status, 200, "{body}");
    still_serves(&s).await;
}

async fn preview_yaml_past_the_parser_budget_is_refused(db: &TestDb) {
    let s = serve_demo(db).await;
    // Nesting past the parser's 64 levels, as flow and as block collections.
    let flow = format!("checks: {}\n", nest("[", "", "]", 70));
    let block: String = (0..70).map(|i| format!("{}- \n", "  ".repeat(i))).collect();
    for patch in [flow, format!("checks:\n{block}")] {
        let (status, body) = s
            .post("/api/v1/preview", Some(ADMIN), &json!({ "patch": patch }))
            .await;
        assert_eq!(status, 422, "{body}");
        let first = body["error"]["details"]["errors"][0].as_str().unwrap();
        assert!(first.starts_with("patch:"), "{first}");
        assert!(first.contains("nested more than 64 levels"), "{first}");
    }
    // Aliases that expand a few lines into a billion nodes.
    let mut laughs = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        laughs.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    let started = Instant::now();
    let (status, body) = s
        .post("/api/v1/preview", Some(ADMIN), &json!({ "patch": laughs }))
        .await;
    assert_eq!(status, 422, "{body}");
    let first = body["error"]["details"]["errors"][0].as_str().unwrap();
    assert!(first.starts_with("patch:6:"), "{first}");
    assert!(
        first.contains("aliases expand to more than 100000"),
        "{first}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    still_serves(&s).await;
}

async fn group_trees_deep_or_cyclic_are_served(db: &TestDb) {
    let s = serve_demo(db).await;
    let group = |name: &str, parent: &str| {
        json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                "metadata": { "name": name }, "spec": { "type": "team", "parent": parent, "children": [] } })
    };
    let component = |name: &str, owner: &str| {
        json!({ "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": { "name": name },
                "spec": { "type": "service", "lifecycle": "production", "owner": owner } })
    };
    // A chain 10,000 groups deep under payments, a component at its bottom.
    let mut chain: Vec<Value> = (0..10_000)
        .map(|i| {
            let parent = if i == 0 {
                "payments".to_string()
            } else {
                format!("chain-{}", i - 1)
            };
            group(&format!("chain-{i}"), &parent)
        })
        .collect();
    chain.push(component("deep-service", "chain-9999"));
    // A cycle of parents.
    chain.extend([
        group("loop-a", "loop-b"),
        group("loop-b", "loop-a"),
        component("loop-service", "loop-a"),
    ]);
    let started = Instant::now();
    let (status, body) = s
        .post(
            "/api/v1/catalog/entities",
            Some(ADMIN),
            &Value::Array(chain),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s.get("/api/v1/groups/default/payments/health").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["components"], 18, "{body}");
    for group in ["chain-9999", "chain-0", "loop-a", "loop-b"] {
        let (status, body) = s
            .get(&format!("/api/v1/groups/default/{group}/health"))
            .await;
        assert_eq!(status, 200, "{group}: {body}");
    }
    let push = json!([{ "entity": "deep-service", "collector": "ci",
                        "facts": { "ciGreenOnDefaultBranch": true } },
                      { "entity": "loop-service", "collector": "ci",
                        "facts": { "ciGreenOnDefaultBranch": true } }]);
    let (status, body) = s.post("/api/v1/facts", Some(WRITER), &push).await;
    assert_eq!(status, 200, "{body}");
    let query = "{ group(ref: \"loop-a\") { children { ref children { ref children { ref } } } } }";
    let (status, body) = graphql(&s, &json!({ "query": query })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    still_serves(&s).await;
}

on_both_stores! {
    graphql_values_nested_past_the_bound_are_refused => super::graphql_values_nested_past_the_bound_are_refused;
    graphql_variables_nested_past_the_bound_are_refused => super::graphql_variables_nested_past_the_bound_are_refused;
    graphql_cost_is_bounded_before_it_runs => super::graphql_cost_is_bounded_before_it_runs;
    json_bodies_nested_past_128_are_refused => super::json_bodies_nested_past_128_are_refused;
    fact_values_nested_past_the_bound_are_refused => super::fact_values_nested_past_the_bound_are_refused;
    pushed_facts_outside_sane_values_are_refused => super::pushed_facts_outside_sane_values_are_refused;
    writes_check_the_token_before_the_body => super::writes_check_the_token_before_the_body;
    reads_check_the_token_before_the_query => super::reads_check_the_token_before_the_query;
    preview_conditions_past_the_bounds_are_refused => super::preview_conditions_past_the_bounds_are_refused;
    preview_yaml_past_the_parser_budget_is_refused => super::preview_yaml_past_the_parser_budget_is_refused;
    group_trees_deep_or_cyclic_are_served => super::group_trees_deep_or_cyclic_are_served;
}

//! Who may call what, generated from what the service serves: every operation of
//! `/api/v1/openapi.json` that changes state declares the bearer scope it needs, and answers
//! 401 without a token, 401 with a token it does not know, 403 with a token of every other
//! scope and succeeds with the right one; every GraphQL mutation (from introspection) declares
//! its scope too. With `requireTokenForReads`, every read — REST, GraphQL, the NDJSON export,
//! the Tech Insights and tech-radar routes, `/metrics` — refuses an anonymous caller.
//!
//! A new route that changes state without a declared scope fails here: in the document, give it
//! `security(("bearer" = ["<scope>"]))`, or `security(())` when whoever may read may call it,
//! or the `x-authenticated-by` extension when something other than a token authenticates it.

mod service_support;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use service_support::{Running, TestDb, hash, serve};
use tech_health::service::Sources;
use tech_health::settings::{SettingsFile, TokenSetting};

/// A token nobody configured.
const UNKNOWN: &str = "a-token-nobody-configured";

/// The token of the test that holds exactly `scope`.
fn token_of(scope: &str) -> String {
    format!("auth-matrix-{scope}")
}

/// Every scope the document names, with one token for each.
fn settings_with_a_token_per_scope(
    scopes: &BTreeSet<String>,
    reads_need_a_token: bool,
) -> SettingsFile {
    let mut s = SettingsFile::default();
    s.auth.require_token_for_reads = reads_need_a_token;
    s.auth.tokens = scopes
        .iter()
        .map(|scope| TokenSetting {
            name: format!("holds {scope}"),
            sha256: hash(&token_of(scope)),
            scopes: vec![scope.clone()],
        })
        .collect();
    s
}

/// An operation of the document.
#[derive(Debug, Clone)]
struct Operation {
    method: String,
    path: String,
    /// The one bearer scope it requires (`None`: open to whoever may read).
    scope: Option<String>,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// Every operation of the document, and how each is authorised; panics on an operation that
/// changes state without saying how its caller is authorised.
fn operations(doc: &Value) -> (Vec<Operation>, Vec<Operation>) {
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    let mut undeclared = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let requirements = op["security"].as_array().cloned().unwrap_or_default();
            let optional = requirements
                .iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
            let scopes: Vec<String> = requirements
                .iter()
                .filter_map(|r| r["bearer"].as_array())
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            let operation = |scope| Operation {
                method: method.clone(),
                path: path.clone(),
                scope,
            };
            match (method.as_str(), scopes.as_slice(), optional) {
                (_, [scope], false) => writes.push(operation(Some(scope.clone()))),
                ("get", [], _) | (_, _, true) => reads.push(operation(None)),
                _ if op.get("x-authenticated-by").is_some() => {}
                _ => undeclared.push(format!("{} {path} ({scopes:?})", method.to_uppercase())),
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "these operations change state but do not declare the one bearer scope they need \
         (`security((\"bearer\" = [\"<scope>\"]))`, `security(())` when open to readers, or \
         the `x-authenticated-by` extension): {undeclared:?}"
    );
    (writes, reads)
}

/// The scopes the document requires anywhere, and `admin`, which holds them all.
fn scopes_of(writes: &[Operation]) -> BTreeSet<String> {
    let mut scopes: BTreeSet<String> = writes.iter().filter_map(|o| o.scope.clone()).collect();
    scopes.insert(tech_health::api::auth::ADMIN.to_string());
    scopes
}

/// A path with its parameters filled in with what the demo fleet holds.
fn fill(path: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = path.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn path_values(path: &str) -> BTreeMap<&'static str, String> {
    let name = if path.contains("/groups/") {
        "payments"
    } else {
        "checkout-api"
    };
    BTreeMap::from([
        ("kind", "component".to_string()),
        ("namespace", "default".to_string()),
        ("name", name.to_string()),
        ("id", "00000000-0000-0000-0000-000000000000".to_string()),
    ])
}

/// What a caller holding the scope sends to succeed: the body, and parameters other than the
/// demo fleet's defaults. An operation this does not know is sent `{}` and must at least get
/// past the authorisation (an answer about the body, not 401/403 or 5xx).
fn valid_request(
    op: &Operation,
    created: &BTreeMap<String, Value>,
) -> Option<(Value, BTreeMap<&'static str, String>)> {
    let now = Utc::now();
    let rfc = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut params = path_values(&op.path);
    let body = match (op.method.as_str(), op.path.as_str()) {
        ("post", "/api/v1/facts") => json!([{ "entity": "component:default/checkout-api",
            "collector": "ci", "facts": { "ciGreenOnDefaultBranch": true } }]),
        ("post", "/api/v1/catalog/entities") => json!([{ "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component", "metadata": { "name": "auth-matrix-service" },
            "spec": { "type": "service", "lifecycle": "production", "owner": "payments" } }]),
        ("delete", "/api/v1/catalog/entities/{kind}/{namespace}/{name}") => {
            params.insert("name", "auth-matrix-service".into());
            Value::Null
        }
        ("post", "/api/v1/exemptions") => json!({ "entity": "billing-service",
            "check": "ci-green-default-branch", "justification": "the auth matrix test",
            "expires": rfc(now + Duration::days(2)) }),
        ("delete", "/api/v1/exemptions/{id}") => {
            let id = created.get("POST /api/v1/exemptions")?["id"].as_str()?;
            params.insert("id", id.to_string());
            Value::Null
        }
        ("post", "/api/v1/campaigns") => {
            json!({ "name": "auth matrix", "owner": "group:default/payments",
            "goal": { "checks": ["ci-green-default-branch"] },
            "start": rfc(now), "deadline": rfc(now + Duration::days(30)) })
        }
        ("post", "/api/v1/changes") => {
            json!({ "name": "auth matrix", "owner": "group:default/platform",
            "target": { "technology": "log4j-core <2.17.1" } })
        }
        ("post", "/api/v1/changes/{id}/outcomes") => {
            let id = created.get("POST /api/v1/changes")?["id"].as_str()?;
            params.insert("id", id.to_string());
            json!({ "outcomes": [{ "entity": "component:default/feature-flags", "outcome": "opened" }] })
        }
        ("post", "/api/v1/changes/{id}/pause") => {
            let id = created.get("POST /api/v1/changes")?["id"].as_str()?;
            params.insert("id", id.to_string());
            json!({ "reason": "the auth matrix test" })
        }
        ("post", "/api/v1/preview") => json!({ "files": {} }),
        ("post", "/api/v1/admin/reload") => Value::Null,
        _ => return None,
    };
    Some((body, params))
}

async fn call(
    s: &Running,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let method: reqwest::Method = method.to_uppercase().parse().unwrap();
    let mut req = s.http.request(method, format!("{}{path}", s.base));
    if !body.is_null() {
        req = req.json(body);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Waits until the app leads: the server of `served_document` on the same store may hold the
/// leader's lock for a moment after it stopped, and a fleet change only starts on the leader.
async fn leading(s: &Running) {
    for _ in 0..100 {
        if s.app.is_leader() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the app never took the lead");
}

fn demo() -> Sources {
    Sources {
        demo: true,
        ..Default::default()
    }
}

/// The document as served, and the writes and reads in it.
async fn served_document(db: &TestDb) -> (Value, Vec<Operation>, Vec<Operation>) {
    let s = serve(db, SettingsFile::default(), demo()).await;
    let (status, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200, "{doc}");
    let (writes, reads) = operations(&doc);
    (doc, writes, reads)
}

async fn every_write_refuses_all_but_its_scope(db: &TestDb) {
    let (_, mut writes, _) = served_document(db).await;
    // What is created first can then be deleted.
    writes.sort_by_key(|o| (o.method != "post", o.path.clone()));
    let scopes = scopes_of(&writes);
    let s = serve(db, settings_with_a_token_per_scope(&scopes, false), demo()).await;
    leading(&s).await;

    let mut cases = 0;
    let mut created = BTreeMap::new();
    let mut only_past_the_scope = Vec::new();
    for op in &writes {
        let name = op.name();
        let scope = op.scope.as_deref().unwrap();
        let path = fill(&op.path, &path_values(&op.path));
        let garbage = json!({ "this": "is checked after the token" });
        let mut refused = vec![
            (None, 401, "unauthorized"),
            (Some(UNKNOWN.to_string()), 401, "invalid-token"),
        ];
        for other in scopes.iter().filter(|o| *o != scope && *o != "admin") {
            refused.push((Some(token_of(other)), 403, "forbidden"));
        }
        for (token, expected, code) in refused {
            let (status, body) = call(&s, &op.method, &path, token.as_deref(), &garbage).await;
            assert_eq!(status, expected, "{name} with {token:?}: {body}");
            assert_eq!(body["error"]["code"], code, "{name} with {token:?}: {body}");
            if expected == 403 {
                assert_eq!(body["error"]["details"]["scope"], scope, "{name}: {body}");
            }
            cases += 1;
        }
        let right = token_of(scope);
        match valid_request(op, &created) {
            Some((body, params)) => {
                let path = fill(&op.path, &params);
                let (status, answer) = call(&s, &op.method, &path, Some(&right), &body).await;
                assert!(
                    (200..300).contains(&status),
                    "{name} with {scope}: {status} {answer}"
                );
                created.insert(name.clone(), answer);
            }
            None => {
                let (status, answer) = call(&s, &op.method, &path, Some(&right), &json!({})).await;
                assert!(
                    ![401, 403].contains(&status) && status < 500,
                    "{name} with {scope}: {status} {answer}"
                );
                only_past_the_scope.push(name);
            }
        }
        cases += 1;
    }
    eprintln!(
        "auth matrix: {} write operations x {} scopes: {cases} requests; known only to get past \
         the scope (no valid body in this test): {only_past_the_scope:?}",
        writes.len(),
        scopes.len()
    );
    assert!(writes.len() >= 8, "{writes:?}");
}

/// A value of an introspected GraphQL input type: the first enum value, an empty list, an
/// input object with its required fields.
fn graphql_value(ty: &Value, types: &BTreeMap<String, Value>) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => graphql_value(&ty["ofType"], types),
        Some("LIST") => "[]".into(),
        Some("ENUM") => types[ty["name"].as_str().unwrap()]["enumValues"][0]["name"]
            .as_str()
            .unwrap()
            .into(),
        Some("INPUT_OBJECT") => {
            let fields: Vec<String> = types[ty["name"].as_str().unwrap()]["inputFields"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["type"]["kind"] == "NON_NULL")
                .map(|f| {
                    format!(
                        "{}: {}",
                        f["name"].as_str().unwrap(),
                        graphql_value(&f["type"], types)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        _ => match ty["name"].as_str() {
            Some("Int") => "1".into(),
            Some("Float") => "1.5".into(),
            Some("Boolean") => "true".into(),
            _ => "\"component:default/checkout-api\"".into(),
        },
    }
}

async fn every_graphql_mutation_declares_its_scope(db: &TestDb) {
    let (_, writes, _) = served_document(db).await;
    let scopes = scopes_of(&writes);
    let s = serve(db, settings_with_a_token_per_scope(&scopes, false), demo()).await;
    leading(&s).await;
    let introspection = "{ __schema { mutationType { fields { name description \
        args { name type { kind name ofType { kind name ofType { kind name } } } } } } \
        types { name kind enumValues { name } inputFields { name type { kind name ofType { kind name } } } } } }";
    let (status, schema) = s
        .post("/graphql", None, &json!({ "query": introspection }))
        .await;
    assert_eq!(status, 200, "{schema}");
    let types: BTreeMap<String, Value> = schema["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t.clone()))
        .collect();
    let mutations = schema["data"]["__schema"]["mutationType"]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut checked = 0;
    for m in &mutations {
        let name = m["name"].as_str().unwrap();
        // The scope, as the mutation's description states it: "Requires the `<scope>` scope."
        let description = m["description"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let scope = description
            .split("Requires the `")
            .nth(1)
            .and_then(|r| r.split('`').next())
            .unwrap_or_else(|| {
                panic!("mutation {name} does not say which scope it requires: {description:?}")
            });
        let args: Vec<String> = m["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"]["kind"] == "NON_NULL")
            .map(|a| {
                format!(
                    "{}: {}",
                    a["name"].as_str().unwrap(),
                    graphql_value(&a["type"], &types)
                )
            })
            .collect();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let query = json!({ "query": format!("mutation {{ {name}{args} {{ __typename }} }}") });
        assert!(
            scopes.contains(scope),
            "mutation {name} requires `{scope}`, which no route names"
        );
        for (token, expected) in [(None, 401), (Some(UNKNOWN.to_string()), 401)] {
            let (status, body) = s.post("/graphql", token.as_deref(), &query).await;
            assert_eq!(status, expected, "mutation {name} with {token:?}: {body}");
        }
        // Every other scope: 403; its own (or admin): past authorisation (the made-up
        // arguments may still be refused, as GraphQL errors).
        for other in &scopes {
            let token = token_of(other);
            let (status, body) = s.post("/graphql", Some(&token), &query).await;
            if other == scope || other == "admin" {
                assert_eq!(status, 200, "mutation {name} with its scope: {body}");
                checked += 1;
            } else {
                assert_eq!(status, 403, "mutation {name} with `{other}`: {body}");
                assert_eq!(body["error"]["details"]["scope"], scope);
            }
        }
    }
    assert!(mutations.is_empty() || checked > 0);
    eprintln!("auth matrix: {} GraphQL mutations", mutations.len());
}

async fn reads_need_a_token_when_the_settings_say_so(db: &TestDb) {
    let (_, writes, reads) = served_document(db).await;
    let scopes = scopes_of(&writes);
    let s = serve(db, settings_with_a_token_per_scope(&scopes, true), demo()).await;
    // The probes stay open for the orchestrator; they tell nothing about the fleet.
    let probes = ["/healthz", "/readyz"];
    let mut routes: Vec<(String, String, Value, Option<&str>)> = reads
        .iter()
        .filter(|o| !probes.contains(&o.path.as_str()))
        .map(|o| {
            (
                o.method.clone(),
                fill(&o.path, &path_values(&o.path)),
                Value::Null,
                None,
            )
        })
        .collect();
    assert!(routes.len() >= 15, "{routes:?}");
    // Beside the document: GraphQL, the NDJSON export, and the routes of Backstage's own
    // tech-radar and Tech Insights backends.
    let q = "entity=component%3Adefault%2Fcheckout-api&ids%5B%5D=ci";
    routes.extend([
        (
            "post".into(),
            "/graphql".into(),
            json!({ "query": "{ entity(ref: \"checkout-api\") { ref } }" }),
            None,
        ),
        (
            "get".into(),
            "/api/v1/fleet/eligibility".into(),
            Value::Null,
            Some("application/x-ndjson"),
        ),
        (
            "get".into(),
            "/api/tech-radar/data".into(),
            Value::Null,
            None,
        ),
        (
            "get".into(),
            "/api/tech-insights/checks".into(),
            Value::Null,
            None,
        ),
        (
            "post".into(),
            "/api/tech-insights/checks/run".into(),
            json!({ "entities": ["component:default/checkout-api"] }),
            None,
        ),
        (
            "post".into(),
            "/api/tech-insights/checks/run/default/component/checkout-api".into(),
            json!({}),
            None,
        ),
        (
            "get".into(),
            "/api/tech-insights/fact-schemas".into(),
            Value::Null,
            None,
        ),
        (
            "get".into(),
            format!("/api/tech-insights/facts/latest?{q}"),
            Value::Null,
            None,
        ),
        (
            "get".into(),
            format!(
                "/api/tech-insights/facts/range?{q}&startDatetime=2020-01-01&endDatetime=2030-01-01"
            ),
            Value::Null,
            None,
        ),
    ]);
    let reader = token_of("admin");
    for (method, path, body, accept) in &routes {
        for (token, expected) in [
            (None, Some("unauthorized")),
            (Some(UNKNOWN), Some("invalid-token")),
            (Some(reader.as_str()), None),
        ] {
            let method_: reqwest::Method = method.to_uppercase().parse().unwrap();
            let mut req = s.http.request(method_, format!("{}{path}", s.base));
            if !body.is_null() {
                req = req.json(body);
            }
            if let Some(a) = accept {
                req = req.header("accept", *a);
            }
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            match expected {
                Some(code) => {
                    assert_eq!(status, 401, "{method} {path} with {token:?}: {text}");
                    assert!(text.contains(code), "{method} {path}: {text}");
                }
                None => assert!(
                    status < 400 || status == 404 || status == 422,
                    "{method} {path} with a token: {status} {text}"
                ),
            }
        }
    }
    for probe in probes {
        assert_eq!(s.get(probe).await.0, 200, "{probe}");
    }
    eprintln!(
        "auth matrix: {} read routes refuse anonymous callers",
        routes.len()
    );
}

on_both_stores! {
    every_write_refuses_all_but_its_scope => super::every_write_refuses_all_but_its_scope;
    every_graphql_mutation_declares_its_scope => super::every_graphql_mutation_declares_its_scope;
    reads_need_a_token_when_the_settings_say_so => super::reads_need_a_token_when_the_settings_say_so;
}

//! Governance through HTTP, on SQLite and on Postgres: exemptions lift a level until they
//! expire (by themselves) and every step is audited; campaigns show a burn-up that moves as
//! facts are pushed.

mod service_support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use service_support::governance::{CAMPAIGNER, SECURITY, ci, demo, rfc, settings, start_clock};
use service_support::{READER, Running, TestDb, WRITER, check, serve};

const BILLING: &str = "/api/v1/entities/component/default/billing-service/health";

async fn delete(s: &Running, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = s.http.delete(format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("request");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn level(health: &Value, track: &str) -> Value {
    health["tracks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] == track))
        .map(|t| t["level"].clone())
        .unwrap_or_else(|| panic!("no track {track}"))
}

/// Polls `path` until `done` holds (background tasks act on their own).
async fn eventually(s: &Running, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let (_, v) = s.get(path).await;
        if done(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never reached the expected state");
}

fn actions(audit: &Value) -> Vec<(String, String)> {
    audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_string(),
                a["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn exemption_lifts_a_level_until_it_expires(db: &TestDb) {
    let s = serve(db, settings(), demo()).await;
    let t0 = start_clock(&s);
    let (_, before) = s.get(BILLING).await;
    assert_eq!(level(&before, "fleet-readiness"), "bronze", "{before}");
    assert_eq!(check(&before, "ci-green-default-branch")["status"], "fail");

    let good = json!({ "entity": "billing-service", "check": "ci-green-default-branch",
        "justification": "Moving CI to GitHub Actions; the old runner is red on purpose",
        "expires": rfc(t0 + chrono::Duration::days(2)) });
    // Refused: no token, a token without the scope, bad bodies. Nothing is stored.
    assert_eq!(s.post("/api/v1/exemptions", None, &good).await.0, 401);
    for t in [READER, WRITER, CAMPAIGNER] {
        assert_eq!(s.post("/api/v1/exemptions", Some(t), &good).await.0, 403);
    }
    let mut bad = Vec::new();
    let mut without = good.clone();
    without.as_object_mut().unwrap().remove("justification");
    bad.push((without, "/justification"));
    let mut blank = good.clone();
    blank["justification"] = json!("   ");
    bad.push((blank, "/justification"));
    let mut far = good.clone();
    far["expires"] = json!(rfc(t0 + chrono::Duration::days(31)));
    bad.push((far, "/expires"));
    let mut past = good.clone();
    past["expires"] = json!(rfc(t0 - chrono::Duration::minutes(1)));
    bad.push((past, "/expires"));
    let mut unknown_check = good.clone();
    unknown_check["check"] = json!("no-such-check");
    bad.push((unknown_check, "/check"));
    let mut unknown_entity = good.clone();
    unknown_entity["entity"] = json!("component:default/no-such-service");
    bad.push((unknown_entity, "/entity"));
    let mut bad_level = good.clone();
    bad_level.as_object_mut().unwrap().remove("check");
    bad_level["track"] = json!("fleet-readiness");
    bad_level["level"] = json!("platinum");
    bad.push((bad_level, "/level"));
    for (body, path) in bad {
        let (status, err) = s.post("/api/v1/exemptions", Some(SECURITY), &body).await;
        assert_eq!(status, 422, "{body} -> {err}");
        assert_eq!(err["error"]["code"], "invalid-exemption");
        let paths: Vec<&str> = err["error"]["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        assert!(paths.contains(&path), "{path} not in {err}");
    }
    // The author comes from the token, never from the body.
    let mut forged = good.clone();
    forged["author"] = json!("someone-else");
    assert_eq!(
        s.post("/api/v1/exemptions", Some(SECURITY), &forged)
            .await
            .0,
        400
    );
    assert_eq!(s.get("/api/v1/exemptions").await.1, json!([]));
    assert_eq!(s.get("/api/v1/exemptions/audit").await.1, json!([]));

    let (status, created) = s.post("/api/v1/exemptions", Some(SECURITY), &good).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["author"], "security-lead");
    assert_eq!(created["state"], "active");
    assert_eq!(created["entity"], "component:default/billing-service");
    let (_, exempt) = s.get(BILLING).await;
    assert_eq!(level(&exempt, "fleet-readiness"), "silver", "{exempt}");
    let c = check(&exempt, "ci-green-default-branch");
    assert_eq!(c["status"], "exempt");
    assert_eq!(c["exemption"]["author"], "security-lead");
    assert_eq!(c["exemption"]["justification"], good["justification"]);
    assert_eq!(
        c["exemption"]["expires"]
            .as_str()
            .map(|e| e.parse::<DateTime<Utc>>().unwrap()),
        Some(t0 + chrono::Duration::days(2))
    );
    let (_, team) = s.get("/api/v1/groups/default/team-billing/health").await;
    let (_, listed) = s
        .get("/api/v1/exemptions?entity=billing-service&active=true")
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    // A level exemption, kept across a restart, then revoked.
    let whole_level = json!({ "entity": "component:default/billing-service",
        "track": "golden-tech", "level": "silver",
        "justification": "Java 17 upgrade scheduled for next sprint",
        "expires": rfc(t0 + chrono::Duration::days(10)) });
    let (status, level_ex) = s
        .post("/api/v1/exemptions", Some(SECURITY), &whole_level)
        .await;
    assert_eq!(status, 201, "{level_ex}");
    let (_, h) = s.get(BILLING).await;
    assert_eq!(check(&h, "java-17")["status"], "exempt");
    assert_eq!(level(&h, "golden-tech"), "silver", "{h}");
    drop(s);
    let s = serve(db, settings(), demo()).await;
    s.app.set_clock(Some(t0));
    let (_, h) = s.get(BILLING).await;
    assert_eq!(
        check(&h, "java-17")["status"],
        "exempt",
        "kept across a restart"
    );
    let id = level_ex["id"].as_str().unwrap();
    assert_eq!(
        delete(&s, &format!("/api/v1/exemptions/{id}"), Some(WRITER))
            .await
            .0,
        403
    );
    let (status, revoked) = delete(&s, &format!("/api/v1/exemptions/{id}"), Some(SECURITY)).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["state"], "revoked");
    assert_eq!(revoked["revokedBy"], "security-lead");
    let (_, h) = s.get(BILLING).await;
    assert_eq!(check(&h, "java-17")["status"], "fail");
    assert_eq!(level(&h, "golden-tech"), "bronze");
    assert_eq!(
        delete(&s, &format!("/api/v1/exemptions/{id}"), Some(SECURITY))
            .await
            .0,
        422
    );
    assert_eq!(
        delete(&s, "/api/v1/exemptions/no-such-id", Some(SECURITY))
            .await
            .0,
        404
    );

    // Expiry: nobody acts; the service notices, re-evaluates and audits it once.
    s.app.set_clock(Some(t0 + chrono::Duration::days(3)));
    let after = eventually(&s, BILLING, |h| {
        check(h, "ci-green-default-branch")["status"] == "fail"
    })
    .await;
    assert_eq!(level(&after, "fleet-readiness"), "bronze");
    let (_, team_after) = s.get("/api/v1/groups/default/team-billing/health").await;
    assert_ne!(
        team["tracks"], team_after["tracks"],
        "the team rollup moved too"
    );
    s.app.set_clock(Some(t0 + chrono::Duration::days(4)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, audit) = s
        .get("/api/v1/exemptions/audit?entity=billing-service")
        .await;
    assert_eq!(
        actions(&audit),
        vec![
            ("created".into(), "security-lead".into()),
            ("created".into(), "security-lead".into()),
            ("revoked".into(), "security-lead".into()),
            ("expired".into(), "tech-health".into()),
        ],
        "{audit}"
    );
    assert_eq!(audit[3]["exemption"]["id"], created["id"]);
    let (_, active) = s.get("/api/v1/exemptions?active=true").await;
    assert_eq!(active, json!([]));
    let q = json!({ "query": "{ exemptions(entity: \"billing-service\") { id state author } \
        exemptionAudit { action actor exemption { id } } }" });
    let (status, g) = s.post("/graphql", None, &q).await;
    assert_eq!(status, 200, "{g}");
    assert!(g["errors"].is_null(), "{g}");
    assert_eq!(g["data"]["exemptions"].as_array().unwrap().len(), 2);
    assert_eq!(g["data"]["exemptionAudit"][3]["action"], "expired");
    assert_eq!(
        g["data"]["exemptionAudit"][3]["exemption"]["id"],
        created["id"]
    );
    let (_, all) = s.get("/api/v1/exemptions").await;
    let states: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    let mut sorted = states.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["expired", "revoked"]);
}

async fn campaign_burnup_moves_as_facts_are_pushed(db: &TestDb) {
    let s = serve(db, settings(), demo()).await;
    let day1 = start_clock(&s);
    let good = json!({ "name": "Green default branches in Payments",
        "description": "Every Payments service builds green on main.",
        "owner": "group:default/payments",
        "goal": { "checks": ["ci-green-default-branch"] },
        "scope": { "owner": "group:default/payments", "kind": "component" },
        "start": rfc(day1 - chrono::Duration::days(1)),
        "deadline": rfc(day1 + chrono::Duration::days(30)) });
    assert_eq!(s.post("/api/v1/campaigns", None, &good).await.0, 401);
    assert_eq!(
        s.post("/api/v1/campaigns", Some(SECURITY), &good).await.0,
        403
    );
    for (field, value, path) in [
        (
            "goal",
            json!({ "checks": ["no-such-check"] }),
            "/goal/checks",
        ),
        ("goal", json!({ "technology": "java" }), "/goal/technology"),
        (
            "deadline",
            json!(rfc(day1 - chrono::Duration::days(2))),
            "/deadline",
        ),
        (
            "scope",
            json!({ "owner": "group:default/nobody" }),
            "/scope/owner",
        ),
        ("name", json!(""), "/name"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let (status, err) = s.post("/api/v1/campaigns", Some(CAMPAIGNER), &body).await;
        assert_eq!(status, 422, "{body} -> {err}");
        assert_eq!(err["error"]["details"]["errors"][0]["path"], path, "{err}");
    }
    assert_eq!(s.get("/api/v1/campaigns").await.1, json!([]));

    let (status, created) = s.post("/api/v1/campaigns", Some(CAMPAIGNER), &good).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["state"], "active");
    assert_eq!(created["createdBy"], "campaign-runner");
    let id = created["id"].as_str().unwrap().to_string();
    let total = created["progress"]["total"].as_i64().unwrap();
    let done0 = created["progress"]["done"].as_i64().unwrap();
    assert!(total > 0 && done0 < total, "{created}");
    let remaining = created["remaining"].as_array().unwrap();
    let billing = remaining
        .iter()
        .find(|r| r["entity"] == "component:default/billing-service")
        .expect("billing-service is still to do");
    assert_eq!(billing["owner"], "group:default/team-billing");
    assert_eq!(billing["status"], "to-do");
    let group = |c: &Value, g: &str| {
        c["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["group"] == g)
            .cloned()
            .unwrap_or_else(|| panic!("no group {g} in {c}"))
    };
    assert_eq!(
        group(&created, "group:default/payments")["department"],
        true
    );
    assert_eq!(group(&created, "group:default/payments")["total"], total);
    let team0 = group(&created, "group:default/team-billing");

    // The next day, billing's build goes green: the burn-up gets a second, higher point.
    let day2 = day1 + chrono::Duration::days(1);
    s.app.set_clock(Some(day2));
    let (status, out) = s
        .post("/api/v1/facts", Some(WRITER), &ci("billing-service", true))
        .await;
    assert_eq!(status, 200, "{out}");
    let (_, c) = s.get(&format!("/api/v1/campaigns/{id}")).await;
    let burnup = c["burnup"].as_array().unwrap();
    assert_eq!(burnup.len(), 2, "{c}");
    assert_eq!(burnup[0]["date"], day1.date_naive().to_string());
    assert_eq!(burnup[0]["done"], done0);
    assert_eq!(burnup[1]["date"], day2.date_naive().to_string());
    assert_eq!(burnup[1]["done"], done0 + 1);
    assert_eq!(c["progress"]["done"], done0 + 1);
    let team1 = group(&c, "group:default/team-billing");
    assert_eq!(team1["done"], team0["done"].as_i64().unwrap() + 1);
    assert!(
        !c["remaining"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["entity"] == "component:default/billing-service")
    );
    // Later the same day it goes red again: the day's last measurement wins.
    s.post("/api/v1/facts", Some(WRITER), &ci("billing-service", false))
        .await;
    let (_, c) = s.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(c["burnup"].as_array().unwrap().len(), 2);
    assert_eq!(c["burnup"][1]["done"], done0);

    // A technology version goal reads the scanner's `technologies` facts.
    let java = json!({ "name": "Java 17.0.5 everywhere", "owner": "group:default/platform",
        "goal": { "technology": "java >= 17.0.5" },
        "scope": { "owner": "group:default/team-billing" },
        "start": rfc(day1), "deadline": rfc(day1 + chrono::Duration::days(60)) });
    let (status, j) = s.post("/api/v1/campaigns", Some(CAMPAIGNER), &java).await;
    assert_eq!(status, 201, "{j}");
    let jid = j["id"].as_str().unwrap().to_string();
    let todo = j["progress"]["toDo"].as_i64().unwrap();
    assert!(todo >= 1, "{j}");
    let upgraded = json!([{ "entity": "billing-service", "collector": "custom",
        "facts": { "technologies": [{ "id": "java", "version": "17.0.9", "source": "pom.xml" }] } }]);
    let (status, out) = s.post("/api/v1/facts", Some(WRITER), &upgraded).await;
    assert_eq!(status, 200, "{out}");
    let (_, j) = s.get(&format!("/api/v1/campaigns/{jid}")).await;
    assert_eq!(j["progress"]["toDo"], todo - 1, "{j}");

    // Past the deadline, unfinished: overdue. Also over GraphQL.
    s.app.set_clock(Some(day1 + chrono::Duration::days(31)));
    let (_, c) = s.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(c["state"], "overdue");
    let q = json!({ "query": format!(
        "{{ campaigns {{ id name state progress {{ total done }} }} \
           campaign(id: \"{id}\") {{ burnup {{ date done }} remaining {{ entity owner }} groups {{ group done }} }} }}") });
    let (status, g) = s.post("/graphql", None, &q).await;
    assert_eq!(status, 200, "{g}");
    assert!(g["errors"].is_null(), "{g}");
    assert_eq!(g["data"]["campaigns"].as_array().unwrap().len(), 2);
    assert_eq!(g["data"]["campaigns"][0]["state"], "OVERDUE");
    assert_eq!(g["data"]["campaign"]["burnup"][1]["done"], done0);
    assert_eq!(c["remaining"], {
        let mut r = g["data"]["campaign"]["remaining"].clone();
        for (i, x) in r.as_array_mut().unwrap().iter_mut().enumerate() {
            x["status"] = c["remaining"][i]["status"].clone();
            x["reason"] = c["remaining"][i]["reason"].clone();
        }
        r
    });
}

/// On the wall clock, with nobody touching the clock: the service wakes at the expiry.
async fn an_exemption_expires_on_the_wall_clock(db: &TestDb) {
    let s = serve(db, settings(), demo()).await;
    let expires = Utc::now() + chrono::Duration::milliseconds(1500);
    let body = json!({ "entity": "billing-service", "check": "ci-green-default-branch",
        "justification": "Flaky runner replaced this afternoon", "expires": rfc(expires) });
    let (status, created) = s.post("/api/v1/exemptions", Some(SECURITY), &body).await;
    assert_eq!(status, 201, "{created}");
    let (_, h) = s.get(BILLING).await;
    assert_eq!(check(&h, "ci-green-default-branch")["status"], "exempt");
    let after = eventually(&s, BILLING, |h| {
        check(h, "ci-green-default-branch")["status"] == "fail"
    })
    .await;
    assert_eq!(level(&after, "fleet-readiness"), "bronze");
    assert!(Utc::now() >= expires);
    let (_, audit) = s.get("/api/v1/exemptions/audit").await;
    assert_eq!(
        actions(&audit),
        vec![
            ("created".into(), "security-lead".into()),
            ("expired".into(), "tech-health".into()),
        ]
    );
}

on_both_stores! {
    an_exemption_expires_on_the_wall_clock => super::an_exemption_expires_on_the_wall_clock;
    exemption_lifts_a_level_until_it_expires => super::exemption_lifts_a_level_until_it_expires;
    campaign_burnup_moves_as_facts_are_pushed => super::campaign_burnup_moves_as_facts_are_pushed;
}

//! Three replicas of the real `tech-health serve` on one Postgres, as a deployment runs them:
//! writes spread over all three, the leader killed with SIGKILL in the middle, a new leader
//! elected, every surviving replica answering the same, no acknowledged write lost, collectors
//! and exemption expiry run once (not three times), and every webhook event delivered.
//! Runs when `TECH_HEALTH_TEST_POSTGRES_URL` is set (`.ci/run` sets it).

mod service_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use parking_lot::Mutex;
use serde_json::{Value, json};
use service_support::TestDb;
use service_support::process::Served;

const TOKEN: &str = "replica-test-token";
const SECRET_ENV: &str = "TH_REPLICA_TEST_SECRET";

/// A replica: its name and the process.
struct Replica {
    name: String,
    served: Served,
}

fn start(name: &str, db: &TestDb, settings: &std::path::Path, data: &std::path::Path) -> Replica {
    let served = Served::start(data, TOKEN, |c| {
        c.args(["--log-format", "json"])
            .arg("--config")
            .arg(settings)
            .env("DATABASE_URL", &db.url)
            .env("TECH_HEALTH_REPLICA_ID", name)
            .env(SECRET_ENV, "s3cret");
    });
    Replica {
        name: name.into(),
        served,
    }
}

/// A webhook receiver that records the id of every event delivered to it.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |h: HeaderMap| {
            let seen = seen.clone();
            async move {
                if let Some(id) = h.get("x-tech-health-event-id") {
                    seen.lock()
                        .push(id.to_str().unwrap_or_default().to_string());
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

/// `/api/v1/entities/{kind}/{namespace}/{name}` of a ref.
fn entity_path(r: &str) -> String {
    let (kind, rest) = r.split_once(':').unwrap();
    let (ns, name) = rest.split_once('/').unwrap();
    format!("/api/v1/entities/{kind}/{ns}/{name}")
}

async fn get(http: &reqwest::Client, url: &str) -> Value {
    http.get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .json()
        .await
        .unwrap()
}

/// Waits until every replica has applied the same last change and answers the same, then
/// returns what they answer for `paths`.
async fn converged(http: &reqwest::Client, replicas: &[&Replica], paths: &[String]) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let mut seqs = BTreeSet::new();
        for r in replicas {
            let status = get(http, &format!("{}/api/v1/replica", r.served.base)).await;
            seqs.insert(status["appliedSeq"].to_string());
        }
        if seqs.len() == 1 {
            let mut answers: Vec<Vec<Value>> = Vec::new();
            for r in replicas {
                let mut a = Vec::new();
                for p in paths {
                    a.push(get(http, &format!("{}{p}", r.served.base)).await);
                }
                answers.push(a);
            }
            if answers.windows(2).all(|w| w[0] == w[1]) {
                return answers.remove(0);
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "replicas applied the same log but answer differently"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "replicas did not converge: applied {seqs:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The replica every replica names as leader, once they agree on one.
async fn agreed_leader(http: &reqwest::Client, replicas: &[&Replica], within: Duration) -> String {
    let started = Instant::now();
    loop {
        let mut named = BTreeSet::new();
        let mut leading = Vec::new();
        for r in replicas {
            let s = get(http, &format!("{}/api/v1/replica", r.served.base)).await;
            named.insert(s["leaderReplica"].as_str().unwrap_or("").to_string());
            if s["leader"] == true {
                leading.push(r.name.clone());
            }
        }
        if named.len() == 1 && leading.len() == 1 && named.contains(&leading[0]) {
            return leading.remove(0);
        }
        assert!(
            started.elapsed() < within,
            "no single leader within {within:?}: named {named:?}, leading {leading:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_on_one_postgres_agree_and_survive_the_leader_killed() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TECH_HEALTH_TEST_POSTGRES_URL not set: the replica test is skipped");
        return;
    };
    let (hook, delivered) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.yaml");
    // A scheduled collector (yearly: it runs once, when a replica takes the lead) whose catalog
    // does not answer, so each run is recorded as failed, quickly.
    std::fs::write(
        &settings,
        format!(
            "events:\n  webhooks:\n    - {{ url: {hook}, secretEnv: {SECRET_ENV} }}\n  retryBaseMs: 100\n\
             collectors:\n  backstage:\n    - name: catalog\n      cron: \"0 0 0 1 1 *\"\n      \
             baseUrl: http://127.0.0.1:9\n      timeoutSecs: 2\n"
        ),
    )
    .unwrap();
    let mut replicas: Vec<Replica> = ["r1", "r2", "r3"]
        .iter()
        .map(|n| start(n, &db, &settings, &dir.path().join(n)))
        .collect();
    let http = reqwest::Client::new();
    let all: Vec<&Replica> = replicas.iter().collect();
    let first = agreed_leader(&http, &all, Duration::from_secs(10)).await;
    assert_eq!(first, "r1", "the first replica to start leads");

    // The components to write to, and the groups whose rollups they move.
    let list = get(
        &http,
        &format!("{}/api/v1/entities?limit=12", replicas[0].served.base),
    )
    .await;
    let refs: Vec<String> = list["items"]
        .as_array()
        .expect("entity list")
        .iter()
        .map(|e| e["entity"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(refs.len(), 12, "{list}");
    let health_path = |r: &str| format!("{}/health", entity_path(r));

    // An exemption that runs out in three seconds: its expiry is recorded once, by the leader.
    let target = &refs[0];
    let health = get(
        &http,
        &format!("{}{}", replicas[1].served.base, health_path(target)),
    )
    .await;
    let check = health["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .expect("a failing check to exempt");
    let expires = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let created = http
        .post(format!("{}/api/v1/exemptions", replicas[1].served.base))
        .bearer_auth(TOKEN)
        .json(
            &json!({"entity": target, "check": check, "justification": "replica test",
                      "expires": expires}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());

    // Pushes spread over the three replicas by three writers at once; the leader is killed
    // with SIGKILL a third of the way through.
    let acknowledged: Arc<Mutex<Vec<(String, f64)>>> = Arc::default();
    let bases: Vec<String> = replicas.iter().map(|r| r.served.base.clone()).collect();
    let mut writers = Vec::new();
    for w in 0..3usize {
        let (http, bases, refs, acknowledged) = (
            http.clone(),
            bases.clone(),
            refs.clone(),
            acknowledged.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0..30usize {
                let n = w * 30 + i;
                let entity = &refs[n % refs.len()];
                let coverage = n as f64 + 0.5;
                let sent = http
                    .post(format!("{}/api/v1/facts", bases[(w + i) % bases.len()]))
                    .bearer_auth(TOKEN)
                    .timeout(Duration::from_secs(10))
                    .json(&json!([{"entity": entity, "collector": "ci",
                                   "facts": {"testCoverage": coverage,
                                             "ciGreenOnDefaultBranch": n % 2 == 0}}]))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => {
                        acknowledged.lock().push((entity.clone(), coverage));
                    }
                    Ok(r) => panic!("push refused: {} {}", r.status(), r.text().await.unwrap()),
                    // The killed replica: not acknowledged.
                    Err(_) => {}
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(900)).await;
    let leader = replicas.iter().position(|r| r.name == first).unwrap();
    let killed_at = Instant::now();
    replicas[leader].served.kill_9();
    let dead = replicas.remove(leader);
    let survivors: Vec<&Replica> = replicas.iter().collect();
    let second = agreed_leader(&http, &survivors, Duration::from_secs(10)).await;
    let failover = killed_at.elapsed();
    assert_ne!(second, dead.name);
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().clone();
    assert!(
        acknowledged.len() >= 60,
        "only {} pushes acknowledged",
        acknowledged.len()
    );

    // Every surviving replica answers the same health for every entity written to and the same
    // rollups, once they have applied the same log.
    let mut paths: Vec<String> = refs.iter().map(|r| health_path(r)).collect();
    paths.push("/api/v1/groups/default/payments/health".into());
    paths.push("/api/v1/fleet/eligibility?technology=log4j-core&version=%3C2.17.1".into());
    let answers = converged(&http, &survivors, &paths).await;
    assert!(
        answers[..12].iter().all(|h| h["checks"].is_array()),
        "{answers:?}"
    );

    // No acknowledged write lost: each is in its entity's history.
    let mut history: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &refs {
        let h = get(
            &http,
            &format!(
                "{}{}/facts/history?collector=ci&limit=500",
                survivors[0].served.base,
                entity_path(r)
            ),
        )
        .await;
        history.insert(
            r.clone(),
            h.as_array()
                .expect("history")
                .iter()
                .filter_map(|b| b["facts"]["testCoverage"].as_f64())
                .collect(),
        );
    }
    for (entity, coverage) in &acknowledged {
        assert!(
            history[entity].contains(coverage),
            "acknowledged push {entity} testCoverage={coverage} is lost"
        );
    }

    // A replica started again catches up before it is ready, and answers the same.
    let back = start("r1-again", &db, &settings, &dir.path().join("again"));
    let mut all = survivors.clone();
    all.push(&back);
    converged(&http, &all, &paths).await;
    assert_eq!(
        agreed_leader(&http, &all, Duration::from_secs(5)).await,
        second
    );

    // The exemption expired once, by whichever replica led then; the yearly collector ran
    // once per leader term (r1 on start, then the new leader on taking over), never per replica.
    let started = Instant::now();
    let expired = loop {
        let log = get(
            &http,
            &format!("{}/api/v1/exemptions/audit", back.served.base),
        )
        .await;
        let expired = log
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "expired")
            .count();
        if expired > 0 || started.elapsed() > Duration::from_secs(10) {
            break expired;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        expired, 1,
        "the exemption's expiry was recorded {expired} times"
    );
    let collectors = get(&http, &format!("{}/api/v1/collectors", back.served.base)).await;
    let runs = collectors[0]["lastRuns"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "one run per leader term: {collectors}");
    assert_eq!(collectors[0]["leader"], second.as_str());

    // Every event reached the webhook; before the kill, exactly once each (a failover may send
    // one again: at least once).
    let started = Instant::now();
    loop {
        let pending: i64 = {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
                .await
                .unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM event_outbox WHERE delivered_at IS NULL")
                .fetch_one(&mut conn)
                .await
                .unwrap()
        };
        if pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{pending} events undelivered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ids = delivered.lock().clone();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert!(!distinct.is_empty(), "no events delivered");
    assert!(
        ids.len() - distinct.len() <= 50,
        "{} deliveries of {} events",
        ids.len(),
        distinct.len()
    );
    eprintln!(
        "replicas: {} pushes acknowledged, failover in {:.2} s, {} events delivered {} times",
        acknowledged.len(),
        failover.as_secs_f64(),
        distinct.len(),
        ids.len()
    );
}

/// The state of a fleet change as one replica answers it.
async fn change_state(http: &reqwest::Client, r: &Replica, id: &str) -> String {
    get(http, &format!("{}/api/v1/changes/{id}", r.served.base)).await["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits until every replica says the change is in `state`.
async fn change_in(http: &reqwest::Client, replicas: &[&Replica], id: &str, state: &str) {
    let started = Instant::now();
    loop {
        let mut states = BTreeSet::new();
        for r in replicas {
            states.insert(change_state(http, r, id).await);
        }
        if states.len() == 1 && states.contains(state) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the change never reached {state} on every replica: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A fleet change created and fed on a replica that does not lead is moved on by the leader,
/// and every replica answers the same state; each transition's event is delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_leader_moves_a_fleet_change_whichever_replica_takes_its_outcomes() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TECH_HEALTH_TEST_POSTGRES_URL not set: the replica test is skipped");
        return;
    };
    let (hook, delivered) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.yaml");
    std::fs::write(
        &settings,
        format!("events:\n  webhooks:\n    - {{ url: {hook}, secretEnv: {SECRET_ENV} }}\n"),
    )
    .unwrap();
    let replicas: Vec<Replica> = ["lead", "follow"]
        .iter()
        .map(|n| start(n, &db, &settings, &dir.path().join(n)))
        .collect();
    let http = reqwest::Client::new();
    let all: Vec<&Replica> = replicas.iter().collect();
    assert_eq!(
        agreed_leader(&http, &all, Duration::from_secs(10)).await,
        "lead"
    );
    let follower = &replicas[1];

    // Created on the follower: planned there; the leader starts it.
    let change = json!({ "name": "log4j-core 2.17.1", "owner": "group:default/platform",
        "target": { "technology": "log4j-core <2.17.1" },
        "criteria": { "minSoakMinutes": 0, "minMergedShare": 1.0, "maxFailedShare": 0.25 } });
    let created = http
        .post(format!("{}/api/v1/changes", follower.served.base))
        .bearer_auth(TOKEN)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        created["state"], "planned",
        "a follower does not move it: {created}"
    );
    let id = created["id"].as_str().unwrap().to_string();
    change_in(&http, &all, &id, "wave-0-active").await;

    // Its one platform component merged, reported to the follower: the leader completes the
    // wave and starts the next, and both replicas say so.
    let r = http
        .post(format!("{}/api/v1/changes/{id}/outcomes", follower.served.base))
        .bearer_auth(TOKEN)
        .json(&json!({ "outcomes": [{ "entity": "component:default/feature-flags", "outcome": "merged" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    change_in(&http, &all, &id, "wave-1-active").await;
    let t = get(
        &http,
        &format!("{}/api/v1/changes/{id}/transitions", follower.served.base),
    )
    .await;
    let tos: Vec<&str> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        tos,
        ["wave-0-active", "wave-0-complete", "wave-1-active"],
        "each move once"
    );

    // One event per transition, each delivered once.
    let started = Instant::now();
    while delivered.lock().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "events missing: {:?}",
            delivered.lock()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids = delivered.lock().clone();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), distinct.len()), (3, 3), "{ids:?}");
}

//! The store goes away and comes back. The service reaches Postgres through a TCP relay that the
//! test can cut (every connection dropped, new ones refused) and restore: readiness says 503
//! quickly, writes answer 503 `unavailable` within seconds (not 500 after a long wait), metrics
//! and reads from memory keep answering, and once the store is back the service recovers by itself
//! with no acknowledged write lost. Runs when `TECH_HEALTH_TEST_POSTGRES_URL` is set.

mod service_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use service_support::{Running, TestDb, WRITER, serve_app, settings};
use tech_health::service::{App, Sources};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A relay from a local port to Postgres that can be cut.
struct Relay {
    addr: String,
    up: Arc<AtomicBool>,
    /// Bumped on every cut: relayed connections end when it changes.
    cuts: watch::Sender<u64>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let up = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0u64);
        let (flag, cut) = (up.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused as soon as it is made
                }
                let target = target.clone();
                let mut cut = cut.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay { addr, up, cuts }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// The status of `GET path` and how long it took.
async fn timed(s: &Running, path: &str) -> (u16, Duration) {
    let t = Instant::now();
    let r = s
        .http
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_goes_away_gives_fast_503s_and_the_service_recovers_by_itself() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TECH_HEALTH_TEST_POSTGRES_URL not set: skipped");
        return;
    };
    // postgres://user@HOST:PORT/db?options=… → the same through the relay.
    let at = db.url.find('@').unwrap() + 1;
    let end = at + db.url[at..].find('/').unwrap();
    let relay = Relay::start(db.url[at..end].to_string()).await;
    let url = format!("{}{}{}", &db.url[..at], relay.addr, &db.url[end..]);
    let app = App::start(
        settings(),
        Sources {
            demo: true,
            ..Default::default()
        },
        &url,
    )
    .await
    .expect("starts");
    let s = serve_app(app).await;
    let push = |coverage: f64| {
        s.http
            .post(format!("{}/api/v1/facts", s.base))
            .bearer_auth(WRITER)
            .json(&json!([{"entity": "billing-service", "collector": "ci",
                           "facts": {"testCoverage": coverage, "ciGreenOnDefaultBranch": true}}]))
            .send()
    };
    assert_eq!(push(41.5).await.unwrap().status(), 200);

    relay.cut();
    let (ready, took) = timed(&s, "/readyz").await;
    assert_eq!(ready, 503);
    assert!(took < Duration::from_secs(4), "readyz took {took:?}");

    let t = Instant::now();
    let refused = push(42.5).await.unwrap();
    let status = refused.status();
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "the write took {:?}",
        t.elapsed()
    );

    let (metrics, took) = timed(&s, "/metrics").await;
    assert_eq!(metrics, 200);
    assert!(took < Duration::from_secs(4), "/metrics took {took:?}");
    // Reads answer from the evaluated fleet in memory.
    let (status, health) = s
        .get("/api/v1/entities/component/default/billing-service/health")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        service_support::check(&health, "coverage-50")["facts"]["testCoverage"],
        41.5
    );

    relay.restore();
    let t = Instant::now();
    while timed(&s, "/readyz").await.0 != 200 {
        assert!(t.elapsed() < Duration::from_secs(20), "not ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(push(43.5).await.unwrap().status(), 200);
    // The write acknowledged before the cut is kept, the refused one was never stored.
    let (_, history) = s
        .get("/api/v1/entities/component/default/billing-service/facts/history?collector=ci")
        .await;
    let seen: Vec<f64> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["facts"]["testCoverage"].as_f64())
        .collect();
    assert!(
        seen.contains(&41.5) && seen.contains(&43.5) && !seen.contains(&42.5),
        "{seen:?}"
    );
    // It leads again (its leader session was cut with the rest).
    let t = Instant::now();
    while !s.app.is_leader() {
        assert!(t.elapsed() < Duration::from_secs(10), "did not lead again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

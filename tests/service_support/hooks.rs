//! A webhook receiver for the event tests: checks each delivery's signature and records the
//! events it accepts.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;

pub const SECRET_ENV: &str = "TECH_HEALTH_TEST_WEBHOOK_SECRET";
pub const SECRET: &str = "s3cret-for-webhook-tests";

/// What a webhook receiver saw.
#[derive(Default)]
pub struct Inbox {
    /// Answer 500 to this many requests before accepting.
    pub fail_next: usize,
    /// Answer 503 to everything.
    pub down: bool,
    pub attempts: usize,
    /// Accepted events: (id header, parsed body).
    pub accepted: Vec<(String, Value)>,
}

pub async fn receiver(inbox: Arc<Mutex<Inbox>>) -> (String, tokio::task::JoinHandle<()>) {
    use axum::http::{HeaderMap, StatusCode};
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let inbox = inbox.clone();
            async move {
                let mut i = inbox.lock();
                i.attempts += 1;
                let signature = headers["x-tech-health-signature-256"].to_str().unwrap();
                assert_eq!(
                    signature,
                    tech_health::governance::events::sign(SECRET.as_bytes(), &body),
                    "the signature is the HMAC-SHA256 of the body"
                );
                if i.down {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                if i.fail_next > 0 {
                    i.fail_next -= 1;
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let id = headers["x-tech-health-event-id"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let event: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(event["id"], id.as_str());
                i.accepted.push((id, event));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

pub async fn wait_for(inbox: &Arc<Mutex<Inbox>>, what: &str, done: impl Fn(&Inbox) -> bool) {
    for _ in 0..200 {
        if done(&inbox.lock()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the receiver never saw {what}");
}

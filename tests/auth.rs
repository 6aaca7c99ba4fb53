//! Backstage user tokens verified against a JWKS, and the error body of every refusal.

mod service_support;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;
use service_support::{TestDb, serve, settings};
use tech_health::service::Sources;
use tech_health::settings::JwksSetting;

const SECRET: &[u8] = b"a-shared-secret-of-the-test-issuer";

/// A JWKS endpoint with one key, as an identity provider serves it.
async fn jwks_server() -> String {
    let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(SECRET);
    let keys = json!({ "keys": [{ "kty": "oct", "kid": "test-key", "alg": "HS256", "k": k }] });
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let keys = keys.clone();
            async move { axum::Json(keys) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}/.well-known/jwks.json")
}

fn token(issuer: &str, exp_from_now: i64, kid: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "sub": "user:default/jane", "iss": issuer, "aud": "backstage", "exp": now + exp_from_now, "iat": now });
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.into());
    encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backstage_user_tokens_are_verified_against_the_jwks() {
    let db = TestDb::sqlite();
    let mut s = settings();
    s.auth.require_token_for_reads = true;
    s.auth.jwks = Some(JwksSetting {
        url: jwks_server().await,
        issuer: "https://backstage.example/api/auth".into(),
        audience: Some("backstage".into()),
        scopes: vec!["catalog:write".into()],
    });
    let app = serve(
        &db,
        s,
        Sources {
            demo: true,
            ..Default::default()
        },
    )
    .await;
    let url = format!(
        "{}/api/v1/entities/component/default/checkout-api/health",
        app.base
    );
    let get = |t: Option<String>| {
        let mut r = app.http.get(&url);
        if let Some(t) = t {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let good = token("https://backstage.example/api/auth", 600, "test-key");
    assert_eq!(
        get(None).await.unwrap().status(),
        401,
        "reads need a token here"
    );
    assert_eq!(get(Some(good.clone())).await.unwrap().status(), 200);
    let expired = token("https://backstage.example/api/auth", -600, "test-key");
    assert_eq!(get(Some(expired)).await.unwrap().status(), 401);
    let foreign = token("https://evil.example", 600, "test-key");
    assert_eq!(get(Some(foreign)).await.unwrap().status(), 401);
    let unknown_key = token("https://backstage.example/api/auth", 600, "other-key");
    assert_eq!(get(Some(unknown_key)).await.unwrap().status(), 401);
    // /metrics follows the setting (it names routes, replicas and the store's size); the probes
    // stay open for the orchestrator.
    let metrics = format!("{}/metrics", app.base);
    let status = app.http.get(&metrics).send().await.unwrap().status();
    assert_eq!(status, 401, "an anonymous scrape is refused");
    let scrape = app
        .http
        .get(&metrics)
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(scrape.text().await.unwrap().contains("tech_health_leader"));
    for probe in ["/healthz", "/readyz"] {
        let status = app
            .http
            .get(format!("{}{probe}", app.base))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{probe}");
    }
    // The user token's scopes come from the settings: catalog:write, not facts:write.
    let (status, body) = app
        .post(
            "/api/v1/facts",
            Some(&good),
            &json!([{ "entity": "checkout-api", "collector": "ci", "facts": {} }]),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["details"]["scope"], "facts:write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_a_json_error_body() {
    let db = TestDb::sqlite();
    let mut s = settings();
    s.limits.max_body_bytes = 1024;
    let app = serve(
        &db,
        s,
        Sources {
            demo: true,
            ..Default::default()
        },
    )
    .await;
    let r = app
        .http
        .get(format!("{}/api/v1/facts", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method-not-allowed");
    let big = json!([{ "entity": "checkout-api", "collector": "custom", "facts": { "blob": "x".repeat(4096) } }]);
    let (status, body) = app
        .post("/api/v1/facts", Some(service_support::WRITER), &big)
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too-large");
    let r = app
        .http
        .post(format!("{}/api/v1/facts", app.base))
        .bearer_auth(service_support::WRITER)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16() / 100, 4);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"]["message"].is_string());
}

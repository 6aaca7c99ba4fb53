//! Abuse sent to the real `tech-health serve`, one kind after the other: a body past the size
//! limit, JSON and YAML nested past their bounds, YAML aliases that expand a few lines into a
//! billion nodes, regular expressions too long, too large once compiled, or slow for a
//! backtracking engine (in a preview submitted over the API), GraphQL past its depth,
//! complexity and alias bounds, page sizes and `days` out of range. Each is refused with a 4xx
//! that says which bound (or, for the slow pattern, answered at once), the process answers on,
//! and its resident memory, read from /proc, stays bounded.

mod service_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use service_support::process::Served;

const TOKEN: &str = "abuse-test-admin-token";

/// The process and a client for it.
struct Server {
    served: Served,
    http: reqwest::Client,
}

impl Server {
    fn start(data: &std::path::Path) -> Server {
        let served = Served::start(data, TOKEN, |_| {});
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Server { served, http }
    }

    /// Resident memory of the process, in MiB (`VmRSS` of /proc/PID/status).
    fn rss_mib(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.served.child.id())).unwrap();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS");
        kib / 1024.0
    }

    async fn send(&self, method: &str, path: &str, body: Option<String>) -> (u16, Value) {
        let mut req = self
            .http
            .request(
                method.parse().unwrap(),
                format!("{}{path}", self.served.base),
            )
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let r = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A body announced as `bytes` long, of which only the first MiB is sent: the service
    /// answers from the announced length, without reading (or waiting for) the rest.
    fn send_oversized(&self, path: &str, bytes: usize) -> (u16, Value) {
        use std::io::{Read, Write};
        let host = self.served.base.trim_start_matches("http://");
        let mut tcp = std::net::TcpStream::connect(host).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            tcp,
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {bytes}\r\n\r\n"
        )
        .unwrap();
        // The server may answer and close before taking it all: a failed write is expected.
        let _ = tcp.write_all(&vec![b' '; 1 << 20]);
        let mut response = Vec::new();
        let _ = tcp.read_to_end(&mut response);
        let response = String::from_utf8_lossy(&response);
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{response}"));
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        // A chunked body: the JSON sits between the chunk sizes.
        let json = body
            .find('{')
            .and_then(|from| body.rfind('}').map(|to| &body[from..=to]))
            .unwrap_or("null");
        (status, serde_json::from_str(json).unwrap_or(Value::Null))
    }

    /// The service answers a read as before.
    async fn healthy(&self) {
        let (status, body) = self
            .send(
                "GET",
                "/api/v1/entities/component/default/checkout-api/health",
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(self.send("GET", "/readyz", None).await.0, 200);
    }
}

/// `open` `depth` times, `inner`, `close` as often.
fn nest(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

/// A preview whose one check reads `fact` with `matches` and `pattern`.
fn preview_matching(pattern: &str) -> String {
    let patch = json!({ "checks": [{ "id": "abuse-regex", "name": "Regex", "severity": "error",
        "rule": { "conditions": { "all": [{ "fact": "abuseText", "operator": "matches", "value": pattern }] } } }] });
    json!({ "patch": patch.to_string() }).to_string()
}

/// Billion laughs: nine lists of nine aliases of the one before.
fn billion_laughs() -> String {
    let mut yaml = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        yaml.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    yaml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_is_refused_and_memory_stays_bounded() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path());
    s.healthy().await;
    // A text that backtracking engines take exponential time over with `^(a+)+$`.
    let text = format!("{}b", "a".repeat(50_000));
    let push = json!([{ "entity": "checkout-api", "collector": "custom", "facts": { "abuseText": text } }]);
    assert_eq!(
        s.send("POST", "/api/v1/facts", Some(push.to_string()))
            .await
            .0,
        200
    );
    // Warm: a preview and a GraphQL page, so that the baseline holds what normal use holds.
    assert_eq!(
        s.send("POST", "/api/v1/preview", Some(preview_matching("^a")))
            .await
            .0,
        200
    );
    let page =
        json!({ "query": "{ entities(first: 500) { edges { node { ref } } } }" }).to_string();
    assert_eq!(s.send("POST", "/graphql", Some(page)).await.0, 200);
    let before = s.rss_mib();

    let aliases: String = (0..1000)
        .map(|i| format!(" a{i}: entities(first:500){{edges{{node{{checks{{status}}}}}}}}"))
        .collect();
    let complex: String = (0..20)
        .map(|i| format!(" a{i}: entities(first:500){{edges{{node{{checks{{status}}}}}}}}"))
        .collect();
    let facts_of = |value: String| {
        format!(r#"[{{"entity":"checkout-api","collector":"custom","facts":{{"x":{value}}}}}]"#)
    };
    let cases: Vec<(&str, &str, &str, String, u16, &str)> = vec![
        (
            "JSON 200 deep",
            "POST",
            "/api/v1/facts",
            facts_of(nest("[", "", "]", 200)),
            400,
            "recursion limit exceeded",
        ),
        (
            "fact value 40 deep",
            "POST",
            "/api/v1/facts",
            facts_of(nest("[", "1", "]", 40)),
            422,
            "nests more than 32 levels",
        ),
        (
            "YAML 70 deep",
            "POST",
            "/api/v1/preview",
            json!({ "patch": format!("checks: {}\n", nest("[", "", "]", 70)) }).to_string(),
            422,
            "nested more than 64 levels",
        ),
        (
            "billion laughs",
            "POST",
            "/api/v1/preview",
            json!({ "patch": billion_laughs() }).to_string(),
            422,
            "aliases expand to more than 100000",
        ),
        (
            "regex of 2 KiB",
            "POST",
            "/api/v1/preview",
            preview_matching(&"a".repeat(2048)),
            422,
            "longer than 1024",
        ),
        (
            "regex past its compiled size",
            "POST",
            "/api/v1/preview",
            preview_matching(r"(\w{100}){100}"),
            422,
            "invalid regular expression",
        ),
        (
            "GraphQL 65 deep",
            "POST",
            "/graphql",
            json!({ "query": nest("{ a ", "", "}", 65) }).to_string(),
            400,
            "nests brackets more than 64 levels",
        ),
        (
            "GraphQL 1,000 aliases",
            "POST",
            "/graphql",
            json!({ "query": format!("{{{aliases} }}") }).to_string(),
            400,
            "at most 100",
        ),
        (
            "GraphQL too complex",
            "POST",
            "/graphql",
            json!({ "query": format!("{{{complex} }}") }).to_string(),
            200,
            "too complex",
        ),
        (
            "page of 100,000",
            "GET",
            "/api/v1/entities?limit=100000",
            String::new(),
            400,
            "limit must be 1..500",
        ),
        (
            "eligibility page of 0",
            "GET",
            "/api/v1/fleet/eligibility?limit=0",
            String::new(),
            400,
            "limit must be 1..500",
        ),
        (
            "trend of 100,000 days",
            "GET",
            "/api/v1/groups/default/payments/trend?days=100000",
            String::new(),
            400,
            "days must be 1..366",
        ),
        (
            "trend of 0 days",
            "GET",
            "/api/v1/groups/default/payments/trend?days=0",
            String::new(),
            400,
            "days must be 1..366",
        ),
    ];
    // A body of 1 GiB announced: refused from its length.
    let (status, answer) = s.send_oversized("/api/v1/facts", 1 << 30);
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"]["code"], "too-large", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("limits.maxBodyBytes"), "{answer}");
    s.healthy().await;
    // One just past the limit (16 MiB), sent whole: refused once the limit is read.
    let past = facts_of(format!("\"{}\"", "x".repeat(16 << 20)));
    match s
        .http
        .post(format!("{}/api/v1/facts", s.served.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(past)
        .send()
        .await
    {
        Ok(r) => assert_eq!(r.status(), 413),
        // The server may answer and close before the client has sent it all.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    s.healthy().await;
    let mut peak: f64 = before;
    for (what, method, path, body, expected, says) in &cases {
        let started = Instant::now();
        let body = (!body.is_empty()).then(|| body.clone());
        let (status, answer) = s.send(method, path, body).await;
        let took = started.elapsed();
        assert_eq!(status, *expected, "{what}: {answer}");
        let text = answer.to_string();
        assert!(text.contains(says), "{what}: `{says}` not in {text}");
        assert!(took < Duration::from_secs(10), "{what} took {took:?}");
        peak = peak.max(s.rss_mib());
        s.healthy().await;
    }
    // A pattern backtracking engines take exponential time over, on 50,000 characters: this
    // engine's time is linear, so the preview evaluates the fleet and answers at once.
    let started = Instant::now();
    let (status, answer) = s
        .send("POST", "/api/v1/preview", Some(preview_matching("^(a+)+$")))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The same abuse again changes nothing: memory reached a plateau, it does not grow per request.
    for (_, method, path, body, _, _) in &cases {
        let body = (!body.is_empty()).then(|| body.clone());
        s.send(method, path, body).await;
    }
    s.healthy().await;
    let after = s.rss_mib();
    eprintln!(
        "abuse: {} kinds sent twice; resident memory {before:.0} MiB before, peak {peak:.0} MiB, {after:.0} MiB after",
        cases.len() + 1
    );
    assert!(
        after < before + 128.0,
        "memory grew from {before:.0} MiB to {after:.0} MiB"
    );
    assert!(
        peak < before + 256.0,
        "memory peaked at {peak:.0} MiB from {before:.0} MiB"
    );
}

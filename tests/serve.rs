//! `tech-health serve` as a user runs it: it starts, answers, stops cleanly on SIGTERM, and bad
//! settings stop it at start-up with the file and line.

mod fake_catalog;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tech-health"));
    c.env_remove("DATABASE_URL")
        .env_remove("TECH_HEALTH_BIND")
        .env_remove("TECH_HEALTH_CONFIG");
    c
}

/// `serve --demo` on a free port, keeping its SQLite file in `data`.
fn demo(data: &std::path::Path) -> Command {
    let mut c = bin();
    c.args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("TECH_HEALTH_DATA_DIR", data);
    c
}

#[test]
fn serves_the_demo_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = demo(dir.path())
        .args(["--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = listening(&mut child);
    // The default database is a SQLite file in the data folder, created on first start.
    assert!(dir.path().join("tech-health.db").exists());
    let body = ureq_get(&format!("{base}/api/v1/groups/default/payments/health"));
    assert!(body.contains("\"components\":17"), "{body}");

    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "fleet evaluated"),
        "{logs}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "stopped"),
        "{logs}"
    );
}

#[test]
fn a_second_replica_on_the_same_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = demo(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = listening(&mut first);
    let second = demo(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(
        stderr.contains("already in use by another tech-health process")
            && stderr.contains("SQLite serves a single replica"),
        "{stderr}"
    );
    // The first one serves on, undisturbed.
    assert!(ureq_get(&format!("{base}/readyz")).contains("ready"));
    first.kill().unwrap();
    first.wait().unwrap();
}

/// The base URL `serve` prints once it listens.
fn listening(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("tech-health listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string()
}

/// The JSON body of a GET.
fn get_json(url: &str) -> serde_json::Value {
    let response = ureq_get(url);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

/// A tiny blocking GET over loopback, so the test needs no async runtime.
fn ureq_get(url: &str) -> String {
    request("GET", url, "")
}

/// One request over loopback, `Connection: close`; the whole response as text.
fn request(method: &str, url: &str, json: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    use std::io::{Read, Write};
    write!(
        s,
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Issue 18: a GraphQL value nested 2,000 deep, sent without a token, overflowed a worker's
/// stack and aborted the whole process; only a real process shows that. The reproducer of
/// issue 19 is refused with a 400, and the service answers on.
#[test]
fn a_graphql_value_nested_2000_deep_is_refused_and_the_service_lives_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = demo(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = listening(&mut child);
    let deep = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    for query in [
        format!("{{__typename @skip(if:{deep})}}"),
        format!("{{ entity(ref: {deep}) {{ ref }} }}"),
        format!("query($v: String = {deep}) {{ __typename }}"),
    ] {
        let body = serde_json::json!({ "query": query }).to_string();
        let response = request("POST", &format!("{base}/graphql"), &body);
        assert!(response.starts_with("HTTP/1.1 400"), "{response}");
        assert!(
            response.contains("nests brackets more than 64 levels"),
            "{response}"
        );
    }
    assert_eq!(get_json(&format!("{base}/healthz"))["status"], "ok");
    let alive = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    let _ = child.wait();
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(alive && !logs.contains("overflowed its stack"), "{logs}");
}

#[test]
fn bad_settings_stop_start_up_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("tech-health.yaml");
    std::fs::write(
        &settings,
        "bind: 127.0.0.1:0\nretention:\n  maxAgeDays: 30\n  keepForever: true\n",
    )
    .unwrap();
    let out = bin()
        .args(["serve", "--config"])
        .arg(&settings)
        .env("TECH_HEALTH_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tech-health.yaml:4"), "{err}");
    assert!(err.contains("keepForever"), "{err}");
    assert!(
        !dir.path().join("tech-health.db").exists(),
        "nothing is created for a refused start"
    );
}

#[test]
fn bad_standards_stop_start_up_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["checks", "golden-tech"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, dir.path().join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    let tracks = dir.path().join("checks/tracks.yaml");
    let text =
        std::fs::read_to_string(&tracks)
            .unwrap()
            .replacen("ci-configured", "ci-configurd", 1);
    std::fs::write(&tracks, text).unwrap();
    let out = bin()
        .args(["serve", "--bind", "127.0.0.1:0", "--config-dir"])
        .arg(dir.path())
        .env("TECH_HEALTH_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tracks.yaml:") && err.contains("ci-configurd"),
        "{err}"
    );
}

/// `serve --config FILE` with a Backstage catalog in its settings: the token comes from the
/// environment variable the settings name, and the scheduler syncs the catalog on start.
#[test]
fn serve_syncs_the_catalog_named_in_its_settings() {
    use fake_catalog::{FakeCatalog, component};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let entities = vec![
        component("payments-api", "group:default/team-a", "production"),
        component("ledger", "group:default/team-a", "production"),
        component("prototype", "group:default/team-b", "experimental"),
    ];
    let fake = runtime.block_on(FakeCatalog::start("catalog-token", entities));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tech-health.yaml");
    let text = format!(
        "bind: 127.0.0.1:0\ncollectors:\n  backstage:\n    - cron: \"0 0 3 * * *\"\n      \
         baseUrl: {}\n      filter: [kind=component]\n      tokenEnv: CATALOG_TOKEN\n",
        fake.base
    );
    std::fs::write(&config, text).unwrap();
    let mut child = bin()
        .args(["serve", "--config"])
        .arg(&config)
        .env("TECH_HEALTH_DATA_DIR", dir.path())
        .env("CATALOG_TOKEN", "catalog-token")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = listening(&mut child);
    let mut total = serde_json::Value::Null;
    for _ in 0..100 {
        total = get_json(&format!("{base}/api/v1/entities"))["total"].clone();
        if total == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let list = get_json(&format!("{base}/api/v1/collectors"));
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(total, 3, "every component of the catalog: {list}");
    assert_eq!(list[0]["cadence"], "0 0 3 * * *");
    assert_eq!(list[0]["lastRuns"][0]["status"], "ok", "{list}");
    let next = list[0]["nextRun"].as_str().unwrap_or_default();
    assert!(next.ends_with("T03:00:00Z"), "{list}");
}

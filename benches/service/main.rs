//! The service under load, at fleet scale: a generated catalog of N components (`BENCH_N`,
//! default 100000) in 200 teams under 8 departments under one root, with realistic facts,
//! served by the real `tech-health serve` process on each store (SQLite; Postgres when
//! `BENCH_POSTGRES_URL` or `TECH_HEALTH_TEST_POSTGRES_URL` is set). Measures:
//!
//! - start-up and loading every fact through `POST /api/v1/facts`;
//! - full-fleet re-evaluation with results and rollups persisted (`POST /api/v1/admin/reload`);
//! - one pushed fact reflected in the entity's health and its groups' rollups (p50/p99);
//! - `GET …/health` under an open-loop load of `BENCH_RATE` req/s (default 5000) for
//!   `BENCH_SECONDS` (default 10) from a second process on loopback, and the closed-loop maximum;
//! - the root department's rollup over the whole fleet (p50/p99);
//! - the whole fleet's eligibility as streamed NDJSON, first to last byte;
//! - an impact preview of a stricter check over the whole fleet;
//! - a fleet change over the whole fleet (`rollout` step): created and planned, `…/next` for a
//!   first wave of about 20,000 components, and 10,000 outcomes one per request (p50/p99);
//! - the server's resident memory (peak and at the end);
//! - on Postgres, a second replica on the same store (`replicas` step): how long a fact pushed
//!   to one replica takes to show in the other's health (p50/p99), how long the second takes
//!   to lead after the first is killed with SIGKILL, and each replica's resident memory.
//!
//! ```text
//! cargo bench --bench service                 # BENCH_N=10000 for a quick look
//! BENCH_DATABASES=sqlite cargo bench --bench service
//! BENCH_STEPS=reload,export cargo bench --bench service   # only some steps (facts always load)
//! BENCH_LOG=info …                         # the server's log level (default warn)
//! BENCH_WRAP="heaptrack -o /tmp/ht" BENCH_N=10000 cargo bench --bench service   # profile
//! ```

#[path = "../support/env.rs"]
mod env;
mod fleet;
mod load;
mod rollout;

use env::env_or;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

use fleet::BenchFleet;
use load::{Latencies, LoadArgs, LoadReport};

const TOKEN: &str = "bench-admin-token";
const BATCH: usize = 2000;
const PUSHES: usize = 300;

fn main() -> ExitCode {
    let result = if std::env::var(load::ROLE_ENV).as_deref() == Ok("load") {
        load::run_role()
    } else {
        run()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("service bench: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Report {
    store: &'static str,
    startup: Duration,
    seed: Duration,
    items: usize,
    reload_server: Vec<f64>,
    reload_client: Vec<f64>,
    push: Latencies,
    visible: Latencies,
    load: LoadReport,
    export: Vec<(f64, usize)>,
    preview: Vec<(f64, u64)>,
    rss_peak_mib: f64,
    rss_end_mib: f64,
    restart: Option<Restart>,
    replicas: Option<Replicas>,
    rollout: Option<rollout::Rollout>,
}

/// Two replicas on one Postgres (`replicas` step).
struct Replicas {
    /// The second replica's start-up while the first runs.
    startup: Duration,
    /// A fact pushed to the first, until the second's health shows it.
    propagation: Latencies,
    /// From SIGKILL of the leader until the other replica says it leads.
    failover: Duration,
    /// Peak / end resident memory of each replica.
    rss: [(f64, f64); 2],
}

/// The server started again on the store it filled (`restart` step).
struct Restart {
    startup: Duration,
    rss_peak_mib: f64,
    rss_end_mib: f64,
}

fn run() -> Result<(), String> {
    // `cargo bench` passes `--bench`; a filter argument that names another bench skips this one.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"service".contains(&a))
    {
        return Ok(());
    }
    let n: usize = env_or("BENCH_N", 100_000)?;
    let rate: u64 = env_or("BENCH_RATE", 5000)?;
    let seconds: u64 = env_or("BENCH_SECONDS", 10)?;
    let databases: String = env_or("BENCH_DATABASES", "sqlite,postgres".to_string())?;
    let steps = Steps::from_env()?;
    let target = target_dir()?;
    let dir = target.join(format!("bench-service-{n}"));
    eprintln!("generating {n} components in {}", dir.display());
    let fleet = fleet::generate(&dir, n)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut reports = Vec::new();
    for db in databases
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (store, url) = match db {
            "sqlite" => {
                let file = dir.join("bench.db");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
                ("sqlite", format!("sqlite://{}", file.display()))
            }
            "postgres" => match postgres_base() {
                Some(base) => ("postgres", runtime.block_on(fresh_schema(&base))?),
                None => {
                    eprintln!("postgres: skipped (set BENCH_POSTGRES_URL)");
                    continue;
                }
            },
            other => return Err(format!("BENCH_DATABASES: unknown store `{other}`")),
        };
        eprintln!("== {store}");
        reports.push(runtime.block_on(bench_store(store, &url, &fleet, &steps, rate, seconds))?);
    }
    print_reports(n, rate, seconds, &reports);
    Ok(())
}

/// The steps to run after start-up and loading the facts (`BENCH_STEPS`, default all).
struct Steps(Vec<String>);

impl Steps {
    const ALL: [&'static str; 8] = [
        "reload", "push", "load", "export", "preview", "rollout", "replicas", "restart",
    ];

    fn from_env() -> Result<Steps, String> {
        let list: String = env_or("BENCH_STEPS", Self::ALL.join(","))?;
        let steps: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(bad) = steps.iter().find(|s| !Self::ALL.contains(&s.as_str())) {
            return Err(format!(
                "BENCH_STEPS: unknown step `{bad}` (steps: {})",
                Self::ALL.join(", ")
            ));
        }
        Ok(Steps(steps))
    }

    fn has(&self, step: &str) -> bool {
        self.0.iter().any(|s| s == step)
    }

    /// How many times a repeated step runs: 3 (the median is reported), or 0 when not selected.
    fn rounds(&self, step: &str) -> usize {
        if self.has(step) { 3 } else { 0 }
    }
}

fn target_dir() -> Result<PathBuf, String> {
    // The bench executable lives in <target>/release/deps/.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .ok_or_else(|| "cannot find the target folder".to_string())
}

fn postgres_base() -> Option<String> {
    ["BENCH_POSTGRES_URL", "TECH_HEALTH_TEST_POSTGRES_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

/// A fresh schema for this run (the previous run's is dropped).
async fn fresh_schema(base: &str) -> Result<String, String> {
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .map_err(|e| format!("Postgres at {base}: {e}"))?;
    for sql in [
        "DROP SCHEMA IF EXISTS tech_health_bench CASCADE",
        "CREATE SCHEMA tech_health_bench",
    ] {
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{base}{sep}options=-c%20search_path%3Dtech_health_bench"
    ))
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn start_server(url: &str, fleet: &BenchFleet) -> Result<Server, String> {
    // `BENCH_WRAP="heaptrack -o FILE"`: run the server under a profiler (figures are then the
    // profiler's, not the service's).
    let wrap: String = env_or("BENCH_WRAP", String::new()).unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut cmd = match words.next() {
        Some(tool) => {
            let mut c = Command::new(tool);
            c.args(words).arg(env!("CARGO_BIN_EXE_tech-health"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_tech-health")),
    };
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--log-format",
        "json",
        "--database",
        url,
    ]);
    for f in &fleet.catalog {
        cmd.arg("--catalog").arg(f);
    }
    let mut child = cmd
        .env("TECH_HEALTH_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", env_or("BENCH_LOG", "warn".to_string())?)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start tech-health serve: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    // The first line that says where it listens (a profiler may print lines before it).
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let base = loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("tech-health serve did not start".to_string());
        }
        if let Some(base) = line.trim().strip_prefix("tech-health listening on ") {
            break base.to_string();
        }
    };
    Ok(Server { child, base })
}

async fn bench_store(
    store: &'static str,
    url: &str,
    fleet: &BenchFleet,
    steps: &Steps,
    rate: u64,
    seconds: u64,
) -> Result<Report, String> {
    let t = Instant::now();
    let server = start_server(url, fleet)?;
    let startup = t.elapsed();
    eprintln!(
        "started in {:.2} s at {}",
        startup.as_secs_f64(),
        server.base
    );
    let client = reqwest::Client::new();

    let t = Instant::now();
    for (k, batch) in fleet.items.chunks(BATCH).enumerate() {
        let outcome = post(
            &client,
            &server.base,
            "/api/v1/facts",
            &Value::from(batch.to_vec()),
        )
        .await?;
        if outcome["accepted"].as_u64() != Some(batch.len() as u64) {
            return Err(format!("batch {k}: not all facts accepted: {outcome}"));
        }
    }
    let seed = t.elapsed();
    eprintln!(
        "{} fact items loaded in {:.2} s",
        fleet.items.len(),
        seed.as_secs_f64()
    );

    let (mut reload_server, mut reload_client) = (Vec::new(), Vec::new());
    for _ in 0..steps.rounds("reload") {
        let t = Instant::now();
        let report = post(&client, &server.base, "/api/v1/admin/reload", &json!({})).await?;
        reload_client.push(t.elapsed().as_secs_f64());
        reload_server.push(report["seconds"].as_f64().unwrap_or(f64::NAN));
        if report["scored"].as_u64() != Some(fleet.components.len() as u64) {
            return Err(format!(
                "reload scored the wrong number of entities: {report}"
            ));
        }
    }
    eprintln!("full re-evaluation: {reload_client:.3?} s");

    let (push, visible) = if steps.has("push") {
        pushes(&client, &server.base, fleet).await?
    } else {
        Default::default()
    };
    eprintln!(
        "push p99 {} µs, visible p99 {} µs",
        push.p99_us, visible.p99_us
    );

    let paths: Vec<String> = fleet
        .components
        .iter()
        .map(|c| format!("/api/v1/entities/component/default/{c}/health"))
        .collect();
    let args = LoadArgs {
        base: server.base.clone(),
        paths,
        root_path: format!("/api/v1/groups/default/{}/health", fleet::ROOT),
        rate,
        seconds,
    };
    let load = if steps.has("load") {
        run_load_process(&args, &fleet.dir)?
    } else {
        LoadReport::default()
    };
    let mut export = Vec::new();
    for _ in 0..steps.rounds("export") {
        export.push(eligibility_export(&client, &server.base, fleet.components.len()).await?);
    }
    let mut preview = Vec::new();
    for _ in 0..steps.rounds("preview") {
        preview.push(impact_preview(&client, &server.base).await?);
    }
    eprintln!("eligibility export {export:.3?}, preview {preview:.3?}");
    let rollout = if steps.has("rollout") {
        let r = rollout::run(&client, &server.base).await?;
        eprintln!(
            "fleet change: created in {:.2} s, next {:.3?} / {:.3?} s, outcome p99 {} µs",
            r.create.as_secs_f64(),
            r.next_json,
            r.next_ndjson,
            r.outcomes.p99_us
        );
        Some(r)
    } else {
        None
    };
    let (rss_peak_mib, rss_end_mib) = rss(server.child.id())?;
    let (server, replicas) = if steps.has("replicas") && store == "postgres" {
        let (server, r) = replicas(server, url, fleet, &client).await?;
        (server, Some(r))
    } else {
        (server, None)
    };
    let restart = if steps.has("restart") {
        Some(restart(server, url, fleet, &client).await?)
    } else {
        None
    };
    Ok(Report {
        store,
        startup,
        seed,
        items: fleet.items.len(),
        reload_server,
        reload_client,
        push,
        visible,
        load,
        export,
        preview,
        rss_peak_mib,
        rss_end_mib,
        restart,
        replicas,
        rollout,
    })
}

/// Starts a second replica on the store `first` serves, pushes facts to the first and times
/// until the second shows them, then kills the first (SIGKILL) and times until the second
/// leads. Returns the second (now the only one) and the figures.
async fn replicas(
    mut first: Server,
    url: &str,
    fleet: &BenchFleet,
    client: &reqwest::Client,
) -> Result<(Server, Replicas), String> {
    let t = Instant::now();
    let second = start_server(url, fleet)?;
    let startup = t.elapsed();
    eprintln!("second replica started in {:.2} s", startup.as_secs_f64());
    let leads = |base: String| async move {
        get_json(client, &base, "/api/v1/replica")
            .await
            .map(|r| r["leader"] == true)
    };
    if !leads(first.base.clone()).await? || leads(second.base.clone()).await? {
        return Err("the first replica should lead and the second follow".into());
    }
    // The second's start-up is a change of the whole fleet for the first: wait until the first
    // has applied it.
    let applied = |base: String| async move {
        get_json(client, &base, "/api/v1/replica")
            .await
            .map(|r| r["appliedSeq"].as_i64())
    };
    let t = Instant::now();
    while applied(first.base.clone()).await? != applied(second.base.clone()).await? {
        if t.elapsed() > Duration::from_secs(60) {
            return Err("the first replica did not apply the second's start-up".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "first replica caught up {:.2} s later",
        t.elapsed().as_secs_f64()
    );
    let mut samples = Vec::new();
    let started = Instant::now();
    for k in 0..PUSHES / 3 {
        let i = fleet::mix(k as u64, 7) as usize % fleet.components.len();
        let name = &fleet.components[i];
        let coverage = k as f64 * 0.5 + 0.125;
        let t = Instant::now();
        post(
            client,
            &first.base,
            "/api/v1/facts",
            &json!([{"entity": format!("component:default/{name}"), "collector": "ci",
                     "facts": {"testCoverage": coverage, "ciGreenOnDefaultBranch": true}}]),
        )
        .await?;
        let path = format!("/api/v1/entities/component/default/{name}/health");
        loop {
            let health = get_json(client, &second.base, &path).await?;
            let shown = health["checks"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["facts"]["testCoverage"] == json!(coverage));
            if shown {
                break;
            }
            if t.elapsed() > Duration::from_secs(10) {
                return Err(format!(
                    "{name}: the push did not reach the other replica in 10 s"
                ));
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        samples.push(t.elapsed().as_micros() as u64);
    }
    let propagation = Latencies::of(samples, 0, started.elapsed());
    let rss = [rss(first.child.id())?, rss(second.child.id())?];
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(first.child.id() as i32, libc::SIGKILL);
    }
    let killed = Instant::now();
    let _ = first.child.wait();
    let failover = loop {
        if leads(second.base.clone()).await? {
            break killed.elapsed();
        }
        if killed.elapsed() > Duration::from_secs(30) {
            return Err("no replica took the lead within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "propagation p50 {} p99 {}, failover {:.2} s",
        ms(propagation.p50_us),
        ms(propagation.p99_us),
        failover.as_secs_f64()
    );
    Ok((
        second,
        Replicas {
            startup,
            propagation,
            failover,
            rss,
        },
    ))
}

/// Stops the server and starts it again on the same store, which now holds the whole fleet
/// and its facts; checks that a component's health still reads the facts loaded before.
async fn restart(
    server: Server,
    url: &str,
    fleet: &BenchFleet,
    client: &reqwest::Client,
) -> Result<Restart, String> {
    drop(server);
    let t = Instant::now();
    let server = start_server(url, fleet)?;
    let startup = t.elapsed();
    eprintln!("restarted in {:.2} s", startup.as_secs_f64());
    let (i, coverage) = fleet
        .ci_facts
        .iter()
        .enumerate()
        .find_map(|(i, ci)| Some((i, ci.get("testCoverage")?.clone())))
        .ok_or("no component has a testCoverage fact")?;
    let name = &fleet.components[i];
    let path = format!("/api/v1/entities/component/default/{name}/health");
    let health = get_json(client, &server.base, &path).await?;
    let read = health["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["facts"]["testCoverage"] == coverage);
    if !read {
        return Err(format!(
            "after the restart, {name} does not read testCoverage {coverage}"
        ));
    }
    let (rss_peak_mib, rss_end_mib) = rss(server.child.id())?;
    Ok(Restart {
        startup,
        rss_peak_mib,
        rss_end_mib,
    })
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: &Value,
) -> Result<Value, String> {
    let resp = client
        .post(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .map_err(|e| format!("POST {path}: {e}"))?;
    let status = resp.status();
    let body: Value = resp.json().await.map_err(|e| format!("POST {path}: {e}"))?;
    if !status.is_success() {
        let text: String = body.to_string().chars().take(600).collect();
        return Err(format!("POST {path}: {status}: {text}"));
    }
    Ok(body)
}

async fn get_json(client: &reqwest::Client, base: &str, path: &str) -> Result<Value, String> {
    let resp = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .map_err(|e| format!("GET {path}: {e}"))?;
    let status = resp.status();
    let body: Value = resp.json().await.map_err(|e| format!("GET {path}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {path}: {status}: {body}"));
    }
    Ok(body)
}

/// Pushes one CI fact at a time (the default branch turning red or green again) and times it:
/// `push` until the service answers (committed and published), `visible` until the entity's
/// health and its team's rollup have been read back showing it.
async fn pushes(
    client: &reqwest::Client,
    base: &str,
    fleet: &BenchFleet,
) -> Result<(Latencies, Latencies), String> {
    let (mut push, mut visible) = (Vec::new(), Vec::new());
    let start = Instant::now();
    let mut pushed = 0;
    for k in 0..fleet.components.len() {
        if pushed == PUSHES {
            break;
        }
        let i = fleet::mix(k as u64, 99) as usize % fleet.components.len();
        let mut ci = fleet.ci_facts[i].clone();
        let Some(green) = ci.get("ciGreenOnDefaultBranch").and_then(Value::as_bool) else {
            continue;
        };
        ci.insert("ciGreenOnDefaultBranch".into(), json!(!green));
        let name = &fleet.components[i];
        let entity = format!("component:default/{name}");
        let team = format!("group:default/{}", fleet.owners[i]);
        let t = Instant::now();
        let outcome = post(
            client,
            base,
            "/api/v1/facts",
            &json!([{"entity": entity, "collector": "ci", "facts": ci}]),
        )
        .await?;
        push.push(t.elapsed().as_micros() as u64);
        let health = get_json(
            client,
            base,
            &format!("/api/v1/entities/component/default/{name}/health"),
        )
        .await?;
        get_json(
            client,
            base,
            &format!("/api/v1/groups/default/{}/health", fleet.owners[i]),
        )
        .await?;
        visible.push(t.elapsed().as_micros() as u64);
        let groups: Vec<&str> = outcome["groups"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !groups.contains(&team.as_str()) || !groups.contains(&"group:default/engineering") {
            return Err(format!(
                "the push to {entity} did not update {team} and the root: {outcome}"
            ));
        }
        let seen = health["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["facts"]["ciGreenOnDefaultBranch"] == json!(!green));
        if !seen {
            return Err(format!("{entity}: the pushed fact is not in its health"));
        }
        pushed += 1;
    }
    let elapsed = start.elapsed();
    Ok((
        Latencies::of(push, 0, elapsed),
        Latencies::of(visible, 0, elapsed),
    ))
}

/// The whole fleet's eligibility as streamed NDJSON: seconds from the request to the last byte,
/// and the rows received (checked against the fleet's size).
async fn eligibility_export(
    client: &reqwest::Client,
    base: &str,
    components: usize,
) -> Result<(f64, usize), String> {
    let t = Instant::now();
    let body = client
        .get(format!("{base}/api/v1/fleet/eligibility"))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("eligibility export: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("eligibility export: {e}"))?;
    let seconds = t.elapsed().as_secs_f64();
    let rows = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    if rows < components {
        return Err(format!(
            "eligibility export: {rows} rows for {components} components"
        ));
    }
    Ok((seconds, rows))
}

/// A stricter standard previewed over the whole fleet: Silver in fleet readiness asks for 60 %
/// coverage instead of 50 %. Seconds, and how many entities would change.
async fn impact_preview(client: &reqwest::Client, base: &str) -> Result<(f64, u64), String> {
    let patch = "checks:\n  - id: coverage-50\n    name: Test coverage at least 60%\n    \
                 severity: error\n    rule:\n      conditions:\n        all:\n          \
                 - { fact: testCoverage, operator: greaterThanInclusive, value: 60 }\n";
    let t = Instant::now();
    let answer = post(client, base, "/api/v1/preview", &json!({ "patch": patch })).await?;
    let seconds = t.elapsed().as_secs_f64();
    let changed = answer["summary"]["changed"].as_u64().unwrap_or(0);
    if changed == 0 {
        return Err(format!(
            "the stricter preview changed nobody: {}",
            answer["summary"]
        ));
    }
    Ok((seconds, changed))
}

fn run_load_process(args: &LoadArgs, dir: &Path) -> Result<LoadReport, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let file = dir.join("load-args.json");
    let json = serde_json::to_string(args).map_err(|e| e.to_string())?;
    std::fs::write(&file, json).map_err(|e| format!("{}: {e}", file.display()))?;
    let out = Command::new(exe)
        .env(load::ROLE_ENV, "load")
        .env(load::ARGS_ENV, &file)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start the load process: {e}"))?;
    if !out.status.success() {
        return Err(format!("the load process failed: {}", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("load report: {e}"))
}

/// Peak and current resident set of a process, in MiB.
fn rss(pid: u32) -> Result<(f64, f64), String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .unwrap_or(f64::NAN)
    };
    Ok((field("VmHWM:"), field("VmRSS:")))
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn median_by<T: Copy + Default>(v: &[T], key: impl Fn(&T) -> f64) -> T {
    let mut v = v.to_vec();
    v.sort_by(|a, b| key(a).total_cmp(&key(b)));
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// What `cell` writes, or a dash for a step that did not run (`BENCH_STEPS`).
fn ran(step_ran: bool, cell: impl FnOnce() -> String) -> String {
    if step_ran { cell() } else { "—".into() }
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn print_reports(n: usize, rate: u64, seconds: u64, reports: &[Report]) {
    println!(
        "\nservice benchmark: {n} components, 200 teams, 8 departments; {rate} req/s for {seconds} s\n"
    );
    println!(
        "| measure | target | {} |",
        reports
            .iter()
            .map(|r| r.store)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|---|{}", "---|".repeat(reports.len()));
    let row = |name: &str, target: &str, f: &dyn Fn(&Report) -> String| {
        let cells: Vec<String> = reports.iter().map(f).collect();
        println!("| {name} | {target} | {} |", cells.join(" | "));
    };
    row(
        "start-up (migrate, load catalog, evaluate, persist)",
        "",
        &|r| format!("{:.2} s", r.startup.as_secs_f64()),
    );
    row("load all facts over the API", "", &|r| {
        format!(
            "{:.1} s ({:.0} items/s)",
            r.seed.as_secs_f64(),
            r.items as f64 / r.seed.as_secs_f64()
        )
    });
    row(
        "full re-evaluation, persisted (median of 3, server / client)",
        "≤ 5 s",
        &|r| {
            ran(!r.reload_server.is_empty(), || {
                format!(
                    "{:.2} s / {:.2} s",
                    median(&r.reload_server),
                    median(&r.reload_client)
                )
            })
        },
    );
    row(
        "one pushed fact committed and published, p50 / p99",
        "p99 ≤ 20 ms",
        &|r| {
            ran(r.push.sent > 0, || {
                format!("{} / {}", ms(r.push.p50_us), ms(r.push.p99_us))
            })
        },
    );
    row("… and read back (entity + team), p50 / p99", "", &|r| {
        ran(r.visible.sent > 0, || {
            format!("{} / {}", ms(r.visible.p50_us), ms(r.visible.p99_us))
        })
    });
    row(
        "GET …/health open loop: achieved rate, failed",
        "≥ 5,000 req/s",
        &|r| {
            ran(r.load.health.sent > 0, || {
                format!(
                    "{:.0} req/s, {} failed",
                    r.load.health.rate, r.load.health.failed
                )
            })
        },
    );
    row("GET …/health p50 / p99", "p99 ≤ 5 ms", &|r| {
        ran(r.load.health.sent > 0, || {
            format!(
                "{} / {}",
                ms(r.load.health.p50_us),
                ms(r.load.health.p99_us)
            )
        })
    });
    row("GET …/health closed loop, 32 connections", "", &|r| {
        ran(r.load.health.sent > 0, || {
            format!("{:.0} req/s", r.load.max_rate)
        })
    });
    row("root department rollup p50 / p99", "p99 ≤ 10 ms", &|r| {
        ran(r.load.root.sent > 0, || {
            format!("{} / {}", ms(r.load.root.p50_us), ms(r.load.root.p99_us))
        })
    });
    row(
        "eligibility NDJSON export, whole fleet (median of 3)",
        "≤ 200 ms",
        &|r| {
            ran(!r.export.is_empty(), || {
                let (s, rows) = median_by(&r.export, |e| e.0);
                format!("{:.0} ms ({rows} rows)", s * 1000.0)
            })
        },
    );
    row(
        "impact preview of a stricter check (median of 3)",
        "≤ 5 s",
        &|r| {
            ran(!r.preview.is_empty(), || {
                let (s, changed) = median_by(&r.preview, |e| e.0);
                format!("{s:.2} s ({changed} entities change)")
            })
        },
    );
    let change = |r: &Report, f: &dyn Fn(&rollout::Rollout) -> String| {
        r.rollout.as_ref().map_or("—".to_string(), f)
    };
    row(
        "fleet change over the fleet: created and planned",
        "",
        &|r| {
            change(r, &|x| {
                format!("{:.2} s ({} components)", x.create.as_secs_f64(), x.members)
            })
        },
    );
    row(
        "… `next` for its first wave, JSON / NDJSON (each of 3 runs)",
        "≤ 100 ms",
        &|r| {
            change(r, &|x| {
                let runs = |v: &[f64]| {
                    v.iter()
                        .map(|s| format!("{:.0}", s * 1000.0))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "{} / {} ms ({} components)",
                    runs(&x.next_json),
                    runs(&x.next_ndjson),
                    x.wave
                )
            })
        },
    );
    row(
        "… one outcome applied and decided, p50 / p99 / max (10,000, one per request)",
        "p99 ≤ 20 ms",
        &|r| {
            change(r, &|x| {
                format!(
                    "{} / {} / {} (then {})",
                    ms(x.outcomes.p50_us),
                    ms(x.outcomes.p99_us),
                    ms(x.outcomes.max_us),
                    x.state
                )
            })
        },
    );
    row("server resident memory, peak / end", "≤ 500 MB", &|r| {
        format!("{:.0} / {:.0} MiB", r.rss_peak_mib, r.rss_end_mib)
    });
    let replicas = |r: &Report, f: &dyn Fn(&Replicas) -> String| {
        r.replicas.as_ref().map_or("—".to_string(), f)
    };
    row("second replica on the same store: start-up", "", &|r| {
        replicas(r, &|x| format!("{:.2} s", x.startup.as_secs_f64()))
    });
    row(
        "a fact pushed to one replica, shown by the other: p50 / p99",
        "p99 ≤ 1 s",
        &|r| {
            replicas(r, &|x| {
                format!(
                    "{} / {}",
                    ms(x.propagation.p50_us),
                    ms(x.propagation.p99_us)
                )
            })
        },
    );
    row(
        "leader killed (SIGKILL): the other leads after",
        "≤ 10 s",
        &|r| replicas(r, &|x| format!("{:.2} s", x.failover.as_secs_f64())),
    );
    row(
        "each replica's resident memory, peak / end",
        "≤ 500 MB",
        &|r| {
            replicas(r, &|x| {
                format!(
                    "{:.0} / {:.0} and {:.0} / {:.0} MiB",
                    x.rss[0].0, x.rss[0].1, x.rss[1].0, x.rss[1].1
                )
            })
        },
    );
    row(
        "restart on the filled store: start-up",
        "",
        &|r| match &r.restart {
            Some(x) => format!("{:.2} s", x.startup.as_secs_f64()),
            None => "—".to_string(),
        },
    );
    row(
        "… its resident memory after start-up, peak / end",
        "≤ 500 MB",
        &|r| match &r.restart {
            Some(x) => format!("{:.0} / {:.0} MiB", x.rss_peak_mib, x.rss_end_mib),
            None => "—".to_string(),
        },
    );
}

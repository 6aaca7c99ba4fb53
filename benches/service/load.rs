//! The load generator: the benchmark re-runs its own executable in this role, so the requests
//! come from a second process on loopback, as a real client's would.
//!
//! Open loop: requests are sent on a fixed schedule (`rate` per second) whatever the answers, and
//! each latency is measured from the moment its request was due — a slow server cannot hide its
//! queueing by slowing the client down (no coordinated omission).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

const MAX_IN_FLIGHT: usize = 256;
pub const ROLE_ENV: &str = "TECH_HEALTH_BENCH_ROLE";
/// Names a JSON file holding the `LoadArgs`.
pub const ARGS_ENV: &str = "TECH_HEALTH_BENCH_LOAD";

#[derive(Debug, Serialize, Deserialize)]
pub struct LoadArgs {
    pub base: String,
    /// Entity health paths to read, e.g. `/api/v1/entities/component/default/svc-000001/health`.
    pub paths: Vec<String>,
    /// The root department's health path.
    pub root_path: String,
    pub rate: u64,
    pub seconds: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LoadReport {
    pub health: Latencies,
    /// Closed loop, 32 connections: the most the server answered per second.
    pub max_rate: f64,
    pub root: Latencies,
}

/// Latencies of one phase, in microseconds.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Latencies {
    pub sent: u64,
    pub failed: u64,
    pub rate: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Latencies {
    pub fn of(mut samples: Vec<u64>, failed: u64, elapsed: Duration) -> Latencies {
        samples.sort_unstable();
        let at = |q: f64| {
            if samples.is_empty() {
                0
            } else {
                samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1]
            }
        };
        Latencies {
            sent: samples.len() as u64 + failed,
            failed,
            rate: samples.len() as f64 / elapsed.as_secs_f64().max(1e-9),
            p50_us: at(0.50),
            p99_us: at(0.99),
            max_us: samples.last().copied().unwrap_or(0),
        }
    }
}

/// Runs in the second process: reads its arguments from the environment, prints a JSON report.
pub fn run_role() -> Result<(), String> {
    let file = std::env::var(ARGS_ENV).map_err(|_| format!("{ARGS_ENV} is not set"))?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
    let args: LoadArgs = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let report = runtime.block_on(load(args))?;
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}

async fn load(args: LoadArgs) -> Result<LoadReport, String> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let args = Arc::new(args);
    // Warm up connections and caches.
    for path in args.paths.iter().take(200) {
        get(&client, &args.base, path).await?;
    }
    let health = open_loop(&client, &args).await;
    let max_rate = closed_loop(&client, &args, 32, Duration::from_secs(3)).await;
    let root = sequential(&client, &args.base, &args.root_path, 300).await;
    Ok(LoadReport {
        health,
        max_rate,
        root,
    })
}

async fn get(client: &reqwest::Client, base: &str, path: &str) -> Result<usize, String> {
    let resp = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .map_err(|e| format!("GET {path}: {e}"))?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| format!("GET {path}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {path}: {status}"));
    }
    Ok(body.len())
}

async fn open_loop(client: &reqwest::Client, args: &Arc<LoadArgs>) -> Latencies {
    let total = args.rate * args.seconds;
    let start = tokio::time::Instant::now();
    // At most this many requests in flight (and so connections), as a load tool's `-c` sets; a
    // request that waits for a free one still counts its wait, from the moment it was due.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = Vec::with_capacity(total as usize);
    for k in 0..total {
        let due = start + Duration::from_nanos(k * 1_000_000_000 / args.rate);
        tokio::time::sleep_until(due).await;
        let client = client.clone();
        let args = args.clone();
        let in_flight = in_flight.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = in_flight.acquire_owned().await;
            let path = &args.paths[(k as usize * 7919) % args.paths.len()];
            let ok = get(&client, &args.base, path).await.is_ok();
            (due.elapsed().as_micros() as u64, ok)
        }));
    }
    let (mut samples, mut failed) = (Vec::with_capacity(tasks.len()), 0);
    for t in tasks {
        match t.await {
            Ok((us, true)) => samples.push(us),
            _ => failed += 1,
        }
    }
    Latencies::of(samples, failed, start.elapsed())
}

async fn closed_loop(
    client: &reqwest::Client,
    args: &Arc<LoadArgs>,
    connections: usize,
    length: Duration,
) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let client = client.clone();
        let args = args.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            let mut k = c;
            while start.elapsed() < length {
                let path = &args.paths[(k * 104_729) % args.paths.len()];
                if get(&client, &args.base, path).await.is_ok() {
                    done += 1;
                }
                k += connections;
            }
            done
        }));
    }
    let mut done = 0;
    for t in tasks {
        done += t.await.unwrap_or(0);
    }
    done as f64 / start.elapsed().as_secs_f64()
}

/// One request at a time: the latency of a single reader.
pub async fn sequential(client: &reqwest::Client, base: &str, path: &str, n: usize) -> Latencies {
    for _ in 0..20 {
        let _ = get(client, base, path).await;
    }
    let start = Instant::now();
    let (mut samples, mut failed) = (Vec::with_capacity(n), 0);
    for _ in 0..n {
        let t = Instant::now();
        match get(client, base, path).await {
            Ok(_) => samples.push(t.elapsed().as_micros() as u64),
            Err(_) => failed += 1,
        }
    }
    Latencies::of(samples, failed, start.elapsed())
}

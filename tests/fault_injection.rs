//! Faults a deployment meets, against the real `tech-health serve`: the process killed with
//! SIGKILL while facts are pushed and the whole fleet re-evaluated (SQLite and Postgres) — after
//! a restart every acknowledged write is there, no batch is half there, and what is served is
//! a complete evaluation of what is stored; and its Postgres restarted under load (a private
//! server the test starts on its own port and data folder) — readiness goes red then green
//! by itself, writes resume without restarting the service, and none acknowledged is lost.

mod service_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};
use service_support::TestDb;
use service_support::process::Served;

const TOKEN: &str = "fault-injection-admin-token";
/// Concurrent writers; each owns two entities of the demo fleet.
const WRITERS: usize = 4;

/// `serve --demo` on `database`, its data in `data`.
fn start(database: &str, data: &Path) -> Served {
    Served::start(data, TOKEN, |c| {
        c.env("DATABASE_URL", database);
    })
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = http()
        .get(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Each writer's entities, and the last sequence number it sent and had acknowledged.
#[derive(Default)]
struct Ledger {
    entities: Vec<(String, String)>,
    sent: Vec<AtomicU64>,
    acked: Vec<AtomicU64>,
}

impl Ledger {
    async fn of_demo_fleet(base: &str) -> Arc<Ledger> {
        let (status, page) = get(base, "/api/v1/entities?kind=component&limit=500").await;
        assert_eq!(status, 200, "{page}");
        let names: Vec<String> = page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        assert!(names.len() >= 2 * WRITERS, "{names:?}");
        Arc::new(Ledger {
            entities: (0..WRITERS)
                .map(|w| (names[2 * w].clone(), names[2 * w + 1].clone()))
                .collect(),
            sent: (0..WRITERS).map(|_| AtomicU64::new(0)).collect(),
            acked: (0..WRITERS).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    fn total_acked(&self) -> u64 {
        self.acked.iter().map(|a| a.load(Ordering::SeqCst)).sum()
    }
}

/// One batch of writer `w`: its sequence number on both its entities, and whether CI is green
/// on the first (which moves a check, so the batch changes evaluated results too).
fn batch(ledger: &Ledger, w: usize, seq: u64) -> Value {
    let (a, b) = &ledger.entities[w];
    json!([
        { "entity": a, "collector": "custom", "facts": { "faultSeq": seq } },
        { "entity": b, "collector": "custom", "facts": { "faultSeq": seq } },
        { "entity": a, "collector": "ci", "facts": { "ciGreenOnDefaultBranch": seq.is_multiple_of(2) } },
    ])
}

/// Writers pushing batches to `base()` until `stop`; a write that fails is retried with the
/// next sequence number (its own may or may not have been stored).
fn spawn_writers(
    ledger: &Arc<Ledger>,
    base: Arc<Mutex<String>>,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<u64>> {
    (0..WRITERS)
        .map(|w| {
            let (ledger, base, stop) = (ledger.clone(), base.clone(), stop.clone());
            tokio::spawn(async move {
                let client = http();
                let mut failures = 0;
                while !stop.load(Ordering::SeqCst) {
                    let seq = ledger.sent[w].fetch_add(1, Ordering::SeqCst) + 1;
                    let url = format!("{}/api/v1/facts", base.lock());
                    let answer = client
                        .post(url)
                        .bearer_auth(TOKEN)
                        .json(&batch(&ledger, w, seq))
                        .send()
                        .await;
                    match answer {
                        Ok(r) if r.status() == 200 => {
                            ledger.acked[w].fetch_max(seq, Ordering::SeqCst);
                        }
                        Ok(r) => {
                            let status = r.status();
                            assert!(
                                status == 503,
                                "a write answered {status}: {:?}",
                                r.text().await
                            );
                            failures += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(_) => {
                            failures += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
                failures
            })
        })
        .collect()
}

/// The `custom` and `ci` facts of an entity, as the Tech Insights route serves them.
async fn facts_of(base: &str, name: &str) -> (Option<u64>, Option<bool>) {
    let (status, latest) = get(
        base,
        &format!("/api/tech-insights/facts/latest?entity=component%3Adefault%2F{name}&ids%5B%5D=custom&ids%5B%5D=ci"),
    )
    .await;
    assert_eq!(status, 200, "{latest}");
    (
        latest["custom"]["facts"]["faultSeq"].as_u64(),
        latest["ci"]["facts"]["ciGreenOnDefaultBranch"].as_bool(),
    )
}

/// Every acknowledged batch is there, none is there in part, and each entity's results are
/// those of its stored facts.
async fn every_acknowledged_write_is_there(base: &str, ledger: &Ledger) {
    for (w, (a, b)) in ledger.entities.iter().enumerate() {
        let acked = ledger.acked[w].load(Ordering::SeqCst);
        let sent = ledger.sent[w].load(Ordering::SeqCst);
        let (seq_a, green) = facts_of(base, a).await;
        let (seq_b, _) = facts_of(base, b).await;
        let seq = seq_a.unwrap_or(0);
        assert!(
            acked <= seq && seq <= sent,
            "writer {w}: stored {seq}, acknowledged up to {acked}, sent up to {sent}"
        );
        assert_eq!(seq_a, seq_b, "writer {w}: a batch is stored in part");
        if seq > 0 {
            assert_eq!(
                green,
                Some(seq.is_multiple_of(2)),
                "writer {w}: a batch is stored in part"
            );
            let (status, health) = get(
                base,
                &format!("/api/v1/entities/component/default/{a}/health"),
            )
            .await;
            assert_eq!(status, 200, "{health}");
            let check = service_support::check(&health, "ci-green-default-branch");
            let expected = if seq.is_multiple_of(2) {
                "pass"
            } else {
                "fail"
            };
            assert_eq!(
                check["status"], expected,
                "{a}: results of other facts than stored: {check}"
            );
        }
    }
}

/// What the service serves of every entity, without the time of evaluation.
async fn served_results(base: &str) -> Vec<Value> {
    let (status, page) = get(base, "/api/v1/entities?limit=500").await;
    assert_eq!(status, 200, "{page}");
    let mut items = page["items"].as_array().unwrap().clone();
    for i in &mut items {
        i.as_object_mut().unwrap().remove("evaluatedAt");
    }
    items
}

/// Kills the service with SIGKILL `rounds` times while writers push and the whole fleet is
/// re-evaluated in a loop, each time at a different moment; returns the acknowledged writes.
async fn survive_kills(database: &str, rounds: u32) -> u64 {
    let data = tempfile::tempdir().unwrap();
    let mut server = start(database, data.path());
    let ledger = Ledger::of_demo_fleet(&server.base).await;
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let base = Arc::new(Mutex::new(server.base.clone()));
        let writers = spawn_writers(&ledger, base.clone(), &stop);
        let reloads = {
            let (base, stop) = (base.clone(), stop.clone());
            tokio::spawn(async move {
                let mut done = 0;
                while !stop.load(Ordering::SeqCst) {
                    let url = format!("{}/api/v1/admin/reload", base.lock());
                    match http().post(url).bearer_auth(TOKEN).send().await {
                        Ok(r) if r.status() == 200 => done += 1,
                        _ => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
                done
            })
        };
        // Some writes acknowledged, then a kill at a moment that differs per round.
        let before = ledger.total_acked();
        let started = Instant::now();
        while ledger.total_acked() < before + 40 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no writes acknowledged"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(37 * u64::from(round))).await;
        server.kill_9();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            w.await.unwrap();
        }
        let reloaded = reloads.await.unwrap();

        server = start(database, data.path());
        every_acknowledged_write_is_there(&server.base, &ledger).await;
        // What is served after the restart is a whole evaluation: the same as a fresh one.
        let after_restart = served_results(&server.base).await;
        let r = http()
            .post(format!("{}/api/v1/admin/reload", server.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            after_restart,
            served_results(&server.base).await,
            "round {round}"
        );
        eprintln!(
            "fault injection: kill {} of {rounds} ({database_kind}): {} writes acknowledged so far, {reloaded} full re-evaluations in this round",
            round + 1,
            ledger.total_acked(),
            database_kind = if database.starts_with("postgres") {
                "Postgres"
            } else {
                "SQLite"
            },
        );
    }
    ledger.total_acked()
}

async fn kill_9_loses_no_acknowledged_write(db: &TestDb) {
    let acked = survive_kills(&db.url, 3).await;
    assert!(acked >= 120, "{acked}");
}

on_both_stores! {
    kill_9_loses_no_acknowledged_write => super::kill_9_loses_no_acknowledged_write;
}

/// A Postgres server of its own: `initdb` into a temp folder, on a free port. Run as the
/// `postgres` user when the test runs as root (initdb refuses root).
struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PrivatePostgres {
    fn bin_dir() -> Option<PathBuf> {
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        let mut candidates: Vec<PathBuf> = from_pg_config.into_iter().collect();
        if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
            let mut versions: Vec<PathBuf> = dirs.flatten().map(|d| d.path().join("bin")).collect();
            versions.sort();
            candidates.extend(versions.into_iter().rev());
        }
        candidates
            .into_iter()
            .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
    }

    /// A command of the server's, as the user that may run it.
    fn command(&self, tool: &str) -> Command {
        let tool = self.bin.join(tool);
        if unsafe { libc::geteuid() } == 0 {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(tool);
            c
        } else {
            Command::new(tool)
        }
    }

    fn start() -> Option<PrivatePostgres> {
        let Some(bin) = Self::bin_dir() else {
            assert!(
                std::env::var("CI").is_err(),
                "CI must have the Postgres server binaries (initdb, pg_ctl)"
            );
            eprintln!("skipped: no initdb/pg_ctl (pg_config --bindir, /usr/lib/postgresql/*/bin)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        if unsafe { libc::geteuid() } == 0 {
            let (uid, gid) = postgres_user().expect("a `postgres` user to run the server as");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = PrivatePostgres {
            bin,
            data: dir.path().join("data"),
            port,
            _dir: dir,
        };
        let out = pg
            .command("initdb")
            .arg("-D")
            .arg(&pg.data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.pg_ctl_start();
        Some(pg)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self._dir.path().display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-w", "-t", "60", "-o", &options, "-l"])
            .arg(self._dir.path().join("log"))
            .arg("start")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `pg_ctl stop -m immediate`: the server's processes quit at once, as in a crash.
    fn crash(&self) {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-w", "-m", "immediate", "stop"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn postgres_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.starts_with("postgres:"))?;
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_store_restarted_under_load_loses_no_acknowledged_write() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let server = start(&pg.url(), data.path());
    let ledger = Ledger::of_demo_fleet(&server.base).await;
    let stop = Arc::new(AtomicBool::new(false));
    let base = Arc::new(Mutex::new(server.base.clone()));
    let writers = spawn_writers(&ledger, base, &stop);
    // Readiness, sampled every 50 ms: (ms since start, status).
    let readiness: Arc<Mutex<Vec<(u128, u16)>>> = Arc::default();
    let probe = {
        let (readiness, stop, base) = (readiness.clone(), stop.clone(), server.base.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let t0 = Instant::now();
            while !stop.load(Ordering::SeqCst) {
                let status = match client.get(format!("{base}/readyz")).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                readiness.lock().push((t0.elapsed().as_millis(), status));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let wait_for_acks = |n: u64| {
        let ledger = ledger.clone();
        async move {
            let started = Instant::now();
            let from = ledger.total_acked();
            while ledger.total_acked() < from + n {
                assert!(
                    started.elapsed() < Duration::from_secs(90),
                    "writes did not resume"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            started.elapsed()
        }
    };
    wait_for_acks(40).await;
    let acked_before = ledger.total_acked();
    pg.crash();
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let acked_while_down = ledger.total_acked() - acked_before;
    pg.pg_ctl_start();
    // The service recovers by itself: writes are acknowledged again, readiness is green.
    let resumed = wait_for_acks(40).await;
    let outage = down_at.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let mut refused = 0;
    for w in writers {
        refused += w.await.unwrap();
    }
    probe.await.unwrap();
    let samples = readiness.lock().clone();
    let first_red = samples.iter().position(|&(_, s)| s != 200);
    let red_then_green = first_red.is_some_and(|i| samples[i..].iter().any(|&(_, s)| s == 200));
    assert!(
        red_then_green,
        "readiness did not go red then green: {samples:?}"
    );
    assert_eq!(samples.last().map(|s| s.1), Some(200), "{samples:?}");
    assert!(
        acked_while_down <= WRITERS as u64,
        "writes acknowledged with the store down: {acked_while_down}"
    );
    every_acknowledged_write_is_there(&server.base, &ledger).await;
    let red_ms = samples.iter().filter(|s| s.1 != 200).count() * 50;
    eprintln!(
        "fault injection: Postgres crashed under load: {} writes acknowledged, {refused} refused during the outage, \
         readiness red ~{red_ms} ms, writes resumed {resumed:?} after the restart ({outage:?} after the crash)",
        ledger.total_acked()
    );
}

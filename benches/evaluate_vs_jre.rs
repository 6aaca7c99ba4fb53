//! Whole-process `tech-health evaluate` against json-rules-engine 7 on the benchmark fleet of
//! `shared/bench/gen_workload.py`: N entities (`BENCH_N`, default 100000) × its 30 checks, seed
//! `BENCH_SEED` (default 1), same inputs, same machine. Ours runs `BENCH_RUNS` times (default
//! 5), json-rules-engine once; every run is reported with its own ratio to json-rules-engine's
//! time, the first (cold) one marked, with the load average before it; then the median. Exits
//! non-zero when the per-check pass counts differ.
//!
//!     cargo bench --bench evaluate_vs_jre            # BENCH_N=10000 for a quick look
//!
//! Cold, as a new user meets it: every bench run generates its workload afresh and copies the
//! binary to a new file, and the first run is the first of that binary on that file (both just
//! written, in the page cache, as after a build and a generator run). `BENCH_EVICT=1` also
//! writes both out and drops them from the page cache (`posix_fadvise`) before the first run,
//! so that it reads them from the disk.
//!
//! The generator is found as `$TECH_HEALTH_BENCH_DIR/gen_workload.py`, else
//! `<crate>/../shared/bench/gen_workload.py`; the workload and the outputs are written to
//! `<target>/bench-evaluate-N-SEED` (replaced by each bench run); json-rules-engine is the one
//! the differential test installs.

#[path = "support/env.rs"]
mod env;
#[path = "../tests/support/jre.rs"]
mod jre;

use env::env_or;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// One finished process: wall time, peak resident set, exit status.
struct Measured {
    wall: Duration,
    max_rss_kib: i64,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("evaluate_vs_jre: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    // `cargo bench` passes `--bench`; a filter argument that names another bench skips this one.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"evaluate_vs_jre".contains(&a))
    {
        return Ok(ExitCode::SUCCESS);
    }
    let n: usize = env_or("BENCH_N", 100_000)?;
    let seed: u64 = env_or("BENCH_SEED", 1)?;
    let our_runs: usize = env_or("BENCH_RUNS", 5)?;
    let evict: u8 = env_or("BENCH_EVICT", 0)?;
    if our_runs == 0 {
        return Err("BENCH_RUNS must be at least 1".into());
    }
    let target = jre::install_dir()
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no target dir")?;
    let jre_dir = jre::ensure_installed()?;
    let dir = target.join(format!("bench-evaluate-{n}-{seed}"));
    let workload = fresh_workload(&dir, n, seed)?;
    let checks = check_ids(&workload)?;
    // A new file, as a fresh build leaves it.
    let binary = dir.join("tech-health");
    std::fs::copy(env!("CARGO_BIN_EXE_tech-health"), &binary)
        .map_err(|e| format!("copy the binary to {}: {e}", binary.display()))?;
    if evict != 0 {
        for f in [
            &binary,
            &workload.join("facts.json"),
            &workload.join("checks.json"),
        ] {
            drop_from_page_cache(f)?;
        }
    }

    let ours_out = dir.join("out-tech-health.ndjson");
    let mut ours = Vec::new();
    for i in 0..our_runs {
        let load = load_average();
        let mut cmd = Command::new(&binary);
        cmd.args(["evaluate", "--format", "ndjson", "--facts"])
            .arg(workload.join("facts.json"))
            .arg("--checks")
            .arg(workload.join("checks.json"));
        let m = measure(cmd, &ours_out)?;
        eprintln!(
            "tech-health run {}/{our_runs}: {:.3} s (load average {load})",
            i + 1,
            m.wall.as_secs_f64()
        );
        ours.push((m, load));
    }
    let (our_counts, lines) = our_pass_counts(&ours_out, &checks)?;
    if lines != n {
        return Err(format!("tech-health printed {lines} entities for {n}"));
    }

    let jre_out = dir.join("out-jre.txt");
    let script = bench_dir()?.join("run_json_rules_engine.mjs");
    let mut cmd = jre::node(&jre_dir, &script);
    cmd.arg(&workload);
    let jre_load = load_average();
    eprintln!("json-rules-engine: running (roughly 0.3 s per 1000 entities)...");
    let theirs = measure(cmd, &jre_out)?;
    let (jre_counts, jre_inner) = jre_pass_counts(&jre_out)?;

    let evaluations = (n * checks.len()) as f64;
    let theirs_s = theirs.wall.as_secs_f64();
    let ratio = |m: &Measured| theirs_s / m.wall.as_secs_f64();
    println!();
    println!(
        "evaluate_vs_jre: {n} entities × {} checks = {evaluations} evaluations (seed {seed})",
        checks.len()
    );
    println!(
        "workload: {} (generated for this bench run)",
        workload.display()
    );
    println!(
        "{:<34} {:>8} {:>14} {:>9} {:>9} {:>16}",
        "whole process", "wall s", "evaluations/s", "RSS MiB", "ratio", "load average"
    );
    let row = |name: &str, m: &Measured, ratio: &str, load: &str| {
        let secs = m.wall.as_secs_f64();
        let rss = m.max_rss_kib as f64 / 1024.0;
        println!(
            "{name:<34} {secs:>8.3} {:>14.0} {rss:>9.1} {ratio:>9} {load:>16}",
            evaluations / secs
        );
    };
    let cold = if evict != 0 { "cold, evicted" } else { "cold" };
    for (i, (m, load)) in ours.iter().enumerate() {
        let name = if i == 0 {
            format!("tech-health run 1 ({cold})")
        } else {
            format!("tech-health run {}", i + 1)
        };
        row(&name, m, &format!("{:.1}×", ratio(m)), load);
    }
    let mut sorted: Vec<&Measured> = ours.iter().map(|(m, _)| m).collect();
    sorted.sort_by_key(|m| m.wall);
    let median = sorted[sorted.len() / 2];
    let slowest = sorted[sorted.len() - 1];
    row(
        &format!("tech-health (median of {our_runs})"),
        median,
        &format!("{:.1}×", ratio(median)),
        "",
    );
    row("json-rules-engine 7 (node)", &theirs, "1.0×", &jre_load);
    if let Some(inner) = jre_inner {
        println!("json-rules-engine in-process evaluation time: {inner} s");
    }
    let verdict = |r: f64| if r >= 100.0 { "meets" } else { "does NOT meet" };
    println!(
        "speed-up: every run ≥ {:.1}× ({} the ≥ 100× target), median {:.1}×",
        ratio(slowest),
        verdict(ratio(slowest)),
        ratio(median)
    );

    let diff: Vec<String> = checks
        .iter()
        .filter(|c| our_counts.get(*c) != jre_counts.get(*c))
        .map(|c| {
            format!(
                "  {c}: tech-health {:?}, json-rules-engine {:?}",
                our_counts.get(c),
                jre_counts.get(c)
            )
        })
        .collect();
    if diff.is_empty() && jre_counts.len() == checks.len() {
        println!("pass counts identical: yes ({} checks)", checks.len());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("pass counts identical: NO\n{}", diff.join("\n"));
        Ok(ExitCode::FAILURE)
    }
}

/// The three load averages, as `/proc/loadavg` gives them (`?` where there is none).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

/// Writes `path` out and drops its pages from the page cache, so the next reader reads the
/// disk (pages still mapped by a running process stay).
fn drop_from_page_cache(path: &Path) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.sync_all()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // SAFETY: a plain advice call on an open descriptor we own.
    let r = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if r != 0 {
        return Err(format!("posix_fadvise {}: error {r}", path.display()));
    }
    Ok(())
}

fn bench_dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("TECH_HEALTH_BENCH_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("shared")
            .join("bench"),
    };
    if dir.join("gen_workload.py").is_file() {
        Ok(dir.canonicalize().unwrap_or(dir))
    } else {
        Err(format!(
            "no gen_workload.py in {} (set TECH_HEALTH_BENCH_DIR to the folder holding it)",
            dir.display()
        ))
    }
}

/// A new workload in `dir/workload` (whatever `dir` held before is removed).
fn fresh_workload(dir: &Path, n: usize, seed: u64) -> Result<PathBuf, String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let workload = dir.join("workload");
    let gen_script = bench_dir()?.join("gen_workload.py");
    eprintln!(
        "generating {n} entities (seed {seed}) with {}",
        gen_script.display()
    );
    let status = Command::new("python3")
        .arg(&gen_script)
        .arg(n.to_string())
        .arg(&workload)
        .arg(seed.to_string())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run python3 {}: {e}", gen_script.display()))?;
    let complete = workload.join("facts.json").is_file() && workload.join("checks.json").is_file();
    if !status.success() || !complete {
        return Err(format!("{} failed ({status})", gen_script.display()));
    }
    Ok(workload)
}

fn check_ids(workload: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(workload.join("checks.json")).map_err(|e| e.to_string())?;
    let checks: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let list = checks.as_array().ok_or("checks.json is not an array")?;
    Ok(list
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect())
}

/// Runs `cmd` with stdout into `out` (stderr kept for errors), reaps it with `wait4` for its
/// peak RSS, and fails when it exits unsuccessfully.
fn measure(mut cmd: Command, out: &Path) -> Result<Measured, String> {
    let stdout = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let err_path = out.with_extension("stderr");
    let stderr = File::create(&err_path).map_err(|e| format!("{}: {e}", err_path.display()))?;
    let start = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value; wait4 only writes into the two out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not yet reaped (std never waits for it: we drop the
        // handle without calling wait), and both pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4({pid}): {e}"));
        }
    }
    let wall = start.elapsed();
    drop(child);
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let log = std::fs::read_to_string(&err_path).unwrap_or_default();
        return Err(format!("{cmd:?} failed (wait status {status}):\n{log}"));
    }
    Ok(Measured {
        wall,
        max_rss_kib: usage.ru_maxrss,
    })
}

/// Per-check pass counts in our ndjson output.
fn our_pass_counts(
    out: &Path,
    checks: &[String],
) -> Result<(BTreeMap<String, u64>, usize), String> {
    let mut lines = 0;
    let mut counts: BTreeMap<String, u64> = checks.iter().map(|c| (c.clone(), 0)).collect();
    let file = File::open(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for line in BufReader::with_capacity(1 << 20, file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("our output `{line}`: {e}"))?;
        let results = v["results"]
            .as_object()
            .ok_or_else(|| format!("no `results` in `{line}`"))?;
        lines += 1;
        for (check, result) in results {
            if result == "pass" {
                *counts.entry(check.clone()).or_default() += 1;
            }
        }
    }
    Ok((counts, lines))
}

/// run_json_rules_engine.mjs prints the pass counts as JSON, then `evaluations=N seconds=S`.
fn jre_pass_counts(out: &Path) -> Result<(BTreeMap<String, u64>, Option<String>), String> {
    let text = std::fs::read_to_string(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut lines = text.lines();
    let first = lines.next().ok_or("json-rules-engine printed nothing")?;
    let counts: BTreeMap<String, u64> = serde_json::from_str(first)
        .map_err(|e| format!("json-rules-engine printed `{first}`: {e}"))?;
    let inner = lines.find_map(|l| {
        l.split_whitespace()
            .find_map(|w| w.strip_prefix("seconds="))
            .map(str::to_string)
    });
    Ok((counts, inner))
}

//! Whole-process `tech-health evaluate` against json-rules-engine 7 on the benchmark fleet of
//! `shared/bench/gen_workload.py`: N entities (`BENCH_N`, default 100000) × its 30 checks, seed
//! `BENCH_SEED` (default 1), same inputs, same machine, one run each (ours: the median of 3).
//! Reports wall time, evaluations/s and peak RSS of both processes and the speed-up, and checks
//! that the per-check pass counts are identical (exits non-zero when they are not).
//!
//!     cargo bench --bench evaluate_vs_jre            # BENCH_N=10000 for a quick look
//!
//! The generator is found as `$TECH_HEALTH_BENCH_DIR/gen_workload.py`, else
//! `<crate>/../shared/bench/gen_workload.py`; the workload is cached in
//! `<target>/bench-workload-N-SEED`; json-rules-engine is the one the differential test installs.

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

const OUR_RUNS: usize = 3;

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
    let target = jre::install_dir()
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no target dir")?;
    let workload = workload(&target, n, seed)?;
    let jre_dir = jre::ensure_installed()?;
    let checks = check_ids(&workload)?;

    let ours_out = target.join(format!("bench-out-tech-health-{n}-{seed}.ndjson"));
    let mut ours = Vec::new();
    for i in 0..OUR_RUNS {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tech-health"));
        cmd.args(["evaluate", "--format", "ndjson", "--facts"])
            .arg(workload.join("facts.json"))
            .arg("--checks")
            .arg(workload.join("checks.json"));
        let m = measure(cmd, &ours_out)?;
        eprintln!(
            "tech-health run {}/{OUR_RUNS}: {:.3} s",
            i + 1,
            m.wall.as_secs_f64()
        );
        ours.push(m);
    }
    let (our_counts, lines) = our_pass_counts(&ours_out, &checks)?;
    if lines != n {
        return Err(format!("tech-health printed {lines} entities for {n}"));
    }

    let jre_out = target.join(format!("bench-out-jre-{n}-{seed}.txt"));
    let script = bench_dir()?.join("run_json_rules_engine.mjs");
    let mut cmd = jre::node(&jre_dir, &script);
    cmd.arg(&workload);
    eprintln!("json-rules-engine: running (roughly 0.3 s per 1000 entities)...");
    let theirs = measure(cmd, &jre_out)?;
    let (jre_counts, jre_inner) = jre_pass_counts(&jre_out)?;

    ours.sort_by_key(|m| m.wall);
    let median = &ours[OUR_RUNS / 2];
    let evaluations = (n * checks.len()) as f64;
    let speedup = theirs.wall.as_secs_f64() / median.wall.as_secs_f64();
    let runs: Vec<String> = ours
        .iter()
        .map(|m| format!("{:.3}", m.wall.as_secs_f64()))
        .collect();
    println!();
    println!(
        "evaluate_vs_jre: {n} entities × {} checks = {evaluations} evaluations (seed {seed})",
        checks.len()
    );
    println!("workload: {}", workload.display());
    println!(
        "{:<32} {:>10} {:>16} {:>14}",
        "whole process", "wall s", "evaluations/s", "peak RSS MiB"
    );
    let row = |name: &str, m: &Measured| {
        let secs = m.wall.as_secs_f64();
        let rss = m.max_rss_kib as f64 / 1024.0;
        println!(
            "{name:<32} {secs:>10.3} {:>16.0} {rss:>14.1}",
            evaluations / secs
        );
    };
    row(&format!("tech-health (median of {OUR_RUNS})"), median);
    row("json-rules-engine 7 (node)", &theirs);
    println!("tech-health runs: {} s", runs.join(", "));
    if let Some(inner) = jre_inner {
        println!("json-rules-engine in-process evaluation time: {inner} s");
    }
    let verdict = if speedup >= 100.0 {
        "meets"
    } else {
        "does NOT meet"
    };
    println!("speed-up: {speedup:.1}× ({verdict} the ≥ 100× target)");

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

/// The cached workload folder, generated (into a temporary folder, then renamed) when missing.
fn workload(target: &Path, n: usize, seed: u64) -> Result<PathBuf, String> {
    let dir = target.join(format!("bench-workload-{n}-{seed}"));
    let complete = |d: &Path| d.join("facts.json").is_file() && d.join("checks.json").is_file();
    if complete(&dir) {
        return Ok(dir);
    }
    let tmp = target.join(format!(
        "bench-workload-{n}-{seed}.tmp-{}",
        std::process::id()
    ));
    let gen_script = bench_dir()?.join("gen_workload.py");
    eprintln!(
        "generating {n} entities (seed {seed}) with {}",
        gen_script.display()
    );
    let status = Command::new("python3")
        .arg(&gen_script)
        .arg(n.to_string())
        .arg(&tmp)
        .arg(seed.to_string())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run python3 {}: {e}", gen_script.display()))?;
    if !status.success() || !complete(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!("{} failed ({status})", gen_script.display()));
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp); // another run made it first
    }
    if complete(&dir) {
        Ok(dir)
    } else {
        Err(format!("cannot create {}", dir.display()))
    }
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

//! `tech-health collect github`: runs the GitHub collector once and prints what it believes
//! about every repository (JSON on stdout; requests and rate-limit points on stderr).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use super::{ConfigArgs, load_standards};
use crate::github::{CollectorState, GitHubCollector, GitHubSettings};

#[derive(Debug, clap::Subcommand)]
pub enum CollectSource {
    /// Collect the repositories of GitHub organisations and users (github.com or GitHub
    /// Enterprise Server): catalog entities, scanner facts, GitHub facts.
    Github(GithubArgs),
}

#[derive(Debug, clap::Args)]
pub struct GithubArgs {
    /// Collector settings (YAML): baseUrl, tokenEnv, orgs, users, concurrency, limits
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// An organisation to collect (added to the settings' `orgs`)
    #[arg(long = "org", value_name = "ORG")]
    pub orgs: Vec<String>,
    /// A user whose repositories to collect (added to the settings' `users`)
    #[arg(long = "user", value_name = "USER")]
    pub users: Vec<String>,
    /// The REST API root, e.g. https://github.example.com/api/v3 [default: https://api.github.com]
    #[arg(long)]
    pub base_url: Option<String>,
    /// A JSON file holding the previous run's state (ETags, heads scanned, last good facts);
    /// read when it exists, written after the run, so that the next run costs little
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(source: CollectSource) -> Result<ExitCode, String> {
    let CollectSource::Github(args) = source;
    let mut settings = match &args.settings {
        Some(path) => GitHubSettings::read(path).map_err(|e| e.to_string())?,
        None => GitHubSettings::default(),
    };
    settings.orgs.extend(args.orgs.iter().cloned());
    settings.users.extend(args.users.iter().cloned());
    if let Some(url) = &args.base_url {
        settings.base_url.clone_from(url);
    }
    let loaded = load_standards(&args.config, None)?;
    let collector = GitHubCollector::new(settings)
        .map_err(|e| e.to_string())?
        .with_radar(Arc::new(loaded.engine.radar));
    let previous = match &args.state {
        Some(path) if path.exists() => read_state(path)?,
        _ => CollectorState::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let started = std::time::Instant::now();
    let run = runtime.block_on(collector.collect_all(&previous));
    if let Some(path) = &args.state {
        write_state(path, &run.state)?;
    }
    let out = json!({
        "repos": run.repos,
        "errors": run.errors,
        "requests": run.requests,
        "rateLimitPoints": run.rate_limit_points,
    });
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    println!("{text}");
    eprintln!(
        "github: {} repositories ({} rescanned, {} stale), {} requests, {} rate-limit points, {:.1}s",
        run.repos.len(),
        run.repos.iter().filter(|r| r.rescanned).count(),
        run.repos.iter().filter(|r| r.stale.is_some()).count(),
        run.requests,
        run.rate_limit_points,
        started.elapsed().as_secs_f64()
    );
    for e in &run.errors {
        eprintln!("error: {}: {}", e.subject, e.message);
    }
    Ok(if run.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read_state(path: &Path) -> Result<CollectorState, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the state file: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a collector state: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// Writes the state next to its place and renames it there, so a crash leaves the old one.
fn write_state(path: &Path, state: &CollectorState) -> Result<(), String> {
    let text = serde_json::to_string(state).map_err(|e| e.to_string())?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{}: cannot write the state file: {e}", path.display()))
}

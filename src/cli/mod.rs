//! The `tech-health` command line: a thin edge over the core.

mod change;
mod check;
mod collect;
mod evaluate;
mod output;
mod preview;
mod scan;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::{Catalog, Severity};
use crate::config::{self, ConfigSource, Loaded};
use crate::source::{BundledFiles, DiskFiles, Files};

/// Where the example fleet lives among the bundled files.
pub const EXAMPLE_CATALOG: &str = "examples/fleet/catalog-info.yaml";
pub const EXAMPLE_FACTS: &str = "examples/fleet/facts.json";

#[derive(Debug, Parser)]
#[command(
    name = "tech-health",
    version,
    about = "Scores Backstage catalog entities against Golden Tech standards"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Ndjson,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Folder holding `checks/` and `golden-tech/` [default: the bundled standards]
    #[arg(long, env = "TECH_HEALTH_CONFIG_DIR")]
    pub config_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the standards (and optionally catalog files) for errors; exit 1 if any.
    Validate {
        #[command(flatten)]
        config: ConfigArgs,
        /// Catalog files, folders or globs to check too
        #[arg(long = "catalog", value_name = "PATH")]
        catalog: Vec<PathBuf>,
    },
    /// Evaluate a fleet offline: levels per track, golden state, fleet eligibility.
    /// Without --catalog and --facts, evaluates the bundled example fleet.
    Evaluate(evaluate::EvaluateArgs),
    /// Run the service: REST + GraphQL over a store that is re-evaluated on every change.
    Serve(serve::ServeArgs),
    /// Print the Golden Tech radar as the Backstage tech-radar's TechRadarLoaderResponse JSON.
    Radar {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Scan a repository checkout and print its facts (languages, build systems, runtimes,
    /// dependencies, CI, tests, infrastructure, radar technologies) as JSON.
    Scan(scan::ScanArgs),
    /// Evaluate one repository checkout (its catalog-info.yaml and what the scanner finds in
    /// it) with no server: levels, failing checks with how to fix, eligibility. Exit status 1
    /// when a component is below a --require'd level, 2 on bad input.
    Check(check::CheckArgs),
    /// Preview candidate standards (a config folder) over a fleet — the bundled example fleet
    /// by default: who drops a level, loses golden state or eligibility, per department.
    Preview(preview::PreviewArgs),
    /// Run a fact collector once and print what it found (JSON on stdout, request and
    /// rate-limit counts on stderr).
    #[command(subcommand)]
    Collect(collect::CollectSource),
    /// Fleet changes: `simulate` replays outcomes against a change offline and prints the
    /// controller's transitions.
    #[command(subcommand)]
    Change(change::ChangeCommand),
}

impl Command {
    /// Whether the command serves until stopped (the others run for a moment).
    pub fn serves(&self) -> bool {
        matches!(self, Command::Serve(_))
    }
}

pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Validate { config, catalog } => validate(&config, &catalog),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Check(args) => check::run(args),
        Command::Preview(args) => preview::run(args),
        Command::Collect(source) => collect::run(source),
        Command::Change(cmd) => change::run(cmd),
        Command::Radar { config } => {
            let loaded = load_standards(&config, None)?;
            let json = serde_json::to_string_pretty(&loaded.engine.radar.to_loader_response())
                .map_err(|e| e.to_string())?;
            println!("{json}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The file source for a user-given path, or the bundled files.
fn files_for(path: Option<&Path>) -> (&'static dyn Files, PathBuf) {
    match path {
        Some(p) => (&DiskFiles, p.to_path_buf()),
        None => (&BundledFiles, PathBuf::new()),
    }
}

/// Loads the standards, with `checks` (a file or folder on disk) replacing the check set.
pub(crate) fn load_standards(args: &ConfigArgs, checks: Option<&Path>) -> Result<Loaded, String> {
    let (config, checks) = sources(args, checks);
    let loaded = config::load(&config, checks.as_ref()).map_err(invalid)?;
    print_warnings(&loaded.warnings);
    Ok(loaded)
}

/// [`load_standards`], the files from the disk checked against their schemas on another
/// thread meanwhile: [`Unchecked::confirm`] before anything is printed.
pub(crate) fn load_standards_unchecked<'a>(
    args: &'a ConfigArgs,
    checks: Option<&'a Path>,
) -> Result<(Loaded, Unchecked<'a>), String> {
    let (config, checks_source) = sources(args, checks);
    let (mut loaded, pending) =
        config::load_unchecked(&config, checks_source.as_ref()).map_err(invalid)?;
    let unchecked = Unchecked {
        pending,
        warnings: std::mem::take(&mut loaded.warnings),
        args,
        checks,
    };
    Ok((loaded, unchecked))
}

/// Where the standards are read from: the config folder (or the bundled standards), and the
/// checks file or folder replacing their checks.
fn sources(
    args: &ConfigArgs,
    checks: Option<&Path>,
) -> (ConfigSource<'static>, Option<ConfigSource<'static>>) {
    let (files, dir) = files_for(args.config_dir.as_deref());
    let checks = checks.map(|p| ConfigSource {
        files: &DiskFiles,
        dir: p.to_path_buf(),
    });
    (ConfigSource { files, dir }, checks)
}

fn print_warnings(warnings: &config::Warnings) {
    for w in warnings.iter() {
        eprintln!("warning: {w}");
    }
}

/// What a command says when its output cannot be written.
fn cannot_write(e: std::io::Error) -> String {
    format!("cannot write output: {e}")
}

fn invalid(e: config::ConfigErrors) -> String {
    format!("invalid configuration:\n{e}")
}

/// Standards loaded by [`load_standards_unchecked`], their schema check still running.
pub(crate) struct Unchecked<'a> {
    pending: config::Pending,
    warnings: config::Warnings,
    args: &'a ConfigArgs,
    checks: Option<&'a Path>,
}

impl Unchecked<'_> {
    /// Waits for the schema check; when a document broke its schema, the errors
    /// [`load_standards`] reports. Prints the warnings otherwise.
    pub fn confirm(self) -> Result<(), String> {
        if !self.pending.passed() {
            load_standards(self.args, self.checks)?;
            return Err("invalid configuration: a file does not match its schema".into());
        }
        print_warnings(&self.warnings);
        Ok(())
    }
}

fn validate(config: &ConfigArgs, catalog_paths: &[PathBuf]) -> Result<ExitCode, String> {
    let mut failed = false;
    match load_standards(config, None) {
        Ok(loaded) => {
            let e = &loaded.engine;
            eprintln!(
                "standards: {} checks, {} tracks, {} radar entries, {} fleet policy requirements, {} rollout waves: ok",
                e.checks.len(),
                e.tracks.len(),
                e.radar.entries.len(),
                e.policy.requirement_count(),
                e.policy.rollout.len()
            );
        }
        Err(msg) => {
            // One `file:line:column: message` per line, on stdout, for editors and CI logs.
            for line in msg.lines().skip(1) {
                println!("{line}");
            }
            failed = true;
        }
    }
    if !catalog_paths.is_empty() {
        let catalog = Catalog::load(&DiskFiles, catalog_paths);
        for p in catalog.problems() {
            let severity = match p.severity {
                Severity::Error => {
                    failed = true;
                    "error"
                }
                Severity::Warning => "warning",
            };
            println!("{p} [{severity}]");
        }
        eprintln!(
            "catalog: {} entities, {} problems",
            catalog.entities().len(),
            catalog.problems().len()
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

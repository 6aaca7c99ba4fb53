//! `tech-health check`: shift-left. Evaluates one repository checkout — the Components of its
//! `catalog-info.yaml` and what the scanner finds in it — with no server, and fails when a
//! component is below a required level. Made to run in the component's own CI.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use serde_json::{Value, json};

use super::evaluate::Scored;
use super::{ConfigArgs, cannot_write, load_standards, output};
use crate::catalog::{Catalog, Severity as ProblemSeverity};
use crate::evaluate::{Engine, Evaluation, Subject};
use crate::rules::Status;
use crate::scanner::{DirTree, scan};
use crate::source::DiskFiles;

/// How `check` prints its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The repository checkout: a folder with a catalog-info.yaml
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Exit 1 when a component is below this level of this track, e.g. `fleet-readiness=silver`
    #[arg(long = "require", value_name = "TRACK=LEVEL")]
    pub require: Vec<String>,
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
}

/// A required level, resolved against the loaded tracks.
struct Requirement {
    track: usize,
    level: usize,
}

/// Bad input: said plainly, exit status 2 (1 means "below a required level").
fn bad_input(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let loaded = match load_standards(&args.config, None) {
        Ok(l) => l,
        Err(e) => return Ok(bad_input(e)),
    };
    let engine = &loaded.engine;
    let required = match requirements(engine, &args.require) {
        Ok(r) => r,
        Err(e) => return Ok(bad_input(e)),
    };
    let subjects = match subjects(engine, &args.path) {
        Ok(s) => s,
        Err(e) => return Ok(bad_input(e)),
    };
    let now = Utc::now();
    let evaluations: Vec<Evaluation> = subjects
        .iter()
        .map(|s| {
            engine.evaluate(
                &Subject {
                    entity: &s.entity,
                    facts: &s.facts,
                    owner_in_catalog: None,
                    exemptions: &[],
                    messages: true,
                },
                now,
            )
        })
        .collect();
    let rows: Vec<(&Scored, &Evaluation)> = subjects.iter().zip(&evaluations).collect();
    let shortfalls: Vec<Value> = rows
        .iter()
        .flat_map(|(s, ev)| {
            required.iter().filter_map(|r| {
                let t = &engine.tracks[r.track];
                let held = ev.standings[r.track].as_ref()?.level;
                held.is_none_or(|l| l < r.level).then(|| {
                    json!({
                        "entity": s.entity.to_string(),
                        "track": t.def.id,
                        "required": t.def.levels[r.level].id,
                        "level": t.level_id(held),
                    })
                })
            })
        })
        .collect();
    let mut out = std::io::stdout().lock();
    match args.format {
        CheckFormat::Json => {
            let mut doc = output::json_report(engine, &rows);
            doc["belowRequired"] = json!(shortfalls);
            serde_json::to_writer_pretty(&mut out, &doc).map_err(|e| e.to_string())?;
            writeln!(out).map_err(cannot_write)?;
        }
        CheckFormat::Table => {
            for (s, ev) in &rows {
                write_component(&mut out, engine, s, ev).map_err(cannot_write)?;
            }
            for f in &shortfalls {
                writeln!(
                    out,
                    "BELOW REQUIRED: {} holds {} in {}; {} is required",
                    f["entity"].as_str().unwrap_or_default(),
                    f["level"].as_str().unwrap_or("no level"),
                    f["track"].as_str().unwrap_or_default(),
                    f["required"].as_str().unwrap_or_default()
                )
                .map_err(cannot_write)?;
            }
        }
    }
    Ok(if shortfalls.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn requirements(engine: &Engine, specs: &[String]) -> Result<Vec<Requirement>, String> {
    specs
        .iter()
        .map(|spec| {
            let (track, level) = spec.split_once('=').ok_or_else(|| {
                format!("--require `{spec}`: expected TRACK=LEVEL, e.g. fleet-readiness=silver")
            })?;
            let t = engine.track(track.trim()).ok_or_else(|| {
                let known: Vec<&str> = engine.tracks.iter().map(|t| t.def.id.as_str()).collect();
                format!(
                    "--require `{spec}`: no track `{track}` (tracks: {})",
                    known.join(", ")
                )
            })?;
            let l = engine.tracks[t].level_index(level.trim()).ok_or_else(|| {
                let known: Vec<&str> = engine.tracks[t]
                    .def
                    .levels
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect();
                format!(
                    "--require `{spec}`: track `{track}` has no level `{level}` (levels: {})",
                    known.join(", ")
                )
            })?;
            Ok(Requirement { track: t, level: l })
        })
        .collect()
}

/// The Components of the checkout's catalog-info.yaml, each with the catalog's facts and the
/// scanner's.
fn subjects(engine: &Engine, path: &std::path::Path) -> Result<Vec<Scored>, String> {
    if !path.is_dir() {
        return Err(format!("{}: not a folder", path.display()));
    }
    let descriptor = ["catalog-info.yaml", "catalog-info.yml"]
        .iter()
        .map(|n| path.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "{}: no catalog-info.yaml: add one describing the component (see https://backstage.io/docs/features/software-catalog/descriptor-format)",
                path.display()
            )
        })?;
    let catalog = Catalog::load(&DiskFiles, std::slice::from_ref(&descriptor));
    let errors: Vec<String> = catalog
        .problems()
        .iter()
        .filter(|p| p.severity == ProblemSeverity::Error)
        .map(ToString::to_string)
        .collect();
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    let scanned = scan(&DirTree::new(path), Some(&engine.radar)).to_json();
    let subjects: Vec<Scored> = catalog
        .entities()
        .iter()
        .filter(|e| e.entity_ref.kind() == "component")
        .map(|e| {
            let mut row = engine.empty_facts();
            crate::facts::catalog::fill(e, &engine.facts, &mut row);
            for (slot, name) in engine.facts.names().iter().enumerate() {
                if let Some(v) = scanned.get(name) {
                    row[slot] = Some(v.clone());
                }
            }
            Scored {
                entity: e.entity_ref.clone(),
                facts: row,
                owner_in_catalog: None,
            }
        })
        .collect();
    if subjects.is_empty() {
        return Err(format!("{}: describes no Component", descriptor.display()));
    }
    Ok(subjects)
}

/// One component for a developer: levels, what fails and how to fix it, eligibility.
fn write_component(
    out: &mut dyn Write,
    engine: &Engine,
    s: &Scored,
    ev: &Evaluation,
) -> std::io::Result<()> {
    writeln!(out, "{}", s.entity)?;
    for (t, st) in engine.tracks.iter().zip(&ev.standings) {
        let Some(st) = st else { continue };
        let next = t
            .level_id(st.next_level(t))
            .map(|n| format!("  (next: {n})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:<20} {}{next}",
            t.def.id,
            t.level_id(st.level).unwrap_or("none")
        )?;
    }
    writeln!(out, "  golden: {}", if ev.golden { "yes" } else { "no" })?;
    if ev.eligibility.eligible {
        writeln!(out, "  eligible for automated fleet changes: yes")?;
    } else {
        writeln!(out, "  eligible for automated fleet changes: no")?;
        for r in &ev.eligibility.reasons {
            writeln!(out, "    - {}: {}", r.code, r.message)?;
        }
    }
    // Failures before unknowns, errors before warnings.
    let mut failing: Vec<_> = engine
        .checks
        .iter()
        .zip(&ev.statuses)
        .filter(|(_, st)| matches!(st, Status::Fail | Status::Unknown))
        .collect();
    failing.sort_by_key(|(c, st)| {
        (
            c.def.severity == crate::rules::Severity::Warning,
            **st == Status::Unknown,
        )
    });
    if !failing.is_empty() {
        writeln!(out, "  failing checks:")?;
    }
    for (c, st) in failing {
        let severity = serde_json::to_value(c.def.severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        writeln!(
            out,
            "    {} {} [{severity}]: {}",
            st.as_str(),
            c.id(),
            c.def.name
        )?;
        if *st == Status::Unknown {
            let missing = c.missing_facts(&s.facts, &engine.facts).join(", ");
            writeln!(out, "        missing facts: {missing}")?;
        } else if let Some(h) = &c.def.how_to_fix {
            for line in h.trim().lines() {
                writeln!(out, "        {line}")?;
            }
        }
    }
    writeln!(out)
}

//! `tech-health preview`: the impact of candidate standards (a config folder) on a fleet — the
//! bundled example fleet by default — compared with the current standards.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use rayon::prelude::*;

use super::evaluate::{FleetInput, fleet_input, subjects};
use super::{ConfigArgs, cannot_write, load_standards};
use crate::catalog::{Catalog, EntityRef};
use crate::evaluate::{Engine, Evaluation, Subject};
use crate::facts;
use crate::preview::{self, Pair, Preview};

/// How `preview` prints the impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PreviewFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// The candidate standards: a folder holding `checks/` and `golden-tech/`
    #[arg(long, value_name = "NEW_DIR")]
    pub config_dir: PathBuf,
    /// The current standards to compare with [default: the bundled standards]
    #[arg(long, value_name = "DIR")]
    pub base_config_dir: Option<PathBuf>,
    /// Catalog files, folders or globs [default: the bundled example fleet]
    #[arg(long = "catalog", value_name = "PATH")]
    pub catalog: Vec<PathBuf>,
    /// Facts file: JSON array or NDJSON of {"entity": "<ref>", "facts": {...}}
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Kinds of catalog entities to score
    #[arg(long = "kind", value_name = "KIND", default_values_t = vec!["component".to_string()])]
    pub kinds: Vec<String>,
    #[arg(long, value_enum, default_value_t = PreviewFormat::Table)]
    pub format: PreviewFormat,
}

pub fn run(args: PreviewArgs) -> Result<ExitCode, String> {
    let before = load_standards(
        &ConfigArgs {
            config_dir: args.base_config_dir.clone(),
        },
        None,
    )?;
    let after = load_standards(
        &ConfigArgs {
            config_dir: Some(args.config_dir.clone()),
        },
        None,
    )?;
    let FleetInput {
        catalog,
        bytes,
        facts_path,
    } = fleet_input(&args.catalog, args.facts.as_deref())?;
    let facts_error = |e: facts::FactsError| match &facts_path {
        Some(path) => format!("{}:{e}", path.display()),
        None => e.to_string(),
    };
    let now = Utc::now();
    let old =
        evaluate_all(&before.engine, catalog.as_ref(), &bytes, &args, now).map_err(facts_error)?;
    let new =
        evaluate_all(&after.engine, catalog.as_ref(), &bytes, &args, now).map_err(facts_error)?;
    let index: rustc_hash::FxHashMap<_, _> = new.iter().map(|(e, ev)| (e, ev)).collect();
    let pairs: Vec<Pair> = old
        .iter()
        .filter_map(|(r, ev)| {
            let entity = catalog.as_ref().and_then(|c| c.get(r));
            Some(Pair {
                entity: r,
                owner: entity.and_then(|e| e.owner()),
                department: catalog.as_ref().and_then(|c| preview::department_of(c, r)),
                before: ev,
                after: index.get(r)?,
            })
        })
        .collect();
    let impact = preview::compare(&before.engine, &after.engine, &pairs);
    let mut out = std::io::stdout().lock();
    match args.format {
        PreviewFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &impact).map_err(|e| e.to_string())?;
            writeln!(out).map_err(cannot_write)?;
        }
        PreviewFormat::Table => write_table(&mut out, &impact).map_err(cannot_write)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Every entity of the fleet evaluated with `engine`, on every core (fact rows are dropped as
/// soon as they are evaluated).
fn evaluate_all(
    engine: &Engine,
    catalog: Option<&Catalog>,
    bytes: &[u8],
    args: &PreviewArgs,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<(EntityRef, Evaluation)>, facts::FactsError> {
    let records = facts::parse_facts(bytes, &engine.facts)?;
    let subjects = subjects(engine, catalog, records, &args.kinds);
    Ok(subjects
        .into_par_iter()
        .map(|s| {
            let ev = engine.evaluate(
                &Subject {
                    entity: &s.entity,
                    facts: &s.facts,
                    owner_in_catalog: s.owner_in_catalog,
                    exemptions: &[],
                    messages: false,
                },
                now,
            );
            (s.entity, ev)
        })
        .collect())
}

fn write_table(out: &mut dyn Write, p: &Preview) -> std::io::Result<()> {
    let s = &p.summary;
    writeln!(
        out,
        "{} entities, {} change: {} drop a level, {} rise; golden {} -> {}; eligible {} -> {} ({} lose eligibility, {} gain it)",
        s.entities,
        s.changed,
        s.dropped,
        s.raised,
        s.golden_before,
        s.golden_after,
        s.eligible_before,
        s.eligible_after,
        s.lost_eligibility,
        s.gained_eligibility
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<32} {:>8} {:>8} {:>8} {:>12} {:>17}",
        "DEPARTMENT", "ENTITIES", "CHANGED", "DROPPED", "LOST GOLDEN", "LOST ELIGIBILITY"
    )?;
    for (d, c) in &p.departments {
        writeln!(
            out,
            "{:<32} {:>8} {:>8} {:>8} {:>12} {:>17}",
            d, c.entities, c.changed, c.dropped, c.lost_golden, c.lost_eligibility
        )?;
    }
    if p.entities.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<44} {:<40} ELIGIBLE",
        "ENTITY", "LEVELS (BEFORE -> AFTER)"
    )?;
    for e in &p.entities {
        let mut levels: Vec<String> = Vec::new();
        for (track, old) in &e.before.levels {
            let new = e.after.levels.get(track).cloned().flatten();
            if *old != new {
                let show = |l: &Option<String>| l.clone().unwrap_or_else(|| "none".into());
                levels.push(format!("{track} {} -> {}", show(old), show(&new)));
            }
        }
        let yes = |b: bool| if b { "yes" } else { "no" };
        writeln!(
            out,
            "{:<44} {:<40} {} -> {}",
            e.entity,
            levels.join(", "),
            yes(e.before.eligible),
            yes(e.after.eligible)
        )?;
    }
    Ok(())
}

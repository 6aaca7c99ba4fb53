//! `tech-health change simulate`: a fleet change replayed offline. The change is planned over a
//! fleet (the bundled example fleet by default) in a store held in memory, the outcomes of a
//! file are reported at their times, the clock stepping through every soak that ends between
//! them, and the controller's transitions are printed — the same controller the service runs,
//! so criteria can be tuned before a real run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::cannot_write;
use crate::governance::rollout::{ChangeRequest, Outcome, Transition};
use crate::service::{App, OutcomeInput, Sources, Steer};
use crate::settings::SettingsFile;

#[derive(Debug, clap::Subcommand)]
pub enum ChangeCommand {
    /// Replay outcomes against a fleet change offline and print the transitions.
    Simulate(SimulateArgs),
}

/// How `change simulate` prints what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimulateFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The change: the body of `POST /api/v1/changes`, as YAML or JSON
    #[arg(long, value_name = "FILE")]
    pub change: PathBuf,
    /// Outcomes, NDJSON or a JSON array of {"entity", "outcome", "prUrl", "at"} (`at` required),
    /// and people's moves {"pause"|"resume"|"cancel": "<reason>", "at"}
    #[arg(long, value_name = "FILE")]
    pub outcomes: PathBuf,
    /// Facts: a JSON array of {"entity": "<ref>", "facts": {...}} [default: the example fleet's]
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Catalog files, folders or globs [default: the bundled example fleet]
    #[arg(long = "catalog", value_name = "PATH")]
    pub catalog: Vec<PathBuf>,
    /// A folder with `checks/` and `golden-tech/` [default: the bundled standards]
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// When the change starts [default: its `start`, else the first outcome's time]
    #[arg(long, value_name = "RFC3339")]
    pub start: Option<DateTime<Utc>>,
    #[arg(long, value_enum, default_value_t = SimulateFormat::Table)]
    pub format: SimulateFormat,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OutcomeLine {
    entity: String,
    outcome: Outcome,
    pr_url: Option<String>,
    at: DateTime<Utc>,
}

/// A person's move, as a line of the outcomes file: `{"resume": "<reason>", "at": …}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SteerLine {
    pause: Option<String>,
    resume: Option<String>,
    cancel: Option<String>,
    at: DateTime<Utc>,
}

/// One line of the outcomes file.
#[derive(Debug)]
enum Line {
    Outcome(OutcomeLine),
    Steer(Steer, String, DateTime<Utc>),
}

impl Line {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Line::Outcome(o) => o.at,
            Line::Steer(_, _, at) => *at,
        }
    }

    fn parse(value: serde_json::Value) -> Result<Line, String> {
        if value.get("entity").is_some() {
            return serde_json::from_value(value)
                .map(Line::Outcome)
                .map_err(|e| e.to_string());
        }
        let s: SteerLine = serde_json::from_value(value).map_err(|e| {
            format!("{e} (a line is an outcome {{\"entity\", \"outcome\", \"at\"}} or a move {{\"pause\"|\"resume\"|\"cancel\": \"<reason>\", \"at\"}})")
        })?;
        match (s.pause, s.resume, s.cancel) {
            (Some(r), None, None) => Ok(Line::Steer(Steer::Pause, r, s.at)),
            (None, Some(r), None) => Ok(Line::Steer(Steer::Resume, r, s.at)),
            (None, None, Some(r)) => Ok(Line::Steer(Steer::Cancel, r, s.at)),
            _ => Err("give exactly one of `pause`, `resume` and `cancel`, with the reason".into()),
        }
    }
}

/// The lines of an outcomes file, in time order (a stable sort: the file's order within one
/// time), each with its line number (its position in a JSON array).
fn read_outcomes(path: &Path) -> Result<Vec<(usize, Line)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    if text.trim_start().starts_with('[') {
        let list: Vec<serde_json::Value> = serde_json::from_str(&text)
            .map_err(|e| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
        for (i, v) in list.into_iter().enumerate() {
            let line =
                Line::parse(v).map_err(|e| format!("{}: item {}: {e}", path.display(), i + 1))?;
            out.push((i + 1, line));
        }
    } else {
        for (i, text) in text.lines().enumerate() {
            if text.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| format!("{}:{}:{}: {e}", path.display(), i + 1, e.column()))?;
            let line =
                Line::parse(value).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
            out.push((i + 1, line));
        }
    }
    out.sort_by_key(|(_, l)| l.at());
    Ok(out)
}

fn read_change(path: &Path) -> Result<ChangeRequest, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if text.trim_start().starts_with('{') {
        serde_json::from_str(&text)
            .map_err(|e| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))
    } else {
        serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// What a simulation printed.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Simulation {
    change: String,
    state: String,
    transitions: Vec<Transition>,
    /// Lines the change refused (not a component, wave not started, a resume while running),
    /// with why.
    refused: Vec<String>,
}

pub fn run(cmd: ChangeCommand) -> Result<ExitCode, String> {
    let ChangeCommand::Simulate(args) = cmd;
    let mut req = read_change(&args.change)?;
    let outcomes = read_outcomes(&args.outcomes)?;
    let start = match (args.start, &req.start) {
        (Some(s), _) => s,
        (None, Some(s)) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| format!("{}: `start`: {e}", args.change.display()))?
            .with_timezone(&Utc),
        (None, None) => outcomes.first().map_or_else(Utc::now, |(_, o)| o.at()),
    };
    req.start = Some(start.to_rfc3339());
    let sources = Sources {
        config_dir: args.config_dir.clone(),
        demo: args.catalog.is_empty(),
        catalog: args.catalog.clone(),
        facts: args.facts.clone(),
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let sim = runtime.block_on(simulate(sources, req, outcomes, start))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        SimulateFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &sim).map_err(|e| e.to_string())?;
            writeln!(out).map_err(cannot_write)?;
        }
        SimulateFormat::Table => write_table(&mut out, &sim).map_err(cannot_write)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Moves the clock to `at` and lets the controller act there.
async fn step(app: &App, at: DateTime<Utc>) -> Result<(), String> {
    app.set_clock(Some(at));
    app.tick().await.map_err(|e| e.to_string())
}

/// Steps through every moment before `until` at which time alone moves something.
async fn step_deadlines(app: &App, until: Option<DateTime<Utc>>) -> Result<(), String> {
    // Each deadline moves a change on or is the last; a bound keeps a bad one from looping.
    for _ in 0..10_000 {
        let now = app.now();
        match app.next_deadline() {
            Some(d) if d > now && until.is_none_or(|u| d <= u) => step(app, d).await?,
            _ => return Ok(()),
        }
    }
    Ok(())
}

async fn simulate(
    sources: Sources,
    req: ChangeRequest,
    outcomes: Vec<(usize, Line)>,
    start: DateTime<Utc>,
) -> Result<Simulation, String> {
    let app = App::start(SettingsFile::default(), sources, "sqlite::memory:")
        .await
        .map_err(|e| e.to_string())?;
    app.set_clock(Some(start));
    let view = app
        .create_change(&req, "simulate")
        .await
        .map_err(|e| describe(&e))?;
    let id = view.change.id.clone();
    step(&app, start).await?;
    let mut refused = Vec::new();
    for (line, l) in outcomes {
        step_deadlines(&app, Some(l.at())).await?;
        step(&app, l.at().max(app.now())).await?;
        let done = match l {
            Line::Outcome(o) => {
                let item = OutcomeInput {
                    entity: o.entity.clone(),
                    outcome: o.outcome,
                    pr_url: o.pr_url,
                    at: Some(o.at),
                };
                app.report_outcomes(&id, &[item], "simulate", "simulate")
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{} {}: {}", o.entity, o.outcome.as_str(), describe(&e)))
            }
            Line::Steer(action, reason, _) => app
                .steer_change(&id, action, &reason, "simulate")
                .await
                .map(|_| ())
                .map_err(|e| format!("{action:?}: {}", describe(&e))),
        };
        if let Err(e) = done {
            refused.push(format!("line {line}: {e}"));
        }
        step(&app, app.now()).await?;
    }
    step_deadlines(&app, None).await?;
    let transitions = app
        .change_transitions(&id)
        .await
        .map_err(|e| e.to_string())?;
    let state = app
        .fleet_change(&id)
        .map_err(|e| e.to_string())?
        .state()
        .to_string();
    Ok(Simulation {
        change: id,
        state,
        transitions,
        refused,
    })
}

/// A service error with the fields it names.
fn describe(e: &crate::service::ServiceError) -> String {
    match e {
        crate::service::ServiceError::Rejected {
            message, errors, ..
        } => {
            let fields: Vec<String> = errors
                .iter()
                .map(|f| format!("{}: {}", f.path, f.message))
                .collect();
            format!("{message} ({})", fields.join("; "))
        }
        e => e.to_string(),
    }
}

fn write_table(out: &mut dyn Write, s: &Simulation) -> std::io::Result<()> {
    for t in &s.transitions {
        writeln!(
            out,
            "{}  {:<17} → {:<17} {:<10}  {}",
            t.at.format("%Y-%m-%d %H:%M"),
            t.from,
            t.to,
            t.actor,
            t.reason
        )?;
        for r in &t.reasons {
            if !r.components.is_empty() {
                writeln!(
                    out,
                    "{:>20}{}: {}",
                    "",
                    r.criterion,
                    r.components.join(", ")
                )?;
            }
        }
    }
    for r in &s.refused {
        writeln!(out, "refused  {r}")?;
    }
    writeln!(out, "final state: {}", s.state)
}

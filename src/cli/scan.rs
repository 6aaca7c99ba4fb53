//! `tech-health scan`: the repository scanner over a local checkout, printing its facts.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use super::{ConfigArgs, load_standards};
use crate::scanner::{DirTree, scan};

/// How `scan` prints the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    /// The facts as one JSON object (name → value).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// The repository to scan: a local folder
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Print a facts-file record `{"entity": REF, "facts": {…}}` for `evaluate --facts`
    #[arg(long, value_name = "REF")]
    pub entity: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[arg(long, value_enum, default_value_t = ScanFormat::Json)]
    pub format: ScanFormat,
}

pub fn run(args: ScanArgs) -> Result<ExitCode, String> {
    if !args.path.is_dir() {
        return Err(format!("{}: not a folder", args.path.display()));
    }
    let loaded = load_standards(&args.config, None)?;
    let facts = scan(&DirTree::new(&args.path), Some(&loaded.engine.radar)).to_json();
    let out = match &args.entity {
        Some(entity) => json!([{ "entity": entity, "facts": facts }]),
        None => facts,
    };
    match args.format {
        ScanFormat::Json => {
            let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
            println!("{text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! The `github` collector's facts of one repository (schema:
//! `checks/collectors/github.schema.json`).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::state::{RepoState, RepoSummary};

/// Where the GitHub facts schema lives among the bundled files.
pub const SCHEMA: &str = "checks/collectors/github.schema.json";

/// Files that switch on Dependabot or Renovate.
const DEPENDENCY_UPDATE_FILES: [&str; 8] = [
    ".github/dependabot.yml",
    ".github/dependabot.yaml",
    "renovate.json",
    "renovate.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
];

/// Whether one of the listed files configures automated dependency updates.
pub fn dependency_updates(paths: &[&str]) -> bool {
    paths.iter().any(|p| DEPENDENCY_UPDATE_FILES.contains(p))
}

/// The facts GitHub itself knows: what the repository list says, the default branch head
/// (date, CI state, protection), and what the last scan saw.
pub fn github_facts(
    repo: &RepoSummary,
    state: &RepoState,
    now: DateTime<Utc>,
) -> Map<String, Value> {
    let mut f = Map::new();
    f.insert("repository".into(), Value::String(repo.slug()));
    f.insert("archived".into(), Value::Bool(repo.archived));
    if let Some(b) = &repo.default_branch {
        f.insert("defaultBranch".into(), Value::String(b.clone()));
    }
    if let Some(p) = state.protected {
        f.insert("branchProtection".into(), Value::Bool(p));
    }
    if let Some(s) = repo.secret_scanning {
        f.insert("secretScanning".into(), Value::Bool(s));
    }
    if let Some(date) = &state.head_date {
        f.insert("lastCommitDate".into(), Value::String(date.clone()));
        if let Ok(at) = DateTime::parse_from_rfc3339(date) {
            let days = (now - at.with_timezone(&Utc)).num_days().max(0);
            f.insert("daysSinceLastCommit".into(), Value::from(days));
        }
    }
    if let Some(ci) = &state.ci_state {
        f.insert("defaultBranchCiStatus".into(), Value::String(ci.clone()));
        // What the bundled check `ci-green-default-branch` reads.
        match ci.as_str() {
            "success" => f.insert("ciGreenOnDefaultBranch".into(), Value::Bool(true)),
            "failure" | "error" => f.insert("ciGreenOnDefaultBranch".into(), Value::Bool(false)),
            _ => None,
        };
    }
    if let Some(d) = state.dependency_updates {
        f.insert("dependencyUpdatesEnabled".into(), Value::Bool(d));
    }
    f
}

/// `statusCheckRollup.state` (`SUCCESS`, `FAILURE`, …) in lower case; `none` when the commit
/// has no status and no check run.
pub fn ci_state(commit: &Value) -> String {
    commit
        .pointer("/statusCheckRollup/state")
        .and_then(Value::as_str)
        .map_or_else(|| "none".to_string(), str::to_ascii_lowercase)
}

/// Whether a CI state may still change without a new commit.
pub fn ci_settled(state: Option<&str>) -> bool {
    matches!(state, Some("success" | "failure" | "error" | "none"))
}

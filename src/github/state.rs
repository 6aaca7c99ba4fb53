//! What the collector returns, and what it keeps between runs so that the next run is cheap:
//! ETags of every REST answer, the last head commit scanned per repository, and the last good
//! facts (kept, and marked stale, when a run cannot refresh them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The facts of one repository per collector: `scanner` (see `checks/collectors/scanner.schema.json`)
/// and `github` (see `checks/collectors/github.schema.json`); each map is fact name → value.
pub type FactsByCollector = BTreeMap<String, Map<String, Value>>;

/// One repository after a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoCollection {
    /// `owner/name`
    pub slug: String,
    /// The repository's web page.
    pub url: String,
    /// The entities of its root `catalog-info.yaml`, as catalog envelopes.
    pub entities: Vec<Value>,
    pub facts: FactsByCollector,
    /// Why this run could not refresh the repository; its facts are then the last good ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<String>,
    /// Whether this run read the repository's files (its head moved, or it is new).
    pub rescanned: bool,
}

/// A problem of the run as a whole or of one repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionError {
    /// `owner/name`, or the organisation or user whose listing failed.
    pub subject: String,
    pub message: String,
}

/// The result of [`super::GitHubCollector::collect_all`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    pub repos: Vec<RepoCollection>,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Rate-limit points spent (REST: 1 per answer, 0 for a 304; GraphQL: each query's cost).
    pub rate_limit_points: u64,
    pub errors: Vec<CollectionError>,
    /// The state to pass to the next run.
    #[serde(skip)]
    pub state: CollectorState,
}

/// What a run leaves for the next one. Serialisable: the caller stores it (a file, a table).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CollectorState {
    /// Repository list pages by request path.
    pub pages: BTreeMap<String, PageState>,
    /// Repositories by `owner/name`.
    pub repos: BTreeMap<String, RepoState>,
}

/// One page of an organisation's or user's repository list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageState {
    pub etag: Option<String>,
    pub repos: Vec<RepoSummary>,
    /// The next page's path, if any.
    pub next: Option<String>,
}

/// A repository as its owner's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoSummary {
    pub owner: String,
    pub name: String,
    pub url: String,
    /// Absent for an empty repository.
    pub default_branch: Option<String>,
    pub archived: bool,
    /// `security_and_analysis.secret_scanning.status`, when the token may see it.
    pub secret_scanning: Option<bool>,
}

impl RepoSummary {
    pub fn slug(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// The last run's knowledge of one repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RepoState {
    /// ETag of the default branch (`GET /repos/{owner}/{repo}/branches/{branch}`).
    pub branch_etag: Option<String>,
    pub branch: Option<String>,
    /// The head commit of the last successful scan.
    pub head: Option<String>,
    pub head_date: Option<String>,
    pub protected: Option<bool>,
    /// The default branch head's combined CI state (`statusCheckRollup.state`, lower case).
    pub ci_state: Option<String>,
    /// Whether the last scan found Dependabot or Renovate configured.
    pub dependency_updates: Option<bool>,
    pub entities: Vec<Value>,
    /// The last good facts.
    pub facts: FactsByCollector,
}

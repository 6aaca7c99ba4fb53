//! The GitHub collector: finds the repositories of organisations and users, reads the files
//! the repository scanner needs through batched GraphQL queries, and reports per repository
//! its catalog entities (`catalog-info.yaml`), the scanner's facts and GitHub's own facts
//! (default-branch CI state, branch protection, last commit, archived).
//!
//! Cheap to repeat: every REST answer is conditional on its last ETag (a 304 costs no
//! rate-limit point), and a repository is read again only when its default branch head moved
//! (or its CI state was still pending). An unchanged refresh costs no point at all, but for
//! the pages of repository lists that changed and one per empty repository (its missing branch
//! answers 404, which carries no ETag). Polite: requests in flight are bounded, rate limits
//! (`x-ratelimit-*`, `Retry-After`) are waited out, 5xx and timeouts are retried with
//! exponential backoff and jitter. A repository that cannot be refreshed keeps its last good
//! facts, marked `stale` with the reason.
//!
//! ```no_run
//! # async fn run() -> Result<(), tech_health::github::GitHubError> {
//! use tech_health::github::{CollectorState, GitHubCollector, GitHubSettings};
//! let settings = GitHubSettings { orgs: vec!["acme".into()], ..GitHubSettings::default() };
//! let collector = GitHubCollector::new(settings)?;
//! let first = collector.collect_all(&CollectorState::default()).await;
//! let refresh = collector.collect_all(&first.state).await; // mostly 304s
//! # Ok(()) }
//! ```

mod client;
mod collect;
mod discover;
mod facts;
mod fetch;
mod files;
mod graphql;
mod probe;
mod rate;
mod settings;
mod source;
mod state;

pub use client::next_link;
pub use facts::SCHEMA;
pub use settings::{GITHUB_API, GitHubSettings};
pub use source::GitHubSource;
pub use state::{
    Collection, CollectionError, CollectorState, FactsByCollector, PageState, RepoCollection,
    RepoState, RepoSummary,
};

use std::sync::Arc;

use crate::radar::Radar;

/// The collector's errors: bad settings, or GitHub's answer to one request.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GitHubError {
    #[error("GitHub settings: {0}")]
    Settings(String),
    #[error("{0}")]
    Answer(String),
}

/// Collects facts from GitHub or GitHub Enterprise Server. One instance per settings; its
/// request and rate-limit point counts are per call of [`GitHubCollector::collect_all`] and
/// [`GitHubCollector::collect_repo`].
pub struct GitHubCollector {
    settings: GitHubSettings,
    radar: Option<Arc<Radar>>,
}

impl GitHubCollector {
    /// Checks the settings; no request is sent yet.
    pub fn new(settings: GitHubSettings) -> Result<Self, GitHubError> {
        settings.validate()?;
        Ok(GitHubCollector {
            settings,
            radar: None,
        })
    }

    /// Maps the scanner's technologies onto this radar's entries and rings.
    pub fn with_radar(mut self, radar: Arc<Radar>) -> Self {
        self.radar = Some(radar);
        self
    }

    pub fn settings(&self) -> &GitHubSettings {
        &self.settings
    }
}

//! The GitHub collector as one of the service's scheduled collectors
//! ([`crate::collectors::Collector`]): it answers everything, one repository (after a webhook)
//! or one entity (through its `github.com/project-slug` annotation), and keeps its
//! [`CollectorState`] between runs so that refreshes cost what the module docs say.

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::state::{Collection, CollectorState};
use super::{GitHubCollector, GitHubError};
use crate::collectors::{
    self, CollectError, EntitySync, Handles, RepositoryFacts, Scope, Stale, StaleTarget,
};

/// The fact collectors whose facts this source writes.
const FACT_COLLECTORS: [&str; 2] = ["scanner", "github"];

pub struct GitHubSource {
    name: String,
    collector: GitHubCollector,
    /// Whether the repositories' `catalog-info.yaml` entities are catalog entries of this source.
    entities: bool,
    state: Mutex<CollectorState>,
}

impl GitHubSource {
    /// `entities`: also hand over the entities of each repository's `catalog-info.yaml` (off
    /// when the Backstage catalog already lists them).
    pub fn new(name: impl Into<String>, collector: GitHubCollector, entities: bool) -> Self {
        GitHubSource {
            name: name.into(),
            collector,
            entities,
            state: Mutex::new(CollectorState::default()),
        }
    }

    /// Starts from a stored state instead of an empty one.
    pub fn with_state(self, state: CollectorState) -> Self {
        GitHubSource {
            state: Mutex::new(state),
            ..self
        }
    }

    /// The state after the last run (to store it).
    pub async fn state(&self) -> CollectorState {
        self.state.lock().await.clone()
    }
}

#[async_trait]
impl collectors::Collector for GitHubSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "github"
    }

    fn handles(&self) -> Handles {
        Handles {
            entity: true,
            repository: true,
        }
    }

    fn fact_collectors(&self) -> Vec<String> {
        FACT_COLLECTORS.iter().map(|c| c.to_string()).collect()
    }

    async fn collect(&self, scope: &Scope) -> Result<collectors::Collection, CollectError> {
        let slug = match scope {
            Scope::All => None,
            Scope::Repository(slug) => Some(slug.as_str()),
            Scope::Entity { repository, .. } => Some(repository.as_deref().ok_or_else(|| {
                CollectError(format!(
                    "{scope}: no `github.com/project-slug` annotation names its repository"
                ))
            })?),
        };
        // One run at a time: each starts from the state the last one left.
        let mut state = self.state.lock().await;
        let run = match slug {
            None => self.collector.collect_all(&state).await,
            Some(slug) => {
                let (owner, name) = slug.split_once('/').ok_or_else(|| {
                    CollectError(format!("`{slug}` is not a repository slug (owner/name)"))
                })?;
                self.collector.collect_repo(owner, name, &state).await
            }
        };
        if run.requests == 0 && !run.errors.is_empty() {
            let e = GitHubError::Answer(run.errors[0].message.clone());
            return Err(CollectError(e.to_string()));
        }
        *state = run.state.clone();
        Ok(self.convert(run, slug.is_none()))
    }

    async fn saved_state(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&*self.state.lock().await).ok()
    }

    async fn restore_state(&self, state: serde_json::Value) -> Result<(), String> {
        let state: CollectorState = serde_json::from_value(state)
            .map_err(|e| format!("collector {}: stored state unreadable: {e}", self.name))?;
        *self.state.lock().await = state;
        Ok(())
    }
}

impl GitHubSource {
    fn convert(&self, run: Collection, everything: bool) -> collectors::Collection {
        let mut out = collectors::Collection {
            errors: run
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.subject, e.message))
                .collect(),
            ..collectors::Collection::default()
        };
        // The list is complete when every owner's repositories could be listed.
        let listed_all = run.errors.iter().all(|e| e.subject.contains('/'));
        let mut entities = Vec::new();
        for repo in run.repos {
            entities.extend(repo.entities);
            // A stale repository's facts are the last good ones, which the service holds
            // already: they are marked, not written again as if observed now.
            if let Some(reason) = &repo.stale {
                out.stale.extend(FACT_COLLECTORS.iter().map(|c| Stale {
                    target: StaleTarget::Repository(repo.slug.clone()),
                    collector: c.to_string(),
                    reason: reason.clone(),
                }));
                continue;
            }
            for (collector, facts) in repo.facts {
                out.repositories.push(RepositoryFacts {
                    slug: repo.slug.clone(),
                    collector,
                    facts,
                });
            }
        }
        if self.entities {
            out.entities = Some(EntitySync {
                entities,
                complete: everything && listed_all,
                removed: Vec::new(),
            });
        }
        out
    }
}

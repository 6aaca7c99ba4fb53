//! One run: discover, probe each repository's default branch (conditional: 304 when nothing
//! moved), read the files of the repositories whose head moved, scan them, and assemble facts,
//! keeping the last good ones (marked stale) for the repositories that failed.

use std::collections::BTreeMap;

use chrono::Utc;
use futures_util::future::join_all;
use serde_json::Value;

use super::client::{Client, Fetched};
use super::discover::{self, Owner};
use super::facts::{ci_settled, ci_state, github_facts};
use super::fetch::{self, Target};
use super::graphql::{self, Ask, Read};
use super::probe::{Probe, probe};
use super::state::{
    Collection, CollectionError, CollectorState, RepoCollection, RepoState, RepoSummary,
};
use super::{GitHubCollector, GitHubError};

/// What to do with one repository in this run.
enum Plan {
    /// Archived or empty: nothing to read.
    Skip,
    Stale(String),
    /// Keep the facts; refresh the CI state when it was still pending.
    Keep {
        ci: bool,
    },
    /// Read the files of this head commit.
    Scan {
        sha: String,
        date: Option<String>,
        etag: Option<String>,
    },
}

impl GitHubCollector {
    /// Discovers the repositories of the configured organisations and users and collects each.
    pub async fn collect_all(&self, previous: &CollectorState) -> Collection {
        let client = match Client::new(&self.settings) {
            Ok(c) => c,
            Err(e) => return failed_run(previous, e),
        };
        let mut pages = BTreeMap::new();
        let mut errors = Vec::new();
        let mut found: Vec<RepoSummary> = Vec::new();
        let mut slugs = std::collections::HashSet::new();
        let mut unlisted_owners = Vec::new();
        let owners = (self.settings.orgs.iter().map(|o| Owner::Org(o)))
            .chain(self.settings.users.iter().map(|u| Owner::User(u)));
        for owner in owners {
            match discover::list(&client, owner, &previous.pages, &mut pages).await {
                Ok(repos) => {
                    for r in repos {
                        if slugs.insert(r.slug()) {
                            found.push(r);
                        }
                    }
                }
                Err(e) => {
                    let (Owner::Org(name) | Owner::User(name)) = owner;
                    errors.push(CollectionError {
                        subject: name.to_string(),
                        message: format!("cannot list repositories: {e}"),
                    });
                    unlisted_owners.push(name.to_ascii_lowercase());
                }
            }
        }
        // Keep the pages of owners that could not be listed, for the next run's ETags.
        for (path, page) in &previous.pages {
            pages.entry(path.clone()).or_insert_with(|| page.clone());
        }
        let (mut repos, mut state) = self.collect_found(&client, &found, previous).await;
        // Repositories of an owner that could not be listed keep their last facts, stale.
        for (slug, before) in &previous.repos {
            let owner = slug
                .split('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if unlisted_owners.contains(&owner) && !state.contains_key(slug) {
                repos.push(stale_from(
                    slug,
                    before,
                    "its owner's repositories could not be listed",
                ));
                state.insert(slug.clone(), before.clone());
            }
        }
        errors.extend(repos.iter().filter_map(|r| {
            r.stale.as_ref().map(|m| CollectionError {
                subject: r.slug.clone(),
                message: m.clone(),
            })
        }));
        Collection {
            repos,
            requests: client.requests(),
            rate_limit_points: client.points(),
            errors,
            state: CollectorState {
                pages,
                repos: state,
            },
        }
    }

    /// Collects one repository now (after a webhook, or a refresh asked for by a user). The
    /// returned state is `previous` with this repository's entry replaced.
    pub async fn collect_repo(
        &self,
        owner: &str,
        name: &str,
        previous: &CollectorState,
    ) -> Collection {
        let client = match Client::new(&self.settings) {
            Ok(c) => c,
            Err(e) => return failed_run(previous, e),
        };
        let slug = format!("{owner}/{name}");
        let summary = match client.get(&format!("/repos/{owner}/{name}"), None).await {
            Ok(Fetched::Ok { body, .. }) => {
                discover::parse_repo(&body).map_err(GitHubError::Answer)
            }
            Ok(Fetched::NotFound) => {
                Err(GitHubError::Answer(format!("{slug}: no such repository")))
            }
            Ok(Fetched::NotModified) => Err(GitHubError::Answer(format!("{slug}: unexpected 304"))),
            Err(e) => Err(e),
        };
        let mut state = previous.clone();
        let (repos, errors) = match summary {
            Ok(summary) => {
                let (repos, new) = self.collect_found(&client, &[summary], previous).await;
                state.repos.extend(new);
                let errors = repos
                    .iter()
                    .filter_map(|r| r.stale.clone())
                    .map(|message| CollectionError {
                        subject: slug.clone(),
                        message,
                    })
                    .collect();
                (repos, errors)
            }
            Err(e) => {
                let before = previous.repos.get(&slug).cloned().unwrap_or_default();
                let reason = e.to_string();
                (
                    vec![stale_from(&slug, &before, &reason)],
                    vec![CollectionError {
                        subject: slug.clone(),
                        message: reason,
                    }],
                )
            }
        };
        Collection {
            repos,
            requests: client.requests(),
            rate_limit_points: client.points(),
            errors,
            state,
        }
    }

    async fn collect_found(
        &self,
        client: &Client,
        found: &[RepoSummary],
        previous: &CollectorState,
    ) -> (Vec<RepoCollection>, BTreeMap<String, RepoState>) {
        let empty = RepoState::default();
        let before: Vec<&RepoState> = found
            .iter()
            .map(|r| previous.repos.get(&r.slug()).unwrap_or(&empty))
            .collect();
        let probes = join_all(found.iter().zip(&before).map(|(r, b)| probe(client, r, b))).await;

        let mut states: Vec<RepoState> = before.iter().map(|b| (*b).clone()).collect();
        let mut plans = Vec::new();
        for ((repo, probe), state) in found.iter().zip(probes).zip(states.iter_mut()) {
            let settled = ci_settled(state.ci_state.as_deref());
            plans.push(match probe {
                None => Plan::Skip,
                Some(Probe::Failed(e)) => Plan::Stale(e),
                Some(Probe::Unchanged) => Plan::Keep { ci: !settled },
                Some(Probe::Head {
                    sha,
                    date,
                    protected,
                    etag,
                }) => {
                    state.branch = repo.default_branch.clone();
                    state.protected = protected;
                    if state.facts.contains_key(SCANNER) && state.head.as_deref() == Some(&sha) {
                        state.branch_etag = etag;
                        state.head_date = date.or(state.head_date.take());
                        Plan::Keep { ci: !settled }
                    } else {
                        Plan::Scan { sha, date, etag }
                    }
                }
            });
        }
        self.run_plans(client, found, states, plans).await
    }

    /// Reads what the plans say, and assembles each repository's result and next state.
    async fn run_plans(
        &self,
        client: &Client,
        found: &[RepoSummary],
        mut states: Vec<RepoState>,
        plans: Vec<Plan>,
    ) -> (Vec<RepoCollection>, BTreeMap<String, RepoState>) {
        let mut targets = Vec::new();
        let mut ci_asks = Vec::new();
        for (i, (repo, plan)) in found.iter().zip(&plans).enumerate() {
            match plan {
                Plan::Scan { sha, .. } => targets.push((i, target(repo, sha))),
                Plan::Keep { ci: true } => {
                    if let Some(head) = &states[i].head {
                        ci_asks.push((
                            i,
                            Ask {
                                owner: repo.owner.clone(),
                                name: repo.name.clone(),
                                expression: head.clone(),
                                read: Read::Commit,
                            },
                        ));
                    }
                }
                _ => {}
            }
        }
        let ts: Vec<Target> = targets.iter().map(|(_, t)| t.clone()).collect();
        let asks: Vec<Ask> = ci_asks.iter().map(|(_, a)| a.clone()).collect();
        let (read, ci) = futures_util::join!(
            fetch::read(client, &self.settings, &ts),
            graphql::fetch(client, &asks, self.settings.batch_size)
        );
        let mut outcome: Vec<Option<Result<(), String>>> = vec![None; found.len()];
        for ((i, _), answer) in ci_asks.iter().zip(ci) {
            outcome[*i] = Some(match answer {
                Ok(Some(commit)) => {
                    states[*i].ci_state = Some(ci_state(&commit));
                    Ok(())
                }
                Ok(None) => Err("the head commit was not found".to_string()),
                Err(e) => Err(format!("cannot refresh the CI state: {e}")),
            });
        }
        for ((i, _), files) in targets.iter().zip(read) {
            let Plan::Scan { sha, date, etag } = &plans[*i] else {
                continue;
            };
            outcome[*i] = Some(files.map(|files| {
                let state = &mut states[*i];
                let scanned =
                    fetch::scan_files(&files, self.radar.as_deref(), self.settings.max_files);
                state.head = Some(sha.clone());
                state.branch_etag = etag.clone();
                state.head_date = files
                    .commit
                    .as_ref()
                    .and_then(|c| c.get("committedDate"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or(date.clone());
                state.ci_state = files.commit.as_ref().map(ci_state);
                state.facts.insert(SCANNER.into(), scanned.facts);
                state.entities = scanned.entities;
                state.dependency_updates = Some(scanned.dependency_updates);
            }));
        }

        let now = Utc::now();
        let mut out = Vec::new();
        let mut next = BTreeMap::new();
        for (i, (repo, plan)) in found.iter().zip(plans).enumerate() {
            let mut state = std::mem::take(&mut states[i]);
            let rescanned = matches!(plan, Plan::Scan { .. });
            let stale = match (plan, outcome[i].take()) {
                (Plan::Stale(e), _) => Some(e),
                (_, Some(Err(e))) => Some(e),
                _ => None,
            };
            let rescanned = rescanned && stale.is_none();
            state.branch = repo.default_branch.clone();
            state
                .facts
                .insert(GITHUB.into(), github_facts(repo, &state, now));
            out.push(RepoCollection {
                slug: repo.slug(),
                url: repo.url.clone(),
                entities: state.entities.clone(),
                facts: state.facts.clone(),
                stale,
                rescanned,
            });
            next.insert(repo.slug(), state);
        }
        (out, next)
    }
}

/// The scanner collector's name, as in `checks/collectors/scanner.schema.json`.
pub(super) const SCANNER: &str = "scanner";
/// This collector's name, as in `checks/collectors/github.schema.json`.
const GITHUB: &str = "github";

fn target(repo: &RepoSummary, sha: &str) -> Target {
    Target {
        owner: repo.owner.clone(),
        name: repo.name.clone(),
        sha: sha.to_string(),
    }
}

/// A repository not refreshed: its last facts with the reason.
fn stale_from(slug: &str, before: &RepoState, reason: &str) -> RepoCollection {
    RepoCollection {
        slug: slug.to_string(),
        url: format!("https://github.com/{slug}"),
        entities: before.entities.clone(),
        facts: before.facts.clone(),
        stale: Some(reason.to_string()),
        rescanned: false,
    }
}

/// A run that could not start: every known repository stale.
fn failed_run(previous: &CollectorState, e: GitHubError) -> Collection {
    let reason = e.to_string();
    Collection {
        repos: previous
            .repos
            .iter()
            .map(|(slug, s)| stale_from(slug, s, &reason))
            .collect(),
        requests: 0,
        rate_limit_points: 0,
        errors: vec![CollectionError {
            subject: "github".into(),
            message: reason,
        }],
        state: previous.clone(),
    }
}

//! CI configuration: which provider runs the pipeline, whether it runs the tests, whether a
//! merge to the default branch deploys, and whether a rollout is progressive (canary).
//!
//! GitHub Actions workflows are read as YAML (triggers, jobs, steps); the other providers'
//! files are read as text, line by line, with the same command patterns.

mod github;
mod patterns;

use super::findings::RuntimeHint;
use super::repo::{Repo, is_fixture};

/// What the CI configuration of a repository does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiSummary {
    /// Every provider with a configuration file, the preferred first.
    pub providers: Vec<&'static str>,
    pub runs_tests: bool,
    pub deploys_on_merge: bool,
    /// A pipeline step or job rolls out progressively (canary, Argo Rollouts, Flagger…).
    pub canary: bool,
    /// Configuration files that were read, for `technologies` sources.
    pub sources: Vec<(&'static str, String)>,
    /// Runtime versions the jobs set up (`actions/setup-java` and the like).
    pub runtimes: Vec<RuntimeHint>,
}

/// Whether a repository path configures a provider.
type IsConfig = fn(&str) -> bool;

/// Providers, the preferred first, and the files that configure them.
const PROVIDERS: &[(&str, IsConfig)] = &[
    ("github-actions", github::is_workflow),
    ("gitlab-ci", |p| {
        p == ".gitlab-ci.yml" || p == ".gitlab-ci.yaml"
    }),
    ("jenkins", |p| {
        let name = p.rsplit('/').next().unwrap_or(p);
        name == "Jenkinsfile" || name.starts_with("Jenkinsfile.")
    }),
    ("circleci", |p| {
        p == ".circleci/config.yml" || p == ".circleci/config.yaml"
    }),
    ("azure-pipelines", |p| {
        p == "azure-pipelines.yml"
            || p == "azure-pipelines.yaml"
            || (p.starts_with(".azure-pipelines/") && (p.ends_with(".yml") || p.ends_with(".yaml")))
    }),
    ("bitbucket-pipelines", |p| p == "bitbucket-pipelines.yml"),
    ("travis-ci", |p| p == ".travis.yml"),
    ("buildkite", |p| {
        p.starts_with(".buildkite/") && p.ends_with(".yml")
    }),
    ("drone", |p| p == ".drone.yml"),
    ("google-cloud-build", |p| {
        p == "cloudbuild.yaml" || p == "cloudbuild.yml"
    }),
];

/// Reads the CI configuration of the repository.
pub fn detect(repo: &Repo) -> CiSummary {
    let mut summary = CiSummary::default();
    for (provider, matches) in PROVIDERS {
        let files: Vec<&str> = repo
            .files()
            .iter()
            .map(|f| f.path.as_str())
            .filter(|p| !is_fixture(p) && matches(p))
            .collect();
        if files.is_empty() {
            continue;
        }
        summary.providers.push(provider);
        for path in files {
            let Some(text) = repo.text(path) else {
                continue;
            };
            summary.sources.push((provider, path.to_string()));
            let found = if *provider == "github-actions" {
                github::analyse(repo, path, &text)
            } else {
                patterns::analyse_text(path, &text)
            };
            summary.runs_tests |= found.runs_tests;
            summary.deploys_on_merge |= found.deploys_on_merge;
            summary.canary |= found.canary;
            summary.runtimes.extend(found.runtimes);
        }
    }
    summary
}

/// What one CI file does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub runs_tests: bool,
    pub deploys_on_merge: bool,
    pub canary: bool,
    pub runtimes: Vec<RuntimeHint>,
}

//! How the GitHub collector reaches GitHub: the API base (github.com or GitHub Enterprise), the
//! token, whose repositories to collect, and the limits that keep it polite.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::GitHubError;
use crate::source::{SourceError, parse_single};

/// github.com's REST API.
pub const GITHUB_API: &str = "https://api.github.com";

/// The GitHub collector's settings (YAML or JSON, camelCase keys, unknown keys refused).
///
/// ```yaml
/// baseUrl: https://github.example.com/api/v3   # GitHub Enterprise; default https://api.github.com
/// tokenEnv: GITHUB_TOKEN
/// orgs: [acme]
/// users: [octocat]
/// concurrency: 8
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GitHubSettings {
    /// The REST API root: `https://api.github.com`, or `https://HOST/api/v3` for GitHub
    /// Enterprise Server.
    pub base_url: String,
    /// The GraphQL endpoint [default: derived from `baseUrl`: `https://api.github.com/graphql`,
    /// `https://HOST/api/graphql` on GitHub Enterprise Server].
    pub graphql_url: Option<String>,
    /// The environment variable holding the token (a PAT or an installation token). When it is
    /// unset or empty, requests go without a token (60 requests an hour on github.com).
    pub token_env: String,
    /// Organisations whose repositories are collected.
    pub orgs: Vec<String>,
    /// Users whose own repositories are collected.
    pub users: Vec<String>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Time allowed for one request, answer included, before it is retried.
    pub request_timeout_ms: u64,
    /// Retries of one request after a 5xx, a timeout, a connection error or a rate limit.
    pub max_retries: u32,
    /// First backoff after a 5xx or a timeout; doubled on each retry, with jitter.
    pub backoff_base_ms: u64,
    /// The longest wait for a rate limit to reset (`x-ratelimit-reset`, `Retry-After`); a longer
    /// wait fails the request (its repositories are marked stale) instead of stalling the run.
    pub max_wait_ms: u64,
    /// Repositories (or folders, or files) asked for in one GraphQL query.
    pub batch_size: usize,
    /// Tree levels listed per GraphQL round; deeper folders are listed in further rounds.
    pub tree_depth: usize,
    /// Files listed per repository at most; a larger tree is scanned partly, with a warning.
    pub max_files: usize,
}

impl Default for GitHubSettings {
    fn default() -> Self {
        GitHubSettings {
            base_url: GITHUB_API.to_string(),
            graphql_url: None,
            token_env: "GITHUB_TOKEN".to_string(),
            orgs: Vec::new(),
            users: Vec::new(),
            concurrency: 8,
            request_timeout_ms: 30_000,
            max_retries: 4,
            backoff_base_ms: 500,
            max_wait_ms: 15 * 60 * 1000,
            batch_size: 25,
            tree_depth: 4,
            max_files: 20_000,
        }
    }
}

impl GitHubSettings {
    /// Reads a settings file; errors name the file, line and column.
    pub fn read(path: &Path) -> Result<GitHubSettings, SourceError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SourceError::new(path, None, format!("cannot read settings file: {e}")))?;
        let doc = parse_single(path, &text)?;
        crate::config::deserialize_at(&doc, &doc.value, "")
    }

    /// The REST base without a trailing slash.
    pub fn rest_url(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// The GraphQL endpoint: `graphqlUrl`, else derived from `baseUrl`. GitHub Enterprise
    /// Server serves GraphQL at `/api/graphql`, not under the REST root `/api/v3`.
    pub fn graphql_endpoint(&self) -> String {
        if let Some(url) = &self.graphql_url {
            return url.trim_end_matches('/').to_string();
        }
        let rest = self.rest_url();
        match rest.strip_suffix("/api/v3") {
            Some(host) => format!("{host}/api/graphql"),
            None => format!("{rest}/graphql"),
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub fn max_wait(&self) -> Duration {
        Duration::from_millis(self.max_wait_ms)
    }

    /// Checks the values that would make the collector misbehave.
    pub fn validate(&self) -> Result<(), GitHubError> {
        let bad = |what: &str| Err(GitHubError::Settings(what.to_string()));
        if self.orgs.is_empty() && self.users.is_empty() {
            return bad("name at least one organisation (`orgs`) or user (`users`)");
        }
        if self.concurrency == 0 {
            return bad("`concurrency` must be at least 1");
        }
        if self.batch_size == 0 || self.batch_size > 100 {
            return bad("`batchSize` must be between 1 and 100");
        }
        if self.tree_depth == 0 || self.tree_depth > 10 {
            return bad("`treeDepth` must be between 1 and 10");
        }
        if self.request_timeout_ms == 0 {
            return bad("`requestTimeoutMs` must be more than 0");
        }
        for url in [self.rest_url().to_string(), self.graphql_endpoint()] {
            match url.parse::<http::Uri>() {
                Ok(u) if u.scheme().is_some() && u.authority().is_some() => {}
                _ => return bad(&format!("`{url}` is not an absolute http(s) URL")),
            }
        }
        Ok(())
    }

    /// The token from the environment variable `tokenEnv`, when set and not empty.
    pub fn token(&self) -> Option<String> {
        std::env::var(&self.token_env)
            .ok()
            .filter(|t| !t.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_lives_beside_the_rest_root_on_enterprise_server() {
        let mut s = GitHubSettings::default();
        assert_eq!(s.graphql_endpoint(), "https://api.github.com/graphql");
        s.base_url = "https://github.example.com/api/v3/".into();
        assert_eq!(
            s.graphql_endpoint(),
            "https://github.example.com/api/graphql"
        );
        s.graphql_url = Some("https://gql.example.com/graphql".into());
        assert_eq!(s.graphql_endpoint(), "https://gql.example.com/graphql");
    }

    #[test]
    fn nothing_to_collect_is_refused() {
        let s = GitHubSettings::default();
        assert!(s.validate().unwrap_err().to_string().contains("orgs"));
    }
}

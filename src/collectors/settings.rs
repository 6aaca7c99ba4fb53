//! The `collectors:` section of the settings file: which collectors run, at which cadence, and
//! the secret GitHub webhooks are signed with.

use std::str::FromStr;

use croner::Cron;
use serde::Deserialize;

use crate::github::GitHubSettings;
use crate::source::{Document, SourceError};

/// `collectors:` — every key optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollectorsSettings {
    /// Backstage catalogs whose entities are synchronised into the store.
    #[serde(default)]
    pub backstage: Vec<BackstageSetting>,
    /// GitHub organisations and users whose repositories are scanned.
    #[serde(default)]
    pub github: Vec<GitHubSetting>,
    /// Verifies `POST /api/v1/webhooks/github`.
    #[serde(default)]
    pub github_webhook: Option<WebhookSetting>,
}

/// One Backstage catalog read through `GET /api/catalog/entities/by-query`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackstageSetting {
    /// Names the collector's runs, metrics and entity source [default: `backstage`].
    #[serde(default = "default_backstage_name")]
    pub name: String,
    /// When it runs: `sec min hour day month weekday` (seconds optional), e.g. `0 */15 * * * *`.
    pub cron: String,
    /// The Backstage backend, e.g. `https://backstage.example` (the API is under `/api/catalog`).
    pub base_url: String,
    /// Backstage filters, e.g. `kind=component,spec.lifecycle=production`; several are OR-ed.
    #[serde(default)]
    pub filter: Vec<String>,
    /// Environment variable holding a static bearer token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Per request [default: 30].
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Entities per page [default: 500].
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_backstage_name() -> String {
    "backstage".into()
}

/// One GitHub collector: a name and a cadence, beside the keys of [`GitHubSettings`] (`orgs`,
/// `users`, `baseUrl`, `tokenEnv`, `concurrency`, …). Unknown keys are refused.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitHubSetting {
    /// Names the collector's runs, metrics and entity source [default: `github`].
    #[serde(default = "default_github_name")]
    pub name: String,
    /// When it runs, as for `backstage`.
    pub cron: String,
    /// Whether the entities of each repository's `catalog-info.yaml` become catalog entries
    /// [default: false: a Backstage catalog lists them already].
    #[serde(default)]
    pub entities: bool,
    #[serde(flatten)]
    pub github: GitHubSettings,
}

fn default_github_name() -> String {
    "github".into()
}
fn default_timeout_secs() -> u64 {
    30
}
fn default_page_size() -> u32 {
    500
}

/// A webhook secret, read from the environment.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookSetting {
    pub secret_env: String,
}

/// Parses a cadence; seconds are optional (`*/5 * * * *` or `0 */5 * * * *`).
pub fn parse_cron(text: &str) -> Result<Cron, String> {
    Cron::from_str(text).map_err(|e| format!("`{text}` is not a cron expression: {e}"))
}

impl CollectorsSettings {
    /// What serde cannot check: cadences, URLs, unique names; errors point at the line.
    pub fn validate(&self, doc: &Document) -> Result<(), SourceError> {
        let mut names = Vec::new();
        for (i, b) in self.backstage.iter().enumerate() {
            let at = |field: &str| format!("/collectors/backstage/{i}/{field}");
            parse_cron(&b.cron).map_err(|e| doc.error_at(&at("cron"), e))?;
            if !(b.base_url.starts_with("http://") || b.base_url.starts_with("https://")) {
                return Err(doc.error_at(
                    &at("baseUrl"),
                    format!("`{}` is not an http(s) URL", b.base_url),
                ));
            }
            if b.page_size == 0 || b.timeout_secs == 0 {
                let field = if b.page_size == 0 {
                    "pageSize"
                } else {
                    "timeoutSecs"
                };
                return Err(doc.error_at(&at(field), "must be at least 1"));
            }
            if names.contains(&b.name) {
                return Err(doc.error_at(
                    &at("name"),
                    format!("a collector named `{}` is configured twice", b.name),
                ));
            }
            names.push(b.name.clone());
        }
        for (i, g) in self.github.iter().enumerate() {
            let at = |field: &str| format!("/collectors/github/{i}/{field}");
            parse_cron(&g.cron).map_err(|e| doc.error_at(&at("cron"), e))?;
            g.github
                .validate()
                .map_err(|e| doc.error_at(&format!("/collectors/github/{i}"), e.to_string()))?;
            if names.contains(&g.name) {
                return Err(doc.error_at(
                    &at("name"),
                    format!("a collector named `{}` is configured twice", g.name),
                ));
            }
            names.push(g.name.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::SettingsFile;

    fn read(text: &str) -> Result<SettingsFile, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tech-health.yaml");
        std::fs::write(&path, text).unwrap();
        SettingsFile::read(&path).map_err(|e| e.to_string())
    }

    const GITHUB: &str = "collectors:\n  github:\n    - cron: \"0 */30 * * * *\"\n      \
                          orgs: [acme]\n      baseUrl: https://github.example.com/api/v3\n      \
                          concurrency: 4\n";

    #[test]
    fn a_github_collector_takes_the_collector_settings_beside_its_cadence() {
        let s = read(GITHUB).unwrap();
        let g = &s.collectors.github[0];
        assert_eq!((g.name.as_str(), g.entities), ("github", false));
        assert_eq!(g.github.orgs, ["acme"]);
        assert_eq!(g.github.concurrency, 4);
        assert_eq!(
            g.github.graphql_endpoint(),
            "https://github.example.com/api/graphql"
        );
        assert_eq!(g.github.token_env, "GITHUB_TOKEN", "defaults kept");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_at_their_line() {
        let typo = read(&format!("{GITHUB}      concurrancy: 2\n")).unwrap_err();
        assert!(
            typo.contains("tech-health.yaml:7:") && typo.contains("concurrancy"),
            "{typo}"
        );
        let nothing = read(&GITHUB.replace("orgs: [acme]", "users: []")).unwrap_err();
        assert!(
            nothing.contains("tech-health.yaml:3:") && nothing.contains("orgs"),
            "{nothing}"
        );
        let cron = read(&GITHUB.replace("0 */30 * * * *", "every hour")).unwrap_err();
        assert!(cron.contains("tech-health.yaml:3:"), "{cron}");
        let twice = format!(
            "{GITHUB}  backstage:\n    - name: github\n      cron: \"* * * * *\"\n      \
             baseUrl: http://127.0.0.1:7007\n"
        );
        assert!(read(&twice).unwrap_err().contains("configured twice"));
    }
}

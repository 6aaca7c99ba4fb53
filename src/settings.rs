//! Service settings: defaults, then the settings file (YAML), then flags and `TECH_HEALTH_*`
//! environment variables. A bad file stops start-up with `file:line:column: message`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::collectors::settings::CollectorsSettings;
use crate::source::{SourceError, parse_single};
use crate::store::Retention;

/// A token accepted for writes (and reads when they require one), stored as its SHA-256.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenSetting {
    /// Who holds it (recorded as the author of what it writes).
    pub name: String,
    /// Hex SHA-256 of the token.
    pub sha256: String,
    /// e.g. `facts:write`, `catalog:write`, `exemptions:write`, `admin`.
    pub scopes: Vec<String>,
}

/// Backstage user tokens, verified against the issuer's JSON Web Key Set.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JwksSetting {
    pub url: String,
    pub issuer: String,
    #[serde(default)]
    pub audience: Option<String>,
    /// Scopes granted to every verified user token.
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthSettings {
    /// When true, reads need a token too (any scope).
    #[serde(default)]
    pub require_token_for_reads: bool,
    #[serde(default)]
    pub tokens: Vec<TokenSetting>,
    #[serde(default)]
    pub jwks: Option<JwksSetting>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetentionSetting {
    #[serde(default = "default_age")]
    pub max_age_days: u32,
    #[serde(default = "default_count")]
    pub max_per_entity: u32,
}

fn default_age() -> u32 {
    Retention::default().max_age_days
}
fn default_count() -> u32 {
    Retention::default().max_per_entity
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    #[serde(default = "default_timeout")]
    pub request_timeout_secs: u64,
    #[serde(default = "default_depth")]
    pub graphql_max_depth: usize,
    #[serde(default = "default_complexity")]
    pub graphql_max_complexity: usize,
    /// Aliased fields one GraphQL document may hold (each alias repeats a field's work).
    #[serde(default = "default_aliases")]
    pub graphql_max_aliases: usize,
}

fn default_body() -> usize {
    16 << 20
}
fn default_timeout() -> u64 {
    30
}
fn default_depth() -> usize {
    12
}
fn default_complexity() -> usize {
    20_000
}
fn default_aliases() -> usize {
    100
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: default_body(),
            request_timeout_secs: default_timeout(),
            graphql_max_depth: default_depth(),
            graphql_max_complexity: default_complexity(),
            graphql_max_aliases: default_aliases(),
        }
    }
}

/// Limits on exemptions.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExemptionSettings {
    /// The longest an exemption may run, in days from its creation.
    #[serde(default = "default_max_days")]
    pub max_days: u32,
}

fn default_max_days() -> u32 {
    90
}

impl Default for ExemptionSettings {
    fn default() -> Self {
        ExemptionSettings {
            max_days: default_max_days(),
        }
    }
}

/// A receiver of outbound events.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookSetting {
    pub url: String,
    /// The environment variable holding the HMAC-SHA256 signing secret.
    pub secret_env: String,
}

/// Outbound events: where they go and how failed deliveries are retried.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventSettings {
    #[serde(default)]
    pub webhooks: Vec<WebhookSetting>,
    /// The first retry waits this long; each further one twice as long, at most an hour.
    #[serde(default = "default_retry_ms")]
    pub retry_base_ms: u64,
}

fn default_retry_ms() -> u64 {
    1000
}

impl Default for EventSettings {
    fn default() -> Self {
        EventSettings {
            webhooks: Vec::new(),
            retry_base_ms: default_retry_ms(),
        }
    }
}

/// The settings file, every key optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsFile {
    pub bind: Option<SocketAddr>,
    pub database: Option<String>,
    /// Folder for the default SQLite database.
    pub data_dir: Option<PathBuf>,
    /// Folder holding `checks/` and `golden-tech/` (default: the bundled standards).
    pub config_dir: Option<PathBuf>,
    /// Catalog files, folders or globs loaded on start and on every reload.
    #[serde(default)]
    pub catalog: Vec<PathBuf>,
    /// Kinds that are scored (default: component).
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub auth: AuthSettings,
    pub retention: Option<RetentionSetting>,
    #[serde(default)]
    pub limits: Limits,
    /// Origins allowed to call the API from a browser (CORS); none by default.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Collectors run at their cadence, and the GitHub webhook secret.
    #[serde(default)]
    pub collectors: CollectorsSettings,
    #[serde(default)]
    pub exemptions: ExemptionSettings,
    #[serde(default)]
    pub events: EventSettings,
}

impl SettingsFile {
    /// Reads a settings file; relative paths in it are taken from the file's folder.
    pub fn read(path: &Path) -> Result<SettingsFile, SourceError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SourceError::new(path, None, format!("cannot read settings file: {e}")))?;
        let doc = parse_single(path, &text)?;
        let mut s: SettingsFile = crate::config::deserialize_at(&doc, &doc.value, "")?;
        s.collectors.validate(&doc)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rel = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        s.data_dir.as_mut().map(rel);
        s.config_dir.as_mut().map(rel);
        s.catalog.iter_mut().for_each(rel);
        Ok(s)
    }

    pub fn retention(&self) -> Retention {
        self.retention
            .as_ref()
            .map_or_else(Retention::default, |r| Retention {
                max_age_days: r.max_age_days,
                max_per_entity: r.max_per_entity,
            })
    }
}

/// The default data folder: `$TECH_HEALTH_DATA_DIR`, else `$XDG_DATA_HOME/tech-health`, else
/// `~/.local/share/tech-health`, else `./.tech-health`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TECH_HEALTH_DATA_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(d).join("tech-health");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".local/share/tech-health");
    }
    PathBuf::from(".tech-health")
}

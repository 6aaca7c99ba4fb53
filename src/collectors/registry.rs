//! The configured collectors, each with its cadence and the lock that keeps it to one run at a
//! time, and the GitHub webhook secret.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use croner::Cron;
use parking_lot::{Mutex, RwLock};

use super::backstage::BackstageCollector;
use super::settings::{CollectorsSettings, parse_cron};
use super::{Collector, Scope};
use crate::github::{GitHubCollector, GitHubSource};
use crate::radar::Radar;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Refresh,
    Webhook,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Refresh => "refresh",
            Trigger::Webhook => "webhook",
        }
    }
}

/// One configured collector with its cadence.
pub struct Entry {
    pub collector: Arc<dyn Collector>,
    /// The cron expression as written, and parsed; `None`: only on demand.
    pub cadence: Option<(String, Cron)>,
    /// Held while a run is in progress: one run at a time per collector.
    busy: tokio::sync::Mutex<()>,
    next_run: Mutex<Option<DateTime<Utc>>>,
    /// A digest of the state stored last, so that an unchanged state is not written again.
    saved_state: Mutex<Option<u64>>,
}

impl Entry {
    pub fn running(&self) -> bool {
        self.busy.try_lock().is_err()
    }

    pub fn next_run(&self) -> Option<DateTime<Utc>> {
        *self.next_run.lock()
    }

    /// The right to run now: waits for a run in progress, or (`wait` false) gives up.
    pub(super) async fn claim(&self, wait: bool) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if wait {
            Some(self.busy.lock().await)
        } else {
            self.busy.try_lock().ok()
        }
    }

    pub(super) fn set_next_run(&self, at: Option<DateTime<Utc>>) {
        *self.next_run.lock() = at;
    }

    /// The digest of the state stored last.
    pub(super) fn saved_state(&self) -> Option<u64> {
        *self.saved_state.lock()
    }

    pub(super) fn set_saved_state(&self, digest: Option<u64>) {
        *self.saved_state.lock() = digest;
    }
}

/// The collectors of this service.
#[derive(Default)]
pub struct Runner {
    entries: RwLock<Vec<Arc<Entry>>>,
    webhook_secret: Option<Vec<u8>>,
}

impl Runner {
    /// Builds the collectors the settings name; `env` reads the variables they refer to, and
    /// the GitHub collectors map the technologies they find onto `radar`.
    pub fn from_settings(
        settings: &CollectorsSettings,
        env: &dyn Fn(&str) -> Option<String>,
        radar: Option<Arc<Radar>>,
    ) -> Result<Runner, String> {
        let read = |var: &str, what: &str| {
            env(var)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("{what}: the environment variable `{var}` is not set"))
        };
        let webhook_secret = match &settings.github_webhook {
            Some(w) => {
                Some(read(&w.secret_env, "collectors.githubWebhook.secretEnv")?.into_bytes())
            }
            None => None,
        };
        let runner = Runner {
            entries: RwLock::default(),
            webhook_secret,
        };
        for b in &settings.backstage {
            let token = match &b.token_env {
                Some(var) => Some(read(var, &format!("collector {}: tokenEnv", b.name))?),
                None => None,
            };
            runner.register(Arc::new(BackstageCollector::new(b, token)?), Some(&b.cron))?;
        }
        for g in &settings.github {
            let mut collector = GitHubCollector::new(g.github.clone())
                .map_err(|e| format!("collector {}: {e}", g.name))?;
            if let Some(radar) = &radar {
                collector = collector.with_radar(radar.clone());
            }
            let source = GitHubSource::new(g.name.clone(), collector, g.entities);
            runner.register(Arc::new(source), Some(&g.cron))?;
        }
        Ok(runner)
    }

    /// Adds a collector; `cron: None` runs it only on demand (refresh, webhooks). Collectors
    /// registered after the scheduler started are not scheduled.
    pub fn register(
        &self,
        collector: Arc<dyn Collector>,
        cron: Option<&str>,
    ) -> Result<(), String> {
        let name = collector.name().to_string();
        let cadence = match cron {
            Some(c) => Some((
                c.to_string(),
                parse_cron(c).map_err(|e| format!("collector {name}: {e}"))?,
            )),
            None => None,
        };
        let mut entries = self.entries.write();
        if entries.iter().any(|e| e.collector.name() == name) {
            return Err(format!("a collector named `{name}` is configured twice"));
        }
        entries.push(Arc::new(Entry {
            collector,
            cadence,
            busy: tokio::sync::Mutex::new(()),
            next_run: Mutex::new(None),
            saved_state: Mutex::new(None),
        }));
        Ok(())
    }

    pub fn entries(&self) -> Vec<Arc<Entry>> {
        self.entries.read().clone()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Entry>> {
        self.entries
            .read()
            .iter()
            .find(|e| e.collector.name() == name)
            .cloned()
    }

    /// The secret GitHub webhook deliveries are signed with, when configured.
    pub fn webhook_secret(&self) -> Option<&[u8]> {
        self.webhook_secret.as_deref()
    }

    /// Collectors that can answer `scope`.
    pub fn able(&self, scope: &Scope) -> Vec<Arc<Entry>> {
        self.entries()
            .into_iter()
            .filter(|e| {
                let h = e.collector.handles();
                match scope {
                    Scope::All => true,
                    Scope::Entity { .. } => h.entity,
                    Scope::Repository(_) => h.repository,
                }
            })
            .collect()
    }
}

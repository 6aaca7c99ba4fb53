//! The scheduler: every collector with a cadence runs once when the service starts, then at
//! each time its cron expression names. A run still in progress when the next time comes makes
//! that time pass (one run at a time per collector). Only the leading replica collects: the
//! others wait, and the one that takes the lead runs at once.

use std::sync::Arc;

use chrono::Utc;
use tokio::task::JoinHandle;

use super::run::Entry;
use super::{Scope, Trigger};
use crate::service::App;

/// Starts one task per scheduled collector; abort the handles to stop them.
pub fn spawn(app: Arc<App>) -> Vec<JoinHandle<()>> {
    app.runner
        .entries()
        .into_iter()
        .filter(|e| e.cadence.is_some())
        .map(|entry| tokio::spawn(drive(app.clone(), entry)))
        .collect()
}

async fn drive(app: Arc<App>, entry: Arc<Entry>) {
    let Some((_, cron)) = &entry.cadence else {
        return;
    };
    let mut leading = app.leadership();
    loop {
        // Only the leading replica collects; a replica that takes the lead runs at once.
        if leading.wait_for(|l| *l).await.is_err() {
            return;
        }
        app.run_collector(&entry, Scope::All, Trigger::Schedule, false)
            .await;
        loop {
            let next = match cron.find_next_occurrence(&Utc::now(), false) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(
                        collector = entry.collector.name(),
                        "no next run time, the collector stops: {e}"
                    );
                    entry.set_next_run(None);
                    return;
                }
            };
            entry.set_next_run(Some(next));
            let wait = (next - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = leading.changed() => {}
            }
            if !*leading.borrow_and_update() {
                entry.set_next_run(None);
                break;
            }
            if Utc::now() >= next {
                app.run_collector(&entry, Scope::All, Trigger::Schedule, false)
                    .await;
            }
        }
    }
}

//! The service's background tasks: one applies what time alone changes (exemptions running
//! out, campaign deadlines), one delivers the event outbox to the webhooks — signed, retried
//! with exponential backoff, marked delivered only after a 2xx. Both run on the leading
//! replica only (the others wait for the lead), hold the app weakly and end when it goes.

use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::Utc;

use super::{App, ServiceError};
use crate::governance::events::{self, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER};
use crate::settings::EventSettings;
use crate::store::OutboxRow;

/// A webhook and its signing secret.
pub struct Webhook {
    pub url: String,
    secret: Vec<u8>,
}

/// Resolves every webhook's secret from its environment variable.
pub fn webhooks(settings: &EventSettings) -> Result<Vec<Webhook>, ServiceError> {
    settings
        .webhooks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let secret = std::env::var(&w.secret_env).ok().filter(|s| !s.is_empty());
            let Some(secret) = secret else {
                return Err(ServiceError::Config(format!(
                    "events.webhooks[{i}].secretEnv: the environment variable `{}` is not set",
                    w.secret_env
                )));
            };
            reqwest::Url::parse(&w.url).map_err(|e| {
                ServiceError::Config(format!("events.webhooks[{i}].url `{}`: {e}", w.url))
            })?;
            Ok(Webhook {
                url: w.url.clone(),
                secret: secret.into_bytes(),
            })
        })
        .collect()
}

/// The longest the time task sleeps without a known deadline.
const IDLE: Duration = Duration::from_secs(60);
/// The longest the delivery task sleeps while events are pending.
const POLL: Duration = Duration::from_secs(5);
/// Delivered events are kept this long (for inspection), then pruned hourly.
const KEEP_DELIVERED: chrono::Duration = chrono::Duration::days(7);

impl App {
    /// Starts the background tasks (called once the app has started).
    pub(super) fn spawn_tasks(self: &Arc<App>) {
        tokio::spawn(clock_task(Arc::downgrade(self)));
        if !self.webhooks.is_empty() {
            tokio::spawn(delivery_task(Arc::downgrade(self)));
        }
    }

    /// Attempts every due event once; returns how many were attempted.
    async fn deliver_due(&self, http: &reqwest::Client) -> Result<usize, ServiceError> {
        let due = self.store.due_events(Utc::now(), 50).await?;
        for row in &due {
            let outcome = match self.webhooks.iter().find(|w| w.url == row.target) {
                Some(w) => send(http, w, row).await,
                None => Err("the webhook is no longer configured".to_string()),
            };
            match outcome {
                Ok(()) => {
                    self.store
                        .event_delivered(&row.event_id, &row.target, Utc::now())
                        .await?;
                    metrics::counter!("tech_health_events_delivered_total").increment(1);
                }
                Err(error) => {
                    let retry_ms = self.settings.events.retry_base_ms;
                    let next = Utc::now() + events::backoff(retry_ms, row.attempts);
                    tracing::warn!(event = %row.event_id, target = %row.target, attempts = row.attempts + 1, %error, "event delivery failed; will retry");
                    self.store
                        .event_failed(&row.event_id, &row.target, &error, next)
                        .await?;
                    metrics::counter!("tech_health_event_delivery_failures_total").increment(1);
                }
            }
        }
        Ok(due.len())
    }
}

async fn send(http: &reqwest::Client, w: &Webhook, row: &OutboxRow) -> Result<(), String> {
    let body = row.payload.clone().into_bytes();
    let response = http
        .post(&w.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, events::sign(&w.secret, &body))
        .header(EVENT_ID_HEADER, &row.event_id)
        .header(EVENT_TYPE_HEADER, &row.event_type)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {}", response.status()))
    }
}

fn until(at: chrono::DateTime<Utc>, now: chrono::DateTime<Utc>, cap: Duration) -> Duration {
    (at - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
        .clamp(Duration::from_millis(10), cap)
}

/// Waits until the app leads; false when the app is gone.
pub(crate) async fn until_leading(app: &Weak<App>) -> bool {
    let Some(mut leading) = app.upgrade().map(|a| a.leadership()) else {
        return false;
    };
    leading.wait_for(|l| *l).await.is_ok()
}

async fn clock_task(app: Weak<App>) {
    loop {
        if !until_leading(&app).await {
            return;
        }
        let Some(a) = app.upgrade() else { return };
        if let Err(e) = a.tick().await {
            tracing::error!(error = %e, "applying expiries and deadlines failed");
        }
        let wait = a
            .next_deadline()
            .map_or(IDLE, |at| until(at, a.now(), IDLE));
        let wake = a.wake.clone();
        drop(a);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
        }
    }
}

async fn delivery_task(app: Weak<App>) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; events stay pending");
            return;
        }
    };
    let mut pruned: Option<std::time::Instant> = None;
    loop {
        if !until_leading(&app).await {
            return;
        }
        let Some(a) = app.upgrade() else { return };
        if pruned.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
            pruned = Some(std::time::Instant::now());
            match a.store.prune_events(Utc::now() - KEEP_DELIVERED).await {
                Ok(n) if n > 0 => tracing::info!(events = n, "delivered events pruned"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "pruning delivered events failed"),
            }
        }
        let wait = match a.deliver_due(&http).await {
            Ok(n) if n > 0 => Duration::ZERO,
            Ok(_) => match a.store.next_event_due().await {
                Ok(Some(at)) => until(at, Utc::now(), POLL),
                Ok(None) => POLL,
                Err(e) => {
                    tracing::error!(error = %e, "reading the event outbox failed");
                    POLL
                }
            },
            Err(e) => {
                tracing::error!(error = %e, "delivering events failed");
                POLL
            }
        };
        let wake = a.outbox_wake.clone();
        drop(a);
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
            }
        }
    }
}

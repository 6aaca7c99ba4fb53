//! Outbound events: what changed about an entity or a campaign, as the JSON a webhook
//! receives, and its HMAC-SHA256 signature.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::evaluate::{Engine, Evaluation};
use crate::health::{Scored, view};

pub const LEVEL_CHANGED: &str = "entity.level-changed";
pub const GOLDEN_CHANGED: &str = "entity.golden-changed";
pub const ELIGIBILITY_CHANGED: &str = "entity.eligibility-changed";
pub const CAMPAIGN_STATE_CHANGED: &str = "campaign.state-changed";
pub const CHANGE_STATE_CHANGED: &str = "change.state-changed";

/// The header carrying `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "x-tech-health-signature-256";
/// The header carrying the event id (the same on every retry: receivers deduplicate by it).
pub const EVENT_ID_HEADER: &str = "x-tech-health-event-id";
pub const EVENT_TYPE_HEADER: &str = "x-tech-health-event-type";

/// One event as delivered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// The fleet change a `change.state-changed` event is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
    pub before: Value,
    pub after: Value,
}

impl Event {
    fn new(event_type: &str, occurred_at: DateTime<Utc>, before: Value, after: Value) -> Event {
        Event {
            id: uuid::Uuid::new_v4().to_string(),
            event_type: event_type.to_string(),
            occurred_at,
            entity: None,
            campaign: None,
            change: None,
            before,
            after,
        }
    }

    /// The body sent, byte for byte what is signed.
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// One entity's standing under one set of standards: what events and impact previews are about.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Standing {
    /// Track id → level id held (`null`: none); a preview leaves out tracks that do not apply.
    pub levels: BTreeMap<String, Option<String>>,
    pub golden: bool,
    pub eligible: bool,
    /// Codes of the blocking reasons.
    pub blocking: Vec<String>,
}

impl Standing {
    pub fn of(engine: &Engine, scored: &Scored) -> Standing {
        Standing::with_levels(view::levels(engine, scored), &scored.evaluation)
    }

    /// An evaluation's golden state, eligibility and blocking codes, with `levels` as the caller
    /// reads them.
    pub fn with_levels(levels: BTreeMap<String, Option<String>>, ev: &Evaluation) -> Standing {
        Standing {
            levels,
            golden: ev.golden,
            eligible: ev.eligibility.eligible,
            blocking: ev
                .eligibility
                .reasons
                .iter()
                .map(|r| r.code.to_string())
                .collect(),
        }
    }
}

/// The events for one entity whose standing went from `before` to `after` (none when it is
/// new or unchanged).
pub fn entity_events(
    entity: &str,
    before: &Standing,
    after: &Standing,
    at: DateTime<Utc>,
) -> Vec<Event> {
    let mut out = Vec::new();
    if before.levels != after.levels {
        out.push(Event::new(
            LEVEL_CHANGED,
            at,
            json!({ "levels": before.levels }),
            json!({ "levels": after.levels }),
        ));
    }
    if before.golden != after.golden {
        out.push(Event::new(
            GOLDEN_CHANGED,
            at,
            json!({ "golden": before.golden }),
            json!({ "golden": after.golden }),
        ));
    }
    if before.eligible != after.eligible {
        out.push(Event::new(
            ELIGIBILITY_CHANGED,
            at,
            json!({ "eligible": before.eligible, "blocking": before.blocking }),
            json!({ "eligible": after.eligible, "blocking": after.blocking }),
        ));
    }
    for e in &mut out {
        e.entity = Some(entity.to_string());
    }
    out
}

/// A campaign moved from one state to another.
pub fn campaign_event(campaign: &str, before: &str, after: &str, at: DateTime<Utc>) -> Event {
    let mut e = Event::new(
        CAMPAIGN_STATE_CHANGED,
        at,
        json!({ "state": before }),
        json!({ "state": after }),
    );
    e.campaign = Some(campaign.to_string());
    e
}

/// A fleet change moved from one state to another: `after` says who moved it, why, and (when
/// it paused) each crossed criterion with its components.
pub fn change_event(change: &str, t: &crate::governance::rollout::Transition) -> Event {
    let mut e = Event::new(
        CHANGE_STATE_CHANGED,
        t.at,
        json!({ "state": t.from }),
        json!({ "state": t.to, "actor": t.actor, "reason": t.reason, "reasons": t.reasons }),
    );
    e.change = Some(change.to_string());
    e
}

/// `sha256=<hex HMAC-SHA256 of body keyed with secret>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How long to wait before attempt `attempts + 1`: `base` doubled per failed attempt, at most
/// an hour.
pub fn backoff(base_ms: u64, attempts: i64) -> chrono::Duration {
    let factor = 1u64 << attempts.clamp(0, 20);
    chrono::Duration::milliseconds(base_ms.saturating_mul(factor).min(3_600_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_published_hmac_test_vector() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(500, 0).num_milliseconds(), 500);
        assert_eq!(backoff(500, 3).num_milliseconds(), 4000);
        assert_eq!(backoff(500, 40).num_milliseconds(), 3_600_000);
    }
}

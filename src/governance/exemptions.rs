//! Exemptions as the service keeps them: a request checked against the standards and the
//! catalog, a record with an id and a state, and the entries of the audit log.

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{FieldError, required, time};
use crate::catalog::{Catalog, EntityRef};
use crate::evaluate::{Engine, Exemption};

/// `POST /api/v1/exemptions`: one check, or every check of one level of a track.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// The fields are optional to serde so that a request missing several gets one 422 naming
// each (`validate`); the document says what is required.
pub struct ExemptionRequest {
    /// Entity ref of an entity in the catalog; kind defaults to `component`, namespace to
    /// `default`.
    #[schema(required = true, value_type = String, pattern = r"^\s*(?:[^:/\s]+:)?(?:[^:/\s]+/)?[^:/\s]+\s*$")]
    pub entity: Option<String>,
    /// A check id; or give `track` and `level` instead.
    #[schema(required = false, value_type = String, min_length = 1)]
    pub check: Option<String>,
    #[schema(required = false, value_type = String, min_length = 1)]
    pub track: Option<String>,
    #[schema(required = false, value_type = String, min_length = 1)]
    pub level: Option<String>,
    /// Why the entity may skip the check for now.
    #[schema(required = true, value_type = String, pattern = r"\S")]
    pub justification: Option<String>,
    /// RFC 3339; in the future and within the configured maximum (`exemptions.maxDays`).
    #[schema(required = true, value_type = String, format = DateTime)]
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Enum)]
#[serde(rename_all = "lowercase")]
pub enum ExemptionState {
    Active,
    Revoked,
    Expired,
}

impl ExemptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExemptionState::Active => "active",
            ExemptionState::Revoked => "revoked",
            ExemptionState::Expired => "expired",
        }
    }
}

/// An exemption with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct ExemptionRecord {
    pub id: String,
    pub entity: String,
    pub check: Option<String>,
    pub track: Option<String>,
    pub level: Option<String>,
    pub justification: String,
    pub expires: DateTime<Utc>,
    /// The identity of the token that created it.
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub state: ExemptionState,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Ascending; the log is append-only.
    pub seq: i64,
    /// `created`, `revoked` or `expired`.
    pub action: String,
    /// Who: a token's identity, or `tech-health` for an expiry.
    pub actor: String,
    pub at: DateTime<Utc>,
    pub exemption: ExemptionRecord,
}

/// The actor recorded when an exemption runs out by itself.
pub const SYSTEM_ACTOR: &str = "tech-health";

impl ExemptionRecord {
    /// Applies at `now`: neither revoked nor expired.
    pub fn applies(&self, now: DateTime<Utc>) -> bool {
        self.state == ExemptionState::Active && self.expires > now
    }

    /// Its entity (records are only made from valid refs).
    pub fn entity_ref(&self) -> Option<EntityRef> {
        self.entity.parse().ok()
    }

    /// What the evaluation core applies.
    pub fn exemption(&self) -> Option<Exemption> {
        Some(Exemption {
            entity: self.entity_ref()?,
            check: self.check.clone(),
            track: self.track.clone(),
            level: self.level.clone(),
            justification: self.justification.clone(),
            expires: self.expires,
            author: self.author.clone(),
        })
    }
}

/// Checks a request against the standards and the catalog. On success, a new active record.
pub fn validate(
    req: &ExemptionRequest,
    engine: &Engine,
    catalog: &Catalog,
    author: &str,
    now: DateTime<Utc>,
    max_days: u32,
) -> Result<ExemptionRecord, Vec<FieldError>> {
    let mut errors = Vec::new();
    let entity =
        required(&req.entity, "/entity", &mut errors).and_then(|e| {
            match EntityRef::parse(e, Some("component"), "default") {
                Ok(r) if catalog.get(&r).is_some() => Some(r),
                Ok(r) => {
                    errors.push(FieldError::new(
                        "/entity",
                        format!("{r} is not in the catalog"),
                    ));
                    None
                }
                Err(err) => {
                    errors.push(FieldError::new("/entity", err.to_string()));
                    None
                }
            }
        });
    match (&req.check, &req.track, &req.level) {
        (Some(c), None, None) => {
            if engine.check(c).is_none() {
                errors.push(FieldError::new("/check", format!("unknown check `{c}`")));
            }
        }
        (None, Some(t), Some(l)) => match engine.track(t) {
            None => errors.push(FieldError::new("/track", format!("unknown track `{t}`"))),
            Some(ti) if engine.tracks[ti].level_index(l).is_none() => errors.push(FieldError::new(
                "/level",
                format!("track `{t}` has no level `{l}`"),
            )),
            Some(_) => {}
        },
        _ => errors.push(FieldError::new(
            "/check",
            "give either `check`, or `track` and `level`",
        )),
    }
    let justification = required(&req.justification, "/justification", &mut errors);
    if let Some(expires) = time(&req.expires, "/expires", &mut errors) {
        let latest = now + Duration::days(i64::from(max_days));
        if expires <= now {
            errors.push(FieldError::new(
                "/expires",
                format!("{} is not in the future", expires.to_rfc3339()),
            ));
        } else if expires > latest {
            errors.push(FieldError::new(
                "/expires",
                format!(
                    "{} is beyond the maximum of {max_days} days (at most {})",
                    expires.to_rfc3339(),
                    latest.to_rfc3339()
                ),
            ));
        }
        if errors.is_empty() {
            return Ok(ExemptionRecord {
                id: uuid::Uuid::new_v4().to_string(),
                entity: entity.map(|e| e.to_string()).unwrap_or_default(),
                check: req.check.clone(),
                track: req.track.clone(),
                level: req.level.clone(),
                justification: justification.unwrap_or_default().to_string(),
                expires,
                author: author.to_string(),
                created_at: now,
                state: ExemptionState::Active,
                revoked_at: None,
                revoked_by: None,
            });
        }
    }
    Err(errors)
}

/// The exemptions that apply at `now`, by entity, as the fleet holds them.
pub fn applying(
    records: &[ExemptionRecord],
    now: DateTime<Utc>,
) -> FxHashMap<EntityRef, Vec<Exemption>> {
    let mut out: FxHashMap<EntityRef, Vec<Exemption>> = FxHashMap::default();
    for e in records.iter().filter(|r| r.applies(now)) {
        if let Some(x) = e.exemption() {
            out.entry(x.entity.clone()).or_default().push(x);
        }
    }
    out
}

/// Active records whose expiry has come by `now` (not yet recorded as expired).
pub fn due(records: &[ExemptionRecord], now: DateTime<Utc>) -> Vec<&ExemptionRecord> {
    records
        .iter()
        .filter(|r| r.state == ExemptionState::Active && r.expires <= now)
        .collect()
}

/// The soonest expiry still to come.
pub fn next_expiry(records: &[ExemptionRecord]) -> Option<DateTime<Utc>> {
    records
        .iter()
        .filter(|r| r.state == ExemptionState::Active)
        .map(|r| r.expires)
        .min()
}

//! What the API answers about one entity, built from the evaluated fleet. Field names follow
//! `docs/api.md`.

use std::collections::BTreeMap;

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{Fleet, Scored};
use crate::catalog::{Entity, EntityRef};
use crate::evaluate::{Engine, Exemption};
use crate::rules::{Check, Severity, Status};

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct Progress {
    pub passing: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct LevelHealth {
    pub id: String,
    pub name: String,
    pub achieved: bool,
    pub passing: i64,
    pub total: i64,
    pub checks: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct TrackHealth {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
    /// False when the track's filter excludes the entity.
    pub applicable: bool,
    pub level: Option<String>,
    pub level_name: Option<String>,
    pub next_level: Option<String>,
    pub next_level_name: Option<String>,
    /// Error checks of the next level that pass (or are exempt or do not apply).
    pub next_level_progress: Option<Progress>,
    pub levels: Vec<LevelHealth>,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct LinkView {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct UsedIn {
    pub track: String,
    pub level: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct ExemptionView {
    pub justification: String,
    pub expires: DateTime<Utc>,
    pub author: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// `error` or `warning`.
    pub severity: String,
    pub how_to_fix: Option<String>,
    pub links: Vec<LinkView>,
    pub used_in: Vec<UsedIn>,
    /// `pass`, `fail`, `not-applicable`, `unknown` or `exempt`.
    pub status: String,
    pub message: String,
    /// The fact values the check read.
    #[schema(value_type = Object)]
    pub facts: async_graphql::Json<Map<String, Value>>,
    /// Facts it reads that the entity lacks (why a result is `unknown`).
    pub missing_facts: Vec<String>,
    pub exemption: Option<ExemptionView>,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct BlockingView {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct EligibilityView {
    pub eligible: bool,
    pub wave: Option<i32>,
    pub blocking: Vec<BlockingView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityHealth {
    pub entity: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub owner: Option<String>,
    #[serde(rename = "type")]
    pub entity_type: Option<String>,
    pub lifecycle: Option<String>,
    pub golden: bool,
    pub evaluated_at: DateTime<Utc>,
    pub tracks: Vec<TrackHealth>,
    pub eligibility: EligibilityView,
    /// Collectors whose facts could not be refreshed: the facts still count, marked stale.
    pub stale: Vec<crate::health::StaleFacts>,
    /// Last: [`Fleet::health_json`] writes them after the rest.
    pub checks: Vec<CheckResult>,
}

/// One row of an entity list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntitySummary {
    pub entity: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub owner: Option<String>,
    #[serde(rename = "type")]
    pub entity_type: Option<String>,
    pub lifecycle: Option<String>,
    pub golden: bool,
    pub eligible: bool,
    /// Track id → level id held (null: none).
    pub levels: BTreeMap<String, Option<String>>,
    pub blocking: Vec<BlockingView>,
    pub evaluated_at: DateTime<Utc>,
}

/// Where each check is used: (track, level) pairs.
pub fn used_in(engine: &Engine, check: usize) -> Vec<UsedIn> {
    let mut out = Vec::new();
    for t in &engine.tracks {
        for (li, checks) in t.levels.iter().enumerate() {
            if checks.contains(&check) {
                out.push(UsedIn {
                    track: t.def.id.clone(),
                    level: t.def.levels[li].id.clone(),
                });
            }
        }
    }
    out
}

pub fn links(check: &Check) -> Vec<LinkView> {
    check
        .def
        .links
        .iter()
        .map(|l| LinkView {
            title: l.title.clone().unwrap_or_else(|| l.url.clone()),
            url: l.url.clone(),
        })
        .collect()
}

pub fn severity(check: &Check) -> &'static str {
    match check.def.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub fn blocking(scored: &Scored) -> Vec<BlockingView> {
    scored
        .evaluation
        .eligibility
        .reasons
        .iter()
        .map(|r| BlockingView {
            code: r.code.to_string(),
            message: r.message.to_string(),
        })
        .collect()
}

pub fn levels(engine: &Engine, scored: &Scored) -> BTreeMap<String, Option<String>> {
    engine
        .tracks
        .iter()
        .zip(&scored.evaluation.standings)
        .map(|(t, s)| {
            let level = s
                .as_ref()
                .and_then(|s| t.level_id(s.level))
                .map(str::to_string);
            (t.def.id.clone(), level)
        })
        .collect()
}

fn metadata_message(meta: &Option<Value>) -> Option<String> {
    meta.as_ref()?.get("message")?.as_str().map(str::to_string)
}

fn exemption_for<'a>(
    engine: &Engine,
    exemptions: &'a [Exemption],
    check: usize,
    now: DateTime<Utc>,
) -> Option<&'a Exemption> {
    let id = engine.checks[check].id();
    exemptions.iter().filter(|e| e.expires > now).find(|e| {
        e.check.as_deref() == Some(id)
            || match (
                e.track.as_deref().and_then(|t| engine.track(t)),
                e.level.as_deref(),
            ) {
                (Some(t), Some(l)) => engine.tracks[t]
                    .level_index(l)
                    .is_some_and(|li| engine.tracks[t].levels[li].contains(&check)),
                _ => false,
            }
    })
}

/// What one check concluded about one entity, with why (the rest of its result is the same
/// for every entity).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckOutcome {
    status: &'static str,
    message: String,
    facts: Map<String, Value>,
    missing_facts: Vec<String>,
    exemption: Option<ExemptionView>,
}

/// A check's fields that do not depend on the entity, in [`CheckResult`]'s names and order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckStatic<'a> {
    id: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    severity: &'static str,
    how_to_fix: Option<&'a str>,
    links: Vec<LinkView>,
    used_in: Vec<UsedIn>,
}

/// Every check's entity-independent fields as JSON objects, written once per engine.
fn check_json(engine: &Engine) -> &[String] {
    engine.check_json.get_or_init(|| {
        engine
            .checks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let fixed = CheckStatic {
                    id: c.id(),
                    name: &c.def.name,
                    description: Some(c.def.description.as_str()).filter(|d| !d.is_empty()),
                    severity: severity(c),
                    how_to_fix: c.def.how_to_fix.as_deref(),
                    links: links(c),
                    used_in: used_in(engine, i),
                };
                serde_json::to_string(&fixed).unwrap_or_else(|_| "{}".into())
            })
            .collect()
    })
}

impl Fleet {
    fn check_outcome(
        &self,
        scored: &Scored,
        row: &[Option<Value>],
        exemptions: &[Exemption],
        i: usize,
    ) -> CheckOutcome {
        let engine = &self.engine;
        let c = &engine.checks[i];
        let status = scored.evaluation.statuses[i];
        let missing: Vec<String> = c
            .missing_facts(row, &engine.facts)
            .into_iter()
            .map(str::to_string)
            .collect();
        let exemption = (status == Status::Exempt)
            .then(|| exemption_for(engine, exemptions, i, scored.evaluated_at))
            .flatten();
        let message = match status {
            Status::Pass => metadata_message(&c.def.success_metadata)
                .unwrap_or_else(|| format!("Passes: {}.", c.def.name)),
            Status::Fail => metadata_message(&c.def.failure_metadata)
                .unwrap_or_else(|| format!("Fails: {}.", c.def.name)),
            Status::NotApplicable => "Does not apply to this entity.".to_string(),
            Status::Unknown => format!(
                "Unknown: no value for {}.",
                if missing.is_empty() {
                    "a fact it reads".to_string()
                } else {
                    missing.join(", ")
                }
            ),
            Status::Exempt => match exemption {
                Some(e) => format!(
                    "Exempt until {}: {}",
                    e.expires.to_rfc3339(),
                    e.justification
                ),
                None => "Exempt.".to_string(),
            },
        };
        let facts: Map<String, Value> = c
            .facts_read()
            .into_iter()
            .filter_map(|s| {
                let v = row.get(s as usize)?.as_ref()?;
                Some((engine.facts.name(s).to_string(), v.clone()))
            })
            .collect();
        CheckOutcome {
            status: status.as_str(),
            message,
            facts,
            missing_facts: missing,
            exemption: exemption.map(|e| ExemptionView {
                justification: e.justification.clone(),
                expires: e.expires,
                author: e.author.clone(),
            }),
        }
    }

    /// [`Fleet::health`] as JSON, written directly: each check's entity-independent fields
    /// (most of the answer) are copied from JSON written once per engine. The same value as
    /// serialising [`EntityHealth`]; a test holds them equal.
    pub fn health_json(&self, r: &EntityRef) -> Option<Vec<u8>> {
        let entity = self.catalog.get(r)?;
        let scored = self.scored.get(r)?;
        let head = self.health_without_checks(entity, scored);
        let mut out = serde_json::to_vec(&head).ok()?;
        // `…,"checks":[]}`: the checks go between the brackets.
        out.truncate(out.len().checked_sub(2)?);
        let fixed = check_json(&self.engine);
        let row = self.facts_row(entity);
        let exemptions = self.exemptions.get(r).map_or(&[][..], Vec::as_slice);
        out.reserve(fixed.iter().map(|f| f.len() + 256).sum());
        for (i, f) in fixed.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // `{static…}` + `{dynamic…}` → `{static…,dynamic…}`
            out.extend_from_slice(&f.as_bytes()[..f.len() - 1]);
            out.push(b',');
            let outcome = self.check_outcome(scored, &row, exemptions, i);
            let start = out.len();
            serde_json::to_writer(&mut out, &outcome).ok()?;
            out.remove(start);
        }
        out.extend_from_slice(b"]}");
        Some(out)
    }

    pub fn summary(&self, entity: &Entity, scored: &Scored) -> EntitySummary {
        let r = &entity.entity_ref;
        EntitySummary {
            entity: r.to_string(),
            kind: r.kind().to_string(),
            namespace: r.namespace().to_string(),
            name: r.name().to_string(),
            title: entity.metadata.title.clone(),
            owner: entity.owner().map(EntityRef::to_string),
            entity_type: entity.spec_type().map(str::to_string),
            lifecycle: entity.lifecycle().map(str::to_string),
            golden: scored.evaluation.golden,
            eligible: scored.evaluation.eligibility.eligible,
            levels: levels(&self.engine, scored),
            blocking: blocking(scored),
            evaluated_at: scored.evaluated_at,
        }
    }

    /// Everything about one scored entity; `None` when it is not in the catalog or not scored.
    pub fn health(&self, r: &EntityRef) -> Option<EntityHealth> {
        let entity = self.catalog.get(r)?;
        let scored = self.scored.get(r)?;
        let engine = &self.engine;
        let row = self.facts_row(entity);
        let exemptions = self.exemptions.get(r).map_or(&[][..], Vec::as_slice);
        let checks = (0..engine.checks.len())
            .map(|i| {
                let c = &engine.checks[i];
                let d = self.check_outcome(scored, &row, exemptions, i);
                CheckResult {
                    id: c.id().to_string(),
                    name: c.def.name.clone(),
                    description: Some(c.def.description.clone()).filter(|d| !d.is_empty()),
                    severity: severity(c).to_string(),
                    how_to_fix: c.def.how_to_fix.clone(),
                    links: links(c),
                    used_in: used_in(engine, i),
                    status: d.status.to_string(),
                    message: d.message,
                    facts: async_graphql::Json(d.facts),
                    missing_facts: d.missing_facts,
                    exemption: d.exemption,
                }
            })
            .collect();
        Some(EntityHealth {
            checks,
            ..self.health_without_checks(entity, scored)
        })
    }

    /// Everything [`Fleet::health`] says except the checks.
    fn health_without_checks(&self, entity: &Entity, scored: &Scored) -> EntityHealth {
        let r = &entity.entity_ref;
        let engine = &self.engine;
        let ev = &scored.evaluation;
        let tracks = engine
            .tracks
            .iter()
            .zip(&ev.standings)
            .map(|(t, standing)| {
                let level = standing.as_ref().and_then(|s| s.level);
                let next = standing.as_ref().and_then(|s| s.next_level(t));
                let counts = |li: usize| {
                    let errors: Vec<usize> = t.levels[li]
                        .iter()
                        .copied()
                        .filter(|&c| engine.checks[c].def.severity == Severity::Error)
                        .collect();
                    let passing = errors
                        .iter()
                        .filter(|&&c| ev.statuses[c].satisfies())
                        .count();
                    (passing as i64, errors.len() as i64)
                };
                TrackHealth {
                    id: t.def.id.clone(),
                    name: t.def.name.clone(),
                    description: t.def.description.clone(),
                    required: t.def.required,
                    applicable: standing.is_some(),
                    level: t.level_id(level).map(str::to_string),
                    level_name: level.map(|l| t.def.levels[l].display_name().to_string()),
                    next_level: t.level_id(next).map(str::to_string),
                    next_level_name: next.map(|l| t.def.levels[l].display_name().to_string()),
                    next_level_progress: next.map(|l| {
                        let (passing, total) = counts(l);
                        Progress { passing, total }
                    }),
                    levels: t
                        .def
                        .levels
                        .iter()
                        .enumerate()
                        .map(|(li, l)| {
                            let (passing, total) = counts(li);
                            LevelHealth {
                                id: l.id.clone(),
                                name: l.display_name().to_string(),
                                achieved: level.is_some_and(|held| li <= held),
                                passing,
                                total,
                                checks: t.levels[li]
                                    .iter()
                                    .map(|&c| engine.checks[c].id().to_string())
                                    .collect(),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let summary = self.summary(entity, scored);
        EntityHealth {
            entity: summary.entity,
            kind: summary.kind,
            namespace: summary.namespace,
            name: summary.name,
            title: summary.title,
            owner: summary.owner,
            entity_type: summary.entity_type,
            lifecycle: summary.lifecycle,
            golden: ev.golden,
            evaluated_at: scored.evaluated_at,
            tracks,
            checks: Vec::new(),
            eligibility: EligibilityView {
                eligible: ev.eligibility.eligible,
                wave: self.natural_wave(r).map(|w| w as i32),
                blocking: summary.blocking,
            },
            stale: self.stale_facts(r),
        }
    }
}

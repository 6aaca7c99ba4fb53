//! The evaluation core: compiled standards in, per-entity results out. No I/O, no async.

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::EntityRef;
use crate::certification::{Track, TrackStanding};
use crate::fleet::{self, Eligibility, FleetPolicy};
use crate::radar::Radar;
use crate::rules::{Check, FactTable, Status};

/// A time-boxed exemption from one check, or from every check of one level of a track.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exemption {
    pub entity: EntityRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub justification: String,
    pub expires: DateTime<Utc>,
    #[serde(default)]
    pub author: String,
}

/// Compiled standards: checks, tracks, fleet policy and the radar they read.
#[derive(Debug, Clone)]
pub struct Engine {
    pub facts: FactTable,
    pub checks: Vec<Check>,
    pub tracks: Vec<Track>,
    pub policy: FleetPolicy,
    pub radar: Radar,
    check_index: FxHashMap<String, usize>,
    /// Each check's fields that are the same for every entity, as JSON (see
    /// `health::view`): written once, copied into every health answer.
    pub(crate) check_json: std::sync::OnceLock<Vec<String>>,
}

/// One entity to evaluate: its ref and its facts, one slot per fact of the engine's table.
pub struct Subject<'a> {
    pub entity: &'a EntityRef,
    pub facts: &'a [Option<Value>],
    /// Whether its owner is an entity of the catalog (`None`: no catalog to ask).
    pub owner_in_catalog: Option<bool>,
    /// Exemptions that name this entity.
    pub exemptions: &'a [Exemption],
    /// Whether blocking reasons carry their sentences (bulk output that prints only codes
    /// skips them).
    pub messages: bool,
}

/// Everything tech-health concludes about one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Per check, in the engine's order.
    pub statuses: Vec<Status>,
    /// Per track; `None` when the track does not apply to the entity.
    pub standings: Vec<Option<TrackStanding>>,
    pub golden: bool,
    pub eligibility: Eligibility,
}

impl Engine {
    pub fn new(
        facts: FactTable,
        checks: Vec<Check>,
        tracks: Vec<Track>,
        policy: FleetPolicy,
        radar: Radar,
    ) -> Engine {
        let check_index = checks
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id().to_string(), i))
            .collect();
        Engine {
            facts,
            checks,
            tracks,
            policy,
            radar,
            check_index,
            check_json: std::sync::OnceLock::new(),
        }
    }

    pub fn check(&self, id: &str) -> Option<usize> {
        self.check_index.get(id).copied()
    }

    pub fn track(&self, id: &str) -> Option<usize> {
        self.tracks.iter().position(|t| t.def.id == id)
    }

    /// An empty fact row for this engine.
    pub fn empty_facts(&self) -> Vec<Option<Value>> {
        vec![None; self.facts.len()]
    }

    /// Evaluates one entity at time `now` (exemptions expire by it).
    pub fn evaluate(&self, subject: &Subject, now: DateTime<Utc>) -> Evaluation {
        let mut statuses: Vec<Status> = self
            .checks
            .iter()
            .map(|c| c.evaluate(subject.entity, subject.facts, &self.radar))
            .collect();
        self.apply_exemptions(subject, now, &mut statuses);
        let standings: Vec<Option<TrackStanding>> = self
            .tracks
            .iter()
            .map(|t| {
                let applies = t
                    .filter
                    .as_ref()
                    .is_none_or(|f| f.matches(subject.entity, subject.facts));
                applies.then(|| t.standing(&self.checks, &statuses))
            })
            .collect();
        let mut any_required = false;
        let golden = self.tracks.iter().zip(&standings).all(|(t, s)| match s {
            Some(s) if t.def.required => {
                any_required = true;
                s.at_top(t)
            }
            _ => true,
        }) && any_required;
        let eligibility = self.policy.eligibility(
            &fleet::Facts {
                entity: subject.entity,
                facts: subject.facts,
                statuses: &statuses,
                standings: &standings,
                owner_in_catalog: subject.owner_in_catalog,
                messages: subject.messages,
            },
            &self.checks,
            &self.tracks,
            &self.radar,
        );
        Evaluation {
            statuses,
            standings,
            golden,
            eligibility,
        }
    }

    fn apply_exemptions(&self, subject: &Subject, now: DateTime<Utc>, statuses: &mut [Status]) {
        for ex in subject
            .exemptions
            .iter()
            .filter(|e| e.expires > now && e.entity == *subject.entity)
        {
            let mut exempt = |i: usize| {
                if matches!(statuses[i], Status::Fail | Status::Unknown) {
                    statuses[i] = Status::Exempt;
                }
            };
            if let Some(i) = ex.check.as_deref().and_then(|c| self.check(c)) {
                exempt(i);
            } else if let (Some(t), Some(l)) = (
                ex.track.as_deref().and_then(|t| self.track(t)),
                ex.level.as_deref(),
            ) && let Some(li) = self.tracks[t].level_index(l)
            {
                self.tracks[t].levels[li]
                    .clone()
                    .into_iter()
                    .for_each(&mut exempt);
            }
        }
    }
}

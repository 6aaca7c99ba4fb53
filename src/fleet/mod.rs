//! Fleet policy: what makes an entity eligible for automated fleet changes, and — when it is
//! not — the blocking reasons, each a stable code and a sentence. Eligible entities are rolled
//! out in waves ([`waves`]).

pub mod waves;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::EntityRef;
use crate::certification::{Track, TrackStanding};
use crate::intern::Texts;
use crate::radar::Radar;
use crate::rules::condition::{self, ConditionError, Node, Reads};
use crate::rules::filter::Filter;
use crate::rules::{Check, FactTable, Status};
pub use waves::{Rollout, RolloutDef};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetPolicyDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<Value>,
    #[serde(default)]
    pub requirements: Vec<RequirementDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LevelRequirement {
    pub track: String,
    pub at_least: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequirementDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_known: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation_absent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why an entity may not receive automated changes. (Both texts are shared: across a fleet,
/// the same few sentences block thousands of entities.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockingReason {
    pub code: Arc<str>,
    pub message: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    pub eligible: bool,
    pub reasons: Vec<BlockingReason>,
}

#[derive(Debug, Clone)]
enum Rule {
    Level {
        track: usize,
        at_least: usize,
    },
    OwnerKnown,
    AnnotationAbsent(String),
    Check(usize),
    Condition {
        node: Node,
        required: Vec<u32>,
    },
    /// A requirement naming a track or check that is not loaded (only when checks were
    /// replaced on the command line); it blocks, and says why.
    Unresolved(String),
}

#[derive(Debug, Clone)]
struct Requirement {
    rule: Rule,
    /// Shared by every reason it gives (one allocation however many entities it blocks).
    code: Arc<str>,
    message: Option<Arc<str>>,
}

/// A compiled fleet policy.
#[derive(Debug, Clone, Default)]
pub struct FleetPolicy {
    applies_to: Option<Filter>,
    requirements: Vec<Requirement>,
    slots: Slots,
    /// The rollout waves of eligible entities.
    pub rollout: Rollout,
    /// The waves as written (a fleet change keeps a copy of the waves it started with).
    pub rollout_def: Option<RolloutDef>,
    /// The texts of blocking reasons, each held once however many entities it blocks.
    phrases: Texts,
    /// The message of a reason given without its message.
    no_message: Arc<str>,
}

#[derive(Debug, Clone, Default)]
struct Slots {
    owner: u32,
    has_owner: u32,
    annotations: u32,
}

/// Everything one entity's eligibility is decided from.
pub struct Facts<'a> {
    pub entity: &'a EntityRef,
    pub facts: &'a [Option<Value>],
    pub statuses: &'a [Status],
    pub standings: &'a [Option<TrackStanding>],
    /// Whether the owner resolves to an entity of the catalog (`None`: no catalog to ask).
    pub owner_in_catalog: Option<bool>,
    /// Whether reasons carry their sentences; without, only codes (cheaper, for bulk output).
    pub messages: bool,
}

fn err(pointer: String, message: impl Into<String>) -> ConditionError {
    ConditionError {
        pointer,
        message: message.into(),
    }
}

impl FleetPolicy {
    /// Compiles the policy against the loaded checks and tracks. References that do not
    /// resolve are errors, unless `lenient` (then they become blocking reasons, reported back).
    pub fn compile(
        def: &FleetPolicyDef,
        checks: &[Check],
        tracks: &[Track],
        facts: &mut FactTable,
        lenient: bool,
    ) -> Result<(FleetPolicy, Vec<ConditionError>), Vec<ConditionError>> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let applies_to = match def
            .applies_to
            .as_ref()
            .map(|f| Filter::compile(f, "/appliesTo", facts))
        {
            Some(Ok(f)) => Some(f),
            Some(Err(e)) => {
                errors.push(e);
                None
            }
            None => None,
        };
        let mut requirements = Vec::new();
        for (i, r) in def.requirements.iter().enumerate() {
            let at = |field: &str| format!("/requirements/{i}{field}");
            let kinds = [
                r.level.is_some(),
                r.owner_known.is_some(),
                r.annotation_absent.is_some(),
                r.check.is_some(),
                r.condition.is_some(),
            ];
            if kinds.iter().filter(|k| **k).count() != 1 {
                errors.push(err(at(""), "a requirement is exactly one of level, ownerKnown, annotationAbsent, check, condition"));
                continue;
            }
            let mut unresolved = |pointer: String, what: String, code: String| {
                let e = err(pointer, what.clone());
                if lenient {
                    warnings.push(e);
                    Ok(Requirement {
                        rule: Rule::Unresolved(what),
                        code: code.into(),
                        message: None,
                    })
                } else {
                    Err(e)
                }
            };
            let req = if let Some(l) = &r.level {
                let code = r
                    .code
                    .clone()
                    .unwrap_or_else(|| format!("level-too-low:{}<{}", l.track, l.at_least));
                match tracks.iter().position(|t| t.def.id == l.track) {
                    None => unresolved(
                        at("/level/track"),
                        format!(
                            "the fleet policy names track `{}`, which is not loaded",
                            l.track
                        ),
                        code,
                    ),
                    Some(t) => match tracks[t].level_index(&l.at_least) {
                        None => Err(err(
                            at("/level/atLeast"),
                            format!("track `{}` has no level `{}`", l.track, l.at_least),
                        )),
                        Some(level) => Ok(Requirement {
                            rule: Rule::Level {
                                track: t,
                                at_least: level,
                            },
                            code: code.into(),
                            message: r.message.as_deref().map(Arc::from),
                        }),
                    },
                }
            } else if let Some(known) = r.owner_known {
                if !known {
                    Err(err(at("/ownerKnown"), "`ownerKnown` can only be true"))
                } else {
                    Ok(Requirement {
                        rule: Rule::OwnerKnown,
                        code: r.code.as_deref().unwrap_or("owner-unknown").into(),
                        message: r.message.as_deref().map(Arc::from),
                    })
                }
            } else if let Some(a) = &r.annotation_absent {
                Ok(Requirement {
                    rule: Rule::AnnotationAbsent(a.clone()),
                    code: r.code.as_deref().unwrap_or("opted-out").into(),
                    message: r.message.as_deref().map(Arc::from),
                })
            } else if let Some(c) = &r.check {
                let code = r
                    .code
                    .clone()
                    .unwrap_or_else(|| format!("check-failed:{c}"));
                match checks.iter().position(|k| k.id() == c) {
                    None => unresolved(
                        at("/check"),
                        format!("the fleet policy names check `{c}`, which is not loaded"),
                        code,
                    ),
                    Some(ci) => Ok(Requirement {
                        rule: Rule::Check(ci),
                        code: code.into(),
                        message: r.message.as_deref().map(Arc::from),
                    }),
                }
            } else {
                let cond = r.condition.as_ref().expect("exactly one kind is set");
                let mut reads = Reads::default();
                match (
                    condition::compile(cond, &at("/condition"), facts, &mut reads),
                    &r.code,
                ) {
                    (Err(e), _) => Err(e),
                    (Ok(_), None) => Err(err(at(""), "a `condition` requirement needs a `code`")),
                    (Ok(node), Some(code)) => {
                        let mut required = reads.required;
                        required.sort_unstable();
                        required.dedup();
                        Ok(Requirement {
                            rule: Rule::Condition { node, required },
                            code: code.as_str().into(),
                            message: r.message.as_deref().map(Arc::from),
                        })
                    }
                }
            };
            match req {
                Ok(req) => requirements.push(req),
                Err(e) => errors.push(e),
            }
        }
        let rollout = match def
            .rollout
            .as_ref()
            .map(|r| Rollout::compile(r, checks, tracks, lenient))
        {
            None => Rollout::default(),
            Some(Ok((rollout, warns))) => {
                warnings.extend(warns);
                rollout
            }
            Some(Err(errs)) => {
                errors.extend(errs);
                Rollout::default()
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let slots = Slots {
            owner: facts.intern("owner"),
            has_owner: facts.intern("hasOwner"),
            annotations: facts.intern("annotations"),
        };
        Ok((
            FleetPolicy {
                applies_to,
                requirements,
                slots,
                rollout,
                rollout_def: def.rollout.clone(),
                phrases: Texts::default(),
                no_message: Arc::from(""),
            },
            warnings,
        ))
    }

    pub fn requirement_count(&self) -> usize {
        self.requirements.len()
    }

    /// Decides eligibility; every requirement that does not hold gives a reason.
    pub fn eligibility(
        &self,
        input: &Facts,
        checks: &[Check],
        tracks: &[Track],
        radar: &Radar,
    ) -> Eligibility {
        if let Some(f) = &self.applies_to
            && !f.matches(input.entity, input.facts)
        {
            return Eligibility {
                eligible: false,
                reasons: vec![BlockingReason {
                    code: self.phrases.get("out-of-scope"),
                    message: self.phrases.get(&format!(
                        "The fleet policy does not cover {} entities of this kind or type.",
                        input.entity.kind()
                    )),
                }],
            };
        }
        let mut reasons: Vec<BlockingReason> = self
            .requirements
            .iter()
            .filter_map(|r| self.blocking(r, input, checks, tracks, radar))
            .collect();
        // Kept for every entity of the fleet: no spare capacity.
        reasons.shrink_to_fit();
        Eligibility {
            eligible: reasons.is_empty(),
            reasons,
        }
    }

    fn fact<'a>(&self, input: &Facts<'a>, slot: u32) -> Option<&'a Value> {
        input.facts.get(slot as usize).and_then(Option::as_ref)
    }

    fn blocking(
        &self,
        r: &Requirement,
        input: &Facts,
        checks: &[Check],
        tracks: &[Track],
        radar: &Radar,
    ) -> Option<BlockingReason> {
        let reason = |default: &dyn Fn() -> String| {
            let message = match (&r.message, input.messages) {
                (_, false) => self.no_message.clone(),
                (Some(m), true) => m.clone(),
                (None, true) => self.phrases.get(&default()),
            };
            Some(BlockingReason {
                code: r.code.clone(),
                message,
            })
        };
        match &r.rule {
            Rule::Level { track, at_least } => {
                let t = &tracks[*track];
                let standing = input.standings.get(*track).and_then(Option::as_ref);
                let level = standing.and_then(|s| s.level);
                if level.is_some_and(|l| l >= *at_least) {
                    return None;
                }
                let has = match (standing, level) {
                    (None, _) => "the track does not apply",
                    (Some(_), None) => "no level",
                    (Some(_), Some(l)) => t.def.levels[l].display_name(),
                };
                reason(&|| {
                    format!(
                        "Holds {has} in track “{}”; automated changes need {} or higher.",
                        t.def.name,
                        t.def.levels[*at_least].display_name()
                    )
                })
            }
            Rule::OwnerKnown => match self
                .fact(input, self.slots.owner)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                Some(owner) if input.owner_in_catalog == Some(false) => reason(&|| {
                    format!(
                        "The owner {owner} is not in the catalog, so nobody can review automated changes."
                    )
                }),
                Some(_) => None,
                None if self.fact(input, self.slots.has_owner) == Some(&Value::Bool(true)) => None,
                None => reason(&|| {
                    "The entity names no owner, so nobody can review automated changes.".into()
                }),
            },
            Rule::AnnotationAbsent(key) => {
                let value = self
                    .fact(input, self.slots.annotations)
                    .and_then(|a| a.get(key))?;
                let why = value
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or("no reason given");
                reason(&|| {
                    format!("Opted out of automated changes with the annotation {key}: {why}")
                })
            }
            Rule::Check(c) => {
                let status = input.statuses[*c];
                if status.satisfies() {
                    return None;
                }
                reason(&|| format!("Check “{}” is {}.", checks[*c].def.name, status.as_str()))
            }
            Rule::Condition { node, required } => {
                let missing = required
                    .iter()
                    .any(|&s| input.facts.get(s as usize).is_none_or(Option::is_none));
                if !missing && node.eval(input.facts, radar) {
                    return None;
                }
                reason(&|| format!("The fleet policy requirement `{}` does not hold.", r.code))
            }
            Rule::Unresolved(what) => reason(&|| format!("Cannot decide: {what}.")),
        }
    }
}

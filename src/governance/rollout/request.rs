//! Fleet change requests: the body of `POST /api/v1/changes`, checked against the standards
//! and the fleet.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Criteria, FleetChange, GithubMatch, Target, WavePlan};
use crate::fleet::{Rollout, RolloutDef};
use crate::governance::campaigns::request::split_technology;
use crate::governance::{FieldError, required};
use crate::health::Fleet;
use crate::rules::version::VersionRange;

/// The target as written: `technology` (`log4j-core <2.17.1`: who uses it at that range) or
/// `check` (who fails it), not both.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(max_properties = 1)]
pub struct TargetRequest {
    /// A technology id and the version range that needs the change, e.g. `log4j-core <2.17.1`.
    #[serde(default)]
    #[schema(value_type = String, pattern = r"^\s*[^\s<>=^~]+\s*[<>=^~]*\s*[0-9xX*]")]
    pub technology: Option<String>,
    /// A check that must start to pass.
    #[serde(default)]
    #[schema(value_type = String, pattern = r"\S")]
    pub check: Option<String>,
}

/// Criteria as written; what is left out takes the default (or the change's `criteria`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CriteriaRequest {
    #[serde(default, deserialize_with = "crate::fleet::waves::whole")]
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 525600)]
    pub min_soak_minutes: Option<u32>,
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 1)]
    pub min_merged_share: Option<f64>,
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 1)]
    pub max_failed_share: Option<f64>,
    pub checks_after: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::fleet::waves::whole")]
    #[schema(value_type = Option<u32>, minimum = 1)]
    pub max_open_per_owner: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GithubMatchRequest {
    pub label: Option<String>,
    pub branch_prefix: Option<String>,
}

/// `POST /api/v1/changes`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRequest {
    #[schema(required = true, value_type = String, pattern = r"\S")]
    pub name: Option<String>,
    pub description: Option<String>,
    /// Who runs it (a group or user ref, or a name).
    #[schema(required = true, value_type = String, pattern = r"\S")]
    pub owner: Option<String>,
    #[schema(required = true, value_type = TargetRequest)]
    pub target: Option<TargetRequest>,
    /// Waves instead of the fleet policy's `rollout` (same form: `maxPerOwner`, `waves`).
    pub rollout: Option<RolloutDef>,
    /// Criteria of every wave.
    pub criteria: Option<CriteriaRequest>,
    /// Criteria of single waves, by wave name (over `criteria`).
    pub wave_criteria: Option<BTreeMap<String, CriteriaRequest>>,
    /// Pull requests GitHub reports on that belong to the change.
    pub github: Option<GithubMatchRequest>,
    /// RFC 3339; the first wave starts then (default: at once).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub start: Option<String>,
}

/// The longest soak: a year.
const MAX_SOAK_MINUTES: u32 = 525_600;

fn share(v: Option<f64>, path: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let v = v?;
    if (0.0..=1.0).contains(&v) {
        Some(v)
    } else {
        errors.push(FieldError::new(
            path,
            format!("{v} is not a share between 0 and 1"),
        ));
        None
    }
}

/// `over` written over `base`.
fn criteria(
    base: &Criteria,
    over: &CriteriaRequest,
    path: &str,
    fleet: &Fleet,
    errors: &mut Vec<FieldError>,
) -> Criteria {
    let mut c = base.clone();
    match over.min_soak_minutes {
        Some(m) if m > MAX_SOAK_MINUTES => errors.push(FieldError::new(
            &format!("{path}/minSoakMinutes"),
            format!("{m} minutes is longer than a year ({MAX_SOAK_MINUTES})"),
        )),
        Some(m) => c.min_soak_minutes = m,
        None => {}
    }
    if let Some(s) = share(
        over.min_merged_share,
        &format!("{path}/minMergedShare"),
        errors,
    ) {
        c.min_merged_share = s;
    }
    if let Some(s) = share(
        over.max_failed_share,
        &format!("{path}/maxFailedShare"),
        errors,
    ) {
        c.max_failed_share = s;
    }
    if let Some(checks) = &over.checks_after {
        for (i, id) in checks.iter().enumerate() {
            if fleet.engine.check(id).is_none() {
                errors.push(FieldError::new(
                    &format!("{path}/checksAfter/{i}"),
                    format!("unknown check `{id}`"),
                ));
            }
        }
        c.checks_after = checks.clone();
    }
    match over.max_open_per_owner {
        Some(0) => errors.push(FieldError::new(
            &format!("{path}/maxOpenPerOwner"),
            "must be at least 1",
        )),
        Some(n) => c.max_open_per_owner = Some(n),
        None => {}
    }
    c
}

fn target(
    req: &Option<TargetRequest>,
    fleet: &Fleet,
    errors: &mut Vec<FieldError>,
) -> Option<Target> {
    let Some(t) = req else {
        errors.push(FieldError::new(
            "/target",
            "is required: `technology` or `check`",
        ));
        return None;
    };
    match (&t.technology, &t.check) {
        (Some(text), None) => {
            let Some((id, range)) = split_technology(text) else {
                errors.push(FieldError::new(
                    "/target/technology",
                    format!(
                        "`{text}` is not `<technology> <version range>`, e.g. `log4j-core <2.17.1`"
                    ),
                ));
                return None;
            };
            if let Err(e) = VersionRange::parse(&range) {
                errors.push(FieldError::new("/target/technology", e));
                return None;
            }
            Some(Target {
                technology: Some(id),
                version: Some(range),
                check: None,
            })
        }
        (None, Some(check)) => {
            if fleet.engine.check(check).is_none() {
                errors.push(FieldError::new(
                    "/target/check",
                    format!("unknown check `{check}`"),
                ));
                return None;
            }
            Some(Target {
                technology: None,
                version: None,
                check: Some(check.clone()),
            })
        }
        _ => {
            errors.push(FieldError::new(
                "/target",
                "give either `technology` (e.g. `log4j-core <2.17.1`) or `check`",
            ));
            None
        }
    }
}

fn github(req: &Option<GithubMatchRequest>, errors: &mut Vec<FieldError>) -> Option<GithubMatch> {
    let g = req.as_ref()?;
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let m = GithubMatch {
        label: text(&g.label),
        branch_prefix: text(&g.branch_prefix),
    };
    if m.label.is_none() && m.branch_prefix.is_none() {
        errors.push(FieldError::new(
            "/github",
            "give a `label` or a `branchPrefix`",
        ));
        return None;
    }
    Some(m)
}

/// Checks a request; on success, the change (its waves as defined, before planning adds any
/// that caps need) and its waves compiled.
pub fn validate(
    req: &ChangeRequest,
    fleet: &Fleet,
    author: &str,
    now: DateTime<Utc>,
) -> Result<(FleetChange, Rollout), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = required(&req.name, "/name", &mut errors).map(str::to_string);
    let owner = required(&req.owner, "/owner", &mut errors).map(str::to_string);
    let target = target(&req.target, fleet, &mut errors);
    let def = req
        .rollout
        .clone()
        .or_else(|| fleet.engine.policy.rollout_def.clone());
    let compiled = match &def {
        None => {
            errors.push(FieldError::new(
                "/rollout",
                "the fleet policy defines no rollout waves: give `rollout` (`waves`, optionally `maxPerOwner`)",
            ));
            None
        }
        Some(def) => match Rollout::compile(def, &fleet.engine.checks, &fleet.engine.tracks, false)
        {
            Ok((r, _)) => Some(r),
            Err(errs) => {
                let prefix = if req.rollout.is_some() {
                    ""
                } else {
                    "/fleetPolicy"
                };
                for e in errs {
                    errors.push(FieldError::new(
                        &format!("{prefix}{}", e.pointer),
                        e.message,
                    ));
                }
                None
            }
        },
    };
    let base = match &req.criteria {
        Some(c) => criteria(&Criteria::default(), c, "/criteria", fleet, &mut errors),
        None => Criteria::default(),
    };
    let mut waves: Vec<WavePlan> = def
        .iter()
        .flat_map(|d| d.waves.iter())
        .map(|w| WavePlan {
            name: w.name.clone(),
            description: w.description.clone(),
            criteria: base.clone(),
        })
        .collect();
    for (name, over) in req.wave_criteria.iter().flatten() {
        let path = format!("/waveCriteria/{name}");
        match waves.iter_mut().find(|w| &w.name == name) {
            Some(w) => w.criteria = criteria(&w.criteria, over, &path, fleet, &mut errors),
            None => errors.push(FieldError::new(&path, format!("no wave is named `{name}`"))),
        }
    }
    let github = github(&req.github, &mut errors);
    let start = match req
        .start
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Some(now),
        Some(_) => crate::governance::time(&req.start, "/start", &mut errors),
    };
    match (name, owner, target, compiled, def, start) {
        (Some(name), Some(owner), Some(target), Some(compiled), Some(rollout), Some(start))
            if errors.is_empty() =>
        {
            Ok((
                FleetChange {
                    id: uuid::Uuid::new_v4().to_string(),
                    name,
                    description: req.description.clone().filter(|d| !d.trim().is_empty()),
                    owner,
                    target,
                    waves,
                    rollout,
                    github,
                    start,
                    created_at: now,
                    created_by: author.to_string(),
                },
                compiled,
            ))
        }
        _ => Err(errors),
    }
}

//! Campaign requests: the body of `POST /api/v1/campaigns`, checked against the fleet.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Campaign, Goal, Scope};
use crate::governance::{FieldError, required, time};
use crate::health::Fleet;
use crate::rules::version::VersionRange;

/// The goal as written: `checks`, or `technology` such as `java >= 17.0.5`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// One of the two. Not `min_properties = 1` too: utoipa-gen 5.5 writes it as `maxProperties`;
// an empty goal is `validate`'s 422.
#[schema(max_properties = 1)]
pub struct GoalRequest {
    /// Every one of these checks passes (or is exempt, or does not apply).
    #[serde(default)]
    #[schema(value_type = Vec<String>, min_items = 1)]
    pub checks: Option<Vec<String>>,
    /// A technology id and an npm-style version range: `java >= 17.0.5`, `log4j-core >=2.17.1`.
    #[serde(default)]
    #[schema(value_type = String, pattern = r"^\s*[^\s<>=^~]+\s*[<>=^~]*\s*[0-9xX*]")]
    pub technology: Option<String>,
}

/// `POST /api/v1/campaigns`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// The fields are optional to serde so that a request missing several gets one 422 naming
// each (`validate`); the document says what is required.
pub struct CampaignRequest {
    #[schema(required = true, value_type = String, pattern = r"\S")]
    pub name: Option<String>,
    pub description: Option<String>,
    /// Who runs it (a group or user ref, or a name).
    #[schema(required = true, value_type = String, pattern = r"\S")]
    pub owner: Option<String>,
    /// `checks` or `technology`, not both.
    #[schema(required = true, value_type = GoalRequest)]
    pub goal: Option<GoalRequest>,
    #[serde(default)]
    pub scope: Scope,
    /// RFC 3339.
    #[schema(required = true, value_type = String, format = DateTime)]
    pub start: Option<String>,
    /// RFC 3339, after `start`.
    #[schema(required = true, value_type = String, format = DateTime)]
    pub deadline: Option<String>,
}

/// `java >= 17.0.5` → (`java`, `>= 17.0.5`).
pub(crate) fn split_technology(text: &str) -> Option<(String, String)> {
    let text = text.trim();
    let at = text.find(|c: char| c.is_whitespace() || "<>=^~".contains(c))?;
    let (id, range) = text.split_at(at);
    let range = range.trim();
    (!id.is_empty() && !range.is_empty()).then(|| (id.to_ascii_lowercase(), range.to_string()))
}

fn goal(req: &Option<GoalRequest>, fleet: &Fleet, errors: &mut Vec<FieldError>) -> Option<Goal> {
    let Some(g) = req else {
        errors.push(FieldError::new(
            "/goal",
            "is required: `checks` or `technology`",
        ));
        return None;
    };
    match (&g.checks, &g.technology) {
        (Some(checks), None) if !checks.is_empty() => {
            let unknown: Vec<&String> = checks
                .iter()
                .filter(|c| fleet.engine.check(c).is_none())
                .collect();
            for c in unknown {
                errors.push(FieldError::new(
                    "/goal/checks",
                    format!("unknown check `{c}`"),
                ));
            }
            Some(Goal {
                checks: checks.clone(),
                technology: None,
                version: None,
            })
        }
        (None, Some(t)) => match split_technology(t) {
            Some((id, range)) => match VersionRange::parse(&range) {
                Ok(_) => Some(Goal {
                    checks: Vec::new(),
                    technology: Some(id),
                    version: Some(range),
                }),
                Err(e) => {
                    errors.push(FieldError::new("/goal/technology", e));
                    None
                }
            },
            None => {
                errors.push(FieldError::new(
                    "/goal/technology",
                    format!("`{t}` is not `<technology> <version range>`, e.g. `java >= 17.0.5`"),
                ));
                None
            }
        },
        _ => {
            errors.push(FieldError::new(
                "/goal",
                "give either a non-empty `checks` list or a `technology` goal",
            ));
            None
        }
    }
}

/// Checks a request; on success, a new campaign.
pub fn validate(
    req: &CampaignRequest,
    fleet: &Fleet,
    author: &str,
    now: DateTime<Utc>,
) -> Result<Campaign, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = required(&req.name, "/name", &mut errors).map(str::to_string);
    let owner = required(&req.owner, "/owner", &mut errors).map(str::to_string);
    let goal = goal(&req.goal, fleet, &mut errors);
    req.scope.validate(&fleet.catalog, &mut errors);
    let start = time(&req.start, "/start", &mut errors);
    let deadline = time(&req.deadline, "/deadline", &mut errors);
    if let (Some(s), Some(d)) = (start, deadline)
        && d <= s
    {
        errors.push(FieldError::new("/deadline", "must be after `start`"));
    }
    match (name, owner, goal, start, deadline) {
        (Some(name), Some(owner), Some(goal), Some(start), Some(deadline)) if errors.is_empty() => {
            Ok(Campaign {
                id: uuid::Uuid::new_v4().to_string(),
                name,
                description: req.description.clone().filter(|d| !d.trim().is_empty()),
                owner,
                goal,
                scope: req.scope.clone(),
                start,
                deadline,
                created_at: now,
                created_by: author.to_string(),
            })
        }
        _ => Err(errors),
    }
}

//! Campaigns: a goal (checks to pass, or a technology at a version) over a scope of the fleet,
//! between a start and a deadline. Progress is measured on the evaluated fleet; the state
//! follows from progress and time.

use std::collections::BTreeMap;

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(crate) mod request;

pub use super::scope::{Scope, ScopeMatcher};
use crate::catalog::{Entity, EntityRef};
use crate::health::{Fleet, TechnologyUse};
use crate::rules::Status;
use crate::rules::version::VersionRange;
pub use request::{CampaignRequest, GoalRequest, validate};

/// The goal, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "CampaignGoal")]
pub struct Goal {
    /// Checks to pass (empty for a technology goal).
    pub checks: Vec<String>,
    /// The technology of a version goal.
    pub technology: Option<String>,
    /// Its version range, e.g. `>= 17.0.5`.
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub owner: String,
    pub goal: Goal,
    pub scope: Scope,
    pub start: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The identity of the token that created it.
    pub created_by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Enum)]
#[serde(rename_all = "lowercase")]
pub enum CampaignState {
    Scheduled,
    Active,
    Overdue,
    Done,
}

impl CampaignState {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Scheduled => "scheduled",
            CampaignState::Active => "active",
            CampaignState::Overdue => "overdue",
            CampaignState::Done => "done",
        }
    }
}

/// Where one entity stands against a goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalStatus {
    Done,
    ToDo,
    /// A fact the goal needs is absent.
    Unknown,
}

/// Counts over the entities in scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub total: i64,
    pub done: i64,
    pub to_do: i64,
    pub unknown: i64,
}

impl Counts {
    /// Counts one entity's standing in (`sign` 1) or out (`sign` -1).
    pub fn apply(&mut self, s: GoalStatus, sign: i64) {
        self.total += sign;
        match s {
            GoalStatus::Done => self.done += sign,
            GoalStatus::ToDo => self.to_do += sign,
            GoalStatus::Unknown => self.unknown += sign,
        }
    }
}

/// Progress of one group: the components it owns directly or through groups below it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct GroupProgress {
    pub group: String,
    pub title: Option<String>,
    /// Has child groups.
    pub department: bool,
    #[serde(flatten)]
    #[graphql(flatten)]
    pub counts: Counts,
}

/// A component still to do, and who owns it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct Remaining {
    pub entity: String,
    pub owner: Option<String>,
    /// `to-do` or `unknown`.
    pub status: String,
    /// What is missing: the checks that fail, or the version found.
    pub reason: String,
}

/// Progress measured on one evaluated fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub counts: Counts,
    /// Every entity counted, with where it stands.
    pub standings: Vec<(EntityRef, GoalStatus)>,
    pub groups: Vec<GroupProgress>,
    pub remaining: Vec<Remaining>,
}

impl Campaign {
    /// Where an entity stands; `None` when the goal does not concern it (a technology goal
    /// and an entity that does not use the technology).
    fn standing(&self, fleet: &Fleet, e: &Entity) -> Option<(GoalStatus, String)> {
        let r = &e.entity_ref;
        if let (Some(tech), Some(range)) = (&self.goal.technology, &self.goal.version) {
            let version = match fleet.technology(r, tech) {
                TechnologyUse::Unreported => {
                    return Some((GoalStatus::Unknown, "no `technologies` fact".into()));
                }
                TechnologyUse::Unused => return None,
                TechnologyUse::Used { version, .. } => version,
            };
            let range = VersionRange::parse(range).ok()?;
            return Some(match version {
                Some(v) if range.matches(&v) => (GoalStatus::Done, format!("{tech} {v}")),
                Some(v) => (
                    GoalStatus::ToDo,
                    format!("{tech} {v} is not {}", range.as_str()),
                ),
                None => (GoalStatus::Unknown, format!("{tech} version unknown")),
            });
        }
        let scored = fleet.scored.get(r)?;
        let mut failing = Vec::new();
        let mut unknown = Vec::new();
        for id in &self.goal.checks {
            match fleet
                .engine
                .check(id)
                .map(|i| scored.evaluation.statuses[i])
            {
                Some(Status::Fail) => failing.push(id.as_str()),
                Some(Status::Unknown) | None => unknown.push(id.as_str()),
                Some(_) => {}
            }
        }
        Some(if !failing.is_empty() {
            (GoalStatus::ToDo, format!("failing: {}", failing.join(", ")))
        } else if !unknown.is_empty() {
            (
                GoalStatus::Unknown,
                format!("unknown: {}", unknown.join(", ")),
            )
        } else {
            (GoalStatus::Done, "done".into())
        })
    }

    /// Where one entity stands; `None` when it is not scored, out of scope, or not concerned.
    pub fn standing_of(
        &self,
        fleet: &Fleet,
        matcher: &ScopeMatcher,
        r: &EntityRef,
    ) -> Option<GoalStatus> {
        let e = fleet
            .catalog
            .get(r)
            .filter(|e| fleet.scored.contains_key(r) && matcher.matches(e))?;
        self.standing(fleet, e).map(|(s, _)| s)
    }

    /// Progress over the scored entities in scope, overall and per group (teams and the
    /// departments above them).
    pub fn measure(&self, fleet: &Fleet) -> Measured {
        let matcher = self.scope.matcher(&fleet.catalog);
        let mut counts = Counts::default();
        let mut by_group: BTreeMap<EntityRef, Counts> = BTreeMap::new();
        let mut remaining = Vec::new();
        let mut standings = Vec::new();
        for r in fleet.scored.keys() {
            let Some(e) = fleet.catalog.get(r).filter(|e| matcher.matches(e)) else {
                continue;
            };
            let Some((standing, reason)) = self.standing(fleet, e) else {
                continue;
            };
            counts.apply(standing, 1);
            standings.push((r.clone(), standing));
            for g in fleet.groups_of(r) {
                by_group.entry(g).or_default().apply(standing, 1);
            }
            if standing != GoalStatus::Done {
                remaining.push(Remaining {
                    entity: r.to_string(),
                    owner: e.owner().map(EntityRef::to_string),
                    status: if standing == GoalStatus::ToDo {
                        "to-do"
                    } else {
                        "unknown"
                    }
                    .into(),
                    reason,
                });
            }
        }
        let groups = by_group
            .into_iter()
            .map(|(g, counts)| GroupProgress {
                title: fleet.catalog.get(&g).and_then(|e| e.metadata.title.clone()),
                department: fleet.catalog.is_department(&g),
                group: g.to_string(),
                counts,
            })
            .collect();
        Measured {
            counts,
            standings,
            groups,
            remaining,
        }
    }

    /// Scheduled before its start; done when everything in scope is done; overdue after the
    /// deadline; active otherwise.
    pub fn state(&self, counts: &Counts, now: DateTime<Utc>) -> CampaignState {
        if now < self.start {
            CampaignState::Scheduled
        } else if counts.total > 0 && counts.done == counts.total {
            CampaignState::Done
        } else if now > self.deadline {
            CampaignState::Overdue
        } else {
            CampaignState::Active
        }
    }

    /// The next moment at which time alone may change the state.
    pub fn next_boundary(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        [self.start, self.deadline].into_iter().find(|t| *t > now)
    }
}

/// One day of the burn-up: that day's last measurement.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct BurnupPoint {
    pub date: NaiveDate,
    #[serde(flatten)]
    #[graphql(flatten)]
    pub counts: Counts,
}

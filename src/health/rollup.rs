//! Group rollups: counts over every component a group owns, directly or through the groups
//! below it. Kept as running tallies so that one re-evaluated entity updates its groups by a
//! subtraction and an addition, not a recount.

use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::evaluate::{Engine, Evaluation};
use crate::rules::Status;

/// Running counts for one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub components: i64,
    pub golden: i64,
    pub eligible: i64,
    /// Per track: entities the track applies to, by level held; index 0 is "none held".
    pub levels: Vec<Vec<i64>>,
    /// Per check: counts by status, in `STATUSES` order.
    pub checks: Vec<[i64; 5]>,
}

const STATUSES: [Status; 5] = [
    Status::Pass,
    Status::Fail,
    Status::NotApplicable,
    Status::Unknown,
    Status::Exempt,
];

fn status_index(s: Status) -> usize {
    STATUSES.iter().position(|x| *x == s).unwrap_or(0)
}

impl Tally {
    pub fn new(engine: &Engine) -> Tally {
        Tally {
            components: 0,
            golden: 0,
            eligible: 0,
            levels: engine
                .tracks
                .iter()
                .map(|t| vec![0; t.levels.len() + 1])
                .collect(),
            checks: vec![[0; 5]; engine.checks.len()],
        }
    }

    /// Adds (`sign` 1) or removes (`sign` -1) one entity's evaluation.
    pub fn apply(&mut self, ev: &Evaluation, sign: i64) {
        self.components += sign;
        self.golden += sign * i64::from(ev.golden);
        self.eligible += sign * i64::from(ev.eligibility.eligible);
        for (counts, standing) in self.levels.iter_mut().zip(&ev.standings) {
            if let Some(s) = standing {
                counts[s.level.map_or(0, |l| l + 1)] += sign;
            }
        }
        for (counts, status) in self.checks.iter_mut().zip(&ev.statuses) {
            counts[status_index(*status)] += sign;
        }
    }

    pub fn rollup(
        &self,
        engine: &Engine,
        group: &str,
        title: Option<&str>,
        department: bool,
    ) -> GroupRollup {
        let percent = |n: i64| {
            if self.components == 0 {
                0.0
            } else {
                (n as f64 * 1000.0 / self.components as f64).round() / 10.0
            }
        };
        let tracks = engine
            .tracks
            .iter()
            .zip(&self.levels)
            .map(|(t, counts)| TrackDistribution {
                id: t.def.id.clone(),
                name: t.def.name.clone(),
                distribution: counts
                    .iter()
                    .enumerate()
                    .map(|(i, &count)| match i {
                        0 => LevelCount {
                            level: None,
                            name: "None".into(),
                            count,
                        },
                        _ => LevelCount {
                            level: Some(t.def.levels[i - 1].id.clone()),
                            name: t.def.levels[i - 1].display_name().to_string(),
                            count,
                        },
                    })
                    .collect(),
            })
            .collect();
        let checks = engine
            .checks
            .iter()
            .zip(&self.checks)
            .map(|(c, n)| {
                let [pass, fail, not_applicable, unknown, exempt] = *n;
                let applicable = pass + fail + unknown + exempt;
                CheckTally {
                    id: c.id().to_string(),
                    name: c.def.name.clone(),
                    pass,
                    fail,
                    unknown,
                    exempt,
                    not_applicable,
                    pass_rate: (applicable > 0).then(|| {
                        ((pass + exempt) as f64 * 1000.0 / applicable as f64).round() / 10.0
                    }),
                }
            })
            .collect();
        GroupRollup {
            summary: GroupSummary {
                group: group.to_string(),
                title: title.map(str::to_string),
                department,
                components: self.components,
                golden: self.golden,
                golden_percent: percent(self.golden),
                eligible: self.eligible,
                eligible_percent: percent(self.eligible),
                tracks,
            },
            checks,
        }
    }
}

/// How many entities hold a level (`level` null: none held).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct LevelCount {
    pub level: Option<String>,
    pub name: String,
    pub count: i64,
}

/// The level distribution of one track, lowest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct TrackDistribution {
    pub id: String,
    pub name: String,
    pub distribution: Vec<LevelCount>,
}

/// A group's figures over every component it owns, recursively.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct GroupSummary {
    pub group: String,
    pub title: Option<String>,
    /// Whether the group has child groups.
    pub department: bool,
    pub components: i64,
    pub golden: i64,
    /// 0..100
    pub golden_percent: f64,
    pub eligible: i64,
    /// 0..100
    pub eligible_percent: f64,
    pub tracks: Vec<TrackDistribution>,
}

/// One check's results over a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct CheckTally {
    pub id: String,
    pub name: String,
    pub pass: i64,
    pub fail: i64,
    pub unknown: i64,
    pub exempt: i64,
    pub not_applicable: i64,
    /// (pass + exempt) / (pass + fail + unknown + exempt), 0..100; null when it applies nowhere.
    pub pass_rate: Option<f64>,
}

/// What the store keeps per group, and per group and day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupRollup {
    #[serde(flatten)]
    pub summary: GroupSummary,
    pub checks: Vec<CheckTally>,
}

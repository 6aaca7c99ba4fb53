//! Fleet change rollouts: one automated change (a technology bumped, a check made to pass)
//! moved through the rollout waves by a controller that advances when a wave's criteria hold
//! and pauses, with its reasons, when a failure criterion is crossed. Pure: the service stores,
//! schedules and delivers; these take values (the fleet, the time) and return values.

mod controller;
pub mod github;
mod request;

use std::collections::BTreeMap;
use std::fmt;

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use controller::{ChangeRun, NextItem, ReportError};
pub use request::{ChangeRequest, CriteriaRequest, GithubMatchRequest, TargetRequest, validate};

/// What the change is for: entities using a technology at a version range, or failing a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "ChangeTarget")]
pub struct Target {
    /// A radar technology id, e.g. `log4j-core`.
    pub technology: Option<String>,
    /// With `technology`: the range that needs the change, e.g. `<2.17.1`.
    pub version: Option<String>,
    /// A check that must start to pass.
    pub check: Option<String>,
}

/// When a wave may complete (advance criteria) and when the change stops (failure criteria).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "ChangeCriteria")]
pub struct Criteria {
    /// The wave runs at least this long before it may complete.
    pub min_soak_minutes: u32,
    /// At least this share (0–1) of the wave's components has its change merged.
    pub min_merged_share: f64,
    /// Pause when more than this share (0–1) of a started wave's components failed CI or was
    /// reverted (failures acknowledged at a resume no longer count).
    pub max_failed_share: f64,
    /// Checks that must hold on every merged component of the wave before it completes.
    pub checks_after: Vec<String>,
    /// `next` offers at most this many components per owner with a change still open.
    pub max_open_per_owner: Option<u32>,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            min_soak_minutes: 60,
            min_merged_share: 0.9,
            max_failed_share: 0.1,
            checks_after: Vec::new(),
            max_open_per_owner: None,
        }
    }
}

/// One wave of the change, with its criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "ChangeWave")]
pub struct WavePlan {
    pub name: String,
    pub description: Option<String>,
    pub criteria: Criteria,
}

/// Which GitHub pull requests belong to the change: those carrying the label, or whose head
/// branch starts with the prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct GithubMatch {
    pub label: Option<String>,
    pub branch_prefix: Option<String>,
}

/// A fleet change as defined (it does not change after creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct FleetChange {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Who runs it (a group or user ref, or a name).
    pub owner: String,
    pub target: Target,
    /// The waves, in order: the rollout's (or the request's) and, when per-owner caps push
    /// components past the last one, further waves named after it.
    pub waves: Vec<WavePlan>,
    /// The rules of the waves (what puts a component in which wave), kept with the change so
    /// that components added later are placed as the first ones were.
    #[graphql(skip)]
    pub rollout: crate::fleet::RolloutDef,
    pub github: Option<GithubMatch>,
    /// The first wave starts at this time.
    pub start: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The identity of the token that created it.
    pub created_by: String,
}

impl FleetChange {
    /// The key that orders components within a wave (as the eligibility query's change).
    pub fn key(&self) -> String {
        match (&self.target.technology, &self.target.check) {
            (Some(t), _) => format!("{t}{}", self.target.version.as_deref().unwrap_or("")),
            (None, Some(c)) => format!("check:{c}"),
            (None, None) => self.id.clone(),
        }
    }
}

/// What the orchestrator (or GitHub) says happened to one component's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Enum)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Opened,
    Merged,
    CiFailed,
    ClosedUnmerged,
    Reverted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Opened => "opened",
            Outcome::Merged => "merged",
            Outcome::CiFailed => "ci-failed",
            Outcome::ClosedUnmerged => "closed-unmerged",
            Outcome::Reverted => "reverted",
        }
    }

    /// Counts against the failure criterion.
    pub fn failed(self) -> bool {
        matches!(self, Outcome::CiFailed | Outcome::Reverted)
    }

    /// A change still open (its pull request not merged nor closed).
    pub fn open(self) -> bool {
        matches!(self, Outcome::Opened | Outcome::CiFailed)
    }
}

/// Where a change is. Waves are numbered from 0, as in the eligibility query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", content = "wave", rename_all = "kebab-case")]
pub enum State {
    Planned,
    Active(u32),
    Complete(u32),
    Paused(u32),
    Cancelled,
    Done,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Planned => f.write_str("planned"),
            State::Active(k) => write!(f, "wave-{k}-active"),
            State::Complete(k) => write!(f, "wave-{k}-complete"),
            State::Paused(_) => f.write_str("paused"),
            State::Cancelled => f.write_str("cancelled"),
            State::Done => f.write_str("done"),
        }
    }
}

impl State {
    /// The wave it is at (`None` before the first and after the end).
    pub fn wave(self) -> Option<u32> {
        match self {
            State::Active(k) | State::Complete(k) | State::Paused(k) => Some(k),
            _ => None,
        }
    }

    /// Cancelled or done: nothing moves it any more.
    pub fn is_final(self) -> bool {
        matches!(self, State::Cancelled | State::Done)
    }
}

/// Why a change paused: which criterion, in which wave, and the components behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct PauseReason {
    /// `maxFailedShare`, or `manual` for a pause by hand.
    pub criterion: String,
    pub wave: Option<u32>,
    pub message: String,
    pub components: Vec<String>,
}

/// One move of the state machine, as audited and sent out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "ChangeTransition")]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub from: String,
    pub to: String,
    /// `controller`, or the identity of the person (token) who paused, resumed or cancelled.
    pub actor: String,
    /// What the person gave as the reason, or what the controller saw.
    pub reason: String,
    /// With a pause: each crossed criterion.
    pub reasons: Vec<PauseReason>,
}

/// The actor of the controller's own transitions.
pub const CONTROLLER: &str = "controller";

/// A wave's timeline (kept with the change's state).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveRun {
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Components whose failure a person acknowledged when resuming: no longer counted.
    #[serde(default)]
    pub acknowledged: Vec<String>,
}

/// The state of a change, as stored with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeStatus {
    pub state: State,
    /// Why it is paused (empty otherwise).
    #[serde(default)]
    pub paused: Vec<PauseReason>,
    pub waves: Vec<WaveRun>,
    pub updated_at: DateTime<Utc>,
}

/// Where one component stands in the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Enum)]
#[serde(rename_all = "kebab-case")]
#[graphql(name = "MemberState")]
pub enum MemberState {
    /// In a wave that has not started.
    Planned,
    /// In a started wave: the orchestrator may change it.
    Active,
    /// Left out when its wave started: no longer eligible, or no longer in the target.
    Dropped,
}

/// One component of the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub wave: u32,
    pub state: MemberState,
    /// Why it was dropped: the blocking reasons' codes and sentences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_at: Option<DateTime<Utc>>,
}

/// Counts over one wave's components.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct WaveCounts {
    /// Components the orchestrator may change (the wave has started, they were kept).
    pub active: i64,
    /// Components of a wave not yet started.
    pub planned: i64,
    pub dropped: i64,
    /// Active components with no outcome yet.
    pub pending: i64,
    pub opened: i64,
    pub merged: i64,
    pub ci_failed: i64,
    pub closed_unmerged: i64,
    pub reverted: i64,
}

impl WaveCounts {
    fn apply(&mut self, m: &Member, sign: i64) {
        match m.state {
            MemberState::Planned => self.planned += sign,
            MemberState::Dropped => self.dropped += sign,
            MemberState::Active => {
                self.active += sign;
                match m.outcome {
                    None => self.pending += sign,
                    Some(Outcome::Opened) => self.opened += sign,
                    Some(Outcome::Merged) => self.merged += sign,
                    Some(Outcome::CiFailed) => self.ci_failed += sign,
                    Some(Outcome::ClosedUnmerged) => self.closed_unmerged += sign,
                    Some(Outcome::Reverted) => self.reverted += sign,
                }
            }
        }
    }
}

/// The colour of one criterion in the change page's checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, Enum)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    /// Holds (advance) or is not crossed (failure).
    Green,
    /// Does not hold yet.
    Amber,
    /// A failure criterion is crossed.
    Red,
}

/// One criterion of one wave, as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct CriterionView {
    /// `minSoakMinutes`, `minMergedShare`, `maxFailedShare` or `checksAfter`.
    pub criterion: String,
    pub status: Light,
    pub message: String,
    /// The components behind an amber or red item.
    pub components: Vec<String>,
}

/// One wave as the change page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "ChangeWaveView")]
pub struct WaveView {
    pub index: u32,
    pub name: String,
    pub description: Option<String>,
    /// `planned`, `active`, `paused`, `complete`, or `stopped` (its change was cancelled).
    pub state: String,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub counts: WaveCounts,
    pub criteria: Vec<CriterionView>,
}

/// One team's components in the change.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct TeamView {
    /// The owner's ref (`null`: no owner).
    pub owner: Option<String>,
    #[serde(flatten)]
    #[graphql(flatten)]
    pub counts: WaveCounts,
}

/// One component of the change as shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub entity: String,
    pub owner: Option<String>,
    pub wave: u32,
    pub state: MemberState,
    pub outcome: Option<Outcome>,
    pub pr_url: Option<String>,
    pub outcome_at: Option<DateTime<Utc>>,
    pub reasons: Vec<String>,
}

/// A change as the API shows it: its definition, state, waves with their criteria, and teams.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "FleetChangeView")]
pub struct ChangeView {
    #[serde(flatten)]
    #[graphql(flatten)]
    pub change: FleetChange,
    /// `planned`, `wave-K-active`, `wave-K-complete`, `paused`, `cancelled` or `done`.
    pub state: String,
    /// The wave it is at (also while paused).
    pub wave: Option<u32>,
    pub paused_reasons: Vec<PauseReason>,
    pub totals: WaveCounts,
    pub wave_views: Vec<WaveView>,
    pub teams: Vec<TeamView>,
    pub updated_at: DateTime<Utc>,
}

/// One point of the burn-up: the counts after the outcomes up to `at`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[schema(as = ChangeBurnupPoint)]
#[graphql(name = "ChangeBurnupPoint")]
pub struct BurnupPoint {
    pub at: DateTime<Utc>,
    pub merged: i64,
    pub failed: i64,
    pub opened: i64,
}

/// One outcome as reported (the history behind the burn-up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeReport {
    pub entity: String,
    pub outcome: Outcome,
    pub pr_url: Option<String>,
    pub at: DateTime<Utc>,
    /// `api` or `github`.
    pub source: String,
    pub reported_by: String,
}

/// The burn-up of a change from its outcome history: one point per outcome time, the latest
/// outcome of each component counted.
pub fn burnup(history: &[OutcomeReport]) -> Vec<BurnupPoint> {
    let mut latest: BTreeMap<&str, Outcome> = BTreeMap::new();
    let mut out: Vec<BurnupPoint> = Vec::new();
    let (mut merged, mut failed, mut opened) = (0i64, 0i64, 0i64);
    let mut count = |o: Outcome, sign: i64| {
        if o == Outcome::Merged {
            merged += sign;
        }
        if o.failed() {
            failed += sign;
        }
        if o.open() {
            opened += sign;
        }
        (merged, failed, opened)
    };
    for r in history {
        if let Some(before) = latest.insert(&r.entity, r.outcome) {
            count(before, -1);
        }
        let (merged, failed, opened) = count(r.outcome, 1);
        let point = BurnupPoint {
            at: r.at,
            merged,
            failed,
            opened,
        };
        match out.last_mut() {
            Some(last) if last.at == point.at => *last = point,
            _ => out.push(point),
        }
    }
    out
}

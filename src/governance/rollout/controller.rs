//! The controller: a change's state machine over its waves. `control` moves it as far as the
//! criteria allow at a given time — starting waves, completing them, pausing on a crossed
//! failure criterion — and returns the transitions; people pause, resume and cancel.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    CONTROLLER, ChangeStatus, ChangeView, Criteria, CriterionView, FleetChange, Light, Member,
    MemberState, MemberView, Outcome, PauseReason, State, TeamView, Transition, WaveCounts,
    WavePlan, WaveRun, WaveView,
};
use crate::catalog::{Entity, EntityRef};
use crate::fleet::Rollout;
use crate::health::{Fleet, Scored, TechnologyUse};
use crate::rules::Status;
use crate::rules::version::VersionRange;

/// Why an outcome or a person's move was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("{0} is not a component of this change")]
    NotMember(String),
    #[error("{entity} is in wave {wave}, which has not started")]
    NotStarted { entity: String, wave: u32 },
    #[error("{entity} was dropped from the change: {reasons}")]
    Dropped { entity: String, reasons: String },
    /// The move does not apply in the change's state (e.g. resuming a change that runs).
    #[error("{0}")]
    State(String),
}

/// A component the orchestrator may open a change for now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, async_graphql::SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct NextItem {
    pub entity: String,
    pub owner: Option<String>,
    pub wave: u32,
    /// The repository slug (`owner/name`) from the `github.com/project-slug` annotation.
    pub repository: Option<String>,
}

/// A fleet change with its state and its components, as the controller works on it. Clones
/// are cheap (the components are a persistent map).
#[derive(Debug, Clone)]
pub struct ChangeRun {
    pub change: Arc<FleetChange>,
    pub status: ChangeStatus,
    pub members: imbl::OrdMap<EntityRef, Member>,
    /// The components of each wave, in ref order.
    by_wave: Vec<Arc<Vec<EntityRef>>>,
    counts: Vec<WaveCounts>,
    /// Components changed since the last `take_dirty`: what the store must write.
    dirty: Vec<EntityRef>,
}

/// Whether `r` is still what the change is for; `Err` says why not.
fn in_target(change: &FleetChange, fleet: &Fleet, r: &EntityRef) -> Result<(), String> {
    let t = &change.target;
    if let Some(tech) = &t.technology {
        let range = t
            .version
            .as_deref()
            .and_then(|v| VersionRange::parse(v).ok());
        return match fleet.technology(r, tech) {
            TechnologyUse::Unreported | TechnologyUse::Unused => {
                Err(format!("not-targeted: no longer uses {tech}"))
            }
            TechnologyUse::Used {
                version: Some(v), ..
            } if range.as_ref().is_some_and(|range| !range.matches(&v)) => Err(format!(
                "not-targeted: uses {tech} {v}, outside {}",
                range.as_ref().map_or("", VersionRange::as_str)
            )),
            TechnologyUse::Used { .. } => Ok(()),
        };
    }
    if let Some(check) = &t.check {
        let status = fleet
            .engine
            .check(check)
            .zip(fleet.scored.get(r))
            .map(|(i, s)| s.evaluation.statuses[i]);
        return match status {
            Some(Status::Fail) | Some(Status::Unknown) => Ok(()),
            Some(s) => Err(format!("not-targeted: `{check}` is {}", s.as_str())),
            None => Err("not-targeted: not scored".into()),
        };
    }
    Ok(())
}

/// Why an entity may not be changed now (`None`: it may).
fn blocked(fleet: &Fleet, r: &EntityRef) -> Option<Vec<String>> {
    let Some(s) = fleet.scored.get(r) else {
        return Some(vec![
            "not-scored: the component is no longer in the catalog".into(),
        ]);
    };
    let e = &s.evaluation.eligibility;
    (!e.eligible).then(|| {
        e.reasons
            .iter()
            .map(|b| format!("{}: {}", b.code, b.message))
            .collect()
    })
}

fn share(n: i64, of: i64) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

impl ChangeRun {
    /// Plans a new change over the fleet: every eligible entity in the target, each in its
    /// wave (caps may add waves past the defined ones, named after the last).
    pub fn plan(
        mut change: FleetChange,
        rollout: &Rollout,
        fleet: &Fleet,
        now: DateTime<Utc>,
    ) -> ChangeRun {
        let key = change.key();
        let candidates: Vec<(&Entity, &Scored)> = fleet
            .scored
            .iter()
            .filter(|(r, s)| {
                s.evaluation.eligibility.eligible && in_target(&change, fleet, r).is_ok()
            })
            .filter_map(|(r, s)| Some((fleet.catalog.get(r)?, &**s)))
            .collect();
        let waves = fleet.waves_with(rollout, &key, &candidates);
        let mut members = imbl::OrdMap::new();
        for ((e, _), w) in candidates.iter().zip(waves) {
            members.insert(
                e.entity_ref.clone(),
                Member {
                    wave: w.unwrap_or(0),
                    state: MemberState::Planned,
                    reasons: Vec::new(),
                    outcome: None,
                    pr_url: None,
                    outcome_at: None,
                },
            );
        }
        let needed = members
            .values()
            .map(|m| m.wave as usize + 1)
            .max()
            .unwrap_or(0);
        let defined = change.waves.len();
        if let Some(last) = change.waves.last().cloned() {
            for n in defined..needed {
                change.waves.push(WavePlan {
                    name: format!("{}-{}", last.name, n - defined + 2),
                    description: Some(format!(
                        "Components past their team's cap in `{}`.",
                        last.name
                    )),
                    criteria: last.criteria.clone(),
                });
            }
        }
        let status = ChangeStatus {
            state: State::Planned,
            paused: Vec::new(),
            waves: vec![WaveRun::default(); change.waves.len()],
            updated_at: now,
        };
        let mut run = ChangeRun::restore(change, status, members);
        run.dirty = run.members.keys().cloned().collect();
        run
    }

    /// A change as stored.
    pub fn restore(
        change: FleetChange,
        mut status: ChangeStatus,
        members: imbl::OrdMap<EntityRef, Member>,
    ) -> ChangeRun {
        status.waves.resize(change.waves.len(), WaveRun::default());
        let mut run = ChangeRun {
            change: Arc::new(change),
            status,
            members: imbl::OrdMap::new(),
            by_wave: Vec::new(),
            counts: Vec::new(),
            dirty: Vec::new(),
        };
        run.members = members;
        run.reindex();
        run
    }

    fn reindex(&mut self) {
        let n = self.change.waves.len();
        let mut by_wave = vec![Vec::new(); n];
        let mut counts = vec![WaveCounts::default(); n];
        for (r, m) in &self.members {
            let w = (m.wave as usize).min(n.saturating_sub(1));
            if let Some(list) = by_wave.get_mut(w) {
                list.push(r.clone());
                counts[w].apply(m, 1);
            }
        }
        self.by_wave = by_wave.into_iter().map(Arc::new).collect();
        self.counts = counts;
    }

    /// Takes what another replica wrote: the change's state and some of its components.
    pub fn apply_stored(&mut self, status: ChangeStatus, members: imbl::OrdMap<EntityRef, Member>) {
        self.status = status;
        self.status
            .waves
            .resize(self.change.waves.len(), WaveRun::default());
        for (r, m) in members {
            self.set(&r, m);
        }
        self.dirty.clear();
    }

    pub fn id(&self) -> &str {
        &self.change.id
    }

    pub fn state(&self) -> State {
        self.status.state
    }

    /// The components changed since the last call, as they now are.
    pub fn take_dirty(&mut self) -> Vec<(EntityRef, Member)> {
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.sort();
        dirty.dedup();
        dirty
            .into_iter()
            .filter_map(|r| self.members.get(&r).cloned().map(|m| (r, m)))
            .collect()
    }

    /// Counts of wave `k`.
    pub fn counts(&self, k: u32) -> WaveCounts {
        self.counts.get(k as usize).cloned().unwrap_or_default()
    }

    fn criteria(&self, k: u32) -> &Criteria {
        &self.change.waves[(k as usize).min(self.change.waves.len() - 1)].criteria
    }

    fn set(&mut self, r: &EntityRef, m: Member) {
        let w = m.wave as usize;
        if let Some(old) = self.members.get(r) {
            let ow = old.wave as usize;
            if let Some(c) = self.counts.get_mut(ow) {
                c.apply(old, -1);
            }
        } else if let Some(list) = self.by_wave.get_mut(w) {
            let list = Arc::make_mut(list);
            let at = list.binary_search(r).unwrap_or_else(|i| i);
            list.insert(at, r.clone());
        }
        if let Some(c) = self.counts.get_mut(w) {
            c.apply(&m, 1);
        }
        self.members.insert(r.clone(), m);
        self.dirty.push(r.clone());
    }

    fn transition(
        &mut self,
        to: State,
        actor: &str,
        reason: String,
        reasons: Vec<PauseReason>,
        now: DateTime<Utc>,
    ) -> Transition {
        let from = self.status.state;
        self.status.state = to;
        self.status.paused = if matches!(to, State::Paused(_)) {
            reasons.clone()
        } else {
            Vec::new()
        };
        self.status.updated_at = now;
        Transition {
            at: now,
            from: from.to_string(),
            to: to.to_string(),
            actor: actor.to_string(),
            reason,
            reasons,
        }
    }

    /// Starts wave `k`: its planned components still eligible and still in the target become
    /// active, the others are dropped with why; the last wave also takes every eligible entity
    /// in the target that is not yet a component.
    fn start_wave(&mut self, k: u32, fleet: &Fleet, now: DateTime<Utc>) {
        let list = self.by_wave.get(k as usize).cloned().unwrap_or_default();
        for r in list.iter() {
            let Some(m) = self.members.get(r) else {
                continue;
            };
            if m.state != MemberState::Planned {
                continue;
            }
            let mut m = m.clone();
            let mut reasons = Vec::new();
            if let Err(why) = in_target(&self.change, fleet, r) {
                reasons.push(why);
            } else if let Some(blocking) = blocked(fleet, r) {
                reasons = blocking;
            }
            m.state = if reasons.is_empty() {
                MemberState::Active
            } else {
                MemberState::Dropped
            };
            m.reasons = reasons;
            self.set(r, m);
        }
        if k as usize + 1 == self.change.waves.len() {
            let late: Vec<EntityRef> = fleet
                .scored
                .iter()
                .filter(|(r, s)| {
                    !self.members.contains_key(*r)
                        && s.evaluation.eligibility.eligible
                        && in_target(&self.change, fleet, r).is_ok()
                })
                .map(|(r, _)| r.clone())
                .collect();
            for r in late {
                self.set(
                    &r,
                    Member {
                        wave: k,
                        state: MemberState::Active,
                        reasons: Vec::new(),
                        outcome: None,
                        pr_url: None,
                        outcome_at: None,
                    },
                );
            }
        }
        if let Some(w) = self.status.waves.get_mut(k as usize) {
            w.started_at = Some(now);
        }
    }

    /// Failed components of wave `k` not acknowledged.
    fn failures(&self, k: u32) -> Vec<EntityRef> {
        let acknowledged = &self.status.waves[k as usize].acknowledged;
        let last = self.change.waves.len().saturating_sub(1);
        // One pass over the members, in ref order, as `by_wave` holds them (a lookup per
        // component of a 20k wave took milliseconds).
        self.members
            .iter()
            .filter(|(r, m)| {
                (m.wave as usize).min(last) == k as usize
                    && m.state == MemberState::Active
                    && m.outcome.is_some_and(Outcome::failed)
                    && !acknowledged.iter().any(|a| a == &r.to_string())
            })
            .map(|(r, _)| r.clone())
            .collect()
    }

    fn failed_count(&self, k: u32) -> i64 {
        let c = &self.counts[k as usize];
        let failed = c.ci_failed + c.reverted;
        if failed == 0 {
            return 0;
        }
        let acknowledged = self.status.waves[k as usize]
            .acknowledged
            .iter()
            .filter_map(|a| a.parse::<EntityRef>().ok())
            .filter(|r| {
                self.members
                    .get(r)
                    .is_some_and(|m| m.wave == k && m.outcome.is_some_and(Outcome::failed))
            })
            .count() as i64;
        failed - acknowledged
    }

    /// The failure criterion of every started wave up to `k`: those crossed.
    fn crossed(&self, k: u32) -> Vec<PauseReason> {
        let mut out = Vec::new();
        for j in 0..=k {
            if self.status.waves[j as usize].started_at.is_none() {
                continue;
            }
            let c = &self.counts[j as usize];
            let failed = self.failed_count(j);
            let max = self.criteria(j).max_failed_share;
            if failed > 0 && share(failed, c.active) > max {
                let components: Vec<String> =
                    self.failures(j).iter().map(ToString::to_string).collect();
                out.push(PauseReason {
                    criterion: "maxFailedShare".into(),
                    wave: Some(j),
                    message: format!(
                        "wave {j} ({}): {failed} of {} changes failed CI or were reverted ({}), more than the {} allowed",
                        self.change.waves[j as usize].name,
                        c.active,
                        percent(share(failed, c.active)),
                        percent(max)
                    ),
                    components,
                });
            }
        }
        out
    }

    /// The advance criteria of wave `k`, each with its light.
    fn advance_items(&self, k: u32, fleet: &Fleet, now: DateTime<Utc>) -> Vec<CriterionView> {
        let crit = self.criteria(k);
        let c = &self.counts[k as usize];
        let run = &self.status.waves[k as usize];
        if run.started_at.is_none() {
            return self.planned_items(k);
        }
        let mut items = Vec::new();
        let soak = Duration::minutes(i64::from(crit.min_soak_minutes));
        let soaked = match run.started_at {
            _ if c.active == 0 => true,
            Some(t) => now >= t + soak || run.completed_at.is_some(),
            None => false,
        };
        items.push(CriterionView {
            criterion: "minSoakMinutes".into(),
            status: if soaked { Light::Green } else { Light::Amber },
            message: match run.started_at {
                Some(t) if !soaked => format!(
                    "soaking: {} of {} minutes",
                    (now - t).num_minutes().max(0),
                    crit.min_soak_minutes
                ),
                None => format!("{} minutes once the wave starts", crit.min_soak_minutes),
                _ => format!("soaked {} minutes", crit.min_soak_minutes),
            },
            components: Vec::new(),
        });
        let merged = share(c.merged, c.active);
        let merged_ok = c.active == 0 || merged >= crit.min_merged_share;
        items.push(CriterionView {
            criterion: "minMergedShare".into(),
            status: if merged_ok {
                Light::Green
            } else {
                Light::Amber
            },
            message: format!(
                "{} of {} merged ({}; at least {} needed)",
                c.merged,
                c.active,
                percent(merged),
                percent(crit.min_merged_share)
            ),
            components: Vec::new(),
        });
        let failed = self.failed_count(k);
        let red = run.started_at.is_some()
            && failed > 0
            && share(failed, c.active) > crit.max_failed_share;
        items.push(CriterionView {
            criterion: "maxFailedShare".into(),
            status: if red { Light::Red } else { Light::Green },
            message: format!(
                "{failed} of {} failed CI or reverted ({}; at most {} allowed)",
                c.active,
                percent(share(failed, c.active)),
                percent(crit.max_failed_share)
            ),
            components: if failed > 0 {
                self.failures(k).iter().map(ToString::to_string).collect()
            } else {
                Vec::new()
            },
        });
        if !crit.checks_after.is_empty() {
            let missing = if c.merged == 0 {
                Vec::new()
            } else {
                self.checks_missing(k, fleet)
            };
            items.push(CriterionView {
                criterion: "checksAfter".into(),
                status: if missing.is_empty() {
                    Light::Green
                } else {
                    Light::Amber
                },
                message: if missing.is_empty() {
                    format!(
                        "{} {} on every merged component",
                        crit.checks_after.join(", "),
                        if crit.checks_after.len() == 1 {
                            "holds"
                        } else {
                            "hold"
                        }
                    )
                } else {
                    format!(
                        "{} not yet holding on {} merged components",
                        crit.checks_after.join(", "),
                        missing.len()
                    )
                },
                components: missing,
            });
        }
        items
    }

    /// The criteria of a wave that has not started: what it will need, none holding yet.
    fn planned_items(&self, k: u32) -> Vec<CriterionView> {
        let crit = self.criteria(k);
        let planned = self.counts[k as usize].planned;
        let item = |criterion: &str, message: String| CriterionView {
            criterion: criterion.into(),
            status: Light::Amber,
            message,
            components: Vec::new(),
        };
        let mut items = vec![
            item(
                "minSoakMinutes",
                format!("{} minutes once the wave starts", crit.min_soak_minutes),
            ),
            item(
                "minMergedShare",
                format!(
                    "at least {} of {planned} planned components merged",
                    percent(crit.min_merged_share)
                ),
            ),
            item(
                "maxFailedShare",
                format!(
                    "pauses past {} failed or reverted",
                    percent(crit.max_failed_share)
                ),
            ),
        ];
        if !crit.checks_after.is_empty() {
            items.push(item(
                "checksAfter",
                format!(
                    "{} must hold on every merged component",
                    crit.checks_after.join(", ")
                ),
            ));
        }
        items
    }

    /// Merged components of wave `k` on which a check of `checksAfter` does not hold.
    fn checks_missing(&self, k: u32, fleet: &Fleet) -> Vec<String> {
        let checks: Vec<Option<usize>> = self
            .criteria(k)
            .checks_after
            .iter()
            .map(|c| fleet.engine.check(c))
            .collect();
        self.by_wave[k as usize]
            .iter()
            .filter(|r| {
                self.members.get(*r).is_some_and(|m| {
                    m.state == MemberState::Active && m.outcome == Some(Outcome::Merged)
                })
            })
            .filter(|r| {
                let Some(s) = fleet.scored.get(*r) else {
                    return true;
                };
                checks
                    .iter()
                    .any(|c| !c.is_some_and(|i| s.evaluation.statuses[i].satisfies()))
            })
            .map(ToString::to_string)
            .collect()
    }

    /// Moves the change as far as its criteria allow at `now`; the transitions made.
    pub fn control(&mut self, fleet: &Fleet, now: DateTime<Utc>) -> Vec<Transition> {
        let mut out = Vec::new();
        // Each pass moves at most one wave on; bounded by the number of waves.
        for _ in 0..=2 * self.change.waves.len() + 1 {
            match self.status.state {
                State::Planned => {
                    if now < self.change.start {
                        break;
                    }
                    self.start_wave(0, fleet, now);
                    out.push(self.transition(
                        State::Active(0),
                        CONTROLLER,
                        "the start time came".into(),
                        Vec::new(),
                        now,
                    ));
                }
                State::Active(k) => {
                    let crossed = self.crossed(k);
                    if !crossed.is_empty() {
                        let reason = crossed
                            .iter()
                            .map(|c| c.message.as_str())
                            .collect::<Vec<_>>()
                            .join("; ");
                        out.push(self.transition(
                            State::Paused(k),
                            CONTROLLER,
                            reason,
                            crossed,
                            now,
                        ));
                        break;
                    }
                    let items = self.advance_items(k, fleet, now);
                    if items.iter().any(|i| i.status != Light::Green) {
                        break;
                    }
                    let summary = items
                        .iter()
                        .map(|i| i.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ");
                    self.status.waves[k as usize].completed_at = Some(now);
                    out.push(self.transition(
                        State::Complete(k),
                        CONTROLLER,
                        summary,
                        Vec::new(),
                        now,
                    ));
                }
                State::Complete(k) => {
                    let next = k + 1;
                    if next as usize >= self.change.waves.len() {
                        out.push(self.transition(
                            State::Done,
                            CONTROLLER,
                            "every wave is complete".into(),
                            Vec::new(),
                            now,
                        ));
                    } else {
                        self.start_wave(next, fleet, now);
                        let reason = format!("wave {k} is complete");
                        out.push(self.transition(
                            State::Active(next),
                            CONTROLLER,
                            reason,
                            Vec::new(),
                            now,
                        ));
                    }
                }
                State::Paused(_) | State::Cancelled | State::Done => break,
            }
        }
        out
    }

    /// Records one component's outcome (the controller is not run: see [`ChangeRun::control`]).
    pub fn report(
        &mut self,
        r: &EntityRef,
        outcome: Outcome,
        pr_url: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<(), ReportError> {
        let Some(m) = self.members.get(r) else {
            return Err(ReportError::NotMember(r.to_string()));
        };
        match m.state {
            MemberState::Planned => {
                return Err(ReportError::NotStarted {
                    entity: r.to_string(),
                    wave: m.wave,
                });
            }
            MemberState::Dropped => {
                return Err(ReportError::Dropped {
                    entity: r.to_string(),
                    reasons: m.reasons.join("; "),
                });
            }
            MemberState::Active => {}
        }
        let mut m = m.clone();
        m.outcome = Some(outcome);
        if pr_url.is_some() {
            m.pr_url = pr_url;
        }
        m.outcome_at = Some(at);
        self.set(r, m);
        Ok(())
    }

    /// Pauses by hand.
    pub fn pause(
        &mut self,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition, ReportError> {
        match self.status.state {
            State::Planned | State::Active(_) | State::Complete(_) => {
                let wave = self.status.state.wave().unwrap_or(0);
                let why = vec![PauseReason {
                    criterion: "manual".into(),
                    wave: Some(wave),
                    message: format!("paused by {actor}: {reason}"),
                    components: Vec::new(),
                }];
                Ok(self.transition(State::Paused(wave), actor, reason.to_string(), why, now))
            }
            s => Err(ReportError::State(format!(
                "a change that is {s} cannot be paused"
            ))),
        }
    }

    /// Resumes a paused change: the failures standing now are acknowledged (they no longer
    /// count against the failure criterion), then the controller runs.
    pub fn resume(
        &mut self,
        reason: &str,
        actor: &str,
        fleet: &Fleet,
        now: DateTime<Utc>,
    ) -> Result<Vec<Transition>, ReportError> {
        let State::Paused(k) = self.status.state else {
            return Err(ReportError::State(format!(
                "only a paused change can be resumed; this one is {}",
                self.status.state
            )));
        };
        for j in 0..=k {
            let failed: Vec<String> = self.failures(j).iter().map(ToString::to_string).collect();
            self.status.waves[j as usize].acknowledged.extend(failed);
        }
        let to = if self.status.waves[k as usize].started_at.is_some() {
            State::Active(k)
        } else {
            State::Planned
        };
        let mut out = vec![self.transition(to, actor, reason.to_string(), Vec::new(), now)];
        out.extend(self.control(fleet, now));
        Ok(out)
    }

    pub fn cancel(
        &mut self,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition, ReportError> {
        if self.status.state.is_final() {
            return Err(ReportError::State(format!(
                "the change is already {}",
                self.status.state
            )));
        }
        Ok(self.transition(State::Cancelled, actor, reason.to_string(), Vec::new(), now))
    }

    /// When, after `now`, time alone may move the change next: its start, or the end of the
    /// soak. Once that has passed only an outcome, an evaluation or a person moves it (a past
    /// deadline would have the leader's clock run the controller over and over for nothing).
    pub fn next_deadline(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let at = match self.status.state {
            State::Planned => self.change.start,
            State::Active(k) => {
                let started = self.status.waves[k as usize].started_at?;
                started + Duration::minutes(i64::from(self.criteria(k).min_soak_minutes))
            }
            _ => return None,
        };
        (at > now).then_some(at)
    }

    /// The components the orchestrator may open changes for now: the current wave's without
    /// an outcome, at most `maxOpenPerOwner` open per owner, in ref order.
    pub fn next(&self, fleet: &Fleet) -> Vec<NextItem> {
        let State::Active(k) = self.status.state else {
            return Vec::new();
        };
        let cap = self.criteria(k).max_open_per_owner;
        let owner_of = |r: &EntityRef| fleet.catalog.get(r).and_then(|e| e.owner().cloned());
        let mut open: BTreeMap<Option<EntityRef>, u32> = BTreeMap::new();
        if cap.is_some() {
            for list in &self.by_wave[..=k as usize] {
                for r in list.iter() {
                    if self
                        .members
                        .get(r)
                        .is_some_and(|m| m.outcome.is_some_and(Outcome::open))
                    {
                        *open.entry(owner_of(r)).or_default() += 1;
                    }
                }
            }
        }
        let mut out = Vec::new();
        for r in self.by_wave[k as usize].iter() {
            let Some(m) = self.members.get(r) else {
                continue;
            };
            if m.state != MemberState::Active || m.outcome.is_some() {
                continue;
            }
            let e = fleet.catalog.get(r);
            let owner = e.and_then(|e| e.owner().cloned());
            if let Some(cap) = cap {
                let n = open.entry(owner.clone()).or_default();
                if *n >= cap {
                    continue;
                }
                *n += 1;
            }
            out.push(NextItem {
                entity: r.to_string(),
                owner: owner.map(|o| o.to_string()),
                wave: k,
                repository: e
                    .and_then(|e| e.metadata.annotations.get("github.com/project-slug"))
                    .map(str::to_string),
            });
        }
        out
    }

    /// The change as the API and the change page show it.
    pub fn view(&self, fleet: &Fleet, now: DateTime<Utc>) -> ChangeView {
        let state = self.status.state;
        let mut totals = WaveCounts::default();
        let mut waves = Vec::new();
        for (k, plan) in self.change.waves.iter().enumerate() {
            let k32 = k as u32;
            let run = &self.status.waves[k];
            let c = self.counts[k].clone();
            add(&mut totals, &c);
            let wave_state = match state {
                _ if run.completed_at.is_some() => "complete",
                State::Paused(p) if p == k32 => "paused",
                _ if run.started_at.is_some() && !state.is_final() => "active",
                _ if run.started_at.is_some() => "stopped",
                _ => "planned",
            };
            waves.push(WaveView {
                index: k32,
                name: plan.name.clone(),
                description: plan.description.clone(),
                state: wave_state.into(),
                started_at: run.started_at,
                completed_at: run.completed_at,
                counts: c,
                criteria: self.advance_items(k32, fleet, now),
            });
        }
        let mut teams: BTreeMap<Option<String>, WaveCounts> = BTreeMap::new();
        for (r, m) in &self.members {
            let owner = fleet
                .catalog
                .get(r)
                .and_then(|e| e.owner())
                .map(ToString::to_string);
            teams.entry(owner).or_default().apply(m, 1);
        }
        ChangeView {
            change: (*self.change).clone(),
            state: state.to_string(),
            wave: state.wave(),
            paused_reasons: self.status.paused.clone(),
            totals,
            wave_views: waves,
            teams: teams
                .into_iter()
                .map(|(owner, counts)| TeamView { owner, counts })
                .collect(),
            updated_at: self.status.updated_at,
        }
    }

    /// The components (of one wave, or all), in ref order, with their owners.
    pub fn member_views(&self, fleet: &Fleet, wave: Option<u32>) -> Vec<MemberView> {
        let view = |r: &EntityRef, m: &Member| MemberView {
            entity: r.to_string(),
            owner: fleet
                .catalog
                .get(r)
                .and_then(|e| e.owner())
                .map(ToString::to_string),
            wave: m.wave,
            state: m.state,
            outcome: m.outcome,
            pr_url: m.pr_url.clone(),
            outcome_at: m.outcome_at,
            reasons: m.reasons.clone(),
        };
        match wave {
            Some(k) => self
                .by_wave
                .get(k as usize)
                .map(|l| {
                    l.iter()
                        .filter_map(|r| Some(view(r, self.members.get(r)?)))
                        .collect()
                })
                .unwrap_or_default(),
            None => self.members.iter().map(|(r, m)| view(r, m)).collect(),
        }
    }

    /// Counts over every wave.
    pub fn totals(&self) -> WaveCounts {
        let mut t = WaveCounts::default();
        for c in &self.counts {
            add(&mut t, c);
        }
        t
    }

    /// Counts over the components `pick` keeps.
    pub fn counts_of(&self, pick: impl Fn(&EntityRef) -> bool) -> WaveCounts {
        let mut t = WaveCounts::default();
        for (r, m) in &self.members {
            if pick(r) {
                t.apply(m, 1);
            }
        }
        t
    }

    /// Whether `r` is a component of the change.
    pub fn has_member(&self, r: &EntityRef) -> bool {
        self.members.contains_key(r)
    }
}

fn add(total: &mut WaveCounts, c: &WaveCounts) {
    total.active += c.active;
    total.planned += c.planned;
    total.dropped += c.dropped;
    total.pending += c.pending;
    total.opened += c.opened;
    total.merged += c.merged;
    total.ci_failed += c.ci_failed;
    total.closed_unmerged += c.closed_unmerged;
    total.reverted += c.reverted;
}

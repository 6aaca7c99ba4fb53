//! Fleet changes in the running service: created, fed outcomes (over the API and from GitHub),
//! paused, resumed and cancelled, and moved on by the controller — on the leader only, after
//! every outcome it takes, after every evaluation, and when a soak ends. Every move is written
//! with its audit rows and events in the transaction of the change that caused it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::governance::Governance;
use super::replica::Ending;
use super::{App, ServiceError};
use crate::catalog::EntityRef;
use crate::governance::FieldError;
use crate::governance::events;
use crate::governance::rollout::{
    self, ChangeRequest, ChangeRun, ChangeStatus, ChangeView, FleetChange, Member, NextItem,
    Outcome, OutcomeReport, ReportError, Transition, github,
};
use crate::store::{ChangeAuditRow, ChangeScope, ChangeSet, FleetChangeRow, MemberRow, OutcomeRow};

/// One outcome as given to [`App::report_outcomes`].
#[derive(Debug, Clone)]
pub struct OutcomeInput {
    pub entity: String,
    pub outcome: Outcome,
    pub pr_url: Option<String>,
    /// When it happened (default: now).
    pub at: Option<DateTime<Utc>>,
}

/// What reporting outcomes did.
#[derive(Debug, Clone)]
pub struct Reported {
    pub accepted: usize,
    /// The controller's moves right after (none when another replica leads: it moves the
    /// change as soon as it has applied the outcomes).
    pub transitions: Vec<Transition>,
    pub state: String,
}

fn invalid_change(errors: Vec<FieldError>) -> ServiceError {
    ServiceError::Rejected {
        code: "invalid-change",
        message: "the fleet change is invalid; nothing was stored".into(),
        errors,
    }
}

fn missing(id: &str) -> ServiceError {
    ServiceError::Missing(format!("no fleet change `{id}`"))
}

fn conflict(e: ReportError) -> ServiceError {
    ServiceError::Conflict(e.to_string())
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn change_row(run: &ChangeRun) -> FleetChangeRow {
    FleetChangeRow {
        id: run.change.id.clone(),
        state: run.state().to_string(),
        body: json(&*run.change),
        status: json(&run.status),
        created_at: run.change.created_at,
    }
}

/// A change read back from the store.
fn restore(row: FleetChangeRow, members: Vec<MemberRow>) -> Option<ChangeRun> {
    let change: FleetChange = serde_json::from_value(row.body).ok()?;
    let status: ChangeStatus = serde_json::from_value(row.status).ok()?;
    Some(ChangeRun::restore(change, status, member_map(members)))
}

fn member_map(rows: Vec<MemberRow>) -> imbl::OrdMap<EntityRef, Member> {
    rows.into_iter()
        .filter_map(|m| {
            Some((
                m.entity_ref.parse().ok()?,
                serde_json::from_value(m.body).ok()?,
            ))
        })
        .collect()
}

impl App {
    /// Every fleet change, oldest first.
    pub fn fleet_changes(&self) -> Vec<ChangeRun> {
        self.governance().changes.clone()
    }

    pub fn fleet_change(&self, id: &str) -> Result<ChangeRun, ServiceError> {
        self.governance()
            .changes
            .iter()
            .find(|c| c.id() == id)
            .cloned()
            .ok_or_else(|| missing(id))
    }

    /// Reads every fleet change back from the store (on start).
    pub(super) async fn load_changes(&self) -> Result<Vec<ChangeRun>, ServiceError> {
        let mut out = Vec::new();
        for row in self.store.fleet_changes().await? {
            let members = self.store.change_members(&row.id, None).await?;
            let id = row.id.clone();
            match restore(row, members) {
                Some(run) => out.push(run),
                None => tracing::warn!(id = %id, "stored fleet change unreadable"),
            }
        }
        Ok(out)
    }

    /// Applies a fleet change another replica committed: its state and `members` (all when
    /// `None`) are read again.
    pub(super) async fn reread_change(
        &self,
        id: &str,
        members: Option<&[String]>,
    ) -> Result<(), ServiceError> {
        let Some(row) = self.store.fleet_change(id).await? else {
            return Ok(());
        };
        let rows = self.store.change_members(id, members).await?;
        let mut gov = (*self.governance()).clone();
        match (gov.changes.iter_mut().find(|c| c.id() == id), members) {
            (Some(run), Some(_)) => {
                let status: Option<ChangeStatus> = serde_json::from_value(row.status).ok();
                if let Some(status) = status {
                    run.apply_stored(status, member_map(rows));
                }
            }
            (found, _) => {
                let Some(run) = restore(row, rows) else {
                    return Ok(());
                };
                match found {
                    Some(old) => *old = run,
                    None => gov.changes.push(run),
                }
            }
        }
        self.publish_governance(gov, false);
        // On the leader, the controller looks at what another replica changed.
        self.wake.notify_one();
        Ok(())
    }

    /// Writes what moved in change `i` of `gov` — its state, the components that changed, the
    /// transitions (audited, and sent out as events) — with `change`, then publishes `gov`.
    async fn commit_change(
        &self,
        mut gov: Governance,
        i: usize,
        transitions: &[Transition],
        mut change: ChangeSet,
        all_members: bool,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let run = &mut gov.changes[i];
        let id = run.change.id.clone();
        let dirty = run.take_dirty();
        change.fleet_changes.push(change_row(run));
        let refs: Vec<String> = dirty.iter().map(|(r, _)| r.to_string()).collect();
        change
            .change_members
            .extend(dirty.iter().zip(&refs).map(|((_, m), r)| MemberRow {
                change_id: id.clone(),
                entity_ref: r.clone(),
                body: json(m),
            }));
        for t in transitions {
            tracing::info!(change = %id, from = %t.from, to = %t.to, actor = %t.actor, "fleet change moved");
            change.change_audit.push(ChangeAuditRow {
                seq: 0,
                change_id: id.clone(),
                at: t.at,
                actor: t.actor.clone(),
                from_state: t.from.clone(),
                to_state: t.to.clone(),
                body: json(t),
            });
        }
        let events = transitions
            .iter()
            .map(|t| events::change_event(&id, t))
            .collect();
        self.enqueue(events, &mut change);
        let scope = ChangeScope::Rollout {
            change: id,
            members: (!all_members).then_some(refs),
        };
        self.finish(&mut change, Ending::Commit(scope), now).await?;
        self.publish_governance(gov, !change.events.is_empty());
        // A soak may end at another time now.
        self.wake.notify_one();
        Ok(())
    }

    fn change_index(gov: &Governance, id: &str) -> Result<usize, ServiceError> {
        gov.changes
            .iter()
            .position(|c| c.id() == id)
            .ok_or_else(|| missing(id))
    }

    /// Creates a fleet change, plans its waves over the fleet and (on the leader) starts it
    /// when its start has come.
    pub async fn create_change(
        &self,
        req: &ChangeRequest,
        author: &str,
    ) -> Result<ChangeView, ServiceError> {
        let _turn = self.turn().await?;
        let fleet = self.fleet();
        let now = self.now();
        let (def, waves) = rollout::validate(req, &fleet, author, now).map_err(invalid_change)?;
        let mut run = ChangeRun::plan(def, &waves, &fleet, now);
        let transitions = if self.is_leader() {
            run.control(&fleet, now)
        } else {
            Vec::new()
        };
        let view = run.view(&fleet, now);
        let mut gov = (*self.governance()).clone();
        gov.changes.push(run);
        let i = gov.changes.len() - 1;
        self.commit_change(gov, i, &transitions, ChangeSet::default(), true, now)
            .await?;
        Ok(view)
    }

    /// Records outcomes of change `id`: all of them, or none when one is refused.
    pub async fn report_outcomes(
        &self,
        id: &str,
        items: &[OutcomeInput],
        source: &str,
        by: &str,
    ) -> Result<Reported, ServiceError> {
        let _turn = self.turn().await?;
        let fleet = self.fleet();
        let now = self.now();
        let mut gov = (*self.governance()).clone();
        let i = Self::change_index(&gov, id)?;
        let run = &mut gov.changes[i];
        if run.state().is_final() {
            return Err(ServiceError::Conflict(format!(
                "the change is {}: it takes no more outcomes",
                run.state()
            )));
        }
        let mut errors = Vec::new();
        let mut change = ChangeSet::default();
        for (n, item) in items.iter().enumerate() {
            let path = format!("/outcomes/{n}/entity");
            let Ok(r) = item.entity.parse::<EntityRef>() else {
                errors.push(FieldError::new(
                    &path,
                    format!("`{}` is not an entity ref", item.entity),
                ));
                continue;
            };
            let at = item.at.unwrap_or(now);
            match run.report(&r, item.outcome, item.pr_url.clone(), at) {
                Ok(()) => change.change_outcomes.push(OutcomeRow {
                    change_id: id.to_string(),
                    entity_ref: r.to_string(),
                    outcome: item.outcome.as_str().to_string(),
                    pr_url: item.pr_url.clone(),
                    at,
                    source: source.to_string(),
                    reported_by: by.to_string(),
                }),
                Err(e) => errors.push(FieldError::new(&path, e.to_string())),
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Rejected {
                code: "invalid-outcomes",
                message: "outcomes refused; nothing was stored".into(),
                errors,
            });
        }
        let transitions = if self.is_leader() {
            run.control(&fleet, now)
        } else {
            Vec::new()
        };
        let state = run.state().to_string();
        self.commit_change(gov, i, &transitions, change, false, now)
            .await?;
        Ok(Reported {
            accepted: items.len(),
            transitions,
            state,
        })
    }

    /// Pauses, resumes or cancels change `id` by hand (audited with who and why).
    pub async fn steer_change(
        &self,
        id: &str,
        action: Steer,
        reason: &str,
        actor: &str,
    ) -> Result<Vec<Transition>, ServiceError> {
        if reason.trim().is_empty() {
            return Err(ServiceError::Rejected {
                code: "invalid-change",
                message: "a reason is required".into(),
                errors: vec![FieldError::new(
                    "/reason",
                    "is required and must not be blank",
                )],
            });
        }
        let _turn = self.turn().await?;
        let fleet = self.fleet();
        let now = self.now();
        let mut gov = (*self.governance()).clone();
        let i = Self::change_index(&gov, id)?;
        let run = &mut gov.changes[i];
        let transitions = match action {
            Steer::Pause => vec![run.pause(reason, actor, now).map_err(conflict)?],
            Steer::Cancel => vec![run.cancel(reason, actor, now).map_err(conflict)?],
            Steer::Resume => {
                let mut out = run.resume(reason, actor, &fleet, now).map_err(conflict)?;
                if !self.is_leader() {
                    // The leader moves it on once it has applied the resume.
                    out.truncate(1);
                }
                out
            }
        };
        self.commit_change(gov, i, &transitions, ChangeSet::default(), false, now)
            .await?;
        Ok(transitions)
    }

    /// Whether the controller would move any change now (without taking a turn).
    pub(super) fn changes_due(&self) -> bool {
        let fleet = self.fleet();
        let now = self.now();
        self.governance()
            .changes
            .iter()
            .any(|c| !c.state().is_final() && !c.clone().control(&fleet, now).is_empty())
    }

    /// The controller, on the leader: moves every change as far as its criteria allow now.
    pub(super) async fn control_changes(&self) -> Result<(), ServiceError> {
        // How often the leader looks: after an outcome, an evaluation or a deadline, not more.
        metrics::counter!("tech_health_fleet_change_controls_total").increment(1);
        if !self.changes_due() {
            return Ok(());
        }
        let _turn = self.turn().await?;
        let fleet = self.fleet();
        let now = self.now();
        let ids: Vec<String> = self
            .governance()
            .changes
            .iter()
            .map(|c| c.id().to_string())
            .collect();
        for id in ids {
            let mut gov = (*self.governance()).clone();
            let Ok(i) = Self::change_index(&gov, &id) else {
                continue;
            };
            let transitions = gov.changes[i].control(&fleet, now);
            if transitions.is_empty() {
                continue;
            }
            self.commit_change(gov, i, &transitions, ChangeSet::default(), false, now)
                .await?;
        }
        Ok(())
    }

    /// When the controller next has something to do by time alone.
    pub(super) fn next_change_deadline(&self) -> Option<DateTime<Utc>> {
        let now = self.now();
        self.governance()
            .changes
            .iter()
            .filter_map(|c| c.next_deadline(now))
            .min()
    }

    /// Outcomes from a GitHub delivery: pull requests of a change (by its label or branch
    /// prefix, or by a pull request already reported for a component) in a repository of a
    /// component. Returns the change ids and components that got one.
    pub async fn github_outcomes(
        &self,
        event: &str,
        payload: &Value,
        repository_entities: &[EntityRef],
    ) -> Result<Vec<(String, String, Outcome)>, ServiceError> {
        let prs = github::outcomes(event, payload);
        if prs.is_empty() || repository_entities.is_empty() {
            return Ok(Vec::new());
        }
        let mut work: Vec<(String, Vec<OutcomeInput>)> = Vec::new();
        for run in self
            .governance()
            .changes
            .iter()
            .filter(|c| !c.state().is_final())
        {
            let mut items = Vec::new();
            for pr in &prs {
                for r in repository_entities {
                    let Some(m) = run.members.get(r) else {
                        continue;
                    };
                    let ours = run.change.github.as_ref().is_some_and(|g| g.matches(pr))
                        || m.pr_url.as_deref() == Some(pr.pr_url.as_str());
                    if ours && m.state == rollout::MemberState::Active {
                        items.push(OutcomeInput {
                            entity: r.to_string(),
                            outcome: pr.outcome,
                            pr_url: Some(pr.pr_url.clone()),
                            at: None,
                        });
                    }
                }
            }
            if !items.is_empty() {
                work.push((run.id().to_string(), items));
            }
        }
        let mut out = Vec::new();
        for (id, items) in work {
            self.report_outcomes(&id, &items, "github", "github")
                .await?;
            out.extend(items.into_iter().map(|i| (id.clone(), i.entity, i.outcome)));
        }
        Ok(out)
    }

    /// The outcome history of change `id`, oldest first.
    pub async fn change_history(&self, id: &str) -> Result<Vec<OutcomeReport>, ServiceError> {
        self.fleet_change(id)?;
        Ok(self
            .store
            .change_outcomes(id)
            .await?
            .into_iter()
            .filter_map(|o| {
                Some(OutcomeReport {
                    outcome: serde_json::from_value(Value::String(o.outcome)).ok()?,
                    entity: o.entity_ref,
                    pr_url: o.pr_url,
                    at: o.at,
                    source: o.source,
                    reported_by: o.reported_by,
                })
            })
            .collect())
    }

    /// The transitions of change `id`, oldest first.
    pub async fn change_transitions(&self, id: &str) -> Result<Vec<Transition>, ServiceError> {
        self.fleet_change(id)?;
        Ok(self
            .store
            .change_audit(id)
            .await?
            .into_iter()
            .filter_map(|a| serde_json::from_value(a.body).ok())
            .collect())
    }

    /// What the orchestrator may open changes for now.
    pub fn change_next(&self, id: &str) -> Result<(ChangeRun, Vec<NextItem>), ServiceError> {
        let run = self.fleet_change(id)?;
        let next = run.next(&self.fleet());
        Ok((run, next))
    }
}

/// A person's move on a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Steer {
    Pause,
    Resume,
    Cancel,
}

//! Governance in the running service: exemptions created, revoked and expired, campaigns
//! created and measured, and the events every change gives rise to — all written in the
//! transaction of the change itself.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::replica::{Ending, entities_scope};
use super::{App, ServiceError};
use crate::catalog::EntityRef;
use crate::governance::FieldError;
use crate::governance::campaigns::{
    self, Campaign, CampaignRequest, CampaignState, Counts, GoalStatus,
};
use crate::governance::events::{self, Event, Standing};
use crate::governance::exemptions::{
    self, ExemptionRecord, ExemptionRequest, ExemptionState, SYSTEM_ACTOR,
};
use crate::health::Fleet;
use crate::store::{AuditRow, CampaignRow, ChangeSet, ExemptionRow, OutboxRow, ProgressRow};

/// A campaign with the state and counts it was last measured at.
#[derive(Debug, Clone)]
pub struct CampaignEntry {
    pub campaign: Campaign,
    pub state: CampaignState,
    pub counts: Counts,
    /// Where each counted entity stands, so a change recounts only what it touches.
    pub standings: imbl::HashMap<EntityRef, GoalStatus>,
}

impl CampaignEntry {
    fn new(campaign: Campaign, state: CampaignState) -> CampaignEntry {
        CampaignEntry {
            campaign,
            state,
            counts: Counts::default(),
            standings: imbl::HashMap::new(),
        }
    }

    /// Measures the whole fleet afresh.
    fn measure(&mut self, fleet: &Fleet) {
        let m = self.campaign.measure(fleet);
        self.counts = m.counts;
        self.standings = m.standings.into_iter().collect();
    }

    /// Recounts the entities `touched`; whether anything moved.
    fn recount(&mut self, fleet: &Fleet, touched: &[EntityRef]) -> bool {
        let matcher = self.campaign.scope.matcher(&fleet.catalog);
        let mut moved = false;
        for r in touched {
            let new = self.campaign.standing_of(fleet, &matcher, r);
            let old = self.standings.get(r).copied();
            if new == old {
                continue;
            }
            moved = true;
            if let Some(o) = old {
                self.counts.apply(o, -1);
                self.standings.remove(r);
            }
            if let Some(n) = new {
                self.counts.apply(n, 1);
                self.standings.insert(r.clone(), n);
            }
        }
        moved
    }
}

/// What the service knows besides the fleet: every exemption record and every campaign.
#[derive(Debug, Clone, Default)]
pub struct Governance {
    pub exemptions: Vec<ExemptionRecord>,
    pub campaigns: Vec<CampaignEntry>,
    /// Fleet changes, oldest first.
    pub changes: Vec<crate::governance::rollout::ChangeRun>,
}

/// An entity whose standing a change moved.
pub(super) type Moved = (EntityRef, Standing, Standing);

fn invalid_exemption(errors: Vec<FieldError>) -> ServiceError {
    ServiceError::Rejected {
        code: "invalid-exemption",
        message: "the exemption is invalid; nothing was stored".into(),
        errors,
    }
}

fn invalid_campaign(errors: Vec<FieldError>) -> ServiceError {
    ServiceError::Rejected {
        code: "invalid-campaign",
        message: "the campaign is invalid; nothing was stored".into(),
        errors,
    }
}

fn exemption_row(r: &ExemptionRecord) -> ExemptionRow {
    ExemptionRow {
        id: r.id.clone(),
        entity_ref: r.entity.clone(),
        state: r.state.as_str().to_string(),
        expires_at: r.expires,
        body: serde_json::to_value(r).unwrap_or(Value::Null),
    }
}

fn audit_row(action: &str, actor: &str, at: DateTime<Utc>, r: &ExemptionRecord) -> AuditRow {
    AuditRow {
        seq: 0,
        exemption_id: r.id.clone(),
        entity_ref: r.entity.clone(),
        action: action.to_string(),
        actor: actor.to_string(),
        at,
        body: serde_json::to_value(r).unwrap_or(Value::Null),
    }
}

fn campaign_row(c: &CampaignEntry) -> CampaignRow {
    CampaignRow {
        id: c.campaign.id.clone(),
        state: c.state.as_str().to_string(),
        body: serde_json::to_value(&c.campaign).unwrap_or(Value::Null),
        created_at: c.campaign.created_at,
    }
}

impl App {
    pub fn governance(&self) -> Arc<Governance> {
        self.governance.read().clone()
    }

    /// Reads exemptions and campaigns back from the store (on start, and after another
    /// replica changed them), the campaigns counted on `fleet` when given (else the next full
    /// evaluation counts them).
    pub(super) async fn load_governance(&self, fleet: Option<&Fleet>) -> Result<(), ServiceError> {
        let mut gov = Governance::default();
        for row in self.store.exemptions().await? {
            match serde_json::from_value::<ExemptionRecord>(row.body) {
                Ok(r) => gov.exemptions.push(r),
                Err(e) => tracing::warn!(id = %row.id, "stored exemption unreadable: {e}"),
            }
        }
        for row in self.store.campaigns().await? {
            let state = serde_json::from_value(Value::String(row.state.clone()));
            match (serde_json::from_value::<Campaign>(row.body), state) {
                (Ok(campaign), Ok(state)) => {
                    gov.campaigns.push(CampaignEntry::new(campaign, state))
                }
                _ => tracing::warn!(id = %row.id, "stored campaign unreadable"),
            }
        }
        if let Some(fleet) = fleet {
            for c in &mut gov.campaigns {
                c.measure(fleet);
            }
        }
        // Fleet changes are read on start (and after missing part of the log); another
        // replica's move of one is applied on its own (`reread_change`).
        gov.changes = match fleet {
            None => self.load_changes().await?,
            Some(_) => self.governance().changes.clone(),
        };
        *self.governance.write() = Arc::new(gov);
        Ok(())
    }

    /// Adds to `change` what governance derives from a re-evaluation into `next`: the events
    /// of entities whose standing moved, today's progress of the campaigns whose counts moved
    /// (every campaign is measured afresh when `touched` is `None`) and campaign state changes. Returns the governance to
    /// publish once the change is committed.
    pub(super) fn derive(
        &self,
        mut gov: Governance,
        next: &Fleet,
        moved: &[Moved],
        touched: Option<&[EntityRef]>,
        change: &mut ChangeSet,
        now: DateTime<Utc>,
    ) -> Governance {
        let mut out: Vec<Event> = moved
            .iter()
            .flat_map(|(r, before, after)| {
                events::entity_events(&r.to_string(), before, after, now)
            })
            .collect();
        for c in &mut gov.campaigns {
            let moved = match touched {
                Some(t) => c.recount(next, t),
                None => {
                    c.measure(next);
                    true
                }
            };
            if moved {
                change.campaign_progress.push(ProgressRow {
                    campaign_id: c.campaign.id.clone(),
                    progress: serde_json::to_value(&c.counts).unwrap_or(Value::Null),
                });
            }
            let state = c.campaign.state(&c.counts, now);
            if state != c.state {
                out.push(events::campaign_event(
                    &c.campaign.id,
                    c.state.as_str(),
                    state.as_str(),
                    now,
                ));
                c.state = state;
                change.campaigns.push(campaign_row(c));
            }
        }
        self.enqueue(out, change);
        gov
    }

    /// Whether any webhook is configured (without one, no event is derived).
    pub fn emits_events(&self) -> bool {
        !self.webhooks.is_empty()
    }

    /// One outbox row per event and webhook (none when no webhook is configured).
    pub(super) fn enqueue(&self, events: Vec<Event>, change: &mut ChangeSet) {
        // Delivery runs on the wall clock, whatever clock judges exemptions.
        let due = Utc::now();
        for e in events {
            let body = e.body();
            for w in self.webhooks.iter() {
                change.events.push(OutboxRow {
                    event_id: e.id.clone(),
                    target: w.url.clone(),
                    event_type: e.event_type.clone(),
                    payload: body.clone(),
                    created_at: e.occurred_at,
                    attempts: 0,
                    next_attempt_at: due,
                });
            }
        }
    }

    /// Publishes what a committed change derived.
    pub(super) fn publish_governance(&self, gov: Governance, wake_delivery: bool) {
        *self.governance.write() = Arc::new(gov);
        if wake_delivery {
            self.outbox_wake.notify_one();
        }
    }

    /// Re-evaluates `entity` with the exemptions of `gov`, writing `change` with it.
    async fn apply_exemptions(
        &self,
        gov: Governance,
        entity: Option<EntityRef>,
        change: ChangeSet,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let mut next = (*self.fleet()).clone();
        next.exemptions = Arc::new(exemptions::applying(&gov.exemptions, now));
        let touched: Vec<EntityRef> = entity.into_iter().collect();
        let scope = entities_scope(&touched, true, true);
        self.reevaluate_governed(next, &touched, change, now, gov, Ending::Commit(scope))
            .await?;
        // The soonest expiry may have changed.
        self.wake.notify_one();
        Ok(())
    }

    /// Creates an exemption (validated; author from the token) and re-evaluates its entity.
    pub async fn create_exemption(
        &self,
        req: &ExemptionRequest,
        author: &str,
    ) -> Result<ExemptionRecord, ServiceError> {
        let _turn = self.turn().await?;
        let fleet = self.fleet();
        let now = self.now();
        let record = exemptions::validate(
            req,
            &fleet.engine,
            &fleet.catalog,
            author,
            now,
            self.settings.exemptions.max_days,
        )
        .map_err(invalid_exemption)?;
        let mut gov = (*self.governance()).clone();
        gov.exemptions.push(record.clone());
        let change = ChangeSet {
            exemptions: vec![exemption_row(&record)],
            audit: vec![audit_row("created", author, now, &record)],
            ..Default::default()
        };
        self.apply_exemptions(gov, record.entity_ref(), change, now)
            .await?;
        Ok(record)
    }

    /// Revokes an active exemption and re-evaluates its entity.
    pub async fn revoke_exemption(
        &self,
        id: &str,
        by: &str,
    ) -> Result<ExemptionRecord, ServiceError> {
        let _turn = self.turn().await?;
        let now = self.now();
        let mut gov = (*self.governance()).clone();
        let Some(record) = gov.exemptions.iter_mut().find(|r| r.id == id) else {
            return Err(ServiceError::Missing(format!("no exemption `{id}`")));
        };
        if record.state != ExemptionState::Active {
            return Err(invalid_exemption(vec![FieldError::new(
                "/id",
                format!("exemption `{id}` is already {}", record.state.as_str()),
            )]));
        }
        record.state = ExemptionState::Revoked;
        record.revoked_at = Some(now);
        record.revoked_by = Some(by.to_string());
        let record = record.clone();
        let change = ChangeSet {
            exemptions: vec![exemption_row(&record)],
            audit: vec![audit_row("revoked", by, now, &record)],
            ..Default::default()
        };
        self.apply_exemptions(gov, record.entity_ref(), change, now)
            .await?;
        Ok(record)
    }

    /// What time alone changes: exemptions that ran out (recorded as `expired` once, their
    /// entities re-evaluated), campaigns whose start or deadline passed, and fleet changes the
    /// controller moves on (a soak ended, an evaluation made a wave's criteria hold).
    pub async fn tick(&self) -> Result<(), ServiceError> {
        let moves = |gov: &Governance, now| {
            let due: Vec<String> = exemptions::due(&gov.exemptions, now)
                .into_iter()
                .map(|r| r.id.clone())
                .collect();
            let campaigns_move = gov
                .campaigns
                .iter()
                .any(|c| c.campaign.state(&c.counts, now) != c.state);
            (due, campaigns_move)
        };
        // The fleet changes' controller (its own turn, when something moves).
        self.control_changes().await?;
        // Nothing due: no turn taken (it would wait on the other replicas' writes for nothing).
        let (due, campaigns_move) = moves(&self.governance(), self.now());
        if due.is_empty() && !campaigns_move {
            return Ok(());
        }
        let _turn = self.turn().await?;
        let now = self.now();
        let mut gov = (*self.governance()).clone();
        let (due, campaigns_move) = moves(&gov, now);
        if due.is_empty() && !campaigns_move {
            return Ok(());
        }
        let mut change = ChangeSet::default();
        let mut touched = Vec::new();
        for r in gov.exemptions.iter_mut().filter(|r| due.contains(&r.id)) {
            r.state = ExemptionState::Expired;
            change.exemptions.push(exemption_row(r));
            change
                .audit
                .push(audit_row("expired", SYSTEM_ACTOR, now, r));
            touched.extend(r.entity_ref());
            tracing::info!(exemption = %r.id, entity = %r.entity, "exemption expired");
        }
        touched.sort();
        touched.dedup();
        let mut next = (*self.fleet()).clone();
        next.exemptions = Arc::new(exemptions::applying(&gov.exemptions, now));
        let scope = entities_scope(&touched, true, true);
        self.reevaluate_governed(next, &touched, change, now, gov, Ending::Commit(scope))
            .await?;
        Ok(())
    }

    /// When time alone next changes something: the soonest expiry or campaign boundary.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        let gov = self.governance();
        let now = self.now();
        let campaigns = gov
            .campaigns
            .iter()
            .filter_map(|c| c.campaign.next_boundary(now));
        exemptions::next_expiry(&gov.exemptions)
            .into_iter()
            .chain(campaigns)
            .chain(self.next_change_deadline())
            .min()
    }

    /// Creates a campaign and measures it at once.
    pub async fn create_campaign(
        &self,
        req: &CampaignRequest,
        author: &str,
    ) -> Result<Campaign, ServiceError> {
        let _turn = self.turn().await?;
        let fleet = self.fleet();
        let now = self.now();
        let campaign = campaigns::validate(req, &fleet, author, now).map_err(invalid_campaign)?;
        let mut entry = CampaignEntry::new(campaign.clone(), CampaignState::Scheduled);
        entry.measure(&fleet);
        entry.state = campaign.state(&entry.counts, now);
        let mut change = ChangeSet {
            campaigns: vec![campaign_row(&entry)],
            campaign_progress: vec![ProgressRow {
                campaign_id: campaign.id.clone(),
                progress: serde_json::to_value(&entry.counts).unwrap_or(Value::Null),
            }],
            ..Default::default()
        };
        self.finish(
            &mut change,
            Ending::Commit(entities_scope(&[], true, true)),
            now,
        )
        .await?;
        let mut gov = (*self.governance()).clone();
        gov.campaigns.push(entry);
        self.publish_governance(gov, false);
        self.wake.notify_one();
        Ok(campaign)
    }
}

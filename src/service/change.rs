//! Changes: pushed facts and refreshes re-evaluate only the entities they touch and the groups
//! above them; catalog changes re-evaluate the entities and groups involved.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::collectors::FactError;
use super::governance::{Governance, Moved};
use super::load::{collector_facts, insert_sorted};
use super::replica::{Ending, entities_scope};
use super::{App, ServiceError};
use crate::catalog::EntityRef;
use crate::evaluate::Engine;
use crate::governance::events::Standing;
use crate::health::{FactSet, Fleet, Scored, Staleness, view};
use crate::store::{ChangeSet, FactRow, GroupRow, ResultRow, StaleMark};

/// One item of `POST /api/v1/facts`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FactItem {
    /// Entity ref of a scored entity; kind defaults to `component`, namespace to `default`.
    #[schema(pattern = r"^\s*(?:[^:/\s]+:)?(?:[^:/\s]+/)?[^:/\s]+\s*$")]
    pub entity: String,
    /// A collector with a schema in `checks/collectors/` (e.g. `ci`, `github`, `custom`).
    #[schema(min_length = 1)]
    pub collector: String,
    /// Fact name → value; replaces what this collector said before about the entity.
    #[schema(value_type = Object)]
    pub facts: Value,
    /// When the facts were observed [default: now]; not in the future, nor before 1970.
    #[serde(default)]
    pub observed_at: Option<DateTime<Utc>>,
}

/// Why one item of a batch was refused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemError {
    pub index: usize,
    pub entity: String,
    pub collector: String,
    pub errors: Vec<FactError>,
}

/// One entity's new standing after a change.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityChange {
    pub entity: String,
    pub golden: bool,
    pub eligible: bool,
    pub levels: std::collections::BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushOutcome {
    pub accepted: usize,
    /// Entities re-evaluated, with their standing now.
    pub reevaluated: Vec<EntityChange>,
    /// Groups whose rollup was updated.
    pub groups: Vec<String>,
}

pub fn result_row(engine: &Engine, r: &EntityRef, s: &Scored) -> ResultRow {
    let statuses: Map<String, Value> = engine
        .checks
        .iter()
        .zip(&s.evaluation.statuses)
        .map(|(c, st)| (c.id().to_string(), Value::String(st.as_str().to_string())))
        .collect();
    ResultRow {
        entity_ref: r.to_string(),
        golden: s.evaluation.golden,
        eligible: s.evaluation.eligibility.eligible,
        levels: serde_json::to_value(view::levels(engine, s)).unwrap_or(Value::Null),
        statuses: Value::Object(statuses),
        blocking: serde_json::to_value(&s.evaluation.eligibility.reasons).unwrap_or(Value::Null),
        evaluated_at: s.evaluated_at,
    }
}

fn item_error(index: usize, item: &FactItem, path: &str, message: String) -> ItemError {
    ItemError {
        index,
        entity: item.entity.clone(),
        collector: item.collector.clone(),
        errors: vec![FactError {
            path: path.to_string(),
            message,
        }],
    }
}

impl App {
    /// Validates a batch (all or nothing), stores it, re-evaluates the entities it names.
    pub async fn push_facts(&self, items: Vec<FactItem>) -> Result<PushOutcome, ServiceError> {
        let _turn = self.turn().await?;
        let fleet = self.fleet();
        let collectors = self.collectors();
        let now = self.now();
        let mut errors = Vec::new();
        let mut rows = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let entity = match EntityRef::parse(&item.entity, Some("component"), "default") {
                Ok(r) => r,
                Err(e) => {
                    errors.push(item_error(i, item, "/entity", e.to_string()));
                    continue;
                }
            };
            let Some(found) = fleet.catalog.get(&entity) else {
                errors.push(item_error(
                    i,
                    item,
                    "/entity",
                    format!("{entity} is not in the catalog"),
                ));
                continue;
            };
            if !fleet.is_scored(found) {
                let scored = fleet.scored_kinds.join(", ");
                errors.push(item_error(
                    i,
                    item,
                    "/entity",
                    format!(
                        "{entity} is a {}, which is not scored (kinds scored: {scored}); facts are kept for scored entities only",
                        entity.kind()
                    ),
                ));
                continue;
            }
            let Some(collector) = collectors.get(&item.collector) else {
                let known = collectors.names().join(", ");
                errors.push(item_error(
                    i,
                    item,
                    "/collector",
                    format!("unknown collector `{}` (known: {known})", item.collector),
                ));
                continue;
            };
            if !item.facts.is_object() {
                errors.push(item_error(
                    i,
                    item,
                    "/facts",
                    "facts must be a JSON object".into(),
                ));
                continue;
            }
            let problems = collector.validate(&item.facts);
            if !problems.is_empty() {
                errors.push(ItemError {
                    index: i,
                    entity: item.entity.clone(),
                    collector: item.collector.clone(),
                    errors: problems,
                });
                continue;
            }
            // To the microsecond, as the stores keep it.
            let observed_at = item
                .observed_at
                .map_or(now, |t| chrono::SubsecRound::trunc_subsecs(t, 6));
            if observed_at > now + chrono::Duration::minutes(5) {
                errors.push(item_error(
                    i,
                    item,
                    "/observedAt",
                    format!("{observed_at} is in the future"),
                ));
                continue;
            }
            if observed_at < DateTime::UNIX_EPOCH {
                errors.push(item_error(
                    i,
                    item,
                    "/observedAt",
                    format!("{observed_at} is before 1970: no facts were observed then"),
                ));
                continue;
            }
            rows.push((
                entity,
                FactRow {
                    entity_ref: String::new(),
                    collector: item.collector.clone(),
                    facts: item.facts.clone(),
                    observed_at,
                },
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let mut next = (*fleet).clone();
        let mut touched: Vec<EntityRef> = Vec::new();
        let mut seen = FxHashSet::default();
        for (entity, row) in &mut rows {
            row.entity_ref = entity.to_string();
            let entity = &next.catalog.shared_ref(entity);
            let mut list = next
                .facts
                .get(entity)
                .map(|l| l.to_vec())
                .unwrap_or_default();
            match list.iter_mut().find(|c| *c.collector == *row.collector) {
                Some(c) if c.observed_at > row.observed_at => {} // an older batch: history only
                Some(c) => {
                    c.facts = FactSet::new(&row.facts);
                    c.observed_at = row.observed_at;
                    c.stale = None;
                }
                None => insert_sorted(&mut list, collector_facts(row)),
            }
            next.facts.insert(entity.clone(), list.into());
            if seen.insert(entity.clone()) {
                touched.push(entity.clone());
            }
        }
        let change = ChangeSet {
            facts: rows.into_iter().map(|(_, r)| r).collect(),
            ..Default::default()
        };
        let n = change.facts.len();
        let mut outcome = self.reevaluate(next, &touched, change, now).await?;
        outcome.accepted = n;
        Ok(outcome)
    }

    /// Marks the facts a collector could not refresh as stale (they keep counting). Marks on
    /// facts that do not exist are dropped; a repeated mark keeps its first `since`. Returns
    /// the entities marked.
    pub async fn mark_stale(
        &self,
        marks: &[(EntityRef, String, String)],
    ) -> Result<Vec<EntityRef>, ServiceError> {
        let _turn = self.turn().await?;
        let now = self.now();
        let mut next = (*self.fleet()).clone();
        let mut rows = Vec::new();
        let mut marked = Vec::new();
        for (r, collector, reason) in marks {
            let Some(list) = next.facts.get(r) else {
                continue;
            };
            let mut list = list.to_vec();
            let Some(c) = list.iter_mut().find(|c| *c.collector == **collector) else {
                continue;
            };
            let since = c.stale.as_ref().map_or(now, |s| s.since);
            c.stale = Some(Box::new(Staleness {
                reason: reason.clone(),
                since,
            }));
            next.facts.insert(r.clone(), list.into());
            rows.push(StaleMark {
                entity_ref: r.to_string(),
                collector: collector.clone(),
                reason: reason.clone(),
                since,
            });
            marked.push(r.clone());
        }
        if !rows.is_empty() {
            let mut change = ChangeSet {
                stale: rows,
                ..Default::default()
            };
            let scope = entities_scope(&marked, false, false);
            self.finish(&mut change, Ending::Commit(scope), now).await?;
            self.publish(next);
        }
        Ok(marked)
    }

    /// Re-evaluates entities now (e.g. after an exemption expired, or on request).
    pub async fn refresh(&self, entities: &[EntityRef]) -> Result<PushOutcome, ServiceError> {
        let _turn = self.turn().await?;
        let fleet = self.fleet();
        for r in entities {
            if !fleet.scored.contains_key(r) {
                return Err(ServiceError::NotFound(r.to_string()));
            }
        }
        let now = self.now();
        self.reevaluate((*fleet).clone(), entities, ChangeSet::default(), now)
            .await
    }

    /// Evaluates `touched` in `next`, updates the rollups above them, writes `change` plus the
    /// results in one transaction, then publishes `next`. Callers hold the writer lock.
    pub(super) async fn reevaluate(
        &self,
        next: Fleet,
        touched: &[EntityRef],
        change: ChangeSet,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, ServiceError> {
        let gov = (*self.governance()).clone();
        let scope = entities_scope(touched, true, false);
        self.reevaluate_governed(next, touched, change, now, gov, Ending::Commit(scope))
            .await
    }

    /// [`App::reevaluate`] with the governance `gov` (exemptions and campaigns as the change
    /// leaves them); the events and campaign progress it derives go into the same transaction.
    /// Replaying another replica's change, nothing is written.
    pub(super) async fn reevaluate_governed(
        &self,
        mut next: Fleet,
        touched: &[EntityRef],
        mut change: ChangeSet,
        now: DateTime<Utc>,
        gov: Governance,
        ending: Ending,
    ) -> Result<PushOutcome, ServiceError> {
        let started = std::time::Instant::now();
        let updates: Vec<(EntityRef, Arc<Scored>)> = touched
            .iter()
            .filter_map(|r| {
                let e = next.catalog.get(r).filter(|e| next.is_scored(e))?;
                Some((
                    r.clone(),
                    Arc::new(Scored {
                        evaluation: Arc::new(next.evaluate_entity(e, now)),
                        evaluated_at: now,
                    }),
                ))
            })
            .collect();
        let tallies: FxHashMap<EntityRef, crate::health::Tally> = next.retally(&updates);
        let moved: Vec<Moved> = updates
            .iter()
            .filter(|_| self.emits_events())
            .filter_map(|(r, s)| {
                let old = next.scored.get(r)?;
                let (before, after) = (
                    Standing::of(&next.engine, old),
                    Standing::of(&next.engine, s),
                );
                (before != after).then(|| (r.clone(), before, after))
            })
            .collect();
        for (r, s) in &updates {
            change.results.push(result_row(&next.engine, r, s));
            next.scored.insert(r.clone(), s.clone());
        }
        let mut groups = Vec::new();
        for (g, t) in tallies {
            let rollup = next.rollup(&g, &t);
            change.aggregates.push(GroupRow {
                group_ref: g.to_string(),
                summary: serde_json::to_value(&rollup).unwrap_or(Value::Null),
            });
            groups.push(g.to_string());
            next.tallies.insert(g, Arc::new(t));
        }
        groups.sort();
        next.evaluated_at = now;
        let gov = self.derive(gov, &next, &moved, Some(touched), &mut change, now);
        let events = !change.events.is_empty();
        self.finish(&mut change, ending, now).await?;
        self.publish_governance(gov, events);
        metrics::histogram!("tech_health_evaluation_seconds", "scope" => "entities")
            .record(started.elapsed().as_secs_f64());
        let reevaluated = updates
            .iter()
            .map(|(r, s)| EntityChange {
                entity: r.to_string(),
                golden: s.evaluation.golden,
                eligible: s.evaluation.eligibility.eligible,
                levels: view::levels(&next.engine, s),
            })
            .collect();
        self.publish(next);
        Ok(PushOutcome {
            accepted: 0,
            reevaluated,
            groups,
        })
    }
}

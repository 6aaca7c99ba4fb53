//! Catalog changes over the API: entities added, changed or removed re-evaluate themselves and
//! whatever they own; rollups are recounted and only the changed ones written.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rustc_hash::FxHashSet;
use serde_json::Value;

use super::change::{ItemError, PushOutcome};
use super::collectors::FactError;
use super::load::stored;
use super::replica::Ending;
use super::{App, ServiceError};
use crate::catalog::{Catalog, Entity, EntityRef, parse_descriptors};
use crate::health::Fleet;
use crate::store::{ChangeScope, ChangeSet, GroupRow};

/// Entities posted by a client are marked with this source; file reloads leave them alone.
pub const API_SOURCE: &str = "api";

/// What a source sync changed.
#[derive(Debug, Clone, Default)]
pub struct SyncOutcome {
    /// Entities added or changed.
    pub upserted: Vec<EntityRef>,
    /// Entities gone from the source, removed with their facts.
    pub removed: Vec<EntityRef>,
    /// Entities the source gave that are not valid (skipped).
    pub errors: Vec<String>,
}

fn parse_entity(index: usize, body: &Value) -> Result<Entity, ItemError> {
    parse_entity_from(Path::new("request"), index, body)
}

fn parse_entity_from(file: &Path, index: usize, body: &Value) -> Result<Entity, ItemError> {
    let label = body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let fail = |message: String| ItemError {
        index,
        entity: label.clone(),
        collector: String::new(),
        errors: vec![FactError {
            path: String::new(),
            message,
        }],
    };
    let (mut parsed, problems) = parse_descriptors(file, &body.to_string());
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| p.message.clone())
        .collect();
    if !errors.is_empty() {
        return Err(fail(errors.join("; ")));
    }
    match (parsed.pop(), parsed.is_empty()) {
        (Some(e), true) => Ok(e),
        _ => Err(fail("expected one entity".into())),
    }
}

impl App {
    /// Adds or replaces entities (Backstage envelopes), all or nothing.
    pub async fn upsert_entities(&self, bodies: &[Value]) -> Result<PushOutcome, ServiceError> {
        let mut entities = Vec::new();
        let mut errors = Vec::new();
        for (i, b) in bodies.iter().enumerate() {
            match parse_entity(i, b) {
                Ok(e) => entities.push(e),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        // The same entity twice in one batch: the later replaces the earlier, as two requests
        // would (the store cannot write one row twice in one statement).
        let mut seen = FxHashSet::default();
        entities.reverse();
        entities.retain(|e| seen.insert(e.entity_ref.clone()));
        entities.reverse();
        let _writer = self.turn().await?;
        let fleet = self.fleet();
        let changed: FxHashSet<EntityRef> = entities.iter().map(|e| e.entity_ref.clone()).collect();
        let mut all: Vec<Entity> = fleet
            .catalog
            .entities()
            .iter()
            .filter(|e| !changed.contains(&e.entity_ref))
            .cloned()
            .collect();
        let change = ChangeSet {
            upsert_entities: entities
                .iter()
                .map(|e| stored(e, API_SOURCE.into()))
                .collect(),
            ..Default::default()
        };
        all.extend(entities);
        self.commit_catalog(&fleet, Catalog::from_entities(all), changed, change)
            .await
    }

    /// Removes an entity with its facts, history and results.
    pub async fn delete_entity(&self, r: &EntityRef) -> Result<PushOutcome, ServiceError> {
        let _writer = self.turn().await?;
        let fleet = self.fleet();
        if fleet.catalog.get(r).is_none() {
            return Err(ServiceError::NotFound(r.to_string()));
        }
        let all: Vec<Entity> = fleet
            .catalog
            .entities()
            .iter()
            .filter(|e| e.entity_ref != *r)
            .cloned()
            .collect();
        let change = ChangeSet {
            delete_entities: vec![r.to_string()],
            ..Default::default()
        };
        self.commit_catalog(
            &fleet,
            Catalog::from_entities(all),
            FxHashSet::from_iter([r.clone()]),
            change,
        )
        .await
    }

    /// Replaces what a source (e.g. `collector:backstage`) gave before: new and changed entities
    /// are upserted, and — when `complete` — those it no longer has are removed with their facts,
    /// as are the `removed` ones it gave. Invalid entities are skipped and reported.
    pub async fn sync_source(
        &self,
        source: &str,
        bodies: &[Value],
        complete: bool,
        removed: &[EntityRef],
    ) -> Result<SyncOutcome, ServiceError> {
        let mut outcome = SyncOutcome::default();
        let mut incoming: rustc_hash::FxHashMap<EntityRef, Entity> = Default::default();
        for (i, b) in bodies.iter().enumerate() {
            match parse_entity_from(Path::new(source), i, b) {
                Ok(e) => {
                    incoming.insert(e.entity_ref.clone(), e);
                }
                Err(e) => outcome.errors.push(format!(
                    "{source}: entity `{}`: {}",
                    e.entity,
                    e.errors
                        .iter()
                        .map(|f| f.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            }
        }
        let _writer = self.turn().await?;
        let fleet = self.fleet();
        let ours = |e: &Entity| *e.origin.file == *Path::new(source);
        let changed: Vec<&Entity> = incoming
            .values()
            .filter(|e| {
                fleet
                    .catalog
                    .get(&e.entity_ref)
                    .is_none_or(|old| !ours(old) || old.to_envelope() != e.to_envelope())
            })
            .collect();
        let gone: Vec<EntityRef> = fleet
            .catalog
            .entities()
            .iter()
            .filter(|e| ours(e) && !incoming.contains_key(&e.entity_ref))
            .filter(|e| complete || removed.contains(&e.entity_ref))
            .map(|e| e.entity_ref.clone())
            .collect();
        if changed.is_empty() && gone.is_empty() {
            return Ok(outcome);
        }
        outcome.upserted = changed.iter().map(|e| e.entity_ref.clone()).collect();
        outcome.upserted.sort();
        outcome.removed = gone.clone();
        outcome.removed.sort();
        let mut touched: FxHashSet<EntityRef> = outcome.upserted.iter().cloned().collect();
        touched.extend(gone.iter().cloned());
        let change = ChangeSet {
            upsert_entities: changed
                .iter()
                .map(|e| stored(e, source.to_string()))
                .collect(),
            delete_entities: gone.iter().map(EntityRef::to_string).collect(),
            ..Default::default()
        };
        let mut all: Vec<Entity> = fleet
            .catalog
            .entities()
            .iter()
            .filter(|e| !touched.contains(&e.entity_ref))
            .cloned()
            .collect();
        all.extend(changed.into_iter().cloned());
        self.commit_catalog(&fleet, Catalog::from_entities(all), touched, change)
            .await?;
        Ok(outcome)
    }

    /// Applies a catalog change this replica makes, and commits it.
    async fn commit_catalog(
        &self,
        fleet: &Fleet,
        catalog: Catalog,
        changed: FxHashSet<EntityRef>,
        change: ChangeSet,
    ) -> Result<PushOutcome, ServiceError> {
        let scope = ChangeScope::Catalog {
            refs: changed.iter().map(EntityRef::to_string).collect(),
        };
        let now = self.now();
        self.apply_catalog(fleet, catalog, changed, change, now, Ending::Commit(scope))
            .await
    }

    /// Re-evaluates what a catalog change touches (the entities themselves, and what changed
    /// groups own) and ends the change (see [`Ending`]).
    pub(super) async fn apply_catalog(
        &self,
        fleet: &Fleet,
        catalog: Catalog,
        changed: FxHashSet<EntityRef>,
        mut change: ChangeSet,
        now: DateTime<Utc>,
        ending: Ending,
    ) -> Result<PushOutcome, ServiceError> {
        let mut next = fleet.clone();
        next.catalog = Arc::new(catalog);
        // What the change touches: the entities themselves, and what changed groups own.
        let mut touched: FxHashSet<EntityRef> = changed.iter().cloned().collect();
        for owned in fleet
            .catalog
            .owned_below(&changed)
            .into_iter()
            .chain(next.catalog.owned_below(&changed))
        {
            touched.insert(owned.entity_ref.clone());
        }
        for r in &touched {
            let scored = next
                .catalog
                .get(r)
                .filter(|e| next.is_scored(e))
                .map(|e| (e.entity_ref.clone(), next.evaluate_entity(e, now)));
            match scored {
                Some((r, evaluation)) => {
                    let s = Arc::new(crate::health::Scored {
                        evaluation: Arc::new(evaluation),
                        evaluated_at: now,
                    });
                    change
                        .results
                        .push(super::change::result_row(&next.engine, &r, &s));
                    next.scored.insert(r, s);
                }
                None => {
                    if next.scored.remove(r).is_some() {
                        change.delete_results.push(r.to_string());
                    }
                    if next.catalog.get(r).is_none() {
                        next.facts.remove(r);
                    }
                }
            }
        }
        let before = next.tallies.clone();
        next.tallies = next.recount();
        let mut groups = Vec::new();
        for (g, t) in &next.tallies {
            if before.get(g).is_none_or(|old| **old != **t) {
                let rollup = next.rollup(g, t);
                change.aggregates.push(GroupRow {
                    group_ref: g.to_string(),
                    summary: serde_json::to_value(&rollup).unwrap_or(Value::Null),
                });
                groups.push(g.to_string());
            }
        }
        for g in before.keys().filter(|g| !next.tallies.contains_key(*g)) {
            change.delete_aggregates.push(g.to_string());
        }
        groups.sort();
        next.evaluated_at = now;
        self.finish(&mut change, ending, now).await?;
        let mut reevaluated: Vec<_> = touched
            .iter()
            .filter_map(|r| {
                next.scored.get(r).map(|s| super::change::EntityChange {
                    entity: r.to_string(),
                    golden: s.evaluation.golden,
                    eligible: s.evaluation.eligibility.eligible,
                    levels: crate::health::view::levels(&next.engine, s),
                })
            })
            .collect();
        reevaluated.sort_by(|a, b| a.entity.cmp(&b.entity));
        self.publish(next);
        Ok(PushOutcome {
            accepted: changed.len(),
            reevaluated,
            groups,
        })
    }
}

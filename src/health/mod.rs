//! The evaluated fleet in memory: catalog, facts per collector, the latest evaluation of every
//! scored entity and the rollup of every group. Pure: the service decides when to change it
//! and persists what changed; readers get consistent answers from it in microseconds.

mod fact_set;
pub mod rollup;
pub mod view;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::catalog::{Catalog, Entity, EntityRef};
use crate::evaluate::{Engine, Evaluation, Exemption, Subject};
use crate::rules::version::version_of;
use crate::{facts, fleet};
pub use fact_set::FactSet;
pub use rollup::{GroupRollup, GroupSummary, Tally};

/// One collector's latest facts about an entity.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectorFacts {
    /// Shared with every other batch of the same collector ([`crate::intern::shared`]).
    pub collector: Arc<str>,
    pub facts: FactSet,
    pub observed_at: DateTime<Utc>,
    /// Set when the collector could not refresh them: they still count, marked. (Boxed: a
    /// fleet holds hundreds of thousands of these, and few are stale.)
    pub stale: Option<Box<Staleness>>,
}

/// Every collector's facts about one entity (one allocation: a fleet holds hundreds of
/// thousands).
pub type EntityFacts = Arc<[CollectorFacts]>;

/// How an entity uses one technology ([`Fleet::technology`]).
#[derive(Debug, Clone, PartialEq)]
pub enum TechnologyUse {
    /// The entity has no `technologies` fact (a list).
    Unreported,
    /// The fact does not list the technology.
    Unused,
    /// Listed: its version (`None` when absent or unreadable) and the whole entry.
    Used {
        version: Option<semver::Version>,
        entry: Value,
    },
}

/// Why facts are stale, and since when.
#[derive(Debug, Clone, PartialEq)]
pub struct Staleness {
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// Facts of one collector that it could not refresh, as the health of an entity shows them.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct StaleFacts {
    pub collector: String,
    /// Why the collector could not refresh them.
    pub reason: String,
    /// Since when they are stale.
    pub since: DateTime<Utc>,
    /// When the facts that still count were observed.
    pub observed_at: DateTime<Utc>,
}

/// The latest evaluation of one entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Shared with the previous evaluation when a full re-evaluation finds it unchanged.
    pub evaluation: Arc<Evaluation>,
    pub evaluated_at: DateTime<Utc>,
}

/// The whole evaluated fleet.
#[derive(Clone)]
pub struct Fleet {
    pub engine: Arc<Engine>,
    pub catalog: Arc<Catalog>,
    /// Kinds that are scored (lower-case), e.g. `component`.
    pub scored_kinds: Arc<Vec<String>>,
    /// Persistent maps: a change clones the fleet in O(1) and copies only what it touches.
    pub facts: imbl::HashMap<EntityRef, EntityFacts>,
    pub exemptions: Arc<FxHashMap<EntityRef, Vec<Exemption>>>,
    pub scored: imbl::OrdMap<EntityRef, Arc<Scored>>,
    pub tallies: imbl::HashMap<EntityRef, Arc<Tally>>,
    /// When the last change was evaluated.
    pub evaluated_at: DateTime<Utc>,
}

impl Fleet {
    /// A fleet with nothing evaluated yet; call [`Fleet::evaluate_all`].
    pub fn new(engine: Arc<Engine>, catalog: Arc<Catalog>, scored_kinds: Vec<String>) -> Fleet {
        Fleet {
            engine,
            catalog,
            scored_kinds: Arc::new(scored_kinds),
            facts: imbl::HashMap::new(),
            exemptions: Arc::default(),
            scored: imbl::OrdMap::new(),
            tallies: imbl::HashMap::new(),
            evaluated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    pub fn is_scored(&self, entity: &Entity) -> bool {
        self.scored_kinds
            .iter()
            .any(|k| k == "all" || k == entity.entity_ref.kind())
    }

    /// The entity's facts, one slot per fact the standards read: the catalog's own first, then
    /// every collector's, the most recently observed winning.
    pub fn facts_row(&self, entity: &Entity) -> Vec<Option<Value>> {
        let mut row = self.engine.empty_facts();
        facts::catalog::fill(entity, &self.engine.facts, &mut row);
        if let Some(collected) = self.facts.get(&entity.entity_ref) {
            let mut ordered: Vec<&CollectorFacts> = collected.iter().collect();
            ordered.sort_by_key(|c| c.observed_at);
            for c in ordered {
                let mut facts = c.facts.map();
                for (slot, name) in self.engine.facts.names().iter().enumerate() {
                    if let Some(v) = facts.swap_remove(name) {
                        row[slot] = Some(v);
                    }
                }
            }
        }
        row
    }

    /// The collectors whose facts about `entity` are stale, by collector name.
    pub fn stale_facts(&self, entity: &EntityRef) -> Vec<StaleFacts> {
        let mut out: Vec<StaleFacts> = self
            .facts
            .get(entity)
            .into_iter()
            .flat_map(|list| list.iter())
            .filter_map(|c| {
                let s = c.stale.as_ref()?;
                Some(StaleFacts {
                    collector: c.collector.to_string(),
                    reason: s.reason.clone(),
                    since: s.since,
                    observed_at: c.observed_at,
                })
            })
            .collect();
        out.sort_by(|a, b| a.collector.cmp(&b.collector));
        out
    }

    /// The latest value of a fact about an entity from any collector (not the catalog's own).
    pub fn fact(&self, entity: &EntityRef, name: &str) -> Option<Value> {
        // Each collector's facts parsed once (not once to find the source, again to read it).
        self.facts
            .get(entity)?
            .iter()
            .filter_map(|c| Some((c.observed_at, c.facts.get(name)?)))
            .max_by_key(|(at, _)| *at)
            .map(|(_, v)| v)
    }

    /// How an entity uses technology `id`, as its latest `technologies` fact lists it.
    pub fn technology(&self, entity: &EntityRef, id: &str) -> TechnologyUse {
        let Some(Value::Array(mut list)) = self.fact(entity, "technologies") else {
            return TechnologyUse::Unreported;
        };
        match list
            .iter()
            .position(|t| t.get("id").and_then(Value::as_str) == Some(id))
        {
            Some(i) => {
                let entry = list.swap_remove(i);
                TechnologyUse::Used {
                    version: entry.get("version").and_then(version_of),
                    entry,
                }
            }
            None => TechnologyUse::Unused,
        }
    }

    /// The collector batch the latest value of a fact comes from; `None` when no collector
    /// reported it (the value, if any, is the catalog's own).
    pub fn fact_source(&self, entity: &EntityRef, name: &str) -> Option<&CollectorFacts> {
        self.facts
            .get(entity)?
            .iter()
            .filter(|c| c.facts.contains_key(name))
            .max_by_key(|c| c.observed_at)
    }

    pub fn evaluate_entity(&self, entity: &Entity, now: DateTime<Utc>) -> Evaluation {
        let row = self.facts_row(entity);
        let exemptions = self
            .exemptions
            .get(&entity.entity_ref)
            .map_or(&[][..], Vec::as_slice);
        self.engine.evaluate(
            &Subject {
                entity: &entity.entity_ref,
                facts: &row,
                owner_in_catalog: entity.owner().map(|o| self.catalog.get(o).is_some()),
                exemptions,
                messages: true,
            },
            now,
        )
    }

    /// Evaluates every scored entity (on every core) and recounts every group. An evaluation
    /// equal to the entity's in `previous` is shared with it rather than held twice.
    pub fn evaluate_all(
        &mut self,
        previous: &imbl::OrdMap<EntityRef, Arc<Scored>>,
        now: DateTime<Utc>,
    ) {
        let entities: Vec<&Entity> = self
            .catalog
            .entities()
            .iter()
            .filter(|e| self.is_scored(e))
            .collect();
        let scored: Vec<(EntityRef, Arc<Scored>)> = entities
            .par_iter()
            .map(|e| {
                (
                    e.entity_ref.clone(),
                    Arc::new(Scored {
                        evaluation: Self::share(
                            self.evaluate_entity(e, now),
                            previous.get(&e.entity_ref),
                        ),
                        evaluated_at: now,
                    }),
                )
            })
            .collect();
        self.scored = scored.into_iter().collect();
        self.evaluated_at = now;
        self.tallies = self.recount();
    }

    /// `evaluation`, shared with `previous`'s when they are equal.
    fn share(evaluation: Evaluation, previous: Option<&Arc<Scored>>) -> Arc<Evaluation> {
        match previous {
            Some(p) if *p.evaluation == evaluation => p.evaluation.clone(),
            _ => Arc::new(evaluation),
        }
    }

    pub fn recount(&self) -> imbl::HashMap<EntityRef, Arc<Tally>> {
        let mut tallies: FxHashMap<EntityRef, Tally> = self
            .catalog
            .entities()
            .iter()
            .filter(|e| e.entity_ref.kind() == "group")
            .map(|e| (e.entity_ref.clone(), Tally::new(&self.engine)))
            .collect();
        for (r, s) in &self.scored {
            for g in self.groups_of(r) {
                if let Some(t) = tallies.get_mut(&g) {
                    t.apply(&s.evaluation, 1);
                }
            }
        }
        tallies.into_iter().map(|(g, t)| (g, Arc::new(t))).collect()
    }

    /// The groups an entity counts for: its owning group and every group above it.
    pub fn groups_of(&self, entity: &EntityRef) -> Vec<EntityRef> {
        let Some(owner) = self.catalog.get(entity).and_then(Entity::owner) else {
            return Vec::new();
        };
        if owner.kind() != "group" || self.catalog.get(owner).is_none() {
            return Vec::new();
        }
        let mut out = vec![owner.clone()];
        out.extend(self.catalog.ancestors(owner));
        out
    }

    /// New tallies of the groups touched when `updates` replace the current evaluations.
    pub fn retally(&self, updates: &[(EntityRef, Arc<Scored>)]) -> FxHashMap<EntityRef, Tally> {
        let mut changed: FxHashMap<EntityRef, Tally> = FxHashMap::default();
        for (r, new) in updates {
            for g in self.groups_of(r) {
                let Some(current) = self.tallies.get(&g) else {
                    continue;
                };
                let t = changed.entry(g).or_insert_with(|| (**current).clone());
                if let Some(old) = self.scored.get(r) {
                    t.apply(&old.evaluation, -1);
                }
                t.apply(&new.evaluation, 1);
            }
        }
        changed
    }

    /// The rollup of one group as served and stored.
    pub fn rollup(&self, group: &EntityRef, tally: &Tally) -> GroupRollup {
        let title = self
            .catalog
            .get(group)
            .and_then(|g| g.metadata.title.as_deref());
        tally.rollup(
            &self.engine,
            &group.to_string(),
            title,
            self.catalog.is_department(group),
        )
    }

    /// The wave an eligible entity's rules put it in before any cap (caps apply per change:
    /// see [`Fleet::waves`]); `None` when it is not eligible or no waves are defined.
    pub fn natural_wave(&self, entity: &EntityRef) -> Option<usize> {
        let s = self.scored.get(entity)?;
        self.natural_wave_in(s, &self.groups_of(entity))
    }

    /// [`Fleet::natural_wave`] of an evaluation, given the groups its entity counts for.
    fn natural_wave_in(&self, s: &Scored, groups: &[EntityRef]) -> Option<usize> {
        self.natural_wave_of(&self.engine.policy.rollout, s, groups)
    }

    /// The wave of an evaluation in `rollout`, given the groups its entity counts for.
    fn natural_wave_of(
        &self,
        rollout: &fleet::Rollout,
        s: &Scored,
        groups: &[EntityRef],
    ) -> Option<usize> {
        if !s.evaluation.eligibility.eligible {
            return None;
        }
        rollout.natural_wave(&fleet::waves::Standing {
            groups,
            statuses: &s.evaluation.statuses,
            standings: &s.evaluation.standings,
        })
    }

    /// The wave of each of `members` in one change (e.g. `log4j-core<2.17.1`; per-owner caps
    /// count within it), in their order: `None` for those not eligible, and for every one
    /// when no waves are defined.
    pub fn waves(&self, change: &str, members: &[(&Entity, &Scored)]) -> Vec<Option<u32>> {
        self.waves_with(&self.engine.policy.rollout, change, members)
    }

    /// [`Fleet::waves`] in other waves than the fleet policy's (a fleet change's own).
    pub fn waves_with(
        &self,
        rollout: &fleet::Rollout,
        change: &str,
        members: &[(&Entity, &Scored)],
    ) -> Vec<Option<u32>> {
        let mut out = vec![None; members.len()];
        if rollout.is_empty() {
            return out;
        }
        // The groups an entity counts for follow from its owner: found once per owner (per
        // piece of work).
        let natural: Vec<Option<usize>> = members
            .par_iter()
            .map_init(FxHashMap::default, |groups_by_owner, &(e, s)| {
                let groups = groups_by_owner
                    .entry(e.owner())
                    .or_insert_with(|| self.groups_of(&e.entity_ref));
                self.natural_wave_of(rollout, s, groups)
            })
            .collect();
        let mut at = Vec::new();
        let mut candidates = Vec::new();
        for (i, (&(e, _), natural)) in members.iter().zip(natural).enumerate() {
            if let Some(natural) = natural {
                at.push(i);
                candidates.push(fleet::waves::Candidate {
                    entity: &e.entity_ref,
                    owner: e.owner(),
                    natural,
                });
            }
        }
        let waves = rollout.assign(&candidates, change);
        for (i, w) in at.into_iter().zip(waves) {
            out[i] = Some(w);
        }
        out
    }

    /// Every entity owned by `group` or a group below it that is scored, in ref order.
    pub fn owned_scored(&self, group: &EntityRef) -> Vec<&EntityRef> {
        let mut refs: Vec<&EntityRef> = self
            .catalog
            .owned_by(group, true)
            .into_iter()
            .map(|e| &e.entity_ref)
            .filter(|r| self.scored.contains_key(*r))
            .collect();
        refs.sort();
        refs
    }
}

#[cfg(test)]
mod tests {
    use super::{CollectorFacts, FactSet, Fleet};
    use crate::catalog::{Catalog, EntityRef};
    use crate::config::{self, ConfigSource};
    use crate::source::BundledFiles;
    use serde_json::json;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn example_fleet() -> Fleet {
        let source = ConfigSource {
            files: &BundledFiles,
            dir: PathBuf::new(),
        };
        let engine = config::load(&source, None)
            .expect("bundled standards")
            .engine;
        let catalog = Catalog::load(
            &BundledFiles,
            &[PathBuf::from("examples/fleet/catalog-info.yaml")],
        );
        Fleet::new(
            Arc::new(engine),
            Arc::new(catalog),
            vec!["component".into()],
        )
    }

    #[test]
    fn a_full_re_evaluation_shares_the_evaluations_that_did_not_change() {
        let now = chrono::Utc::now();
        let mut before = example_fleet();
        before.evaluate_all(&imbl::OrdMap::new(), now);
        let moved: EntityRef = "component:default/campaign-reporting".parse().unwrap();
        let mut after = example_fleet();
        let facts = CollectorFacts {
            collector: crate::intern::shared("ci"),
            facts: FactSet::new(&json!({"testCoverage": 97.5, "ciGreenOnDefaultBranch": true})),
            observed_at: now,
            stale: None,
        };
        after.facts.insert(moved.clone(), Arc::from([facts]));
        after.evaluate_all(&before.scored, now);

        assert!(before.scored.len() > 50, "{}", before.scored.len());
        assert_eq!(before.scored.len(), after.scored.len());
        for (r, s) in &after.scored {
            let old = &before.scored[r];
            if *r == moved {
                assert_ne!(old.evaluation, s.evaluation, "the pushed facts move it");
                assert!(!Arc::ptr_eq(&old.evaluation, &s.evaluation));
            } else {
                assert!(Arc::ptr_eq(&old.evaluation, &s.evaluation), "{r}");
            }
        }
    }
}

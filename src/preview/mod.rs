//! Impact preview: the fleet evaluated against candidate standards, compared with the fleet as
//! it stands — who drops a level, who loses golden state or eligibility, per department.
//! Pure: evaluations in, a comparison out; nothing is stored.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::catalog::{Catalog, EntityRef};
use crate::evaluate::{Engine, Evaluation};
pub use crate::governance::events::Standing;
use crate::health::Fleet;

/// An entity whose standing changes.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityImpact {
    pub entity: String,
    pub owner: Option<String>,
    pub department: Option<String>,
    pub before: Standing,
    pub after: Standing,
    /// Tracks in which it holds a lower level after.
    pub dropped_in: Vec<String>,
}

/// Counts over a set of entities.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImpactCounts {
    pub entities: usize,
    /// Entities whose levels, golden state or eligibility change.
    pub changed: usize,
    /// Entities that hold a lower level in at least one track.
    pub dropped: usize,
    /// Entities that hold a higher level in at least one track.
    pub raised: usize,
    pub golden_before: usize,
    pub golden_after: usize,
    pub lost_golden: usize,
    pub gained_golden: usize,
    pub eligible_before: usize,
    pub eligible_after: usize,
    pub lost_eligibility: usize,
    pub gained_eligibility: usize,
}

/// The answer of a preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub summary: ImpactCounts,
    /// Department (nearest group with child groups above the owner) → counts; entities without
    /// a known owning group count under `(none)`.
    pub departments: BTreeMap<String, ImpactCounts>,
    /// Only the entities whose standing changes, in ref order.
    pub entities: Vec<EntityImpact>,
}

/// One entity evaluated before and after.
pub struct Pair<'a> {
    pub entity: &'a EntityRef,
    pub owner: Option<&'a EntityRef>,
    pub department: Option<EntityRef>,
    pub before: &'a Evaluation,
    pub after: &'a Evaluation,
}

fn standing(engine: &Engine, ev: &Evaluation) -> (Standing, BTreeMap<String, Option<usize>>) {
    let mut levels = BTreeMap::new();
    let mut ranks = BTreeMap::new();
    for (t, s) in engine.tracks.iter().zip(&ev.standings) {
        if let Some(s) = s {
            levels.insert(t.def.id.clone(), t.level_id(s.level).map(str::to_string));
            ranks.insert(t.def.id.clone(), s.level);
        }
    }
    (Standing::with_levels(levels, ev), ranks)
}

impl ImpactCounts {
    fn add(&mut self, before: &Standing, after: &Standing, dropped: bool, raised: bool) {
        self.entities += 1;
        self.changed += usize::from(before != after);
        self.dropped += usize::from(dropped);
        self.raised += usize::from(raised);
        self.golden_before += usize::from(before.golden);
        self.golden_after += usize::from(after.golden);
        self.lost_golden += usize::from(before.golden && !after.golden);
        self.gained_golden += usize::from(!before.golden && after.golden);
        self.eligible_before += usize::from(before.eligible);
        self.eligible_after += usize::from(after.eligible);
        self.lost_eligibility += usize::from(before.eligible && !after.eligible);
        self.gained_eligibility += usize::from(!before.eligible && after.eligible);
    }
}

/// Compares every entity's standing under `before` and `after` standards. A level is compared
/// per track id; a track only one side has (added or removed) counts as neither drop nor rise.
pub fn compare(before: &Engine, after: &Engine, pairs: &[Pair]) -> Preview {
    let mut impact = Impact::default();
    impact.add(before, after, pairs);
    impact.finish()
}

/// A preview being counted, a batch of pairs at a time: only what changes is kept.
#[derive(Default)]
struct Impact {
    summary: ImpactCounts,
    departments: BTreeMap<String, ImpactCounts>,
    entities: Vec<EntityImpact>,
}

impl Impact {
    fn add(&mut self, before: &Engine, after: &Engine, pairs: &[Pair]) {
        let rows: Vec<(Standing, Standing, Vec<String>, bool)> = pairs
            .par_iter()
            .map(|p| {
                let (b, b_ranks) = standing(before, p.before);
                let (a, a_ranks) = standing(after, p.after);
                let mut dropped_in = Vec::new();
                let mut raised = false;
                for (track, old) in &b_ranks {
                    if let Some(new) = a_ranks.get(track) {
                        if new < old {
                            dropped_in.push(track.clone());
                        }
                        raised |= new > old;
                    }
                }
                (b, a, dropped_in, raised)
            })
            .collect();
        for (p, (b, a, dropped_in, raised)) in pairs.iter().zip(rows) {
            let dropped = !dropped_in.is_empty();
            self.summary.add(&b, &a, dropped, raised);
            let department = p.department.as_ref().map(EntityRef::to_string);
            self.departments
                .entry(department.clone().unwrap_or_else(|| "(none)".into()))
                .or_default()
                .add(&b, &a, dropped, raised);
            if b != a {
                self.entities.push(EntityImpact {
                    entity: p.entity.to_string(),
                    owner: p.owner.map(EntityRef::to_string),
                    department,
                    before: b,
                    after: a,
                    dropped_in,
                });
            }
        }
    }

    fn finish(mut self) -> Preview {
        self.entities.sort_by(|x, y| x.entity.cmp(&y.entity));
        Preview {
            summary: self.summary,
            departments: self.departments,
            entities: self.entities,
        }
    }
}

/// The department an entity counts for: the nearest group with child groups at or above its
/// owning group.
pub fn department_of(catalog: &Catalog, entity: &EntityRef) -> Option<EntityRef> {
    let owner = catalog.get(entity)?.owner()?;
    if owner.kind() != "group" || catalog.get(owner).is_none() {
        return None;
    }
    std::iter::once(owner.clone())
        .chain(catalog.ancestors(owner))
        .find(|g| catalog.is_department(g))
}

/// Previews `candidate` standards over the evaluated fleet, with the same facts, exemptions and
/// catalog, on every core. The fleet itself is not changed.
pub fn over_fleet(fleet: &Fleet, candidate: Engine, now: chrono::DateTime<chrono::Utc>) -> Preview {
    let mut after_fleet = fleet.clone();
    after_fleet.engine = std::sync::Arc::new(candidate);
    let refs: Vec<&EntityRef> = fleet.scored.keys().collect();
    // A batch at a time: a whole fleet's candidate evaluations and standings are never held.
    let mut impact = Impact::default();
    for batch in refs.chunks(4096) {
        let after: Vec<Option<Evaluation>> = batch
            .par_iter()
            .map(|r| {
                fleet
                    .catalog
                    .get(r)
                    .map(|e| after_fleet.evaluate_entity(e, now))
            })
            .collect();
        let pairs: Vec<Pair> = batch
            .iter()
            .zip(&after)
            .filter_map(|(r, after)| {
                Some(Pair {
                    entity: r,
                    owner: fleet.catalog.get(r).and_then(|e| e.owner()),
                    department: department_of(&fleet.catalog, r),
                    before: &fleet.scored.get(*r)?.evaluation,
                    after: after.as_ref()?,
                })
            })
            .collect();
        impact.add(&fleet.engine, &after_fleet.engine, &pairs);
    }
    impact.finish()
}

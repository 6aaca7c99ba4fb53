//! The rows an eligibility query selects, compiled once per request: the filter, the
//! technology, and the rollout waves of the query's change.

use std::ops::Range;

use rayon::prelude::*;
use serde_json::Value;

use super::row::{Levels, Row, repository};
use super::{EligibilityQuery, TechnologyFound};
use crate::api::entities::{EntityQuery, Filter};
use crate::api::error::ApiError;
use crate::catalog::{Entity, EntityRef};
use crate::health::{Fleet, Scored, TechnologyUse};
use crate::rules::version::VersionRange;

/// The technology filter, compiled.
struct Uses {
    id: String,
    range: Option<VersionRange>,
}

impl Uses {
    fn of(q: &EligibilityQuery) -> Result<Option<Uses>, ApiError> {
        match (&q.technology, &q.version) {
            (Some(id), range) => Ok(Some(Uses {
                id: id.clone(),
                range: range
                    .as_deref()
                    .map(VersionRange::parse)
                    .transpose()
                    .map_err(ApiError::BadRequest)?,
            })),
            (None, Some(_)) => Err(ApiError::BadRequest("`version` needs `technology`".into())),
            (None, None) => Ok(None),
        }
    }

    fn find(&self, fleet: &Fleet, r: &EntityRef) -> Option<TechnologyFound> {
        let TechnologyUse::Used { version, entry } = fleet.technology(r, &self.id) else {
            return None;
        };
        if let Some(range) = &self.range
            && !version.is_some_and(|v| range.matches(&v))
        {
            return None;
        }
        let text =
            |v: Option<&Value>| v.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
        Some(TechnologyFound {
            id: self.id.clone(),
            version: text(entry.get("version")),
            source: text(entry.get("source")),
        })
    }
}

/// What a query selects, over the scored entities in ref order.
pub(super) struct Selection<'a> {
    fleet: &'a Fleet,
    filter: Filter<'a>,
    wave: Option<u32>,
    /// The scored entities, in ref order; the vectors below are indexed alike.
    entities: Vec<(&'a EntityRef, &'a Scored)>,
    /// With a technology filter: where each entity uses it at the version (`None`: not).
    found: Option<Vec<Option<TechnologyFound>>>,
    /// The wave of each entity in the query's change.
    waves: Vec<Option<u32>>,
    /// Track indexes in id order, the order of `levels`.
    tracks: Vec<usize>,
}

impl<'a> Selection<'a> {
    /// Compiles the query; a bad filter, range or owner is an error.
    pub(super) fn new(
        fleet: &'a Fleet,
        q: &EligibilityQuery,
        eq: &'a EntityQuery,
    ) -> Result<Selection<'a>, ApiError> {
        let filter = Filter::new(fleet, eq)?;
        let uses = Uses::of(q)?;
        let entities: Vec<(&EntityRef, &Scored)> =
            fleet.scored.iter().map(|(r, s)| (r, &**s)).collect();
        let found: Option<Vec<Option<TechnologyFound>>> = uses
            .as_ref()
            .map(|u| entities.par_iter().map(|(r, _)| u.find(fleet, r)).collect());
        // The change is every eligible entity using the technology at the version (the whole
        // fleet without a technology), whatever the other filters: caps count within it. Only
        // they are looked up in the catalog here; every row is, later, as it is written.
        let change = format!(
            "{}{}",
            q.technology.as_deref().unwrap_or_default(),
            q.version.as_deref().unwrap_or_default()
        );
        let in_change: Vec<(usize, (&Entity, &Scored))> = entities
            .par_iter()
            .enumerate()
            .filter(|&(i, (_, s))| {
                s.evaluation.eligibility.eligible
                    && found.as_ref().is_none_or(|found| found[i].is_some())
            })
            .filter_map(|(i, &(r, s))| Some((i, (fleet.catalog.get(r)?, s))))
            .collect();
        let members: Vec<(&Entity, &Scored)> = in_change.iter().map(|&(_, m)| m).collect();
        let mut waves = vec![None; entities.len()];
        for ((i, _), w) in in_change.iter().zip(fleet.waves(&change, &members)) {
            waves[*i] = w;
        }
        let mut tracks: Vec<usize> = (0..fleet.engine.tracks.len()).collect();
        tracks.sort_by_key(|&t| &fleet.engine.tracks[t].def.id);
        Ok(Selection {
            fleet,
            filter,
            wave: q.wave,
            entities,
            found,
            waves,
            tracks,
        })
    }

    /// How many scored entities there are to look at (rows are indexed `0..len`).
    pub(super) fn len(&self) -> usize {
        self.entities.len()
    }

    /// The ref of the `i`th scored entity.
    pub(super) fn entity(&self, i: usize) -> &'a EntityRef {
        self.entities[i].0
    }

    /// The row of the `i`th scored entity, when the query selects it.
    pub(super) fn row(&self, i: usize) -> Option<Row<'_>> {
        let (r, s) = self.entities[i];
        let wave = self.waves[i];
        if self.wave.is_some() && wave != self.wave {
            return None;
        }
        let e = self.fleet.catalog.get(r)?;
        if !self.filter.accepts(r, e, s) {
            return None;
        }
        let technology = match &self.found {
            Some(found) => Some(found[i].as_ref()?),
            None => None,
        };
        Some(Row {
            entity: r,
            title: e.metadata.title.as_deref(),
            owner: e.owner(),
            repository: repository(e),
            levels: Levels {
                engine: &self.fleet.engine,
                order: &self.tracks,
                standings: &s.evaluation.standings,
            },
            technology,
            eligible: s.evaluation.eligibility.eligible,
            wave,
            blocking: &s.evaluation.eligibility.reasons,
        })
    }

    /// The rows of the entities in `range` as NDJSON: one line each.
    pub(super) fn ndjson(&self, range: Range<usize>) -> Vec<u8> {
        let mut out = Vec::with_capacity(range.len() * 600);
        for i in range {
            if let Some(row) = self.row(i) {
                row.write_line(&mut out);
            }
        }
        out
    }
}

//! The rows an eligibility query selects, compiled once per request: the filter, the
//! technology, and the rollout waves of the query's change. A row borrows from the fleet, so
//! the NDJSON export serialises it without copying, and a page owns it as an
//! [`EligibilityRow`].

use std::borrow::Cow;
use std::ops::Range;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{EligibilityQuery, EligibilityRow, Repository, TechnologyFound};
use crate::api::entities::{EntityQuery, Filter};
use crate::api::error::ApiError;
use crate::catalog::{Entity, EntityRef};
use crate::certification::TrackStanding;
use crate::evaluate::Engine;
use crate::fleet::BlockingReason;
use crate::health::view::BlockingView;
use crate::health::{Fleet, Scored};
use crate::rules::version::{VersionRange, version_of};

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
        let list = fleet.fact(r, "technologies")?.as_array()?;
        list.iter().find_map(|t| {
            if t.get("id")?.as_str()? != self.id {
                return None;
            }
            let version = t.get("version");
            if let Some(range) = &self.range {
                if !version
                    .and_then(version_of)
                    .is_some_and(|v| range.matches(&v))
                {
                    return None;
                }
            }
            let text = |v: Option<&Value>| {
                v.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            };
            Some(TechnologyFound {
                id: self.id.clone(),
                version: text(version),
                source: text(t.get("source")),
            })
        })
    }
}

/// A repository's slug and URL, borrowed from the annotations where they say it as is.
#[derive(Serialize)]
struct RepositoryRef<'a> {
    slug: Cow<'a, str>,
    url: Cow<'a, str>,
}

/// Repository slug and URL from the usual annotations.
fn repository(e: &Entity) -> Option<RepositoryRef<'_>> {
    for (annotation, host) in [
        ("github.com/project-slug", "github.com"),
        ("gitlab.com/project-slug", "gitlab.com"),
    ] {
        if let Some(slug) = e.annotation(annotation) {
            return Some(RepositoryRef {
                slug: slug.into(),
                url: format!("https://{host}/{slug}").into(),
            });
        }
    }
    let loc = e
        .annotation("backstage.io/source-location")?
        .trim_start_matches("url:");
    let path = loc
        .split("://")
        .nth(1)?
        .split('/')
        .skip(1)
        .take(2)
        .collect::<Vec<_>>()
        .join("/");
    Some(RepositoryRef {
        slug: path.into(),
        url: loc.trim_end_matches('/').into(),
    })
}

/// Track id → level id held (`null`: none), in track id order, as a JSON object.
struct Levels<'a> {
    engine: &'a Engine,
    /// Track indexes in id order.
    order: &'a [usize],
    standings: &'a [Option<TrackStanding>],
}

impl<'a> Levels<'a> {
    fn entries(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + '_ {
        self.order.iter().filter_map(|&t| {
            let standing = self.standings.get(t)?;
            let track = &self.engine.tracks[t];
            let level = standing.as_ref().and_then(|s| track.level_id(s.level));
            Some((track.def.id.as_str(), level))
        })
    }
}

impl Serialize for Levels<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.entries())
    }
}

fn as_text<S: Serializer>(r: &EntityRef, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(r)
}

fn as_optional_text<S: Serializer>(r: &Option<&EntityRef>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.collect_str(r),
        None => s.serialize_none(),
    }
}

/// One row, borrowed from the fleet: field for field the JSON of an [`EligibilityRow`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Row<'a> {
    #[serde(serialize_with = "as_text")]
    entity: &'a EntityRef,
    title: Option<&'a str>,
    #[serde(serialize_with = "as_optional_text")]
    owner: Option<&'a EntityRef>,
    repository: Option<RepositoryRef<'a>>,
    levels: Levels<'a>,
    technology: Option<&'a TechnologyFound>,
    pub(super) eligible: bool,
    pub(super) wave: Option<u32>,
    pub(super) blocking: &'a [BlockingReason],
}

impl Row<'_> {
    pub(super) fn to_owned(&self) -> EligibilityRow {
        EligibilityRow {
            entity: self.entity.to_string(),
            title: self.title.map(str::to_string),
            owner: self.owner.map(EntityRef::to_string),
            repository: self.repository.as_ref().map(|r| Repository {
                slug: r.slug.to_string(),
                url: r.url.to_string(),
            }),
            levels: self
                .levels
                .entries()
                .map(|(t, l)| (t.to_string(), l.map(str::to_string)))
                .collect(),
            technology: self.technology.cloned(),
            eligible: self.eligible,
            wave: self.wave,
            blocking: self
                .blocking
                .iter()
                .map(|b| BlockingView {
                    code: b.code.clone(),
                    message: b.message.clone(),
                })
                .collect(),
        }
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
            .map(|u| entities.iter().map(|(r, _)| u.find(fleet, r)).collect());
        // The change is every eligible entity using the technology at the version (the whole
        // fleet without a technology), whatever the other filters: caps count within it.
        let change = format!(
            "{}{}",
            q.technology.as_deref().unwrap_or_default(),
            q.version.as_deref().unwrap_or_default()
        );
        let waves = match &found {
            None => fleet.waves(&change, &entities),
            Some(found) => {
                let at: Vec<usize> = (0..entities.len())
                    .filter(|&i| found[i].is_some())
                    .collect();
                let members: Vec<_> = at.iter().map(|&i| entities[i]).collect();
                let mut waves = vec![None; entities.len()];
                for (i, w) in at.into_iter().zip(fleet.waves(&change, &members)) {
                    waves[i] = w;
                }
                waves
            }
        };
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
        let e = self.fleet.catalog.get(r)?;
        if !self.filter.accepts(r, e, s) {
            return None;
        }
        let wave = self.waves[i];
        if self.wave.is_some() && wave != self.wave {
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
        let mut out = Vec::with_capacity(range.len() * 512);
        for i in range {
            if let Some(row) = self.row(i) {
                // Writing to a Vec fails only on a serialiser bug; the row is left out then.
                let start = out.len();
                match serde_json::to_writer(&mut out, &row) {
                    Ok(()) => out.push(b'\n'),
                    Err(_) => out.truncate(start),
                }
            }
        }
        out
    }
}

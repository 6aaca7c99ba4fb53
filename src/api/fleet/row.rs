//! One eligibility row, borrowed from the fleet: written straight into the NDJSON export, or
//! owned as an [`EligibilityRow`] for a page.

use std::borrow::Cow;
use std::io::Write;

use super::{EligibilityRow, Repository, TechnologyFound};
use crate::catalog::{Entity, EntityRef};
use crate::certification::TrackStanding;
use crate::evaluate::Engine;
use crate::fleet::BlockingReason;
use crate::health::view::BlockingView;
use crate::json_out::{entity_ref, string};

/// A repository's slug and URL, borrowed from the annotations where they say it as is.
pub(super) struct RepositoryRef<'a> {
    slug: Cow<'a, str>,
    url: Cow<'a, str>,
}

/// Repository slug and URL from the usual annotations.
pub(super) fn repository(e: &Entity) -> Option<RepositoryRef<'_>> {
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

/// Track id → level id held (`None`: none), in track id order.
pub(super) struct Levels<'a> {
    pub(super) engine: &'a Engine,
    /// Track indexes in id order.
    pub(super) order: &'a [usize],
    pub(super) standings: &'a [Option<TrackStanding>],
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

/// One row: field for field an [`EligibilityRow`].
pub(super) struct Row<'a> {
    pub(super) entity: &'a EntityRef,
    pub(super) title: Option<&'a str>,
    pub(super) owner: Option<&'a EntityRef>,
    pub(super) repository: Option<RepositoryRef<'a>>,
    pub(super) levels: Levels<'a>,
    pub(super) technology: Option<&'a TechnologyFound>,
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
                    code: b.code.to_string(),
                    message: b.message.to_string(),
                })
                .collect(),
        }
    }

    /// Appends the row as one line of JSON: the very bytes serde_json writes for its
    /// [`EligibilityRow`] (the export's test holds them equal), written directly because the
    /// export writes the whole fleet on every request.
    pub(super) fn write_line(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"entity\":");
        entity_ref(out, self.entity);
        out.extend_from_slice(b",\"title\":");
        optional(out, self.title, string);
        out.extend_from_slice(b",\"owner\":");
        optional(out, self.owner, entity_ref);
        out.extend_from_slice(b",\"repository\":");
        optional(out, self.repository.as_ref(), |out, r| {
            out.extend_from_slice(b"{\"slug\":");
            string(out, &r.slug);
            out.extend_from_slice(b",\"url\":");
            string(out, &r.url);
            out.push(b'}');
        });
        out.extend_from_slice(b",\"levels\":{");
        for (i, (track, level)) in self.levels.entries().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, track);
            out.push(b':');
            optional(out, level, string);
        }
        out.extend_from_slice(b"},\"technology\":");
        optional(out, self.technology, |out, t| {
            // Only with a technology filter: the general writer is fast enough.
            if serde_json::to_writer(&mut *out, t).is_err() {
                out.extend_from_slice(b"null");
            }
        });
        out.extend_from_slice(if self.eligible {
            b",\"eligible\":true,\"wave\":"
        } else {
            b",\"eligible\":false,\"wave\":"
        });
        optional(out, self.wave, |out, w| {
            // Writing to a Vec cannot fail.
            let _ = write!(out, "{w}");
        });
        out.extend_from_slice(b",\"blocking\":[");
        for (i, b) in self.blocking.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"code\":");
            string(out, &b.code);
            out.extend_from_slice(b",\"message\":");
            string(out, &b.message);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}\n");
    }
}

fn optional<T>(out: &mut Vec<u8>, value: Option<T>, write: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        Some(v) => write(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

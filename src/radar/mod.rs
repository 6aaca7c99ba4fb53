//! The Golden Tech radar: technologies in quadrants and rings, with optional version policies,
//! exported in the shape the Backstage tech-radar plugin loads (`TechRadarLoaderResponse`).

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{ConfigErrors, deserialize_at};
use crate::rules::version::VersionRange;
use crate::source::Document;

/// The four rings, in order of preference.
pub const RING_IDS: [&str; 4] = ["adopt", "trial", "assess", "hold"];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quadrant {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ring {
    pub id: String,
    pub name: String,
    pub color: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Link {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimelineEntry {
    pub date: NaiveDate,
    pub ring_id: String,
    #[serde(default)]
    pub moved: i8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RadarEntry {
    pub id: String,
    pub title: String,
    pub quadrant: String,
    pub ring: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RadarFile {
    #[serde(default)]
    title: Option<String>,
    quadrants: Vec<Quadrant>,
    rings: Vec<Ring>,
    entries: Vec<RadarEntry>,
}

/// A loaded, cross-checked radar.
#[derive(Debug, Clone)]
pub struct Radar {
    pub title: String,
    pub quadrants: Vec<Quadrant>,
    pub rings: Vec<Ring>,
    pub entries: Vec<RadarEntry>,
    index: FxHashMap<String, usize>,
    policies: Vec<Option<VersionRange>>,
}

impl Default for Radar {
    fn default() -> Self {
        Radar {
            title: "Golden Tech".into(),
            quadrants: Vec::new(),
            rings: Vec::new(),
            entries: Vec::new(),
            index: FxHashMap::default(),
            policies: Vec::new(),
        }
    }
}

impl Radar {
    /// Reads a radar document (already checked against `radar.schema.json`) and checks what
    /// a schema cannot: known quadrants and rings, unique ids, valid version policies, and a
    /// timeline whose newest ring is the entry's ring.
    pub fn from_document(doc: &Document) -> Result<Radar, ConfigErrors> {
        let file: RadarFile = deserialize_at(doc, &doc.value, "").map_err(ConfigErrors::one)?;
        let mut errors = Vec::new();
        if file.quadrants.len() != 4 {
            errors.push(doc.error_at(
                "/quadrants",
                format!(
                    "the radar needs exactly 4 quadrants (the tech-radar draws four), found {}",
                    file.quadrants.len()
                ),
            ));
        }
        let ring_ids: Vec<&str> = file.rings.iter().map(|r| r.id.as_str()).collect();
        if ring_ids != RING_IDS {
            errors.push(doc.error_at(
                "/rings",
                format!("rings must be {RING_IDS:?} in that order, found {ring_ids:?}"),
            ));
        }
        let mut index = FxHashMap::default();
        let mut policies = Vec::with_capacity(file.entries.len());
        for (i, e) in file.entries.iter().enumerate() {
            let at = |field: &str| format!("/entries/{i}{field}");
            if index.insert(e.id.clone(), i).is_some() {
                errors
                    .push(doc.error_at(&at("/id"), format!("duplicate radar entry id `{}`", e.id)));
            }
            if !file.quadrants.iter().any(|q| q.id == e.quadrant) {
                errors.push(doc.error_at(
                    &at("/quadrant"),
                    format!("entry `{}`: unknown quadrant `{}`", e.id, e.quadrant),
                ));
            }
            if !RING_IDS.contains(&e.ring.as_str()) {
                errors.push(doc.error_at(
                    &at("/ring"),
                    format!("entry `{}`: unknown ring `{}`", e.id, e.ring),
                ));
            }
            if let Some(newest) = e.timeline.iter().max_by_key(|t| t.date)
                && newest.ring_id != e.ring
            {
                errors.push(doc.error_at(
                    &at("/timeline"),
                    format!(
                        "entry `{}`: the newest timeline move ({}) is to `{}`, but the entry's ring is `{}`",
                        e.id, newest.date, newest.ring_id, e.ring
                    ),
                ));
            }
            for (j, t) in e.timeline.iter().enumerate() {
                if !RING_IDS.contains(&t.ring_id.as_str()) {
                    errors.push(doc.error_at(
                        &at(&format!("/timeline/{j}/ringId")),
                        format!(
                            "entry `{}`: unknown ring `{}` in its timeline",
                            e.id, t.ring_id
                        ),
                    ));
                }
            }
            policies.push(match &e.version_policy {
                Some(p) => match VersionRange::parse(p) {
                    Ok(r) => Some(r),
                    Err(msg) => {
                        errors.push(
                            doc.error_at(&at("/versionPolicy"), format!("entry `{}`: {msg}", e.id)),
                        );
                        None
                    }
                },
                None => None,
            });
        }
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(Radar {
            title: file.title.unwrap_or_else(|| "Golden Tech".into()),
            quadrants: file.quadrants,
            rings: file.rings,
            entries: file.entries,
            index,
            policies,
        })
    }

    pub fn entry(&self, id: &str) -> Option<&RadarEntry> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    /// The ring of a technology on the radar, as an index into [`RING_IDS`].
    pub fn ring_index(&self, id: &str) -> Option<usize> {
        let e = self.entry(id)?;
        RING_IDS.iter().position(|r| *r == e.ring)
    }

    pub fn version_policy(&self, id: &str) -> Option<&VersionRange> {
        self.index.get(id).and_then(|&i| self.policies[i].as_ref())
    }

    /// The radar as the Backstage tech-radar plugin's `TechRadarLoaderResponse`.
    pub fn to_loader_response(&self) -> Value {
        let entries: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut timeline: Vec<&TimelineEntry> = e.timeline.iter().collect();
                // Newest first, as the tech-radar shows the history.
                timeline.sort_by_key(|t| std::cmp::Reverse(t.date));
                let timeline: Vec<Value> = if timeline.is_empty() {
                    vec![json!({"ringId": e.ring, "date": "1970-01-01", "moved": 0})]
                } else {
                    timeline
                        .iter()
                        .map(|t| {
                            let mut v = json!({"ringId": t.ring_id, "date": t.date.to_string(), "moved": t.moved});
                            if let Some(d) = &t.description {
                                v["description"] = json!(d);
                            }
                            v
                        })
                        .collect()
                };
                let mut v = json!({
                    "id": e.id,
                    "key": e.id,
                    "title": e.title,
                    "quadrant": e.quadrant,
                    "timeline": timeline,
                });
                if let Some(d) = &e.description {
                    let policy = e
                        .version_policy
                        .as_ref()
                        .map(|p| format!("\n\nVersion policy: `{p}`"))
                        .unwrap_or_default();
                    v["description"] = json!(format!("{d}{policy}"));
                }
                if let Some(u) = e.url.as_ref().or(e.links.first().map(|l| &l.url)) {
                    v["url"] = json!(u);
                }
                if !e.links.is_empty() {
                    v["links"] = json!(e
                        .links
                        .iter()
                        .map(|l| json!({"url": l.url, "title": l.title.clone().unwrap_or_else(|| l.url.clone())}))
                        .collect::<Vec<_>>());
                }
                v
            })
            .collect();
        json!({
            "title": self.title,
            "quadrants": self.quadrants,
            "rings": self.rings,
            "entries": entries,
        })
    }
}

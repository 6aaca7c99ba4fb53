//! The scan's findings as radar technologies: `{id, version, ring, source}`, the shape the
//! `radarRingIn`, `radarRingNotIn` and `radarVersionPolicy` operators read.

use serde::Serialize;

use super::ci::CiSummary;
use super::docker::BaseImage;
use super::findings::Findings;
use super::infra::Infra;
use super::radar_map::technology_of;
use super::runtimes::RuntimeVersion;
use crate::radar::Radar;

/// A technology the repository uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Technology {
    /// The radar entry id.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The entry's ring on the radar the scan was mapped with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring: Option<String>,
    /// The file that shows it.
    pub source: String,
}

/// Build systems and platforms that are technologies in their own right.
const TOOL_IDS: [&str; 14] = [
    "maven",
    "gradle",
    "npm",
    "yarn",
    "pnpm",
    "bun",
    "poetry",
    "uv",
    "pip",
    "sbt",
    "bazel",
    "go-modules",
    "cargo",
    "terraform",
];

/// Languages worth naming when no runtime version was found.
const LANGUAGE_IDS: [&str; 8] = [
    "java",
    "kotlin",
    "scala",
    "typescript",
    "python",
    "go",
    "rust",
    "swift",
];

/// What the technologies are mapped from.
pub struct Inputs<'a> {
    pub runtimes: &'a [RuntimeVersion],
    /// Named languages with the first file of each.
    pub languages: &'a [(String, String)],
    pub findings: &'a Findings,
    pub images: &'a [BaseImage],
    pub infra: &'a Infra,
    pub ci: &'a CiSummary,
    /// A `package.json` (Node.js is used even when no version is pinned).
    pub package_json: Option<&'a str>,
}

/// Maps the findings onto radar ids. With a radar, only its entries are kept and each gets its
/// ring; without one, every recognised technology is kept, without rings.
pub fn map(inputs: &Inputs, radar: Option<&Radar>) -> Vec<Technology> {
    let on_radar = |id: &str| radar.is_none_or(|r| r.entry(id).is_some());
    let mut out: Vec<Technology> = Vec::new();
    let mut add = |id: &str, version: Option<&str>, source: &str| {
        out.push(Technology {
            id: id.to_string(),
            version: version.map(str::to_string),
            ring: None,
            source: source.to_string(),
        });
    };
    for r in inputs.runtimes {
        add(r.runtime.id(), Some(&r.version), &r.source);
    }
    if let Some(p) = inputs.package_json {
        add("node", None, p);
    }
    for (language, source) in inputs.languages {
        if LANGUAGE_IDS.contains(&language.as_str()) {
            add(language, None, source);
        }
    }
    for t in &inputs.findings.tools {
        if TOOL_IDS.contains(&t.id) {
            add(t.id, t.version.as_deref(), &t.source);
        }
    }
    // Direct dependencies first, so the source shown is the project's own declaration.
    let mut deps: Vec<_> = inputs.findings.dependencies.iter().collect();
    deps.sort_by_key(|d| !d.direct);
    for d in deps {
        if let Some((id, versioned)) = technology_of(d.ecosystem, &d.name, &on_radar) {
            let version = d.version.as_deref().filter(|_| versioned);
            add(&id, version, &d.source);
        }
    }
    for image in inputs.images {
        if let Some((id, tag)) = golden_image(&image.image) {
            add(&id, tag.as_deref(), &image.source);
        }
    }
    for (format, source) in &inputs.infra.sources {
        add(format, None, source);
    }
    for (provider, source) in &inputs.ci.sources {
        add(provider, None, source);
    }
    tidy(&mut out);
    out.retain(|t| on_radar(&t.id));
    if let Some(radar) = radar {
        for t in &mut out {
            t.ring = radar.entry(&t.id).map(|e| e.ring.clone());
        }
    }
    out
}

/// `registry.acme.example/golden/java21:2024.11` → `golden-java21` at `2024.11`.
fn golden_image(image: &str) -> Option<(String, Option<String>)> {
    let image = image.split('@').next().unwrap_or(image);
    let (_, rest) = image.split_once("/golden/")?;
    let (name, tag) = match rest.split_once(':') {
        Some((n, t)) => (n, Some(t.to_string())),
        None => (rest, None),
    };
    Some((format!("golden-{name}"), tag))
}

/// One entry per id and version, first source kept; an id found with a version drops its
/// entries without one.
fn tidy(out: &mut Vec<Technology>) {
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    out.retain(|t| {
        let key = (t.id.clone(), t.version.clone());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    let versioned: Vec<String> = out
        .iter()
        .filter(|t| t.version.is_some())
        .map(|t| t.id.clone())
        .collect();
    out.retain(|t| t.version.is_some() || !versioned.contains(&t.id));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_images_name_their_radar_entry() {
        assert_eq!(
            golden_image("registry.acme.example/golden/java21:2024.11"),
            Some(("golden-java21".into(), Some("2024.11".into())))
        );
        assert_eq!(golden_image("eclipse-temurin:21-jre"), None);
    }

    #[test]
    fn duplicates_and_unversioned_twins_are_dropped() {
        let t = |id: &str, v: Option<&str>| Technology {
            id: id.into(),
            version: v.map(Into::into),
            ring: None,
            source: "x".into(),
        };
        let mut list = vec![
            t("java", None),
            t("java", Some("21")),
            t("java", Some("21")),
            t("helm", None),
        ];
        tidy(&mut list);
        assert_eq!(list, vec![t("java", Some("21")), t("helm", None)]);
    }
}

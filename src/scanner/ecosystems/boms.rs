//! Versions that well-known BOMs manage (`spring-boot-dependencies` and the parent POMs that
//! import it), from the partial data shipped in `src/scanner/boms.toml`: a version-less Maven or
//! Gradle dependency gets its version and a `resolvedFrom`, or `null` and the reason why.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct BomData {
    bom: String,
    #[serde(default)]
    parents: Vec<String>,
    #[serde(default)]
    own_groups: Vec<String>,
    releases: Vec<String>,
    #[serde(default)]
    library: Vec<Library>,
    #[serde(default)]
    pulls: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct Library {
    property: String,
    artifacts: Vec<String>,
    versions: BTreeMap<String, String>,
}

static DATA: LazyLock<Vec<BomData>> = LazyLock::new(|| {
    let table: toml::Table = include_str!("../boms.toml")
        .parse()
        .expect("the shipped BOM data is valid TOML");
    table
        .into_iter()
        .filter(|(_, v)| v.is_table())
        .map(|(name, v)| {
            v.try_into()
                .unwrap_or_else(|e| panic!("the shipped BOM data `{name}` is malformed: {e}"))
        })
        .collect()
});

/// A BOM in effect for a build file: `group:artifact` and version (the version as written,
/// properties already substituted; `None` when it could not be told).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bom {
    pub key: String,
    pub version: Option<String>,
}

impl Bom {
    pub fn new(key: impl Into<String>, version: Option<String>) -> Self {
        Bom {
            key: key.into(),
            version,
        }
    }

    fn coordinate(&self) -> String {
        match &self.version {
            Some(v) => format!("{}:{v}", self.key),
            None => self.key.clone(),
        }
    }

    /// The known BOM this names (a parent POM that imports a known BOM counts as that BOM).
    fn data(&self) -> Option<&'static BomData> {
        DATA.iter()
            .find(|d| d.bom == self.key || d.parents.contains(&self.key))
    }

    /// Whether this is a BOM the shipped data knows, at any release.
    pub fn is_known(&self) -> bool {
        self.data().is_some()
    }

    /// The coordinate of the BOM proper (`spring-boot-starter-parent:3.1.5` is
    /// `spring-boot-dependencies:3.1.5`).
    fn canonical(&self) -> String {
        match (self.data(), &self.version) {
            (Some(d), Some(v)) => format!("{}:{v}", d.bom),
            _ => self.coordinate(),
        }
    }
}

/// What the BOMs in effect say about one artefact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Managed {
    /// The version, and where it comes from (the BOM's coordinate, or the property that
    /// overrides it: `property log4j2.version in pom.xml`).
    Version { version: String, from: String },
    /// No version can be told, and why.
    Unknown(String),
}

impl Managed {
    /// The version, when there is one.
    pub fn version(&self) -> Option<&str> {
        match self {
            Managed::Version { version, .. } => Some(version),
            Managed::Unknown(_) => None,
        }
    }
}

/// The version `boms` (nearest first) manage `artifact` at. `property` looks up a build
/// property that overrides a BOM's version property (its value and the file that sets it).
pub fn managed(
    boms: &[Bom],
    artifact: &str,
    property: &dyn Fn(&str) -> Option<(String, String)>,
) -> Managed {
    let mut reasons: Vec<String> = Vec::new();
    for bom in boms {
        let Some(data) = bom.data() else {
            reasons.push(format!(
                "managed by {}, which the scanner has no data for",
                bom.coordinate()
            ));
            continue;
        };
        let Some(release) = bom.version.as_deref() else {
            reasons.push(format!("the version of {} is not known", bom.key));
            continue;
        };
        let known_release = data.releases.iter().any(|r| r == release);
        let group = artifact.split(':').next().unwrap_or("");
        if data.own_groups.iter().any(|g| g == group) {
            return Managed::Version {
                version: release.to_string(),
                from: bom.canonical(),
            };
        }
        let Some(library) = data
            .library
            .iter()
            .find(|l| l.artifacts.iter().any(|a| a == artifact))
        else {
            continue;
        };
        if let Some((version, file)) = property(&library.property) {
            return Managed::Version {
                version,
                from: format!("property {} in {file}", library.property),
            };
        }
        match library.versions.get(release) {
            Some(v) if known_release => {
                return Managed::Version {
                    version: v.clone(),
                    from: bom.canonical(),
                };
            }
            _ => reasons.push(format!(
                "managed by {}, a release the scanner's BOM data does not cover",
                bom.canonical()
            )),
        }
    }
    if reasons.is_empty() {
        let known: Vec<String> = boms
            .iter()
            .filter(|b| b.is_known())
            .map(Bom::canonical)
            .collect();
        if known.is_empty() {
            Managed::Unknown(
                "no version is declared and nothing in the repository manages one".into(),
            )
        } else {
            Managed::Unknown(format!(
                "no version is declared and the scanner's data for {} does not cover it",
                known.join(", ")
            ))
        }
    } else {
        Managed::Unknown(reasons.join("; "))
    }
}

/// What `artifact` brings in with it per the BOM data (recursively), without the `excluded`
/// artefacts and what only they bring: each pulled artefact with the artefact of the BOM it
/// comes through directly.
pub fn pulled_in(
    boms: &[Bom],
    artifact: &str,
    excluded: &HashSet<String>,
) -> Vec<(String, String)> {
    let Some(data) = boms.iter().find_map(Bom::data) else {
        return Vec::new();
    };
    let own = data.own_groups.first().map(String::as_str).unwrap_or("");
    let full = |name: &str| {
        if name.contains(':') {
            name.to_string()
        } else {
            format!("{own}:{name}")
        }
    };
    let short = artifact
        .strip_prefix(own)
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or(artifact);
    let mut out: Vec<(String, String)> = Vec::new();
    let mut stack: Vec<(String, String)> = vec![(short.to_string(), artifact.to_string())];
    let mut seen: HashSet<String> = HashSet::new();
    while let Some((name, _)) = stack.pop() {
        let Some(children) = data.pulls.get(&name) else {
            continue;
        };
        let parent = full(&name);
        for child in children {
            let key = full(child);
            if excluded.contains(&key) || !seen.insert(key.clone()) {
                continue;
            }
            out.push((key.clone(), parent.clone()));
            stack.push((child.clone(), key));
        }
    }
    out
}

/// The artefacts `artifact` (resolved at `version`) brings in whose versions the BOMs manage:
/// each with its version and where it comes from (`via:version`, the artefact that pulls it).
pub fn pulled_versions(
    boms: &[Bom],
    artifact: &str,
    version: &str,
    excluded: &HashSet<String>,
    property: &dyn Fn(&str) -> Option<(String, String)>,
) -> Vec<(String, Managed)> {
    let version_of = |name: &str| managed(boms, name, property).version().map(str::to_string);
    pulled_in(boms, artifact, excluded)
        .into_iter()
        .filter_map(|(pulled, via)| {
            let via_version = if via == artifact {
                version.to_string()
            } else {
                version_of(&via)?
            };
            let version = version_of(&pulled)?;
            let from = format!("{via}:{via_version}");
            Some((pulled, Managed::Version { version, from }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(v: &str) -> Vec<Bom> {
        vec![Bom::new(
            "org.springframework.boot:spring-boot-starter-parent",
            Some(v.into()),
        )]
    }

    #[test]
    fn the_shipped_data_loads_and_every_library_covers_every_release() {
        assert!(!DATA.is_empty());
        for bom in DATA.iter() {
            for lib in &bom.library {
                for r in &bom.releases {
                    assert!(lib.versions.contains_key(r), "{} {r}", lib.property);
                }
            }
        }
    }

    #[test]
    fn log4j_through_the_boot_parent_and_an_override() {
        let none = |_: &str| None;
        assert_eq!(
            managed(&boot("2.6.1"), "org.apache.logging.log4j:log4j-core", &none),
            Managed::Version {
                version: "2.14.1".into(),
                from: "org.springframework.boot:spring-boot-dependencies:2.6.1".into()
            }
        );
        let set = |p: &str| (p == "log4j2.version").then(|| ("2.17.1".into(), "pom.xml".into()));
        assert_eq!(
            managed(&boot("2.6.1"), "org.apache.logging.log4j:log4j-core", &set),
            Managed::Version {
                version: "2.17.1".into(),
                from: "property log4j2.version in pom.xml".into()
            }
        );
        let Managed::Unknown(why) = managed(&boot("2.5.0"), "org.yaml:snakeyaml", &none) else {
            panic!("a release outside the data is never guessed");
        };
        assert!(why.contains("does not cover"), "{why}");
        let other = vec![Bom::new("com.acme:platform-bom", Some("1.0".into()))];
        let Managed::Unknown(why) = managed(&other, "com.acme:client", &none) else {
            panic!("an unknown BOM gives no version");
        };
        assert!(why.contains("com.acme:platform-bom:1.0"), "{why}");
    }

    #[test]
    fn starters_pull_in_their_libraries_minus_exclusions() {
        let logging = "org.springframework.boot:spring-boot-starter-logging".to_string();
        let pulled = pulled_in(
            &boot("3.1.5"),
            "org.springframework.boot:spring-boot-starter-web",
            &HashSet::from([logging]),
        );
        let names: Vec<&str> = pulled.iter().map(|(a, _)| a.as_str()).collect();
        assert!(names.contains(&"org.apache.tomcat.embed:tomcat-embed-core"));
        assert!(names.contains(&"com.fasterxml.jackson.core:jackson-databind"));
        assert!(
            !names.contains(&"ch.qos.logback:logback-classic"),
            "{names:?}"
        );
    }
}

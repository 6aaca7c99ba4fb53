//! Choosing one version per runtime from the hints the file readers found, and saying where
//! each version was seen and which files disagree.

use serde::Serialize;
use serde_json::{Map, Value};

use super::findings::{Runtime, RuntimeHint, rank};
use super::versions::refines;

/// The version of a runtime, and the file that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeVersion {
    pub runtime: Runtime,
    pub version: String,
    pub source: String,
}

/// One version per runtime: the most trusted hint (see [`super::findings::rank`]; nearer the
/// root wins a tie), made more precise by any other hint that refines it (`21` from the build,
/// `21.0.4` from `.tool-versions`).
pub fn choose(hints: &[RuntimeHint]) -> Vec<RuntimeVersion> {
    Runtime::ALL
        .iter()
        .filter_map(|&runtime| {
            let of: Vec<&RuntimeHint> = hints
                .iter()
                .filter(|h| h.runtime == runtime && h.rank < rank::CI)
                .collect();
            let best = of
                .iter()
                .min_by_key(|h| (h.rank, h.source.matches('/').count(), h.source.as_str()))?;
            let finer = of
                .iter()
                .filter(|h| refines(&h.version, &best.version))
                .max_by_key(|h| h.version.split('.').count());
            let pick = finer.unwrap_or(best);
            Some(RuntimeVersion {
                runtime,
                version: pick.version.clone(),
                source: pick.source.clone(),
            })
        })
        .collect()
}

/// One file that names a version of a runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeSource {
    pub version: String,
    pub source: String,
    /// `pin`, `build`, `tool-versions`, `range`, `image`, `ci`, `ci-matrix`.
    pub kind: &'static str,
}

/// A version of a runtime and the files that name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionSources {
    pub version: String,
    pub sources: Vec<String>,
}

/// Files that name versions of a runtime that cannot both hold: the chosen version first (with
/// the files that agree with it; when the choice is a range's lower bound no file repeats, the
/// most trusted concrete version), then each other version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeDisagreement {
    pub runtime: &'static str,
    pub versions: Vec<VersionSources>,
}

/// Every version each runtime was seen at: runtime → sources, each once, in the order found.
pub fn sources(hints: &[RuntimeHint]) -> Map<String, Value> {
    let mut out = Map::new();
    for runtime in Runtime::ALL {
        let mut list: Vec<RuntimeSource> = Vec::new();
        for h in hints.iter().filter(|h| h.runtime == runtime) {
            let s = RuntimeSource {
                version: h.version.clone(),
                source: h.source.clone(),
                kind: rank::kind(h.rank),
            };
            if !list.contains(&s) {
                list.push(s);
            }
        }
        if !list.is_empty() {
            out.insert(
                runtime.id().to_string(),
                serde_json::to_value(list).unwrap_or_default(),
            );
        }
    }
    out
}

/// Whether two versions can both hold (`21` and `21.0.4` can; `17` and `21` cannot).
fn agree(a: &str, b: &str) -> bool {
    a == b || refines(a, b) || refines(b, a)
}

/// The runtimes whose files name versions that cannot all hold. Ranges say what is supported,
/// not what runs, and are left out; a CI matrix disagrees only when none of its values agrees.
pub fn disagreements(hints: &[RuntimeHint], chosen: &[RuntimeVersion]) -> Vec<RuntimeDisagreement> {
    let mut out = Vec::new();
    for choice in chosen {
        let of: Vec<&RuntimeHint> = hints
            .iter()
            .filter(|h| h.runtime == choice.runtime && h.rank != rank::RANGE)
            .collect();
        // When the chosen version is a range's lower bound that no concrete file repeats, the
        // concrete files are compared among themselves, from the most trusted one.
        let anchor = if of.iter().any(|h| agree(&h.version, &choice.version)) {
            choice.version.clone()
        } else {
            match of
                .iter()
                .min_by_key(|h| (h.rank, h.source.matches('/').count(), h.source.as_str()))
            {
                Some(best) => best.version.clone(),
                None => continue,
            }
        };
        let matrix_agrees = |source: &str| {
            of.iter().any(|h| {
                h.rank == rank::CI_MATRIX && h.source == source && agree(&h.version, &anchor)
            })
        };
        let mut versions = vec![VersionSources {
            version: anchor.clone(),
            sources: Vec::new(),
        }];
        for h in &of {
            let agreeing = agree(&h.version, &anchor)
                || (h.rank == rank::CI_MATRIX && matrix_agrees(&h.source));
            let entry = if agreeing {
                Some(&mut versions[0])
            } else {
                versions.iter_mut().skip(1).find(|v| v.version == h.version)
            };
            match entry {
                Some(v) => {
                    if !v.sources.contains(&h.source) {
                        v.sources.push(h.source.clone());
                    }
                }
                None => versions.push(VersionSources {
                    version: h.version.clone(),
                    sources: vec![h.source.clone()],
                }),
            }
        }
        if versions.len() > 1 {
            out.push(RuntimeDisagreement {
                runtime: choice.runtime.id(),
                versions,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::findings::rank;

    fn hint(runtime: Runtime, version: &str, source: &str, rank: u8) -> RuntimeHint {
        RuntimeHint {
            runtime,
            version: version.into(),
            source: source.into(),
            rank,
        }
    }

    #[test]
    fn the_build_wins_and_a_finer_pin_refines_it() {
        let hints = [
            hint(Runtime::Java, "17", "Dockerfile", rank::IMAGE),
            hint(Runtime::Java, "21", "svc/pom.xml", rank::BUILD),
            hint(Runtime::Java, "21", "pom.xml", rank::BUILD),
            hint(
                Runtime::Java,
                "21.0.4",
                ".tool-versions",
                rank::TOOL_VERSIONS,
            ),
            hint(Runtime::Node, "20", "package.json", rank::RANGE),
        ];
        let chosen = choose(&hints);
        assert_eq!(chosen.len(), 2);
        assert_eq!(
            (chosen[0].version.as_str(), chosen[0].source.as_str()),
            ("21.0.4", ".tool-versions")
        );
        assert_eq!(chosen[1].runtime, Runtime::Node);
    }

    #[test]
    fn files_that_cannot_both_hold_disagree() {
        let hints = [
            hint(Runtime::Node, "20.11.1", ".node-version", rank::PIN),
            hint(Runtime::Node, "18", "package.json", rank::RANGE),
            hint(Runtime::Node, "18", "Dockerfile", rank::IMAGE),
            hint(Runtime::Node, "18", "ci.yml", rank::CI_MATRIX),
            hint(Runtime::Node, "20", "ci.yml", rank::CI_MATRIX),
            hint(Runtime::Go, "1.22", "go.mod", rank::BUILD),
            hint(Runtime::Go, "1.21", "ci.yml", rank::CI_MATRIX),
        ];
        let chosen = choose(&hints);
        let found = disagreements(&hints, &chosen);
        assert_eq!(found.len(), 2, "{found:?}");
        let node = &found[0];
        let versions: Vec<(&str, Vec<&str>)> = node
            .versions
            .iter()
            .map(|v| {
                (
                    v.version.as_str(),
                    v.sources.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            versions,
            vec![
                ("20.11.1", vec![".node-version", "ci.yml"]),
                ("18", vec!["Dockerfile"])
            ]
        );
        // A matrix none of whose values agrees disagrees.
        assert_eq!(found[1].versions[1].version, "1.21");
        let sources = sources(&hints);
        assert_eq!(sources["node"].as_array().map(Vec::len), Some(5));
        assert_eq!(sources["node"][0]["kind"], "pin");
    }

    #[test]
    fn a_lower_bound_does_not_disagree_with_a_newer_image() {
        let hints = [
            hint(Runtime::Rust, "1.89", "Cargo.toml", rank::RANGE),
            hint(Runtime::Rust, "1.95", "Dockerfile", rank::IMAGE),
        ];
        assert!(disagreements(&hints, &choose(&hints)).is_empty());
        let two_images = [
            hint(Runtime::Rust, "1.89", "Cargo.toml", rank::RANGE),
            hint(Runtime::Rust, "1.95", "Dockerfile", rank::IMAGE),
            hint(Runtime::Rust, "1.80", "ci.yml", rank::CI),
        ];
        let found = disagreements(&two_images, &choose(&two_images));
        assert_eq!(found[0].versions[0].version, "1.95");
        assert_eq!(found[0].versions[0].sources, vec!["Dockerfile"]);
    }
}

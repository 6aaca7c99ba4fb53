//! Choosing one version per runtime from the hints the file readers found.

use super::findings::{Runtime, RuntimeHint};
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
            let of: Vec<&RuntimeHint> = hints.iter().filter(|h| h.runtime == runtime).collect();
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
}

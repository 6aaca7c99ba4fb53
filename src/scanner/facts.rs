//! The facts a scan yields, under the names the bundled checks read. Their JSON Schema is
//! `checks/collectors/scanner.schema.json`.

use serde::Serialize;
use serde_json::{Map, Value};

use super::findings::Dependency;
use super::infra::DeployedImage;
use super::languages::LanguageShare;
use super::repo::ScanWarning;
use super::runtimes::RuntimeDisagreement;
use super::technologies::Technology;

/// Build systems, in the order they are reported.
pub const BUILD_SYSTEMS: [&str; 13] = [
    "maven",
    "gradle",
    "sbt",
    "bazel",
    "npm",
    "yarn",
    "pnpm",
    "bun",
    "poetry",
    "uv",
    "pip",
    "go-modules",
    "cargo",
];

/// Everything the repository scanner reports about one repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoFacts {
    pub has_readme: bool,
    pub has_codeowners: bool,
    pub has_tests: bool,
    pub test_file_count: u64,
    /// The preferred CI provider; absent when the repository has no CI configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_provider: Option<String>,
    pub ci_providers: Vec<String>,
    pub ci_runs_tests: bool,
    pub deploys_on_merge: bool,
    pub canary_analysis: bool,
    pub declarative_infra: bool,
    pub infra_formats: Vec<String>,
    pub build_systems: Vec<String>,
    pub languages: Vec<String>,
    pub language_stats: Vec<LanguageShare>,
    pub docker_base_images: Vec<String>,
    pub technologies: Vec<Technology>,
    /// The Java version, when the repository uses Java.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub java_version: Option<String>,
    /// `{java, node, python, go, rust}`: the version of each runtime found.
    pub runtimes: Map<String, Value>,
    /// Runtime → every file that names a version of it (`{version, source, kind}`), CI jobs
    /// and ranges included.
    pub runtime_sources: Map<String, Value>,
    /// Runtimes whose files name versions that cannot all hold.
    pub runtime_disagreements: Vec<RuntimeDisagreement>,
    /// The images the deployment files run (Compose services, Kubernetes manifests, Helm
    /// values).
    pub deployed_images: Vec<DeployedImage>,
    pub dependencies: Vec<Dependency>,
    pub scan_warnings: Vec<ScanWarning>,
}

impl RepoFacts {
    /// The facts as one JSON object, fact name to value.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|e| {
            // Serialising plain strings, numbers and lists cannot fail; say so if it ever does.
            serde_json::json!({ "scanWarnings": [{ "file": ".", "message": e.to_string() }] })
        })
    }
}

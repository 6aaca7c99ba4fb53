//! The repository scanner: reads the files of one repository (a local checkout or files fetched
//! from GitHub) and reports facts about it — languages, build systems, runtime versions,
//! dependencies with their resolved versions, Dockerfile base images, CI, tests, ownership,
//! declarative infrastructure — and the radar technologies they amount to.
//!
//! Pure: no network, no async; a file it cannot make sense of is a `scanWarnings` entry, never
//! an error of the whole scan.
//!
//! ```no_run
//! use tech_health::scanner::{DirTree, scan};
//! let facts = scan(&DirTree::new("path/to/checkout"), None);
//! println!("{}", facts.to_json());
//! ```

mod ci;
mod docker;
mod ecosystems;
mod facts;
mod findings;
mod hygiene;
mod infra;
mod languages;
mod radar_map;
mod repo;
mod runtimes;
mod technologies;
mod tree;
mod versions;

#[cfg(test)]
mod schema_tests;

pub use facts::RepoFacts;
pub use findings::Dependency;
pub use languages::LanguageShare;
pub use repo::{MAX_READ_BYTES, ScanWarning};
pub use technologies::Technology;
pub use tree::{DirTree, FileTree, MemoryTree, TreeFile, is_ignored_dir};

use serde_json::{Map, Value};

use crate::radar::Radar;
use findings::Runtime;
use repo::Repo;

/// Where the JSON Schema of the scanner's facts lives among the bundled files.
pub const SCHEMA: &str = "checks/collectors/scanner.schema.json";

/// Scans a repository. With a radar, `technologies` holds the radar's entries with their
/// rings; without one, every recognised technology without rings.
pub fn scan(tree: &dyn FileTree, radar: Option<&Radar>) -> RepoFacts {
    let repo = Repo::new(tree);
    let (language_stats, languages) = languages::detect(&repo);
    let mut findings = ecosystems::read_all(&repo);
    let images = docker::read(&repo, &mut findings);
    let infra = infra::detect(&repo, &mut findings);
    let ci = ci::detect(&repo);
    findings.runtimes.extend(ci.runtimes.iter().cloned());
    let hygiene = hygiene::detect(&repo);
    let runtimes = runtimes::choose(&findings.runtimes);
    let runtime_sources = runtimes::sources(&findings.runtimes);
    let runtime_disagreements = runtimes::disagreements(&findings.runtimes, &runtimes);

    let first_file_of = |language: &str| {
        repo.files()
            .iter()
            .find(|f| languages::language_of(&f.path) == Some(language))
            .map(|f| f.path.clone())
            .unwrap_or_default()
    };
    let named: Vec<(String, String)> = languages
        .iter()
        .map(|l| (l.clone(), first_file_of(l)))
        .collect();
    let package_json = repo
        .named(|n| n == "package.json")
        .into_iter()
        .min_by_key(|p| p.matches('/').count());
    let technologies = technologies::map(
        &technologies::Inputs {
            runtimes: &runtimes,
            languages: &named,
            findings: &findings,
            images: &images,
            infra: &infra,
            ci: &ci,
            package_json,
        },
        radar,
    );

    let build_systems = facts::BUILD_SYSTEMS
        .iter()
        .filter(|b| findings.tools.iter().any(|t| t.id == **b))
        .map(|b| b.to_string())
        .collect();
    let mut docker_base_images: Vec<String> = Vec::new();
    for image in &images {
        if !docker_base_images.contains(&image.image) {
            docker_base_images.push(image.image.clone());
        }
    }
    let version_of = |r: Runtime| {
        runtimes
            .iter()
            .find(|v| v.runtime == r)
            .map(|v| v.version.clone())
    };
    let mut runtime_map = Map::new();
    for r in &runtimes {
        runtime_map.insert(r.runtime.id().to_string(), Value::String(r.version.clone()));
    }
    let uses_java = languages.iter().any(|l| l == "java") || version_of(Runtime::Java).is_some();
    let mut dependencies = findings.dependencies;
    dependencies.sort_by(|a, b| {
        (a.ecosystem, &a.source, &a.name, &a.version).cmp(&(
            b.ecosystem,
            &b.source,
            &b.name,
            &b.version,
        ))
    });
    dependencies.dedup();

    RepoFacts {
        has_readme: hygiene.readme.is_some(),
        has_codeowners: hygiene.codeowners.is_some(),
        has_tests: hygiene.test_files > 0,
        test_file_count: hygiene.test_files,
        ci_provider: ci.providers.first().map(|p| p.to_string()),
        ci_providers: ci.providers.iter().map(|p| p.to_string()).collect(),
        ci_runs_tests: ci.runs_tests,
        deploys_on_merge: ci.deploys_on_merge || infra.gitops_auto_sync,
        canary_analysis: ci.canary || infra.canary,
        declarative_infra: !infra.formats.is_empty(),
        infra_formats: infra.formats.iter().map(|f| f.to_string()).collect(),
        build_systems,
        languages,
        language_stats,
        docker_base_images,
        technologies,
        java_version: version_of(Runtime::Java).filter(|_| uses_java),
        runtimes: runtime_map,
        runtime_sources,
        runtime_disagreements,
        deployed_images: infra.images.clone(),
        dependencies,
        scan_warnings: repo.into_warnings(),
    }
}

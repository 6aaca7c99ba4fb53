//! What the readers of build files, lockfiles and version files report, before it is summed up
//! into facts: dependencies, hints of runtime versions, and versions of build tools.

use serde::Serialize;

/// A dependency of the repository, as a manifest or lockfile names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// `maven`, `gradle-plugin`, `npm`, `pypi`, `go`, `cargo`, `helm`, `terraform`.
    pub ecosystem: &'static str,
    /// The package's name in its ecosystem (`org.apache.logging.log4j:log4j-core`, `lodash`,
    /// `github.com/gin-gonic/gin`).
    pub name: String,
    /// The resolved version; `null` when the files at hand do not fix one (a range without a
    /// lockfile, a version managed by a BOM outside the repository).
    pub version: Option<String>,
    /// The file it was read from, relative to the repository root.
    pub source: String,
    /// Declared by the project itself rather than pulled in by another dependency.
    pub direct: bool,
    /// Where the version comes from when the declaration does not write it: a BOM
    /// (`org.springframework.boot:spring-boot-dependencies:3.1.5`), a build property that
    /// overrides the BOM (`property log4j2.version in pom.xml`), the artefact that pulls it in
    /// (`org.springframework.boot:spring-boot-starter-log4j2:2.6.1`), or the repository's own
    /// `dependencyManagement` (`dependencyManagement in pom.xml`).
    #[serde(rename = "resolvedFrom", skip_serializing_if = "Option::is_none")]
    pub resolved_from: Option<String>,
    /// Why `version` is null, when the scanner knows (a BOM it has no data for).
    #[serde(rename = "unresolvedReason", skip_serializing_if = "Option::is_none")]
    pub unresolved_reason: Option<String>,
}

/// How the version of a dependency that does not write one was found.
pub use super::ecosystems::Managed as Resolution;

/// A runtime whose version the scanner looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Runtime {
    Java,
    Node,
    Python,
    Go,
    Rust,
}

impl Runtime {
    /// All runtimes, in the order they are reported.
    pub const ALL: [Runtime; 5] = [
        Runtime::Java,
        Runtime::Node,
        Runtime::Python,
        Runtime::Go,
        Runtime::Rust,
    ];

    /// The fact key and radar id.
    pub fn id(self) -> &'static str {
        match self {
            Runtime::Java => "java",
            Runtime::Node => "node",
            Runtime::Python => "python",
            Runtime::Go => "go",
            Runtime::Rust => "rust",
        }
    }
}

/// How much a hint of a runtime version is trusted; the lowest wins.
pub mod rank {
    /// A file whose only job is to pin the runtime (`.nvmrc`, `rust-toolchain.toml`).
    pub const PIN: u8 = 0;
    /// The build's own setting (`maven.compiler.release`, a Gradle toolchain, `go` directive).
    pub const BUILD: u8 = 1;
    /// A file shared by several tools (`.tool-versions`, `.sdkmanrc`).
    pub const TOOL_VERSIONS: u8 = 2;
    /// A lower bound of a supported range (`engines.node`, `requires-python`).
    pub const RANGE: u8 = 3;
    /// A container base image tag (`eclipse-temurin:21-jre`).
    pub const IMAGE: u8 = 4;
    /// A version a CI job sets up (`actions/setup-java` with `java-version: 21`): reported as a
    /// source, never chosen (CI is not where the component runs).
    pub const CI: u8 = 5;
    /// One value of a CI matrix: several are tested on purpose, so it disagrees only when none
    /// of the matrix's values agrees.
    pub const CI_MATRIX: u8 = 6;

    /// The name of a rank in the `runtimeSources` fact.
    pub fn kind(rank: u8) -> &'static str {
        match rank {
            PIN => "pin",
            BUILD => "build",
            TOOL_VERSIONS => "tool-versions",
            RANGE => "range",
            IMAGE => "image",
            CI => "ci",
            _ => "ci-matrix",
        }
    }
}

/// A version of a runtime found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeHint {
    pub runtime: Runtime,
    pub version: String,
    pub source: String,
    /// See [`rank`].
    pub rank: u8,
}

/// A build tool, package manager or platform and the version a file pins, if any
/// (`gradle` 8.8 from the wrapper, `pnpm` 9.4.0 from `packageManager`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// The radar id it would have.
    pub id: &'static str,
    pub version: Option<String>,
    pub source: String,
}

/// Everything the file readers found.
#[derive(Debug, Default)]
pub struct Findings {
    pub dependencies: Vec<Dependency>,
    pub runtimes: Vec<RuntimeHint>,
    pub tools: Vec<Tool>,
}

impl Findings {
    /// Records a dependency.
    pub fn dependency(
        &mut self,
        ecosystem: &'static str,
        name: impl Into<String>,
        version: Option<String>,
        source: &str,
        direct: bool,
    ) {
        self.dependencies.push(Dependency {
            ecosystem,
            name: name.into(),
            version: version.filter(|v| !v.trim().is_empty()),
            source: source.to_string(),
            direct,
            resolved_from: None,
            unresolved_reason: None,
        });
    }

    /// Records a dependency whose version was not written on it: where the version comes
    /// from, or why there is none.
    pub fn resolved_dependency(
        &mut self,
        ecosystem: &'static str,
        name: impl Into<String>,
        source: &str,
        direct: bool,
        resolution: Resolution,
    ) {
        let (version, resolved_from, unresolved_reason) = match resolution {
            Resolution::Version { version, from } => (Some(version), Some(from), None),
            Resolution::Unknown(why) => (None, None, Some(why)),
        };
        self.dependencies.push(Dependency {
            ecosystem,
            name: name.into(),
            version,
            source: source.to_string(),
            direct,
            resolved_from,
            unresolved_reason,
        });
    }

    /// Records a runtime version hint; empty versions are ignored.
    pub fn runtime(&mut self, runtime: Runtime, version: Option<String>, source: &str, rank: u8) {
        if let Some(version) = version.filter(|v| !v.is_empty()) {
            self.runtimes.push(RuntimeHint {
                runtime,
                version,
                source: source.to_string(),
                rank,
            });
        }
    }

    /// Records a build tool or platform.
    pub fn tool(&mut self, id: &'static str, version: Option<String>, source: &str) {
        self.tools.push(Tool {
            id,
            version,
            source: source.to_string(),
        });
    }
}

//! What the readers of build files, lockfiles and version files report, before it is summed up
//! into facts: dependencies, hints of runtime versions, and versions of build tools.

use serde::Serialize;

/// A dependency of the repository, as a manifest or lockfile names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// `maven`, `gradle-plugin`, `npm`, `pypi`, `go`, `cargo`.
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
}

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

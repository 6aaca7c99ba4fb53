//! Files that pin tools and runtimes for several ecosystems at once (`.tool-versions`,
//! `.sdkmanrc`, `.java-version`), and the pins of sbt, Bazel and Terraform
//! (`.terraform-version`, read by tfenv).

use std::sync::LazyLock;

use regex::Regex;

use super::super::findings::{Findings, Runtime, rank};
use super::super::repo::Repo;
use super::super::versions::{java_release, leading_version};

static SCALA_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"scalaVersion\s*:=\s*"([\d.]+)""#).expect("a valid regular expression")
});

/// The version inside a distribution name: `temurin-21.0.4+7.0.LTS` → `21.0.4`.
fn version_in(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    leading_version(&text[start..])
}

/// Reads the pin files into `out`.
pub fn read(repo: &Repo, out: &mut Findings) {
    for path in repo.named(|n| n == ".tool-versions") {
        let Some(text) = repo.text(path) else {
            continue;
        };
        for line in text.lines() {
            let mut words = line.split('#').next().unwrap_or("").split_whitespace();
            let (Some(tool), Some(version)) = (words.next(), words.next()) else {
                continue;
            };
            pin(tool, version, path, rank::TOOL_VERSIONS, out);
        }
    }
    for path in repo.named(|n| n == ".sdkmanrc") {
        let Some(text) = repo.text(path) else {
            continue;
        };
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            if let Some((tool, version)) = line.split_once('=') {
                pin(tool.trim(), version.trim(), path, rank::TOOL_VERSIONS, out);
            }
        }
    }
    for path in repo.named(|n| n == ".java-version") {
        if let Some(text) = repo.text(path) {
            let v = text.lines().next().and_then(version_in);
            out.runtime(
                Runtime::Java,
                v.as_deref().and_then(java_release),
                path,
                rank::PIN,
            );
        }
    }
    for path in repo.named(|n| n == ".terraform-version") {
        if let Some(text) = repo.text(path) {
            let v = text.lines().next().and_then(leading_version);
            out.tool("terraform", v, path);
        }
    }
    for path in repo.named(|n| n == ".bazelversion") {
        if let Some(text) = repo.text(path) {
            out.tool("bazel", text.lines().next().and_then(leading_version), path);
        }
    }
    let bazel_files = ["MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel"];
    if !out.tools.iter().any(|t| t.id == "bazel")
        && let Some(path) = repo.named(|n| bazel_files.contains(&n)).first()
    {
        out.tool("bazel", None, path);
    }
    for path in repo.named(|n| n == "build.properties") {
        if !path.ends_with("project/build.properties") {
            continue;
        }
        if let Some(text) = repo.text(path) {
            let v = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("sbt.version"))
                .map(|rest| rest.trim_start_matches([' ', '=', ':']))
                .and_then(leading_version);
            out.tool("sbt", v, path);
        }
    }
    for path in repo.named(|n| n == "build.sbt") {
        if let Some(text) = repo.text(path) {
            if let Some(c) = SCALA_VERSION.captures(&text) {
                let v = Some(c[1].to_string());
                out.dependency("maven", "org.scala-lang:scala-library", v, path, true);
            }
            if !out.tools.iter().any(|t| t.id == "sbt") {
                out.tool("sbt", None, path);
            }
        }
    }
}

/// One `tool version` pin of `.tool-versions` (asdf, mise) or `.sdkmanrc`.
fn pin(tool: &str, version: &str, path: &str, rank: u8, out: &mut Findings) {
    let runtime = match tool {
        "java" => Some(Runtime::Java),
        "nodejs" | "node" => Some(Runtime::Node),
        "python" => Some(Runtime::Python),
        "golang" | "go" => Some(Runtime::Go),
        "rust" => Some(Runtime::Rust),
        _ => None,
    };
    match runtime {
        Some(Runtime::Java) => {
            let v = version_in(version);
            out.runtime(
                Runtime::Java,
                v.as_deref().and_then(java_release),
                path,
                rank,
            );
        }
        Some(r) => out.runtime(r, leading_version(version), path, rank),
        None => {
            let id = match tool {
                "gradle" => "gradle",
                "maven" => "maven",
                "terraform" => "terraform",
                "pnpm" => "pnpm",
                "poetry" => "poetry",
                "sbt" => "sbt",
                "bazel" => "bazel",
                _ => return,
            };
            out.tool(id, leading_version(version), path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_versions_lines() {
        let mut out = Findings::default();
        pin(
            "java",
            "temurin-21.0.4+7.0.LTS",
            ".tool-versions",
            rank::TOOL_VERSIONS,
            &mut out,
        );
        pin(
            "nodejs",
            "20.15.1",
            ".tool-versions",
            rank::TOOL_VERSIONS,
            &mut out,
        );
        pin(
            "terraform",
            "1.8.5",
            ".tool-versions",
            rank::TOOL_VERSIONS,
            &mut out,
        );
        pin(
            "ruby",
            "3.3.0",
            ".tool-versions",
            rank::TOOL_VERSIONS,
            &mut out,
        );
        let runtimes: Vec<_> = out
            .runtimes
            .iter()
            .map(|r| (r.runtime, r.version.as_str()))
            .collect();
        assert_eq!(
            runtimes,
            vec![(Runtime::Java, "21.0.4"), (Runtime::Node, "20.15.1")]
        );
        assert_eq!(out.tools.len(), 1);
    }
}

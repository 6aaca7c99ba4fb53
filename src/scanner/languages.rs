//! Languages by file extension and share of bytes, the way code-hosting sites count them.

use serde::Serialize;

use super::repo::{Repo, file_name};

/// Below this share of the counted bytes a language is not named in `languages`.
const MIN_SHARE: f64 = 0.10;

/// One language's weight in the repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanguageShare {
    /// Lower-case name, the radar id where there is one (`java`, `typescript`, `go`).
    pub name: String,
    pub bytes: u64,
    /// Fraction of the counted bytes, 0 to 1, rounded to three decimals.
    pub share: f64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Named in `languages` when its share is large enough.
    Code,
    /// Scripts, container and infrastructure definitions: named in `languages` only in a
    /// repository without program code (a repository of base images or of Terraform).
    Support,
    /// Counted in the statistics only (styles and templates).
    Markup,
}

/// The language of a file, from its name; `None` for documentation, data and configuration.
pub fn language_of(path: &str) -> Option<&'static str> {
    classify(path).map(|(name, _)| name)
}

/// Whether a file is program code (not a script, markup, documentation, data or configuration).
pub fn is_code(path: &str) -> bool {
    matches!(classify(path), Some((_, Kind::Code)))
}

fn classify(path: &str) -> Option<(&'static str, Kind)> {
    let name = file_name(path);
    // Build scripts are configuration of the build, not the product.
    if name.ends_with(".gradle.kts") || name == "build.sbt" {
        return None;
    }
    if name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile") {
        return Some(("dockerfile", Kind::Support));
    }
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let code = |n| Some((n, Kind::Code));
    match ext.as_str() {
        "java" => code("java"),
        "kt" | "kts" => code("kotlin"),
        "scala" | "sc" => code("scala"),
        "groovy" => code("groovy"),
        "clj" | "cljs" => code("clojure"),
        "ts" | "tsx" | "mts" | "cts" => code("typescript"),
        "js" | "jsx" | "mjs" | "cjs" => code("javascript"),
        "vue" => code("vue"),
        "svelte" => code("svelte"),
        "py" | "pyi" => code("python"),
        "go" => code("go"),
        "rs" => code("rust"),
        "swift" => code("swift"),
        "m" | "mm" => code("objective-c"),
        "rb" => code("ruby"),
        "php" => code("php"),
        "cs" => code("csharp"),
        "fs" => code("fsharp"),
        "c" | "h" => code("c"),
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => code("cpp"),
        "dart" => code("dart"),
        "ex" | "exs" => code("elixir"),
        "erl" => code("erlang"),
        "hs" => code("haskell"),
        "lua" => code("lua"),
        "r" => code("r"),
        "sh" | "bash" | "zsh" => Some(("shell", Kind::Support)),
        "ps1" => Some(("powershell", Kind::Support)),
        "tf" | "hcl" => Some(("hcl", Kind::Support)),
        "sql" => Some(("sql", Kind::Support)),
        "proto" => code("protobuf"),
        "html" | "htm" => Some(("html", Kind::Markup)),
        "css" => Some(("css", Kind::Markup)),
        "scss" | "sass" => Some(("scss", Kind::Markup)),
        "less" => Some(("less", Kind::Markup)),
        _ => None,
    }
}

/// Byte counts per language, largest first, and the names of the program languages that weigh
/// at least [`MIN_SHARE`] (always the largest one); in a repository without program code, the
/// support languages (Dockerfile, shell, HCL) instead.
pub fn detect(repo: &Repo) -> (Vec<LanguageShare>, Vec<String>) {
    let mut totals: Vec<(&'static str, Kind, u64)> = Vec::new();
    for f in repo.files() {
        let Some((name, kind)) = classify(&f.path) else {
            continue;
        };
        match totals.iter_mut().find(|(n, _, _)| *n == name) {
            Some(t) => t.2 += f.size,
            None => totals.push((name, kind, f.size)),
        }
    }
    totals.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let all: u64 = totals.iter().map(|t| t.2).sum();
    let share = |bytes: u64| {
        if all == 0 {
            0.0
        } else {
            (bytes as f64 / all as f64 * 1000.0).round() / 1000.0
        }
    };
    let stats = totals
        .iter()
        .map(|&(name, _, bytes)| LanguageShare {
            name: name.to_string(),
            bytes,
            share: share(bytes),
        })
        .collect();
    let kind = if totals.iter().any(|t| t.1 == Kind::Code) {
        Kind::Code
    } else {
        Kind::Support
    };
    let code: Vec<_> = totals.iter().filter(|t| t.1 == kind).collect();
    let named = code
        .iter()
        .enumerate()
        .filter(|(i, t)| *i == 0 || (all > 0 && t.2 as f64 / all as f64 >= MIN_SHARE))
        .map(|(_, t)| t.0.to_string())
        .collect();
    (stats, named)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::tree::MemoryTree;

    #[test]
    fn shares_rank_languages_and_drop_small_ones() {
        let tree: MemoryTree = [
            ("src/main/java/App.java", "x".repeat(900)),
            ("scripts/run.sh", "x".repeat(50)),
            ("web/index.html", "x".repeat(50)),
            ("README.md", "x".repeat(5000)),
            ("build.gradle.kts", "x".repeat(5000)),
        ]
        .into_iter()
        .collect();
        let repo = Repo::new(&tree);
        let (stats, named) = detect(&repo);
        assert_eq!(named, vec!["java"]);
        assert_eq!(stats[0].name, "java");
        assert_eq!(stats[0].share, 0.9);
        assert_eq!(stats.len(), 3);
    }

    #[test]
    fn scripts_count_only_without_program_code() {
        let tree: MemoryTree = [
            ("images/java21/Dockerfile", "x".repeat(300)),
            ("main.tf", "x".repeat(200)),
        ]
        .into_iter()
        .collect();
        let (_, named) = detect(&Repo::new(&tree));
        assert_eq!(named, vec!["dockerfile", "hcl"]);
    }

    #[test]
    fn an_empty_repository_has_no_language() {
        let repo_tree = MemoryTree::new();
        let (stats, named) = detect(&Repo::new(&repo_tree));
        assert!(stats.is_empty() && named.is_empty());
    }
}

//! Languages by file extension and share of bytes, the way code-hosting sites count them.

use serde::Serialize;

use super::docker::TEMPLATE_EXTENSIONS;
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
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("j2" | "jinja" | "jinja2")) {
        return Some(("jinja", Kind::Markup));
    }
    if (name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile"))
        && !TEMPLATE_EXTENSIONS.iter().any(|e| name.ends_with(e))
    {
        return Some(("dockerfile", Kind::Support));
    }
    let ext = ext?;
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
        "jsp" | "jspx" | "jspf" | "tag" => Some(("jsp", Kind::Markup)),
        "ftl" | "ftlh" | "ftlx" => Some(("freemarker", Kind::Markup)),
        "njk" | "nunjucks" => Some(("nunjucks", Kind::Markup)),
        "hbs" | "handlebars" => Some(("handlebars", Kind::Markup)),
        "mustache" => Some(("mustache", Kind::Markup)),
        "ejs" => Some(("ejs", Kind::Markup)),
        "erb" => Some(("erb", Kind::Markup)),
        "twig" => Some(("twig", Kind::Markup)),
        "liquid" => Some(("liquid", Kind::Markup)),
        "cue" => Some(("cue", Kind::Support)),
        "jsonnet" | "libsonnet" => Some(("jsonnet", Kind::Support)),
        _ => None,
    }
}

/// Folders that serve files to browsers as they are.
const WEB_ROOTS: [&str; 6] = [
    "static",
    "public",
    "assets",
    "webapp",
    "wwwroot",
    "web-resources",
];
/// Folders under a web root that hold libraries or build outputs rather than the project's
/// own code.
const COPIED: [&str; 8] = [
    "lib", "libs", "vendor", "vendors", "dist", "build", "bundles", "external",
];

/// Whether a file is a copy of someone else's code or a build output: minified or bundled
/// JavaScript and CSS, a script with a source map beside it, or a library in a web root's
/// `lib/` or `dist/` folder. Such files do not decide the repository's languages.
fn is_copied_or_compiled(repo: &Repo, path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    let generated = [
        ".min.js",
        ".min.css",
        ".bundle.js",
        ".chunk.js",
        ".min.mjs",
        "-bundle.js",
    ];
    if generated.iter().any(|g| name.ends_with(g)) {
        return true;
    }
    let web = name.ends_with(".js") || name.ends_with(".css") || name.ends_with(".mjs");
    if !web {
        return false;
    }
    let dirs: Vec<&str> = path.split('/').collect();
    let dirs = &dirs[..dirs.len() - 1];
    let in_web_copy = dirs
        .iter()
        .enumerate()
        .any(|(i, d)| WEB_ROOTS.contains(d) && dirs[i + 1..].iter().any(|c| COPIED.contains(c)));
    in_web_copy || repo.exists(&format!("{path}.map"))
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
        if is_copied_or_compiled(repo, &f.path) {
            continue;
        }
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
    fn vendored_and_compiled_code_does_not_count() {
        let tree: MemoryTree = [
            ("src/main/java/App.java", "x".repeat(500)),
            ("src/main/webapp/static/js/lib/jquery.js", "x".repeat(9000)),
            ("web/public/app.min.js", "x".repeat(9000)),
            ("web/out/main.js", "x".repeat(9000)),
            ("web/out/main.js.map", "x".repeat(10)),
            ("src/main/webapp/WEB-INF/views/home.jsp", "x".repeat(100)),
            ("deploy/Dockerfile.j2", "x".repeat(100)),
            ("config/app.cue", "x".repeat(100)),
        ]
        .into_iter()
        .collect();
        let (stats, named) = detect(&Repo::new(&tree));
        assert_eq!(named, vec!["java"]);
        let names: Vec<&str> = stats.iter().map(|s| s.name.as_str()).collect();
        assert!(
            !names.contains(&"javascript") && !names.contains(&"dockerfile"),
            "{names:?}"
        );
        assert!(names.contains(&"jsp") && names.contains(&"jinja") && names.contains(&"cue"));
    }

    #[test]
    fn an_empty_repository_has_no_language() {
        let repo_tree = MemoryTree::new();
        let (stats, named) = detect(&Repo::new(&repo_tree));
        assert!(stats.is_empty() && named.is_empty());
    }
}

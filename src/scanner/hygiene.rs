//! The basics a repository should have: a README, a CODEOWNERS file with rules, and tests.

use super::languages::is_code;
use super::repo::{Repo, file_name};

/// Where GitHub looks for CODEOWNERS (GitLab adds `.gitlab/`).
const CODEOWNERS: [&str; 4] = [
    ".github/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
];

/// Folders that hold tests in the usual layouts.
const TEST_DIRS: [&str; 10] = [
    "test",
    "tests",
    "__tests__",
    "spec",
    "specs",
    "e2e",
    "integration-tests",
    "integrationTest",
    "androidTest",
    "testFixtures",
];

/// Rust files with unit tests inside are looked for only up to this size.
const MAX_RUST_SCAN_BYTES: u64 = 256 * 1024;

/// What the hygiene checks found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hygiene {
    pub readme: Option<String>,
    pub codeowners: Option<String>,
    pub test_files: u64,
}

/// Looks for the README, CODEOWNERS and test files.
pub fn detect(repo: &Repo) -> Hygiene {
    let readme = repo
        .files()
        .iter()
        .map(|f| f.path.as_str())
        .find(|p| {
            let dir_ok = matches!(
                p.rsplit_once('/').map(|(d, _)| d),
                None | Some(".github" | "docs")
            );
            dir_ok && file_name(p).to_ascii_lowercase().starts_with("readme")
        })
        .map(str::to_string);
    let codeowners = CODEOWNERS
        .iter()
        .find(|p| repo.exists(p) && has_rules(repo, p))
        .map(|p| p.to_string());
    let test_files = repo
        .files()
        .iter()
        .filter(|f| {
            (is_code(&f.path) && (is_test_file(&f.path) || has_inline_tests(repo, &f.path, f.size)))
                || is_declarative_test(&f.path)
        })
        .count() as u64;
    Hygiene {
        readme,
        codeowners,
        test_files,
    }
}

fn has_rules(repo: &Repo, path: &str) -> bool {
    let Some(text) = repo.text(path) else {
        return false;
    };
    let rules = text
        .lines()
        .map(str::trim)
        .any(|l| !l.is_empty() && !l.starts_with('#'));
    if !rules {
        repo.warn(path, "CODEOWNERS holds no rules");
    }
    rules
}

/// Whether a source file is a test by its folder or its name.
pub fn is_test_file(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or(path);
    if parts.iter().any(|d| TEST_DIRS.contains(d)) {
        return true;
    }
    let stem = name.split('.').next().unwrap_or(name);
    let ext = name.rsplit('.').next().unwrap_or("");
    let js = ["ts", "tsx", "js", "jsx", "mjs", "cjs", "mts", "cts"];
    name.ends_with("_test.go")
        || (ext == "py" && (stem.starts_with("test_") || stem.ends_with("_test")))
        || (js.contains(&ext) && (name.contains(".test.") || name.contains(".spec.")))
        || (["java", "kt", "scala", "groovy", "swift", "cs"].contains(&ext)
            && ["Test", "Tests", "IT", "Spec", "Suite"]
                .iter()
                .any(|s| stem.ends_with(s)))
        || (ext == "rb" && stem.ends_with("_spec"))
        || (ext == "rs" && stem.ends_with("_test"))
}

/// Tests of declarative code: Terraform's `*.tftest.hcl`, helm-unittest suites
/// (`tests/*_test.yaml` of a chart).
fn is_declarative_test(path: &str) -> bool {
    let name = file_name(path);
    name.ends_with(".tftest.hcl")
        || name.ends_with(".tftest.json")
        || ((name.ends_with("_test.yaml") || name.ends_with("_test.yml"))
            && path.split('/').rev().nth(1) == Some("tests"))
}

/// Rust keeps unit tests beside the code (`#[cfg(test)]`).
fn has_inline_tests(repo: &Repo, path: &str, size: u64) -> bool {
    path.ends_with(".rs")
        && size <= MAX_RUST_SCAN_BYTES
        && repo
            .text_quiet(path)
            .is_some_and(|t| t.contains("#[cfg(test)]") || t.contains("#[test]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_by_folder_and_name() {
        for yes in [
            "src/test/java/com/acme/AppTest.java",
            "tests/test_api.py",
            "app/api_test.py",
            "pkg/server/server_test.go",
            "web/src/App.test.tsx",
            "src/__tests__/cart.ts",
            "service/OrderServiceIT.java",
        ] {
            assert!(is_test_file(yes), "{yes}");
        }
        assert!(is_declarative_test("tests/bucket.tftest.hcl"));
        assert!(is_declarative_test("charts/api/tests/deployment_test.yaml"));
        assert!(!is_declarative_test("charts/api/templates/deployment.yaml"));
        for no in [
            "src/main/java/com/acme/App.java",
            "app/main.py",
            "contest.go",
            "src/testing.ts",
        ] {
            assert!(!is_test_file(no), "{no}");
        }
    }
}

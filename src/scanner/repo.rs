//! The scan's view of one repository: the listed files (ignored folders removed), reading with a
//! size cap, and the warnings collected along the way.

use std::cell::RefCell;

use serde::Serialize;

use super::tree::{FileTree, TreeFile, is_ignored};
use crate::source::parse_documents;

/// Files larger than this are not read (lockfiles of large monorepos stay below it).
pub const MAX_READ_BYTES: u64 = 8 * 1024 * 1024;

/// A file the scanner could not make sense of, and why. Reported as the `scanWarnings` fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanWarning {
    pub file: String,
    pub message: String,
}

/// One repository being scanned.
pub struct Repo<'a> {
    tree: &'a dyn FileTree,
    files: Vec<TreeFile>,
    warnings: RefCell<Vec<ScanWarning>>,
}

impl<'a> Repo<'a> {
    /// Lists the tree; a listing error becomes a warning on the root.
    pub fn new(tree: &'a dyn FileTree) -> Self {
        let mut warnings = Vec::new();
        let mut files = tree.files().unwrap_or_else(|e| {
            warnings.push(ScanWarning {
                file: ".".into(),
                message: format!("cannot list the repository: {e}"),
            });
            Vec::new()
        });
        files.retain(|f| !is_ignored(&f.path));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Repo {
            tree,
            files,
            warnings: RefCell::new(warnings),
        }
    }

    /// Every file, sorted by path.
    pub fn files(&self) -> &[TreeFile] {
        &self.files
    }

    /// Paths of the files whose name (last path segment) satisfies `pred`, outside test
    /// fixture folders (manifests there describe other, imaginary projects).
    pub fn named(&self, pred: impl Fn(&str) -> bool) -> Vec<&str> {
        self.files
            .iter()
            .map(|f| f.path.as_str())
            .filter(|p| !is_fixture(p) && pred(file_name(p)))
            .collect()
    }

    /// Whether a file exists at exactly this path.
    pub fn exists(&self, path: &str) -> bool {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .is_ok()
    }

    /// The text of a file, or `None` with a warning when it is too large, unreadable or not
    /// UTF-8.
    pub fn text(&self, path: &str) -> Option<String> {
        match self.read_text(path) {
            Ok(t) => Some(t),
            Err(message) => {
                self.warn(path, message);
                None
            }
        }
    }

    /// Like [`Repo::text`], without a warning (for files only glanced at).
    pub fn text_quiet(&self, path: &str) -> Option<String> {
        self.read_text(path).ok()
    }

    fn read_text(&self, path: &str) -> Result<String, String> {
        let size = self
            .files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .map(|i| self.files[i].size)
            .map_err(|_| "no such file".to_string())?;
        if size > MAX_READ_BYTES {
            return Err(format!(
                "not read: {size} bytes is more than the limit of {MAX_READ_BYTES}"
            ));
        }
        let bytes = self
            .tree
            .read(path)
            .map_err(|e| format!("cannot read: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
        // A byte-order mark is not part of any format we read.
        Ok(text.trim_start_matches('\u{feff}').to_string())
    }

    /// Every YAML document of a file as JSON values (read with [`crate::source`]); a syntax
    /// error becomes a warning with its line and column.
    pub fn yaml(&self, path: &str, text: &str) -> Option<Vec<serde_json::Value>> {
        match parse_documents(std::path::Path::new(path), text) {
            Ok(docs) => Some(docs.into_iter().map(|d| d.value).collect()),
            Err(e) => {
                let at = e
                    .pos
                    .map(|p| format!("line {}, column {}: ", p.line, p.column))
                    .unwrap_or_default();
                // The parser's message may repeat its own position; ours is in front.
                let message = e.message.trim_start_matches("error: ");
                let message = match message.split_once(": ") {
                    Some((head, rest)) if head.starts_with("line ") => rest,
                    _ => message,
                };
                self.warn(path, format!("not valid YAML: {at}{message}"));
                None
            }
        }
    }

    /// A JSON file's value; a syntax error becomes a warning.
    pub fn json(&self, path: &str, text: &str) -> Option<serde_json::Value> {
        match serde_json::from_str(text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.warn(path, format!("not valid JSON: {e}"));
                None
            }
        }
    }

    /// A TOML file's top table; a syntax error becomes a warning.
    pub fn toml(&self, path: &str, text: &str) -> Option<toml::Table> {
        match text.parse::<toml::Table>() {
            Ok(t) => Some(t),
            Err(e) => {
                let msg = e.to_string();
                let first = msg.lines().next().unwrap_or_default().trim();
                self.warn(path, format!("not valid TOML: {first}"));
                None
            }
        }
    }

    /// Records a problem with one file; the scan goes on.
    pub fn warn(&self, file: &str, message: impl Into<String>) {
        self.warnings.borrow_mut().push(ScanWarning {
            file: file.to_string(),
            message: message.into(),
        });
    }

    /// The warnings so far, in the order they were found.
    pub fn into_warnings(self) -> Vec<ScanWarning> {
        self.warnings.into_inner()
    }
}

/// The last segment of a path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The folder of a path (`""` at the root).
pub fn parent_dir(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

/// Whether `path` is the folder `dir` or lies below it (everything lies below the root `""`).
pub fn under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// Resolves `rel` (which may hold `..` and `.`) against the folder `dir`; `None` when it leaves
/// the repository.
pub fn resolve(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for piece in rel.split(['/', '\\']) {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Whether a path lies in a folder of test data (`testdata/`, `fixtures/`, `__fixtures__/`).
pub fn is_fixture(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.iter().any(|p| {
        matches!(
            *p,
            "testdata" | "test-data" | "fixtures" | "__fixtures__" | "__snapshots__"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_inside_the_repository() {
        assert_eq!(
            resolve("svc/api", "../pom.xml").as_deref(),
            Some("svc/pom.xml")
        );
        assert_eq!(
            resolve("", "./parent/pom.xml").as_deref(),
            Some("parent/pom.xml")
        );
        assert_eq!(resolve("", "../pom.xml"), None);
        assert_eq!(parent_dir("a/b/c.txt"), "a/b");
        assert_eq!(parent_dir("c.txt"), "");
        assert!(under("web/package.json", "web"));
        assert!(!under("webapp/package.json", "web"));
        assert!(under("anything", ""));
    }

    #[test]
    fn fixture_folders_are_recognised() {
        assert!(is_fixture("tests/fixtures/repos/maven/pom.xml"));
        assert!(is_fixture("pkg/testdata/go.mod"));
        assert!(!is_fixture("pom.xml"));
    }
}

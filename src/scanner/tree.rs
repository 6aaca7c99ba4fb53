//! The files of a repository as the scanner sees them: a list of paths with sizes, and the bytes
//! of one file on demand. A local checkout and files fetched from GitHub look the same here.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// One file of a repository: its path relative to the repository root, with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    pub path: String,
    pub size: u64,
}

/// A repository's files. Implementations need not filter anything: the scanner skips ignored
/// folders (see [`is_ignored`]) itself, though a local walk prunes them early to save time.
pub trait FileTree {
    /// Every file (not folder) with its size, in any order.
    fn files(&self) -> io::Result<Vec<TreeFile>>;
    /// The bytes of the file at `path` (relative, `/`-separated, as listed by [`FileTree::files`]).
    fn read(&self, path: &str) -> io::Result<Vec<u8>>;
}

/// Folders whose content is never the repository's own source: version control, dependencies
/// fetched by package managers, build outputs and vendored code.
const IGNORED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "bower_components",
    "jspm_packages",
    "target",
    "dist",
    ".gradle",
    ".m2",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    "vendor",
    "vendored",
    "third_party",
    "third-party",
    "thirdparty",
    ".terraform",
    ".next",
    ".nuxt",
    ".idea",
    ".vscode",
    ".cache",
];

/// Whether a folder of this name is skipped.
pub fn is_ignored_dir(name: &str) -> bool {
    IGNORED_DIRS.contains(&name)
        || name.starts_with("bazel-")
        // Yarn berry keeps its cache and its own release under `.yarn/`.
        || name == ".yarn"
}

/// Whether a repository path lies under a skipped folder.
pub fn is_ignored(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.into_iter().any(is_ignored_dir)
}

/// A repository checked out in a local folder. Symbolic links are not followed.
pub struct DirTree {
    root: PathBuf,
}

impl DirTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirTree { root: root.into() }
    }

    fn walk(&self, dir: &Path, prefix: &str, out: &mut Vec<TreeFile>) -> io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            if kind.is_dir() {
                if !is_ignored_dir(&name) {
                    self.walk(&entry.path(), &path, out)?;
                }
            } else if kind.is_file() {
                out.push(TreeFile {
                    path,
                    size: entry.metadata()?.len(),
                });
            }
        }
        Ok(())
    }
}

impl FileTree for DirTree {
    fn files(&self) -> io::Result<Vec<TreeFile>> {
        let mut out = Vec::new();
        self.walk(&self.root, "", &mut out)?;
        Ok(out)
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        if path.split('/').any(|p| p == "..") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "path leaves the repository",
            ));
        }
        std::fs::read(self.root.join(path))
    }
}

/// A repository held in memory, e.g. files fetched one by one from the GitHub API.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemoryTree {
    pub fn new() -> Self {
        MemoryTree::default()
    }

    /// Adds (or replaces) the file at `path` (relative, `/`-separated).
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> &mut Self {
        let path = path.into();
        let path = path.trim_start_matches("./").trim_start_matches('/');
        self.files.insert(path.to_string(), content.into());
        self
    }
}

impl<P: Into<String>, C: Into<Vec<u8>>> FromIterator<(P, C)> for MemoryTree {
    fn from_iter<I: IntoIterator<Item = (P, C)>>(iter: I) -> Self {
        let mut tree = MemoryTree::new();
        for (p, c) in iter {
            tree.insert(p, c);
        }
        tree
    }
}

impl FileTree for MemoryTree {
    fn files(&self) -> io::Result<Vec<TreeFile>> {
        Ok(self
            .files
            .iter()
            .map(|(path, bytes)| TreeFile {
                path: path.clone(),
                size: bytes.len() as u64,
            })
            .collect())
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_folders_are_recognised_at_any_depth() {
        assert!(is_ignored("node_modules/lodash/package.json"));
        assert!(is_ignored("web/node_modules/x.js"));
        assert!(is_ignored(".git/config"));
        assert!(is_ignored("bazel-out/k8/bin/app"));
        assert!(!is_ignored("src/main/java/App.java"));
        // A file named like a skipped folder is not skipped.
        assert!(!is_ignored("docs/build"));
    }

    #[test]
    fn memory_tree_lists_what_was_inserted() {
        let tree: MemoryTree = [("./pom.xml", "<project/>"), ("src/A.java", "class A {}")]
            .into_iter()
            .collect();
        let files = tree.files().unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, "pom.xml");
        assert_eq!(files[0].size, 10);
        assert_eq!(tree.read("src/A.java").unwrap(), b"class A {}");
        assert!(tree.read("missing").is_err());
    }
}

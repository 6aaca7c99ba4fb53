//! Helpers for the catalog's unit tests: inline descriptors and an in-memory file tree.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::{Entity, Problem, Severity, parse_descriptors};
use crate::source::Files;

/// Parses `yaml` as the file `catalog-info.yaml`.
pub fn parse(yaml: &str) -> (Vec<Entity>, Vec<Problem>) {
    parse_descriptors(Path::new("catalog-info.yaml"), yaml)
}

/// The one entity of `yaml`, and its problems as `severity line: message`.
pub fn parse_one(yaml: &str) -> (Entity, Vec<String>) {
    let (mut entities, problems) = parse(yaml);
    assert_eq!(entities.len(), 1, "{problems:#?}");
    (entities.remove(0), lines(&problems))
}

/// Problems as `severity line: message`, compact enough to assert on.
pub fn lines(problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            format!(
                "{} {}: {}",
                p.severity,
                p.pos.map_or(0, |p| p.line),
                p.message
            )
        })
        .collect()
}

pub fn errors(problems: &[Problem]) -> Vec<&Problem> {
    problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

/// Files held in memory, like the bundled ones: no disk, `/`-separated relative paths.
pub struct MemFiles(BTreeMap<PathBuf, String>);

impl MemFiles {
    pub fn new(files: &[(&str, &str)]) -> MemFiles {
        MemFiles(
            files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.to_string()))
                .collect(),
        )
    }
}

impl Files for MemFiles {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.0.keys().any(|k| k != path && k.starts_with(path))
    }
    fn exists(&self, path: &Path) -> bool {
        self.0.contains_key(path) || self.is_dir(path)
    }
    fn list(&self, dir: &Path, recursive: bool) -> io::Result<Vec<PathBuf>> {
        let below = |k: &&PathBuf| k.starts_with(dir) && (recursive || k.parent() == Some(dir));
        Ok(self.0.keys().filter(below).cloned().collect())
    }
    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        let pattern = glob::Pattern::new(&pattern.to_string_lossy())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let options = glob::MatchOptions {
            require_literal_separator: true,
            ..Default::default()
        };
        Ok(self
            .0
            .keys()
            .filter(|k| pattern.matches_path_with(k, options))
            .cloned()
            .collect())
    }
}

//! Candidate standards: the files of a config folder with some replaced, added or removed in
//! memory (an impact preview's submission), read through the same loader as the real ones.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::source::Files;

/// `base` (a config folder at `dir`) seen through in-memory changes.
pub struct Overlay<'a> {
    base: &'a dyn Files,
    /// Full path → new text, or `None` for a removed file.
    changes: BTreeMap<PathBuf, Option<String>>,
}

impl<'a> Overlay<'a> {
    /// `files` maps names relative to the config folder (`checks/security.yaml`,
    /// `golden-tech/fleet-policy.yaml`) to their new text (`None`: removed). Names outside
    /// `checks/` and `golden-tech/`, or not YAML/JSON, are refused with the reason.
    pub fn new(
        base: &'a dyn Files,
        dir: &Path,
        files: BTreeMap<String, Option<String>>,
    ) -> Result<Overlay<'a>, String> {
        let mut changes = BTreeMap::new();
        for (name, text) in files {
            let rel = Path::new(&name);
            let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
            let top = rel.components().next().and_then(|c| c.as_os_str().to_str());
            let extension = rel.extension().and_then(|e| e.to_str());
            if !plain
                || !matches!(top, Some("checks" | "golden-tech"))
                || rel.components().count() < 2
            {
                return Err(format!(
                    "`{name}`: name a file under checks/ or golden-tech/, e.g. checks/security.yaml"
                ));
            }
            if !matches!(extension, Some("yaml" | "yml" | "json")) {
                return Err(format!(
                    "`{name}`: standards files are .yaml, .yml or .json"
                ));
            }
            changes.insert(dir.join(rel), text);
        }
        Ok(Overlay { base, changes })
    }
}

fn removed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "removed by the preview")
}

impl Files for Overlay<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        match self.changes.get(path) {
            Some(Some(text)) => Ok(text.clone()),
            Some(None) => Err(removed()),
            None => self.base.read(path),
        }
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.base.is_dir(path)
    }
    fn exists(&self, path: &Path) -> bool {
        match self.changes.get(path) {
            Some(text) => text.is_some(),
            None => self.base.exists(path),
        }
    }
    fn list(&self, dir: &Path, recursive: bool) -> std::io::Result<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = self
            .base
            .list(dir, recursive)?
            .into_iter()
            .filter(|p| !matches!(self.changes.get(p), Some(None)))
            .collect();
        for (path, text) in &self.changes {
            let under = if recursive {
                path.starts_with(dir)
            } else {
                path.parent() == Some(dir)
            };
            if text.is_some() && under && !out.contains(path) {
                out.push(path.clone());
            }
        }
        out.sort();
        Ok(out)
    }
    fn glob(&self, pattern: &Path) -> std::io::Result<Vec<PathBuf>> {
        self.base.glob(pattern)
    }
}

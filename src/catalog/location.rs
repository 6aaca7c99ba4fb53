//! Loading a catalog from files, folders and globs, following `Location` entities.

use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use rustc_hash::FxHashSet;
use serde_json::Value;

use super::descriptor::read_entities;
use super::entity::Entity;
use super::problem::{Problem, Severity, describe};
use super::tree::Catalog;
use crate::source::{Document, Files, Pos};

impl Catalog {
    /// Loads the catalog under `roots`: files, folders (every `*.yaml` / `*.yml` below,
    /// recursively) or glob patterns, and follows the `Location` entities they hold.
    ///
    /// Never panics and never fails wholesale: files and documents that cannot be read become
    /// [`Problem`]s, the rest loads. Location targets are resolved against the Location's own
    /// folder; globs (`./*.yaml`, `./**/catalog-info.yaml`) are expanded; remote
    /// `http(s)://` targets are not fetched (a Warning says so). A file is read once, however
    /// many roots and Locations lead to it; a Location leading back to a file that led to it
    /// is reported as a cycle. Always read through `files`, so bundled catalogs load too.
    pub fn load(files: &dyn Files, roots: &[PathBuf]) -> Catalog {
        let mut loader = Loader {
            files,
            loaded: FxHashSet::default(),
            entities: Vec::new(),
            problems: Vec::new(),
        };
        for root in roots {
            for file in loader.expand_root(root) {
                loader.load_following_locations(file);
            }
        }
        Catalog::from_entities(loader.entities).with_problems_first(loader.problems)
    }
}

struct Loader<'a> {
    files: &'a dyn Files,
    loaded: FxHashSet<PathBuf>,
    entities: Vec<Entity>,
    problems: Vec<Problem>,
}

/// A file to load, with how we got there.
struct Pending {
    /// As the user wrote it (a root) or as resolved from a Location; messages name this.
    file: PathBuf,
    /// The normalised files whose Locations led here, outermost first.
    chain: Rc<Vec<PathBuf>>,
    via: Option<Via>,
}

/// The Location target that named a file: where it is written, and as written.
struct Via {
    file: PathBuf,
    document: usize,
    pos: Pos,
    target: String,
}

impl Via {
    fn problem(&self, severity: Severity, message: String) -> Problem {
        Problem {
            file: self.file.clone(),
            document: Some(self.document),
            pos: Some(self.pos),
            severity,
            message,
        }
    }
}

fn is_descriptor(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

impl Loader<'_> {
    /// The files a root names: itself, the descriptors below a folder, or a glob's matches.
    fn expand_root(&mut self, root: &Path) -> Vec<PathBuf> {
        if is_pattern(&root.to_string_lossy()) {
            return match self.files.glob(root) {
                Err(e) => {
                    self.problems.push(Problem::file_error(
                        root,
                        format!("not a usable glob pattern: {e}"),
                    ));
                    Vec::new()
                }
                Ok(found) => {
                    let found: Vec<PathBuf> =
                        found.into_iter().filter(|p| is_descriptor(p)).collect();
                    if found.is_empty() {
                        self.problems.push(Problem::file_error(
                            root,
                            "no .yaml or .yml file matches this pattern",
                        ));
                    }
                    found
                }
            };
        }
        if !self.files.is_dir(root) {
            return vec![root.to_path_buf()];
        }
        match self.files.list(root, true) {
            Err(e) => {
                self.problems.push(Problem::file_error(
                    root,
                    format!("cannot list folder: {e}"),
                ));
                Vec::new()
            }
            Ok(found) => {
                let found: Vec<PathBuf> = found.into_iter().filter(|p| is_descriptor(p)).collect();
                if found.is_empty() {
                    let p = Problem::file_error(root, "the folder holds no .yaml or .yml file");
                    self.problems.push(p.with_severity(Severity::Warning));
                }
                found
            }
        }
    }

    /// Loads `root` and, depth first, the files its Locations name.
    fn load_following_locations(&mut self, root: PathBuf) {
        // An explicit stack, not recursion: a long chain of Locations must not overflow.
        let mut stack = vec![Pending {
            file: root,
            chain: Rc::new(Vec::new()),
            via: None,
        }];
        while let Some(Pending { file, chain, via }) = stack.pop() {
            // Loaded files are keyed by their normalised path: `a/./b.yaml` is `a/b.yaml`.
            let key = normalise(&file);
            if let (Some(via), Some(start)) = (&via, chain.iter().position(|f| *f == key)) {
                let mut cycle: Vec<String> = chain[start..]
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect();
                cycle.push(file.display().to_string());
                let message = format!(
                    "Location target `{}` leads back to {}: a cycle ({}); not loaded again",
                    via.target,
                    file.display(),
                    cycle.join(" -> ")
                );
                self.problems.push(via.problem(Severity::Warning, message));
                continue;
            }
            if self.loaded.contains(&key) {
                // Already loaded through another root or Location: same file, same entities.
                continue;
            }
            let Some(text) = self.read(&file, via.as_ref()) else {
                continue;
            };
            self.loaded.insert(key.clone());
            let mut targets = Vec::new();
            let files = self.files;
            let entities = &mut self.entities;
            let (read, mut problems) = read_entities(&file, &text, |entity, doc| {
                if entity.entity_ref.kind() == "location" {
                    location_targets(files, entity, doc)
                } else {
                    Vec::new()
                }
            });
            for (entity, found) in read {
                targets.extend(found);
                entities.push(entity);
            }
            self.problems.append(&mut problems);
            let mut chain_here = chain.as_ref().clone();
            chain_here.push(key);
            let chain_here = Rc::new(chain_here);
            for target in targets.into_iter().rev() {
                match target {
                    Target::File(path, via) => stack.push(Pending {
                        file: path,
                        chain: Rc::clone(&chain_here),
                        via: Some(via),
                    }),
                    Target::Problem(p) => self.problems.push(p),
                }
            }
        }
    }

    fn read(&mut self, file: &Path, via: Option<&Via>) -> Option<String> {
        let problem = |message: String| match via {
            Some(via) => via.problem(
                Severity::Error,
                format!(
                    "Location target `{}` ({}) {message}",
                    via.target,
                    file.display()
                ),
            ),
            None => Problem::file_error(file, message),
        };
        if self.files.is_dir(file) {
            let message = "is a folder; name a file, or a glob such as ./*.yaml".to_string();
            self.problems.push(problem(message));
            return None;
        }
        match self.files.read(file) {
            Ok(text) => Some(text),
            Err(e) => {
                let message = if e.kind() == std::io::ErrorKind::NotFound {
                    "does not exist".to_string()
                } else {
                    format!("cannot be read: {e}")
                };
                let message = if via.is_some() {
                    message
                } else {
                    format!("cannot read file: {message}")
                };
                self.problems.push(problem(message));
                None
            }
        }
    }
}

/// A file a Location names, or why one of its targets is not followed.
enum Target {
    File(PathBuf, Via),
    Problem(Problem),
}

/// The targets of a Location (`spec.target`, `spec.targets`), resolved against the folder
/// of the file the Location is in.
fn location_targets(files: &dyn Files, location: &Entity, doc: &Document) -> Vec<Target> {
    let mut out = Vec::new();
    let warning = |pointer: &str, message: String| {
        Target::Problem(Problem::warning_at(doc, pointer, message))
    };
    if let Some(t) = location
        .spec_type()
        .filter(|t| !matches!(*t, "file" | "url"))
    {
        out.push(warning(
            "/spec/type",
            format!("Location type `{t}` is not followed; only file and url targets are read"),
        ));
        return out;
    }
    // Read from the document itself: the entity keeps its spec as text.
    let spec = doc.value.get("spec").unwrap_or(&Value::Null);
    let mut raw: Vec<(String, &Value)> = Vec::new();
    if let Some(t) = spec.get("target") {
        raw.push(("/spec/target".to_string(), t));
    }
    match spec.get("targets") {
        Some(Value::Array(ts)) => raw.extend(
            ts.iter()
                .enumerate()
                .map(|(i, t)| (format!("/spec/targets/{i}"), t)),
        ),
        None | Some(Value::Null) => {}
        Some(other) => raw.push(("/spec/targets".to_string(), other)),
    }
    let base = location
        .origin
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for (pointer, value) in raw {
        let Some(target) = value.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
            let message = format!(
                "a Location target must be a non-empty string, found {}; ignored",
                describe(value)
            );
            out.push(Target::Problem(Problem::error_at(doc, &pointer, message)));
            continue;
        };
        let via = || Via {
            file: doc.file.to_path_buf(),
            document: doc.ordinal,
            pos: doc.pos(&pointer),
            target: target.to_string(),
        };
        let lower = target.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            out.push(warning(&pointer, format!("Location target `{target}` is remote and is not fetched; only local files are read")));
            continue;
        }
        if !is_pattern(target) {
            out.push(Target::File(normalise(&base.join(target)), via()));
            continue;
        }
        // Escape the folder so that only the target's own wildcards match.
        let pattern =
            normalise(&Path::new(&glob::Pattern::escape(&base.to_string_lossy())).join(target));
        match files.glob(&pattern) {
            Err(e) => out.push(warning(
                &pointer,
                format!("Location target `{target}` is not a usable glob pattern: {e}"),
            )),
            Ok(found) => {
                // A Location's glob often matches its own file (`./*.yaml`); that is no cycle.
                let own_file = normalise(&location.origin.file);
                let found: Vec<PathBuf> = found
                    .into_iter()
                    .filter(|p| normalise(p) != own_file)
                    .collect();
                if found.is_empty() {
                    out.push(warning(
                        &pointer,
                        format!("Location target `{target}` matches no file"),
                    ));
                }
                out.extend(found.into_iter().map(|p| Target::File(p, via())));
            }
        }
    }
    out
}

/// Removes `.` and `..` without touching the disk (bundled files have no disk), so that one
/// file reached by two spellings is loaded once.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let popped =
                    matches!(out.components().next_back(), Some(Component::Normal(_))) && out.pop();
                if !popped && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

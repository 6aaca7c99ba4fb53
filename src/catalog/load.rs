//! Loading a catalog from descriptor files (following `Location` entities) and the group tree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::entity::{Entity, Problem, Severity, entity_from_document};
use super::entity_ref::EntityRef;
use crate::source::{Files, parse_documents};

/// Entities by ref, the problems met reading them, and the group tree.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entities: Vec<Entity>,
    index: FxHashMap<EntityRef, usize>,
    children: FxHashMap<EntityRef, Vec<EntityRef>>,
    parents: FxHashMap<EntityRef, EntityRef>,
    problems: Vec<Problem>,
}

fn file_problem(file: &Path, message: String) -> Problem {
    Problem {
        file: file.to_path_buf(),
        document: None,
        pos: None,
        severity: Severity::Error,
        message,
    }
}

/// One file's documents as entities, without following Locations.
pub fn parse_descriptors(file: &Path, text: &str) -> (Vec<Entity>, Vec<Problem>) {
    let docs = match parse_documents(file, text) {
        Ok(d) => d,
        Err(e) => {
            let p = Problem {
                file: file.to_path_buf(),
                document: None,
                pos: e.pos,
                severity: Severity::Error,
                message: format!("not valid YAML: {}", e.message),
            };
            return (Vec::new(), vec![p]);
        }
    };
    let mut entities = Vec::new();
    let mut problems = Vec::new();
    for doc in &docs {
        match entity_from_document(doc) {
            Ok((e, mut ps)) => {
                entities.push(e);
                problems.append(&mut ps);
            }
            Err(p) => problems.push(p),
        }
    }
    if docs.is_empty() {
        problems.push(file_problem(
            file,
            "the file holds no catalog document".into(),
        ));
    }
    (entities, problems)
}

fn is_descriptor(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

impl Catalog {
    /// Loads files, folders (every `*.yaml`/`*.yml` below) or globs, following Locations.
    /// Never fails wholesale: bad documents become problems, good ones load.
    pub fn load(files: &dyn Files, roots: &[PathBuf]) -> Catalog {
        let mut entities = Vec::new();
        let mut problems = Vec::new();
        let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
        let mut queue: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        for root in roots {
            let s = root.to_string_lossy();
            if s.contains(['*', '?', '[']) {
                match files.glob(root) {
                    Ok(ps) if !ps.is_empty() => queue.extend(
                        ps.into_iter()
                            .filter(|p| is_descriptor(p))
                            .map(|p| (p, None)),
                    ),
                    Ok(_) => {
                        problems.push(file_problem(root, "no file matches this pattern".into()))
                    }
                    Err(e) => problems.push(file_problem(root, format!("bad pattern: {e}"))),
                }
            } else if files.is_dir(root) {
                match files.list(root, true) {
                    Ok(ps) => queue.extend(
                        ps.into_iter()
                            .filter(|p| is_descriptor(p))
                            .map(|p| (p, None)),
                    ),
                    Err(e) => problems.push(file_problem(root, format!("cannot list folder: {e}"))),
                }
            } else {
                queue.push((root.clone(), None));
            }
        }
        queue.reverse();
        while let Some((file, from)) = queue.pop() {
            if !seen.insert(file.clone()) {
                if let Some(from) = from {
                    let mut p = file_problem(
                        &from,
                        format!(
                            "Location target {} was already loaded (a cycle or a duplicate target); not loaded again",
                            file.display()
                        ),
                    );
                    p.severity = Severity::Warning;
                    problems.push(p);
                }
                continue;
            }
            let text = match files.read(&file) {
                Ok(t) => t,
                Err(e) => {
                    let at = from.as_deref().unwrap_or(&file);
                    let what = if from.is_some() {
                        format!("Location target {} cannot be read: {e}", file.display())
                    } else {
                        format!("cannot read file: {e}")
                    };
                    problems.push(file_problem(at, what));
                    continue;
                }
            };
            let (found, mut ps) = parse_descriptors(&file, &text);
            problems.append(&mut ps);
            let mut targets = Vec::new();
            for e in &found {
                if e.entity_ref.kind == "location" {
                    targets.extend(location_targets(files, e, &mut problems));
                }
            }
            entities.extend(found);
            for t in targets.into_iter().rev() {
                queue.push((t, Some(file.clone())));
            }
        }
        let mut catalog = Catalog::from_entities(entities);
        problems.append(&mut catalog.problems);
        catalog.problems = problems;
        catalog
    }

    /// Builds the indexes and the group tree; a second entity with the same ref is dropped with a problem.
    pub fn from_entities(entities: Vec<Entity>) -> Catalog {
        let mut catalog = Catalog::default();
        for e in entities {
            if let Some(&first) = catalog.index.get(&e.entity_ref) {
                let f = &catalog.entities[first].origin;
                catalog.problems.push(Problem {
                    file: e.origin.file.clone(),
                    document: Some(e.origin.document),
                    pos: None,
                    severity: Severity::Error,
                    message: format!(
                        "{} is already defined in {} (document {}); this one is ignored",
                        e.entity_ref,
                        f.file.display(),
                        f.document
                    ),
                });
                continue;
            }
            catalog
                .index
                .insert(e.entity_ref.clone(), catalog.entities.len());
            catalog.entities.push(e);
        }
        let mut edges: Vec<(EntityRef, EntityRef)> = Vec::new();
        for e in catalog
            .entities
            .iter()
            .filter(|e| e.entity_ref.kind == "group")
        {
            if let Some(p) = &e.relations.parent {
                edges.push((p.clone(), e.entity_ref.clone()));
            }
            for c in &e.relations.children {
                edges.push((e.entity_ref.clone(), c.clone()));
            }
        }
        for (parent, child) in edges {
            let list = catalog.children.entry(parent.clone()).or_default();
            if !list.contains(&child) {
                list.push(child.clone());
            }
            catalog.parents.entry(child).or_insert(parent);
        }
        catalog
    }

    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }
    pub fn get(&self, r: &EntityRef) -> Option<&Entity> {
        self.index.get(r).map(|&i| &self.entities[i])
    }
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
    pub fn children(&self, group: &EntityRef) -> Vec<&EntityRef> {
        self.children
            .get(group)
            .map(|c| c.iter().collect())
            .unwrap_or_default()
    }
    pub fn parent(&self, group: &EntityRef) -> Option<&EntityRef> {
        self.parents.get(group)
    }
    pub fn is_department(&self, group: &EntityRef) -> bool {
        self.children.get(group).is_some_and(|c| !c.is_empty())
    }

    /// The group itself first, then every group below it; safe against cycles.
    pub fn descendants(&self, group: &EntityRef) -> Vec<EntityRef> {
        let mut out = vec![group.clone()];
        let mut i = 0;
        while i < out.len() {
            for c in self.children(&out[i].clone()) {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
            i += 1;
        }
        out
    }

    /// Parent, grandparent, …; safe against cycles.
    pub fn ancestors(&self, group: &EntityRef) -> Vec<EntityRef> {
        let mut out: Vec<EntityRef> = Vec::new();
        let mut at = group;
        while let Some(p) = self.parent(at) {
            if p == group || out.contains(p) {
                break;
            }
            out.push(p.clone());
            at = p;
        }
        out
    }

    /// Entities owned by the group, or (recursive) by it or any group below it.
    pub fn owned_by(&self, group: &EntityRef, recursive: bool) -> Vec<&Entity> {
        let owners = if recursive {
            self.descendants(group)
        } else {
            vec![group.clone()]
        };
        self.entities
            .iter()
            .filter(|e| e.owner().is_some_and(|o| owners.contains(o)))
            .collect()
    }
}

/// The files a Location points at, relative to its own file; remote targets are not fetched.
fn location_targets(
    files: &dyn Files,
    location: &Entity,
    problems: &mut Vec<Problem>,
) -> Vec<PathBuf> {
    let mut raw: Vec<String> = Vec::new();
    if let Some(t) = location.spec_str("target") {
        raw.push(t.to_string());
    }
    if let Some(ts) = location.spec.get("targets").and_then(|v| v.as_array()) {
        raw.extend(ts.iter().filter_map(|t| t.as_str().map(str::to_string)));
    }
    let base = location
        .origin
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut out = Vec::new();
    for t in raw {
        let warn = |message: String| Problem {
            file: location.origin.file.clone(),
            document: Some(location.origin.document),
            pos: None,
            severity: Severity::Warning,
            message,
        };
        if t.starts_with("http://") || t.starts_with("https://") {
            problems.push(warn(format!(
                "Location target {t} is remote and is not fetched"
            )));
            continue;
        }
        let joined = normalise(&base.join(&t));
        if t.contains(['*', '?']) {
            match files.glob(&joined) {
                Ok(ps) if !ps.is_empty() => out.extend(ps),
                Ok(_) => problems.push(warn(format!("Location target {t} matches no file"))),
                Err(e) => problems.push(warn(format!("Location target {t}: {e}"))),
            }
        } else {
            out.push(joined);
        }
    }
    out
}

/// Removes `.` and `..` components without touching the disk (bundled files have no disk).
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

//! The loaded catalog: entities by ref, and the group tree (parents, children, departments,
//! ownership).

use rustc_hash::{FxHashMap, FxHashSet};

use super::entity::Entity;
use super::entity_ref::EntityRef;
use super::problem::{Problem, Severity};
use crate::source::Pos;

/// Entities by ref, the problems met reading them, and the group tree.
///
/// Build one with [`Catalog::load`] (descriptor files) or [`Catalog::from_entities`].
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entities: Vec<Entity>,
    index: FxHashMap<EntityRef, usize>,
    /// Parent group → child groups, in declaration order.
    children: FxHashMap<EntityRef, Vec<EntityRef>>,
    parents: FxHashMap<EntityRef, EntityRef>,
    /// Owner → indexes into `entities`.
    owned: FxHashMap<EntityRef, Vec<usize>>,
    problems: Vec<Problem>,
}

/// A problem about a whole entity, at the line its document starts on.
fn entity_problem(e: &Entity, severity: Severity, message: String) -> Problem {
    Problem {
        file: e.origin.file.to_path_buf(),
        document: Some(e.origin.document),
        pos: Some(Pos {
            line: e.origin.line,
            column: 1,
        }),
        severity,
        message,
    }
}

impl Catalog {
    /// The entities, without the indexes.
    pub fn into_entities(self) -> Vec<Entity> {
        self.entities
    }

    /// Builds the indexes and the group tree. A second entity with a ref already seen is
    /// dropped with an Error naming both places; the first one is kept.
    pub fn from_entities(entities: Vec<Entity>) -> Catalog {
        let mut catalog = Catalog {
            entities: Vec::with_capacity(entities.len()),
            ..Default::default()
        };
        catalog.index.reserve(entities.len());
        for e in entities {
            if let Some(&first) = catalog.index.get(&e.entity_ref) {
                let f = &catalog.entities[first].origin;
                let message = format!(
                    "{} is already defined at {}:{} (document {}); this definition is ignored",
                    e.entity_ref,
                    f.file.display(),
                    f.line,
                    f.document
                );
                catalog
                    .problems
                    .push(entity_problem(&e, Severity::Error, message));
                continue;
            }
            catalog
                .index
                .insert(e.entity_ref.clone(), catalog.entities.len());
            catalog.entities.push(e);
        }
        // A reference to an entity of the catalog shares that entity's ref (one allocation
        // for a team however many components it owns).
        let index = &catalog.index;
        for e in &mut catalog.entities {
            e.relations
                .share(|r| index.get_key_value(r).map(|(k, _)| k.clone()));
        }
        for (i, e) in catalog.entities.iter().enumerate() {
            if let Some(owner) = e.owner() {
                catalog.owned.entry(owner.clone()).or_default().push(i);
            }
        }
        catalog.build_group_tree();
        catalog
    }

    /// Parent and children come from both directions: a group's `spec.children` and other
    /// groups' `spec.parent`. When the two disagree about a group's parent, the group's own
    /// `spec.parent` wins and a Warning says so.
    fn build_group_tree(&mut self) {
        let groups: Vec<&Entity> = self
            .entities
            .iter()
            .filter(|e| e.entity_ref.kind() == "group")
            .collect();
        let mut edges: Vec<(&EntityRef, &EntityRef, &Entity)> = Vec::new();
        for g in &groups {
            edges.extend(g.relations.children().map(|c| (&g.entity_ref, c, *g)));
        }
        for g in &groups {
            if let Some(p) = g.relations.parent() {
                edges.push((p, &g.entity_ref, *g));
            }
        }
        let mut seen: FxHashSet<(&EntityRef, &EntityRef)> = FxHashSet::default();
        let mut problems = Vec::new();
        for g in &groups {
            if let Some(p) = g.relations.parent().filter(|p| **p != g.entity_ref) {
                self.parents.insert(g.entity_ref.clone(), p.clone());
            }
        }
        for (parent, child, declared_by) in edges {
            if parent == child {
                let message = format!("{parent} names itself as its own parent or child; ignored");
                problems.push(entity_problem(declared_by, Severity::Warning, message));
                continue;
            }
            if !seen.insert((parent, child)) {
                continue;
            }
            self.children
                .entry(parent.clone())
                .or_default()
                .push(child.clone());
            match self.parents.get(child) {
                None => {
                    self.parents.insert(child.clone(), parent.clone());
                }
                Some(p) if p != parent => {
                    let message = format!(
                        "{parent} lists {child} as a child, but {child} already has parent {p}; a group has one parent, {p} is kept"
                    );
                    problems.push(entity_problem(declared_by, Severity::Warning, message));
                }
                Some(_) => {}
            }
        }
        self.problems.append(&mut problems);
    }

    /// Puts `problems` (met while reading files) before the ones found building the catalog.
    pub(super) fn with_problems_first(mut self, mut problems: Vec<Problem>) -> Catalog {
        problems.append(&mut self.problems);
        self.problems = problems;
        self
    }

    /// Every entity, in the order read.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    pub fn get(&self, r: &EntityRef) -> Option<&Entity> {
        self.index.get(r).map(|&i| &self.entities[i])
    }

    /// `r`, sharing its text with the catalog's entity of that ref when there is one.
    pub fn shared_ref(&self, r: &EntityRef) -> EntityRef {
        self.index
            .get_key_value(r)
            .map_or_else(|| r.clone(), |(k, _)| k.clone())
    }

    /// Problems met loading, in the order met: file and document problems first, then
    /// duplicates and group-tree conflicts.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The group's direct children, from its `spec.children` and from other groups'
    /// `spec.parent`, without duplicates.
    pub fn children(&self, group: &EntityRef) -> Vec<&EntityRef> {
        self.children
            .get(group)
            .map(|c| c.iter().collect())
            .unwrap_or_default()
    }

    pub fn parent(&self, group: &EntityRef) -> Option<&EntityRef> {
        self.parents.get(group)
    }

    /// The group itself first, then every group below it, breadth first; safe against cycles.
    pub fn descendants(&self, group: &EntityRef) -> Vec<EntityRef> {
        self.below([group])
    }

    /// `groups`, then every group below any of them, each once, breadth first: one walk however
    /// deep the tree (a chain of n groups is not walked n times).
    fn below<'g>(&self, groups: impl IntoIterator<Item = &'g EntityRef>) -> Vec<EntityRef> {
        let mut out = Vec::new();
        let mut seen: FxHashSet<&EntityRef> = FxHashSet::default();
        for g in groups {
            if seen.insert(g) {
                out.push(g.clone());
            }
        }
        let mut next = 0;
        while next < out.len() {
            let at = out[next].clone();
            next += 1;
            for c in self.children.get(&at).into_iter().flatten() {
                if seen.insert(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// Parent, grandparent, …; stops before repeating itself, so cycles end.
    pub fn ancestors(&self, group: &EntityRef) -> Vec<EntityRef> {
        let mut out = Vec::new();
        let mut seen: FxHashSet<&EntityRef> = FxHashSet::default();
        seen.insert(group);
        let mut at = group;
        while let Some(p) = self.parents.get(at) {
            if !seen.insert(p) {
                break;
            }
            out.push(p.clone());
            at = p;
        }
        out
    }

    /// A department is a group with children.
    pub fn is_department(&self, group: &EntityRef) -> bool {
        self.children.get(group).is_some_and(|c| !c.is_empty())
    }

    /// Entities whose `spec.owner` is the group or, when `recursive`, any group below it; in
    /// the order read.
    pub fn owned_by(&self, group: &EntityRef, recursive: bool) -> Vec<&Entity> {
        if recursive {
            return self.owned_below([group]);
        }
        self.owned
            .get(group)
            .into_iter()
            .flatten()
            .map(|&i| &self.entities[i])
            .collect()
    }

    /// Entities whose `spec.owner` is one of `groups` or any group below one; in the order read.
    pub fn owned_below<'g>(&self, groups: impl IntoIterator<Item = &'g EntityRef>) -> Vec<&Entity> {
        let mut indexes: Vec<usize> = self
            .below(groups)
            .iter()
            .filter_map(|g| self.owned.get(g))
            .flatten()
            .copied()
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        indexes.into_iter().map(|i| &self.entities[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{lines, parse};
    use super::*;

    /// A Group document; `parent` and `children` as written in the spec.
    fn group(name: &str, parent: Option<&str>, children: &[&str]) -> String {
        let parent = parent
            .map(|p| format!("  parent: {p}\n"))
            .unwrap_or_default();
        format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n{parent}  children: [{}]\n",
            children.join(", ")
        )
    }

    fn component(name: &str, owner: &str) -> String {
        format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
        )
    }

    fn catalog(docs: &[String]) -> Catalog {
        let (entities, problems) = parse(&docs.concat());
        assert!(problems.is_empty(), "{problems:#?}");
        Catalog::from_entities(entities)
    }

    fn g(name: &str) -> EntityRef {
        EntityRef::new("group", "default", name)
    }

    fn names(refs: &[EntityRef]) -> Vec<&str> {
        refs.iter().map(|r| r.name()).collect()
    }

    #[test]
    fn a_cycle_of_parents_ends() {
        let c = catalog(&[
            group("a", Some("c"), &[]),
            group("b", Some("a"), &[]),
            group("c", Some("b"), &[]),
            component("svc", "b"),
        ]);
        assert_eq!(names(&c.descendants(&g("a"))), ["a", "b", "c"]);
        assert_eq!(names(&c.ancestors(&g("a"))), ["c", "b"]);
        assert_eq!(c.owned_by(&g("c"), true).len(), 1);
        assert!(c.is_department(&g("a")));
    }

    #[test]
    fn children_from_both_directions_are_listed_once() {
        let c = catalog(&[
            group("dept", None, &["a", "b"]),
            group("a", Some("dept"), &[]),
            group("c", Some("dept"), &[]),
        ]);
        let children: Vec<&str> = c.children(&g("dept")).iter().map(|r| r.name()).collect();
        assert_eq!(children, ["a", "b", "c"]);
        assert_eq!(c.parent(&g("b")), Some(&g("dept")));
        assert_eq!(c.parent(&g("dept")), None);
        assert!(c.children(&g("a")).is_empty());
        assert!(c.children(&g("unknown")).is_empty());
        assert_eq!(names(&c.descendants(&g("unknown"))), ["unknown"]);
    }

    #[test]
    fn a_group_keeps_the_parent_it_names_itself() {
        let c = Catalog::from_entities(
            parse(
                &[
                    group("a", None, &["x"]),
                    group("b", None, &[]),
                    group("x", Some("b"), &[]),
                ]
                .concat(),
            )
            .0,
        );
        assert_eq!(c.parent(&g("x")), Some(&g("b")));
        assert_eq!(c.children(&g("a")), [&g("x")], "a still lists x");
        assert_eq!(
            lines(c.problems()),
            [
                "warning 2: group:default/a lists group:default/x as a child, but group:default/x already has parent group:default/b; a group has one parent, group:default/b is kept"
            ]
        );
    }

    #[test]
    fn a_group_that_is_its_own_parent_is_ignored_with_a_warning() {
        let c = Catalog::from_entities(parse(&group("a", Some("a"), &[])).0);
        assert_eq!(c.parent(&g("a")), None);
        assert!(!c.is_department(&g("a")));
        assert_eq!(c.problems().len(), 1);
    }

    #[test]
    fn owned_by_reaches_down_the_tree_only_when_asked() {
        let c = catalog(&[
            group("dept", None, &["team"]),
            group("team", None, &[]),
            component("portal", "dept"),
            component("api", "team"),
            component("cli", "group:default/team"),
            component("tool", "user:jane"),
        ]);
        let owned = |group: &str, recursive| -> Vec<String> {
            c.owned_by(&g(group), recursive)
                .iter()
                .map(|e| e.metadata.name.clone())
                .collect()
        };
        assert_eq!(owned("dept", false), ["portal"]);
        assert_eq!(owned("dept", true), ["portal", "api", "cli"]);
        assert_eq!(owned("team", true), ["api", "cli"]);
        assert!(owned("nobody", true).is_empty());
    }

    #[test]
    fn a_second_definition_is_dropped_naming_both_places() {
        let (mut first, _) = parse(&component("svc", "team-a"));
        let (mut second, _) = parse(&component("SVC", "team-b"));
        second[0].origin = crate::catalog::Origin {
            file: std::path::Path::new("other/catalog-info.yaml").into(),
            document: 3,
            line: 40,
        };
        first.append(&mut second);
        let c = Catalog::from_entities(first);
        assert_eq!(c.entities().len(), 1);
        let svc = c
            .get(&EntityRef::new("component", "default", "svc"))
            .expect("the first is kept");
        assert_eq!(svc.owner(), Some(&g("team-a")));
        assert_eq!(
            c.problems()[0].to_string(),
            "other/catalog-info.yaml:40:1: document 3: component:default/svc is already defined at catalog-info.yaml:2 (document 1); this definition is ignored"
        );
        assert!(
            c.owned_by(&g("team-b"), false).is_empty(),
            "the dropped one owns nothing"
        );
    }
}

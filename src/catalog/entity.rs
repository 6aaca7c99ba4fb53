//! Entities as read from descriptor files: the Backstage envelope, the raw spec, and the
//! relations the spec declares.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::entity_ref::EntityRef;
use super::str_map::StrMap;

/// One entry of `metadata.links`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub title: Option<String>,
    pub icon: Option<String>,
    pub r#type: Option<String>,
}

/// `metadata`, with the namespace defaulted to `default` and empty maps and lists when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// As written (the entity's ref holds it lower-cased).
    pub name: String,
    pub namespace: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub labels: StrMap,
    pub annotations: StrMap,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
}

/// A relation an entity declares in its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    Owner,
    System,
    Domain,
    Parent,
    SubcomponentOf,
    SubdomainOf,
    Children,
    Members,
    MemberOf,
    DependsOn,
    DependencyOf,
    ProvidesApis,
    ConsumesApis,
}

/// The relations an entity declares in its spec, read with Backstage's default kind per
/// field (`owner` → group, `system` → system, `providesApis` → api, …) and the entity's own
/// namespace as default namespace. Fields a kind does not have stay empty.
///
/// Kept compact, as a fleet holds hundreds of thousands: one list of references, each with
/// its relation, ordered by relation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    refs: Box<[(Relation, EntityRef)]>,
}

impl Relations {
    /// The relations from each relation's references (a relation named twice keeps the last).
    pub fn from_fields(fields: Vec<(Relation, Vec<EntityRef>)>) -> Relations {
        let mut fields: Vec<(Relation, Vec<EntityRef>)> = fields.into_iter().rev().collect();
        // Stable: of a relation named twice, the last (now first) stays.
        fields.sort_by_key(|(relation, _)| *relation);
        fields.dedup_by_key(|(relation, _)| *relation);
        let refs: Vec<(Relation, EntityRef)> = fields
            .into_iter()
            .flat_map(|(relation, refs)| refs.into_iter().map(move |r| (relation, r)))
            .collect();
        Relations {
            refs: refs.into_boxed_slice(),
        }
    }

    /// Replaces each reference by the one `shared` gives for it, if any (an equal ref that
    /// shares its text with others).
    pub fn share(&mut self, shared: impl Fn(&EntityRef) -> Option<EntityRef>) {
        for (_, r) in &mut self.refs {
            if let Some(s) = shared(r) {
                *r = s;
            }
        }
    }

    /// The references of one relation, in the order written.
    pub fn get(&self, relation: Relation) -> impl ExactSizeIterator<Item = &EntityRef> + Clone {
        let start = self.refs.partition_point(|(r, _)| *r < relation);
        let end = self.refs.partition_point(|(r, _)| *r <= relation);
        self.refs[start..end].iter().map(|(_, r)| r)
    }

    fn one(&self, relation: Relation) -> Option<&EntityRef> {
        self.get(relation).next()
    }

    pub fn owner(&self) -> Option<&EntityRef> {
        self.one(Relation::Owner)
    }
    pub fn system(&self) -> Option<&EntityRef> {
        self.one(Relation::System)
    }
    pub fn domain(&self) -> Option<&EntityRef> {
        self.one(Relation::Domain)
    }
    pub fn parent(&self) -> Option<&EntityRef> {
        self.one(Relation::Parent)
    }
    pub fn subcomponent_of(&self) -> Option<&EntityRef> {
        self.one(Relation::SubcomponentOf)
    }
    pub fn subdomain_of(&self) -> Option<&EntityRef> {
        self.one(Relation::SubdomainOf)
    }
    pub fn children(&self) -> impl ExactSizeIterator<Item = &EntityRef> + Clone {
        self.get(Relation::Children)
    }
    pub fn members(&self) -> impl ExactSizeIterator<Item = &EntityRef> + Clone {
        self.get(Relation::Members)
    }
    pub fn member_of(&self) -> impl ExactSizeIterator<Item = &EntityRef> + Clone {
        self.get(Relation::MemberOf)
    }
    pub fn depends_on(&self) -> impl ExactSizeIterator<Item = &EntityRef> + Clone {
        self.get(Relation::DependsOn)
    }
    pub fn dependency_of(&self) -> impl ExactSizeIterator<Item = &EntityRef> + Clone {
        self.get(Relation::DependencyOf)
    }
    pub fn provides_apis(&self) -> impl ExactSizeIterator<Item = &EntityRef> + Clone {
        self.get(Relation::ProvidesApis)
    }
    pub fn consumes_apis(&self) -> impl ExactSizeIterator<Item = &EntityRef> + Clone {
        self.get(Relation::ConsumesApis)
    }
}

/// Where an entity was read from: the file, the 1-based ordinal of its document among the
/// file's non-empty documents, and the line the document starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Shared by every entity of the file.
    pub file: Arc<Path>,
    pub document: usize,
    pub line: u32,
}

impl Default for Origin {
    fn default() -> Origin {
        Origin {
            file: Arc::from(Path::new("")),
            document: 0,
            line: 0,
        }
    }
}

/// The raw `spec` mapping, kept as compact JSON text and parsed when read whole (a fleet
/// holds hundreds of thousands; parsed, each takes several times the memory). `type` and
/// `lifecycle`, read on every evaluation, are kept apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    /// `None` when the document has no spec.
    text: Option<Box<str>>,
    spec_type: Option<Box<str>>,
    lifecycle: Option<Box<str>>,
}

impl Spec {
    /// The spec of a document; `Null` for none.
    pub fn new(spec: &Value) -> Spec {
        let field = |key: &str| {
            spec.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(Box::from)
        };
        Spec {
            text: (!spec.is_null()).then(|| spec.to_string().into_boxed_str()),
            spec_type: field("type"),
            lifecycle: field("lifecycle"),
        }
    }

    pub fn is_null(&self) -> bool {
        self.text.is_none()
    }

    /// The spec, parsed (`Null` when there is none).
    pub fn value(&self) -> Value {
        self.text
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null)
    }
}

/// A catalog entity. Kinds Backstage does not know are kept too, as generic entities whose
/// relations are read from the usual fields (`owner`, `system`, `dependsOn`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub entity_ref: EntityRef,
    /// Shared with every entity of the same `apiVersion` ([`crate::intern::shared`]).
    pub api_version: Arc<str>,
    /// As written, e.g. `Component` (the ref holds it lower-cased); shared likewise.
    pub kind: Arc<str>,
    pub metadata: Metadata,
    /// The raw `spec` mapping.
    pub spec: Spec,
    pub relations: Relations,
    pub origin: Origin,
}

impl Entity {
    /// `spec.type`, e.g. `service`; `None` when absent, not a string, or blank.
    pub fn spec_type(&self) -> Option<&str> {
        self.spec.spec_type.as_deref()
    }

    /// `spec.lifecycle`, e.g. `production`; `None` when absent, not a string, or blank.
    pub fn lifecycle(&self) -> Option<&str> {
        self.spec.lifecycle.as_deref()
    }

    /// The owner from `spec.owner`, a group unless the reference names another kind.
    pub fn owner(&self) -> Option<&EntityRef> {
        self.relations.owner()
    }

    /// One of `metadata.annotations`.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.annotations.get(key)
    }
}

impl Entity {
    /// The entity as a Backstage envelope (`apiVersion`, `kind`, `metadata`, `spec`), the form
    /// the catalog API serves and the store keeps.
    /// Whether both have the same envelope (what [`Entity::to_envelope`] gives), without
    /// building it.
    pub fn same_envelope(&self, other: &Entity) -> bool {
        self.api_version == other.api_version
            && self.kind == other.kind
            && self.metadata == other.metadata
            && self.spec == other.spec
    }

    pub fn to_envelope(&self) -> Value {
        use serde_json::{Map, json};
        let m = &self.metadata;
        let mut meta = Map::new();
        meta.insert("name".into(), json!(m.name));
        meta.insert("namespace".into(), json!(m.namespace));
        if let Some(t) = &m.title {
            meta.insert("title".into(), json!(t));
        }
        if let Some(d) = &m.description {
            meta.insert("description".into(), json!(d));
        }
        if !m.labels.is_empty() {
            meta.insert("labels".into(), json!(m.labels));
        }
        if !m.annotations.is_empty() {
            meta.insert("annotations".into(), json!(m.annotations));
        }
        if !m.tags.is_empty() {
            meta.insert("tags".into(), json!(m.tags));
        }
        if !m.links.is_empty() {
            let links: Vec<Value> = m
                .links
                .iter()
                .map(|l| {
                    let mut o = Map::new();
                    o.insert("url".into(), json!(l.url));
                    for (k, v) in [("title", &l.title), ("icon", &l.icon), ("type", &l.r#type)] {
                        if let Some(v) = v {
                            o.insert(k.into(), json!(v));
                        }
                    }
                    Value::Object(o)
                })
                .collect();
            meta.insert("links".into(), Value::Array(links));
        }
        let mut out = Map::new();
        out.insert("apiVersion".into(), json!(self.api_version));
        out.insert("kind".into(), json!(self.kind));
        out.insert("metadata".into(), Value::Object(meta));
        if !self.spec.is_null() {
            out.insert("spec".into(), self.spec.value());
        }
        Value::Object(out)
    }
}

//! Entities as read from descriptor files: the Backstage envelope, the raw spec, and the
//! relations the spec declares.

use std::path::PathBuf;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl Relation {
    const COUNT: usize = 13;
}

/// The relations an entity declares in its spec, read with Backstage's default kind per
/// field (`owner` → group, `system` → system, `providesApis` → api, …) and the entity's own
/// namespace as default namespace. Fields a kind does not have stay empty.
///
/// Kept compact, as a fleet holds hundreds of thousands: one list of references grouped by
/// relation, with where each group ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    refs: Box<[EntityRef]>,
    ends: [u32; Relation::COUNT],
}

impl Relations {
    /// The relations from each relation's references (a relation named twice keeps the last).
    pub fn from_fields(fields: Vec<(Relation, Vec<EntityRef>)>) -> Relations {
        let mut by: [Vec<EntityRef>; Relation::COUNT] = Default::default();
        for (relation, refs) in fields {
            by[relation as usize] = refs;
        }
        let mut refs = Vec::with_capacity(by.iter().map(Vec::len).sum());
        let mut ends = [0u32; Relation::COUNT];
        for (i, list) in by.into_iter().enumerate() {
            refs.extend(list);
            ends[i] = u32::try_from(refs.len()).unwrap_or(u32::MAX);
        }
        Relations {
            refs: refs.into_boxed_slice(),
            ends,
        }
    }

    /// The references of one relation, in the order written.
    pub fn get(&self, relation: Relation) -> &[EntityRef] {
        let i = relation as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.refs[start..self.ends[i] as usize]
    }

    fn one(&self, relation: Relation) -> Option<&EntityRef> {
        self.get(relation).first()
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
    pub fn children(&self) -> &[EntityRef] {
        self.get(Relation::Children)
    }
    pub fn members(&self) -> &[EntityRef] {
        self.get(Relation::Members)
    }
    pub fn member_of(&self) -> &[EntityRef] {
        self.get(Relation::MemberOf)
    }
    pub fn depends_on(&self) -> &[EntityRef] {
        self.get(Relation::DependsOn)
    }
    pub fn dependency_of(&self) -> &[EntityRef] {
        self.get(Relation::DependencyOf)
    }
    pub fn provides_apis(&self) -> &[EntityRef] {
        self.get(Relation::ProvidesApis)
    }
    pub fn consumes_apis(&self) -> &[EntityRef] {
        self.get(Relation::ConsumesApis)
    }
}

/// Where an entity was read from: the file, the 1-based ordinal of its document among the
/// file's non-empty documents, and the line the document starts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub document: usize,
    pub line: u32,
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
    pub api_version: String,
    /// As written, e.g. `Component` (the ref holds it lower-cased).
    pub kind: String,
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

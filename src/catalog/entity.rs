//! Entities as read from descriptor files: the Backstage envelope, the raw spec, and the
//! relations the spec declares.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::entity_ref::EntityRef;

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
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
}

/// The relations an entity declares in its spec, read with Backstage's default kind per
/// field (`owner` → group, `system` → system, `providesApis` → api, …) and the entity's own
/// namespace as default namespace. Fields a kind does not have stay empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    pub owner: Option<EntityRef>,
    pub system: Option<EntityRef>,
    pub domain: Option<EntityRef>,
    pub parent: Option<EntityRef>,
    pub children: Vec<EntityRef>,
    pub members: Vec<EntityRef>,
    pub member_of: Vec<EntityRef>,
    pub depends_on: Vec<EntityRef>,
    pub dependency_of: Vec<EntityRef>,
    pub provides_apis: Vec<EntityRef>,
    pub consumes_apis: Vec<EntityRef>,
    pub subcomponent_of: Option<EntityRef>,
    pub subdomain_of: Option<EntityRef>,
}

/// Where an entity was read from: the file, the 1-based ordinal of its document among the
/// file's non-empty documents, and the line the document starts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub document: usize,
    pub line: u32,
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
    /// The raw `spec` mapping; `Null` when the document has none.
    pub spec: Value,
    pub relations: Relations,
    pub origin: Origin,
}

impl Entity {
    /// A string field of the spec; `None` when absent, not a string, or blank.
    pub fn spec_str(&self, key: &str) -> Option<&str> {
        self.spec
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// `spec.type`, e.g. `service`.
    pub fn spec_type(&self) -> Option<&str> {
        self.spec_str("type")
    }

    /// `spec.lifecycle`, e.g. `production`.
    pub fn lifecycle(&self) -> Option<&str> {
        self.spec_str("lifecycle")
    }

    /// The owner from `spec.owner`, a group unless the reference names another kind.
    pub fn owner(&self) -> Option<&EntityRef> {
        self.relations.owner.as_ref()
    }

    /// One of `metadata.annotations`.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.annotations.get(key).map(String::as_str)
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
            out.insert("spec".into(), self.spec.clone());
        }
        Value::Object(out)
    }
}

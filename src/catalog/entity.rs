//! Entities: the Backstage envelope, read from one descriptor document.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

use super::entity_ref::{DEFAULT_NAMESPACE, EntityRef};
use crate::source::{Document, Pos};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Link {
    pub url: String,
    pub title: Option<String>,
    pub icon: Option<String>,
    pub r#type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub namespace: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
}

/// Relations an entity declares, with Backstage's default kinds applied.
#[derive(Debug, Clone, Default, PartialEq)]
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

/// Where an entity was read from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    pub file: PathBuf,
    pub document: usize,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub entity_ref: EntityRef,
    pub api_version: String,
    /// As written, e.g. `Component`.
    pub kind: String,
    pub metadata: Metadata,
    pub spec: Value,
    pub relations: Relations,
    pub origin: Origin,
}

impl Entity {
    pub fn spec_str(&self, key: &str) -> Option<&str> {
        self.spec
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }
    pub fn spec_type(&self) -> Option<&str> {
        self.spec_str("type")
    }
    pub fn lifecycle(&self) -> Option<&str> {
        self.spec_str("lifecycle")
    }
    pub fn owner(&self) -> Option<&EntityRef> {
        self.relations.owner.as_ref()
    }
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.annotations.get(key).map(String::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// Something wrong with a catalog file or one of its documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: PathBuf,
    pub document: Option<usize>,
    pub pos: Option<Pos>,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(p) = self.pos {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        write!(f, ": ")?;
        if let Some(d) = self.document {
            write!(f, "document {d}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn valid_namespace(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.split('-').filter(|p| !p.is_empty()).count() > 0
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn valid_kind(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphabetic()
        && b.iter().all(u8::is_ascii_alphanumeric)
}

/// Reads one document as an entity; problems with its relations are returned beside it.
pub fn entity_from_document(doc: &Document) -> Result<(Entity, Vec<Problem>), Problem> {
    let problem = |pointer: &str, message: String| Problem {
        file: doc.file.clone(),
        document: Some(doc.ordinal),
        pos: Some(doc.pos(pointer)),
        severity: Severity::Error,
        message,
    };
    let Value::Object(root) = &doc.value else {
        return Err(problem(
            "",
            "a catalog document must be a mapping with apiVersion, kind and metadata".into(),
        ));
    };
    let api_version = match root.get("apiVersion") {
        Some(Value::String(s)) if s.contains('/') => s.clone(),
        Some(_) => {
            return Err(problem(
                "/apiVersion",
                "apiVersion must be a string like backstage.io/v1alpha1".into(),
            ));
        }
        None => return Err(problem("", "apiVersion is missing".into())),
    };
    let kind = match root.get("kind") {
        Some(Value::String(s)) if valid_kind(s) => s.clone(),
        Some(other) => {
            return Err(problem(
                "/kind",
                format!("kind {other} is not a valid kind"),
            ));
        }
        None => return Err(problem("", "kind is missing".into())),
    };
    let Some(Value::Object(meta)) = root.get("metadata") else {
        return Err(problem("", "metadata is missing or not a mapping".into()));
    };
    let name = match meta.get("name") {
        Some(Value::String(s)) if valid_name(s) => s.clone(),
        Some(other) => {
            return Err(problem(
                "/metadata/name",
                format!(
                    "metadata.name {other} is not a valid name (1-63 letters, digits, -, _ or ., starting and ending alphanumeric)"
                ),
            ));
        }
        None => return Err(problem("/metadata", "metadata.name is missing".into())),
    };
    let namespace = match meta.get("namespace") {
        None | Some(Value::Null) => DEFAULT_NAMESPACE.to_string(),
        Some(Value::String(s)) if valid_namespace(s) => s.clone(),
        Some(other) => {
            return Err(problem(
                "/metadata/namespace",
                format!("metadata.namespace {other} is not a valid namespace"),
            ));
        }
    };
    let string_map = |key: &str| -> Result<BTreeMap<String, String>, Problem> {
        match meta.get(key) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    other => Err(problem(
                        &format!("/metadata/{key}/{}", crate::source::pointer_token(k)),
                        format!("metadata.{key}.{k} must be a string, found {other}"),
                    )),
                })
                .collect(),
            Some(_) => Err(problem(
                &format!("/metadata/{key}"),
                format!("metadata.{key} must be a mapping of strings"),
            )),
        }
    };
    let labels = string_map("labels")?;
    let annotations = string_map("annotations")?;
    let tags = match meta.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.as_str().map(str::to_string).ok_or_else(|| {
                    problem(
                        &format!("/metadata/tags/{i}"),
                        "tags must be strings".into(),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(problem(
                "/metadata/tags",
                "metadata.tags must be a list of strings".into(),
            ));
        }
    };
    let text = |key: &str| meta.get(key).and_then(Value::as_str).map(str::to_string);
    let links = meta
        .get("links")
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .filter_map(|l| {
                    let s = |k: &str| l.get(k).and_then(Value::as_str).map(str::to_string);
                    Some(Link {
                        url: s("url")?,
                        title: s("title"),
                        icon: s("icon"),
                        r#type: s("type"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let spec = root.get("spec").cloned().unwrap_or(Value::Null);
    let entity_ref = EntityRef::new(&kind, &namespace, &name);
    let mut problems = Vec::new();
    let relations = super::relations::resolve(&kind, &namespace, &spec, doc, &mut problems);
    let entity = Entity {
        entity_ref,
        api_version,
        kind,
        metadata: Metadata {
            name,
            namespace,
            title: text("title"),
            description: text("description"),
            labels,
            annotations,
            tags,
            links,
        },
        spec,
        relations,
        origin: Origin {
            file: doc.file.clone(),
            document: doc.ordinal,
            line: doc.pos("").line,
        },
    };
    Ok((entity, problems))
}

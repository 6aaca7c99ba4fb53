//! Reading descriptor documents into entities: the envelope (`apiVersion`, `kind`,
//! `metadata`), then the kind's own rules and relations.

use std::path::Path;

use serde_json::{Map, Value};

use super::entity::{Entity, Origin};
use super::entity_ref::{DEFAULT_NAMESPACE, EntityRef};
use super::metadata::read_metadata;
use super::names::{has_placeholder, is_api_version, is_entity_name, is_kind, is_namespace};
use super::problem::{Problem, Severity, describe, shown};
use super::{kinds, relations};
use crate::source::{Document, parse_documents};

/// One file's documents as entities, without following Locations.
///
/// Never fails: a file that is not YAML, or a document that is not an entity, becomes an
/// Error problem naming the file (and the document and line where known); the other
/// documents still load.
pub fn parse_descriptors(file: &Path, text: &str) -> (Vec<Entity>, Vec<Problem>) {
    let mut entities = Vec::new();
    let problems = read_entities(file, text, |entity, _| entities.push(entity));
    (entities, problems)
}

/// Calls `each` with every entity of the file and the document it was read from (the
/// loader reads Location targets and their positions from it); returns the problems.
pub(super) fn read_entities(
    file: &Path,
    text: &str,
    mut each: impl FnMut(Entity, &Document),
) -> Vec<Problem> {
    let docs = match parse_documents(file, text) {
        Ok(docs) => docs,
        Err(e) => {
            let mut message = format!("not valid YAML: {}", without_position(&e.message));
            if has_placeholder(text) {
                message.push_str(" (the file holds template placeholders such as `{{ … }}`: it looks like a skeleton for a scaffolder, not a catalog file)");
            }
            let problem = Problem {
                pos: e.pos,
                ..Problem::file_error(file, message)
            };
            return vec![problem];
        }
    };
    let mut problems = Vec::new();
    if docs.is_empty() {
        let p = Problem::file_error(file, "the file holds no document");
        problems.push(p.with_severity(Severity::Warning));
    }
    for doc in &docs {
        if let Some(entity) = entity_from_document(doc, &mut problems) {
            each(entity, doc);
        }
    }
    problems
}

/// The parser's message without its `error: line 2 column 1:` prefix: the problem
/// carries the position already.
fn without_position(message: &str) -> &str {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    match message.split_once(": ") {
        Some((at, rest)) if at.starts_with("line ") && at.contains(" column ") => rest,
        _ => message,
    }
}

/// Reads one document as an entity. `None` (with Error problems) when the envelope is not
/// usable; otherwise the entity, with problems about its metadata, spec and relations.
fn entity_from_document(doc: &Document, problems: &mut Vec<Problem>) -> Option<Entity> {
    let Value::Object(root) = &doc.value else {
        let found = describe(&doc.value);
        let message = format!(
            "not a catalog entity: a document must be a mapping with apiVersion, kind and metadata, found {found}"
        );
        problems.push(Problem::error_at(doc, "", message));
        return None;
    };
    if !["apiVersion", "kind", "metadata"]
        .iter()
        .any(|k| root.contains_key(*k))
    {
        let message = "not a catalog entity: apiVersion, kind and metadata are all missing";
        problems.push(Problem::error_at(doc, "", message));
        return None;
    }
    let mut envelope = Vec::new();
    let api_version = required_text(doc, root, "apiVersion", "apiVersion", &mut envelope);
    if let Some(v) = api_version.filter(|v| !is_api_version(v)) {
        envelope.push(Problem::error_at(
            doc,
            "/apiVersion",
            format!("apiVersion `{v}` is not valid; expected e.g. backstage.io/v1alpha1"),
        ));
    }
    let kind = required_text(doc, root, "kind", "kind", &mut envelope);
    if let Some(k) = kind.filter(|k| !is_kind(k)) {
        envelope.push(Problem::error_at(
            doc,
            "/kind",
            format!("kind `{k}` is not valid; a kind is a letter followed by letters and digits"),
        ));
    }
    let meta = match root.get("metadata") {
        Some(Value::Object(m)) => Some(m),
        None => {
            envelope.push(Problem::error_at(doc, "", "metadata is missing"));
            None
        }
        Some(other) => {
            envelope.push(Problem::error_at(
                doc,
                "/metadata",
                format!("metadata must be a mapping, found {}", describe(other)),
            ));
            None
        }
    };
    let name = meta.and_then(|m| required_text(doc, m, "name", "metadata.name", &mut envelope));
    if let Some(n) = name.filter(|n| !is_entity_name(n)) {
        envelope.push(Problem::error_at(
            doc,
            "/metadata/name",
            bad_name_message(n),
        ));
    }
    let namespace = match meta.and_then(|m| m.get("namespace")) {
        None | Some(Value::Null) => DEFAULT_NAMESPACE,
        Some(Value::String(ns)) if is_namespace(ns) => ns.as_str(),
        Some(other) => {
            let message = format!(
                "metadata.namespace {} is not valid; a namespace is lower-case letters and digits joined by `-`",
                shown(other)
            );
            envelope.push(Problem::error_at(doc, "/metadata/namespace", message));
            DEFAULT_NAMESPACE
        }
    };
    let spec = match root.get("spec") {
        None | Some(Value::Null) => Value::Null,
        Some(spec @ Value::Object(_)) => spec.clone(),
        Some(other) => {
            envelope.push(Problem::error_at(
                doc,
                "/spec",
                format!("spec must be a mapping, found {}", describe(other)),
            ));
            Value::Null
        }
    };
    let (Some(api_version), Some(kind), Some(meta), Some(name), true) =
        (api_version, kind, meta, name, envelope.is_empty())
    else {
        problems.append(&mut envelope);
        return None;
    };

    let metadata = read_metadata(doc, meta, name, namespace, problems);
    kinds::check(doc, kind, api_version, &spec, problems);
    let relations = relations::resolve(doc, kind, namespace, &spec, problems);
    Some(Entity {
        entity_ref: EntityRef::new(kind, namespace, name),
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        metadata,
        spec,
        relations,
        origin: Origin {
            file: doc.file.clone(),
            document: doc.ordinal,
            line: doc.pos("").line,
        },
    })
}

fn bad_name_message(name: &str) -> String {
    if has_placeholder(name) {
        format!(
            "metadata.name `{name}` is a template placeholder: this looks like a scaffolder skeleton, not a catalog entity"
        )
    } else {
        format!(
            "metadata.name `{name}` is not valid; a name is 1-63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
        )
    }
}

/// A required string field of `map`, with an Error problem when it is absent or not a string.
fn required_text<'a>(
    doc: &Document,
    map: &'a Map<String, Value>,
    key: &str,
    label: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'a str> {
    let pointer = if label.starts_with("metadata.") {
        format!("/metadata/{key}")
    } else {
        format!("/{key}")
    };
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        None | Some(Value::Null) => {
            let parent = pointer.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
            problems.push(Problem::error_at(
                doc,
                parent,
                format!("{label} is missing"),
            ));
            None
        }
        Some(other) => {
            problems.push(Problem::error_at(
                doc,
                &pointer,
                format!("{label} must be a non-empty string, found {}", shown(other)),
            ));
            None
        }
    }
}

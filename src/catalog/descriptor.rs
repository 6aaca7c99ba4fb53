//! Reading descriptor documents into entities: the envelope (`apiVersion`, `kind`,
//! `metadata`), then the kind's own rules and relations.

use std::path::Path;

use serde_json::{Map, Value};

use super::entity::{Entity, Origin, Spec};
use super::entity_ref::{DEFAULT_NAMESPACE, EntityRef};
use super::metadata::read_metadata;
use super::names::{has_placeholder, is_api_version, is_entity_name, is_kind, is_namespace};
use super::problem::{Problem, Severity, describe, field_label, shown};
use super::{kinds, relations};
use crate::intern::shared;
use crate::source::{Document, for_each_document};

/// One file's documents as entities, without following Locations.
///
/// Never fails: a file that is not YAML, or a document that is not an entity, becomes an
/// Error problem naming the file (and the document and line where known); the other
/// documents still load.
pub fn parse_descriptors(file: &Path, text: &str) -> (Vec<Entity>, Vec<Problem>) {
    let (entities, problems) = read_entities(file, text, |_, _| ());
    (entities.into_iter().map(|(e, ())| e).collect(), problems)
}

/// Every entity of the file, each with what `extra` read from its document (the loader reads
/// Location targets and their positions from it), and the problems. Documents are read one
/// at a time; a file that is not valid YAML gives no entity, only the problem.
pub(super) fn read_entities<T>(
    file: &Path,
    text: &str,
    mut extra: impl FnMut(&Entity, &Document) -> T,
) -> (Vec<(Entity, T)>, Vec<Problem>) {
    let mut entities = Vec::new();
    let mut problems = Vec::new();
    let mut documents = 0;
    let read = for_each_document(file, text, |doc| {
        documents += 1;
        if let Some(entity) = entity_from_document(&doc, &mut problems) {
            let more = extra(&entity, &doc);
            entities.push((entity, more));
        }
    });
    if let Err(e) = read {
        let mut message = format!("not valid YAML: {}", without_position(&e.message));
        if has_placeholder(text) {
            message.push_str(" (the file holds template placeholders such as `{{ … }}`: it looks like a skeleton for a scaffolder, not a catalog file)");
        }
        let problem = Problem {
            pos: e.pos,
            ..Problem::file_error(file, message)
        };
        return (Vec::new(), vec![problem]);
    }
    if documents == 0 {
        let p = Problem::file_error(file, "the file holds no document");
        problems.push(p.with_severity(Severity::Warning));
    }
    (entities, problems)
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
    let api_version = required_text(doc, root, "/apiVersion", &mut envelope);
    if let Some(v) = api_version.filter(|v| !is_api_version(v)) {
        envelope.push(Problem::error_at(
            doc,
            "/apiVersion",
            format!("apiVersion `{v}` is not valid; expected e.g. backstage.io/v1alpha1"),
        ));
    }
    let kind = required_text(doc, root, "/kind", &mut envelope);
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
    let name = meta.and_then(|m| required_text(doc, m, "/metadata/name", &mut envelope));
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
        api_version: shared(api_version),
        kind: shared(kind),
        metadata,
        spec: Spec::new(&spec),
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

/// A required string field of `map` at `pointer` (`/kind`, `/metadata/name`), with an
/// Error problem when it is absent or not a non-empty string.
fn required_text<'a>(
    doc: &Document,
    map: &'a Map<String, Value>,
    pointer: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'a str> {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let label = field_label(pointer);
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        None | Some(Value::Null) => {
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
                pointer,
                format!("{label} must be a non-empty string, found {}", shown(other)),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{errors, lines, parse, parse_one};
    use super::*;

    const ARTIST_LOOKUP: &str = "\
# The service behind artist search.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Artist-Lookup
  title: Artist Lookup
  description: Looks up artists
spec:
  type: service
  lifecycle: production
  owner: team-a
";

    #[test]
    fn a_component_reads_its_envelope() {
        let (e, problems) = parse_one(ARTIST_LOOKUP);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(e.entity_ref.to_string(), "component:default/artist-lookup");
        assert_eq!(
            (&*e.kind, &*e.api_version),
            ("Component", "backstage.io/v1alpha1")
        );
        assert_eq!(
            (e.metadata.name.as_str(), e.metadata.namespace.as_str()),
            ("Artist-Lookup", "default")
        );
        assert_eq!(e.metadata.title.as_deref(), Some("Artist Lookup"));
        assert_eq!(e.spec_type(), Some("service"));
        assert_eq!(
            e.origin,
            Origin {
                file: std::path::Path::new("catalog-info.yaml").into(),
                document: 1,
                line: 2
            }
        );
    }

    #[test]
    fn a_namespace_is_kept_and_becomes_part_of_the_ref() {
        let yaml = ARTIST_LOOKUP.replace("  title:", "  namespace: music\n  title:");
        let (e, _) = parse_one(&yaml);
        assert_eq!(e.entity_ref.to_string(), "component:music/artist-lookup");
        assert_eq!(
            e.owner().map(ToString::to_string).as_deref(),
            Some("group:music/team-a")
        );
    }

    #[test]
    fn documents_without_a_usable_envelope_are_rejected_naming_document_and_line() {
        let text = "\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  children: []
---
just a string
---
apiVersion: backstage.io/v1alpha1
metadata:
  name: -bad-
---
apiVersion: 42
kind: my-kind
metadata:
  namespace: Payments
---
team: dba
escalation: pagerduty
";
        let (entities, problems) = parse(text);
        assert_eq!(entities.len(), 1, "the good document still loads");
        let shown: Vec<String> = errors(&problems).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            shown,
            [
                "catalog-info.yaml:9:1: document 2: not a catalog entity: a document must be a mapping with apiVersion, kind and metadata, found a string",
                "catalog-info.yaml:11:1: document 3: kind is missing",
                "catalog-info.yaml:13:9: document 3: metadata.name `-bad-` is not valid; a name is 1-63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
                "catalog-info.yaml:15:13: document 4: apiVersion must be a non-empty string, found a number 42",
                "catalog-info.yaml:16:7: document 4: kind `my-kind` is not valid; a kind is a letter followed by letters and digits",
                "catalog-info.yaml:18:3: document 4: metadata.name is missing",
                "catalog-info.yaml:18:14: document 4: metadata.namespace `Payments` is not valid; a namespace is lower-case letters and digits joined by `-`",
                "catalog-info.yaml:20:1: document 5: not a catalog entity: apiVersion, kind and metadata are all missing",
            ]
        );
    }

    #[test]
    fn names_longer_than_63_characters_are_rejected() {
        let yaml = ARTIST_LOOKUP.replace("Artist-Lookup", &"a".repeat(64));
        let (entities, problems) = parse(&yaml);
        assert!(entities.is_empty());
        assert!(
            lines(&problems)[0].starts_with("error 5: metadata.name `aaaa"),
            "{problems:?}"
        );
    }

    #[test]
    fn templates_are_rejected_as_templates() {
        let scaffolder = ARTIST_LOOKUP.replace("Artist-Lookup", "${{ values.name }}");
        let (entities, problems) = parse(&scaffolder);
        assert!(entities.is_empty());
        assert!(
            problems[0].message.contains("template placeholder"),
            "{problems:?}"
        );
        let cookiecutter = ARTIST_LOOKUP.replace("Artist-Lookup", "{{cookiecutter.component_id}}");
        let (entities, problems) = parse(&cookiecutter);
        assert!(entities.is_empty());
        let p = &problems[0];
        assert_eq!((p.document, p.pos.map(|p| p.line)), (None, Some(5)), "{p}");
        assert!(
            p.message.starts_with("not valid YAML: ") && p.message.contains("skeleton"),
            "{p}"
        );
        assert!(
            !p.message.contains("line 5"),
            "the position is not repeated: {p}"
        );
    }

    #[test]
    fn an_empty_file_is_a_warning() {
        let (entities, problems) = parse("# nothing here yet\n");
        assert!(entities.is_empty());
        assert_eq!(lines(&problems), ["warning 0: the file holds no document"]);
    }

    #[test]
    fn unknown_kinds_are_kept_as_generic_entities() {
        let (e, problems) = parse_one(
            "apiVersion: acme.io/v1\nkind: KafkaTopic\nmetadata:\n  name: orders\nspec:\n  owner: team-a\n  partitions: 12\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(e.entity_ref.to_string(), "kafkatopic:default/orders");
        assert_eq!(
            e.owner().map(ToString::to_string).as_deref(),
            Some("group:default/team-a")
        );
        assert_eq!(e.spec.value()["partitions"], 12);
    }

    #[test]
    fn a_spec_that_is_not_a_mapping_is_rejected() {
        let (entities, problems) = parse(
            "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jane\nspec: jane\n",
        );
        assert!(entities.is_empty());
        assert_eq!(
            lines(&problems),
            ["error 5: spec must be a mapping, found a string"]
        );
    }
}

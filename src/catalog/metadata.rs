//! `metadata` beyond name and namespace: title, description, labels, annotations, tags and
//! links. Parts that cannot be read are dropped with an Error; parts that break a Backstage
//! format rule are kept with a Warning.

use super::str_map::StrMap;

use serde_json::{Map, Value};

use super::entity::{Link, Metadata};
use super::names::{is_label_value, is_metadata_key, is_tag};
use super::problem::{Problem, describe, field_label};
use crate::source::{Document, pointer_token};

pub(super) fn read_metadata(
    doc: &Document,
    meta: &Map<String, Value>,
    name: &str,
    namespace: &str,
    problems: &mut Vec<Problem>,
) -> Metadata {
    Metadata {
        name: name.to_string(),
        namespace: namespace.to_string(),
        title: optional_text(doc, meta.get("title"), "/metadata/title", problems),
        description: optional_text(
            doc,
            meta.get("description"),
            "/metadata/description",
            problems,
        ),
        labels: string_map(doc, meta, "labels", problems),
        annotations: string_map(doc, meta, "annotations", problems),
        tags: tags(doc, meta.get("tags"), problems),
        links: links(doc, meta.get("links"), problems),
    }
}

/// A string, or a number or boolean taken as its text with a Warning (YAML reads
/// `replicas: 3` as a number; Backstage wants strings). Anything else is `None`, with an
/// Error: the value is dropped.
fn scalar_text(
    doc: &Document,
    value: &Value,
    pointer: &str,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => {
            let text = value.to_string();
            problems.push(Problem::warning_at(
                doc,
                pointer,
                format!("{field} must be a string; read as \"{text}\" (quote it in YAML)"),
            ));
            Some(text)
        }
        other => {
            let message = format!(
                "{field} must be a string, found {}; ignored",
                describe(other)
            );
            problems.push(Problem::error_at(doc, pointer, message));
            None
        }
    }
}

fn optional_text(
    doc: &Document,
    value: Option<&Value>,
    pointer: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let value = value.filter(|v| !v.is_null())?;
    scalar_text(doc, value, pointer, &field_label(pointer), problems)
}

/// `metadata.labels` or `metadata.annotations`: string to string. Entries that cannot be
/// read are dropped with an Error; badly formed keys or label values are kept with a Warning.
fn string_map(
    doc: &Document,
    meta: &Map<String, Value>,
    key: &str,
    problems: &mut Vec<Problem>,
) -> StrMap {
    let mut out = Vec::new();
    let pointer = format!("/metadata/{key}");
    let entries = match meta.get(key) {
        None | Some(Value::Null) => return StrMap::default(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            problems.push(Problem::error_at(
                doc,
                &pointer,
                format!(
                    "metadata.{key} must be a mapping of strings, found {}; ignored",
                    describe(other)
                ),
            ));
            return StrMap::default();
        }
    };
    for (k, v) in entries {
        let at = format!("{pointer}/{}", pointer_token(k));
        let field = format!("metadata.{key}.{k}");
        if !is_metadata_key(k) {
            problems.push(Problem::warning_at(doc, &at, format!("{field}: `{k}` is not a valid key; expected [dns-prefix/]name, e.g. backstage.io/techdocs-ref")));
        }
        let Some(text) = scalar_text(doc, v, &at, &field, problems) else {
            continue;
        };
        if key == "labels" && !is_label_value(&text) {
            problems.push(Problem::warning_at(doc, &at, format!("{field}: `{text}` is not a valid label value (1-63 letters, digits, `-`, `_` or `.`)")));
        }
        out.push((k.clone(), text));
    }
    out.into_iter().collect()
}

fn tags(doc: &Document, value: Option<&Value>, problems: &mut Vec<Problem>) -> Vec<String> {
    let items: Vec<(String, &Value)> = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/metadata/tags/{i}"), v))
            .collect(),
        Some(single @ Value::String(_)) => {
            problems.push(Problem::warning_at(
                doc,
                "/metadata/tags",
                "metadata.tags must be a list; read as a list of one tag",
            ));
            vec![("/metadata/tags".to_string(), single)]
        }
        Some(other) => {
            problems.push(Problem::error_at(
                doc,
                "/metadata/tags",
                format!(
                    "metadata.tags must be a list of strings, found {}; ignored",
                    describe(other)
                ),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (at, v) in items {
        let Some(tag) = scalar_text(doc, v, &at, "a tag", problems) else {
            continue;
        };
        if !is_tag(&tag) {
            problems.push(Problem::warning_at(doc, &at, format!("tag `{tag}` is not valid in Backstage: lower-case letters, digits, `:`, `+` or `#`, joined by single `-`")));
        }
        out.push(tag);
    }
    out
}

fn links(doc: &Document, value: Option<&Value>, problems: &mut Vec<Problem>) -> Vec<Link> {
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.push(Problem::error_at(
                doc,
                "/metadata/links",
                format!(
                    "metadata.links must be a list, found {}; ignored",
                    describe(other)
                ),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("/metadata/links/{i}");
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
        match text("url").filter(|u| !u.trim().is_empty()) {
            Some(url) => out.push(Link {
                url,
                title: text("title"),
                icon: text("icon"),
                r#type: text("type"),
            }),
            None => problems.push(Problem::error_at(
                doc,
                &at,
                "a link needs a url (a string); ignored",
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::parse_one;

    #[test]
    fn labels_annotations_tags_and_links_are_read_leniently() {
        let (e, problems) = parse_one(
            "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  title: 2024
  labels:
    tier: gold
    cost-centre: 4711
    owner team: payments
  annotations:
    pagerduty.com/service-id: P1234567
    backstage.io/techdocs-ref: dir:.
    nested: { not: allowed }
  tags: [java, Spring-Boot, 3]
  links:
    - url: https://grafana.example/d/billing
      title: Dashboard
    - title: Runbook
spec:
  type: service
  lifecycle: production
  owner: payments
",
        );
        assert_eq!(e.metadata.title.as_deref(), Some("2024"));
        assert_eq!(e.metadata.labels.get("cost-centre"), Some("4711"));
        assert_eq!(e.metadata.labels.len(), 3);
        assert_eq!(e.annotation("backstage.io/techdocs-ref"), Some("dir:."));
        assert_eq!(e.annotation("nested"), None);
        assert_eq!(e.metadata.tags, ["java", "Spring-Boot", "3"]);
        assert_eq!(e.metadata.links.len(), 1);
        assert_eq!(
            problems,
            [
                "warning 5: metadata.title must be a string; read as \"2024\" (quote it in YAML)",
                "warning 8: metadata.labels.cost-centre must be a string; read as \"4711\" (quote it in YAML)",
                "warning 9: metadata.labels.owner team: `owner team` is not a valid key; expected [dns-prefix/]name, e.g. backstage.io/techdocs-ref",
                "error 13: metadata.annotations.nested must be a string, found a mapping; ignored",
                "warning 14: tag `Spring-Boot` is not valid in Backstage: lower-case letters, digits, `:`, `+` or `#`, joined by single `-`",
                "warning 14: a tag must be a string; read as \"3\" (quote it in YAML)",
                "error 18: a link needs a url (a string); ignored",
            ]
        );
    }
}

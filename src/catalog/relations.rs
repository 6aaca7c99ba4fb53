//! The relations an entity declares in its spec, read with Backstage's default kind per field
//! and the entity's own namespace as default namespace.

use serde_json::Value;

use super::entity::{Problem, Relations, Severity};
use super::entity_ref::EntityRef;
use crate::source::Document;

/// `(spec field, default kind)`; `None` means the reference must name its kind.
fn fields(kind: &str) -> &'static [(&'static str, Option<&'static str>)] {
    match kind.to_ascii_lowercase().as_str() {
        "component" => &[
            ("owner", Some("group")),
            ("system", Some("system")),
            ("subcomponentOf", Some("component")),
            ("providesApis", Some("api")),
            ("consumesApis", Some("api")),
            ("dependsOn", None),
            ("dependencyOf", None),
        ],
        "api" => &[("owner", Some("group")), ("system", Some("system"))],
        "resource" => &[
            ("owner", Some("group")),
            ("system", Some("system")),
            ("dependsOn", None),
            ("dependencyOf", None),
        ],
        "system" => &[("owner", Some("group")), ("domain", Some("domain"))],
        "domain" => &[("owner", Some("group")), ("subdomainOf", Some("domain"))],
        "group" => &[
            ("parent", Some("group")),
            ("children", Some("group")),
            ("members", Some("user")),
        ],
        "user" => &[("memberOf", Some("group"))],
        "template" => &[("owner", Some("group"))],
        // Unknown kinds: read the usual fields where present.
        _ => &[
            ("owner", Some("group")),
            ("system", Some("system")),
            ("dependsOn", None),
        ],
    }
}

pub fn resolve(
    kind: &str,
    namespace: &str,
    spec: &Value,
    doc: &Document,
    problems: &mut Vec<Problem>,
) -> Relations {
    let mut rel = Relations::default();
    for &(field, default_kind) in fields(kind) {
        let Some(raw) = spec.get(field) else { continue };
        let pointer = format!("/spec/{field}");
        let texts: Vec<(String, &Value)> = match raw {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{pointer}/{i}"), v))
                .collect(),
            Value::Null => continue,
            v => vec![(pointer.clone(), v)],
        };
        let mut refs = Vec::new();
        for (at, v) in texts {
            let Some(text) = v.as_str() else {
                problems.push(problem(
                    doc,
                    &at,
                    format!("spec.{field} must hold entity references (strings)"),
                ));
                continue;
            };
            match EntityRef::parse(text, default_kind, namespace) {
                Ok(r) => refs.push(r),
                Err(e) => problems.push(problem(doc, &at, format!("spec.{field}: {e}"))),
            }
        }
        let single = || refs.first().cloned();
        match field {
            "owner" => rel.owner = single(),
            "system" => rel.system = single(),
            "domain" => rel.domain = single(),
            "parent" => rel.parent = single(),
            "subcomponentOf" => rel.subcomponent_of = single(),
            "subdomainOf" => rel.subdomain_of = single(),
            "children" => rel.children = refs,
            "members" => rel.members = refs,
            "memberOf" => rel.member_of = refs,
            "dependsOn" => rel.depends_on = refs,
            "dependencyOf" => rel.dependency_of = refs,
            "providesApis" => rel.provides_apis = refs,
            "consumesApis" => rel.consumes_apis = refs,
            _ => {}
        }
    }
    if matches!(
        kind.to_ascii_lowercase().as_str(),
        "component" | "api" | "resource" | "system" | "domain"
    ) && rel.owner.is_none()
    {
        let mut p = problem(doc, "/spec", format!("{kind} has no spec.owner"));
        p.severity = Severity::Warning;
        problems.push(p);
    }
    rel
}

fn problem(doc: &Document, pointer: &str, message: String) -> Problem {
    Problem {
        file: doc.file.clone(),
        document: Some(doc.ordinal),
        pos: Some(doc.pos(pointer)),
        severity: Severity::Error,
        message,
    }
}

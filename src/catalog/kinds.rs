//! What each built-in kind asks of its descriptor, after Backstage's kind schemas. Breaking
//! these rules gives a Warning, never a rejection: an entity without an owner or lifecycle
//! is exactly what tech-health exists to report on, so it must still load.

use serde_json::Value;

use super::problem::{Problem, describe};
use super::relations;
use crate::source::Document;

const CATALOG_VERSIONS: &[&str] = &["backstage.io/v1alpha1", "backstage.io/v1beta1"];
const TEMPLATE_VERSIONS: &[&str] = &[
    "scaffolder.backstage.io/v1beta3",
    "backstage.io/v1beta2",
    "backstage.io/v1alpha1",
];

/// A built-in kind: the API versions Backstage reads it in and the spec fields it requires.
struct KindRules {
    name: &'static str,
    api_versions: &'static [&'static str],
    /// Required string fields of the spec.
    required: &'static [&'static str],
    /// Required list fields of the spec (which may be empty).
    required_lists: &'static [&'static str],
}

const BUILT_IN: &[KindRules] = &[
    KindRules {
        name: "Component",
        api_versions: CATALOG_VERSIONS,
        required: &["type", "lifecycle", "owner"],
        required_lists: &[],
    },
    KindRules {
        name: "API",
        api_versions: CATALOG_VERSIONS,
        required: &["type", "lifecycle", "owner", "definition"],
        required_lists: &[],
    },
    KindRules {
        name: "Resource",
        api_versions: CATALOG_VERSIONS,
        required: &["type", "owner"],
        required_lists: &[],
    },
    KindRules {
        name: "System",
        api_versions: CATALOG_VERSIONS,
        required: &["owner"],
        required_lists: &[],
    },
    KindRules {
        name: "Domain",
        api_versions: CATALOG_VERSIONS,
        required: &["owner"],
        required_lists: &[],
    },
    KindRules {
        name: "Group",
        api_versions: CATALOG_VERSIONS,
        required: &["type"],
        required_lists: &["children"],
    },
    KindRules {
        name: "User",
        api_versions: CATALOG_VERSIONS,
        required: &[],
        required_lists: &[],
    },
    KindRules {
        name: "Location",
        api_versions: CATALOG_VERSIONS,
        required: &[],
        required_lists: &[],
    },
    KindRules {
        name: "Template",
        api_versions: TEMPLATE_VERSIONS,
        required: &["type"],
        required_lists: &[],
    },
];

/// Spec fields that are not relations but that the kinds above read.
const OTHER_SPEC_FIELDS: &[&str] = &[
    "type",
    "lifecycle",
    "definition",
    "profile",
    "target",
    "targets",
    "steps",
    "parameters",
    "output",
];

fn rules(kind: &str) -> Option<&'static KindRules> {
    BUILT_IN.iter().find(|r| r.name.eq_ignore_ascii_case(kind))
}

/// Checks the spec of a document of a built-in kind; unknown kinds are not checked.
pub fn check(
    doc: &Document,
    kind: &str,
    api_version: &str,
    spec: &Value,
    problems: &mut Vec<Problem>,
) {
    misspelt_fields(doc, kind, spec, problems);
    let Some(rules) = rules(kind) else { return };
    if !rules.api_versions.contains(&api_version) {
        let expected = rules.api_versions.join(" or ");
        let message = format!(
            "Backstage reads {} entities as {expected}, not {api_version}",
            rules.name
        );
        problems.push(Problem::warning_at(doc, "/apiVersion", message));
    }
    if spec.is_null() {
        problems.push(Problem::warning_at(
            doc,
            "",
            format!("{} has no spec; Backstage requires one", rules.name),
        ));
        return;
    }
    for field in rules.required {
        let at = format!("/spec/{field}");
        match spec.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            // `definition` may be written as a mapping (Backstage accepts it after `$text`
            // substitution); anything present counts.
            Some(v) if *field == "definition" && !v.is_null() => {}
            None | Some(Value::Null) => {
                let message = format!("{} has no spec.{field}; Backstage requires one", rules.name);
                problems.push(Problem::warning_at(doc, "/spec", message));
            }
            // A reference field of the wrong shape is reported where references are read.
            Some(_) if relations::field_names(kind).any(|f| f == *field) => {}
            Some(other) => {
                let message = format!(
                    "spec.{field} must be a non-empty string, found {}",
                    describe(other)
                );
                problems.push(Problem::warning_at(doc, &at, message));
            }
        }
    }
    for field in rules.required_lists {
        if spec.get(field).is_none_or(Value::is_null) {
            let message = format!(
                "{} has no spec.{field}; Backstage requires the list, even empty (`{field}: []`)",
                rules.name
            );
            problems.push(Problem::warning_at(doc, "/spec", message));
        }
    }
    if rules.name == "Location" && spec.get("target").is_none() && spec.get("targets").is_none() {
        problems.push(Problem::warning_at(
            doc,
            "/spec",
            "Location has neither spec.target nor spec.targets; it points nowhere",
        ));
    }
}

/// Spec keys that differ only in case from a field the kind reads (`subComponentOf`,
/// `dependsOn` written `DependsOn`): Backstage ignores them silently, which hides the relation.
fn misspelt_fields(doc: &Document, kind: &str, spec: &Value, problems: &mut Vec<Problem>) {
    let Some(spec) = spec.as_object() else { return };
    let known = relations::field_names(kind).chain(OTHER_SPEC_FIELDS.iter().copied());
    let known: Vec<&str> = known.collect();
    for key in spec.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        if let Some(field) = known.iter().find(|f| f.eq_ignore_ascii_case(key)) {
            let at = format!("/spec/{}", crate::source::pointer_token(key));
            problems.push(Problem::warning_at(
                doc,
                &at,
                format!("spec.{key} is not read; the field is spelt {field}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::parse_one;

    #[test]
    fn a_component_without_owner_or_lifecycle_loads_with_warnings() {
        let (e, problems) = parse_one(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: legacy\nspec:\n  type: service\n",
        );
        assert_eq!(e.owner(), None);
        assert_eq!(
            problems,
            [
                "warning 6: Component has no spec.lifecycle; Backstage requires one",
                "warning 6: Component has no spec.owner; Backstage requires one",
            ]
        );
    }

    #[test]
    fn each_built_in_kind_has_its_own_requirements() {
        let check = |kind: &str, spec: &str| {
            let yaml = format!(
                "apiVersion: backstage.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: x\n{spec}"
            );
            parse_one(&yaml).1
        };
        assert_eq!(
            check("Group", "spec:\n  type: team\n"),
            [
                "warning 6: Group has no spec.children; Backstage requires the list, even empty (`children: []`)"
            ]
        );
        assert_eq!(
            check("User", ""),
            ["warning 1: User has no spec; Backstage requires one"]
        );
        assert_eq!(
            check("System", "spec:\n  owner: [a, b]\n"),
            ["error 6: spec.owner must be one entity reference (a string), found a list; ignored"]
        );
        assert_eq!(
            check(
                "API",
                "spec:\n  type: openapi\n  lifecycle: production\n  owner: a\n  definition:\n    $text: ./openapi.yaml\n"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            check("Location", "spec:\n  type: url\n"),
            ["warning 6: Location has neither spec.target nor spec.targets; it points nowhere"]
        );
        assert_eq!(check("Domain", "spec:\n  owner: a\n"), Vec::<String>::new());
    }

    #[test]
    fn an_unexpected_api_version_is_a_warning() {
        let (_, problems) = parse_one(
            "apiVersion: backstage.io/v2\nkind: Domain\nmetadata:\n  name: d\nspec:\n  owner: a\n",
        );
        assert_eq!(
            problems,
            [
                "warning 1: Backstage reads Domain entities as backstage.io/v1alpha1 or backstage.io/v1beta1, not backstage.io/v2"
            ]
        );
        let template = "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  type: service\n  owner: a\n";
        assert_eq!(parse_one(template).1, Vec::<String>::new());
    }

    #[test]
    fn a_relation_field_in_the_wrong_case_is_pointed_out() {
        let (e, problems) = parse_one(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: kit\nspec:\n  type: library\n  lifecycle: production\n  owner: devices\n  subComponentOf: sdk\n",
        );
        assert_eq!(e.relations.subcomponent_of(), None);
        assert_eq!(
            problems,
            ["warning 9: spec.subComponentOf is not read; the field is spelt subcomponentOf"]
        );
    }
}

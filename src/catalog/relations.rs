//! The relations an entity declares in its spec, read with Backstage's default kind per
//! field and the entity's own namespace as default namespace.

use serde_json::Value;

use super::entity::{Relation, Relations};
use super::entity_ref::EntityRef;
use super::names::{is_entity_name, is_kind, is_namespace};
use super::problem::{Problem, describe};
use crate::source::Document;

/// How many references a field holds.
#[derive(Clone, Copy, PartialEq)]
enum Arity {
    One,
    Many,
}
use Arity::{Many, One};

/// A relation field: its name, the kind a reference without one gets (`None`: the
/// reference must name its kind), how many references it holds, and the relation it is.
type Field = (&'static str, Option<&'static str>, Arity, Relation);

const OWNER: Field = ("owner", Some("group"), One, Relation::Owner);
const SYSTEM: Field = ("system", Some("system"), One, Relation::System);
const DEPENDS_ON: Field = ("dependsOn", None, Many, Relation::DependsOn);
const DEPENDENCY_OF: Field = ("dependencyOf", None, Many, Relation::DependencyOf);

fn fields(kind: &str) -> &'static [Field] {
    match kind.to_ascii_lowercase().as_str() {
        "component" => &[
            OWNER,
            SYSTEM,
            (
                "subcomponentOf",
                Some("component"),
                One,
                Relation::SubcomponentOf,
            ),
            ("providesApis", Some("api"), Many, Relation::ProvidesApis),
            ("consumesApis", Some("api"), Many, Relation::ConsumesApis),
            DEPENDS_ON,
            DEPENDENCY_OF,
        ],
        "api" => &[OWNER, SYSTEM],
        "resource" => &[OWNER, SYSTEM, DEPENDS_ON, DEPENDENCY_OF],
        "system" => &[OWNER, ("domain", Some("domain"), One, Relation::Domain)],
        "domain" => &[
            OWNER,
            ("subdomainOf", Some("domain"), One, Relation::SubdomainOf),
        ],
        "group" => &[
            ("parent", Some("group"), One, Relation::Parent),
            ("children", Some("group"), Many, Relation::Children),
            ("members", Some("user"), Many, Relation::Members),
        ],
        "user" => &[("memberOf", Some("group"), Many, Relation::MemberOf)],
        "template" => &[OWNER],
        "location" => &[],
        // Backstage reads no relations of kinds it does not know; we read the usual ones so
        // that custom kinds can still be scored on ownership.
        _ => &[OWNER, SYSTEM, DEPENDS_ON, DEPENDENCY_OF],
    }
}

/// The names of the relation fields `kind` reads.
pub fn field_names(kind: &str) -> impl Iterator<Item = &'static str> {
    fields(kind).iter().map(|f| f.0)
}

/// Reads the relation fields of `spec`. A reference that cannot be read is left out with an
/// Error at its line; one that parses but can name no entity is kept with a Warning.
pub fn resolve(
    doc: &Document,
    kind: &str,
    namespace: &str,
    spec: &Value,
    problems: &mut Vec<Problem>,
) -> Relations {
    let mut found = Vec::new();
    for &(field, default_kind, arity, relation) in fields(kind) {
        let pointer = format!("/spec/{field}");
        let items: Vec<(String, &Value)> = match (spec.get(field), arity) {
            (None | Some(Value::Null), _) => continue,
            (Some(Value::Array(items)), Many) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{pointer}/{i}"), v))
                .collect(),
            (Some(v @ Value::String(_)), One) => vec![(pointer, v)],
            (Some(v @ Value::String(_)), Many) => {
                problems.push(Problem::warning_at(
                    doc,
                    &pointer,
                    format!("spec.{field} must be a list; read as a list of one reference"),
                ));
                vec![(pointer, v)]
            }
            (Some(other), One) => {
                let message = format!(
                    "spec.{field} must be one entity reference (a string), found {}; ignored",
                    describe(other)
                );
                problems.push(Problem::error_at(doc, &pointer, message));
                continue;
            }
            (Some(other), Many) => {
                let message = format!(
                    "spec.{field} must be a list of entity references, found {}; ignored",
                    describe(other)
                );
                problems.push(Problem::error_at(doc, &pointer, message));
                continue;
            }
        };
        let mut refs = Vec::new();
        for (at, v) in items {
            let Some(text) = v.as_str() else {
                let message = format!(
                    "spec.{field} must hold entity references (strings), found {}; ignored",
                    describe(v)
                );
                problems.push(Problem::error_at(doc, &at, message));
                continue;
            };
            match EntityRef::parse(text, default_kind, namespace) {
                Ok(r) => {
                    if !names_an_entity(&r) {
                        let message = format!(
                            "spec.{field}: `{text}` cannot name an entity (names are 1-63 letters, digits, `-`, `_` or `.`); no entity will match it"
                        );
                        problems.push(Problem::warning_at(doc, &at, message));
                    }
                    refs.push(r);
                }
                Err(e) => problems.push(Problem::error_at(
                    doc,
                    &at,
                    format!("spec.{field}: {e}; ignored"),
                )),
            }
        }
        found.push((relation, refs));
    }
    Relations::from_fields(found)
}

fn names_an_entity(r: &EntityRef) -> bool {
    is_kind(r.kind()) && is_namespace(r.namespace()) && is_entity_name(r.name())
}

#[cfg(test)]
mod tests {
    use super::super::testing::parse_one;

    fn shown<'a>(refs: impl IntoIterator<Item = &'a super::EntityRef>) -> Vec<String> {
        refs.into_iter().map(ToString::to_string).collect()
    }

    #[test]
    fn each_field_has_its_default_kind_and_the_entity_namespace() {
        let (e, problems) = parse_one(
            "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  namespace: shop
spec:
  type: service
  lifecycle: production
  owner: team-a
  system: default/storefront
  subcomponentOf: web
  providesApis: [checkout-api]
  consumesApis: [payments/billing-api]
  dependsOn: [resource:orders-db, Component:Default/Search]
  dependencyOf: [component:mobile-app]
",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let r = &e.relations;
        assert_eq!(
            r.owner().map(ToString::to_string).as_deref(),
            Some("group:shop/team-a")
        );
        assert_eq!(
            r.system().map(ToString::to_string).as_deref(),
            Some("system:default/storefront")
        );
        assert_eq!(
            r.subcomponent_of().map(ToString::to_string).as_deref(),
            Some("component:shop/web")
        );
        assert_eq!(shown(r.provides_apis()), ["api:shop/checkout-api"]);
        assert_eq!(shown(r.consumes_apis()), ["api:payments/billing-api"]);
        assert_eq!(
            shown(r.depends_on()),
            ["resource:shop/orders-db", "component:default/search"]
        );
        assert_eq!(shown(r.dependency_of()), ["component:shop/mobile-app"]);
    }

    #[test]
    fn groups_users_systems_and_domains_read_their_own_fields() {
        let group = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: eng\nspec:\n  type: department\n  parent: acme\n  children: [team-a]\n  members: [jane]\n";
        let r = parse_one(group).0.relations;
        assert_eq!(
            r.parent().map(|p| p.to_string()).as_deref(),
            Some("group:default/acme")
        );
        assert_eq!(shown(r.children()), ["group:default/team-a"]);
        assert_eq!(shown(r.members()), ["user:default/jane"]);
        let user = "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jane\nspec:\n  memberOf: [team-a]\n";
        assert_eq!(
            shown(parse_one(user).0.relations.member_of()),
            ["group:default/team-a"]
        );
        let system = "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: s\nspec:\n  owner: user:jane\n  domain: commerce\n";
        let r = parse_one(system).0.relations;
        assert_eq!(
            r.owner().map(|p| p.to_string()).as_deref(),
            Some("user:default/jane")
        );
        assert_eq!(
            r.domain().map(|p| p.to_string()).as_deref(),
            Some("domain:default/commerce")
        );
        let domain = "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: d\nspec:\n  owner: a\n  subdomainOf: commerce\n";
        let r = parse_one(domain).0.relations;
        assert_eq!(
            r.subdomain_of().map(|p| p.to_string()).as_deref(),
            Some("domain:default/commerce")
        );
    }

    #[test]
    fn bad_references_are_problems_at_their_line_and_the_rest_loads() {
        let (e, problems) = parse_one(
            "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
spec:
  type: service
  lifecycle: production
  owner: Joshua Mathianas
  providesApis: checkout-api
  dependsOn:
    - orders-db
    - resource:orders-cache
    - ''
    - a:b/c/d
    - 42
",
        );
        assert_eq!(
            e.owner().map(ToString::to_string).as_deref(),
            Some("group:default/joshua mathianas")
        );
        assert_eq!(
            shown(e.relations.provides_apis()),
            ["api:default/checkout-api"]
        );
        assert_eq!(
            shown(e.relations.depends_on()),
            ["resource:default/orders-cache"]
        );
        assert_eq!(
            problems,
            [
                "warning 8: spec.owner: `Joshua Mathianas` cannot name an entity (names are 1-63 letters, digits, `-`, `_` or `.`); no entity will match it",
                "warning 9: spec.providesApis must be a list; read as a list of one reference",
                "error 11: spec.dependsOn: entity reference `orders-db` has no kind, and this field has no default kind; ignored",
                "error 13: spec.dependsOn: entity reference is empty; ignored",
                "error 14: spec.dependsOn: entity reference `a:b/c/d` is malformed: the name holds `:` or `/`; ignored",
                "error 15: spec.dependsOn must hold entity references (strings), found a number; ignored",
            ]
        );
    }
}

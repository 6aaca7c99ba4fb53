//! Applicability filters over an entity (checks, tracks, fleet policy): a mapping of fields to
//! allowed values, or a list of such mappings (any of them).

use serde_json::Value;

use super::FactTable;
use super::condition::ConditionError;
use crate::catalog::{DEFAULT_NAMESPACE, EntityRef};

#[derive(Debug, Clone)]
enum Field {
    Kind,
    /// A catalog fact (`type`, `lifecycle`, `owner`, `tags`).
    Fact(u32),
    /// One annotation, read from the `annotations` fact.
    Annotation(u32, String),
}

#[derive(Debug, Clone)]
enum Test {
    AnyOf(Vec<String>),
    NoneOf(Vec<String>),
    Exists(bool),
}

#[derive(Debug, Clone)]
struct Clause {
    field: Field,
    test: Test,
}

/// A compiled filter: any of the alternatives, each all of its clauses.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    alternatives: Vec<Vec<Clause>>,
}

fn err(pointer: &str, message: impl Into<String>) -> ConditionError {
    ConditionError {
        pointer: pointer.to_string(),
        message: message.into(),
    }
}

impl Filter {
    pub fn compile(
        value: &Value,
        pointer: &str,
        facts: &mut FactTable,
    ) -> Result<Filter, ConditionError> {
        let alternatives = match value {
            Value::Object(_) => vec![compile_alternative(value, pointer, facts)?],
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| compile_alternative(v, &format!("{pointer}/{i}"), facts))
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(err(
                    pointer,
                    "a filter is a mapping of entity fields, or a list of them",
                ));
            }
        };
        Ok(Filter { alternatives })
    }

    /// Whether the entity named `entity` with these fact slots matches.
    pub fn matches(&self, entity: &EntityRef, facts: &[Option<Value>]) -> bool {
        self.alternatives.is_empty()
            || self
                .alternatives
                .iter()
                .any(|clauses| clauses.iter().all(|c| c.matches(entity, facts)))
    }
}

fn compile_alternative(
    value: &Value,
    pointer: &str,
    facts: &mut FactTable,
) -> Result<Vec<Clause>, ConditionError> {
    let Value::Object(map) = value else {
        return Err(err(pointer, "a filter alternative must be a mapping"));
    };
    map.iter()
        .map(|(key, v)| {
            let at = format!("{pointer}/{}", crate::source::pointer_token(key));
            let field = match key.as_str() {
                "kind" => Field::Kind,
                "spec.type" => Field::Fact(facts.intern("type")),
                "spec.lifecycle" => Field::Fact(facts.intern("lifecycle")),
                "spec.owner" => Field::Fact(facts.intern("owner")),
                "metadata.tags" => Field::Fact(facts.intern("tags")),
                k => match k.strip_prefix("metadata.annotations.") {
                    Some(a) if !a.is_empty() => Field::Annotation(facts.intern("annotations"), a.to_string()),
                    _ => {
                        return Err(err(
                            &at,
                            format!(
                                "unknown filter field `{k}` (known: kind, spec.type, spec.lifecycle, \
                                 spec.owner, metadata.tags, metadata.annotations.<name>)"
                            ),
                        ));
                    }
                },
            };
            let normalise = |s: &str| -> String {
                if key == "spec.owner" {
                    EntityRef::parse(s, Some("group"), DEFAULT_NAMESPACE)
                        .map(|r| r.to_string())
                        .unwrap_or_else(|_| s.to_ascii_lowercase())
                } else {
                    s.to_ascii_lowercase()
                }
            };
            let strings = |v: &Value| -> Result<Vec<String>, ConditionError> {
                match v {
                    Value::String(s) => Ok(vec![normalise(s)]),
                    Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map(normalise).ok_or_else(|| err(&at, "filter values must be strings")))
                        .collect(),
                    _ => Err(err(&at, "a filter value is a string, a list of strings, {exists: bool} or {not: …}")),
                }
            };
            let test = match v {
                Value::Object(o) if o.len() == 1 && o.contains_key("exists") => match o["exists"] {
                    Value::Bool(b) => Test::Exists(b),
                    _ => return Err(err(&at, "`exists` takes true or false")),
                },
                Value::Object(o) if o.len() == 1 && o.contains_key("not") => Test::NoneOf(strings(&o["not"])?),
                other => Test::AnyOf(strings(other)?),
            };
            Ok(Clause { field, test })
        })
        .collect()
}

impl Clause {
    fn matches(&self, entity: &EntityRef, facts: &[Option<Value>]) -> bool {
        let slot = |s: &u32| facts.get(*s as usize).and_then(Option::as_ref);
        let value: Option<&Value> = match &self.field {
            Field::Kind => {
                return self.test.accepts(&[entity.kind()]);
            }
            Field::Fact(s) => slot(s),
            Field::Annotation(s, name) => slot(s).and_then(|a| a.get(name)),
        };
        match value {
            None | Some(Value::Null) => self.test.accepts(&[]),
            Some(Value::String(s)) => self.test.accepts(&[s.as_str()]),
            Some(Value::Array(items)) => {
                let strs: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                self.test.accepts(&strs)
            }
            Some(Value::Bool(b)) => self.test.accepts(&[if *b { "true" } else { "false" }]),
            Some(other) => self.test.accepts(&[other.to_string().as_str()]),
        }
    }
}

impl Test {
    /// `present` holds the field's values (none when absent).
    fn accepts(&self, present: &[&str]) -> bool {
        let hit = |wanted: &[String]| {
            present
                .iter()
                .any(|p| wanted.iter().any(|w| w.eq_ignore_ascii_case(p)))
        };
        match self {
            Test::Exists(b) => present.is_empty() != *b,
            Test::AnyOf(wanted) => hit(wanted),
            Test::NoneOf(unwanted) => !hit(unwanted),
        }
    }
}

//! Operators: json-rules-engine's ten and its decorators, with its exact semantics, and ours
//! (`exists`, `matches`, semver and radar operators).

use regex::Regex;
use semver::Version;
use serde_json::Value;

use super::js::{self, JsRef};
use super::version::{VersionRange, parse_version, version_of};
use crate::radar::{RING_IDS, Radar};

/// The largest regular expression `matches` accepts, in bytes of pattern.
const MAX_PATTERN_LEN: usize = 1024;
/// The largest compiled program a pattern may produce.
const MAX_REGEX_SIZE: usize = 1 << 20;

#[derive(Debug, Clone)]
pub enum Base {
    Equal,
    NotEqual,
    In,
    NotIn,
    Contains,
    DoesNotContain,
    LessThan,
    LessThanInclusive,
    GreaterThan,
    GreaterThanInclusive,
    Exists(bool),
    Matches(Regex),
    SemverSatisfies(VersionRange),
    SemverGte(Version),
    SemverLt(Version),
    /// A bit set of ring indexes (see [`RING_IDS`]).
    RadarRingIn(u8),
    RadarRingNotIn(u8),
    RadarVersionPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decorator {
    SomeFact,
    SomeValue,
    EveryFact,
    EveryValue,
    Swap,
    Not,
}

#[derive(Debug, Clone)]
pub enum Op {
    Base(Base),
    Decorated(Decorator, Box<Op>),
}

/// The operators a condition may name (without decorators).
pub const OPERATOR_NAMES: [&str; 18] = [
    "equal",
    "notEqual",
    "in",
    "notIn",
    "contains",
    "doesNotContain",
    "lessThan",
    "lessThanInclusive",
    "greaterThan",
    "greaterThanInclusive",
    "exists",
    "matches",
    "semverSatisfies",
    "semverGte",
    "semverLt",
    "radarRingIn",
    "radarRingNotIn",
    "radarVersionPolicy",
];

impl Op {
    /// Parses `decorator:…:operator`. `value` is the condition's literal value (None for a
    /// fact reference); operators of ours that need a literal check it here, once.
    pub fn parse(name: &str, value: Option<&Value>) -> Result<Op, String> {
        if let Some((head, rest)) = name.split_once(':') {
            let d = match head {
                "someFact" => Decorator::SomeFact,
                "someValue" => Decorator::SomeValue,
                "everyFact" => Decorator::EveryFact,
                "everyValue" => Decorator::EveryValue,
                "swap" => Decorator::Swap,
                "not" => Decorator::Not,
                other => return Err(format!("unknown operator decorator `{other}` in `{name}`")),
            };
            let inner_value = match d {
                // The inner operator sees single elements of the value, or the fact as value.
                Decorator::SomeValue | Decorator::EveryValue | Decorator::Swap => None,
                _ => value,
            };
            if matches!(d, Decorator::SomeValue | Decorator::EveryValue)
                && value.is_some_and(|v| !v.is_array())
            {
                return Err(format!("operator `{name}` needs an array value"));
            }
            return Ok(Op::Decorated(d, Box::new(Op::parse(rest, inner_value)?)));
        }
        let need = |what: &str| format!("operator `{name}` needs {what}");
        let base = match name {
            "equal" => Base::Equal,
            "notEqual" => Base::NotEqual,
            "in" | "notIn" => {
                if let Some(v) = value
                    && !(v.is_array() || v.is_string())
                {
                    return Err(need(
                        "an array value (json-rules-engine throws on anything else)",
                    ));
                }
                if name == "in" { Base::In } else { Base::NotIn }
            }
            "contains" => Base::Contains,
            "doesNotContain" => Base::DoesNotContain,
            "lessThan" => Base::LessThan,
            "lessThanInclusive" => Base::LessThanInclusive,
            "greaterThan" => Base::GreaterThan,
            "greaterThanInclusive" => Base::GreaterThanInclusive,
            "exists" => match value {
                None | Some(Value::Bool(true)) => Base::Exists(true),
                Some(Value::Bool(false)) => Base::Exists(false),
                Some(_) => return Err(need("the value true or false")),
            },
            "matches" => {
                let Some(Value::String(p)) = value else {
                    return Err(need("a regular expression string as value"));
                };
                if p.len() > MAX_PATTERN_LEN {
                    return Err(format!(
                        "regular expression is longer than {MAX_PATTERN_LEN} bytes"
                    ));
                }
                let re = regex::RegexBuilder::new(p)
                    .size_limit(MAX_REGEX_SIZE)
                    .build()
                    .map_err(|e| format!("invalid regular expression: {e}"))?;
                Base::Matches(re)
            }
            "semverSatisfies" => {
                let Some(Value::String(r)) = value else {
                    return Err(need("a version range string as value, e.g. \">=17.0.5\""));
                };
                Base::SemverSatisfies(VersionRange::parse(r)?)
            }
            "semverGte" | "semverLt" => {
                let v = value
                    .and_then(version_of)
                    .ok_or_else(|| need("a version as value, e.g. \"2.17.1\""))?;
                if name == "semverGte" {
                    Base::SemverGte(v)
                } else {
                    Base::SemverLt(v)
                }
            }
            "radarRingIn" | "radarRingNotIn" => {
                let mask = ring_mask(value).map_err(|e| format!("operator `{name}`: {e}"))?;
                if name == "radarRingIn" {
                    Base::RadarRingIn(mask)
                } else {
                    Base::RadarRingNotIn(mask)
                }
            }
            "radarVersionPolicy" => match value {
                None | Some(Value::Bool(true)) => Base::RadarVersionPolicy,
                Some(_) => return Err(need("the value true")),
            },
            other => {
                return Err(format!(
                    "unknown operator `{other}` (known: {})",
                    OPERATOR_NAMES.join(", ")
                ));
            }
        };
        Ok(Op::Base(base))
    }

    /// Whether the innermost operator is `exists`, which reads absent facts on purpose.
    pub fn is_exists(&self) -> bool {
        match self {
            Op::Base(Base::Exists(_)) => true,
            Op::Base(_) => false,
            Op::Decorated(_, inner) => inner.is_exists(),
        }
    }

    pub fn uses_radar(&self) -> bool {
        match self {
            Op::Base(b) => matches!(
                b,
                Base::RadarRingIn(_) | Base::RadarRingNotIn(_) | Base::RadarVersionPolicy
            ),
            Op::Decorated(_, inner) => inner.uses_radar(),
        }
    }

    /// json-rules-engine's `operator.evaluate(factValue, jsonValue)`.
    pub fn apply(&self, fact: JsRef, value: JsRef, radar: &Radar) -> bool {
        match self {
            Op::Base(b) => apply_base(b, fact, value, radar),
            Op::Decorated(d, inner) => match d {
                Decorator::SomeFact => {
                    matches!(fact, Some(Value::Array(xs)) if xs.iter().any(|x| inner.apply(Some(x), value, radar)))
                }
                Decorator::EveryFact => {
                    matches!(fact, Some(Value::Array(xs)) if xs.iter().all(|x| inner.apply(Some(x), value, radar)))
                }
                Decorator::SomeValue => {
                    matches!(value, Some(Value::Array(vs)) if vs.iter().any(|v| inner.apply(fact, Some(v), radar)))
                }
                Decorator::EveryValue => {
                    matches!(value, Some(Value::Array(vs)) if vs.iter().all(|v| inner.apply(fact, Some(v), radar)))
                }
                Decorator::Swap => inner.apply(value, fact, radar),
                Decorator::Not => !inner.apply(fact, value, radar),
            },
        }
    }
}

fn ring_mask(value: Option<&Value>) -> Result<u8, String> {
    let names: Vec<&str> = match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().ok_or("rings must be strings"))
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(format!(
                "the value must be a ring or a list of rings ({RING_IDS:?})"
            ));
        }
    };
    names.iter().try_fold(0u8, |mask, n| {
        RING_IDS
            .iter()
            .position(|r| r == n)
            .map(|i| mask | (1 << i))
            .ok_or_else(|| format!("unknown ring `{n}` (rings: {RING_IDS:?})"))
    })
}

fn number_valid(fact: JsRef) -> bool {
    !js::parse_float(fact).is_nan()
}

fn apply_base(op: &Base, fact: JsRef, value: JsRef, radar: &Radar) -> bool {
    match op {
        Base::Equal => js::strict_equal(fact, value),
        Base::NotEqual => !js::strict_equal(fact, value),
        Base::In => js::index_of(value, fact),
        Base::NotIn => {
            matches!(value, Some(Value::Array(_) | Value::String(_))) && !js::index_of(value, fact)
        }
        Base::Contains => matches!(fact, Some(Value::Array(_))) && js::index_of(fact, value),
        Base::DoesNotContain => matches!(fact, Some(Value::Array(_))) && !js::index_of(fact, value),
        Base::LessThan => number_valid(fact) && js::less_than(fact, value),
        Base::LessThanInclusive => number_valid(fact) && js::less_or_equal(fact, value),
        Base::GreaterThan => number_valid(fact) && js::greater_than(fact, value),
        Base::GreaterThanInclusive => number_valid(fact) && js::greater_or_equal(fact, value),
        Base::Exists(expected) => fact.is_some() == *expected,
        Base::Matches(re) => matches!(fact, Some(Value::String(s)) if re.is_match(s)),
        Base::SemverSatisfies(range) => {
            fact.and_then(version_of).is_some_and(|v| range.matches(&v))
        }
        Base::SemverGte(min) => fact.and_then(version_of).is_some_and(|v| v >= *min),
        Base::SemverLt(max) => fact.and_then(version_of).is_some_and(|v| v < *max),
        Base::RadarRingIn(mask) => technologies(fact)
            .filter_map(|t| radar.ring_index(&t.id))
            .all(|ring| mask & (1 << ring) != 0),
        Base::RadarRingNotIn(mask) => technologies(fact)
            .filter_map(|t| radar.ring_index(&t.id))
            .all(|ring| mask & (1 << ring) == 0),
        Base::RadarVersionPolicy => technologies(fact).all(|t| match radar.version_policy(&t.id) {
            None => true,
            Some(policy) => t.version.is_some_and(|v| policy.matches(&v)),
        }),
    }
}

/// An operator against a literal, in the shapes checks are mostly made of, decided once when
/// compiled: for the facts it covers it gives [`Op::apply`]'s result without its dispatch;
/// for any other fact it gives `None` and the general path decides.
#[derive(Debug, Clone)]
pub enum Shortcut {
    /// `equal` (`negate`: `notEqual`) a literal: strict equality, decided for every fact.
    Equal { literal: Value, negate: bool },
    /// A relational operator against a number, for a fact that is a number.
    Compare { relation: Relation, than: f64 },
    /// `in` (`negate`: `notIn`) a list of strings, for a fact that is a string.
    InStrings { list: Vec<String>, negate: bool },
    /// `contains` (`negate`: `doesNotContain`) a string, decided for every fact.
    ContainsString { needle: String, negate: bool },
}

#[derive(Debug, Clone, Copy)]
pub enum Relation {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Shortcut {
    /// The shortcut for `op` against `literal`, where there is one.
    pub fn new(op: &Op, literal: &Value) -> Option<Shortcut> {
        let Op::Base(base) = op else {
            return None;
        };
        let relation = |relation| match literal {
            Value::Number(n) => Some(Shortcut::Compare {
                relation,
                than: n.as_f64()?,
            }),
            _ => None,
        };
        match base {
            Base::Equal | Base::NotEqual => Some(Shortcut::Equal {
                literal: literal.clone(),
                negate: matches!(base, Base::NotEqual),
            }),
            Base::In | Base::NotIn => match literal {
                Value::Array(items) => Some(Shortcut::InStrings {
                    list: items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string))
                        .collect::<Option<_>>()?,
                    negate: matches!(base, Base::NotIn),
                }),
                _ => None,
            },
            Base::Contains | Base::DoesNotContain => match literal {
                Value::String(s) => Some(Shortcut::ContainsString {
                    needle: s.clone(),
                    negate: matches!(base, Base::DoesNotContain),
                }),
                _ => None,
            },
            Base::LessThan => relation(Relation::Less),
            Base::LessThanInclusive => relation(Relation::LessOrEqual),
            Base::GreaterThan => relation(Relation::Greater),
            Base::GreaterThanInclusive => relation(Relation::GreaterOrEqual),
            _ => None,
        }
    }

    /// The operator's result for `fact`, or `None` when the general path is to decide.
    #[inline]
    pub fn apply(&self, fact: JsRef) -> Option<bool> {
        match self {
            Shortcut::Equal { literal, negate } => {
                Some(js::strict_equal(fact, Some(literal)) != *negate)
            }
            Shortcut::Compare { relation, than } => match fact {
                Some(Value::Number(x)) => {
                    let x = js::num(x);
                    Some(match relation {
                        Relation::Less => x < *than,
                        Relation::LessOrEqual => x <= *than,
                        Relation::Greater => x > *than,
                        Relation::GreaterOrEqual => x >= *than,
                    })
                }
                _ => None,
            },
            Shortcut::InStrings { list, negate } => match fact {
                Some(Value::String(s)) => Some(list.iter().any(|i| i == s) != *negate),
                _ => None,
            },
            Shortcut::ContainsString { needle, negate } => Some(match fact {
                Some(Value::Array(items)) => {
                    items.iter().any(|i| i.as_str() == Some(needle.as_str())) != *negate
                }
                _ => false,
            }),
        }
    }
}

/// A technology named in a fact: `"java"`, `"java@17.0.5"` or `{"id": "java", "version": "17"}`.
pub struct Technology {
    pub id: String,
    pub version: Option<Version>,
}

/// The technologies in a fact value: one, or a list of them.
pub fn technologies<'a>(fact: JsRef<'a>) -> impl Iterator<Item = Technology> + 'a {
    let items: &'a [Value] = match fact {
        Some(Value::Array(xs)) => xs,
        Some(v) => std::slice::from_ref(v),
        None => &[],
    };
    items.iter().filter_map(|item| match item {
        Value::String(s) => {
            let (id, version) = match s.split_once('@') {
                Some((id, v)) => (id, parse_version(v)),
                None => (s.as_str(), None),
            };
            Some(Technology {
                id: id.to_ascii_lowercase(),
                version,
            })
        }
        Value::Object(map) => {
            let id = map.get("id")?.as_str()?.to_ascii_lowercase();
            let version = map.get("version").and_then(version_of);
            Some(Technology { id, version })
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Wherever a shortcut decides, it decides as the operator does, for facts of every kind.
    #[test]
    fn shortcuts_agree_with_the_operators() {
        let scalars = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-0.0),
            json!(17),
            json!(2.5),
            json!(1e300),
            json!(""),
            json!("java"),
            json!("17"),
        ];
        let literals: Vec<Value> = scalars
            .iter()
            .cloned()
            .chain([
                json!(["java", "go"]),
                json!([]),
                json!(["java", 17]),
                json!({"a": 1}),
            ])
            .collect();
        let facts: Vec<Option<Value>> = scalars
            .iter()
            .cloned()
            .chain([
                json!(16.99),
                json!(-1),
                json!("go"),
                json!(" 17 "),
                json!(["java", "scala"]),
                json!(["go"]),
                json!([17, "17"]),
                json!([]),
                json!({"a": 1}),
            ])
            .map(Some)
            .chain([None])
            .collect();
        let radar = Radar::default();
        let mut decided = 0;
        for name in &OPERATOR_NAMES[..10] {
            for literal in &literals {
                let Ok(op) = Op::parse(name, Some(literal)) else {
                    continue;
                };
                let Some(shortcut) = Shortcut::new(&op, literal) else {
                    continue;
                };
                for fact in &facts {
                    if let Some(result) = shortcut.apply(fact.as_ref()) {
                        decided += 1;
                        let expected = op.apply(fact.as_ref(), Some(literal), &radar);
                        assert_eq!(result, expected, "{fact:?} {name} {literal}");
                    }
                }
            }
        }
        assert!(decided > 500, "only {decided} cases decided by shortcuts");
    }
}

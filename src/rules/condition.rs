//! json-rules-engine condition trees, compiled once into a form that reads facts by slot.

use std::borrow::Cow;

use serde_json::Value;

use super::FactTable;
use super::ops::{Op, Shortcut};
use super::path::JsonPath;
use crate::radar::Radar;

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Leaf(Box<Leaf>),
}

#[derive(Debug, Clone)]
pub struct Leaf {
    pub fact: u32,
    pub path: Option<JsonPath>,
    pub op: Op,
    pub value: Operand,
    /// For a fact as it is against a literal, the operator's usual cases decided directly.
    shortcut: Option<Shortcut>,
}

#[derive(Debug, Clone)]
pub enum Operand {
    Literal(Value),
    Fact { slot: u32, path: Option<JsonPath> },
}

/// An error in a condition, at a JSON Pointer relative to the conditions' root.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionError {
    pub pointer: String,
    pub message: String,
}

fn err(pointer: &str, message: impl Into<String>) -> ConditionError {
    ConditionError {
        pointer: pointer.to_string(),
        message: message.into(),
    }
}

/// What compiling a condition tree learns besides the tree.
#[derive(Debug, Default)]
pub struct Reads {
    /// Facts whose absence makes the result `unknown`.
    pub required: Vec<u32>,
    pub uses_radar: bool,
}

/// Compiles a rule's `conditions`. As in json-rules-engine, the root must be `all`, `any` or
/// `not` (named shared `condition`s do not exist in Tech Insights and are refused).
pub fn compile_root(
    value: &Value,
    pointer: &str,
    facts: &mut FactTable,
    reads: &mut Reads,
) -> Result<Node, ConditionError> {
    let Value::Object(map) = value else {
        return Err(err(
            pointer,
            "conditions must be an object with `all`, `any` or `not`",
        ));
    };
    if !["all", "any", "not"].iter().any(|k| map.contains_key(*k)) {
        return Err(err(
            pointer,
            "the root of `conditions` must contain `all`, `any` or `not` (as json-rules-engine requires)",
        ));
    }
    compile(value, pointer, facts, reads)
}

/// How deep `all`/`any`/`not` may nest. Compiling and evaluating recurse once per level, and
/// conditions come from files and from previews submitted over the API; real checks nest a few
/// levels.
pub const MAX_CONDITION_DEPTH: usize = 32;

/// Compiles any condition (a boolean group or a leaf).
pub fn compile(
    value: &Value,
    pointer: &str,
    facts: &mut FactTable,
    reads: &mut Reads,
) -> Result<Node, ConditionError> {
    compile_at(value, pointer, facts, reads, 1)
}

fn compile_at(
    value: &Value,
    pointer: &str,
    facts: &mut FactTable,
    reads: &mut Reads,
    depth: usize,
) -> Result<Node, ConditionError> {
    let Value::Object(map) = value else {
        return Err(err(pointer, "a condition must be an object"));
    };
    if depth > MAX_CONDITION_DEPTH {
        return Err(err(
            pointer,
            format!("conditions nest more than {MAX_CONDITION_DEPTH} levels of `all`/`any`/`not`"),
        ));
    }
    // json-rules-engine picks the boolean operator in this order.
    for key in ["any", "all"] {
        if let Some(sub) = map.get(key) {
            let Value::Array(items) = sub else {
                return Err(err(
                    &format!("{pointer}/{key}"),
                    format!("`{key}` must be an array"),
                ));
            };
            let mut nodes = items
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    compile_at(c, &format!("{pointer}/{key}/{i}"), facts, reads, depth + 1)
                })
                .collect::<Result<Vec<Node>, _>>()?;
            // `all` or `any` of one condition is that condition.
            if nodes.len() == 1
                && let Some(only) = nodes.pop()
            {
                return Ok(only);
            }
            return Ok(if key == "any" {
                Node::Any(nodes)
            } else {
                Node::All(nodes)
            });
        }
    }
    if let Some(sub) = map.get("not") {
        if sub.is_array() {
            return Err(err(
                &format!("{pointer}/not"),
                "`not` takes one condition, not an array",
            ));
        }
        let inner = compile_at(sub, &format!("{pointer}/not"), facts, reads, depth + 1)?;
        return Ok(Node::Not(Box::new(inner)));
    }
    if map.contains_key("condition") {
        return Err(err(
            pointer,
            "shared conditions (`condition`) are not supported; write the condition inline",
        ));
    }
    let fact = match map.get("fact") {
        Some(Value::String(f)) => f.as_str(),
        Some(_) => return Err(err(&format!("{pointer}/fact"), "`fact` must be a string")),
        None => {
            return Err(err(
                pointer,
                "a condition needs `fact`, `operator` and `value`",
            ));
        }
    };
    let operator = match map.get("operator") {
        Some(Value::String(o)) => o.as_str(),
        Some(_) => {
            return Err(err(
                &format!("{pointer}/operator"),
                "`operator` must be a string",
            ));
        }
        None => {
            return Err(err(
                pointer,
                format!("the condition on `{fact}` has no `operator`"),
            ));
        }
    };
    let path = compile_path(map.get("path"), &format!("{pointer}/path"))?;
    let raw_value = map.get("value");
    let value = match raw_value {
        Some(Value::Object(v)) if v.contains_key("fact") => {
            let Some(Value::String(other)) = v.get("fact") else {
                return Err(err(
                    &format!("{pointer}/value/fact"),
                    "a fact reference needs a fact name",
                ));
            };
            let slot = facts.intern(other);
            reads.required.push(slot);
            Operand::Fact {
                slot,
                path: compile_path(v.get("path"), &format!("{pointer}/value/path"))?,
            }
        }
        Some(v) => Operand::Literal(v.clone()),
        None if operator.ends_with("exists") || operator.ends_with("radarVersionPolicy") => {
            Operand::Literal(Value::Bool(true))
        }
        None => {
            return Err(err(
                pointer,
                format!("the condition on `{fact}` has no `value`"),
            ));
        }
    };
    let literal = match &value {
        Operand::Literal(v) => Some(v),
        Operand::Fact { .. } => None,
    };
    let op = Op::parse(operator, literal).map_err(|m| err(&format!("{pointer}/operator"), m))?;
    let slot = facts.intern(fact);
    if !op.is_exists() {
        reads.required.push(slot);
    }
    reads.uses_radar |= op.uses_radar();
    let shortcut = match (&path, &value) {
        (None, Operand::Literal(v)) => Shortcut::new(&op, v),
        _ => None,
    };
    Ok(Node::Leaf(Box::new(Leaf {
        fact: slot,
        path,
        op,
        value,
        shortcut,
    })))
}

fn compile_path(v: Option<&Value>, pointer: &str) -> Result<Option<JsonPath>, ConditionError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => JsonPath::parse(s).map(Some).map_err(|m| err(pointer, m)),
        Some(_) => Err(err(pointer, "`path` must be a JSONPath string")),
    }
}

/// Reads a fact as json-rules-engine's almanac does: a path applies only to objects and
/// arrays; on anything else the fact itself is returned.
fn read<'a>(
    facts: &'a [Option<Value>],
    slot: u32,
    path: &Option<JsonPath>,
) -> Option<Cow<'a, Value>> {
    let v = facts.get(slot as usize)?.as_ref()?;
    match path {
        Some(p) if matches!(v, Value::Object(_) | Value::Array(_)) => p.resolve(v),
        _ => Some(Cow::Borrowed(v)),
    }
}

impl Leaf {
    /// The leaf's result by its operator (kept out of [`Node::eval`], which the leaves with a
    /// shortcut pass through on every check).
    #[inline(never)]
    fn eval(&self, facts: &[Option<Value>], radar: &Radar) -> bool {
        match (&self.path, &self.value) {
            // A fact as it is against a literal: nothing to resolve.
            (None, Operand::Literal(v)) => {
                let lhs = facts.get(self.fact as usize).and_then(Option::as_ref);
                self.op.apply(lhs, Some(v), radar)
            }
            (path, value) => {
                let lhs = read(facts, self.fact, path);
                match value {
                    Operand::Literal(v) => self.op.apply(lhs.as_deref(), Some(v), radar),
                    Operand::Fact { slot, path } => {
                        let rhs = read(facts, *slot, path);
                        self.op.apply(lhs.as_deref(), rhs.as_deref(), radar)
                    }
                }
            }
        }
    }
}

impl Node {
    /// Evaluates the condition over an entity's fact slots. json-rules-engine 7.3 passes an
    /// empty `all` and an empty `any` alike.
    pub fn eval(&self, facts: &[Option<Value>], radar: &Radar) -> bool {
        match self {
            Node::All(nodes) => nodes.iter().all(|n| n.eval(facts, radar)),
            Node::Any(nodes) => nodes.is_empty() || nodes.iter().any(|n| n.eval(facts, radar)),
            Node::Not(inner) => !inner.eval(facts, radar),
            Node::Leaf(leaf) => {
                if let Some(shortcut) = &leaf.shortcut {
                    let fact = facts.get(leaf.fact as usize).and_then(Option::as_ref);
                    if let Some(result) = shortcut.apply(fact) {
                        return result;
                    }
                }
                leaf.eval(facts, radar)
            }
        }
    }

    /// The leaves, for explaining a result (which facts were read, with which operators).
    pub fn leaves(&self) -> Vec<&Leaf> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, out: &mut Vec<&'a Leaf>) {
        match self {
            Node::All(ns) | Node::Any(ns) => ns.iter().for_each(|n| n.collect_leaves(out)),
            Node::Not(n) => n.collect_leaves(out),
            Node::Leaf(l) => out.push(l),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `not` wrapped around a leaf `levels` times.
    fn nested(levels: usize) -> Value {
        (0..levels).fold(
            json!({"fact": "x", "operator": "equal", "value": 1}),
            |inner, _| json!({ "not": inner }),
        )
    }

    #[test]
    fn nesting_is_bounded_with_the_place_it_was_passed() {
        let compile =
            |v: &Value| compile_root(v, "/c", &mut FactTable::default(), &mut Reads::default());
        assert!(compile(&nested(MAX_CONDITION_DEPTH - 1)).is_ok());
        let e = compile(&nested(MAX_CONDITION_DEPTH)).unwrap_err();
        assert!(e.message.contains("more than 32 levels"), "{}", e.message);
        assert!(e.pointer.starts_with("/c/not/not/"), "{}", e.pointer);
    }
}

//! The JSON shapes of Backstage's Tech Insights backend, built from our standards and an
//! entity's health. Pure: values in, values out.
//!
//! How our statuses read in Tech Insights, where a result is a boolean:
//! - `pass` → `true`; `fail` → `false`;
//! - `exempt` → `true`: an exemption lets the level hold, as a pass does; the check's metadata
//!   says `status: exempt` with the justification and expiry;
//! - `unknown` → `false`: a fact the check reads is missing, which blocks a level as a failure
//!   does; the metadata says `status: unknown` and names the missing facts;
//! - `not-applicable` → left out of the results, as Tech Insights leaves out checks whose
//!   filter excludes the entity.

use serde_json::{Map, Value, json};

use crate::evaluate::Engine;
use crate::health::view::{self, CheckResult};
use crate::rules::Status;
use crate::service::collectors::Collector;

/// The check type Tech Insights' json-rules-engine fact checker serves.
pub const JSON_RULES_ENGINE: &str = "json-rules-engine";

/// Tech Insights wants a semver on every fact schema and fact row; tech-health does not version
/// collector schemas, so every one is reported as this.
pub const SCHEMA_VERSION: &str = "1.0.0";

/// The fact id (Tech Insights' "fact retriever") of facts the catalog entity yields by itself.
pub const CATALOG: &str = "catalog";

/// A check as `GET /checks` lists it: Tech Insights' `TechInsightJsonRuleCheck`, with our
/// severity, how-to-fix and where it is used in `metadata`.
pub fn check(engine: &Engine, index: usize) -> Value {
    let c = &engine.checks[index];
    let d = &c.def;
    let mut out = json!({
        "id": d.id,
        "type": d.check_type.as_deref().unwrap_or(JSON_RULES_ENGINE),
        "name": d.name,
        "description": d.description,
        "factIds": d.fact_ids,
        "rule": { "conditions": d.rule.conditions },
        "links": view::links(c),
        "metadata": base_metadata(engine, index),
    });
    for (key, value) in [
        ("successMetadata", &d.success_metadata),
        ("failureMetadata", &d.failure_metadata),
        ("filter", &d.filter),
    ] {
        if let Some(v) = value {
            out[key] = v.clone();
        }
    }
    out
}

/// The check's own metadata (an object) plus our keys.
fn base_metadata(engine: &Engine, index: usize) -> Map<String, Value> {
    let c = &engine.checks[index];
    let mut m = object(c.def.metadata.as_ref());
    m.insert("severity".into(), json!(view::severity(c)));
    if let Some(h) = &c.def.how_to_fix {
        m.insert("howToFix".into(), json!(h));
    }
    m.insert("usedIn".into(), json!(view::used_in(engine, index)));
    m
}

/// A metadata value as an object: objects as they are, anything else under `value`.
fn object(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        Some(other) => Map::from_iter([("value".to_string(), other.clone())]),
        None => Map::new(),
    }
}

/// The Tech Insights result of a status; `None` for `not-applicable` (left out).
pub fn verdict(status: &str) -> Option<bool> {
    match status {
        s if s == Status::Pass.as_str() || s == Status::Exempt.as_str() => Some(true),
        s if s == Status::Fail.as_str() || s == Status::Unknown.as_str() => Some(false),
        _ => None,
    }
}

/// Where a fact value came from, and what its collector's schema says about it.
pub struct FactInfo {
    /// The collector (Tech Insights' fact id), or [`CATALOG`].
    pub source: String,
    /// The fact's type and description, when a schema declares it.
    pub declared: Option<(&'static str, String)>,
}

impl FactInfo {
    /// A fact reported by `collector`, described by its schema when it declares the fact.
    pub fn collected(collector: Option<&Collector>, source: &str, name: &str) -> FactInfo {
        let declared = collector.and_then(|c| {
            let prop = c.schema.pointer("/properties")?.get(name)?;
            Some((schema_type(prop, Some(&c.schema)), description(prop)))
        });
        FactInfo {
            source: source.to_string(),
            declared,
        }
    }

    /// A fact the catalog entity yields by itself.
    pub fn catalog() -> FactInfo {
        FactInfo {
            source: CATALOG.to_string(),
            declared: None,
        }
    }
}

fn description(prop: &Value) -> String {
    prop.get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// One check's result for one entity: Tech Insights' `JsonRuleBooleanCheckResult`
/// (`{facts, result, check}`); `None` when the check does not apply.
pub fn check_result(
    engine: &Engine,
    index: usize,
    result: &CheckResult,
    info: impl Fn(&str) -> FactInfo,
) -> Option<Value> {
    let verdict = verdict(&result.status)?;
    let d = &engine.checks[index].def;
    let mut metadata = base_metadata(engine, index);
    let outcome = if verdict {
        &d.success_metadata
    } else {
        &d.failure_metadata
    };
    metadata.extend(object(outcome.as_ref()));
    metadata.insert("status".into(), json!(result.status));
    metadata.insert("message".into(), json!(result.message));
    if !result.missing_facts.is_empty() {
        metadata.insert("missingFacts".into(), json!(result.missing_facts));
    }
    if let Some(e) = &result.exemption {
        metadata.insert("exemption".into(), json!(e));
    }
    let facts: Map<String, Value> = result
        .facts
        .0
        .iter()
        .map(|(name, value)| {
            let FactInfo { source, declared } = info(name);
            let (kind, description) = declared.unwrap_or_else(|| {
                let d = if source == CATALOG {
                    "From the entity's catalog descriptor."
                } else {
                    ""
                };
                (value_type(value), d.to_string())
            });
            let entry = json!({
                "id": source,
                "type": kind,
                "description": description,
                "value": value,
            });
            (name.clone(), entry)
        })
        .collect();
    Some(json!({
        "facts": facts,
        "result": verdict,
        "check": {
            "id": d.id,
            "type": d.check_type.as_deref().unwrap_or(JSON_RULES_ENGINE),
            "name": d.name,
            "description": d.description,
            "factIds": d.fact_ids,
            "metadata": metadata,
            "rule": { "conditions": d.rule.conditions },
            "links": view::links(&engine.checks[index]),
        },
    }))
}

/// A collector's schema as `GET /fact-schemas` lists it: its id and version, then one
/// `{type, description}` per fact it declares (Tech Insights spreads them beside `id`).
pub fn fact_schema(collector: &Collector) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(collector.name));
    out.insert("version".into(), json!(SCHEMA_VERSION));
    if let Some(Value::Object(props)) = collector.schema.get("properties") {
        for (name, prop) in props {
            let mut fact = Map::new();
            fact.insert(
                "type".into(),
                json!(schema_type(prop, Some(&collector.schema))),
            );
            fact.insert("description".into(), json!(description(prop)));
            out.insert(name.clone(), Value::Object(fact));
        }
    }
    out.insert("entityFilter".into(), Value::Null);
    Value::Object(out)
}

/// Tech Insights' fact type (`integer`, `float`, `string`, `boolean`, `datetime`, `set`,
/// `object`) of a JSON Schema property; a local `$ref` is followed once through `root`.
pub fn schema_type(prop: &Value, root: Option<&Value>) -> &'static str {
    let resolved = prop
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| root?.pointer(pointer));
    let prop = resolved.unwrap_or(prop);
    let declared = match prop.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    };
    match declared {
        Some("integer") => "integer",
        Some("number") => "float",
        Some("boolean") => "boolean",
        Some("array") => "set",
        Some("string") if prop.get("format").and_then(Value::as_str) == Some("date-time") => {
            "datetime"
        }
        Some("string") => "string",
        None if prop
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_string)) =>
        {
            "string"
        }
        _ => "object",
    }
}

/// The fact type of a value no schema describes.
pub fn value_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "float",
        Value::String(_) => "string",
        Value::Array(_) => "set",
        Value::Null | Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_tech_insights_booleans() {
        assert_eq!(verdict("pass"), Some(true));
        assert_eq!(verdict("exempt"), Some(true));
        assert_eq!(verdict("fail"), Some(false));
        assert_eq!(verdict("unknown"), Some(false));
        assert_eq!(verdict("not-applicable"), None);
    }

    #[test]
    fn schema_types_follow_tech_insights_names() {
        let root = json!({"$defs": {"provider": {"enum": ["github-actions", "jenkins"]}}});
        assert_eq!(schema_type(&json!({"type": "integer"}), None), "integer");
        assert_eq!(schema_type(&json!({"type": "number"}), None), "float");
        assert_eq!(
            schema_type(&json!({"type": "string", "format": "date-time"}), None),
            "datetime"
        );
        assert_eq!(
            schema_type(&json!({"type": ["null", "boolean"]}), None),
            "boolean"
        );
        assert_eq!(schema_type(&json!({"type": "array"}), None), "set");
        assert_eq!(
            schema_type(&json!({"$ref": "#/$defs/provider"}), Some(&root)),
            "string"
        );
        assert_eq!(schema_type(&json!({}), None), "object");
        assert_eq!(value_type(&json!(3)), "integer");
        assert_eq!(value_type(&json!(86.4)), "float");
        assert_eq!(value_type(&json!(["a"])), "set");
    }
}

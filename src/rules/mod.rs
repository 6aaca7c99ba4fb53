//! Checks: Tech Insights' json-rules-engine checks plus our extensions, compiled once and run
//! many times. Pure: values in, values out.

pub mod condition;
pub mod filter;
pub mod js;
pub mod ops;
pub mod path;
pub mod version;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::EntityRef;
use crate::radar::Radar;
use condition::{ConditionError, Node, Reads};
use filter::Filter;

/// The facts the compiled standards read, each given a slot. An entity's facts are a vector
/// indexed by slot, so evaluation never hashes a fact name.
#[derive(Debug, Clone, Default)]
pub struct FactTable {
    names: Vec<String>,
    index: FxHashMap<String, u32>,
}

impl FactTable {
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    pub fn slot(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn name(&self, slot: u32) -> &str {
        &self.names[slot as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// `error` checks block a level; `warning` checks never do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckLink {
    pub url: String,
    #[serde(default)]
    pub title: Option<String>,
}

/// A check as written: a Tech Insights `TechInsightJsonRuleCheck` plus our optional keys.
/// Unknown keys are kept, so real Tech Insights checks load unchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckDef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub check_type: Option<String>,
    #[serde(default)]
    pub fact_ids: Vec<String>,
    pub rule: RuleDef,
    #[serde(default)]
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how_to_fix: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<CheckLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_metadata: Option<Value>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleDef {
    pub conditions: Value,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A check's result for one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
    Unknown,
    Exempt,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "not-applicable",
            Status::Unknown => "unknown",
            Status::Exempt => "exempt",
        }
    }

    /// Whether the result lets a level hold.
    pub fn satisfies(self) -> bool {
        matches!(self, Status::Pass | Status::Exempt | Status::NotApplicable)
    }
}

/// A compiled check.
#[derive(Debug, Clone)]
pub struct Check {
    pub def: CheckDef,
    filter: Option<Filter>,
    root: Node,
    /// Facts that must be present for a verdict, sorted and deduplicated.
    required: Vec<u32>,
}

impl Check {
    /// Compiles one check; errors carry a pointer relative to the check.
    pub fn compile(def: CheckDef, facts: &mut FactTable) -> Result<Check, ConditionError> {
        let mut reads = Reads::default();
        let root =
            condition::compile_root(&def.rule.conditions, "/rule/conditions", facts, &mut reads)?;
        let filter = def
            .filter
            .as_ref()
            .map(|f| Filter::compile(f, "/filter", facts))
            .transpose()?;
        let mut required = reads.required;
        required.sort_unstable();
        required.dedup();
        Ok(Check {
            def,
            filter,
            root,
            required,
        })
    }

    pub fn id(&self) -> &str {
        &self.def.id
    }

    pub fn applies_to(&self, entity: &EntityRef, facts: &[Option<Value>]) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| f.matches(entity, facts))
    }

    /// Evaluates the check, without exemptions.
    pub fn evaluate(&self, entity: &EntityRef, facts: &[Option<Value>], radar: &Radar) -> Status {
        if !self.applies_to(entity, facts) {
            return Status::NotApplicable;
        }
        if self
            .required
            .iter()
            .any(|&s| facts.get(s as usize).is_none_or(Option::is_none))
        {
            return Status::Unknown;
        }
        if self.root.eval(facts, radar) {
            Status::Pass
        } else {
            Status::Fail
        }
    }

    /// The facts a verdict needs that this entity lacks.
    pub fn missing_facts<'t>(&self, facts: &[Option<Value>], table: &'t FactTable) -> Vec<&'t str> {
        self.required
            .iter()
            .filter(|&&s| facts.get(s as usize).is_none_or(Option::is_none))
            .map(|&s| table.name(s))
            .collect()
    }

    /// The facts the check reads (for showing what a result was based on).
    pub fn facts_read(&self) -> Vec<u32> {
        let mut slots: Vec<u32> = self
            .root
            .leaves()
            .iter()
            .flat_map(|l| {
                let mut v = vec![l.fact];
                if let condition::Operand::Fact { slot, .. } = &l.value {
                    v.push(*slot);
                }
                v
            })
            .collect();
        slots.sort_unstable();
        slots.dedup();
        slots
    }
}

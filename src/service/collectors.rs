//! Collectors and the JSON Schemas of their facts (`checks/collectors/<name>.schema.json`).
//! Every pushed fact batch is validated against its collector's schema.

use std::path::Path;

use serde_json::{Map, Value};

use crate::source::{Files, SourceError};

/// The collector whose schema accepts any fact.
pub const CUSTOM: &str = "custom";

pub struct Collector {
    pub name: String,
    pub schema: Value,
    validator: jsonschema::Validator,
}

/// One schema violation: where in the facts object, and what.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FactError {
    /// JSON pointer into the item, e.g. `/facts/testCoverage`.
    pub path: String,
    pub message: String,
}

pub struct Collectors(Vec<Collector>);

impl Collectors {
    /// Loads every `*.schema.json` of `dir` (a folder of `files`).
    pub fn load(files: &dyn Files, dir: &Path) -> Result<Collectors, SourceError> {
        let mut out = Vec::new();
        if !files.is_dir(dir) {
            return Ok(Collectors(out));
        }
        let listed = files
            .list(dir, false)
            .map_err(|e| SourceError::new(dir, None, format!("cannot list folder: {e}")))?;
        for path in listed {
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let Some(name) = file.strip_suffix(".schema.json") else {
                continue;
            };
            let text = files
                .read(&path)
                .map_err(|e| SourceError::new(&path, None, format!("cannot read: {e}")))?;
            let doc = crate::source::parse_single(&path, &text)?;
            let validator = jsonschema::validator_for(&doc.value)
                .map_err(|e| doc.error_at("", format!("not a valid JSON Schema: {e}")))?;
            out.push(Collector {
                name: name.to_string(),
                schema: doc.value.clone(),
                validator,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Collectors(out))
    }

    pub fn get(&self, name: &str) -> Option<&Collector> {
        self.0.iter().find(|c| c.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|c| c.name.as_str()).collect()
    }

    /// The collector that declares `fact` among its properties (`custom` when none does).
    pub fn owner_of(&self, fact: &str) -> &str {
        self.0
            .iter()
            .filter(|c| c.name != CUSTOM)
            .find(|c| {
                c.schema
                    .pointer("/properties")
                    .and_then(|p| p.get(fact))
                    .is_some()
            })
            .map_or(CUSTOM, |c| c.name.as_str())
    }

    /// Splits one entity's facts by the collector that declares each.
    pub fn split(&self, facts: &Map<String, Value>) -> Vec<(String, Map<String, Value>)> {
        let mut out: Vec<(String, Map<String, Value>)> = Vec::new();
        for (k, v) in facts {
            let owner = self.owner_of(k);
            match out.iter_mut().find(|(c, _)| c == owner) {
                Some((_, m)) => {
                    m.insert(k.clone(), v.clone());
                }
                None => out.push((owner.to_string(), Map::from_iter([(k.clone(), v.clone())]))),
            }
        }
        out
    }
}

impl Collector {
    /// Schema violations of one facts object, pointers prefixed with `/facts`.
    pub fn validate(&self, facts: &Value) -> Vec<FactError> {
        self.validator
            .iter_errors(facts)
            .map(|e| FactError {
                path: format!("/facts{}", e.instance_path()),
                message: e.to_string(),
            })
            .collect()
    }
}

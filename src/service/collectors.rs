//! Collectors and the JSON Schemas of their facts (`checks/collectors/<name>.schema.json`).
//! Every pushed fact batch is validated against its collector's schema.

use std::path::Path;

use serde_json::{Map, Value};

use crate::source::{Files, SourceError, pointer_token};

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

/// How deep a fact's value may nest (arrays and objects below the facts object). Facts are
/// parsed, compared and written out again by code that recurses once per level; real facts nest
/// a few levels.
pub const MAX_FACT_DEPTH: usize = 32;

impl Collector {
    /// Schema violations of one facts object, pointers prefixed with `/facts`; a value nested
    /// deeper than [`MAX_FACT_DEPTH`] is refused before the schema is applied.
    pub fn validate(&self, facts: &Value) -> Vec<FactError> {
        if let Some(too_deep) = too_deep(facts) {
            return vec![too_deep];
        }
        let mut errors: Vec<FactError> = self
            .validator
            .iter_errors(facts)
            .map(|e| FactError {
                path: format!("/facts{}", e.instance_path()),
                message: e.to_string(),
            })
            .collect();
        errors.extend(self.inexact_integers(facts));
        errors
    }

    /// Facts the schema types `integer` that JSON parsing could only hold as a float (written
    /// as `1e3`, or beyond i64/u64): stored, 2^70 would come back as 1.1805916207174113e21.
    fn inexact_integers(&self, facts: &Value) -> Vec<FactError> {
        let Value::Object(map) = facts else {
            return Vec::new();
        };
        map.iter()
            .filter(|(name, value)| {
                value.is_f64()
                    && self
                        .schema
                        .pointer(&format!("/properties/{}/type", pointer_token(name)))
                        .is_some_and(|t| t == "integer")
            })
            .map(|(name, value)| FactError {
                path: format!("/facts/{}", pointer_token(name)),
                message: format!(
                    "{value} is not an integer kept exactly: write an integer between {} and {}",
                    i64::MIN,
                    u64::MAX
                ),
            })
            .collect()
    }
}

/// The first value nested deeper than [`MAX_FACT_DEPTH`], found without recursion.
fn too_deep(facts: &Value) -> Option<FactError> {
    // Containers met so far: value, depth, parent's index and the key leading to it, so the
    // path of the one too deep is rebuilt only when there is one.
    let mut met: Vec<(&Value, usize, usize, String)> = vec![(facts, 0, 0, String::new())];
    let mut next = 0;
    while next < met.len() {
        let (value, depth, _, _) = met[next];
        if depth > MAX_FACT_DEPTH {
            let mut tokens = Vec::new();
            let mut at = next;
            while at != 0 {
                tokens.push(met[at].3.clone());
                at = met[at].2;
            }
            tokens.reverse();
            return Some(FactError {
                path: format!("/facts/{}", tokens.join("/")),
                message: format!(
                    "the value nests more than {MAX_FACT_DEPTH} levels of arrays and objects"
                ),
            });
        }
        let nested = |v: &&Value| v.is_object() || v.is_array();
        match value {
            Value::Object(m) => {
                for (k, v) in m.iter().filter(|(_, v)| nested(v)) {
                    met.push((v, depth + 1, next, pointer_token(k)));
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate().filter(|(_, v)| nested(v)) {
                    met.push((v, depth + 1, next, i.to_string()));
                }
            }
            _ => {}
        }
        next += 1;
    }
    None
}

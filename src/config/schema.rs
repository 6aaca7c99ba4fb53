//! Validating config documents against the JSON Schemas shipped beside them.

use crate::source::{Document, Files, SourceError};

/// The schemas, by the path of the bundled file.
pub const CHECKS: &str = "checks/checks.schema.json";
pub const RADAR: &str = "golden-tech/radar.schema.json";
pub const FLEET_POLICY: &str = "golden-tech/fleet-policy.schema.json";

// The schemas compile with the program: at run time nothing is left to compile (a schema's
// compiling, its own check against the meta-schema included, cost more than reading the
// standards). Patterns build no full DFAs: a config document has a few short strings to match.
#[jsonschema::validator(
    path = "checks/checks.schema.json",
    pattern_options = { engine = fancy_regex, dfa_size_limit = 1 }
)]
struct ChecksSchema;

#[jsonschema::validator(
    path = "golden-tech/radar.schema.json",
    pattern_options = { engine = fancy_regex, dfa_size_limit = 1 }
)]
struct RadarSchema;

#[jsonschema::validator(
    path = "golden-tech/fleet-policy.schema.json",
    pattern_options = { engine = fancy_regex, dfa_size_limit = 1 }
)]
struct FleetPolicySchema;

/// Every way `value` breaks the schema at `path`.
fn errors<'v>(path: &'static str, value: &'v serde_json::Value) -> jsonschema::ErrorIterator<'v> {
    match path {
        CHECKS => ChecksSchema::iter_errors(value),
        RADAR => RadarSchema::iter_errors(value),
        _ => FleetPolicySchema::iter_errors(value),
    }
}

/// [`validate`] for a document read from `files`: the bundled standards are checked against
/// their schemas by the tests, so at run time they cost no schema compilation.
pub fn validate_in(files: &dyn Files, doc: &Document, schema: &'static str) -> Vec<SourceError> {
    if files.bundled() {
        return Vec::new();
    }
    validate(doc, schema)
}

/// Every way `doc` breaks the schema, each at the position of the offending value.
pub fn validate(doc: &Document, schema: &'static str) -> Vec<SourceError> {
    let mut errors: Vec<SourceError> = errors(schema, &doc.value)
        .map(|e| {
            let (pointer, message) = deepest(&e);
            let at = if pointer.is_empty() {
                String::new()
            } else {
                format!("{pointer}: ")
            };
            doc.error_at(&pointer, format!("{at}{message}"))
        })
        .collect();
    errors.sort_by_key(|e| e.pos.map(|p| (p.line, p.column)));
    errors.dedup_by(|a, b| a.pos == b.pos && a.message == b.message);
    errors
}

/// For `oneOf`/`anyOf` failures, the error of the branch that matched furthest (the one the
/// author most likely meant), so the message points at the offending value instead of the
/// whole document. Messages never repeat the instance.
fn deepest(e: &jsonschema::ValidationError) -> (String, String) {
    use jsonschema::error::ValidationErrorKind as K;
    let here = || {
        let shown = match e.instance().as_ref() {
            serde_json::Value::String(v) if v.len() <= 80 => format!("`{v}`: "),
            serde_json::Value::Number(n) => format!("`{n}`: "),
            _ => String::new(),
        };
        (
            e.instance_path().to_string(),
            format!("{shown}{}", e.masked()),
        )
    };
    let context = match e.kind() {
        K::AnyOf { context } | K::OneOfNotValid { context } => context,
        _ => return here(),
    };
    context
        .iter()
        .flatten()
        .map(deepest)
        .max_by_key(|(pointer, _)| pointer.matches('/').count())
        .filter(|(pointer, _)| pointer.len() > e.instance_path().to_string().len())
        .unwrap_or_else(here)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::BundledFiles;
    use std::path::Path;

    /// What lets the loader skip validating the bundled standards at run time.
    #[test]
    fn the_bundled_standards_match_their_schemas() {
        let mut checked = 0;
        for (folder, schema) in [
            ("checks", CHECKS),
            ("golden-tech/radar.yaml", RADAR),
            ("golden-tech/fleet-policy.yaml", FLEET_POLICY),
        ] {
            let paths = if BundledFiles.is_dir(Path::new(folder)) {
                BundledFiles.list(Path::new(folder), false).unwrap()
            } else {
                vec![folder.into()]
            };
            for path in paths {
                let name = path.to_string_lossy();
                if name.ends_with(".schema.json") {
                    continue;
                }
                let text = BundledFiles.read(&path).unwrap();
                for doc in crate::source::parse_documents(&path, &text).unwrap() {
                    let errors = validate(&doc, schema);
                    assert!(errors.is_empty(), "{name}: {errors:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 8, "{checked} documents");
    }

    #[test]
    fn a_file_on_disk_is_validated() {
        let doc =
            crate::source::parse_single(Path::new("radar.yaml"), "entries: [{id: 1}]\n").unwrap();
        assert!(!validate_in(&crate::source::DiskFiles, &doc, RADAR).is_empty());
        assert!(validate_in(&BundledFiles, &doc, RADAR).is_empty());
    }
}

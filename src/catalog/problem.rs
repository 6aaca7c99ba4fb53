//! Problems met while reading a catalog: where they are and how bad.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::source::{Document, Pos};

/// How bad a [`Problem`] is.
///
/// `Error`: something was not loaded — a whole document, a file, or one field of an entity
/// (a reference, a label) that had to be dropped. `Warning`: everything was loaded, but it
/// breaks a Backstage rule or looks like a mistake (a Component without an owner, an
/// upper-case tag, a Location target that is not fetched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// Something wrong with a catalog file or one of its documents.
///
/// Displayed as `file:line:column: document N: message`, leaving out the parts that are
/// unknown, so editors and CI logs can jump to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// The 1-based ordinal of the document in its file, among non-empty documents.
    pub document: Option<usize>,
    pub pos: Option<Pos>,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    /// An error about a whole file (it cannot be read, it is not YAML, …).
    pub fn file_error(file: &Path, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_path_buf(),
            document: None,
            pos: None,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// An error at the node `pointer` (a JSON Pointer) of `doc`.
    pub fn error_at(doc: &Document, pointer: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: doc.file.to_path_buf(),
            document: Some(doc.ordinal),
            pos: Some(doc.pos(pointer)),
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// A warning at the node `pointer` (a JSON Pointer) of `doc`.
    pub fn warning_at(doc: &Document, pointer: &str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error_at(doc, pointer, message)
        }
    }

    /// The same problem with another severity.
    pub fn with_severity(self, severity: Severity) -> Problem {
        Problem { severity, ..self }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(p) = self.pos {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        f.write_str(": ")?;
        if let Some(d) = self.document {
            write!(f, "document {d}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// `a string "x"`, `a number 3`, … for messages.
pub fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        Value::Object(_) | Value::Array(_) => describe(v).to_string(),
        other => format!("{} {other}", describe(other)),
    }
}

/// How messages name the field at a JSON Pointer: `/metadata/name` is `metadata.name`.
pub fn field_label(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// `a mapping`, `a list`, … for messages.
pub fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_leaves_out_unknown_parts() {
        let mut p = Problem::file_error(Path::new("catalog/org.yaml"), "cannot read file");
        assert_eq!(p.to_string(), "catalog/org.yaml: cannot read file");
        p.document = Some(2);
        p.pos = Some(Pos {
            line: 14,
            column: 3,
        });
        assert_eq!(
            p.to_string(),
            "catalog/org.yaml:14:3: document 2: cannot read file"
        );
        p.pos = None;
        assert_eq!(
            p.to_string(),
            "catalog/org.yaml: document 2: cannot read file"
        );
    }
}

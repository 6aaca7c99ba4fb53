//! Governance, the pure part: exemptions (validated, audited, expiring), campaigns (goal,
//! scope, progress, state) and the events a change gives rise to. No I/O: the service stores
//! and schedules, these take values and return values.

pub mod campaigns;
pub mod events;
pub mod exemptions;
pub mod rollout;
mod scope;

use serde::Serialize;
use utoipa::ToSchema;

/// One thing wrong with a request body: where (a JSON pointer), and what.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// A required, non-blank text field.
pub(crate) fn required<'a>(
    value: &'a Option<String>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Some(v),
        _ => {
            errors.push(FieldError::new(path, "is required and must not be blank"));
            None
        }
    }
}

/// A required RFC 3339 time.
pub(crate) fn time(
    value: &Option<String>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = required(value, path, errors)?;
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => Some(t.with_timezone(&chrono::Utc)),
        Err(e) => {
            errors.push(FieldError::new(
                path,
                format!("`{text}` is not an RFC 3339 time: {e}"),
            ));
            None
        }
    }
}

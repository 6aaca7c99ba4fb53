//! `POST /api/v1/preview`: the impact of candidate standards on the whole fleet, before they
//! ship. Costly (the whole fleet is evaluated again), so it needs the `preview` scope (or
//! `admin`); nothing is stored.

use std::collections::BTreeMap;
use std::path::Path;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use super::auth::{self, Authorized};
use super::error::{ApiError, ErrorBody, JsonBody};
use super::{AppState, STACK_BYTES};
use crate::config::overlay::Overlay;
use crate::config::{self, ConfigSource};
use crate::preview::{self, Preview};
use crate::source::parse_single;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Standards files by name → their whole new text (see [`FILES`]).
    #[serde(default)]
    #[schema(schema_with = files_schema)]
    pub files: BTreeMap<String, Option<String>>,
    /// A checks file's text (YAML or JSON, `{checks: [...], tracks: [...]}`) applied after the
    /// files: its checks and tracks replace those of the same id, or are added. Problems in it
    /// are reported as `patch:line:column`.
    #[schema(pattern = r"\S")]
    pub patch: Option<String>,
}

const FILES: &str =
    "Standards files by name relative to the config folder (`checks/fleet-readiness.yaml`,
`checks/tracks.yaml`, `golden-tech/radar.yaml`, `golden-tech/fleet-policy.yaml`) → their
whole new text; a new name adds a file, `null` removes one. Files not named stay as they are.";

/// `files`: names as `Overlay::new` takes them (under `checks/` or `golden-tech/`, `.yaml`,
/// `.yml` or `.json`) to a text, or `null`.
fn files_schema() -> Object {
    ObjectBuilder::new()
        .description(Some(FILES))
        .property_names(Some(
            ObjectBuilder::new().schema_type(Type::String).pattern(Some(
                r"^(?:checks|golden-tech)/(?:[^/.][^/]*/)*[^/.][^/]*\.(?:yaml|yml|json)$",
            )),
        ))
        .additional_properties(Some(
            ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])),
        ))
        .build()
}

/// Evaluates the whole fleet against the current standards with `files` replaced, and answers
/// who changes: levels, golden state and eligibility before and after, counts per department.
#[utoipa::path(post, path = "/api/v1/preview", tag = "standards", security(("bearer" = ["preview"])),
    request_body = PreviewRequest,
    responses((status = 200, body = Preview), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, description = "The candidate standards are invalid: `details.errors` lists each as `file:line:column: message`", body = ErrorBody)))]
pub async fn preview(
    State(s): State<AppState>,
    _: Authorized<auth::Preview>,
    JsonBody(req): JsonBody<PreviewRequest>,
) -> Result<Json<Preview>, ApiError> {
    let app = s.app.clone();
    let answer = on_own_stack(move || {
        let (files, dir) = crate::service::standards_files(&app.sources);
        let overlay = Overlay::new(files, &dir, req.files).map_err(ApiError::BadRequest)?;
        let invalid = |errors: Vec<crate::source::SourceError>| ApiError::Unprocessable {
            code: "invalid-standards",
            message: format!(
                "the candidate standards have {} problems; nothing was previewed",
                errors.len()
            ),
            details: json!({ "errors": errors.iter().map(ToString::to_string).collect::<Vec<_>>() }),
        };
        let patch = req
            .patch
            .as_deref()
            .map(|text| parse_single(Path::new("patch"), text))
            .transpose()
            .map_err(|e| invalid(vec![e]))?;
        let loaded = config::load_patched(
            &ConfigSource {
                files: &overlay,
                dir,
            },
            None,
            patch,
        )
        .map_err(|e| invalid(e.0))?;
        Ok::<Preview, ApiError>(preview::over_fleet(&app.fleet(), loaded.engine, app.now()))
    })
    .await??;
    Ok(Json(answer))
}

/// Runs `work` on a thread of its own with a stack of [`STACK_BYTES`]: the candidate standards
/// are parsed and compiled by code that recurses once per level of their nesting, however the
/// runtime that serves the request was built.
async fn on_own_stack<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("preview".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| ApiError::Internal(format!("cannot start the preview's thread: {e}")))?;
    rx.await
        .map_err(|_| ApiError::Internal("the preview's thread stopped without an answer".into()))
}

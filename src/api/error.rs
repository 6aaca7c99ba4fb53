//! One error type for the HTTP layer, mapped once to a status and the JSON body
//! `{"error": {"code", "message", "details"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::service::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("a bearer token is required")]
    Unauthorized,
    #[error("the token is not valid")]
    BadToken,
    /// A webhook delivery whose signature is missing or wrong.
    #[error("{0}")]
    BadSignature(String),
    #[error("the token lacks the scope `{0}`")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooLarge(String),
    /// The request does not fit the state of what it names (e.g. resuming a running change).
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        details: Value,
    },
    #[error("{0}")]
    Config(String),
    #[error("internal error")]
    Internal(String),
    #[error("the store is not reachable")]
    Unavailable(String),
}

/// The error body every route answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `bad-request`, `unauthorized`, `forbidden`, `not-found`,
    /// `invalid-facts`, `invalid-exemption`, `invalid-campaign`, `invalid-change`, `conflict`,
    /// `invalid-config`, `internal`,
    /// `unavailable`, …
    pub code: String,
    pub message: String,
    /// What else there is to know, per code (`null` when nothing).
    #[schema(value_type = Object, nullable)]
    pub details: Value,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, Value) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", Value::Null),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", Value::Null),
            ApiError::BadToken => (StatusCode::UNAUTHORIZED, "invalid-token", Value::Null),
            ApiError::BadSignature(_) => {
                (StatusCode::UNAUTHORIZED, "invalid-signature", Value::Null)
            }
            ApiError::Forbidden(s) => (StatusCode::FORBIDDEN, "forbidden", json!({ "scope": s })),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", Value::Null),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", Value::Null),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", Value::Null),
            ApiError::Unprocessable { code, details, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, code, details.clone())
            }
            ApiError::Config(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-config",
                Value::Null,
            ),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", Value::Null),
            ApiError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", Value::Null)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, details) = self.parts();
        if let ApiError::Internal(e) | ApiError::Unavailable(e) = &self {
            tracing::error!(error = %e, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: self.to_string(),
                details,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if matches!(self, ApiError::Unauthorized | ApiError::BadToken) {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Config(m) => ApiError::Config(m),
            ServiceError::Store(e) => e.into(),
            ServiceError::NotFound(m) => {
                ApiError::NotFound(format!("{m} is not in the catalog or is not scored"))
            }
            ServiceError::Missing(m) => ApiError::NotFound(m),
            ServiceError::Conflict(m) => ApiError::Conflict(m),
            ServiceError::Rejected {
                code,
                message,
                errors,
            } => ApiError::Unprocessable {
                code,
                message,
                details: json!({ "errors": errors }),
            },
            ServiceError::Invalid(items) if items.iter().all(|i| i.collector.is_empty()) => {
                ApiError::Unprocessable {
                    code: "invalid-entities",
                    message: format!(
                        "{} of the entities are invalid; nothing was stored",
                        items.len()
                    ),
                    details: json!({ "items": items }),
                }
            }
            ServiceError::Invalid(items) => ApiError::Unprocessable {
                code: "invalid-facts",
                message: format!(
                    "{} of the batch's items are invalid; nothing was stored",
                    items.len()
                ),
                details: json!({ "items": items }),
            },
        }
    }
}

/// A JSON body extractor whose rejections are our error body.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(e) => Err(match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::TooLarge(format!("request body too large: {}", e.body_text()))
                }
                _ => ApiError::BadRequest(e.body_text()),
            }),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_unavailable() {
            ApiError::Unavailable(e.to_string())
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

//! The HTTP edge: REST under `/api/v1` (documented with utoipa, the document served at
//! `/api/v1/openapi.json`), GraphQL at `/graphql`, health and metrics, and the routes of
//! Backstage's tech-radar and Tech Insights backends (`compat`). Handlers are thin:
//! parse, ask the fleet or the service, map errors.

pub mod auth;
pub mod campaigns;
mod catalog;
pub mod changes;
pub mod collectors;
mod compat;
pub mod entities;
pub mod error;
pub mod exemptions;
mod facts;
mod fleet;
pub mod graphql;
mod graphql_changes;
mod graphql_governance;
mod graphql_limits;
pub mod groups;
mod ops;
mod preview;
mod standards;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::catalog::EntityRef;
use crate::service::App;
use error::ApiError;

/// The stack of every thread that works on a request: tokio's workers and blocking threads and
/// rayon's (set by `serve`), and the thread of a preview (set here, so that tests serving the
/// router in-process get it too). Tokio and rayon would give 2 MiB. Every recursion over input
/// is bounded (`graphql_limits`, `rules::condition`, `rules::path`, the YAML parser's 64
/// levels, serde_json's 128, fact values' 32); the deepest of them takes less than half of this
/// even in a debug build, and a stack overflow aborts the whole process.
pub const STACK_BYTES: usize = 8 << 20;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub auth: Arc<auth::Auth>,
    pub metrics: PrometheusHandle,
    pub graphql: graphql::TechHealthSchema,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "tech-health", description = "Golden Tech health of a Backstage catalog: levels per track, golden state, fleet eligibility. An optional query filter given empty (`?owner=`) is no filter."),
    modifiers(&Security),
    tags((name = "entities"), (name = "groups"), (name = "facts"), (name = "fleet"), (name = "exemptions"), (name = "campaigns"), (name = "changes"), (name = "catalog"), (name = "collectors"), (name = "standards"), (name = "admin"), (name = "ops"))
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(entities::list))
        .routes(routes!(entities::health))
        .routes(routes!(entities::refresh))
        .routes(routes!(entities::fact_history))
        .routes(routes!(fleet::eligibility))
        .routes(routes!(preview::preview))
        .routes(routes!(groups::health))
        .routes(routes!(groups::trend))
        .routes(routes!(standards::checks))
        .routes(routes!(standards::tracks))
        .routes(routes!(standards::radar))
        .routes(routes!(facts::push))
        .routes(routes!(catalog::upsert))
        .routes(routes!(catalog::delete))
        .routes(routes!(facts::reload))
        .routes(routes!(collectors::list))
        .routes(routes!(collectors::github))
        .routes(routes!(exemptions::create, exemptions::list))
        .routes(routes!(exemptions::revoke))
        .routes(routes!(exemptions::audit))
        .routes(routes!(campaigns::create, campaigns::list))
        .routes(routes!(campaigns::get))
        .routes(routes!(changes::create, changes::list))
        .routes(routes!(changes::get))
        .routes(routes!(changes::components))
        .routes(routes!(changes::burnup))
        .routes(routes!(changes::transitions))
        .routes(routes!(changes::next))
        .routes(routes!(changes::outcomes))
        .routes(routes!(changes::pause))
        .routes(routes!(changes::resume))
        .routes(routes!(changes::cancel))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::replica))
}

/// The OpenAPI document, as served and as checked in at `openapi/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

/// The process-wide Prometheus recorder (installed once, shared by every app in a process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The whole application as a router: tests call it in-process or serve it on a socket.
pub fn router(app: Arc<App>) -> Result<Router, String> {
    let admin = std::env::var("TECH_HEALTH_ADMIN_TOKEN").ok();
    let auth = auth::Auth::new(&app.settings.auth, admin.as_deref())?;
    let limits = app.settings.limits.clone();
    let cors_origins = app.settings.cors_origins.clone();
    let state = AppState {
        graphql: graphql::schema(app.clone(), &limits),
        app,
        auth: Arc::new(auth),
        metrics: metrics_handle(),
    };
    let (api, doc) = routes().split_for_parts();
    let doc = Arc::new(doc);
    let mut router = api
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let d = doc.clone();
                async move { axum::Json((*d).clone()) }
            }),
        )
        .route(
            "/graphql",
            axum::routing::get(graphql::graphiql).post(graphql::handler),
        )
        .merge(compat::routes())
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .with_state(state)
        .layer(axum::middleware::from_fn(ops::track))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        // A body announced (Content-Length) past the limit is refused before any of it is
        // read; without this, the service waited for the body until the request timeout.
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.request_timeout_secs),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(ops::json_errors));
    if !cors_origins.is_empty() {
        let origins: Vec<HeaderValue> =
            cors_origins.iter().filter_map(|o| o.parse().ok()).collect();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::CONTENT_TYPE,
                ]),
        );
    }
    Ok(router)
}

/// Cursors are opaque to clients: the hex of the last entity ref of a page.
pub fn cursor_of(r: &EntityRef) -> String {
    hex::encode(r.to_string())
}

/// Page sizes a REST route accepts as `limit` (GraphQL clamps `first` to them instead).
pub const PAGE_SIZES: std::ops::RangeInclusive<usize> = 1..=500;

/// The page size of a REST `limit`: `default` when not given, a 400 outside [`PAGE_SIZES`]
/// (the document gives the same bounds).
pub fn page_size(limit: Option<usize>, default: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if PAGE_SIZES.contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "limit must be {}..{}, not {n}",
            PAGE_SIZES.start(),
            PAGE_SIZES.end()
        ))),
    }
}

/// The schema of a batch body: a JSON array of at least one `items` (its handler refuses an
/// empty one).
pub fn batch_schema(
    items: impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(items.into())
        .min_items(Some(1))
        .into()
}

/// An optional query filter as serde reads it: an empty value (`?owner=`, which an HTML form
/// sends for an empty field) is no filter, on every route.
pub fn empty_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Ok(Option::<String>::deserialize(d)?.filter(|v| !v.is_empty()))
}

pub fn parse_cursor(c: &str) -> Result<EntityRef, ApiError> {
    hex::decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            ApiError::BadRequest(format!("cursor `{c}` is not one this service gave out"))
        })
}

//! Routes in the shapes of Backstage plugins' own backends, so their stock frontends can be
//! pointed at tech-health: the tech-radar's `/api/tech-radar/data` and the Tech Insights
//! backend under `/api/tech-insights`. They follow those plugins' contracts, not ours, so they
//! stay out of our OpenAPI document (`docs/api.md` describes them).

mod shapes;
mod tech_insights;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        // The same `TechRadarLoaderResponse` as `GET /api/v1/radar`.
        .route("/api/tech-radar/data", get(super::standards::radar))
        .route("/api/tech-insights/checks", get(tech_insights::checks))
        .route(
            "/api/tech-insights/checks/run",
            post(tech_insights::run_bulk),
        )
        .route(
            "/api/tech-insights/checks/run/{namespace}/{kind}/{name}",
            post(tech_insights::run),
        )
        .route(
            "/api/tech-insights/fact-schemas",
            get(tech_insights::fact_schemas),
        )
        .route(
            "/api/tech-insights/facts/latest",
            get(tech_insights::latest),
        )
        .route("/api/tech-insights/facts/range", get(tech_insights::range))
}

//! GraphQL at `/graphql` (GraphiQL on GET): entity → tracks → checks → facts; group →
//! children → rollup → trend; fleet eligibility; cursor connections. Every query reads one
//! snapshot of the fleet; trends of many groups load in one store query.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_graphql::connection::{Connection, Edge};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, EmptySubscription, Object, Schema, SimpleObject};
use async_graphql_axum::GraphQLResponse;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse};

use super::entities::{EntityQuery, Filter};
use super::error::ApiError;
use super::fleet::{EligibilityQuery, EligibilityRow, EligibilitySummary};
use super::graphql_changes::{RootMutation, mutation_scope};
use super::graphql_governance::RootQuery;
use super::graphql_limits::{check_document, check_nesting};
use super::groups::{TrendPoint, trend_point};
use super::{AppState, cursor_of, parse_cursor};
use crate::catalog::EntityRef;
use crate::health::Fleet;
use crate::health::rollup::{CheckTally, GroupSummary};
use crate::health::view::{CheckResult, EligibilityView, EntityHealth, TrackHealth};
use crate::service::App;
use crate::settings::Limits;

pub type TechHealthSchema = Schema<RootQuery, RootMutation, EmptySubscription>;

pub fn schema(app: Arc<App>, limits: &Limits) -> TechHealthSchema {
    Schema::build(RootQuery::default(), RootMutation, EmptySubscription)
        .data(DataLoader::new(
            TrendLoader { app: app.clone() },
            tokio::spawn,
        ))
        .data(app)
        .limit_depth(limits.graphql_max_depth)
        .limit_complexity(limits.graphql_max_complexity)
        .finish()
}

/// The schema in SDL, as checked in at `openapi/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(RootQuery::default(), RootMutation, EmptySubscription)
        .finish()
        .sdl()
}

pub async fn graphiql() -> impl IntoResponse {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .finish(),
    )
}

/// Runs a query: the token is checked before the body is read; the body must be a GraphQL JSON
/// request whose document keeps the bounds of `graphql_limits`. Resolvers yield, so the
/// request timeout (a layer around every route) drops a query that runs past it.
pub async fn handler(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<GraphQLResponse, ApiError> {
    s.auth.allow_read(&headers).await?;
    let limits = &s.app.settings.limits;
    let bytes = axum::body::to_bytes(body, limits.max_body_bytes)
        .await
        .map_err(|e| {
            ApiError::TooLarge(format!(
                "the GraphQL request could not be read within {} bytes: {e}",
                limits.max_body_bytes
            ))
        })?;
    let mut req: async_graphql::Request = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not a GraphQL request ({{\"query\": …, \"variables\": …}}): {e}"
        ))
    })?;
    check_nesting(&req.query).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // A syntax error is left to the executor, which answers it as GraphQL errors.
    let mut scope = None;
    if let Ok(doc) = req.parsed_query() {
        check_document(doc, limits.graphql_max_aliases)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        scope = mutation_scope(doc);
    }
    // Mutations: the token and its scope, answered 401/403 as on the REST routes.
    if let Some(scope) = scope {
        let who = s.auth.require(&headers, scope).await?;
        req = req.data(who);
    }
    // One snapshot per query: every field answers from the same evaluated fleet.
    let req = req.data(s.app.fleet());
    Ok(s.graphql.execute(req).await.into())
}

fn fleet<'a>(ctx: &'a Context<'_>) -> &'a Arc<Fleet> {
    ctx.data_unchecked::<Arc<Fleet>>()
}

#[derive(Default)]
pub struct Query;

#[Object(name = "FleetQuery")]
impl Query {
    /// One scored entity, by ref (`component:default/checkout-api`; kind defaults to component).
    async fn entity(
        &self,
        ctx: &Context<'_>,
        r#ref: String,
    ) -> async_graphql::Result<Option<Entity>> {
        let r = EntityRef::parse(&r#ref, Some("component"), "default")?;
        Ok(fleet(ctx)
            .scored
            .contains_key(&r)
            .then(|| Entity::new(fleet(ctx).clone(), r)))
    }

    /// Scored entities, filtered, in ref order (at most 500 a page).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.clamp(1, 500).saturating_mul(child_complexity)")]
    async fn entities(
        &self,
        ctx: &Context<'_>,
        owner: Option<String>,
        kind: Option<String>,
        r#type: Option<String>,
        lifecycle: Option<String>,
        track: Option<String>,
        level: Option<String>,
        golden: Option<bool>,
        eligible: Option<bool>,
        #[graphql(default = 50)] first: usize,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Entity>> {
        let q = EntityQuery {
            owner,
            kind,
            entity_type: r#type,
            lifecycle,
            track,
            level,
            golden,
            eligible,
            limit: Some(first),
            cursor: after,
        };
        connection(fleet(ctx), &q)
    }

    /// Entities that may or may not receive automated fleet changes: rollout wave, or why not.
    /// With `technology` (+ `version`, an npm-style range) and `wave`: wave k of that change.
    /// The connection's `summary` counts every row selected, per reason and per wave.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.clamp(1, 500).saturating_mul(child_complexity)")]
    async fn fleet_eligibility(
        &self,
        ctx: &Context<'_>,
        owner: Option<String>,
        track: Option<String>,
        level: Option<String>,
        lifecycle: Option<String>,
        eligible: Option<bool>,
        technology: Option<String>,
        version: Option<String>,
        wave: Option<u32>,
        #[graphql(default = 50)] first: usize,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, EligibilityRow, EligibilityFields>> {
        let q = EligibilityQuery {
            owner,
            track,
            level,
            lifecycle,
            eligible,
            technology,
            version,
            wave,
            limit: Some(first),
            cursor: after.clone(),
        };
        let page = super::fleet::page(fleet(ctx), &q)
            .map_err(|e| async_graphql::Error::new(e.to_string()))?;
        let mut c = Connection::with_additional_fields(
            after.is_some(),
            page.next_cursor.is_some(),
            EligibilityFields {
                summary: page.summary,
            },
        );
        c.edges.extend(page.items.into_iter().filter_map(|row| {
            let r: EntityRef = row.entity.parse().ok()?;
            Some(Edge::new(cursor_of(&r), row))
        }));
        Ok(c)
    }

    /// A group (`group:default/payments`, `default/payments` or `payments`).
    async fn group(
        &self,
        ctx: &Context<'_>,
        r#ref: String,
    ) -> async_graphql::Result<Option<Group>> {
        let r = EntityRef::parse(&r#ref, Some("group"), "default")?;
        Ok(fleet(ctx).tallies.contains_key(&r).then(|| Group {
            fleet: fleet(ctx).clone(),
            r,
        }))
    }
}

/// What a fleet eligibility connection says besides its page.
#[derive(SimpleObject)]
pub struct EligibilityFields {
    /// Counts over every row the query selects, not only this page.
    summary: EligibilitySummary,
}

fn connection(
    fleet: &Arc<Fleet>,
    q: &EntityQuery,
) -> async_graphql::Result<Connection<String, Entity>> {
    let filter = Filter::new(fleet, q).map_err(|e| async_graphql::Error::new(e.to_string()))?;
    let first = q.limit.unwrap_or(50).clamp(1, 500);
    let after = q
        .cursor
        .as_deref()
        .map(parse_cursor)
        .transpose()
        .map_err(|e| async_graphql::Error::new(e.to_string()))?;
    let lower = after
        .as_ref()
        .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
    let mut matching = fleet
        .scored
        .range((lower, std::ops::Bound::Unbounded))
        .map(|(r, _)| r)
        .filter(|r| filter.matches(fleet, r));
    let page: Vec<EntityRef> = matching.by_ref().take(first).cloned().collect();
    let more = matching.next().is_some();
    let mut c = Connection::new(after.is_some(), more);
    c.edges.extend(
        page.into_iter()
            .map(|r| Edge::new(cursor_of(&r), Entity::new(fleet.clone(), r))),
    );
    Ok(c)
}

pub struct Entity {
    fleet: Arc<Fleet>,
    r: EntityRef,
    health: OnceLock<Option<EntityHealth>>,
}

impl Entity {
    fn new(fleet: Arc<Fleet>, r: EntityRef) -> Entity {
        Entity {
            fleet,
            r,
            health: OnceLock::new(),
        }
    }

    /// Builds the entity's health once per query. Each call is a yield point, so a long query
    /// lets other requests run and can be stopped at the request timeout.
    async fn health(&self) -> async_graphql::Result<&EntityHealth> {
        tokio::task::consume_budget().await;
        self.health
            .get_or_init(|| self.fleet.health(&self.r))
            .as_ref()
            .ok_or_else(|| "entity is not scored".into())
    }
}

#[Object]
impl Entity {
    async fn r#ref(&self) -> String {
        tokio::task::consume_budget().await;
        self.r.to_string()
    }
    async fn kind(&self) -> &str {
        self.r.kind()
    }
    async fn namespace(&self) -> &str {
        self.r.namespace()
    }
    async fn name(&self) -> &str {
        self.r.name()
    }
    async fn title(&self) -> async_graphql::Result<Option<String>> {
        Ok(self.health().await?.title.clone())
    }
    async fn owner(&self) -> async_graphql::Result<Option<String>> {
        Ok(self.health().await?.owner.clone())
    }
    /// The owning group, when it is a group of the catalog.
    async fn owner_group(&self) -> Option<Group> {
        let g = self.fleet.catalog.get(&self.r)?.owner()?.clone();
        self.fleet.tallies.contains_key(&g).then(|| Group {
            fleet: self.fleet.clone(),
            r: g,
        })
    }
    async fn r#type(&self) -> async_graphql::Result<Option<String>> {
        Ok(self.health().await?.entity_type.clone())
    }
    async fn lifecycle(&self) -> async_graphql::Result<Option<String>> {
        Ok(self.health().await?.lifecycle.clone())
    }
    async fn golden(&self) -> async_graphql::Result<bool> {
        Ok(self.health().await?.golden)
    }
    async fn evaluated_at(&self) -> async_graphql::Result<chrono::DateTime<chrono::Utc>> {
        Ok(self.health().await?.evaluated_at)
    }
    async fn tracks(&self) -> async_graphql::Result<Vec<TrackHealth>> {
        Ok(self.health().await?.tracks.clone())
    }
    /// Checks, optionally only those with one status (`fail`, `unknown`, …).
    async fn checks(&self, status: Option<String>) -> async_graphql::Result<Vec<CheckResult>> {
        Ok(self
            .health()
            .await?
            .checks
            .iter()
            .filter(|c| status.as_ref().is_none_or(|s| *s == c.status))
            .cloned()
            .collect())
    }
    async fn eligibility(&self) -> async_graphql::Result<EligibilityView> {
        Ok(self.health().await?.eligibility.clone())
    }
    /// Collectors whose facts could not be refreshed: the facts still count, marked stale.
    async fn stale(&self) -> Vec<crate::health::StaleFacts> {
        self.fleet.stale_facts(&self.r)
    }
}

pub struct Group {
    fleet: Arc<Fleet>,
    r: EntityRef,
}

#[derive(SimpleObject)]
struct Rollup {
    summary: GroupSummary,
    checks: Vec<CheckTally>,
}

#[Object]
impl Group {
    async fn r#ref(&self) -> String {
        self.r.to_string()
    }
    async fn title(&self) -> Option<String> {
        self.fleet.catalog.get(&self.r)?.metadata.title.clone()
    }
    async fn department(&self) -> bool {
        self.fleet.catalog.is_department(&self.r)
    }
    async fn parent(&self) -> Option<Group> {
        let p = self.fleet.catalog.parent(&self.r)?.clone();
        Some(Group {
            fleet: self.fleet.clone(),
            r: p,
        })
    }
    async fn children(&self) -> Vec<Group> {
        let mut refs: Vec<EntityRef> = self
            .fleet
            .catalog
            .children(&self.r)
            .into_iter()
            .cloned()
            .collect();
        refs.sort();
        refs.into_iter()
            .map(|r| Group {
                fleet: self.fleet.clone(),
                r,
            })
            .collect()
    }
    /// Figures over every component the group owns, recursively.
    async fn aggregates(&self) -> Option<Rollup> {
        let t = self.fleet.tallies.get(&self.r)?;
        let r = self.fleet.rollup(&self.r, t);
        Some(Rollup {
            summary: r.summary,
            checks: r.checks,
        })
    }
    /// Components it owns, recursively (at most 500 a page).
    #[graphql(complexity = "first.clamp(1, 500).saturating_mul(child_complexity)")]
    async fn components(
        &self,
        #[graphql(default = 50)] first: usize,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Entity>> {
        let q = EntityQuery {
            owner: Some(self.r.to_string()),
            limit: Some(first),
            cursor: after,
            ..Default::default()
        };
        connection(&self.fleet, &q)
    }
    /// Daily figures, oldest first.
    async fn trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30)] days: u32,
    ) -> async_graphql::Result<Vec<TrendPoint>> {
        let days = days.clamp(1, 366);
        let loader = ctx.data_unchecked::<DataLoader<TrendLoader>>();
        Ok(loader
            .load_one((self.r.to_string(), days))
            .await?
            .unwrap_or_default())
    }
}

/// Loads the trends of every group a query asks for with one store query per distinct span.
pub struct TrendLoader {
    app: Arc<App>,
}

impl Loader<(String, u32)> for TrendLoader {
    type Value = Vec<TrendPoint>;
    type Error = Arc<String>;

    async fn load(
        &self,
        keys: &[(String, u32)],
    ) -> Result<HashMap<(String, u32), Vec<TrendPoint>>, Self::Error> {
        let today = self.app.now().date_naive();
        let mut out = HashMap::new();
        let mut spans: Vec<u32> = keys.iter().map(|k| k.1).collect();
        spans.sort_unstable();
        spans.dedup();
        for days in spans {
            let groups: Vec<String> = keys
                .iter()
                .filter(|k| k.1 == days)
                .map(|k| k.0.clone())
                .collect();
            let since = today - chrono::Duration::days(i64::from(days) - 1);
            let rows = self
                .app
                .store
                .snapshots_of(&groups, since)
                .await
                .map_err(|e| Arc::new(e.to_string()))?;
            for g in &groups {
                out.insert((g.clone(), days), Vec::new());
            }
            for (g, day, v) in rows {
                if let (Some(list), Some(p)) = (out.get_mut(&(g, days)), trend_point(day, v)) {
                    list.push(p);
                }
            }
        }
        Ok(out)
    }
}

//! Campaigns: create (scope `campaigns:write` or `admin`), list, and one campaign with its
//! progress now, per department and team, its daily burn-up and what is still to do.

use async_graphql::SimpleObject;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::{Authorized, CampaignsWrite};
use super::error::{ApiError, ErrorBody, JsonBody};
use crate::governance::campaigns::{
    BurnupPoint, Campaign, CampaignRequest, CampaignState, Counts, GroupProgress, Remaining,
};
use crate::service::{App, CampaignEntry};

/// A campaign with its state and progress now.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct CampaignSummary {
    #[serde(flatten)]
    #[graphql(flatten)]
    pub campaign: Campaign,
    pub state: CampaignState,
    pub progress: Counts,
}

/// Everything about one campaign.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct CampaignDetail {
    #[serde(flatten)]
    #[graphql(flatten)]
    pub summary: CampaignSummary,
    /// Per group owning components in scope: teams and the departments above them.
    pub groups: Vec<GroupProgress>,
    /// One point per day with a measurement (the day's last), oldest first.
    pub burnup: Vec<BurnupPoint>,
    /// Components not done yet, with their owners.
    pub remaining: Vec<Remaining>,
}

fn summary(
    app: &App,
    entry: &CampaignEntry,
) -> (CampaignSummary, Vec<GroupProgress>, Vec<Remaining>) {
    let measured = entry.campaign.measure(&app.fleet());
    let state = entry.campaign.state(&measured.counts, app.now());
    (
        CampaignSummary {
            campaign: entry.campaign.clone(),
            state,
            progress: measured.counts,
        },
        measured.groups,
        measured.remaining,
    )
}

/// Every campaign, oldest first, measured now.
pub fn list_campaigns(app: &App) -> Vec<CampaignSummary> {
    app.governance()
        .campaigns
        .iter()
        .map(|c| summary(app, c).0)
        .collect()
}

/// One campaign, measured now, with its burn-up from the store.
pub async fn campaign_detail(app: &App, id: &str) -> Result<Option<CampaignDetail>, ApiError> {
    let gov = app.governance();
    let Some(entry) = gov.campaigns.iter().find(|c| c.campaign.id == id) else {
        return Ok(None);
    };
    let (summary, groups, remaining) = summary(app, entry);
    let burnup = app
        .store
        .campaign_series(id)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .filter_map(|(date, v)| {
            Some(BurnupPoint {
                date,
                counts: serde_json::from_value(v).ok()?,
            })
        })
        .collect();
    Ok(Some(CampaignDetail {
        summary,
        groups,
        burnup,
        remaining,
    }))
}

/// Starts a campaign: a goal (`checks` to pass, or a `technology` version goal such as
/// `java >= 17.0.5`) over a scope of the fleet, between `start` and `deadline`.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignRequest,
    security(("bearer" = ["campaigns:write"])),
    responses((status = 201, body = CampaignDetail),
        (status = 400, description = "The body is not JSON of the documented shape", body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`invalid-campaign`: `details.errors[] = {path, message}`; nothing stored", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Authorized(who, _): Authorized<CampaignsWrite>,
    JsonBody(req): JsonBody<CampaignRequest>,
) -> Result<(StatusCode, Json<CampaignDetail>), ApiError> {
    let campaign = s.app.create_campaign(&req, &who.name).await?;
    tracing::info!(by = %who.name, campaign = %campaign.id, "campaign created");
    let detail = campaign_detail(&s.app, &campaign.id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("campaign {} vanished", campaign.id)))?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// Every campaign with its state and progress now.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, body = [CampaignSummary])))]
pub async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<CampaignSummary>>, ApiError> {
    s.auth.allow_read(&headers).await?;
    Ok(Json(list_campaigns(&s.app)))
}

/// One campaign: progress now, per department and team, daily burn-up, what is still to do.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = CampaignDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<CampaignDetail>, ApiError> {
    s.auth.allow_read(&headers).await?;
    campaign_detail(&s.app, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no campaign `{id}`")))
}

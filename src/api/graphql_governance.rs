//! GraphQL for governance: exemptions with their audit log, campaigns with progress, groups,
//! burn-up and what is still to do. Merged into the root query.

use std::sync::Arc;

use async_graphql::{Context, MergedObject, Object};

use super::campaigns::{CampaignDetail, CampaignSummary, campaign_detail, list_campaigns};
use super::exemptions::{ExemptionQuery, audit_log, list_exemptions};
use crate::governance::exemptions::{AuditEntry, ExemptionRecord};
use crate::service::App;

/// The root query: the fleet, governance (exemptions, campaigns) and fleet changes.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct RootQuery(
    super::graphql::Query,
    GovernanceQuery,
    super::graphql_changes::ChangesQueryRoot,
);

#[derive(Default)]
pub struct GovernanceQuery;

fn app<'a>(ctx: &'a Context<'_>) -> &'a Arc<App> {
    ctx.data_unchecked::<Arc<App>>()
}

fn gql(e: super::error::ApiError) -> async_graphql::Error {
    async_graphql::Error::new(e.to_string())
}

#[Object]
impl GovernanceQuery {
    /// Exemptions, oldest first; of one entity, and only those applying now (`active: true`)
    /// or only revoked and expired ones (`active: false`).
    async fn exemptions(
        &self,
        ctx: &Context<'_>,
        entity: Option<String>,
        active: Option<bool>,
    ) -> async_graphql::Result<Vec<ExemptionRecord>> {
        list_exemptions(app(ctx), &ExemptionQuery { entity, active }).map_err(gql)
    }

    /// The append-only exemption audit log, oldest first.
    async fn exemption_audit(
        &self,
        ctx: &Context<'_>,
        entity: Option<String>,
    ) -> async_graphql::Result<Vec<AuditEntry>> {
        audit_log(app(ctx), &entity).await.map_err(gql)
    }

    /// Every campaign with its state and progress now.
    async fn campaigns(&self, ctx: &Context<'_>) -> Vec<CampaignSummary> {
        list_campaigns(app(ctx))
    }

    /// One campaign: progress, per group, burn-up, what is still to do.
    async fn campaign(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<CampaignDetail>> {
        campaign_detail(app(ctx), &id).await.map_err(gql)
    }
}

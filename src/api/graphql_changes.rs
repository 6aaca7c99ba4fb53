//! GraphQL for fleet changes: the changes (optionally of one team), one change as its page
//! shows it, what the orchestrator may open now, transitions and burn-up; and the mutations
//! that create, feed and steer them. A request holding a mutation needs the scope
//! `changes:write`, checked on the HTTP request before it runs (401/403 like REST).

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object};
use chrono::{DateTime, Utc};

use super::auth::{CHANGES_WRITE, Principal};
use super::changes::{ChangeMoved, ChangeSummary, ChangesQuery, NextPage, list_changes, next_page};
use crate::governance::rollout::{
    self, BurnupPoint, ChangeRequest, ChangeView, MemberView, Outcome, Transition,
};
use crate::service::{App, OutcomeInput, ServiceError, Steer};

/// The scope a document's mutations need (`None` when it has none).
pub fn mutation_scope(
    doc: &async_graphql::parser::types::ExecutableDocument,
) -> Option<&'static str> {
    use async_graphql::parser::types::OperationType;
    doc.operations
        .iter()
        .any(|(_, op)| op.node.ty == OperationType::Mutation)
        .then_some(CHANGES_WRITE)
}

fn app<'a>(ctx: &'a Context<'_>) -> &'a Arc<App> {
    ctx.data_unchecked::<Arc<App>>()
}

fn gql(e: impl Into<super::error::ApiError>) -> async_graphql::Error {
    let e: super::error::ApiError = e.into();
    async_graphql::Error::new(e.to_string())
}

fn service(e: ServiceError) -> async_graphql::Error {
    let detail = match &e {
        ServiceError::Rejected { errors, .. } => errors
            .iter()
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    };
    let e: super::error::ApiError = e.into();
    if detail.is_empty() {
        async_graphql::Error::new(e.to_string())
    } else {
        async_graphql::Error::new(format!("{e}: {detail}"))
    }
}

#[derive(Default)]
pub struct ChangesQueryRoot;

#[Object]
impl ChangesQueryRoot {
    /// Fleet changes, oldest first; with `team`, those touching its components.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        team: Option<String>,
        open: Option<bool>,
    ) -> async_graphql::Result<Vec<ChangeSummary>> {
        list_changes(app(ctx), &ChangesQuery { team, open }).map_err(gql)
    }

    /// One fleet change as its page shows it.
    async fn change(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<ChangeView>> {
        let a = app(ctx);
        Ok(a.fleet_change(&id)
            .ok()
            .map(|run| run.view(&a.fleet(), a.now())))
    }

    /// The components of a change (of one wave).
    async fn change_components(
        &self,
        ctx: &Context<'_>,
        id: String,
        wave: Option<u32>,
    ) -> async_graphql::Result<Vec<MemberView>> {
        let a = app(ctx);
        let run = a.fleet_change(&id).map_err(gql)?;
        Ok(run.member_views(&a.fleet(), wave))
    }

    /// What the orchestrator may open changes for now.
    async fn change_next(&self, ctx: &Context<'_>, id: String) -> async_graphql::Result<NextPage> {
        let (run, items) = app(ctx).change_next(&id).map_err(gql)?;
        Ok(next_page(&run, items))
    }

    /// Every transition of a change, oldest first.
    async fn change_transitions(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Vec<Transition>> {
        app(ctx).change_transitions(&id).await.map_err(gql)
    }

    /// Merged, failed and open changes after each reported outcome.
    async fn change_burnup(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Vec<BurnupPoint>> {
        Ok(rollout::burnup(
            &app(ctx).change_history(&id).await.map_err(gql)?,
        ))
    }
}

/// One outcome as reported.
#[derive(InputObject)]
#[graphql(name = "OutcomeInput")]
pub struct OutcomeGql {
    pub entity: String,
    pub outcome: Outcome,
    pub pr_url: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// The root mutation: fleet changes.
#[derive(Default)]
pub struct RootMutation;

fn who<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Principal> {
    ctx.data::<Principal>().map_err(|_| {
        async_graphql::Error::new(format!("mutations need the scope `{CHANGES_WRITE}`"))
    })
}

#[Object(name = "Mutation")]
impl RootMutation {
    /// Creates a fleet change; `input` is the body of `POST /api/v1/changes`. Requires the
    /// `changes:write` scope.
    async fn create_change(
        &self,
        ctx: &Context<'_>,
        input: async_graphql::Json<serde_json::Value>,
    ) -> async_graphql::Result<ChangeView> {
        let who = who(ctx)?;
        let req: ChangeRequest = serde_json::from_value(input.0).map_err(|e| {
            async_graphql::Error::new(format!("`input` is not a fleet change request: {e}"))
        })?;
        app(ctx)
            .create_change(&req, &who.name)
            .await
            .map_err(service)
    }

    /// Reports outcomes of a change (all taken, or none). Requires the `changes:write` scope.
    async fn report_outcomes(
        &self,
        ctx: &Context<'_>,
        id: String,
        outcomes: Vec<OutcomeGql>,
    ) -> async_graphql::Result<ChangeMoved> {
        let who = who(ctx)?;
        if outcomes.is_empty() || outcomes.len() > 10_000 {
            return Err(async_graphql::Error::new("give 1 to 10,000 outcomes"));
        }
        let items: Vec<OutcomeInput> = outcomes
            .into_iter()
            .map(|o| OutcomeInput {
                entity: o.entity,
                outcome: o.outcome,
                pr_url: o.pr_url,
                at: o.at,
            })
            .collect();
        let r = app(ctx)
            .report_outcomes(&id, &items, "api", &who.name)
            .await
            .map_err(service)?;
        Ok(ChangeMoved {
            accepted: r.accepted,
            state: r.state,
            transitions: r.transitions,
        })
    }

    /// Pauses a change by hand. Requires the `changes:write` scope.
    async fn pause_change(
        &self,
        ctx: &Context<'_>,
        id: String,
        reason: String,
    ) -> async_graphql::Result<ChangeMoved> {
        steer(ctx, &id, Steer::Pause, &reason).await
    }

    /// Resumes a paused change (its standing failures acknowledged). Requires the
    /// `changes:write` scope.
    async fn resume_change(
        &self,
        ctx: &Context<'_>,
        id: String,
        reason: String,
    ) -> async_graphql::Result<ChangeMoved> {
        steer(ctx, &id, Steer::Resume, &reason).await
    }

    /// Cancels a change for good. Requires the `changes:write` scope.
    async fn cancel_change(
        &self,
        ctx: &Context<'_>,
        id: String,
        reason: String,
    ) -> async_graphql::Result<ChangeMoved> {
        steer(ctx, &id, Steer::Cancel, &reason).await
    }
}

async fn steer(
    ctx: &Context<'_>,
    id: &str,
    action: Steer,
    reason: &str,
) -> async_graphql::Result<ChangeMoved> {
    let who = who(ctx)?;
    let a = app(ctx);
    let transitions = a
        .steer_change(id, action, reason, &who.name)
        .await
        .map_err(service)?;
    let state = a.fleet_change(id).map_err(gql)?.state().to_string();
    Ok(ChangeMoved {
        accepted: 0,
        state,
        transitions,
    })
}

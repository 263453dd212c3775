//! The activity feed: `/api/v1/activity`, every change of state in the workspace.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::ids::{ParticipantId, ProgramId};
use vouch_domain::lifecycle::EventType;
use vouch_store::{ActivityQuery, OutboxEvent};

use super::common::{field_id, rfc3339, List, PageParams};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_activity))
}

/// One change of state: what happened, to which entity, and the entity right after.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityOut {
    /// Stable across deliveries (`act_…`); webhooks carry the same id.
    pub id: String,
    /// The workspace's running number of its events: later changes have larger ones.
    pub sequence: i64,
    #[schema(value_type = String, example = "reward.approved")]
    pub r#type: EventType,
    /// The id of the entity it is about (`ref_…`, `rwd_…`, `prt_…`, `po_…`).
    pub subject_id: String,
    pub program_id: Option<String>,
    pub participant_id: Option<String>,
    /// The entity as the API shows it, right after the change.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub occurred_at: String,
}

impl From<OutboxEvent> for ActivityOut {
    fn from(o: OutboxEvent) -> Self {
        let e = o.event;
        Self {
            id: e.id.to_string(),
            sequence: o.seq,
            r#type: e.kind,
            subject_id: e.subject_id,
            program_id: e.program_id.map(|p| p.to_string()),
            participant_id: e.participant_id.map(|p| p.to_string()),
            data: e.data,
            occurred_at: rfc3339(e.occurred_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityFilter {
    /// Only these types, comma-separated (`reward.approved,reward.reversed`).
    pub r#type: Option<String>,
    pub program_id: Option<String>,
    pub participant_id: Option<String>,
    /// Only changes of this entity (`ref_…`, `rwd_…`, …).
    pub subject_id: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// List the activity feed.
///
/// Every change of state of referrals, rewards, participants and payouts, newest
/// first. The feed is filled from the outbox by the background worker, so a change
/// shows up within a moment of its commit, once.
#[utoipa::path(get, path = "/activity", tag = "activity",
    params(ActivityFilter),
    responses((status = 200, description = "A page of activity", body = List<ActivityOut>)),
    security(("secret_key" = [])))]
async fn list_activity(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(filter): ApiQuery<ActivityFilter>,
) -> Result<Json<List<ActivityOut>>> {
    let page = PageParams {
        limit: filter.limit,
        cursor: filter.cursor.clone(),
    }
    .query()?;
    let cursor = page
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| ApiError::invalid("cursor", "is not a cursor from this API"))
        })
        .transpose()?;
    let types = filter
        .r#type
        .as_deref()
        .map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    EventType::parse(t)
                        .ok_or_else(|| ApiError::invalid("type", format!("unknown type {t}")))
                })
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    let subject_id = filter
        .subject_id
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                Ok(s)
            } else {
                Err(ApiError::invalid("subject_id", "is not a valid id"))
            }
        })
        .transpose()?;
    let q = ActivityQuery {
        workspace_id: auth.workspace_id.clone(),
        types,
        program_id: field_id("program_id", filter.program_id.as_deref(), ProgramId::parse)?,
        participant_id: field_id(
            "participant_id",
            filter.participant_id.as_deref(),
            ParticipantId::parse,
        )?,
        subject_id,
        cursor,
        limit: page.limit,
    };
    let page = state.store.list_activity(&q).await?;
    Ok(Json(List::from_page(page, ActivityOut::from)))
}

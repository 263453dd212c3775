//! Rewards: `/api/v1/rewards`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::ids::RewardId;
use vouch_domain::reward::RewardStatus;

use super::common::{path_id, List};
use super::referrals::ListFilter;
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{optional_json, ApiQuery};
use crate::state::AppState;
use vouch_app::fulfilment::fulfil;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rewards))
        .routes(routes!(get_reward))
        .routes(routes!(fulfill_reward))
}

/// The merchant's report that a reward was delivered.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FulfilmentIn {
    /// Your reference for the delivery (gift card number, shipment id), up to 255 characters.
    pub reference: Option<String>,
}

/// Report a reward fulfilled.
///
/// For approved `gift_card`, `custom` and `coupon` rewards: moves them to `fulfilled`
/// with your reference. Reporting it again returns the fulfilled reward unchanged.
/// A pending reward is a 409 (`reward_not_approved`); credit, points and cash are a
/// 409 (`reward_not_fulfillable`): they are redeemed or paid out instead.
#[utoipa::path(post, path = "/rewards/{id}/fulfill", tag = "rewards",
    params(("id" = String, Path, description = "Reward id")),
    request_body(content = FulfilmentIn, description = "Optional reference"),
    responses((status = 200, description = "The fulfilled reward", body = RewardOut),
        (status = 404, description = "No such reward in this workspace", body = Problem),
        (status = 409, description = "Not approved, or not a kind that is fulfilled by hand", body = Problem)),
    security(("secret_key" = [])))]
async fn fulfill_reward(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<RewardOut>> {
    let id = path_id(&id, RewardId::parse, "reward")?;
    // The body is optional: an empty one means no reference.
    let input: FulfilmentIn = optional_json(&body)?;
    let reference = input
        .reference
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reference.as_ref().is_some_and(|r| r.chars().count() > 255) {
        return Err(ApiError::invalid(
            "reference",
            "must be at most 255 characters",
        ));
    }
    let reward = fulfil(
        state.store.as_ref(),
        &auth.workspace_id,
        &id,
        reference,
        state.clock.now(),
    )
    .await?;
    Ok(Json(reward.into()))
}

pub use vouch_domain::views::RewardOut;

/// The columns of a CSV export.
pub const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "program_id",
    "participant_id",
    "referral_id",
    "trigger",
    "role",
    "kind",
    "amount",
    "currency",
    "display",
    "status",
    "approve_at",
    "reversed_amount",
    "coupon_code",
    "coupon_expires_at",
    "fulfilled_at",
    "created_at",
    "updated_at",
];

/// List rewards.
///
/// With `Accept: text/csv` (or `application/x-ndjson`), every reward matching the
/// filters is streamed as a file instead of one page.
#[utoipa::path(get, path = "/rewards", tag = "rewards",
    params(ListFilter),
    responses((status = 200, description = "A page of rewards, or all of them as CSV or JSON lines",
        content((List<RewardOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson")))),
    security(("secret_key" = [])))]
async fn list_rewards(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    headers: HeaderMap,
    ApiQuery(filter): ApiQuery<ListFilter>,
) -> Result<Response> {
    let q = filter.query(|s| RewardStatus::parse(s).is_some())?;
    let format = super::export::wanted(&headers);
    if format != super::export::Format::Json {
        let (store, ws) = (state.store.clone(), auth.workspace_id.clone());
        return Ok(super::export::stream(
            format,
            "rewards",
            EXPORT_COLUMNS,
            q,
            move |q| {
                let (store, ws) = (store.clone(), ws.clone());
                async move { Ok(store.list_rewards(&ws, &q).await?.map(RewardOut::from)) }
            },
        ));
    }
    let page = state.store.list_rewards(&auth.workspace_id, &q).await?;
    Ok(Json(List::from_page(page, RewardOut::from)).into_response())
}

/// Get a reward.
#[utoipa::path(get, path = "/rewards/{id}", tag = "rewards",
    params(("id" = String, Path, description = "Reward id")),
    responses((status = 200, description = "The reward", body = RewardOut),
        (status = 404, description = "No such reward in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn get_reward(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<RewardOut>> {
    let id = path_id(&id, RewardId::parse, "reward")?;
    let r = state
        .store
        .get_reward(&auth.workspace_id, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "reward" })?;
    Ok(Json(r.into()))
}

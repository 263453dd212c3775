//! Rewards: `/api/v1/rewards`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::ids::RewardId;
use vouch_domain::program::RewardKind;
use vouch_domain::reward::{RewardStatus, Role};
use vouch_store::Reward;

use super::common::{path_id, rfc3339, rfc3339_opt, List};
use super::referrals::ListFilter;
use crate::auth::SecretAuth;
use crate::engine::fulfilment::fulfil;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{optional_json, ApiQuery};
use crate::state::AppState;

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
    let reward = fulfil(state.store.as_ref(), &auth.workspace_id, &id, reference).await?;
    Ok(Json(reward.into()))
}

/// Value owed to a participant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RewardOut {
    pub id: String,
    pub program_id: String,
    pub participant_id: String,
    /// Null for rewards not tied to a referral (the welcome reward).
    pub referral_id: Option<String>,
    /// The event that earned it.
    pub event_id: Option<String>,
    /// Which payment of the referral earned it: `first_purchase`, `purchase:2`,
    /// `month:3`, `milestone:0`, `welcome`.
    pub trigger: String,
    pub role: Role,
    pub kind: RewardKind,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    pub status: RewardStatus,
    /// When the hold ends (approval).
    pub approve_at: String,
    /// The rule that produced it, as it was then.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    /// What the rule was applied to: the event, the order and its amount, how the
    /// referral was attributed. With `rule`, why this reward exists.
    #[schema(value_type = Object)]
    pub inputs: serde_json::Value,
    /// The program version whose rule produced it.
    pub program_version: i64,
    /// Why a `pending` reward waits beyond its hold: `coupon_pool_empty`.
    pub pending_reason: Option<String>,
    /// Taken back by partial refunds so far (minor units).
    pub reversed_amount: i64,
    /// For coupon rewards: the code and when it expires.
    pub coupon_code: Option<String>,
    pub coupon_expires_at: Option<String>,
    /// For gift cards and custom rewards: the merchant's fulfilment reference.
    pub fulfilment_reference: Option<String>,
    pub fulfilled_at: Option<String>,
    /// For cash: the payout line that pays it.
    pub payout_line_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Reward> for RewardOut {
    fn from(r: Reward) -> Self {
        Self {
            id: r.id.to_string(),
            program_id: r.program_id.to_string(),
            participant_id: r.participant_id.to_string(),
            referral_id: r.referral_id.map(|x| x.to_string()),
            event_id: r.event_id.map(|x| x.to_string()),
            trigger: r.trigger,
            role: r.role,
            kind: r.kind,
            amount: r.amount,
            currency: r.currency.to_string(),
            status: r.status,
            approve_at: rfc3339(r.approve_at),
            rule: r.rule,
            inputs: r.inputs,
            program_version: r.program_version,
            pending_reason: r.pending_reason,
            reversed_amount: r.reversed_amount,
            coupon_code: r.coupon_code,
            coupon_expires_at: rfc3339_opt(r.coupon_expires_at),
            fulfilment_reference: r.fulfilment_reference,
            fulfilled_at: rfc3339_opt(r.fulfilled_at),
            payout_line_id: r.payout_line_id,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// List rewards.
#[utoipa::path(get, path = "/rewards", tag = "rewards",
    params(ListFilter),
    responses((status = 200, description = "A page of rewards", body = List<RewardOut>)),
    security(("secret_key" = [])))]
async fn list_rewards(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(filter): ApiQuery<ListFilter>,
) -> Result<Json<List<RewardOut>>> {
    let q = filter.query(|s| RewardStatus::parse(s).is_some())?;
    let page = state.store.list_rewards(&auth.workspace_id, &q).await?;
    Ok(Json(List::from_page(page, RewardOut::from)))
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

//! Redemptions: `POST /api/v1/participants/{id}/redemptions`, spending held credit.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::money::{Currency, Money};
use vouch_store::Redemption;

use super::common::rfc3339;
use super::participants::{find_participant, BalanceOut};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiJson;
use crate::state::AppState;
use vouch_app::redemptions::{redeem, RedeemInput, Redeemed};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_redemption))
}

/// Credit to spend.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedemptionIn {
    /// Minor units; at most the available balance in `currency`.
    pub amount: i64,
    pub currency: String,
    /// Your own reference, e.g. the order the credit was spent on.
    pub reference: Option<String>,
}

/// Credit a participant spent.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedemptionOut {
    pub id: String,
    pub participant_id: String,
    pub amount: i64,
    pub currency: String,
    pub reference: Option<String>,
    pub created_at: String,
    /// The participant's balances after this redemption.
    pub balance: Vec<BalanceOut>,
}

/// Redeem credit.
///
/// Moves `amount` from the participant's available balance to redeemed, in one ledger
/// transaction. More than the available balance is a 422. Send an `Idempotency-Key`
/// header to make retries safe: the same key returns the first redemption
/// (`Idempotent-Replayed: true`).
#[utoipa::path(post, path = "/participants/{id}/redemptions", tag = "participants",
    params(("id" = String, Path, description = "Participant id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = RedemptionIn,
    responses((status = 201, description = "Redeemed (or replayed)", body = RedemptionOut),
        (status = 404, description = "No such participant in this workspace", body = Problem),
        (status = 409, description = "The participant is blocked (`participant_blocked`)", body = Problem)),
    security(("secret_key" = [])))]
async fn create_redemption(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<RedemptionIn>,
) -> Result<Response> {
    let participant = find_participant(&state, &auth, &id).await?;
    let currency = Currency::parse_unit("currency", &input.currency)?;
    if input.amount <= 0 {
        return Err(ApiError::invalid("amount", "must be greater than 0"));
    }
    let reference = input
        .reference
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reference.as_ref().is_some_and(|r| r.len() > 255) {
        return Err(ApiError::invalid(
            "reference",
            "must be at most 255 characters",
        ));
    }
    let redeem_input = RedeemInput {
        money: Money::new(input.amount, currency),
        idempotency_key: super::events::idempotency_header(&headers)?,
        reference,
    };
    let (redemption, replayed) = match redeem(
        state.store.as_ref(),
        &participant,
        &redeem_input,
        state.clock.now(),
    )
    .await?
    {
        Redeemed::Created(r) => (r, false),
        Redeemed::Replayed(r) => (r, true),
    };
    let balance = state.store.balances(&participant.id).await?;
    let out = RedemptionOut::new(
        redemption,
        balance.into_iter().map(BalanceOut::from).collect(),
    );
    let mut resp = (StatusCode::CREATED, Json(out)).into_response();
    if replayed {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

impl RedemptionOut {
    fn new(r: Redemption, balance: Vec<BalanceOut>) -> Self {
        Self {
            id: r.id.to_string(),
            participant_id: r.participant_id.to_string(),
            amount: r.amount,
            currency: r.currency.to_string(),
            reference: r.reference,
            created_at: rfc3339(r.created_at),
            balance,
        }
    }
}

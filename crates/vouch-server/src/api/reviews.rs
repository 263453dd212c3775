//! The review queue: `/api/v1/reviews`, referrals the fraud rules held, with their
//! signals, approved or rejected one by one or in bulk.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::ids::{ProgramId, ReferralId};

use super::common::{field_id, path_id, List, PageParams};
use super::participants::{reason_from, ReasonIn};
use super::referrals::ReferralOut;
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use vouch_app::reviews::{decide, Verdict};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reviews))
        .routes(routes!(approve_review))
        .routes(routes!(reject_review))
        .routes(routes!(approve_reviews))
        .routes(routes!(reject_reviews))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewFilter {
    pub program_id: Option<String>,
    /// The advocate or the friend.
    pub participant_id: Option<String>,
    /// Only referrals with this signal (`shared_payment`, `code_leakage`, …).
    pub signal: Option<String>,
    /// Only referrals scored at least this (0–100).
    pub min_score: Option<i64>,
    /// `pending` (default), `approved` or `rejected`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List referrals held for review.
///
/// Newest first, each with its `risk_score` and `signals` (stable `code`, `weight` and
/// an explanation). Their rewards stay `pending` until decided.
#[utoipa::path(get, path = "/reviews", tag = "reviews",
    params(ReviewFilter),
    responses((status = 200, description = "A page of held referrals", body = List<ReviewOut>)),
    security(("secret_key" = [])))]
async fn list_reviews(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(f): ApiQuery<ReviewFilter>,
) -> Result<Json<List<ReviewOut>>> {
    let mut q = PageParams {
        limit: f.limit,
        cursor: f.cursor,
    }
    .query()?;
    q.program_id = field_id("program_id", f.program_id.as_deref(), ProgramId::parse)?;
    q.participant_id = field_id(
        "participant_id",
        f.participant_id.as_deref(),
        vouch_domain::ids::ParticipantId::parse,
    )?;
    if let Some(code) = &f.signal {
        let known: Result<vouch_domain::fraud::SignalCode, _> =
            serde_json::from_value(serde_json::Value::String(code.clone()));
        if known.is_err() {
            return Err(ApiError::invalid("signal", "is not a signal code"));
        }
        q.signal = Some(code.clone());
    }
    if let Some(min) = f.min_score {
        if !(0..=100).contains(&min) {
            return Err(ApiError::invalid("min_score", "must be 0 to 100"));
        }
        q.min_score = Some(min);
    }
    let status = f.status.unwrap_or_else(|| "pending".into());
    let Some(review) = vouch_store::Review::parse(&status) else {
        return Err(ApiError::invalid(
            "status",
            "must be pending, approved or rejected",
        ));
    };
    q.review = Some(review);
    let page = state.store.list_referrals(&auth.workspace_id, &q).await?;
    let mut items = vec![];
    for r in page.items {
        items.push(review_out(&state, &auth.workspace_id, r).await?);
    }
    Ok(Json(List {
        data: items,
        next_cursor: page.next_cursor,
    }))
}

/// A person as a reviewer sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonOut {
    /// The participant id (an advocate, or a friend once enrolled).
    pub id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// The merchant's own id for them.
    pub external_id: Option<String>,
}

/// A held referral with the people it is about: what a reviewer needs to decide.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOut {
    #[serde(flatten)]
    pub referral: ReferralOut,
    pub advocate: PersonOut,
    /// The friend as known: their email, or the merchant's id for them.
    pub friend: PersonOut,
}

async fn review_out(
    state: &AppState,
    ws: &vouch_domain::ids::WorkspaceId,
    r: vouch_store::Referral,
) -> Result<ReviewOut> {
    let person = |p: Option<vouch_store::Participant>| PersonOut {
        id: p.as_ref().map(|p| p.id.to_string()),
        email: p.as_ref().and_then(|p| p.email.clone()),
        name: p.as_ref().and_then(|p| p.name.clone()),
        external_id: p.and_then(|p| p.external_id),
    };
    let advocate = person(
        state
            .store
            .get_participant(ws, &r.referrer_participant_id)
            .await?,
    );
    let friend = match &r.referee_participant_id {
        Some(id) => person(state.store.get_participant(ws, id).await?),
        None => {
            let c = state.store.get_customer(ws, &r.customer_id).await?;
            PersonOut {
                id: None,
                email: c.as_ref().and_then(|c| c.email_normalized.clone()),
                name: None,
                external_id: c.and_then(|c| c.external_id),
            }
        }
    };
    Ok(ReviewOut {
        referral: r.into(),
        advocate,
        friend,
    })
}

async fn one(
    state: &AppState,
    auth: &crate::auth::Auth,
    id: &str,
    approve: bool,
    body: &[u8],
) -> Result<Json<ReferralOut>> {
    let id = path_id(id, ReferralId::parse, "referral")?;
    let reason = reason_from(body)?;
    let r = decide(
        state.store.as_ref(),
        &auth.workspace_id,
        &id,
        &Verdict {
            approve,
            reason,
            actor: auth.key_id.as_str(),
        },
        state.clock.now(),
    )
    .await?;
    Ok(Json(r.into()))
}

/// Approve a held referral.
///
/// Its rewards are released: approved at once when their hold has passed, else when
/// it does. Written to the audit log with the optional `reason`.
#[utoipa::path(post, path = "/reviews/{id}/approve", tag = "reviews",
    params(("id" = String, Path, description = "Referral id")),
    request_body(content = ReasonIn, description = "Optional reason"),
    responses((status = 200, description = "The referral", body = ReferralOut),
        (status = 404, description = "No such referral in this workspace", body = Problem),
        (status = 409, description = "Not held for review (`not_in_review`)", body = Problem)),
    security(("secret_key" = [])))]
async fn approve_review(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ReferralOut>> {
    one(&state, &auth, &id, true, &body).await
}

/// Reject a held referral.
///
/// The referral becomes `rejected` (reason `fraud`) and its pending rewards are
/// cancelled. Written to the audit log with the optional `reason`.
#[utoipa::path(post, path = "/reviews/{id}/reject", tag = "reviews",
    params(("id" = String, Path, description = "Referral id")),
    request_body(content = ReasonIn, description = "Optional reason"),
    responses((status = 200, description = "The referral", body = ReferralOut),
        (status = 404, description = "No such referral in this workspace", body = Problem),
        (status = 409, description = "Not held for review (`not_in_review`)", body = Problem)),
    security(("secret_key" = [])))]
async fn reject_review(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ReferralOut>> {
    one(&state, &auth, &id, false, &body).await
}

/// Many referrals, one reason.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkReviewIn {
    /// At most 500.
    pub referral_ids: Vec<String>,
    pub reason: Option<String>,
}

/// What happened to one referral of a bulk decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResultOut {
    pub referral_id: String,
    /// The referral after the decision, or absent on error.
    pub referral: Option<ReferralOut>,
    /// The problem code when this one failed (`not_found`, `not_in_review`).
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkOut {
    pub results: Vec<BulkResultOut>,
}

async fn bulk(
    state: &AppState,
    auth: &crate::auth::Auth,
    input: BulkReviewIn,
    approve: bool,
) -> Result<Json<BulkOut>> {
    if input.referral_ids.is_empty() || input.referral_ids.len() > 500 {
        return Err(ApiError::invalid(
            "referral_ids",
            "give 1 to 500 referral ids",
        ));
    }
    let reason = input
        .reason
        .map(|r| r.trim().chars().take(1000).collect::<String>())
        .filter(|r| !r.is_empty());
    let mut results = Vec::with_capacity(input.referral_ids.len());
    // One transaction per referral: one that cannot be decided does not undo the others.
    for raw in input.referral_ids {
        let Some(id) = ReferralId::parse(raw.trim()) else {
            results.push(BulkResultOut {
                referral_id: raw,
                referral: None,
                error: Some("not_found".into()),
            });
            continue;
        };
        let verdict = Verdict {
            approve,
            reason: reason.clone(),
            actor: auth.key_id.as_str(),
        };
        match decide(
            state.store.as_ref(),
            &auth.workspace_id,
            &id,
            &verdict,
            state.clock.now(),
        )
        .await
        {
            Ok(r) => results.push(BulkResultOut {
                referral_id: raw,
                referral: Some(r.into()),
                error: None,
            }),
            Err(vouch_app::error::AppError::NotFound { .. }) => results.push(BulkResultOut {
                referral_id: raw,
                referral: None,
                error: Some("not_found".into()),
            }),
            Err(vouch_app::error::AppError::Conflict { code, .. }) => results.push(BulkResultOut {
                referral_id: raw,
                referral: None,
                error: Some(code.into()),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(BulkOut { results }))
}

/// Approve many held referrals.
#[utoipa::path(post, path = "/reviews/approve", tag = "reviews",
    request_body = BulkReviewIn,
    responses((status = 200, description = "One result per referral", body = BulkOut)),
    security(("secret_key" = [])))]
async fn approve_reviews(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<BulkReviewIn>,
) -> Result<Json<BulkOut>> {
    bulk(&state, &auth, input, true).await
}

/// Reject many held referrals.
#[utoipa::path(post, path = "/reviews/reject", tag = "reviews",
    request_body = BulkReviewIn,
    responses((status = 200, description = "One result per referral", body = BulkOut)),
    security(("secret_key" = [])))]
async fn reject_reviews(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<BulkReviewIn>,
) -> Result<Json<BulkOut>> {
    bulk(&state, &auth, input, false).await
}

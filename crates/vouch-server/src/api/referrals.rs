//! Referrals: `/api/v1/referrals`.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::attribution::{AttributionSource, ReferralStatus, RejectReason};
use vouch_domain::ids::{ParticipantId, ProgramId, ReferralId};
use vouch_store::Referral;

use super::common::{field_id, path_id, rfc3339, rfc3339_opt, List, PageParams};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_referrals))
        .routes(routes!(get_referral))
}

/// An advocate → friend relationship.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReferralOut {
    pub id: String,
    pub program_id: String,
    pub status: ReferralStatus,
    /// Why a `rejected` referral earns nothing.
    pub reason: Option<RejectReason>,
    pub referrer_participant_id: String,
    /// The friend, once they became a participant (at their first purchase).
    pub referee_participant_id: Option<String>,
    /// How it was attributed.
    pub source: AttributionSource,
    pub click_id: Option<String>,
    pub created_at: String,
    pub signed_up_at: Option<String>,
    pub converted_at: Option<String>,
    /// Purchases and subscription payments attributed so far.
    pub payments: i64,
    /// Rewards a rule would have given but a limit or condition refused, and why
    /// (`advocate_cap`, `budget`, `min_order_amount`, …).
    pub skipped_rewards: Vec<vouch_domain::rules::Skipped>,
    /// 0–100: the sum of the fraud signals' weights.
    pub risk_score: i64,
    /// Why the referral looks risky, each with a stable `code` and an explanation.
    pub signals: Vec<vouch_domain::fraud::Signal>,
    /// `pending` while held in the review queue, then `approved` or `rejected`.
    pub review: Option<String>,
    pub updated_at: String,
}

impl From<Referral> for ReferralOut {
    fn from(r: Referral) -> Self {
        Self {
            id: r.id.to_string(),
            program_id: r.program_id.to_string(),
            status: r.status,
            reason: r.reason,
            referrer_participant_id: r.referrer_participant_id.to_string(),
            referee_participant_id: r.referee_participant_id.map(|p| p.to_string()),
            source: r.source,
            click_id: r.click_id.map(|c| c.to_string()),
            created_at: rfc3339(r.created_at),
            signed_up_at: rfc3339_opt(r.signed_up_at),
            converted_at: rfc3339_opt(r.converted_at),
            payments: r.payments,
            skipped_rewards: r.skipped,
            risk_score: r.risk_score,
            signals: r.signals,
            review: r.review,
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// Filters shared by the referral and reward lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    pub program_id: Option<String>,
    /// For referrals: the advocate or the friend. For rewards: the recipient.
    pub participant_id: Option<String>,
    pub status: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

impl ListFilter {
    pub fn query(&self, valid_status: impl Fn(&str) -> bool) -> Result<vouch_store::ListQuery> {
        let mut q = PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
        .query()?;
        q.program_id = field_id("program_id", self.program_id.as_deref(), ProgramId::parse)?;
        q.participant_id = field_id(
            "participant_id",
            self.participant_id.as_deref(),
            ParticipantId::parse,
        )?;
        if let Some(s) = &self.status {
            if !valid_status(s) {
                return Err(ApiError::invalid(
                    "status",
                    format!("'{s}' is not a status"),
                ));
            }
            q.status = Some(s.clone());
        }
        Ok(q)
    }
}

/// List referrals.
#[utoipa::path(get, path = "/referrals", tag = "referrals",
    params(ListFilter),
    responses((status = 200, description = "A page of referrals", body = List<ReferralOut>)),
    security(("secret_key" = [])))]
async fn list_referrals(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(filter): ApiQuery<ListFilter>,
) -> Result<Json<List<ReferralOut>>> {
    let q = filter.query(|s| ReferralStatus::parse(s).is_some())?;
    let page = state.store.list_referrals(&auth.workspace_id, &q).await?;
    Ok(Json(List::from_page(page, ReferralOut::from)))
}

/// Get a referral.
#[utoipa::path(get, path = "/referrals/{id}", tag = "referrals",
    params(("id" = String, Path, description = "Referral id")),
    responses((status = 200, description = "The referral", body = ReferralOut),
        (status = 404, description = "No such referral in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn get_referral(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<ReferralOut>> {
    let id = path_id(&id, ReferralId::parse, "referral")?;
    let r = state
        .store
        .get_referral(&auth.workspace_id, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "referral" })?;
    Ok(Json(r.into()))
}

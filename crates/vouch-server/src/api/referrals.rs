//! Referrals: `/api/v1/referrals`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::attribution::ReferralStatus;
use vouch_domain::ids::{ParticipantId, ProgramId, ReferralId};

use super::common::{field_id, path_id, List, PageParams};
use super::export;
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_referrals))
        .routes(routes!(get_referral))
}

pub use vouch_domain::views::ReferralOut;

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

/// The columns of a CSV export.
pub const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "program_id",
    "status",
    "reason",
    "referrer_participant_id",
    "referee_participant_id",
    "source",
    "click_id",
    "created_at",
    "signed_up_at",
    "converted_at",
    "payments",
    "risk_score",
    "review",
    "updated_at",
];

/// List referrals.
///
/// With `Accept: text/csv` (or `application/x-ndjson`), every referral matching the
/// filters is streamed as a file instead of one page.
#[utoipa::path(get, path = "/referrals", tag = "referrals",
    params(ListFilter),
    responses((status = 200, description = "A page of referrals, or all of them as CSV or JSON lines",
        content((List<ReferralOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson")))),
    security(("secret_key" = [])))]
async fn list_referrals(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    headers: HeaderMap,
    ApiQuery(filter): ApiQuery<ListFilter>,
) -> Result<Response> {
    let q = filter.query(|s| ReferralStatus::parse(s).is_some())?;
    let format = export::wanted(&headers);
    if format != export::Format::Json {
        let (store, ws) = (state.store.clone(), auth.workspace_id.clone());
        return Ok(export::stream(
            format,
            "referrals",
            EXPORT_COLUMNS,
            q,
            move |q| {
                let (store, ws) = (store.clone(), ws.clone());
                async move { Ok(store.list_referrals(&ws, &q).await?.map(ReferralOut::from)) }
            },
        ));
    }
    let page = state.store.list_referrals(&auth.workspace_id, &q).await?;
    Ok(Json(List::from_page(page, ReferralOut::from)).into_response())
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

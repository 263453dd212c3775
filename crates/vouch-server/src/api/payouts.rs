//! Payouts: `/api/v1/payouts`, batches of approved cash rewards per currency, exported
//! as PayPal Payouts CSV or JSON and marked paid or failed per line.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::ids::{PayoutId, PayoutLineId, ProgramId};
use vouch_domain::money::Currency;
use vouch_store::{Payout, PayoutLine};

use super::common::{field_id, path_id, rfc3339, List, PageParams};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use vouch_app::payouts::{
    create_payouts, paypal_csv, record_results, DecimalMark, LineResult, PayoutRequest,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_payout, list_payouts))
        .routes(routes!(get_payout))
        .routes(routes!(export_paypal))
        .routes(routes!(update_line))
        .routes(routes!(record_payout_results))
}

/// Which payable balances to pay out; default: every program and currency.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PayoutIn {
    pub program_id: Option<String>,
    pub currency: Option<String>,
}

/// One participant's amount in a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutLineOut {
    pub id: String,
    pub participant_id: String,
    /// Where PayPal sends it; lines without an email are left out of the CSV.
    pub email: Option<String>,
    /// Minor units: the participant's payable balance, clawbacks already netted.
    pub amount: i64,
    pub currency: String,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    pub reference: Option<String>,
    pub error: Option<String>,
    pub updated_at: String,
}

impl From<PayoutLine> for PayoutLineOut {
    fn from(l: PayoutLine) -> Self {
        Self {
            id: l.id.to_string(),
            participant_id: l.participant_id.to_string(),
            email: l.email,
            amount: l.amount,
            currency: l.currency.to_string(),
            status: l.status.as_str().to_owned(),
            reference: l.reference,
            error: l.error,
            updated_at: rfc3339(l.updated_at),
        }
    }
}

/// A batch of cash payouts in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutOut {
    pub id: String,
    pub program_id: Option<String>,
    pub currency: String,
    /// `pending` until every line is paid or failed, then `completed`.
    pub status: String,
    /// Minor units.
    pub total: i64,
    /// Absent in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<PayoutLineOut>>,
    pub created_at: String,
    pub updated_at: String,
}

impl PayoutOut {
    fn new(p: Payout, lines: Option<Vec<PayoutLine>>) -> Self {
        Self {
            id: p.id.to_string(),
            program_id: p.program_id.map(|x| x.to_string()),
            currency: p.currency.to_string(),
            status: p.status.as_str().to_owned(),
            total: p.total,
            lines: lines.map(|ls| ls.into_iter().map(Into::into).collect()),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// The batches a request created.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutsCreated {
    /// One per currency; empty when nothing is owed.
    pub data: Vec<PayoutOut>,
    /// Participants owed less than their program's `payout_threshold`, left for later.
    pub below_threshold: usize,
}

/// Create payout batches.
///
/// Takes every participant's payable cash balance (approved cash rewards less
/// clawbacks) that reaches the program's `payout_threshold`, and groups them into one
/// batch per currency. The amounts leave the payable balance at once, so a second
/// request does not pay them twice.
#[utoipa::path(post, path = "/payouts", tag = "payouts",
    request_body = PayoutIn,
    responses((status = 201, description = "The batches created", body = PayoutsCreated)),
    security(("secret_key" = [])))]
async fn create_payout(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<PayoutIn>,
) -> Result<(StatusCode, Json<PayoutsCreated>)> {
    let req = PayoutRequest {
        program_id: field_id("program_id", input.program_id.as_deref(), ProgramId::parse)?,
        currency: input
            .currency
            .as_deref()
            .map(|c| Currency::parse("currency", c))
            .transpose()?,
    };
    let created = create_payouts(
        state.store.as_ref(),
        &auth.workspace_id,
        &req,
        state.clock.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(PayoutsCreated {
            data: created
                .payouts
                .into_iter()
                .map(|(p, l)| PayoutOut::new(p, Some(l)))
                .collect(),
            below_threshold: created.below_threshold,
        }),
    ))
}

/// List payout batches.
#[utoipa::path(get, path = "/payouts", tag = "payouts",
    params(PageParams),
    responses((status = 200, description = "A page of batches", body = List<PayoutOut>)),
    security(("secret_key" = [])))]
async fn list_payouts(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<List<PayoutOut>>> {
    let q = page.query()?;
    let page = state.store.list_payouts(&auth.workspace_id, &q).await?;
    Ok(Json(List::from_page(page, |p| PayoutOut::new(p, None))))
}

async fn load(
    state: &AppState,
    auth: &crate::auth::Auth,
    id: &str,
) -> Result<(Payout, Vec<PayoutLine>)> {
    let id = path_id(id, PayoutId::parse, "payout")?;
    state
        .store
        .get_payout(&auth.workspace_id, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "payout" })
}

/// Get a payout batch with its lines (the JSON export).
#[utoipa::path(get, path = "/payouts/{id}", tag = "payouts",
    params(("id" = String, Path, description = "Payout id")),
    responses((status = 200, description = "The batch and its lines", body = PayoutOut),
        (status = 404, description = "No such payout in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn get_payout(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<PayoutOut>> {
    let (p, lines) = load(&state, &auth, &id).await?;
    Ok(Json(PayoutOut::new(p, Some(lines))))
}

/// How the exported file writes amounts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `point` (`100.50`, the default) or `comma` (`100,50`).
    pub decimal: Option<String>,
}

/// Export a batch for PayPal Payouts.
///
/// `text/csv` in the PayPal Payouts bulk-upload format, no header row: recipient
/// email, amount in major units, currency, reference (the payout line id, which PayPal
/// reports back), note, `PAYPAL`. Only pending lines with an email are listed: paid
/// lines are done, and failed ones are paid from a later batch. `decimal=comma` writes
/// amounts as `100,50`, for senders whose PayPal account uses a comma decimal.
#[utoipa::path(get, path = "/payouts/{id}/paypal.csv", tag = "payouts",
    params(("id" = String, Path, description = "Payout id"), ExportParams),
    responses((status = 200, description = "The CSV file", content_type = "text/csv", body = String),
        (status = 404, description = "No such payout in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn export_paypal(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<impl IntoResponse> {
    let decimal = match params.decimal.as_deref() {
        None | Some("point") => DecimalMark::Point,
        Some("comma") => DecimalMark::Comma,
        Some(_) => return Err(ApiError::invalid("decimal", "must be point or comma")),
    };
    let (p, lines) = load(&state, &auth, &id).await?;
    let csv = paypal_csv(&lines, "Referral rewards", decimal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.csv\"", p.id),
            ),
        ],
        csv,
    ))
}

/// The result of one line.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LineResultIn {
    /// `paid` or `failed`.
    pub status: String,
    /// The payment provider's transaction id.
    pub reference: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkLineResultIn {
    pub line_id: String,
    pub status: String,
    pub reference: Option<String>,
    pub error: Option<String>,
}

/// Results for many lines at once.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResultsIn {
    pub lines: Vec<BulkLineResultIn>,
}

fn line_result(
    field: &str,
    line_id: &str,
    status: &str,
    reference: Option<String>,
    error: Option<String>,
) -> Result<LineResult> {
    let paid = match status {
        "paid" => true,
        "failed" => false,
        _ => {
            return Err(ApiError::invalid(
                format!("{field}status"),
                "must be paid or failed",
            ))
        }
    };
    let clip = |s: Option<String>| s.map(|s| s.chars().take(500).collect::<String>());
    Ok(LineResult {
        line_id: PayoutLineId::parse(line_id).ok_or_else(|| {
            ApiError::invalid(format!("{field}line_id"), "is not a payout line id")
        })?,
        paid,
        reference: clip(reference),
        error: clip(error),
    })
}

/// Mark one line paid or failed.
///
/// Paid: the amount leaves the books and the line's rewards become `fulfilled`. Failed:
/// the amount returns to the participant's payable balance for a later batch.
/// Reporting the same result again changes nothing; a different one is a 409.
#[utoipa::path(post, path = "/payouts/{id}/lines/{line_id}", tag = "payouts",
    params(("id" = String, Path, description = "Payout id"),
        ("line_id" = String, Path, description = "Payout line id")),
    request_body = LineResultIn,
    responses((status = 200, description = "The batch after the change", body = PayoutOut),
        (status = 404, description = "No such payout or line", body = Problem),
        (status = 409, description = "The line already has another final result", body = Problem)),
    security(("secret_key" = [])))]
async fn update_line(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path((id, line_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<LineResultIn>,
) -> Result<Json<PayoutOut>> {
    let payout_id = path_id(&id, PayoutId::parse, "payout")?;
    if PayoutLineId::parse(&line_id).is_none() {
        return Err(ApiError::NotFound {
            what: "payout line",
        });
    }
    let r = line_result("", &line_id, &input.status, input.reference, input.error)?;
    record_results(
        state.store.as_ref(),
        &auth.workspace_id,
        &payout_id,
        &[r],
        state.clock.now(),
    )
    .await?;
    get_payout(State(state), SecretAuth(auth), Path(id)).await
}

/// Mark many lines paid or failed, in one transaction.
#[utoipa::path(post, path = "/payouts/{id}/results", tag = "payouts",
    params(("id" = String, Path, description = "Payout id")),
    request_body = ResultsIn,
    responses((status = 200, description = "The batch after the changes", body = PayoutOut),
        (status = 404, description = "No such payout or line", body = Problem),
        (status = 409, description = "A line already has another final result", body = Problem)),
    security(("secret_key" = [])))]
async fn record_payout_results(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResultsIn>,
) -> Result<Json<PayoutOut>> {
    let payout_id = path_id(&id, PayoutId::parse, "payout")?;
    let results = input
        .lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            line_result(
                &format!("lines[{i}]."),
                &l.line_id,
                &l.status,
                l.reference,
                l.error,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    record_results(
        state.store.as_ref(),
        &auth.workspace_id,
        &payout_id,
        &results,
        state.clock.now(),
    )
    .await?;
    get_payout(State(state), SecretAuth(auth), Path(id)).await
}

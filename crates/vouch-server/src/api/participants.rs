//! Participants (advocates): `/api/v1/programs/{id}/participants`, `/api/v1/participants/{id}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::email::Email;
use vouch_domain::ids::{ParticipantId, ProgramId};
use vouch_store::{Balance, Enrolment, Participant, ParticipantStats};

use super::common::{path_id, rfc3339, List, PageParams};
use super::export;
use super::programs::find_program;
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use vouch_app::enrolment::{enroll, EnrolmentInput};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_participant, list_participants))
        .routes(routes!(get_participant))
        .routes(routes!(list_all_participants))
        .routes(routes!(block_participant))
        .routes(routes!(unblock_participant))
}

/// Why a participant is blocked or unblocked, for the audit log.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReasonIn {
    pub reason: Option<String>,
}

/// An optional JSON body with a `reason`.
pub fn reason_from(body: &[u8]) -> Result<Option<String>> {
    let input: ReasonIn = crate::extract::optional_json(body)?;
    let reason = input
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(ApiError::invalid(
            "reason",
            "must be at most 1000 characters",
        ));
    }
    Ok(reason)
}

/// Unblock an advocate.
///
/// Their links and new referrals work again; rewards cancelled by the block stay
/// cancelled. Written to the audit log with the optional `reason`.
#[utoipa::path(post, path = "/participants/{id}/unblock", tag = "participants",
    params(("id" = String, Path, description = "Participant id")),
    request_body(content = ReasonIn, description = "Optional reason"),
    responses((status = 200, description = "Active again", body = ParticipantOut),
        (status = 404, description = "No such participant in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn unblock_participant(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ParticipantOut>> {
    let reason = reason_from(&body)?;
    let p = find_participant(&state, &auth, &id).await?;
    vouch_app::blocking::unblock(state.store.as_ref(), &p, state.clock.now()).await?;
    vouch_app::reviews::audit(
        state.store.as_ref(),
        &auth.workspace_id,
        auth.key_id.as_str(),
        "participant.unblocked",
        ("participant", p.id.to_string()),
        reason,
        serde_json::Value::Null,
        state.clock.now(),
    )
    .await?;
    state.links.clear();
    let p = find_participant(&state, &auth, &id).await?;
    let stats = state.store.participant_stats(&p.id).await?;
    let balances = state.store.balances(&p.id).await?;
    Ok(Json(
        ParticipantOut::new(p, &state.config.public_url).with_details(stats, balances),
    ))
}

/// A blocked advocate and what blocking cancelled.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockOut {
    pub participant: ParticipantOut,
    /// Rewards that were still in their hold, now `cancelled`.
    pub cancelled_rewards: Vec<super::rewards::RewardOut>,
}

/// Block an advocate.
///
/// Their links answer the not-found page and attribute nothing, their referrals stop
/// earning (`advocate_inactive`), and their pending rewards are cancelled with a ledger
/// entry. Approved credit stays theirs. Blocking twice is harmless.
#[utoipa::path(post, path = "/participants/{id}/block", tag = "participants",
    params(("id" = String, Path, description = "Participant id")),
    request_body(content = ReasonIn, description = "Optional reason, kept in the audit log"),
    responses((status = 200, description = "Blocked", body = BlockOut),
        (status = 404, description = "No such participant in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn block_participant(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<BlockOut>> {
    let reason = reason_from(&body)?;
    let p = find_participant(&state, &auth, &id).await?;
    let cancelled = vouch_app::blocking::block(state.store.as_ref(), &p, state.clock.now()).await?;
    vouch_app::reviews::audit(
        state.store.as_ref(),
        &auth.workspace_id,
        auth.key_id.as_str(),
        "participant.blocked",
        ("participant", p.id.to_string()),
        reason,
        serde_json::json!({
            "cancelled_rewards": cancelled.iter().map(|r| r.id.to_string()).collect::<Vec<_>>()
        }),
        state.clock.now(),
    )
    .await?;
    state.links.clear();
    let p = find_participant(&state, &auth, &id).await?;
    let stats = state.store.participant_stats(&p.id).await?;
    let balances = state.store.balances(&p.id).await?;
    Ok(Json(BlockOut {
        participant: ParticipantOut::new(p, &state.config.public_url).with_details(stats, balances),
        cancelled_rewards: cancelled.into_iter().map(Into::into).collect(),
    }))
}

/// An advocate joining a program.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ParticipantIn {
    #[schema(example = "sara@example.com")]
    pub email: String,
    pub name: Option<String>,
    /// The merchant's own customer id.
    pub external_id: Option<String>,
    /// `ar` or `en` (default `en`): the language of their pages and messages.
    pub locale: Option<String>,
    /// A vanity code (3–32 letters, digits, `-`, `_`); generated when omitted.
    pub referral_code: Option<String>,
    /// The advocate's network and device, to recognise them if they refer themselves.
    #[serde(flatten)]
    pub context: vouch_app::fraud::ContextIn,
}

/// Counts of what an advocate's sharing produced.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    /// People's clicks, every visit (previews, crawlers and prefetches are not clicks).
    pub clicks: i64,
    /// Clicks counted once per visitor within the program's `unique_click_window_hours`.
    pub unique_clicks: i64,
    /// Clicks per source: `qr` (the QR code), the share buttons (`whatsapp`,
    /// `telegram`, `x`, `facebook`, `linkedin`, `email`, `sms`, `copy`), a link's
    /// `utm_source`, or `direct`.
    pub clicks_by_source: std::collections::BTreeMap<String, i64>,
    /// Link previews built by chat and social apps (not clicks).
    pub previews: i64,
    /// Crawlers, scanners and scripts (not clicks).
    pub bots: i64,
    /// Browsers fetching ahead and `HEAD` requests (not clicks).
    pub prefetches: i64,
    pub signups: i64,
    pub conversions: i64,
}

/// Credit in one currency, in minor units.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceOut {
    pub currency: String,
    /// Approved and spendable.
    pub available: i64,
    /// Earned, still inside the hold period.
    pub pending: i64,
    /// Approved cash waiting for a payout (may be negative after a clawback).
    pub payable: i64,
    /// Cash in a payout batch that is not reported paid yet: money on its way.
    pub in_payout: i64,
    /// Cash paid out so far.
    pub paid_out: i64,
}

impl From<Balance> for BalanceOut {
    fn from(b: Balance) -> Self {
        Self {
            currency: b.currency.to_string(),
            available: b.available,
            pending: b.pending,
            payable: b.payable,
            in_payout: b.in_payout,
            paid_out: b.paid_out,
        }
    }
}

/// An advocate.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantOut {
    pub id: String,
    pub program_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub locale: String,
    /// `active` or `blocked`.
    pub status: String,
    pub referral_code: String,
    /// The link to share.
    pub referral_url: String,
    /// The link as an SVG QR code.
    pub qr_code_url: String,
    pub created_at: String,
    /// Only on `GET /participants/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatsOut>,
    /// Credit balances by currency; only on `GET /participants/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Vec<BalanceOut>>,
}

impl ParticipantOut {
    pub fn new(p: Participant, public_url: &str) -> Self {
        Self {
            referral_url: format!("{public_url}/r/{}", p.referral_code),
            qr_code_url: format!("{public_url}/r/{}/qr.svg", p.referral_code),
            id: p.id.to_string(),
            program_id: p.program_id.to_string(),
            email: p.email,
            name: p.name,
            external_id: p.external_id,
            locale: p.locale,
            status: p.status.as_str().to_owned(),
            referral_code: p.referral_code,
            created_at: rfc3339(p.created_at),
            stats: None,
            balance: None,
        }
    }

    fn with_details(mut self, stats: ParticipantStats, balances: Vec<Balance>) -> Self {
        let not = |kind: &str| {
            stats
                .not_clicks
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n)
        };
        self.stats = Some(StatsOut {
            clicks: stats.clicks,
            unique_clicks: stats.unique_clicks,
            clicks_by_source: stats.clicks_by_source.iter().cloned().collect(),
            previews: not("preview"),
            bots: not("bot"),
            prefetches: not("prefetch"),
            signups: stats.signups,
            conversions: stats.conversions,
        });
        self.balance = Some(balances.into_iter().map(BalanceOut::from).collect());
        self
    }
}

/// Looks a participant up by its path id within the caller's workspace.
pub async fn find_participant(
    state: &AppState,
    auth: &crate::auth::Auth,
    raw_id: &str,
) -> Result<Participant> {
    let id = path_id(raw_id, ParticipantId::parse, "participant")?;
    state
        .store
        .get_participant(&auth.workspace_id, &id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "participant",
        })
}

/// Validates the fields an advocate gives, from the API or the join page.
pub fn enrolment_input(input: ParticipantIn) -> Result<EnrolmentInput> {
    // An advocate joining needs an email; imports may name them by external id alone.
    Email::parse("email", &input.email)?;
    vouch_app::imports::check_fields(vouch_app::imports::RowIn {
        email: Some(input.email),
        name: input.name,
        locale: input.locale,
        external_id: input.external_id,
        code: input.referral_code,
    })
    .map_err(|e| match e {
        // The API names the vanity code's field as its request does.
        vouch_app::error::AppError::Invalid { field, message } if field == "code" => {
            ApiError::invalid("referral_code", message)
        }
        other => other.into(),
    })
}

pub fn clean_external_id(field: &str, raw: Option<String>) -> Result<Option<String>> {
    let v = raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if v.as_ref().is_some_and(|s| s.len() > 255) {
        return Err(ApiError::invalid(field, "must be at most 255 characters"));
    }
    Ok(v)
}

/// Enrol an advocate.
///
/// 201 when new; 200 with the existing participant when the email (or external id) is
/// already enrolled in the program.
#[utoipa::path(post, path = "/programs/{id}/participants", tag = "participants",
    params(("id" = String, Path, description = "Program id")),
    request_body = ParticipantIn,
    responses((status = 201, description = "Enrolled", body = ParticipantOut),
        (status = 200, description = "Already enrolled", body = ParticipantOut),
        (status = 404, description = "No such program in this workspace", body = Problem),
        (status = 409, description = "The vanity code is taken (`referral_code_taken`), or the customer is in the program's holdout group (`holdout_control`)", body = Problem)),
    security(("secret_key" = [])))]
async fn create_participant(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ParticipantIn>,
) -> Result<(StatusCode, Json<ParticipantOut>)> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let program = find_program(&state, &auth, &id).await?;
    let context = input.context.clone();
    let mut input = enrolment_input(input)?;
    let sighting = vouch_app::fraud::fingerprint(
        state.store.as_ref(),
        &state.fraud,
        &program.workspace_id,
        &context,
    )
    .await?;
    input.fingerprint = sighting.fingerprint;
    input.hasher = sighting.hasher;
    let (status, p) =
        match enroll(state.store.as_ref(), &program, &input, state.clock.now()).await? {
            Enrolment::Created(p) => (StatusCode::CREATED, p),
            Enrolment::Existing(p) => (StatusCode::OK, p),
        };
    Ok((
        status,
        Json(ParticipantOut::new(p, &state.config.public_url)),
    ))
}

/// List a program's advocates.
#[utoipa::path(get, path = "/programs/{id}/participants", tag = "participants",
    params(("id" = String, Path, description = "Program id"), PageParams),
    responses((status = 200, description = "A page of participants, or all of them as CSV or JSON lines (`Accept: text/csv` or `application/x-ndjson`)",
        content((List<ParticipantOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 404, description = "No such program in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn list_participants(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Response> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let program = find_program(&state, &auth, &id).await?;
    let mut q = page.query()?;
    q.program_id = Some(program.id);
    list_page(&state, &headers, &auth.workspace_id, q).await
}

/// The columns of a CSV export.
pub const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "program_id",
    "email",
    "name",
    "external_id",
    "locale",
    "status",
    "referral_code",
    "referral_url",
    "created_at",
];

/// A page as JSON, or (`Accept: text/csv` or `application/x-ndjson`) every matching
/// participant streamed as a file.
async fn list_page(
    state: &AppState,
    headers: &HeaderMap,
    ws: &vouch_domain::ids::WorkspaceId,
    q: vouch_store::ListQuery,
) -> Result<Response> {
    let format = export::wanted(headers);
    if format != export::Format::Json {
        let (store, ws) = (state.store.clone(), ws.clone());
        let url = state.config.public_url.clone();
        return Ok(export::stream(
            format,
            "participants",
            EXPORT_COLUMNS,
            q,
            move |q| {
                let (store, ws, url) = (store.clone(), ws.clone(), url.clone());
                async move {
                    let page = store.list_participants(&ws, &q).await?;
                    Ok(page.map(|p| ParticipantOut::new(p, &url)))
                }
            },
        ));
    }
    let page = state.store.list_participants(ws, &q).await?;
    let url = &state.config.public_url;
    Ok(Json(List::from_page(page, |p| ParticipantOut::new(p, url))).into_response())
}

/// `?program_id=&status=` on `GET /participants`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParticipantFilter {
    pub program_id: Option<String>,
    /// `active` or `blocked`.
    pub status: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// List advocates across programs.
#[utoipa::path(get, path = "/participants", tag = "participants",
    params(ParticipantFilter),
    responses((status = 200, description = "A page of participants, or all of them as CSV or JSON lines (`Accept: text/csv` or `application/x-ndjson`)",
        content((List<ParticipantOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson")))),
    security(("secret_key" = [])))]
async fn list_all_participants(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    headers: HeaderMap,
    ApiQuery(f): ApiQuery<ParticipantFilter>,
) -> Result<Response> {
    let mut q = PageParams {
        limit: f.limit,
        cursor: f.cursor,
    }
    .query()?;
    q.program_id =
        super::common::field_id("program_id", f.program_id.as_deref(), ProgramId::parse)?;
    if let Some(s) = f.status {
        if s != "active" && s != "blocked" {
            return Err(ApiError::invalid("status", "must be `active` or `blocked`"));
        }
        q.status = Some(s);
    }
    list_page(&state, &headers, &auth.workspace_id, q).await
}

/// Get an advocate, with their stats and credit balance.
#[utoipa::path(get, path = "/participants/{id}", tag = "participants",
    params(("id" = String, Path, description = "Participant id")),
    responses((status = 200, description = "The participant", body = ParticipantOut),
        (status = 404, description = "No such participant in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn get_participant(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<ParticipantOut>> {
    let p = find_participant(&state, &auth, &id).await?;
    let stats = state.store.participant_stats(&p.id).await?;
    let balances = state.store.balances(&p.id).await?;
    Ok(Json(
        ParticipantOut::new(p, &state.config.public_url).with_details(stats, balances),
    ))
}

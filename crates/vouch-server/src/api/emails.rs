//! Emails: the log of every email (`/api/v1/emails`), trying one again, advocates'
//! invitations to friends, and the workspace's suppression list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_app::emails::{self, Invited};
use vouch_domain::ids::{EmailId, ParticipantId};
use vouch_domain::notification::{EmailKind, EmailStatus, SuppressionReason};
use vouch_store::{EmailMessage, EmailQuery, Page, Suppression};

use super::common::{path_id, rfc3339, rfc3339_opt, List, PageParams};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_emails))
        .routes(routes!(get_email))
        .routes(routes!(retry_email))
        .routes(routes!(invite_friends))
        .routes(routes!(list_suppressions, add_suppression))
        .routes(routes!(delete_suppression))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailParams {
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Emails to or about this participant (for invitations: sent by them).
    pub participant_id: Option<String>,
    /// `welcome`, `invitation`, `friend_signed_up`, `friend_purchased`,
    /// `reward_available`, `payout_sent`, `share_reminder` or `friend_reward`.
    pub kind: Option<String>,
    /// `pending`, `sent`, `skipped` or `failed`.
    pub status: Option<String>,
    /// Emails to this address.
    pub to: Option<String>,
}

/// One email to one person.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailOut {
    pub id: String,
    pub program_id: String,
    /// The recipient, or for an invitation the advocate who sent it.
    pub participant_id: String,
    pub kind: EmailKind,
    pub to: Option<String>,
    /// `en` or `ar`, from the participant's locale.
    pub locale: Option<String>,
    /// `pending` (an attempt is due at `send_at`), `sent`, `skipped` (`reason` says
    /// why) or `failed` (the mail server refused it, or every attempt failed).
    pub status: EmailStatus,
    pub reason: Option<String>,
    pub subject: Option<String>,
    pub attempts: i64,
    pub send_at: String,
    pub sent_at: Option<String>,
    /// Its `Message-ID` header, the same on every attempt.
    pub message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<EmailMessage> for EmailOut {
    fn from(m: EmailMessage) -> Self {
        Self {
            id: m.id.to_string(),
            program_id: m.program_id.to_string(),
            participant_id: m.participant_id.to_string(),
            kind: m.kind,
            to: m.to_address,
            locale: m
                .locale
                .map(|l| vouch_app::emails::lang(Some(&l)).to_owned()),
            status: m.status,
            reason: m.reason,
            subject: m.subject,
            attempts: m.attempts,
            send_at: rfc3339(m.send_at),
            sent_at: rfc3339_opt(m.sent_at),
            message_id: m.smtp_message_id,
            last_error: m.last_error,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
        }
    }
}

pub(crate) fn email_kind(raw: &str) -> Result<EmailKind> {
    EmailKind::parse(raw).ok_or_else(|| {
        ApiError::invalid(
            "kind",
            "must be welcome, invitation, friend_signed_up, friend_purchased, \
             reward_available, payout_sent, share_reminder or friend_reward",
        )
    })
}

/// The email log, newest first.
#[utoipa::path(get, path = "/emails", tag = "emails",
    params(EmailParams),
    responses((status = 200, description = "A page of emails", body = List<EmailOut>)),
    security(("secret_key" = [])))]
async fn list_emails(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(p): ApiQuery<EmailParams>,
) -> Result<Json<List<EmailOut>>> {
    let page = PageParams {
        limit: p.limit,
        cursor: p.cursor,
    }
    .query()?;
    let q = EmailQuery {
        participant_id: p
            .participant_id
            .map(|id| {
                ParticipantId::parse(&id)
                    .ok_or_else(|| ApiError::invalid("participant_id", "is not a participant id"))
            })
            .transpose()?,
        kind: p.kind.as_deref().map(email_kind).transpose()?,
        status: p
            .status
            .map(|s| {
                EmailStatus::parse(&s).ok_or_else(|| {
                    ApiError::invalid("status", "must be pending, sent, skipped or failed")
                })
            })
            .transpose()?,
        to_address: p.to,
        cursor: page.cursor,
        limit: page.limit,
    };
    let rows = state.store.list_emails(&auth.workspace_id, &q).await?;
    let page = Page::from_rows(rows, q.limit, |m| m.id.to_string());
    Ok(Json(List::from_page(page, EmailOut::from)))
}

async fn find_email(
    state: &AppState,
    ws: &vouch_domain::ids::WorkspaceId,
    raw: &str,
) -> Result<EmailMessage> {
    let id = path_id(raw, EmailId::parse, "email")?;
    state
        .store
        .get_email(&id)
        .await?
        .filter(|m| &m.workspace_id == ws)
        .ok_or(ApiError::NotFound { what: "email" })
}

/// Get an email.
#[utoipa::path(get, path = "/emails/{id}", tag = "emails",
    params(("id" = String, Path, description = "Email id (`eml_…`)")),
    responses((status = 200, description = "The email", body = EmailOut),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn get_email(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<EmailOut>> {
    Ok(Json(
        find_email(&state, &auth.workspace_id, &id).await?.into(),
    ))
}

/// Try an email that failed or was skipped again now (the checks run again: an
/// address still suppressed is skipped again). A sent email is not sent twice.
#[utoipa::path(post, path = "/emails/{id}/retry", tag = "emails",
    params(("id" = String, Path, description = "Email id (`eml_…`)")),
    responses((status = 202, description = "Queued", body = EmailOut),
        (status = 404, description = "Not found", body = Problem),
        (status = 409, description = "Already sent", body = Problem)),
    security(("secret_key" = [])))]
async fn retry_email(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<EmailOut>)> {
    let mut m = find_email(&state, &auth.workspace_id, &id).await?;
    if m.status == EmailStatus::Sent {
        return Err(ApiError::Conflict {
            code: "already_sent",
            field: None,
            message: "this email was sent; it is not sent twice".into(),
        });
    }
    emails::delivery::retry(state.store.as_ref(), &mut m, state.clock.now()).await?;
    Ok((StatusCode::ACCEPTED, Json(m.into())))
}

/// Friends to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationsIn {
    /// 1 to 10 addresses; an advocate may invite 20 friends a day, each once.
    pub emails: Vec<String>,
    /// A few words from the advocate, shown in the email (at most 500 characters).
    pub note: Option<String>,
}

/// What became of one address.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    pub email: String,
    /// `queued`, `duplicate` (already invited by this advocate), `suppressed` (the
    /// address asked for no emails), `own_address` or `holdout` (a customer in the
    /// program's control group, who is not shown the program).
    pub status: String,
    pub email_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationsOut {
    pub results: Vec<InvitationOut>,
}

/// An advocate invites friends by email: each gets the advocate's link, in the
/// advocate's language, with their note.
#[utoipa::path(post, path = "/participants/{id}/invitations", tag = "emails",
    params(("id" = String, Path, description = "Participant id (`par_…`)")),
    request_body = InvitationsIn,
    responses((status = 200, description = "One result per address", body = InvitationsOut),
        (status = 404, description = "No such participant", body = Problem),
        (status = 422, description = "An address or the note is not valid", body = Problem),
        (status = 429, description = "Over the day's invitations", body = Problem)),
    security(("secret_key" = [])))]
async fn invite_friends(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<InvitationsIn>,
) -> Result<Json<InvitationsOut>> {
    let pid = path_id(&id, ParticipantId::parse, "participant")?;
    let results = emails::invite(
        state.store.as_ref(),
        &auth.workspace_id,
        &pid,
        &input.emails,
        input.note,
        state.clock.now(),
    )
    .await?;
    Ok(Json(InvitationsOut {
        results: results
            .into_iter()
            .map(|(email, r)| {
                let (status, email_id) = match r {
                    Invited::Queued(id) => ("queued", Some(id.to_string())),
                    Invited::Duplicate => ("duplicate", None),
                    Invited::Suppressed => ("suppressed", None),
                    Invited::Own => ("own_address", None),
                    Invited::HeldOut => ("holdout", None),
                };
                InvitationOut {
                    email,
                    status: status.into(),
                    email_id,
                }
            })
            .collect(),
    }))
}

/// An address that gets no program emails.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuppressionOut {
    pub email: String,
    /// `unsubscribed` (messages about money owed still go), `bounced`, `complained`
    /// or `manual`.
    pub reason: SuppressionReason,
    pub created_at: String,
}

impl From<Suppression> for SuppressionOut {
    fn from(s: Suppression) -> Self {
        Self {
            email: s.email,
            reason: s.reason,
            created_at: rfc3339(s.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionIn {
    pub email: String,
    /// Default `manual`.
    pub reason: Option<SuppressionReason>,
}

/// The suppression list, by address.
#[utoipa::path(get, path = "/email-suppressions", tag = "emails",
    params(PageParams),
    responses((status = 200, description = "A page of addresses", body = List<SuppressionOut>)),
    security(("secret_key" = [])))]
async fn list_suppressions(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<List<SuppressionOut>>> {
    let limit = page.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let rows = state
        .store
        .list_suppressions(&auth.workspace_id, page.cursor.as_deref(), limit)
        .await?;
    let page = Page::from_rows(rows, limit, |s| s.email_normalized.clone());
    Ok(Json(List::from_page(page, SuppressionOut::from)))
}

/// Add an address to the suppression list (or change its reason).
#[utoipa::path(post, path = "/email-suppressions", tag = "emails",
    request_body = SuppressionIn,
    responses((status = 201, description = "Listed", body = SuppressionOut),
        (status = 422, description = "Not an address", body = Problem)),
    security(("secret_key" = [])))]
async fn add_suppression(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<SuppressionIn>,
) -> Result<(StatusCode, Json<SuppressionOut>)> {
    let s = emails::suppress(
        state.store.as_ref(),
        &auth.workspace_id,
        &input.email,
        input.reason.unwrap_or(SuppressionReason::Manual),
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// Remove an address from the suppression list: it gets program emails again.
#[utoipa::path(delete, path = "/email-suppressions/{email}", tag = "emails",
    params(("email" = String, Path, description = "The address")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "Not listed", body = Problem)),
    security(("secret_key" = [])))]
async fn delete_suppression(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(email): Path<String>,
) -> Result<StatusCode> {
    let e = vouch_domain::email::Email::parse("email", &email)?;
    if state
        .store
        .delete_suppression(&auth.workspace_id, e.normalized())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound {
            what: "suppressed address",
        })
    }
}

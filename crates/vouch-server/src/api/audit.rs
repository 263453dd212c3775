//! The audit log (`/api/v1/audit-log`) and the block list (`/api/v1/block-list`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::email::Email;
use vouch_store::{AuditEntry, BlockEntry};

use super::common::{rfc3339, List, PageParams};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use vouch_app::fraud::{fingerprint, ContextIn};
use vouch_app::reviews::audit;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit_log))
        .routes(routes!(list_block_list, add_block))
        .routes(routes!(remove_block))
}

/// One decision, automatic or manual.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub id: String,
    /// `system` for the fraud rules, else the id of the API key that asked.
    pub actor: String,
    /// `referral.held_for_review`, `referral.rejected`, `review.approved`,
    /// `review.rejected`, `participant.blocked`, `participant.unblocked`,
    /// `block_list.added`, `block_list.removed`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub reason: Option<String>,
    /// What the decision saw (the score and signals, say).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: String,
}

impl From<AuditEntry> for AuditOut {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id.to_string(),
            actor: e.actor,
            action: e.action,
            subject_type: e.subject_type,
            subject_id: e.subject_id,
            reason: e.reason,
            data: e.data,
            created_at: rfc3339(e.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only entries about this referral, participant or block list value.
    pub subject_id: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Read the audit log.
#[utoipa::path(get, path = "/audit-log", tag = "reviews",
    params(AuditFilter),
    responses((status = 200, description = "Newest first", body = List<AuditOut>)),
    security(("secret_key" = [])))]
async fn list_audit_log(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(f): ApiQuery<AuditFilter>,
) -> Result<Json<List<AuditOut>>> {
    let mut q = PageParams {
        limit: f.limit,
        cursor: f.cursor,
    }
    .query()?;
    q.subject_id = f
        .subject_id
        .map(|s| s.trim().chars().take(200).collect::<String>());
    let page = state.store.list_audit(&auth.workspace_id, &q).await?;
    Ok(Json(List::from_page(page, AuditOut::from)))
}

/// An entry of the block list.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct BlockIn {
    /// `email`, `domain`, `ip`, `device` or `payment`.
    pub kind: String,
    /// An email, a domain (`example.com`), an IP address (kept only as a keyed hash),
    /// a device id or a payment fingerprint (as your events send them).
    pub value: String,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockOut {
    pub kind: String,
    /// The normalized email or domain; for IPs, the keyed hash.
    pub value: String,
    pub created_at: String,
}

impl From<BlockEntry> for BlockOut {
    fn from(e: BlockEntry) -> Self {
        Self {
            kind: e.kind,
            value: e.label.unwrap_or(e.value),
            created_at: rfc3339(e.created_at),
        }
    }
}

/// The stored form of a block list value.
async fn normalize(
    state: &AppState,
    auth: &crate::auth::Auth,
    b: &BlockIn,
) -> Result<(String, Option<String>)> {
    let v = b.value.trim();
    match b.kind.as_str() {
        "email" => {
            let e = Email::parse("value", v)?;
            Ok((e.normalized().to_owned(), Some(e.normalized().to_owned())))
        }
        "domain" => {
            let d = vouch_domain::redirect::normalize_domain(v)
                .filter(|d| !d.starts_with("*."))
                .ok_or_else(|| ApiError::invalid("value", "is not a domain"))?;
            Ok((d.clone(), Some(d)))
        }
        "ip" => {
            let ctx = ContextIn {
                ip_address: Some(v.to_owned()),
                ..ContextIn::default()
            };
            let fp = fingerprint(state.store.as_ref(), &state.fraud, &auth.workspace_id, &ctx)
                .await
                .map_err(|_| ApiError::invalid("value", "must be a public IPv4 or IPv6 address"))?;
            let hash = fp.fingerprint.ip_hash.ok_or_else(|| {
                ApiError::invalid("value", "must be a public IPv4 or IPv6 address")
            })?;
            Ok((hash, None))
        }
        "device" | "payment" => {
            if v.is_empty() || v.chars().count() > 512 {
                return Err(ApiError::invalid("value", "must be 1 to 512 characters"));
            }
            Ok((v.to_owned(), Some(v.to_owned())))
        }
        _ => Err(ApiError::invalid(
            "kind",
            "must be email, domain, ip, device or payment",
        )),
    }
}

/// The block list.
#[utoipa::path(get, path = "/block-list", tag = "reviews",
    responses((status = 200, description = "Every entry; IPs as keyed hashes", body = Vec<BlockOut>)),
    security(("secret_key" = [])))]
async fn list_block_list(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
) -> Result<Json<Vec<BlockOut>>> {
    let entries = state.store.list_blocks(&auth.workspace_id).await?;
    Ok(Json(entries.into_iter().map(Into::into).collect()))
}

/// Add to the block list.
///
/// A referral whose friend matches (email, email domain, or network) gets the
/// `block_list` signal, which rejects it. Adding an entry twice is harmless.
#[utoipa::path(post, path = "/block-list", tag = "reviews",
    request_body = BlockIn,
    responses((status = 201, description = "Added", body = BlockOut)),
    security(("secret_key" = [])))]
async fn add_block(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<BlockIn>,
) -> Result<(StatusCode, Json<BlockOut>)> {
    let (value, label) = normalize(&state, &auth, &input).await?;
    let entry = BlockEntry {
        workspace_id: auth.workspace_id.clone(),
        kind: input.kind.clone(),
        value: value.clone(),
        label,
        created_at: state.clock.now(),
    };
    state.store.add_block(&entry).await?;
    audit(
        state.store.as_ref(),
        &auth.workspace_id,
        auth.key_id.as_str(),
        "block_list.added",
        ("block_list", format!("{}:{}", input.kind, value)),
        input.reason.map(|r| r.chars().take(1000).collect()),
        serde_json::Value::Null,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// Remove from the block list (the same body as adding).
#[utoipa::path(post, path = "/block-list/remove", tag = "reviews",
    request_body = BlockIn,
    responses((status = 200, description = "Removed (or was not there)", body = BlockOut)),
    security(("secret_key" = [])))]
async fn remove_block(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<BlockIn>,
) -> Result<Json<BlockOut>> {
    let (value, label) = normalize(&state, &auth, &input).await?;
    if state
        .store
        .remove_block(&auth.workspace_id, &input.kind, &value)
        .await?
    {
        audit(
            state.store.as_ref(),
            &auth.workspace_id,
            auth.key_id.as_str(),
            "block_list.removed",
            ("block_list", format!("{}:{}", input.kind, value)),
            input.reason.map(|r| r.chars().take(1000).collect()),
            serde_json::Value::Null,
            state.clock.now(),
        )
        .await?;
    }
    Ok(Json(BlockOut {
        kind: input.kind,
        value: label.unwrap_or(value),
        created_at: crate::api::common::rfc3339(state.clock.now()),
    }))
}

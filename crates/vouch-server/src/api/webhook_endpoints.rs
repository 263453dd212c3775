//! Webhook endpoints: `/api/v1/webhook-endpoints`, where Vouch sends every change of
//! state (Standard Webhooks), and each endpoint's delivery log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_app::webhooks::{self, delivery, EndpointInput, EndpointPatch, ROTATION_OVERLAP_MS};
use vouch_domain::ids::{MessageId, WebhookEndpointId};
use vouch_store::{MessageStatus, Page, WebhookEndpoint, WebhookMessage};

use super::common::{path_id, rfc3339, rfc3339_opt, List, PageParams};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(get_endpoint, update_endpoint, delete_endpoint))
        .routes(routes!(list_messages))
        .routes(routes!(retry_message))
        .routes(routes!(send_test))
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    /// Where to POST: an http or https URL on the public internet.
    pub url: String,
    pub description: Option<String>,
    /// The event types it wants (`reward.approved`, …); empty or absent: all.
    #[serde(default)]
    pub event_types: Vec<String>,
}

/// Rotating the secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateIn {
    /// How long the old secret keeps signing beside the new one (default 24).
    pub overlap_hours: Option<u32>,
}

/// Changes to an endpoint. `rotate_secret` makes a new secret (in the answer, once);
/// until the overlap ends each message carries both signatures.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatchIn {
    pub url: Option<String>,
    #[serde(default, deserialize_with = "super::programs::present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub event_types: Option<Vec<String>>,
    /// `true` enables a disabled endpoint again.
    pub enabled: Option<bool>,
    pub rotate_secret: Option<RotateIn>,
}

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointOut {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// Empty: every event type.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why Vouch disabled it (410 Gone, or five days of failures).
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed.
    pub failing_since: Option<String>,
    /// `whsec_…`: only when it was made (creation, rotation). Keep it: it is not shown
    /// again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// After a rotation, until when the previous secret signs too.
    pub previous_secret_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl EndpointOut {
    fn new(e: WebhookEndpoint, secret: Option<String>) -> Self {
        Self {
            id: e.id.to_string(),
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            failing_since: rfc3339_opt(e.failing_since),
            secret,
            previous_secret_until: rfc3339_opt(e.previous_secret_until),
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
        }
    }
}

/// Add an endpoint. The answer holds its signing secret, once.
#[utoipa::path(post, path = "/webhook-endpoints", tag = "webhooks",
    request_body = EndpointIn,
    responses((status = 201, description = "Created, with its secret", body = EndpointOut)),
    security(("secret_key" = [])))]
async fn create_endpoint(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<EndpointIn>,
) -> Result<(StatusCode, Json<EndpointOut>)> {
    let (e, secret) = webhooks::create(
        state.store.as_ref(),
        state.fraud.secret.as_deref(),
        &auth.workspace_id,
        EndpointInput {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
        },
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(EndpointOut::new(e, Some(secret)))))
}

/// List the workspace's endpoints.
#[utoipa::path(get, path = "/webhook-endpoints", tag = "webhooks",
    responses((status = 200, description = "Every endpoint, newest first", body = List<EndpointOut>)),
    security(("secret_key" = [])))]
async fn list_endpoints(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
) -> Result<Json<List<EndpointOut>>> {
    let all = state.store.list_endpoints(&auth.workspace_id).await?;
    Ok(Json(List {
        data: all.into_iter().map(|e| EndpointOut::new(e, None)).collect(),
        next_cursor: None,
    }))
}

async fn endpoint(
    state: &AppState,
    auth: &crate::auth::Auth,
    raw: &str,
) -> Result<WebhookEndpoint> {
    let id = path_id(raw, WebhookEndpointId::parse, "webhook endpoint")?;
    Ok(webhooks::get(state.store.as_ref(), &auth.workspace_id, &id).await?)
}

/// Get an endpoint.
#[utoipa::path(get, path = "/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`we_…`)")),
    responses((status = 200, description = "The endpoint", body = EndpointOut),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn get_endpoint(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<EndpointOut>> {
    Ok(Json(EndpointOut::new(
        endpoint(&state, &auth, &id).await?,
        None,
    )))
}

/// Change an endpoint, enable it again, or rotate its secret.
#[utoipa::path(patch, path = "/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`we_…`)")),
    request_body = EndpointPatchIn,
    responses((status = 200, description = "Changed (with the new secret after a rotation)", body = EndpointOut),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn update_endpoint(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EndpointPatchIn>,
) -> Result<Json<EndpointOut>> {
    let id = path_id(&id, WebhookEndpointId::parse, "webhook endpoint")?;
    let default_hours = u32::try_from(ROTATION_OVERLAP_MS / 3_600_000).unwrap_or(24);
    let (e, secret) = webhooks::update(
        state.store.as_ref(),
        state.fraud.secret.as_deref(),
        &auth.workspace_id,
        &id,
        EndpointPatch {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
            enabled: input.enabled,
            rotate_secret: input
                .rotate_secret
                .map(|r| r.overlap_hours.unwrap_or(default_hours)),
        },
        state.clock.now(),
    )
    .await?;
    Ok(Json(EndpointOut::new(e, secret)))
}

/// Remove an endpoint and its delivery log.
#[utoipa::path(delete, path = "/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`we_…`)")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn delete_endpoint(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = path_id(&id, WebhookEndpointId::parse, "webhook endpoint")?;
    webhooks::delete(state.store.as_ref(), &auth.workspace_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageParams {
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `pending`, `succeeded` or `failed`.
    pub status: Option<String>,
}

/// One message to an endpoint: its `webhook-id` is `id`, the same on every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: String,
    pub event_type: String,
    /// The change of state it reports (`act_…`, as in `/activity`); null for tests.
    pub event_id: Option<String>,
    /// `pending` (an attempt is due at `next_attempt_at`), `succeeded`, or `failed`
    /// (retries spent, or the endpoint was disabled).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    /// The last answer's status code.
    pub response_status: Option<i64>,
    /// The start of the last answer's body.
    pub response_body: Option<String>,
    /// How long the last attempt took.
    pub duration_ms: Option<i64>,
    /// Why the last attempt got no answer (refused address, DNS, timeout, …).
    pub last_error: Option<String>,
    /// The body sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<WebhookMessage> for MessageOut {
    fn from(m: WebhookMessage) -> Self {
        Self {
            id: m.id.to_string(),
            event_type: m.event_type,
            event_id: m.event_id,
            status: m.status.as_str().to_owned(),
            attempts: m.attempts,
            next_attempt_at: rfc3339_opt(m.next_attempt_at),
            response_status: m.response_status,
            response_body: m.response_body,
            duration_ms: m.duration_ms,
            last_error: m.last_error,
            payload: serde_json::from_str(&m.payload).unwrap_or_default(),
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
        }
    }
}

/// An endpoint's delivery log, newest first.
#[utoipa::path(get, path = "/webhook-endpoints/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`we_…`)"), MessageParams),
    responses((status = 200, description = "A page of messages", body = List<MessageOut>),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn list_messages(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<MessageParams>,
) -> Result<Json<List<MessageOut>>> {
    let e = endpoint(&state, &auth, &id).await?;
    let mut q = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .query()?;
    if let Some(s) = params.status {
        if MessageStatus::parse(&s).is_none() {
            return Err(ApiError::invalid(
                "status",
                "must be pending, succeeded or failed",
            ));
        }
        q.status = Some(s);
    }
    let rows = state.store.list_messages(&e.id, &q).await?;
    let page = Page::from_rows(rows, q.limit, |m| m.id.to_string());
    Ok(Json(List::from_page(page, MessageOut::from)))
}

/// Send a message again now.
#[utoipa::path(post, path = "/webhook-endpoints/{id}/deliveries/{message_id}/retry", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`we_…`)"),
        ("message_id" = String, Path, description = "Message id (`msg_…`)")),
    responses((status = 202, description = "Queued", body = MessageOut),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn retry_message(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path((id, message_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<MessageOut>)> {
    let e = endpoint(&state, &auth, &id).await?;
    let mid = path_id(&message_id, MessageId::parse, "message")?;
    let mut m = state
        .store
        .get_message(&mid)
        .await?
        .filter(|m| m.endpoint_id == e.id)
        .ok_or(ApiError::NotFound { what: "message" })?;
    delivery::retry(state.store.as_ref(), &mut m, state.clock.now()).await?;
    Ok((StatusCode::ACCEPTED, Json(m.into())))
}

/// Send a `webhook.test` message to the endpoint now.
#[utoipa::path(post, path = "/webhook-endpoints/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`we_…`)")),
    responses((status = 202, description = "Queued; follow it in the delivery log", body = MessageOut),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn send_test(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<MessageOut>)> {
    let e = endpoint(&state, &auth, &id).await?;
    let mid = delivery::send_test(state.store.as_ref(), &e, state.clock.now()).await?;
    let m = state
        .store
        .get_message(&mid)
        .await?
        .ok_or(ApiError::NotFound { what: "message" })?;
    Ok((StatusCode::ACCEPTED, Json(m.into())))
}

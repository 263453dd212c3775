//! Integrations: `/api/v1/integrations`, the shops (Shopify, WooCommerce, Stripe)
//! whose webhooks report a program's orders, refunds and signups, and
//! `/api/v1/integrations/{id}/deliveries`, what Vouch made of each webhook.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_app::integrations::{self, IntegrationPatch, NewIntegration};
use vouch_domain::ids::{IntegrationId, ProgramId};
use vouch_domain::integration::{IntegrationOptions, Platform, Verdict};
use vouch_store::{Delivery, Integration, Page};

use super::common::{path_id, rfc3339, rfc3339_opt, List, PageParams};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_integration, list_integrations))
        .routes(routes!(
            get_integration,
            update_integration,
            delete_integration
        ))
        .routes(routes!(list_deliveries))
}

/// A new integration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationIn {
    pub platform: Platform,
    /// The program its orders feed.
    pub program_id: String,
    pub name: Option<String>,
    /// The signing secret: Shopify's app client secret (or the one shown under
    /// Settings → Notifications → Webhooks), WooCommerce's webhook secret, Stripe's
    /// endpoint secret (`whsec_…`). For WooCommerce it may be left out: Vouch makes one
    /// and shows it once, to paste into the webhook's form. Never shown again.
    pub secret: Option<String>,
    #[serde(default)]
    pub options: IntegrationOptions,
}

/// Changes to an integration. A new `secret` replaces the old one, which keeps
/// verifying for `options.secret_overlap_hours` (default 24).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationPatchIn {
    pub program_id: Option<String>,
    /// A new name, or null to remove it.
    #[serde(default, deserialize_with = "super::programs::present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    pub secret: Option<String>,
    pub options: Option<IntegrationOptions>,
    pub enabled: Option<bool>,
}

/// An integration. Its secret is never shown after creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationOut {
    pub id: String,
    pub platform: Platform,
    pub program_id: String,
    pub name: Option<String>,
    pub enabled: bool,
    pub options: IntegrationOptions,
    /// Where the platform sends its webhooks: paste it into the shop's webhook form.
    pub webhook_url: String,
    /// The topics (Shopify, WooCommerce) or event types (Stripe) to subscribe to.
    pub topics: Vec<&'static str>,
    /// Only in the answer that created it, and only when Vouch made the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// After a rotation, until when the previous secret still verifies.
    pub previous_secret_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn topics(i: &Integration) -> Vec<&'static str> {
    match i.platform {
        Platform::Shopify => vec![
            match i.options.purchase_topic {
                vouch_domain::integration::ShopifyPurchaseTopic::OrdersPaid => "orders/paid",
                vouch_domain::integration::ShopifyPurchaseTopic::OrdersCreate => "orders/create",
            },
            "refunds/create",
            "customers/create",
        ],
        Platform::Woocommerce => vec!["order.created", "order.updated", "customer.created"],
        Platform::Stripe => vec![
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "invoice.paid",
            "charge.refunded",
        ],
    }
}

impl IntegrationOut {
    fn new(state: &AppState, i: Integration, secret: Option<String>) -> Self {
        Self {
            webhook_url: format!(
                "{}/hooks/{}/{}",
                state.config.public_url,
                i.platform.as_str(),
                i.id
            ),
            topics: topics(&i),
            id: i.id.to_string(),
            platform: i.platform,
            program_id: i.program_id.to_string(),
            name: i.name,
            enabled: i.enabled,
            options: i.options,
            secret,
            previous_secret_until: rfc3339_opt(i.previous_secret_until),
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
        }
    }
}

fn name(raw: Option<String>) -> Result<Option<String>> {
    let n = raw.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if n.as_ref()
        .is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control))
    {
        return Err(ApiError::invalid(
            "name",
            "must be at most 100 printable characters",
        ));
    }
    Ok(n)
}

fn program_id(raw: &str) -> Result<ProgramId> {
    ProgramId::parse(raw.trim())
        .ok_or_else(|| ApiError::invalid("program_id", "is not a program id"))
}

/// Connect a shop: Shopify, WooCommerce or Stripe.
///
/// The answer's `webhook_url` is where the platform sends its webhooks, and `topics`
/// says which to subscribe to.
#[utoipa::path(post, path = "/integrations", tag = "integrations",
    request_body = IntegrationIn,
    responses((status = 201, description = "Connected", body = IntegrationOut),
        (status = 404, description = "No such program", body = Problem)),
    security(("secret_key" = [])))]
async fn create_integration(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<IntegrationIn>,
) -> Result<(StatusCode, Json<IntegrationOut>)> {
    let (i, secret) = integrations::create(
        state.store.as_ref(),
        state.fraud.secret.as_deref(),
        &auth.workspace_id,
        NewIntegration {
            platform: input.platform,
            program_id: program_id(&input.program_id)?,
            name: name(input.name)?,
            secret: input.secret,
            options: input.options,
        },
        state.clock.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(IntegrationOut::new(&state, i, secret)),
    ))
}

/// List the workspace's integrations.
#[utoipa::path(get, path = "/integrations", tag = "integrations",
    responses((status = 200, description = "Every integration, newest first", body = List<IntegrationOut>)),
    security(("secret_key" = [])))]
async fn list_integrations(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
) -> Result<Json<List<IntegrationOut>>> {
    let all = state.store.list_integrations(&auth.workspace_id).await?;
    Ok(Json(List {
        data: all
            .into_iter()
            .map(|i| IntegrationOut::new(&state, i, None))
            .collect(),
        next_cursor: None,
    }))
}

/// Get an integration.
#[utoipa::path(get, path = "/integrations/{id}", tag = "integrations",
    params(("id" = String, Path, description = "Integration id (`int_…`)")),
    responses((status = 200, description = "The integration", body = IntegrationOut),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn get_integration(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<IntegrationOut>> {
    let id = path_id(&id, IntegrationId::parse, "integration")?;
    let i = integrations::get(state.store.as_ref(), &auth.workspace_id, &id).await?;
    Ok(Json(IntegrationOut::new(&state, i, None)))
}

/// Change an integration: its program, name, options, or secret (rotation), or
/// disable it (its webhooks are then answered 403 and change nothing).
#[utoipa::path(patch, path = "/integrations/{id}", tag = "integrations",
    params(("id" = String, Path, description = "Integration id (`int_…`)")),
    request_body = IntegrationPatchIn,
    responses((status = 200, description = "Changed", body = IntegrationOut),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn update_integration(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IntegrationPatchIn>,
) -> Result<Json<IntegrationOut>> {
    let id = path_id(&id, IntegrationId::parse, "integration")?;
    let patch = IntegrationPatch {
        program_id: input.program_id.as_deref().map(program_id).transpose()?,
        name: input.name.map(name).transpose()?,
        secret: input.secret,
        options: input.options,
        enabled: input.enabled,
    };
    let i = integrations::update(
        state.store.as_ref(),
        state.fraud.secret.as_deref(),
        &auth.workspace_id,
        &id,
        patch,
        state.clock.now(),
    )
    .await?;
    Ok(Json(IntegrationOut::new(&state, i, None)))
}

/// Disconnect a shop: its webhooks are answered 404 from now on, and its delivery log
/// is deleted. The events it recorded stay.
#[utoipa::path(delete, path = "/integrations/{id}", tag = "integrations",
    params(("id" = String, Path, description = "Integration id (`int_…`)")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn delete_integration(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = path_id(&id, IntegrationId::parse, "integration")?;
    integrations::delete(state.store.as_ref(), &auth.workspace_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Only deliveries with this verdict.
    pub verdict: Option<Verdict>,
}

/// One webhook a shop delivered (with a valid signature) and what Vouch made of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    /// The platform's id of the delivery (Shopify's webhook id, Stripe's event id).
    pub delivery_key: Option<String>,
    pub topic: String,
    pub verdict: Verdict,
    /// The status Vouch answered.
    pub status: u16,
    /// Why it was ignored, could not be read, or failed.
    pub reason: Option<String>,
    /// The events it recorded.
    pub event_ids: Vec<String>,
    /// The body as received (the first 64 KiB).
    pub body: String,
    pub received_at: String,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id.to_string(),
            delivery_key: d.delivery_key,
            topic: d.topic,
            verdict: d.verdict,
            status: d.status,
            reason: d.reason,
            event_ids: d.event_ids,
            body: d.body,
            received_at: rfc3339(d.received_at),
        }
    }
}

/// The inbound log of an integration: every verified delivery, newest first, with
/// its verdict (`processed`, `ignored`, `unmappable`, `failed`) and the reason.
#[utoipa::path(get, path = "/integrations/{id}/deliveries", tag = "integrations",
    params(("id" = String, Path, description = "Integration id (`int_…`)"), DeliveryParams),
    responses((status = 200, description = "A page of deliveries", body = List<DeliveryOut>),
        (status = 404, description = "Not found", body = Problem)),
    security(("secret_key" = [])))]
async fn list_deliveries(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<DeliveryParams>,
) -> Result<Json<List<DeliveryOut>>> {
    let id = path_id(&id, IntegrationId::parse, "integration")?;
    let i = integrations::get(state.store.as_ref(), &auth.workspace_id, &id).await?;
    let mut q = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .query()?;
    q.status = params.verdict.map(|v| v.as_str().to_owned());
    let rows = state.store.list_deliveries(&i.id, &q).await?;
    let page = Page::from_rows(rows, q.limit, |d| d.id.to_string());
    Ok(Json(List::from_page(page, DeliveryOut::from)))
}

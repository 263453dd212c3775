//! Inbound hooks: `POST /hooks/{platform}/{integration_id}`, where Shopify,
//! WooCommerce and Stripe deliver their webhooks. The signature is checked over the
//! raw body before anything is read or written; a verified delivery becomes events
//! through the same use case as `POST /api/v1/events`, and is logged with its verdict.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use vouch_app::integrations::{self, Received};
use vouch_domain::email::Email;
use vouch_domain::ids::IntegrationId;
use vouch_domain::integration::{Platform, Verdict};
use vouch_domain::{Millis, DAY_MS};
use vouch_store::Integration;

use crate::api::events::{record, validate, CustomerIn, EventIn};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub mod mapped;
pub mod shopify;
pub mod signature;
pub mod stripe;
pub mod woocommerce;

use mapped::{Mapped, ShopEvent};
use signature::Refusal;

/// Shops send whole orders: a few hundred line items pass 64 KiB.
const HOOK_LIMIT: usize = 5 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hooks/{platform}/{integration_id}", post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(HOOK_LIMIT))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn problem(status: StatusCode, code: &str, detail: impl Into<String>) -> Response {
    Problem::new(status, code, detail.into(), None).into_response()
}

async fn receive(
    State(state): State<AppState>,
    Path((platform, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&state, &platform, &id, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(
    state: &AppState,
    platform: &str,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let integration = match (Platform::parse(platform), IntegrationId::parse(id)) {
        (Some(p), Some(id)) => state
            .store
            .find_integration(&id)
            .await?
            .filter(|i| i.platform == p),
        _ => None,
    };
    let Some(integration) = integration else {
        return Ok(problem(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such integration",
        ));
    };
    if !integration.enabled {
        return Ok(problem(
            StatusCode::FORBIDDEN,
            "integration_disabled",
            "this integration is disabled in Vouch",
        ));
    }
    let p = integration.platform;
    // WooCommerce pings a new webhook's URL, unsigned, with `webhook_id=…`: it only
    // saves the webhook when the answer is 200.
    if p == Platform::Woocommerce
        && header(headers, "x-wc-webhook-signature").is_none()
        && body.starts_with(b"webhook_id=")
    {
        return Ok(Json(json!({"ok": true})).into_response());
    }
    let secrets = integrations::secrets(
        state.store.as_ref(),
        state.fraud.secret.as_deref(),
        &integration,
        now,
    )
    .await?;
    let verified = match p {
        Platform::Shopify => {
            signature::base64_body(header(headers, "x-shopify-hmac-sha256"), body, &secrets)
        }
        Platform::Woocommerce => {
            signature::base64_body(header(headers, "x-wc-webhook-signature"), body, &secrets)
        }
        Platform::Stripe => {
            signature::stripe(header(headers, "stripe-signature"), body, &secrets, now)
        }
    };
    if let Err(refusal) = verified {
        metrics::counter!("vouch_hook_refused_total", "platform" => p.as_str()).increment(1);
        let (code, detail) = match refusal {
            Refusal::Missing => ("signature_missing", "the delivery is not signed"),
            Refusal::Mismatch => (
                "signature_invalid",
                "the signature does not match this integration's secret",
            ),
            Refusal::Stale => (
                "signature_stale",
                "the signed timestamp is more than five minutes from now",
            ),
        };
        return Ok(problem(StatusCode::UNAUTHORIZED, code, detail));
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let (topic, key) = match p {
        Platform::Shopify => (
            header(headers, "x-shopify-topic").map(str::to_owned),
            header(headers, "x-shopify-webhook-id").map(str::to_owned),
        ),
        Platform::Woocommerce => (
            header(headers, "x-wc-webhook-topic").map(str::to_owned),
            header(headers, "x-wc-webhook-delivery-id").map(str::to_owned),
        ),
        Platform::Stripe => (
            parsed
                .as_ref()
                .and_then(|v| v["type"].as_str().map(str::to_owned)),
            parsed
                .as_ref()
                .and_then(|v| v["id"].as_str().map(str::to_owned)),
        ),
    };
    let topic = topic.unwrap_or_default();
    let key = key.filter(|k| !k.is_empty() && k.len() <= 255 && !k.chars().any(char::is_control));
    let received = Received {
        integration: &integration,
        delivery_key: key.as_deref(),
        topic: &topic,
        body,
    };
    if let Some(k) = &key {
        if let Some(d) = state.store.final_delivery(&integration.id, k).await? {
            return Ok(Json(json!({
                "delivery_id": d.id.as_str(),
                "verdict": d.verdict,
                "duplicate": true,
                "event_ids": d.event_ids,
            }))
            .into_response());
        }
    }
    let mapped = match &parsed {
        None => Mapped::Unmappable("the body is not JSON".into()),
        Some(v) => match p {
            Platform::Shopify => shopify::map(&topic, v, &integration.options),
            Platform::Woocommerce => woocommerce::map(&topic, v, &integration.options),
            Platform::Stripe => stripe::map(v),
        },
    };
    let store = state.store.as_ref();
    let (verdict, status, reason, ids) = match mapped {
        Mapped::Ignored(reason) => {
            tracing::info!(integration = %integration.id, %topic, %reason, "delivery ignored");
            (Verdict::Ignored, StatusCode::OK, Some(reason), vec![])
        }
        Mapped::Unmappable(reason) => (
            Verdict::Unmappable,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(reason),
            vec![],
        ),
        Mapped::Events(events) => record_all(state, &integration, events, now).await,
    };
    metrics::counter!("vouch_hook_deliveries_total",
        "platform" => p.as_str(), "verdict" => verdict.as_str())
    .increment(1);
    let logged = integrations::log(
        store,
        &received,
        verdict,
        status.as_u16(),
        reason.clone(),
        ids.clone(),
        now,
    )
    .await?;
    if status.is_success() {
        let mut out = json!({
            "delivery_id": logged.id.as_str(),
            "verdict": verdict,
            "event_ids": ids,
        });
        if let Some(r) = reason {
            out["reason"] = json!(r);
        }
        return Ok((status, Json(out)).into_response());
    }
    let code = match verdict {
        Verdict::Unmappable => "unmappable_payload",
        _ => "delivery_failed",
    };
    Ok(problem(status, code, reason.unwrap_or_default()))
}

/// Records a delivery's events in order; the first that fails decides the verdict
/// (the shop retries, and the ones already recorded replay as themselves).
async fn record_all(
    state: &AppState,
    integration: &Integration,
    events: Vec<ShopEvent>,
    now: Millis,
) -> (Verdict, StatusCode, Option<String>, Vec<String>) {
    let mut ids = vec![];
    for e in events {
        match record_one(state, integration, e, now).await {
            Ok(id) => ids.extend(id),
            Err(ApiError::Invalid { field, message }) => {
                return (
                    Verdict::Unmappable,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(format!("{field} {message}")),
                    ids,
                )
            }
            Err(e) => {
                let status = match &e {
                    ApiError::Conflict { .. } | ApiError::Illegal(_) => StatusCode::CONFLICT,
                    ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                if status == StatusCode::INTERNAL_SERVER_ERROR {
                    tracing::error!(integration = %integration.id, error = %e, "delivery failed");
                }
                return (Verdict::Failed, status, Some(e.to_string()), ids);
            }
        }
    }
    (Verdict::Processed, StatusCode::OK, None, ids)
}

/// When it happened: the shop's time when it is recent (a retried delivery keeps
/// its moment), else now (an order paid long after it was placed is paid now).
fn occurred(at: Option<Millis>, now: Millis) -> Millis {
    at.filter(|t| *t <= now && now - *t <= 3 * DAY_MS)
        .unwrap_or(now)
}

async fn record_one(
    state: &AppState,
    integration: &Integration,
    e: ShopEvent,
    now: Millis,
) -> Result<Option<String>, ApiError> {
    let Some(kind) = e.kind else { return Ok(None) };
    // A malformed address is dropped when the shop's customer id names them anyway.
    let email = e
        .email
        .filter(|m| e.customer_id.is_none() || Email::parse("email", m).is_ok());
    // A discount code that is a referral code attributes like one.
    let referral_code = e.referral_code.or_else(|| {
        e.coupon_codes
            .iter()
            .find(|c| vouch_domain::code::ReferralCode::lookup_key(c).is_some())
            .cloned()
    });
    let input = EventIn {
        kind,
        event: None,
        program_id: integration.program_id.to_string(),
        customer: Some(CustomerIn {
            email,
            external_id: e.customer_id,
        }),
        click_id: e.click_id,
        referral_code,
        coupon_code: e.coupon_codes.into_iter().next(),
        order_id: e.order_id,
        amount: e.amount.map(|m| m.amount),
        refund_id: e.refund_id,
        currency: e.amount.map(|m| m.currency.to_string()),
        occurred_at: Some(vouch_domain::views::rfc3339(occurred(e.occurred_at, now))),
        context: vouch_app::fraud::ContextIn {
            ip_address: e.ip_address,
            user_agent: e.user_agent,
            ..Default::default()
        },
    };
    let checked = validate(input, &HeaderMap::new(), now)?;
    let recorded = record(state, &integration.workspace_id, checked).await?;
    let body: Value = serde_json::from_str(&recorded.body).unwrap_or_default();
    Ok(body["id"].as_str().map(str::to_owned))
}

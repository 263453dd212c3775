//! Events: `POST /api/v1/events`, the merchant reporting signups, purchases and refunds.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::code::ReferralCode;
use vouch_domain::email::Email;
use vouch_domain::event::EventKind;
use vouch_domain::ids::{ClickId, ProgramId};
use vouch_domain::money::{Currency, Money};

use super::common::{field_id, parse_time};
use super::participants::clean_external_id;
use crate::auth::Auth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiJson;
use crate::state::AppState;
use vouch_app::events::{record_event, EventInput};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_event))
}

/// The friend the event is about: an email, the merchant's customer id, or both.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct CustomerIn {
    pub email: Option<String>,
    pub external_id: Option<String>,
}

/// A signup, purchase, subscription payment, refund or custom event.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EventIn {
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// For `custom` events: the name a rule pays on (`"on": "event"`), such as
    /// `app_installed`, `account_verified` or `trial_started`.
    pub event: Option<String>,
    pub program_id: String,
    /// Required for signups and purchases.
    pub customer: Option<CustomerIn>,
    /// The `vouch_click` value the friend arrived with (strongest attribution).
    pub click_id: Option<String>,
    /// A referral code the friend entered or arrived with.
    pub referral_code: Option<String>,
    /// A coupon code used with a purchase. A coupon Vouch issued to a referred friend
    /// attributes the purchase to their advocate, and is marked redeemed.
    pub coupon_code: Option<String>,
    /// The merchant's order id: the same order twice has one effect. Required for refunds.
    pub order_id: Option<String>,
    /// Order amount in minor units. For a refund, the amount refunded (absent: all of
    /// it).
    pub amount: Option<i64>,
    /// For refunds: the shop's own refund id (Shopify, WooCommerce and Stripe each give
    /// one). Two refunds of one order need it (or an `Idempotency-Key`): a second
    /// refund of an order without either is refused (409 `refund_ambiguous`), since it
    /// cannot be told from a retry.
    pub refund_id: Option<String>,
    /// ISO 4217; required with `amount`.
    pub currency: Option<String>,
    /// RFC 3339; default now. Holds and windows count from it. At most 5 minutes ahead
    /// of the server's clock (422 beyond).
    pub occurred_at: Option<String>,
    /// The friend's network and device, for the fraud rules.
    #[serde(flatten)]
    pub context: vouch_app::fraud::ContextIn,
}

pub use vouch_app::events::EventOut;

/// The `Idempotency-Key` header, if sent: 1 to 255 visible characters.
pub fn idempotency_header(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let k = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::invalid("Idempotency-Key", "must be 1 to 255 visible characters")
        })?;
    Ok(Some(k.to_owned()))
}

pub(crate) fn validate(
    input: EventIn,
    headers: &HeaderMap,
    now: vouch_domain::Millis,
) -> Result<(ProgramId, EventInput, vouch_app::fraud::ContextIn)> {
    let context = input.context.clone();
    let program_id = ProgramId::parse(input.program_id.trim())
        .ok_or_else(|| ApiError::invalid("program_id", "is not a valid program id"))?;
    let customer = input.customer.unwrap_or_default();
    let email = customer
        .email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .map(|e| Email::parse("customer.email", e))
        .transpose()?;
    let external_id = clean_external_id("customer.external_id", customer.external_id)?;
    if input.kind != EventKind::Refund && email.is_none() && external_id.is_none() {
        return Err(ApiError::invalid(
            "customer",
            "needs an email or an external_id",
        ));
    }
    let click_id = field_id(
        "click_id",
        input.click_id.as_deref().filter(|s| !s.is_empty()),
        ClickId::parse,
    )?;
    let referral_code = match input.referral_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(
            ReferralCode::lookup_key(c)
                .ok_or_else(|| ApiError::invalid("referral_code", "is not a referral code"))?,
        ),
    };
    let coupon_code = input
        .coupon_code
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if coupon_code.as_ref().is_some_and(|c| c.len() > 100) {
        return Err(ApiError::invalid(
            "coupon_code",
            "must be at most 100 characters",
        ));
    }
    let order_id = input
        .order_id
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty());
    if order_id.as_ref().is_some_and(|o| o.len() > 255) {
        return Err(ApiError::invalid(
            "order_id",
            "must be at most 255 characters",
        ));
    }
    if input.kind == EventKind::Refund && order_id.is_none() {
        return Err(ApiError::invalid("order_id", "is required for a refund"));
    }
    let amount = match (input.amount, input.currency.as_deref()) {
        (None, None) => None,
        (Some(_), None) => return Err(ApiError::invalid("currency", "is required with amount")),
        (None, Some(_)) => return Err(ApiError::invalid("amount", "is required with currency")),
        (Some(a), Some(c)) => {
            // Bounded, so that no sum of a program's amounts can overflow.
            if !(0..=vouch_domain::rules::MAX_AMOUNT).contains(&a) {
                return Err(ApiError::invalid(
                    "amount",
                    "must be between 0 and 1000000000000 (minor units)",
                ));
            }
            Some(Money::new(a, Currency::parse("currency", c)?))
        }
    };
    let occurred_at = match input.occurred_at.as_deref() {
        Some(t) => parse_time("occurred_at", t)?,
        None => now,
    };
    vouch_domain::event::check_occurred_at(occurred_at, now)?;
    let idempotency_key = idempotency_header(headers)?;
    let event_name = match (input.kind, input.event.as_deref()) {
        (EventKind::Custom, Some(name)) => {
            Some(vouch_domain::event::EventName::parse("event", name)?)
        }
        (EventKind::Custom, None) => {
            return Err(ApiError::invalid(
                "event",
                "is required for a custom event: its name, such as app_installed",
            ))
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "event",
                "only applies to custom events (\"type\": \"custom\")",
            ))
        }
        (_, None) => None,
    };
    let refund_id = match input.refund_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(_) if input.kind != EventKind::Refund => {
            return Err(ApiError::invalid("refund_id", "only applies to refunds"))
        }
        Some(r) if r.len() > 255 || r.chars().any(char::is_control) => {
            return Err(ApiError::invalid(
                "refund_id",
                "must be 1 to 255 printable characters",
            ))
        }
        Some(r) => Some(r.to_owned()),
    };
    Ok((
        program_id,
        EventInput {
            kind: input.kind,
            event_name,
            refund_id,
            email,
            external_id,
            click_id,
            referral_code,
            coupon_code,
            order_id,
            amount,
            occurred_at,
            idempotency_key,
            fingerprint: Default::default(),
            ip_range_hash: None,
            hasher: None,
        },
        context,
    ))
}

/// Record a signup, purchase, subscription payment, refund or custom event.
///
/// Attributes by click id, then referral code, then a coupon issued to a referred
/// friend, then the friend's earlier attributed event. The program's goal (the
/// referrer rule's `on`: by default the first qualifying purchase) converts the
/// referral; each rule pays on its own step. An event that earns nothing says why in
/// the referral's `skipped_rewards`. Sending the same
/// `order_id` (or `Idempotency-Key` header) again returns the first answer unchanged,
/// with `Idempotent-Replayed: true`. Publishable keys may record signups and arrivals
/// only; an arrival's answer to them carries the friend's `offer` (its coupon code).
#[utoipa::path(post, path = "/events", tag = "events",
    request_body = EventIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "Recorded (or replayed)", body = EventOut),
        (status = 403, description = "A publishable key sent something other than a signup or an arrival", body = Problem),
        (status = 404, description = "No such program in this workspace", body = Problem),
        (status = 409, description = "The same event is being recorded right now, or a second refund of an order without a `refund_id` (`refund_ambiguous`)", body = Problem)),
    security(("secret_key" = []), ("publishable_key" = [])))]
async fn create_event(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(input): ApiJson<EventIn>,
) -> Result<Response> {
    if !matches!(input.kind, EventKind::Signup | EventKind::Arrival) {
        auth.require_secret()?;
    }
    let checked = validate(input, &headers, state.clock.now())?;
    let recorded = record(&state, &auth.workspace_id, checked).await?;
    let status = StatusCode::from_u16(recorded.status).unwrap_or(StatusCode::CREATED);
    // A publishable key speaks for a browser: it learns that the event was taken,
    // never the referral's risk, its signals or what the block list says.
    let body = match auth.kind {
        vouch_store::KeyKind::Secret => recorded.body,
        vouch_store::KeyKind::Publishable => browser_answer(&recorded.body),
    };
    let mut resp = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    if recorded.replayed {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// Records a validated event: the request's network and device hashed under the
/// workspace's key, the program from a short-lived cache (events are the hot write
/// path). Shared by `POST /events` and the shops' webhooks.
pub(crate) async fn record(
    state: &AppState,
    ws: &vouch_domain::ids::WorkspaceId,
    (program_id, mut input, context): (ProgramId, EventInput, vouch_app::fraud::ContextIn),
) -> Result<vouch_app::events::Recorded> {
    let sighting =
        vouch_app::fraud::fingerprint(state.store.as_ref(), &state.fraud, ws, &context).await?;
    input.fingerprint = sighting.fingerprint;
    input.ip_range_hash = sighting.ip_range_hash;
    input.hasher = sighting.hasher;
    let key = (ws.clone(), program_id.clone());
    let program = state
        .programs
        .get_or_load(&key, state.store.get_program(ws, &program_id))
        .await?
        .ok_or(ApiError::NotFound { what: "program" })?;
    Ok(record_event(
        state.store.as_ref(),
        &state.clock,
        &state.fraud,
        &program,
        &input,
    )
    .await?)
}

/// What a publishable key is told about an event it recorded: its id and type, that
/// it was accepted, and for an arrival the friend's offer (their coupon code, or that
/// it is being checked); never the referral's risk or signals.
fn browser_answer(body: &str) -> String {
    let full: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let mut out = serde_json::json!({
        "id": full["id"],
        "type": full["type"],
        "accepted": true,
    });
    if full["type"] == "arrival" {
        out["offer"] = offer_of(&full);
    }
    out.to_string()
}

/// The friend's offer in an arrival's answer: `issued` with the coupon code (or the
/// credit), `pending` while the referral is reviewed, `out_of_codes` while its coupon
/// pool is empty, `unavailable` otherwise.
pub fn offer_of(full: &serde_json::Value) -> serde_json::Value {
    let reward = full["rewards"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["trigger"] == "arrival"));
    match reward {
        Some(r)
            if matches!(
                r["status"].as_str(),
                Some("approved" | "redeemed" | "fulfilled")
            ) =>
        {
            serde_json::json!({
                "status": "issued",
                "kind": r["kind"],
                "coupon_code": r["coupon_code"],
                "coupon_expires_at": r["coupon_expires_at"],
                "amount": r["amount"],
                "currency": r["currency"],
            })
        }
        // Its pool has no free code: issued as soon as the merchant uploads more.
        Some(r) if r["pending_reason"] == "coupon_pool_empty" => {
            serde_json::json!({"status": "out_of_codes"})
        }
        Some(r) if r["status"] == "pending" => serde_json::json!({"status": "pending"}),
        _ => serde_json::json!({"status": "unavailable"}),
    }
}

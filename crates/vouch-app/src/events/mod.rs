//! Recording a signup, purchase or refund: attribution, the referral's status, the
//! rewards and their ledger entries, all in one transaction, exactly once.

use vouch_domain::email::Email;
use vouch_domain::event::{idempotency_key, EventKind, EventName, Occurrence};
use vouch_domain::ids::{ClickId, CustomerId, EventId};
use vouch_domain::money::Money;
use vouch_domain::Millis;
use vouch_store::{NewEvent, Program, Referral, Reward, Store, StoredResponse};

use super::clock::Clock;
use crate::error::{AppError, Result};
use crate::fraud::FraudData;

mod attributing;
mod conversion;
mod refund;
mod steps;

use attributing::*;
use conversion::*;
use refund::*;
use steps::*;

/// An event as the merchant reported it, already validated.
#[derive(Debug, Clone)]
pub struct EventInput {
    pub kind: EventKind,
    /// For `custom` events: which (`app_installed`).
    pub event_name: Option<EventName>,
    /// For refunds: the shop's own refund id (Shopify, WooCommerce and Stripe each
    /// give one), so two partial refunds of one order are told apart.
    pub refund_id: Option<String>,
    pub email: Option<Email>,
    pub external_id: Option<String>,
    pub click_id: Option<ClickId>,
    /// Canonical (upper-case) referral code.
    pub referral_code: Option<String>,
    /// A coupon code the friend used: attributes to the advocate whose friend it was
    /// issued to, and marks that coupon redeemed.
    pub coupon_code: Option<String>,
    pub order_id: Option<String>,
    pub amount: Option<Money>,
    pub occurred_at: Millis,
    pub idempotency_key: Option<String>,
    /// The friend's network (keyed hash), browser (hash), device and payment method,
    /// when the merchant sends them.
    pub fingerprint: vouch_store::Fingerprint,
    /// The keyed hash of the friend's network range (/24, /48).
    pub ip_range_hash: Option<String>,
    /// The workspace's keyed hasher (from [`fingerprint`](crate::fraud::fingerprint)):
    /// without it the friend's identities are not compared across the workspace.
    pub hasher: Option<crate::hashing::IpHasher>,
}

impl EventInput {
    /// The friend's step this event reports, as the rules see it.
    pub fn occurrence(&self) -> Option<Occurrence> {
        Some(match self.kind {
            EventKind::Signup => Occurrence::Signup,
            EventKind::Purchase => Occurrence::Purchase,
            EventKind::SubscriptionPayment => Occurrence::SubscriptionPayment,
            EventKind::Custom => Occurrence::Custom(self.event_name?),
            EventKind::Arrival => Occurrence::Arrival,
            EventKind::Refund => return None,
        })
    }
}

/// The answer to an event request: fresh, or replayed from the first time.
pub struct Recorded {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Concurrent transactions on PostgreSQL can lose a race on a unique key; the loser
/// retries from the start and then sees the winner's rows.
const ATTEMPTS: usize = 4;

pub async fn record_event(
    store: &dyn Store,
    clock: &Clock,
    fraud: &FraudData,
    program: &Program,
    input: &EventInput,
) -> Result<Recorded> {
    let key = idempotency_key(
        input.kind,
        input.idempotency_key.as_deref(),
        input.order_id.as_deref(),
        input.refund_id.as_deref(),
        input.amount.map(|m| m.amount),
    );

    // No read before the write: the unique key on the event's idempotency key decides,
    // and a replay costs one refused insert.
    let mut last_err = None;
    for _ in 0..ATTEMPTS {
        match attempt(store, clock.now(), fraud, program, input, key.as_deref()).await {
            Ok(r) => return Ok(r),
            Err(AppError::Store(e)) if e.is_retryable() => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err
        .map(AppError::Store)
        .unwrap_or_else(|| AppError::Internal(anyhow::anyhow!("event retries exhausted"))))
}

fn replay(stored: StoredResponse) -> Recorded {
    Recorded {
        status: stored.status,
        body: stored.body,
        replayed: true,
    }
}

async fn attempt(
    store: &dyn Store,
    now: Millis,
    fraud: &FraudData,
    program: &Program,
    input: &EventInput,
    key: Option<&str>,
) -> Result<Recorded> {
    let event_id = EventId::new();
    let mut tx = store.begin().await?;
    let claimed = tx
        .claim_event(&NewEvent {
            id: event_id.clone(),
            workspace_id: program.workspace_id.clone(),
            program_id: program.id.clone(),
            // A custom event keeps its name: backtests replay it.
            kind: match (input.kind, input.event_name) {
                (EventKind::Custom, Some(name)) => format!("custom:{name}"),
                (kind, _) => kind.as_str().into(),
            },
            idempotency_key: key
                .map(str::to_owned)
                .unwrap_or_else(|| event_id.to_string()),
            order_id: input.order_id.clone(),
            amount: input.amount.map(|m| m.amount),
            currency: input.amount.map(|m| m.currency),
            occurred_at: input.occurred_at,
            created_at: now,
            ip_hash: input.fingerprint.ip_hash.clone(),
            device_id: input.fingerprint.device_id.clone(),
            payment_fingerprint: input.fingerprint.payment_fingerprint.clone(),
        })
        .await?;
    if !claimed {
        // The same event was recorded first by another request (or instance).
        drop(tx);
        // A partial refund keyed by its order and amount alone: a retry and a second
        // refund of the same amount look the same, so neither is guessed. (A full
        // refund sent again can only be a retry.)
        if input.kind == EventKind::Refund
            && input.amount.is_some()
            && input.refund_id.is_none()
            && input.idempotency_key.is_none()
        {
            return Err(AppError::Conflict {
                code: "refund_ambiguous",
                field: Some("refund_id".into()),
                message: "this order already has a refund of this amount recorded \
                          without a refund_id: send the shop's refund_id (or an \
                          Idempotency-Key) with every partial refund, so a second refund \
                          is told apart from a retry"
                    .into(),
            });
        }
        let stored = store
            .get_event_response(&program.id, key.unwrap_or_default())
            .await?
            .ok_or(AppError::Conflict {
                code: "event_in_progress",
                field: None,
                message: "the same event is being recorded by another request; retry".into(),
            })?;
        return Ok(replay(stored));
    }
    let outcome = match input.kind {
        EventKind::Signup
        | EventKind::Purchase
        | EventKind::SubscriptionPayment
        | EventKind::Custom
        | EventKind::Arrival => {
            attribute(tx.as_mut(), fraud, program, input, &event_id, now).await?
        }
        EventKind::Refund => refund(tx.as_mut(), program, input, &event_id, now).await?,
    };
    let out = EventOut::new(&event_id, program, input, &outcome);
    let body = serde_json::to_string(&out).map_err(|e| AppError::Internal(e.into()))?;
    let response = StoredResponse { status: 201, body };
    tx.finish_event(
        &event_id,
        outcome.customer.as_ref(),
        outcome.referral.as_ref().map(|r| &r.id),
        &response,
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("vouch_events_total", "type" => input.kind.as_str()).increment(1);
    for r in &outcome.rewards {
        if r.event_id.as_ref() == Some(&event_id) {
            metrics::counter!("vouch_rewards_total", "role" => r.role.as_str()).increment(1);
        }
    }
    Ok(Recorded {
        status: response.status,
        body: response.body,
        replayed: false,
    })
}

/// What an event did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub customer: Option<CustomerId>,
    pub referral: Option<Referral>,
    /// Rewards created or changed by this event.
    pub rewards: Vec<Reward>,
}

/// What an event did.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct EventOut {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub program_id: String,
    pub order_id: Option<String>,
    pub occurred_at: String,
    /// The referral the event was attributed to, or null.
    pub referral: Option<vouch_domain::views::ReferralOut>,
    /// Rewards this event created or changed.
    pub rewards: Vec<vouch_domain::views::RewardOut>,
}

impl EventOut {
    pub fn new(id: &EventId, program: &Program, input: &EventInput, outcome: &Outcome) -> Self {
        Self {
            id: id.to_string(),
            kind: input.kind,
            program_id: program.id.to_string(),
            order_id: input.order_id.clone(),
            occurred_at: vouch_domain::views::rfc3339(input.occurred_at),
            referral: outcome
                .referral
                .clone()
                .map(vouch_domain::views::ReferralOut::from),
            rewards: outcome
                .rewards
                .iter()
                .cloned()
                .map(vouch_domain::views::RewardOut::from)
                .collect(),
        }
    }
}

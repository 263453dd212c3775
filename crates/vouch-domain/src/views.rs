//! How entities are shown outside Vouch: the API's answers, the activity feed and
//! (later) webhook payloads share these shapes, so a reward looks the same everywhere.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::attribution::{AttributionSource, ReferralStatus, RejectReason};
use crate::entities::{PendingReason, Referral, Review, Reward};
use crate::program::RewardKind;
use crate::reward::{RewardStatus, Role};
use crate::Millis;

/// RFC 3339 (UTC) for a stored time.
pub fn rfc3339(ms: Millis) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn rfc3339_opt(ms: Option<Millis>) -> Option<String> {
    ms.map(rfc3339)
}

/// An advocate → friend relationship.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReferralOut {
    pub id: String,
    pub program_id: String,
    pub status: ReferralStatus,
    /// Why a `rejected` referral earns nothing.
    pub reason: Option<RejectReason>,
    pub referrer_participant_id: String,
    /// The friend, once they became a participant (at their first purchase).
    pub referee_participant_id: Option<String>,
    /// How it was attributed.
    pub source: AttributionSource,
    pub click_id: Option<String>,
    pub created_at: String,
    pub signed_up_at: Option<String>,
    pub converted_at: Option<String>,
    /// Purchases and subscription payments attributed so far.
    pub payments: i64,
    /// Rewards a rule would have given but a limit or condition refused, and why
    /// (`advocate_cap`, `budget`, `min_order_amount`, …).
    pub skipped_rewards: Vec<crate::rules::Skipped>,
    /// While the referral still waits for the step that converts it (`clicked`,
    /// `signed_up`): why the friend's last payment did not qualify (`min_order_amount`,
    /// `currency_mismatch`, …), or null.
    pub waiting_because: Option<crate::rules::Skipped>,
    /// 0–100: the sum of the fraud signals' weights.
    pub risk_score: i64,
    /// Why the referral looks risky, each with a stable `code` and an explanation.
    pub signals: Vec<crate::fraud::Signal>,
    /// `pending` while held in the review queue, then `approved` or `rejected`.
    pub review: Option<Review>,
    pub updated_at: String,
}

impl From<Referral> for ReferralOut {
    fn from(r: Referral) -> Self {
        let waiting_because = if r.status.awaits_conversion() {
            r.skipped
                .iter()
                .rev()
                .find(|s| s.reason.is_condition())
                .cloned()
        } else {
            None
        };
        Self {
            waiting_because,
            id: r.id.to_string(),
            program_id: r.program_id.to_string(),
            status: r.status,
            reason: r.reason,
            referrer_participant_id: r.referrer_participant_id.to_string(),
            referee_participant_id: r.referee_participant_id.map(|p| p.to_string()),
            source: r.source,
            click_id: r.click_id.map(|c| c.to_string()),
            created_at: rfc3339(r.created_at),
            signed_up_at: rfc3339_opt(r.signed_up_at),
            converted_at: rfc3339_opt(r.converted_at),
            payments: r.payments,
            skipped_rewards: r.skipped,
            risk_score: r.risk_score,
            signals: r.signals,
            review: r.review,
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// Value owed to a participant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RewardOut {
    pub id: String,
    pub program_id: String,
    pub participant_id: String,
    /// Null for rewards not tied to a referral (the welcome reward).
    pub referral_id: Option<String>,
    /// The event that earned it.
    pub event_id: Option<String>,
    /// Which payment of the referral earned it: `first_purchase`, `purchase:2`,
    /// `month:3`, `milestone:0`, `welcome`.
    pub trigger: String,
    pub role: Role,
    pub kind: RewardKind,
    /// Minor units (a percent-off coupon: 0, with `percent_off`).
    pub amount: i64,
    pub currency: String,
    /// For a percent-off coupon: its percent (`20` for 20% off).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub percent_off: Option<crate::rules::Percent>,
    /// What it is worth, written for people: `10.00 USD`, `20% off`, `50 PTS`.
    pub display: String,
    pub status: RewardStatus,
    /// When the hold ends (approval).
    pub approve_at: String,
    /// The rule that produced it, as it was then.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    /// What the rule was applied to: the event, the order and its amount, how the
    /// referral was attributed. With `rule`, why this reward exists.
    #[schema(value_type = Object)]
    pub inputs: serde_json::Value,
    /// The program version whose rule produced it.
    pub program_version: i64,
    /// Why a `pending` reward waits beyond its hold: `review` (its referral is held) or
    /// `coupon_pool_empty`.
    pub pending_reason: Option<PendingReason>,
    /// Taken back by partial refunds so far (minor units).
    pub reversed_amount: i64,
    /// For coupon rewards: the code and when it expires.
    pub coupon_code: Option<String>,
    pub coupon_expires_at: Option<String>,
    /// For gift cards and custom rewards: the merchant's fulfilment reference.
    pub fulfilment_reference: Option<String>,
    pub fulfilled_at: Option<String>,
    /// For cash: the payout line that pays it.
    pub payout_line_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Reward> for RewardOut {
    fn from(r: Reward) -> Self {
        let percent_off = (r.kind == RewardKind::Coupon)
            .then(|| {
                serde_json::from_value::<crate::rules::RewardRule>(r.rule.clone())
                    .ok()
                    .and_then(|rule| rule.coupon)
                    .and_then(|c| c.percent)
            })
            .flatten();
        let display = match percent_off {
            Some(_) => serde_json::from_value::<crate::rules::RewardRule>(r.rule.clone())
                .map(|rule| rule.summary())
                .unwrap_or_default(),
            None => crate::money::Money::new(r.amount, r.currency).to_string(),
        };
        Self {
            percent_off,
            display,
            id: r.id.to_string(),
            program_id: r.program_id.to_string(),
            participant_id: r.participant_id.to_string(),
            referral_id: r.referral_id.map(|x| x.to_string()),
            event_id: r.event_id.map(|x| x.to_string()),
            trigger: r.trigger.key(),
            role: r.role,
            kind: r.kind,
            amount: r.amount,
            currency: r.currency.to_string(),
            status: r.status,
            approve_at: rfc3339(r.approve_at),
            rule: r.rule,
            inputs: r.inputs,
            program_version: r.program_version,
            pending_reason: r.pending_reason,
            reversed_amount: r.reversed_amount,
            coupon_code: r.coupon_code,
            coupon_expires_at: rfc3339_opt(r.coupon_expires_at),
            fulfilment_reference: r.fulfilment_reference,
            fulfilled_at: rfc3339_opt(r.fulfilled_at),
            payout_line_id: r.payout_line_id,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

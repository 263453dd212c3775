//! What the merchant reports.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The friend created an account.
    Signup,
    /// The friend paid; the first qualifying purchase converts the referral.
    Purchase,
    /// A purchase was refunded: its rewards are cancelled or reversed (in proportion
    /// for a partial refund of a percent reward).
    Refund,
    /// A recurring payment of a subscription; the first converts like a purchase.
    SubscriptionPayment,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signup => "signup",
            Self::Purchase => "purchase",
            Self::Refund => "refund",
            Self::SubscriptionPayment => "subscription_payment",
        }
    }
}

/// The key that makes a retried event a no-op: the client's `Idempotency-Key`, else the
/// order id for purchases and refunds. `None` means every request is a new event.
impl EventKind {
    /// A purchase or subscription payment: what converts a referral and earns rewards.
    pub fn is_payment(self) -> bool {
        matches!(self, Self::Purchase | Self::SubscriptionPayment)
    }
}

pub fn idempotency_key(
    kind: EventKind,
    header_key: Option<&str>,
    order_id: Option<&str>,
) -> Option<String> {
    match (header_key, order_id, kind) {
        (Some(k), _, _) => Some(format!("key:{k}")),
        (
            None,
            Some(o),
            EventKind::Purchase | EventKind::Refund | EventKind::SubscriptionPayment,
        ) => Some(format!("{}:order:{o}", kind.as_str())),
        _ => None,
    }
}

/// How far ahead of Vouch's clock an event may be dated: the merchant's and Vouch's
/// clocks may differ a little; more is a mistake that would stretch windows, holds and
/// boosts.
pub const MAX_CLOCK_SKEW_MS: crate::Millis = 5 * 60_000;

/// Refuses an `occurred_at` more than [`MAX_CLOCK_SKEW_MS`] after `now`.
pub fn check_occurred_at(at: crate::Millis, now: crate::Millis) -> crate::Result<()> {
    if at > now.saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err(crate::DomainError::invalid(
            "occurred_at",
            "is in the future: at most 5 minutes ahead of the server's clock",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_key_wins_and_orders_key_purchases_and_refunds_apart() {
        assert_eq!(
            idempotency_key(EventKind::Purchase, Some("k1"), Some("o")).as_deref(),
            Some("key:k1")
        );
        assert_eq!(
            idempotency_key(EventKind::Purchase, None, Some("o")).as_deref(),
            Some("purchase:order:o")
        );
        assert_eq!(
            idempotency_key(EventKind::Refund, None, Some("o")).as_deref(),
            Some("refund:order:o")
        );
        assert_eq!(idempotency_key(EventKind::Signup, None, Some("o")), None);
    }
}

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
    /// The friend arrived through the advocate's link or code and claims the friend's
    /// offer (`referee_reward.on: arrival`): the friend page records it, and so can a
    /// storefront with a publishable key. Pays once per friend.
    Arrival,
    /// Something else the friend did that a rule can pay for, named in `event`
    /// (`app_installed`, `account_verified`, `trial_started`).
    Custom,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signup => "signup",
            Self::Purchase => "purchase",
            Self::Refund => "refund",
            Self::SubscriptionPayment => "subscription_payment",
            Self::Arrival => "arrival",
            Self::Custom => "custom",
        }
    }
}

/// The name of a custom event (`app_installed`): 1 to 40 lower-case letters, digits,
/// `_`, `-` or `.`. Kept inline so triggers that carry it stay `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "app_installed")]
pub struct EventName(Inline);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Inline {
    len: u8,
    bytes: [u8; EventName::MAX],
}

impl EventName {
    pub const MAX: usize = 40;

    pub fn parse(field: &str, raw: &str) -> crate::Result<Self> {
        let s = raw.trim();
        let ok = (1..=Self::MAX).contains(&s.len())
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
            });
        if !ok {
            return Err(crate::DomainError::invalid(
                field,
                "must be 1 to 40 lower-case letters, digits, '_', '-' or '.'",
            ));
        }
        let mut bytes = [0u8; Self::MAX];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Self(Inline {
            // At most 40, checked above.
            len: s.len() as u8,
            bytes,
        }))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.0.bytes[..usize::from(self.0.len)]).unwrap_or_default()
    }
}

impl TryFrom<String> for EventName {
    type Error = crate::DomainError;
    fn try_from(s: String) -> crate::Result<Self> {
        Self::parse("event", &s)
    }
}

impl From<EventName> for String {
    fn from(n: EventName) -> String {
        n.as_str().to_owned()
    }
}

impl std::fmt::Debug for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a referred friend, as the reward rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    /// The friend claimed their offer on the friend page (or through the API).
    Arrival,
    Signup,
    Purchase,
    SubscriptionPayment,
    Custom(EventName),
}

impl Occurrence {
    pub fn is_payment(self) -> bool {
        matches!(self, Self::Purchase | Self::SubscriptionPayment)
    }
}

impl EventKind {
    /// A purchase or subscription payment: what converts a referral and earns rewards.
    pub fn is_payment(self) -> bool {
        matches!(self, Self::Purchase | Self::SubscriptionPayment)
    }
}

/// The key that makes a retried event a no-op: the client's `Idempotency-Key`, else a
/// refund's own `refund_id`, else the order id for purchases and refunds (a partial
/// refund without an id: with its amount, so a refund of another amount is a new
/// one). `None` means every request is a new event.
pub fn idempotency_key(
    kind: EventKind,
    header_key: Option<&str>,
    order_id: Option<&str>,
    refund_id: Option<&str>,
    amount: Option<i64>,
) -> Option<String> {
    match (header_key, order_id, kind) {
        (Some(k), _, _) => Some(format!("key:{k}")),
        (None, Some(o), EventKind::Refund) if refund_id.is_some() => Some(format!(
            "refund:order:{o}:{}",
            refund_id.unwrap_or_default()
        )),
        (None, Some(o), EventKind::Refund) if amount.is_some() => Some(format!(
            "refund:order:{o}:amount:{}",
            amount.unwrap_or_default()
        )),
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
            idempotency_key(EventKind::Purchase, Some("k1"), Some("o"), None, None).as_deref(),
            Some("key:k1")
        );
        assert_eq!(
            idempotency_key(EventKind::Purchase, None, Some("o"), None, None).as_deref(),
            Some("purchase:order:o")
        );
        assert_eq!(
            idempotency_key(EventKind::Refund, None, Some("o"), None, None).as_deref(),
            Some("refund:order:o")
        );
        assert_eq!(
            idempotency_key(EventKind::Refund, None, Some("o"), Some("r2"), Some(5)).as_deref(),
            Some("refund:order:o:r2")
        );
        assert_eq!(
            idempotency_key(EventKind::Signup, None, Some("o"), None, None),
            None
        );
    }

    #[test]
    fn event_names_are_short_lower_case_words() {
        assert_eq!(
            EventName::parse("e", " app_installed ").unwrap().as_str(),
            "app_installed"
        );
        for bad in ["", "App", "a b", "é", &"x".repeat(41)] {
            assert!(EventName::parse("e", bad).is_err(), "{bad}");
        }
    }
}

//! Integrations: a shop (Shopify, WooCommerce, Stripe) whose signed webhooks report a
//! program's purchases, refunds and signups, and the options a merchant picks for it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Millis, Result};

/// The shop platform an integration receives webhooks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Shopify,
    Woocommerce,
    Stripe,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shopify => "shopify",
            Self::Woocommerce => "woocommerce",
            Self::Stripe => "stripe",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "shopify" => Some(Self::Shopify),
            "woocommerce" => Some(Self::Woocommerce),
            "stripe" => Some(Self::Stripe),
            _ => None,
        }
    }
}

/// Which Shopify order webhook counts as the purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum ShopifyPurchaseTopic {
    /// When the order is paid (the default): unpaid orders never reward.
    #[default]
    #[serde(rename = "orders/paid")]
    OrdersPaid,
    /// When the order is placed, if its `financial_status` is already `paid` (or
    /// `authorized` for shops that capture later).
    #[serde(rename = "orders/create")]
    OrdersCreate,
}

/// What the merchant chooses for an integration. Every field has a default a shop
/// expects, so `{}` works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrationOptions {
    /// Shopify: `orders/paid` (default) or `orders/create`.
    pub purchase_topic: ShopifyPurchaseTopic,
    /// WooCommerce: the order statuses that count as a purchase (default `processing`
    /// and `completed`).
    pub purchase_statuses: Vec<String>,
    /// After the secret is rotated, the previous one keeps verifying for this many
    /// hours (default 24; 0 stops it at once), so deliveries signed before the shop
    /// took the new one are not lost.
    pub secret_overlap_hours: u32,
}

impl Default for IntegrationOptions {
    fn default() -> Self {
        Self {
            purchase_topic: ShopifyPurchaseTopic::default(),
            purchase_statuses: vec!["processing".into(), "completed".into()],
            secret_overlap_hours: 24,
        }
    }
}

impl IntegrationOptions {
    /// Refuses statuses that cannot be WooCommerce's, and overlaps beyond 30 days.
    pub fn validate(mut self) -> Result<Self> {
        for s in &mut self.purchase_statuses {
            let lower = s.trim().to_ascii_lowercase();
            *s = lower.strip_prefix("wc-").unwrap_or(&lower).to_owned();
            if s.is_empty()
                || s.len() > 40
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(DomainError::invalid(
                    "options.purchase_statuses",
                    "each status is a WooCommerce order status such as processing or completed",
                ));
            }
        }
        if self.purchase_statuses.iter().any(|s| s == "refunded") {
            return Err(DomainError::invalid(
                "options.purchase_statuses",
                "refunded orders are refunds, never purchases",
            ));
        }
        if self.purchase_statuses.is_empty() {
            self.purchase_statuses = Self::default().purchase_statuses;
        }
        if self.secret_overlap_hours > 24 * 30 {
            return Err(DomainError::invalid(
                "options.secret_overlap_hours",
                "must be at most 720 (30 days)",
            ));
        }
        Ok(self)
    }

    /// Until when the previous secret verifies, for a rotation at `now`.
    pub fn previous_secret_until(&self, now: Millis) -> Millis {
        now.saturating_add(i64::from(self.secret_overlap_hours) * 3_600_000)
    }

    /// Whether a WooCommerce order in `status` counts as a purchase.
    pub fn woo_counts(&self, status: &str) -> bool {
        let status = status.strip_prefix("wc-").unwrap_or(status);
        self.purchase_statuses.iter().any(|s| s == status)
    }
}

/// What Vouch made of one delivery, as the inbound log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Recorded as one or more events (or found to be a repeat of them).
    Processed,
    /// A topic or state that reports nothing to the program (an unpaid order, a
    /// topic Vouch does not use).
    Ignored,
    /// Verified, but it cannot be read as an event: the reason says why.
    Unmappable,
    /// Read, but the event was refused or could not be stored: the shop retries.
    Failed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Ignored => "ignored",
            Self::Unmappable => "unmappable",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "processed" => Some(Self::Processed),
            "ignored" => Some(Self::Ignored),
            "unmappable" => Some(Self::Unmappable),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    /// A delivery with this verdict is not processed again when the shop repeats it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Processed | Self::Ignored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_from_empty_json() {
        let o: IntegrationOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, IntegrationOptions::default());
        assert!(o.woo_counts("processing") && o.woo_counts("wc-completed"));
        assert!(!o.woo_counts("pending") && !o.woo_counts("on-hold"));
    }

    #[test]
    fn options_are_checked() {
        let o = |j: &str| {
            serde_json::from_str::<IntegrationOptions>(j)
                .map_err(|e| e.to_string())
                .and_then(|o| o.validate().map_err(|e| e.to_string()))
        };
        assert!(o(r#"{"purchase_statuses": ["refunded"]}"#).is_err());
        assert!(o(r#"{"purchase_statuses": ["a b"]}"#).is_err());
        assert!(o(r#"{"secret_overlap_hours": 721}"#).is_err());
        assert!(o(r#"{"purchase_topic": "orders/updated"}"#).is_err());
        assert!(o(r#"{"surprise": 1}"#).is_err());
        let ok = o(r#"{"purchase_statuses": ["Completed"], "purchase_topic": "orders/create"}"#)
            .unwrap();
        assert_eq!(ok.purchase_statuses, vec!["completed"]);
        assert_eq!(ok.purchase_topic, ShopifyPurchaseTopic::OrdersCreate);
    }
}

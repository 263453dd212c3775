//! When a rule pays: the friend's step it answers (`on`), how many purchases count, and
//! the units a rule may name.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::Currency;
use crate::reward::Role;
use crate::{DomainError, Result};

use super::*;

/// When a rule pays: which of the friend's steps earns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaysOn {
    /// The friend's qualifying purchases and subscription payments (the default): the
    /// first converts the referral; `purchases` and `subscription_months` say how many
    /// after it pay too.
    #[default]
    Payment,
    /// Qualifying purchases only (`purchases`: the first, up to N, or `"all"`).
    Purchase,
    /// Subscription payments only, the first `subscription_months` of them.
    SubscriptionPayment,
    /// The friend's `signup` (Dropbox).
    Signup,
    /// The friend's offer, given when they arrive through the advocate's link or code,
    /// before they buy (the friend's rule only).
    Arrival,
    /// A custom event the merchant reports, named in `event` (`app_installed`).
    Event,
}

impl PaysOn {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Purchase => "purchase",
            Self::SubscriptionPayment => "subscription_payment",
            Self::Signup => "signup",
            Self::Arrival => "arrival",
            Self::Event => "event",
        }
    }
}

/// Every purchase up to N, written as a number or `"all"`.
pub(super) fn de_purchases<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(u32),
        Word(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::N(n)) => Ok(Some(n)),
        Some(Raw::Word(w)) if w == "all" => Ok(Some(ALL_PURCHASES)),
        Some(Raw::Word(_)) => Err(serde::de::Error::custom(
            "purchases must be a number or \"all\"",
        )),
    }
}

pub(super) fn ser_purchases<S: serde::Serializer>(
    v: &Option<u32>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(ALL_PURCHASES) => s.serialize_str("all"),
        Some(n) => s.serialize_u32(*n),
        None => s.serialize_none(),
    }
}

/// `"purchases": "all"`: every purchase of the friend pays.
pub const ALL_PURCHASES: u32 = u32::MAX;

/// A rule's currency; a points rule may name the points unit `PTS`.
pub(super) fn de_unit<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Currency>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(raw) => Currency::parse_unit("currency", &raw)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

impl RewardRule {
    /// `on` and its companions agree: `event` names the custom event, only the friend's
    /// rule pays on arrival, percent rewards need an order.
    pub(super) fn validate_on(&self, role: Option<Role>) -> Result<()> {
        match (self.on, self.event.is_some()) {
            (PaysOn::Event, false) => {
                return Err(DomainError::invalid(
                    "event",
                    "is required with \"on\": \"event\": the custom event's name",
                ))
            }
            (PaysOn::Event, true) | (_, false) => {}
            (_, true) => {
                return Err(DomainError::invalid(
                    "event",
                    "only applies with \"on\": \"event\"",
                ))
            }
        }
        if role.is_none() && self.on != PaysOn::Payment {
            return Err(DomainError::invalid(
                "on",
                "this reward is not tied to a friend's step",
            ));
        }
        if self.on == PaysOn::Arrival && role != Some(Role::Referee) {
            return Err(DomainError::invalid(
                "on",
                "arrival is the friend's offer: only referee_reward can pay on it",
            ));
        }
        let order_free = matches!(self.on, PaysOn::Signup | PaysOn::Arrival | PaysOn::Event);
        if order_free && self.on != PaysOn::Event {
            if self.percent.is_some() || self.tiers.iter().any(|t| t.percent.is_some()) {
                return Err(DomainError::invalid(
                    "percent",
                    format!(
                        "a reward on {} has no order to take a percent of",
                        self.on.as_str()
                    ),
                ));
            }
            if self.min_order_amount.is_some() {
                return Err(DomainError::invalid(
                    "min_order_amount",
                    format!("a reward on {} has no order", self.on.as_str()),
                ));
            }
        }
        if self.purchases.is_some() && !matches!(self.on, PaysOn::Payment | PaysOn::Purchase) {
            return Err(DomainError::invalid(
                "purchases",
                "only applies to rewards on payment or purchase",
            ));
        }
        if self.subscription_months.is_some()
            && !matches!(self.on, PaysOn::Payment | PaysOn::SubscriptionPayment)
        {
            return Err(DomainError::invalid(
                "subscription_months",
                "only applies to rewards on payment or subscription_payment",
            ));
        }
        Ok(())
    }

    /// Whether the rule answers this step of the friend at all (whatever its number).
    pub fn answers(&self, occ: crate::event::Occurrence) -> bool {
        use crate::event::Occurrence as O;
        match (self.on, occ) {
            (PaysOn::Payment, O::Purchase | O::SubscriptionPayment) => true,
            (PaysOn::Purchase, O::Purchase) => true,
            (PaysOn::SubscriptionPayment, O::SubscriptionPayment) => true,
            (PaysOn::Signup, O::Signup) => true,
            (PaysOn::Arrival, O::Arrival) => true,
            (PaysOn::Event, O::Custom(name)) => self.event == Some(name),
            _ => false,
        }
    }

    /// Whether the rule pays for this step (the `n`th payment of its kind).
    pub(crate) fn pays(&self, trigger: Trigger) -> bool {
        if !self.answers(trigger.occurrence()) {
            return false;
        }
        match trigger {
            Trigger::Purchase(n) => n == 1 || n <= self.purchases.unwrap_or(1),
            Trigger::SubscriptionPayment(n) => n == 1 || n <= self.subscription_months.unwrap_or(1),
            Trigger::Signup | Trigger::Arrival | Trigger::Event(_) => true,
        }
    }
}

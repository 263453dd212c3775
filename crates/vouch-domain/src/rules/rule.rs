//! One side's reward rule: its kind, amount (fixed, percent or tiers), conditions and coupon.

use crate::money::{Currency, Money};
use crate::reward::Role;
use crate::{DomainError, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

/// The kinds of reward a rule can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// Account credit, held in the participant's ledger balance.
    Credit,
    /// Points, a ledger balance in the `PTS` unit; the program says what a point is worth.
    Points,
    /// A unique coupon code (percent or amount off), generated or drawn from a pool.
    Coupon,
    /// Money paid out in payout batches (PayPal Payouts CSV or JSON).
    Cash,
    /// Fulfilled by the merchant, who reports it through `/rewards/{id}/fulfill`.
    GiftCard,
    /// Anything else the merchant fulfils (swag, a free month), reported the same way.
    Custom,
}

impl RewardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Points => "points",
            Self::Coupon => "coupon",
            Self::Cash => "cash",
            Self::GiftCard => "gift_card",
            Self::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "credit" => Self::Credit,
            "points" => Self::Points,
            "coupon" => Self::Coupon,
            "cash" => Self::Cash,
            "gift_card" => Self::GiftCard,
            "custom" => Self::Custom,
            _ => return None,
        })
    }

    /// Whether the reward is a balance in the ledger (spendable or payable).
    pub fn in_ledger(self) -> bool {
        matches!(self, Self::Credit | Self::Points | Self::Cash)
    }

    /// Whether an approved reward waits for the merchant to report its fulfilment.
    pub fn needs_fulfilment(self) -> bool {
        matches!(self, Self::GiftCard | Self::Custom)
    }
}

/// How a coupon discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscountType {
    PercentOff,
    AmountOff,
}

/// The coupon a `coupon` reward issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponSpec {
    pub discount_type: DiscountType,
    /// For `percent_off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Percent>,
    /// For `amount_off`, in minor units of the rule's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Days the code is valid after it is issued (default: no expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    /// Draw codes from this uploaded pool instead of generating them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_id: Option<String>,
}

/// One step of a tiered referrer reward: `{"from": 3, "to": 5, "amount": 1500}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The advocate's successful referrals (this one included) where the tier starts.
    pub from: u32,
    /// Where it ends (inclusive); absent on the last tier for "and above".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Percent>,
}

/// What one side earns: a fixed amount (`{"kind": "credit", "amount": 1000,
/// "currency": "USD"}`), a percent of the order (`"percent": 10, "max_amount": 5000`),
/// or tiers; with the conditions it is paid under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardRule {
    pub kind: RewardKind,
    /// When it pays (default `payment`: the friend's first qualifying purchase or
    /// subscription payment, and more with `purchases` / `subscription_months`).
    #[serde(default, skip_serializing_if = "is_default_on")]
    pub on: PaysOn,
    /// For `"on": "event"`: the custom event's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<crate::event::EventName>,
    /// Fixed amount in minor units (points: a number of points).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Percent of the order amount, in the order's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Percent>,
    /// The most a percent reward pays, in minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<i64>,
    /// Required for fixed amounts and coupons; for percent rewards it restricts the
    /// rule to orders in this currency. Points may give `PTS` or nothing.
    #[serde(
        default,
        deserialize_with = "super::trigger::de_unit",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, example = "USD")]
    pub currency: Option<Currency>,
    /// Orders below this amount (minor units, the rule's or the order's currency) earn
    /// nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_order_amount: Option<i64>,
    /// Reward every purchase of the friend up to this many (default 1: the first
    /// only), or `"all"`.
    #[serde(
        default,
        deserialize_with = "super::trigger::de_purchases",
        serialize_with = "super::trigger::ser_purchases",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Object>, example = 3)]
    pub purchases: Option<u32>,
    /// For `subscription_payment` events: reward the first N monthly payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_months: Option<u32>,
    /// Referrer only: the amount grows with the advocate's successful referrals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Tier>,
    /// For `coupon` rewards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<CouponSpec>,
    /// What a gift card or custom reward is, shown to the participant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn is_default_on(on: &PaysOn) -> bool {
    *on == PaysOn::Payment
}

impl RewardRule {
    /// A fixed reward of `amount` minor units.
    pub fn fixed(kind: RewardKind, amount: i64, currency: Currency) -> Self {
        Self {
            kind,
            on: PaysOn::Payment,
            event: None,
            amount: Some(amount),
            percent: None,
            max_amount: None,
            currency: Some(currency),
            min_order_amount: None,
            purchases: None,
            subscription_months: None,
            tiers: vec![],
            coupon: None,
            description: None,
        }
    }

    /// Checks the rule; `role` is `None` for program-level rules (welcome, milestone),
    /// which must be fixed amounts.
    pub fn validate(&self, role: Option<Role>) -> Result<()> {
        let amount_ok = |field: &str, a: i64| {
            if a <= 0 {
                Err(DomainError::invalid(field, "must be greater than 0"))
            } else if a > MAX_AMOUNT {
                Err(DomainError::invalid(field, "is too large"))
            } else {
                Ok(())
            }
        };
        if let Some(a) = self.amount {
            amount_ok("amount", a)?;
        }
        if let Some(a) = self.max_amount {
            amount_ok("max_amount", a)?;
            if self.percent.is_none() && self.tiers.iter().all(|t| t.percent.is_none()) {
                return Err(DomainError::invalid(
                    "max_amount",
                    "only applies to percent rewards",
                ));
            }
        }
        if let Some(a) = self.min_order_amount {
            if !(0..=MAX_AMOUNT).contains(&a) {
                return Err(DomainError::invalid(
                    "min_order_amount",
                    "must be 0 or more",
                ));
            }
        }
        if self
            .purchases
            .is_some_and(|n| n != ALL_PURCHASES && !(1..=1000).contains(&n))
        {
            return Err(DomainError::invalid(
                "purchases",
                "must be between 1 and 1000, or \"all\"",
            ));
        }
        self.validate_on(role)?;
        if self
            .subscription_months
            .is_some_and(|n| !(1..=120).contains(&n))
        {
            return Err(DomainError::invalid(
                "subscription_months",
                "must be between 1 and 120",
            ));
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 500)
        {
            return Err(DomainError::invalid(
                "description",
                "must be at most 500 characters",
            ));
        }
        let program_level = role.is_none();
        if program_level && (self.percent.is_some() || !self.tiers.is_empty()) {
            return Err(DomainError::invalid(
                if self.percent.is_some() {
                    "percent"
                } else {
                    "tiers"
                },
                "this reward is not tied to an order: give a fixed amount",
            ));
        }
        if !self.tiers.is_empty() && role != Some(Role::Referrer) {
            return Err(DomainError::invalid(
                "tiers",
                "tiers apply to the referrer's reward only",
            ));
        }
        if self.kind == RewardKind::Coupon {
            return self.validate_coupon();
        }
        if self.coupon.is_some() {
            return Err(DomainError::invalid(
                "coupon",
                "only applies to kind coupon",
            ));
        }
        let ways = usize::from(self.amount.is_some())
            + usize::from(self.percent.is_some())
            + usize::from(!self.tiers.is_empty());
        if ways != 1 {
            return Err(DomainError::invalid(
                "amount",
                "give exactly one of amount, percent or tiers",
            ));
        }
        self.validate_tiers()?;
        let has_percent = self.percent.is_some() || self.tiers.iter().any(|t| t.percent.is_some());
        if self.kind == RewardKind::Points {
            if has_percent {
                return Err(DomainError::invalid(
                    "percent",
                    "points rewards are a fixed number of points",
                ));
            }
            return Ok(());
        }
        if self.currency == Some(Currency::POINTS) {
            return Err(DomainError::invalid(
                "currency",
                "PTS is the unit of points rewards only",
            ));
        }
        let has_fixed = self.amount.is_some() || self.tiers.iter().any(|t| t.amount.is_some());
        if has_fixed && self.currency.is_none() {
            return Err(DomainError::invalid(
                "currency",
                "is required for a fixed amount",
            ));
        }
        Ok(())
    }

    fn validate_coupon(&self) -> Result<()> {
        let Some(c) = &self.coupon else {
            return Err(DomainError::invalid(
                "coupon",
                "is required for kind coupon",
            ));
        };
        if self.amount.is_some() || self.percent.is_some() || !self.tiers.is_empty() {
            return Err(DomainError::invalid(
                "amount",
                "a coupon's value goes in coupon.percent or coupon.amount",
            ));
        }
        if self.currency.is_none() {
            return Err(DomainError::invalid(
                "currency",
                "is required: the currency of the shop the coupon is used in",
            ));
        }
        match c.discount_type {
            DiscountType::PercentOff if c.percent.is_none() || c.amount.is_some() => {
                return Err(DomainError::invalid(
                    "coupon.percent",
                    "is required for percent_off (and amount is not allowed)",
                ));
            }
            DiscountType::AmountOff => match c.amount {
                Some(a) if a > 0 && a <= MAX_AMOUNT && c.percent.is_none() => {}
                _ => {
                    return Err(DomainError::invalid(
                        "coupon.amount",
                        "must be greater than 0 for amount_off (and percent is not allowed)",
                    ))
                }
            },
            DiscountType::PercentOff => {}
        }
        if c.pool_id
            .as_deref()
            .is_some_and(|p| crate::ids::CouponPoolId::parse(p).is_none())
        {
            return Err(DomainError::invalid(
                "coupon.pool_id",
                "is not a coupon pool id (cpl_…)",
            ));
        }
        if c.expires_in_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(DomainError::invalid(
                "coupon.expires_in_days",
                "must be between 1 and 3650",
            ));
        }
        Ok(())
    }

    fn validate_tiers(&self) -> Result<()> {
        let mut next_from = 1u32;
        let mut open_ended = false;
        for (i, t) in self.tiers.iter().enumerate() {
            let field = |f: &str| format!("tiers[{i}]{f}");
            if open_ended {
                return Err(DomainError::invalid(
                    field(".from"),
                    format!("overlaps tiers[{}], which has no end", i - 1),
                ));
            }
            if t.from < next_from {
                return Err(DomainError::invalid(
                    field(".from"),
                    if i == 0 {
                        "must be at least 1".to_owned()
                    } else {
                        format!("overlaps tiers[{}]", i - 1)
                    },
                ));
            }
            if t.from > next_from {
                return Err(DomainError::invalid(
                    field(".from"),
                    format!("must be {next_from}: tiers cannot leave gaps"),
                ));
            }
            match t.to {
                Some(to) if to < t.from => {
                    return Err(DomainError::invalid(field(".to"), "must be at least from"))
                }
                Some(to) => next_from = to.saturating_add(1),
                None => open_ended = true,
            }
            match (t.amount, t.percent) {
                (Some(a), None) if a > 0 && a <= MAX_AMOUNT => {}
                (None, Some(_)) => {}
                _ => {
                    return Err(DomainError::invalid(
                        field(".amount"),
                        "give exactly one of a positive amount or a percent",
                    ))
                }
            }
        }
        Ok(())
    }

    /// The money of a fixed-amount rule (points in the `PTS` unit).
    pub fn fixed_money(&self) -> Option<Money> {
        let amount = self.amount?;
        match self.kind {
            RewardKind::Points => Some(Money::new(amount, Currency::POINTS)),
            _ => self.currency.map(|c| Money::new(amount, c)),
        }
    }

    /// A short, language-neutral statement of what the rule gives (`10.00 USD`, `10%`,
    /// `50 PTS`, `15% off`), for pages.
    pub fn summary(&self) -> String {
        let pct = |p: Percent| {
            let v = f64::from(p);
            if v.fract() == 0.0 {
                format!("{v:.0}%")
            } else {
                format!("{v}%")
            }
        };
        if let Some(c) = &self.coupon {
            return match (c.percent, c.amount, self.currency) {
                (Some(p), _, _) => format!("{} off", pct(p)),
                (None, Some(a), Some(cur)) => format!("{} off", Money::new(a, cur)),
                _ => String::new(),
            };
        }
        if let Some(m) = self.fixed_money() {
            return m.to_string();
        }
        if let Some(p) = self.percent {
            return pct(p);
        }
        // Tiers: the most an advocate can reach.
        let best = self.tiers.last();
        match best {
            Some(t) => match (t.amount, t.percent, self.currency) {
                (Some(a), _, _) if self.kind == RewardKind::Points => {
                    Money::new(a, Currency::POINTS).to_string()
                }
                (Some(a), _, Some(cur)) => Money::new(a, cur).to_string(),
                (_, Some(p), _) => pct(p),
                _ => String::new(),
            },
            None => String::new(),
        }
    }

    /// The tier for an advocate's `n`th successful referral.
    pub fn tier_for(&self, n: u32) -> Option<&Tier> {
        self.tiers
            .iter()
            .find(|t| n >= t.from && t.to.is_none_or(|to| n <= to))
    }
}

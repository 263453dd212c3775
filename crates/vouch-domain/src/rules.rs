//! The reward rules: what each qualifying event earns, as a pure function of the
//! program's configuration and the facts the server read under the advocate's lock.
//!
//! A program has a rule per side (`referrer_reward`, `referee_reward`), and program-wide
//! tiers (inside the referrer's rule), milestones, boosts, caps, a budget, a welcome
//! reward and an optional second level. [`evaluate`] applies them all to one event and
//! says, for every reward it would create or refuse, which rule and why.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::{Currency, Money};
use crate::reward::{approve_at, Role};
use crate::{DomainError, Millis, Result, DAY_MS};

/// Largest amount a rule may name, in minor units: keeps every sum far from overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// A percentage with at most two decimals (`12.5`), kept in hundredths so rules compare
/// and compute exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(try_from = "f64")]
#[schema(value_type = f64, example = 10)]
pub struct Percent(u32);

/// Hundredths written as a number, whole ones as integers (`15`, not `15.0`).
fn serialize_hundredths<S: serde::Serializer>(
    h: u32,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    if h.is_multiple_of(100) {
        s.serialize_u32(h / 100)
    } else {
        s.serialize_f64(f64::from(h) / 100.0)
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_hundredths(self.0, s)
    }
}

impl Percent {
    pub fn hundredths(self) -> u32 {
        self.0
    }

    pub fn from_hundredths(h: u32) -> Option<Self> {
        (1..=10_000).contains(&h).then_some(Self(h))
    }

    /// `percent` of `amount`, rounded down to the minor unit.
    pub fn of(self, amount: i64) -> i64 {
        let v = i128::from(amount) * i128::from(self.0) / 10_000;
        i64::try_from(v).unwrap_or(i64::MAX)
    }
}

fn hundredths(v: f64, min_exclusive: f64, max: f64) -> std::result::Result<u32, String> {
    if !v.is_finite() || v <= min_exclusive || v > max {
        return Err(format!(
            "must be more than {min_exclusive} and at most {max}"
        ));
    }
    let h = (v * 100.0).round();
    if (h - v * 100.0).abs() > 1e-6 {
        return Err("must have at most two decimals".into());
    }
    // In range and integral, checked above.
    Ok(h as u32)
}

impl TryFrom<f64> for Percent {
    type Error = String;
    fn try_from(v: f64) -> std::result::Result<Self, String> {
        hundredths(v, 0.0, 100.0).map(Self)
    }
}

impl From<Percent> for f64 {
    fn from(p: Percent) -> f64 {
        f64::from(p.0) / 100.0
    }
}

/// A boost factor such as `2` (double) or `1.5`, in hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(try_from = "f64")]
#[schema(value_type = f64, example = 2)]
pub struct Multiplier(u32);

impl Serialize for Multiplier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_hundredths(self.0, s)
    }
}

impl Multiplier {
    pub fn apply(self, amount: i64) -> i64 {
        let v = i128::from(amount) * i128::from(self.0) / 100;
        i64::try_from(v).unwrap_or(i64::MAX)
    }
}

impl TryFrom<f64> for Multiplier {
    type Error = String;
    fn try_from(v: f64) -> std::result::Result<Self, String> {
        hundredths(v, 1.0, 10.0).map(Self)
    }
}

impl From<Multiplier> for f64 {
    fn from(m: Multiplier) -> f64 {
        f64::from(m.0) / 100.0
    }
}

/// An instant written as RFC 3339 (`2026-11-27T00:00:00Z`), stored as milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "2026-11-27T00:00:00Z")]
pub struct Timestamp(pub Millis);

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        let t = time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| format!("'{s}' is not an RFC 3339 time"))?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .map(Self)
            .map_err(|_| "is out of range".into())
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default()
    }
}

/// A calendar period in UTC, for caps and milestones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    /// Monday to Sunday.
    Week,
    Month,
    Year,
    /// Since the program began.
    AllTime,
}

impl Period {
    /// When the period containing `at` began.
    pub fn start(self, at: Millis) -> Millis {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000)) else {
            return Millis::MIN;
        };
        let date = t.date();
        let first = match self {
            Self::AllTime => return Millis::MIN,
            Self::Day => date,
            Self::Week => {
                date - time::Duration::days(i64::from(date.weekday().number_days_from_monday()))
            }
            Self::Month => date.replace_day(1).unwrap_or(date),
            Self::Year => date
                .replace_day(1)
                .and_then(|d| d.replace_month(time::Month::January))
                .unwrap_or(date),
        };
        first.midnight().assume_utc().unix_timestamp() * 1000
    }
}

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
    /// rule to orders in this currency. Not used for points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Orders below this amount (minor units, the rule's or the order's currency) earn
    /// nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_order_amount: Option<i64>,
    /// Reward every purchase of the friend up to this many (default 1: the first only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

impl RewardRule {
    /// A fixed reward of `amount` minor units.
    pub fn fixed(kind: RewardKind, amount: i64, currency: Currency) -> Self {
        Self {
            kind,
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
        if self.purchases.is_some_and(|n| !(1..=1000).contains(&n)) {
            return Err(DomainError::invalid(
                "purchases",
                "must be between 1 and 1000",
            ));
        }
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

    /// Whether the rule pays for the `n`th payment of this kind.
    fn pays(&self, trigger: Trigger) -> bool {
        match trigger {
            Trigger::Signup => false,
            Trigger::Purchase(n) => n == 1 || n <= self.purchases.unwrap_or(1),
            Trigger::SubscriptionPayment(n) => n == 1 || n <= self.subscription_months.unwrap_or(1),
        }
    }
}

/// A promotion that multiplies rewards between two instants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Boost {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// More than 1, at most 10 (`2` doubles).
    pub multiplier: Multiplier,
    /// Only this side (default: both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// A one-off bonus when an advocate reaches `referrals` successful referrals in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    pub referrals: u32,
    /// `day`, `week`, `month`, `year` (calendar, UTC) or `all_time`.
    pub period: Period,
    pub reward: RewardRule,
}

/// A limit on what one advocate earns in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvocateCap {
    pub period: Period,
    /// At most this many rewards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rewards: Option<u32>,
    /// At most this much (rewards in other currencies are not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<Money>,
}

/// The referrer's own referrer earns a share of the referrer's rewards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MultiLevel {
    /// Percent of the referrer's reward paid to the second level.
    pub percent: Percent,
}

/// Why a reward a rule would give was not created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The order is below the rule's `min_order_amount`.
    MinOrderAmount,
    /// A percent reward, but the event had no amount.
    NoOrderAmount,
    /// The order is in another currency than the rule's.
    CurrencyMismatch,
    /// The advocate reached the program's cap for the period.
    AdvocateCap,
    /// The program's budget would be exceeded.
    Budget,
    /// A percent reward that rounds to nothing.
    ZeroAmount,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MinOrderAmount => "min_order_amount",
            Self::NoOrderAmount => "no_order_amount",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::AdvocateCap => "advocate_cap",
            Self::Budget => "budget",
            Self::ZeroAmount => "zero_amount",
        }
    }
}

/// A reward a rule would have given, and why it was not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Skipped {
    pub role: Role,
    pub trigger: String,
    pub reason: SkipReason,
    pub message: String,
}

/// Which payment of a referred friend this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Signup,
    /// The friend's `n`th purchase (1: the conversion).
    Purchase(u32),
    /// The friend's `n`th subscription payment.
    SubscriptionPayment(u32),
}

impl Trigger {
    /// The name stored on rewards: with the referral and role, it makes each unique.
    pub fn key(self) -> String {
        match self {
            Self::Signup => "signup".into(),
            Self::Purchase(1) => "first_purchase".into(),
            Self::Purchase(n) => format!("purchase:{n}"),
            Self::SubscriptionPayment(n) => format!("month:{n}"),
        }
    }
}

/// What an advocate has earned in the current cap period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub count: u32,
    /// In the cap's currency.
    pub amount: i64,
}

/// Everything [`evaluate`] needs beyond the configuration, read by the server.
#[derive(Debug, Clone)]
pub struct Facts {
    pub trigger: Trigger,
    pub occurred_at: Millis,
    pub now: Millis,
    pub order: Option<Money>,
    /// The advocate's successful referrals, this one included when it converts now.
    pub referrer_conversions: u32,
    /// Per program milestone: the advocate's conversions in its current period, this
    /// one included.
    pub milestone_counts: Vec<u32>,
    /// The advocate's rewards in the current cap period, before this event.
    pub cap_usage: Usage,
    /// The program's spend in the budget's currency, before this event.
    pub budget_spent: i64,
    /// Whether the advocate was themselves referred (multi-level pays that person).
    pub has_upline: bool,
}

/// How a reward's amount was reached: the explanation kept with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
pub struct Explanation {
    /// `referrer_reward`, `referee_reward`, `milestones[0]`, `multi_level`, `welcome_reward`.
    pub rule: String,
    /// The amount before boosts.
    pub base_amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boost: Option<Multiplier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<u32>,
}

/// A reward [`evaluate`] decided to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub role: Role,
    pub trigger: String,
    pub kind: RewardKind,
    pub money: Money,
    pub approve_at: Millis,
    /// A copy of the rule: later edits of the program never change what was earned.
    pub rule: RewardRule,
    pub explanation: Explanation,
}

/// What one event earns: the rewards to create and the ones a limit refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    pub plans: Vec<Plan>,
    pub skipped: Vec<Skipped>,
}

/// Program-wide rules, next to the per-side rules in `ProgramConfig`.
pub struct Rules<'a> {
    pub referrer: Option<&'a RewardRule>,
    pub referee: Option<&'a RewardRule>,
    pub milestones: &'a [Milestone],
    pub boosts: &'a [Boost],
    pub advocate_cap: Option<&'a AdvocateCap>,
    pub budget: Option<Money>,
    pub points_value: Option<Money>,
    pub multi_level: Option<&'a MultiLevel>,
    pub hold_days: i64,
}

/// The money value of a reward in `currency`, for budgets: points count at the
/// program's point value; other currencies are not converted (so not counted).
pub fn value_in(money: Money, currency: Currency, points_value: Option<Money>) -> i64 {
    if money.currency == currency {
        return money.amount;
    }
    match points_value {
        Some(v) if money.currency == Currency::POINTS && v.currency == currency => {
            money.amount.saturating_mul(v.amount)
        }
        _ => 0,
    }
}

fn skip(role: Role, trigger: &str, reason: SkipReason, message: String) -> Skipped {
    Skipped {
        role,
        trigger: trigger.to_owned(),
        reason,
        message,
    }
}

/// A rule applied to the order: the money it gives, or why it gives nothing.
fn amount_for(
    rule: &RewardRule,
    role: Role,
    facts: &Facts,
    trigger: &str,
) -> std::result::Result<Option<(Money, Explanation)>, Skipped> {
    let mut ex = Explanation::default();
    let tier = rule.tier_for(facts.referrer_conversions.max(1));
    if !rule.tiers.is_empty() && tier.is_none() {
        return Ok(None);
    }
    ex.tier = tier.cloned();
    let (amount, percent) = match tier {
        Some(t) => (t.amount, t.percent),
        None => (rule.amount, rule.percent),
    };
    let order = facts.order.filter(|o| o.amount > 0);
    if let (Some(min), Some(rc)) = (rule.min_order_amount, rule.currency) {
        match order {
            Some(o) if o.currency != rc => {
                return Err(skip(
                    role,
                    trigger,
                    SkipReason::CurrencyMismatch,
                    format!("the order is in {}, the rule in {rc}", o.currency),
                ))
            }
            Some(o) if o.amount < min => {
                return Err(skip(
                    role,
                    trigger,
                    SkipReason::MinOrderAmount,
                    format!("the order ({o}) is below {}", Money::new(min, rc)),
                ))
            }
            None if min > 0 => {
                return Err(skip(
                    role,
                    trigger,
                    SkipReason::MinOrderAmount,
                    "the event has no order amount to compare".into(),
                ))
            }
            _ => {}
        }
    } else if let (Some(min), Some(o)) = (rule.min_order_amount, order) {
        if o.amount < min {
            return Err(skip(
                role,
                trigger,
                SkipReason::MinOrderAmount,
                format!("the order ({o}) is below {min} minor units"),
            ));
        }
    }
    let money = if rule.kind == RewardKind::Points {
        Money::new(amount.unwrap_or(0), Currency::POINTS)
    } else if let Some(p) = percent {
        let Some(o) = order else {
            return Err(skip(
                role,
                trigger,
                SkipReason::NoOrderAmount,
                "a percent reward needs the order's amount and currency".into(),
            ));
        };
        if rule.currency.is_some_and(|c| c != o.currency) {
            return Err(skip(
                role,
                trigger,
                SkipReason::CurrencyMismatch,
                format!(
                    "the order is in {}, the rule pays in {}",
                    o.currency,
                    rule.currency.map(|c| c.to_string()).unwrap_or_default()
                ),
            ));
        }
        ex.percent = Some(p);
        let mut a = p.of(o.amount);
        if let Some(max) = rule.max_amount {
            if a > max {
                a = max;
                ex.capped_at = Some(max);
            }
        }
        Money::new(a, o.currency)
    } else if rule.kind == RewardKind::Coupon {
        let value = rule
            .coupon
            .as_ref()
            .and_then(|c| c.amount)
            .unwrap_or_default();
        match rule.currency {
            Some(c) => Money::new(value, c),
            None => return Ok(None),
        }
    } else {
        match (amount, rule.currency) {
            (Some(a), Some(c)) => Money::new(a, c),
            _ => return Ok(None),
        }
    };
    ex.base_amount = money.amount;
    Ok(Some((money, ex)))
}

fn boost_at(boosts: &[Boost], role: Role, at: Millis) -> Option<Multiplier> {
    boosts
        .iter()
        .filter(|b| b.starts_at.0 <= at && at < b.ends_at.0)
        .filter(|b| b.role.is_none_or(|r| r == role))
        .map(|b| b.multiplier)
        .max_by_key(|m| m.0)
}

/// Applies every rule to one event of a referral. Limits (the advocate's cap, then the
/// budget) are checked in order, each reward against what the ones before it used.
pub fn evaluate(rules: &Rules<'_>, facts: &Facts) -> Decision {
    let mut out = Decision::default();
    let trigger = facts.trigger.key();
    let at = approve_at(facts.occurred_at, rules.hold_days, facts.now);
    let mut wanted: Vec<Plan> = vec![];
    let sides = [
        (Role::Referrer, rules.referrer, "referrer_reward"),
        (Role::Referee, rules.referee, "referee_reward"),
    ];
    for (role, rule, name) in sides {
        let Some(rule) = rule else { continue };
        if !rule.pays(facts.trigger) {
            continue;
        }
        match amount_for(rule, role, facts, &trigger) {
            Ok(Some((mut money, mut ex))) => {
                ex.rule = name.into();
                if let Some(m) = boost_at(rules.boosts, role, facts.occurred_at) {
                    money.amount = m.apply(money.amount);
                    ex.boost = Some(m);
                }
                if money.amount <= 0 && rule.kind != RewardKind::Coupon {
                    out.skipped.push(skip(
                        role,
                        &trigger,
                        SkipReason::ZeroAmount,
                        "the reward rounds to nothing".into(),
                    ));
                    continue;
                }
                wanted.push(Plan {
                    role,
                    trigger: trigger.clone(),
                    kind: rule.kind,
                    money,
                    approve_at: at,
                    rule: rule.clone(),
                    explanation: ex,
                });
            }
            Ok(None) => {}
            Err(s) => out.skipped.push(s),
        }
    }
    // Milestones and the second level follow from the conversion itself.
    let converts = matches!(
        facts.trigger,
        Trigger::Purchase(1) | Trigger::SubscriptionPayment(1)
    );
    if converts {
        for (i, m) in rules.milestones.iter().enumerate() {
            if facts.milestone_counts.get(i) == Some(&m.referrals) {
                if let Some(money) = m.reward.fixed_money() {
                    wanted.push(Plan {
                        role: Role::Referrer,
                        trigger: format!("milestone:{i}"),
                        kind: m.reward.kind,
                        money,
                        approve_at: at,
                        rule: m.reward.clone(),
                        explanation: Explanation {
                            rule: format!("milestones[{i}]"),
                            base_amount: money.amount,
                            milestone: Some(m.referrals),
                            ..Explanation::default()
                        },
                    });
                }
            }
        }
    }
    let mut limits = Limits {
        usage: facts.cap_usage,
        spent: facts.budget_spent,
    };
    for plan in wanted {
        limits.admit(rules, plan, &mut out);
    }
    // The second level shares only in referrer rewards the limits let through.
    if let (Some(ml), true) = (rules.multi_level, facts.has_upline) {
        let upline: Vec<Plan> = out
            .plans
            .iter()
            .filter(|p| p.role == Role::Referrer && p.kind.in_ledger())
            .filter_map(|p| {
                let amount = ml.percent.of(p.money.amount);
                (amount > 0).then(|| Plan {
                    role: Role::SecondLevel,
                    trigger: p.trigger.clone(),
                    kind: p.kind,
                    money: Money::new(amount, p.money.currency),
                    approve_at: at,
                    rule: p.rule.clone(),
                    explanation: Explanation {
                        rule: "multi_level".into(),
                        base_amount: p.money.amount,
                        percent: Some(ml.percent),
                        ..Explanation::default()
                    },
                })
            })
            .collect();
        for plan in upline {
            limits.admit(rules, plan, &mut out);
        }
    }
    out
}

/// What the limits have used so far while one event is evaluated.
struct Limits {
    usage: Usage,
    spent: i64,
}

impl Limits {
    /// Adds `plan` to the decision, or records why the advocate's cap (referrer rewards)
    /// or the budget (every reward) refuses it.
    fn admit(&mut self, rules: &Rules<'_>, plan: Plan, out: &mut Decision) {
        if plan.role == Role::Referrer {
            if let Some(reason) = rules
                .advocate_cap
                .and_then(|cap| cap_refusal(cap, self.usage, plan.money))
            {
                out.skipped.push(skip(
                    plan.role,
                    &plan.trigger,
                    SkipReason::AdvocateCap,
                    reason,
                ));
                return;
            }
        }
        if let Some(budget) = rules.budget {
            let value = value_in(plan.money, budget.currency, rules.points_value);
            if self.spent.saturating_add(value) > budget.amount {
                out.skipped.push(skip(
                    plan.role,
                    &plan.trigger,
                    SkipReason::Budget,
                    format!(
                        "the program's budget of {budget} would be exceeded ({} spent)",
                        Money::new(self.spent, budget.currency)
                    ),
                ));
                return;
            }
            self.spent = self.spent.saturating_add(value);
        }
        if plan.role == Role::Referrer {
            self.usage.count = self.usage.count.saturating_add(1);
            if let Some(max) = rules.advocate_cap.and_then(|c| c.max_amount) {
                if max.currency == plan.money.currency {
                    self.usage.amount = self.usage.amount.saturating_add(plan.money.amount);
                }
            }
        }
        out.plans.push(plan);
    }
}

/// The welcome reward for a participant who just joined: approved at once (there is
/// no order to refund), outside caps and tiers.
pub fn welcome_plan(rule: &RewardRule, now: Millis) -> Option<Plan> {
    let money = match (rule.kind, rule.fixed_money()) {
        (_, Some(m)) => m,
        (RewardKind::Coupon, None) => Money::new(
            rule.coupon.as_ref().and_then(|c| c.amount).unwrap_or(0),
            rule.currency?,
        ),
        _ => return None,
    };
    Some(Plan {
        role: Role::Participant,
        trigger: "welcome".into(),
        kind: rule.kind,
        money,
        approve_at: now,
        rule: rule.clone(),
        explanation: Explanation {
            rule: "welcome_reward".into(),
            base_amount: money.amount,
            ..Explanation::default()
        },
    })
}

fn cap_refusal(cap: &AdvocateCap, usage: Usage, money: Money) -> Option<String> {
    let period = match cap.period {
        Period::AllTime => "in total".to_owned(),
        p => format!(
            "per {}",
            serde_json::to_value(p)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
    };
    if let Some(max) = cap.max_rewards {
        if usage.count >= max {
            return Some(format!(
                "the advocate reached the cap of {max} rewards {period}"
            ));
        }
    }
    if let Some(max) = cap.max_amount {
        if max.currency == money.currency && usage.amount.saturating_add(money.amount) > max.amount
        {
            return Some(format!(
                "the advocate would exceed the cap of {max} {period} ({} earned)",
                Money::new(usage.amount, max.currency)
            ));
        }
    }
    None
}

/// The day a coupon issued at `at` expires, if it does.
pub fn coupon_expiry(spec: &CouponSpec, at: Millis) -> Option<Millis> {
    spec.expires_in_days
        .map(|d| at.saturating_add(i64::from(d).saturating_mul(DAY_MS)))
}

#[cfg(test)]
mod tests;

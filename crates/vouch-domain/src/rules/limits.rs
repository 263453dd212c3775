//! What shapes rewards beyond one rule: boosts, milestones, caps, the second level; why a reward was refused; which payment earns.

use crate::money::Money;
use crate::reward::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

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

/// What `max_rewards` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapCounts {
    /// Friends rewarded (the default): "rewarded for at most 32 friends". A friend's
    /// later purchases or steps do not take another slot.
    #[default]
    Referrals,
    /// Every referrer reward (each purchase, signup or event reward takes a slot).
    Rewards,
}

/// A limit on what one advocate earns in a period. Milestone bonuses never take a
/// `max_rewards` slot (they count towards `max_amount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvocateCap {
    pub period: Period,
    /// At most this many friends rewarded (or rewards, with `counts: rewards`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rewards: Option<u32>,
    #[serde(default, skip_serializing_if = "is_default_counts")]
    pub counts: CapCounts,
    /// At most this much (rewards in other currencies are not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<Money>,
}

fn is_default_counts(c: &CapCounts) -> bool {
    *c == CapCounts::Referrals
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
    /// The program was paused when the payment came.
    ProgramPaused,
}

impl SkipReason {
    /// A condition of the rule refused the payment itself (as opposed to a limit such
    /// as a cap or the budget): such a payment does not qualify.
    pub fn is_condition(self) -> bool {
        matches!(
            self,
            Self::MinOrderAmount | Self::NoOrderAmount | Self::CurrencyMismatch | Self::ZeroAmount
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MinOrderAmount => "min_order_amount",
            Self::NoOrderAmount => "no_order_amount",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::AdvocateCap => "advocate_cap",
            Self::Budget => "budget",
            Self::ZeroAmount => "zero_amount",
            Self::ProgramPaused => "program_paused",
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

/// Which step of a referred friend this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The friend claimed the offer of the friend page.
    Arrival,
    Signup,
    /// The friend's `n`th purchase (1: the first that counts).
    Purchase(u32),
    /// The friend's `n`th subscription payment.
    SubscriptionPayment(u32),
    /// A custom event (paid once per referral).
    Event(crate::event::EventName),
}

impl Trigger {
    /// The name stored on rewards: with the referral and role, it makes each unique.
    pub fn key(self) -> String {
        match self {
            Self::Arrival => "arrival".into(),
            Self::Signup => "signup".into(),
            Self::Purchase(1) => "first_purchase".into(),
            Self::Purchase(n) => format!("purchase:{n}"),
            Self::SubscriptionPayment(n) => format!("month:{n}"),
            Self::Event(name) => format!("event:{name}"),
        }
    }

    /// The `n`th step of this kind (`n` only matters for payments).
    pub fn of(occ: crate::event::Occurrence, n: u32) -> Self {
        use crate::event::Occurrence as O;
        match occ {
            O::Arrival => Self::Arrival,
            O::Signup => Self::Signup,
            O::Purchase => Self::Purchase(n),
            O::SubscriptionPayment => Self::SubscriptionPayment(n),
            O::Custom(name) => Self::Event(name),
        }
    }

    pub fn occurrence(self) -> crate::event::Occurrence {
        use crate::event::Occurrence as O;
        match self {
            Self::Arrival => O::Arrival,
            Self::Signup => O::Signup,
            Self::Purchase(_) => O::Purchase,
            Self::SubscriptionPayment(_) => O::SubscriptionPayment,
            Self::Event(name) => O::Custom(name),
        }
    }
}

/// What earned a reward: a payment (or the signup) of the friend, one of the
/// program's milestones, or joining the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardTrigger {
    Payment(Trigger),
    /// The program's `milestones[i]`.
    Milestone(u32),
    Welcome,
    /// A contest's prize for this place.
    Contest(u32),
}

impl RewardTrigger {
    /// The name stored on rewards (`arrival`, `signup`, `first_purchase`, `purchase:2`,
    /// `month:3`, `event:app_installed`, `milestone:0`, `welcome`, `contest:1`): with the referral and role, it makes each unique.
    pub fn key(self) -> String {
        match self {
            Self::Payment(t) => t.key(),
            Self::Milestone(i) => format!("milestone:{i}"),
            Self::Welcome => "welcome".into(),
            Self::Contest(place) => format!("contest:{place}"),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "welcome" => Self::Welcome,
            "arrival" => Self::Payment(Trigger::Arrival),
            "signup" => Self::Payment(Trigger::Signup),
            "first_purchase" => Self::Payment(Trigger::Purchase(1)),
            _ => {
                let (kind, n) = s.split_once(':')?;
                if kind == "event" {
                    let name = crate::event::EventName::parse("trigger", n).ok()?;
                    return Some(Self::Payment(Trigger::Event(name)));
                }
                let n: u32 = n.parse().ok()?;
                match kind {
                    "purchase" => Self::Payment(Trigger::Purchase(n)),
                    "month" => Self::Payment(Trigger::SubscriptionPayment(n)),
                    "milestone" => Self::Milestone(n),
                    "contest" => Self::Contest(n),
                    _ => return None,
                }
            }
        })
    }
}

/// What an advocate has earned in the current cap period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Friends rewarded (or referrer rewards, with `counts: rewards`); milestones not
    /// counted.
    pub count: u32,
    /// This referral already holds a slot in the period (`counts: referrals`).
    pub this_referral_counted: bool,
    /// In the cap's currency.
    pub amount: i64,
}

/// What the limits have used so far while one event is evaluated.
pub(super) struct Limits {
    pub(super) usage: Usage,
    pub(super) spent: i64,
}

impl Limits {
    /// Adds `plan` to the decision, or records why the advocate's cap (referrer rewards)
    /// or the budget (every reward) refuses it.
    pub(super) fn admit(&mut self, rules: &Rules<'_>, plan: Plan, out: &mut Decision) {
        // A milestone bonus never takes a slot; counting friends, a friend already
        // rewarded in the period holds theirs.
        let per_referral = rules
            .advocate_cap
            .is_some_and(|c| c.counts == CapCounts::Referrals);
        let takes_slot = plan.role == Role::Referrer
            && !matches!(plan.trigger, RewardTrigger::Milestone(_))
            && !(per_referral && self.usage.this_referral_counted);
        if plan.role == Role::Referrer {
            if let Some(reason) = rules
                .advocate_cap
                .and_then(|cap| cap_refusal(cap, self.usage, plan.money, takes_slot))
            {
                out.skipped.push(skip(
                    plan.role,
                    &plan.trigger.key(),
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
                    &plan.trigger.key(),
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
        if takes_slot {
            self.usage.count = self.usage.count.saturating_add(1);
            self.usage.this_referral_counted = per_referral;
        }
        if plan.role == Role::Referrer {
            if let Some(max) = rules.advocate_cap.and_then(|c| c.max_amount) {
                if max.currency == plan.money.currency {
                    self.usage.amount = self.usage.amount.saturating_add(plan.money.amount);
                }
            }
        }
        out.plans.push(plan);
    }
}

fn cap_refusal(cap: &AdvocateCap, usage: Usage, money: Money, takes_slot: bool) -> Option<String> {
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
    if let (Some(max), true) = (cap.max_rewards, takes_slot) {
        if usage.count >= max {
            let what = match cap.counts {
                CapCounts::Referrals => "friends rewarded",
                CapCounts::Rewards => "rewards",
            };
            return Some(format!(
                "the advocate reached the cap of {max} {what} {period}"
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

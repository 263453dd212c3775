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

/// What earned a reward: a payment (or the signup) of the friend, one of the
/// program's milestones, or joining the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardTrigger {
    Payment(Trigger),
    /// The program's `milestones[i]`.
    Milestone(u32),
    Welcome,
}

impl RewardTrigger {
    /// The name stored on rewards (`first_purchase`, `purchase:2`, `month:3`,
    /// `milestone:0`, `welcome`): with the referral and role, it makes each unique.
    pub fn key(self) -> String {
        match self {
            Self::Payment(t) => t.key(),
            Self::Milestone(i) => format!("milestone:{i}"),
            Self::Welcome => "welcome".into(),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "welcome" => Self::Welcome,
            "signup" => Self::Payment(Trigger::Signup),
            "first_purchase" => Self::Payment(Trigger::Purchase(1)),
            _ => {
                let (kind, n) = s.split_once(':')?;
                let n: u32 = n.parse().ok()?;
                match kind {
                    "purchase" => Self::Payment(Trigger::Purchase(n)),
                    "month" => Self::Payment(Trigger::SubscriptionPayment(n)),
                    "milestone" => Self::Milestone(n),
                    _ => return None,
                }
            }
        })
    }
}

/// What an advocate has earned in the current cap period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub count: u32,
    /// In the cap's currency.
    pub amount: i64,
}

//! Rewards: what a conversion earns each side, when the hold ends, and what a refund
//! does to a reward in each status.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::Money;
use crate::program::{ProgramConfig, RewardKind, RewardRule};
use crate::{Millis, DAY_MS};

/// Which side of a referral a reward is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The advocate who shared the link.
    Referrer,
    /// The friend who was referred.
    Referee,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referrer => "referrer",
            Self::Referee => "referee",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "referrer" => Some(Self::Referrer),
            "referee" => Some(Self::Referee),
            _ => None,
        }
    }
}

/// Where a reward is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardStatus {
    /// Earned, inside the hold period.
    Pending,
    /// The hold passed; credit is spendable.
    Approved,
    Fulfilled,
    Redeemed,
    /// Refunded inside the hold: never became spendable.
    Cancelled,
    /// Refunded after approval: clawed back with a ledger entry.
    Reversed,
}

impl RewardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Fulfilled => "fulfilled",
            Self::Redeemed => "redeemed",
            Self::Cancelled => "cancelled",
            Self::Reversed => "reversed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "approved" => Self::Approved,
            "fulfilled" => Self::Fulfilled,
            "redeemed" => Self::Redeemed,
            "cancelled" => Self::Cancelled,
            "reversed" => Self::Reversed,
            _ => return None,
        })
    }

    /// What a refund of the rewarded order does: cancel inside the hold, reverse after.
    pub fn after_refund(self) -> Option<Self> {
        match self {
            Self::Pending => Some(Self::Cancelled),
            Self::Approved | Self::Fulfilled | Self::Redeemed => Some(Self::Reversed),
            Self::Cancelled | Self::Reversed => None,
        }
    }
}

/// A reward the engine decided to create, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardPlan {
    pub role: Role,
    pub kind: RewardKind,
    pub money: Money,
    /// When the hold ends; at or before creation means "approve at once".
    pub approve_at: Millis,
    /// A copy of the rule, so later program edits never change what was earned.
    pub rule: RewardRule,
}

/// The hold counts from the purchase itself, so a backfilled purchase whose hold has
/// already passed is approved at once; a purchase stamped in the future cannot make the
/// hold longer than `hold_days` from now.
pub fn approve_at(occurred_at: Millis, hold_days: i64, now: Millis) -> Millis {
    occurred_at
        .min(now)
        .saturating_add(hold_days.saturating_mul(DAY_MS))
}

/// The rewards a referral's first qualifying purchase earns: one per side that the
/// program rewards.
pub fn plan_conversion(
    config: &ProgramConfig,
    occurred_at: Millis,
    now: Millis,
) -> Vec<RewardPlan> {
    let at = approve_at(occurred_at, config.hold_days, now);
    [
        (Role::Referrer, &config.referrer_reward),
        (Role::Referee, &config.referee_reward),
    ]
    .into_iter()
    .filter_map(|(role, rule)| {
        rule.as_ref().map(|rule| RewardPlan {
            role,
            kind: rule.kind,
            money: rule.money(),
            approve_at: at,
            rule: rule.clone(),
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::program::AttributionModel;

    #[test]
    fn both_sides_get_their_rule_and_the_hold_counts_from_the_purchase() {
        let usd = Currency::parse("c", "USD").unwrap();
        let config = ProgramConfig {
            name: "p".into(),
            destination_url: "https://x.com".into(),
            allowed_domains: vec!["x.com".into()],
            attribution_window_days: 30,
            attribution_model: AttributionModel::LastClick,
            hold_days: 2,
            referrer_reward: Some(RewardRule {
                kind: RewardKind::Credit,
                amount: 1000,
                currency: usd,
            }),
            referee_reward: Some(RewardRule {
                kind: RewardKind::Credit,
                amount: 500,
                currency: usd,
            }),
            starts_at: None,
            ends_at: None,
        };
        let plans = plan_conversion(&config, 1_000, 5_000);
        assert_eq!(plans.len(), 2);
        assert_eq!(plans[0].role, Role::Referrer);
        assert_eq!(plans[0].money.amount, 1000);
        assert_eq!(plans[1].money.amount, 500);
        assert!(plans.iter().all(|p| p.approve_at == 1_000 + 2 * DAY_MS));
        // Stamped in the future: the hold still counts from now.
        assert!(plan_conversion(&config, 9_000, 5_000)
            .iter()
            .all(|p| p.approve_at == 5_000 + 2 * DAY_MS));
    }

    #[test]
    fn refunds_cancel_inside_the_hold_and_reverse_after() {
        assert_eq!(
            RewardStatus::Pending.after_refund(),
            Some(RewardStatus::Cancelled)
        );
        assert_eq!(
            RewardStatus::Approved.after_refund(),
            Some(RewardStatus::Reversed)
        );
        assert_eq!(RewardStatus::Cancelled.after_refund(), None);
    }
}

//! Rewards: what a conversion earns each side, when the hold ends, and what a refund
//! does to a reward in each status.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Millis, DAY_MS};

/// Which side of a referral a reward is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The advocate who shared the link.
    Referrer,
    /// The friend who was referred.
    Referee,
    /// The referrer's own referrer, when the program pays a second level.
    SecondLevel,
    /// A participant rewarded for joining, before any referral.
    Participant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referrer => "referrer",
            Self::Referee => "referee",
            Self::SecondLevel => "second_level",
            Self::Participant => "participant",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "referrer" => Some(Self::Referrer),
            "referee" => Some(Self::Referee),
            "second_level" => Some(Self::SecondLevel),
            "participant" => Some(Self::Participant),
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

    /// Rewards that still count as earned (caps, budgets); cancelled and reversed ones
    /// do not.
    pub const STANDING: [Self; 4] = [
        Self::Pending,
        Self::Approved,
        Self::Fulfilled,
        Self::Redeemed,
    ];

    /// What a refund of the rewarded order does: cancel inside the hold, reverse after.
    pub fn after_refund(self) -> Option<Self> {
        match self {
            Self::Pending => Some(Self::Cancelled),
            Self::Approved | Self::Fulfilled | Self::Redeemed => Some(Self::Reversed),
            Self::Cancelled | Self::Reversed => None,
        }
    }
}

/// The hold counts from the purchase itself, so a backfilled purchase whose hold has
/// already passed is approved at once; a purchase stamped in the future cannot make the
/// hold longer than `hold_days` from now.
pub fn approve_at(occurred_at: Millis, hold_days: i64, now: Millis) -> Millis {
    occurred_at
        .min(now)
        .saturating_add(hold_days.saturating_mul(DAY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hold_counts_from_the_purchase_never_from_the_future() {
        assert_eq!(approve_at(1_000, 2, 5_000), 1_000 + 2 * DAY_MS);
        assert_eq!(approve_at(9_000, 2, 5_000), 5_000 + 2 * DAY_MS);
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

//! A reward's transitions: created, approved, fulfilled, redeemed, cancelled, reversed (whole or in part).

use crate::entities::Reward;
use crate::reward::RewardStatus;
use crate::views::RewardOut;
use crate::Millis;

use super::*;

impl RewardStatus {
    /// Whether a reward may move from `self` to `to`.
    pub fn can_move_to(self, to: Self) -> bool {
        use RewardStatus as S;
        matches!(
            (self, to),
            (S::Pending, S::Approved | S::Cancelled)
                | (S::Approved, S::Fulfilled | S::Redeemed | S::Reversed)
                | (S::Fulfilled, S::Redeemed | S::Reversed)
                | (S::Redeemed, S::Reversed)
        )
    }

    /// Whether a reward in this status still counts as earned (budgets, caps).
    pub fn stands(self) -> bool {
        Self::STANDING.contains(&self)
    }
}

impl Reward {
    fn event(&self, kind: EventType, now: Millis) -> DomainEvent {
        event(
            kind,
            &self.workspace_id,
            Some(&self.program_id),
            Some(&self.participant_id),
            self.id.to_string(),
            to_json(RewardOut::from(self.clone())),
            now,
        )
    }

    /// A new reward was earned: `reward.created`, and `reward.approved` too when it was
    /// approved at once (no hold).
    pub fn created(&self, now: Millis) -> Vec<DomainEvent> {
        let mut out = vec![self.event(EventType::RewardCreated, now)];
        if self.status == RewardStatus::Approved {
            out.push(self.event(EventType::RewardApproved, now));
        }
        out
    }

    /// Moves the reward to `to`.
    pub fn move_to(
        &mut self,
        to: RewardStatus,
        now: Millis,
    ) -> Result<DomainEvent, IllegalTransition> {
        if !self.status.can_move_to(to) {
            return Err(IllegalTransition {
                subject: "reward",
                from: self.status.as_str(),
                to: to.as_str(),
            });
        }
        self.status = to;
        self.updated_at = now;
        let kind = match to {
            RewardStatus::Approved => EventType::RewardApproved,
            RewardStatus::Cancelled => EventType::RewardCancelled,
            RewardStatus::Reversed => EventType::RewardReversed,
            RewardStatus::Fulfilled => EventType::RewardFulfilled,
            RewardStatus::Redeemed => EventType::RewardRedeemed,
            // Unreachable: nothing moves back to pending.
            RewardStatus::Pending => EventType::RewardCreated,
        };
        Ok(self.event(kind, now))
    }

    /// A partial refund took `share` back; the reward keeps its status.
    pub fn reverse_partially(&mut self, share: i64, now: Millis) -> DomainEvent {
        self.reversed_amount = self.reversed_amount.saturating_add(share);
        self.updated_at = now;
        self.event(EventType::RewardPartiallyReversed, now)
    }
}

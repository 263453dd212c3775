//! The lifecycle in one place: every change of state of a referral, a reward, a
//! participant or a payout is a method here that checks the change is allowed and
//! returns the [`DomainEvent`] it caused. The use cases persist the entity and its
//! events in one transaction (the outbox); webhooks, emails, analytics and the activity
//! feed subscribe to those events.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

use crate::attribution::{ReferralStatus, RejectReason};
use crate::entities::{Participant, ParticipantStatus, Payout, PayoutLine, Referral, Reward};
use crate::ids::{ActivityId, EventId, ParticipantId, ProgramId, WorkspaceId};
use crate::reward::RewardStatus;
use crate::views::{rfc3339, ReferralOut, RewardOut};
use crate::Millis;

/// What happened, as a stable dotted name (`reward.approved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "participant.enrolled")]
    ParticipantEnrolled,
    #[serde(rename = "participant.blocked")]
    ParticipantBlocked,
    #[serde(rename = "participant.unblocked")]
    ParticipantUnblocked,
    #[serde(rename = "referral.created")]
    ReferralCreated,
    #[serde(rename = "referral.signed_up")]
    ReferralSignedUp,
    #[serde(rename = "referral.converted")]
    ReferralConverted,
    #[serde(rename = "referral.held")]
    ReferralHeld,
    #[serde(rename = "referral.approved")]
    ReferralApproved,
    #[serde(rename = "referral.rejected")]
    ReferralRejected,
    #[serde(rename = "referral.rewarded")]
    ReferralRewarded,
    #[serde(rename = "referral.reversed")]
    ReferralReversed,
    #[serde(rename = "reward.created")]
    RewardCreated,
    #[serde(rename = "reward.approved")]
    RewardApproved,
    #[serde(rename = "reward.cancelled")]
    RewardCancelled,
    #[serde(rename = "reward.reversed")]
    RewardReversed,
    #[serde(rename = "reward.partially_reversed")]
    RewardPartiallyReversed,
    #[serde(rename = "reward.fulfilled")]
    RewardFulfilled,
    #[serde(rename = "reward.redeemed")]
    RewardRedeemed,
    #[serde(rename = "payout.created")]
    PayoutCreated,
    #[serde(rename = "payout.line_paid")]
    PayoutLinePaid,
    #[serde(rename = "payout.line_failed")]
    PayoutLineFailed,
}

impl EventType {
    pub const ALL: [Self; 21] = [
        Self::ParticipantEnrolled,
        Self::ParticipantBlocked,
        Self::ParticipantUnblocked,
        Self::ReferralCreated,
        Self::ReferralSignedUp,
        Self::ReferralConverted,
        Self::ReferralHeld,
        Self::ReferralApproved,
        Self::ReferralRejected,
        Self::ReferralRewarded,
        Self::ReferralReversed,
        Self::RewardCreated,
        Self::RewardApproved,
        Self::RewardCancelled,
        Self::RewardReversed,
        Self::RewardPartiallyReversed,
        Self::RewardFulfilled,
        Self::RewardRedeemed,
        Self::PayoutCreated,
        Self::PayoutLinePaid,
        Self::PayoutLineFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParticipantEnrolled => "participant.enrolled",
            Self::ParticipantBlocked => "participant.blocked",
            Self::ParticipantUnblocked => "participant.unblocked",
            Self::ReferralCreated => "referral.created",
            Self::ReferralSignedUp => "referral.signed_up",
            Self::ReferralConverted => "referral.converted",
            Self::ReferralHeld => "referral.held",
            Self::ReferralApproved => "referral.approved",
            Self::ReferralRejected => "referral.rejected",
            Self::ReferralRewarded => "referral.rewarded",
            Self::ReferralReversed => "referral.reversed",
            Self::RewardCreated => "reward.created",
            Self::RewardApproved => "reward.approved",
            Self::RewardCancelled => "reward.cancelled",
            Self::RewardReversed => "reward.reversed",
            Self::RewardPartiallyReversed => "reward.partially_reversed",
            Self::RewardFulfilled => "reward.fulfilled",
            Self::RewardRedeemed => "reward.redeemed",
            Self::PayoutCreated => "payout.created",
            Self::PayoutLinePaid => "payout.line_paid",
            Self::PayoutLineFailed => "payout.line_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The kind of entity the event is about.
    pub fn subject_type(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or_default()
    }
}

/// One change of state, with the entity as it was right after it.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    pub id: ActivityId,
    pub kind: EventType,
    pub workspace_id: WorkspaceId,
    pub program_id: Option<ProgramId>,
    /// The participant it concerns most (the advocate for referrals, the owner for
    /// rewards), for filtering.
    pub participant_id: Option<ParticipantId>,
    /// The entity it is about (`ref_…`, `rwd_…`, `prt_…`, `po_…`): events of one subject
    /// are delivered in the order they happened.
    pub subject_id: String,
    /// The entity's public representation (the API's shape) after the change.
    pub data: serde_json::Value,
    pub occurred_at: Millis,
}

/// A change of state the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a {subject} cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub subject: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

fn event(
    kind: EventType,
    workspace_id: &WorkspaceId,
    program_id: Option<&ProgramId>,
    participant_id: Option<&ParticipantId>,
    subject_id: String,
    data: serde_json::Value,
    now: Millis,
) -> DomainEvent {
    DomainEvent {
        id: ActivityId::new(),
        kind,
        workspace_id: workspace_id.clone(),
        program_id: program_id.cloned(),
        participant_id: participant_id.cloned(),
        subject_id,
        data,
        occurred_at: now,
    }
}

fn to_json<T: Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

impl Referral {
    fn event(&self, kind: EventType, now: Millis) -> DomainEvent {
        event(
            kind,
            &self.workspace_id,
            Some(&self.program_id),
            Some(&self.referrer_participant_id),
            self.id.to_string(),
            to_json(ReferralOut::from(self.clone())),
            now,
        )
    }

    fn illegal(&self, to: ReferralStatus) -> IllegalTransition {
        IllegalTransition {
            subject: "referral",
            from: self.status.as_str(),
            to: to.as_str(),
        }
    }

    /// A new referral was recorded (clicked, or already rejected with its reason).
    pub fn created(&self, now: Millis) -> Vec<DomainEvent> {
        let mut out = vec![self.event(EventType::ReferralCreated, now)];
        if self.status == ReferralStatus::Rejected {
            out.push(self.event(EventType::ReferralRejected, now));
        }
        out
    }

    /// The friend signed up. A signup after a later state changes nothing.
    pub fn sign_up(&mut self, at: Millis, now: Millis) -> Option<DomainEvent> {
        self.signed_up_at.get_or_insert(at);
        if self.status != ReferralStatus::Clicked {
            return None;
        }
        self.status = ReferralStatus::SignedUp;
        self.updated_at = now;
        Some(self.event(EventType::ReferralSignedUp, now))
    }

    /// Earns nothing from now on, for `reason`.
    pub fn reject(
        &mut self,
        reason: RejectReason,
        now: Millis,
    ) -> Result<DomainEvent, IllegalTransition> {
        if matches!(
            self.status,
            ReferralStatus::Rejected | ReferralStatus::Reversed
        ) {
            return Err(self.illegal(ReferralStatus::Rejected));
        }
        self.status = ReferralStatus::Rejected;
        self.reason = Some(reason);
        if self.review.as_deref() == Some(REVIEW_PENDING) {
            self.review = Some(REVIEW_REJECTED.into());
        }
        self.updated_at = now;
        Ok(self.event(EventType::ReferralRejected, now))
    }

    /// The friend's first qualifying purchase.
    pub fn convert(
        &mut self,
        referee: ParticipantId,
        at: Millis,
        event_id: &EventId,
        now: Millis,
    ) -> Result<DomainEvent, IllegalTransition> {
        if !self.status.awaits_conversion() {
            return Err(self.illegal(ReferralStatus::Converted));
        }
        self.referee_participant_id = Some(referee);
        self.status = ReferralStatus::Converted;
        self.converted_at = Some(at);
        self.conversion_event_id = Some(event_id.clone());
        self.updated_at = now;
        Ok(self.event(EventType::ReferralConverted, now))
    }

    /// Every reward of the conversion is approved.
    pub fn mark_rewarded(&mut self, now: Millis) -> Result<DomainEvent, IllegalTransition> {
        if self.status != ReferralStatus::Converted {
            return Err(self.illegal(ReferralStatus::Rewarded));
        }
        self.status = ReferralStatus::Rewarded;
        self.updated_at = now;
        Ok(self.event(EventType::ReferralRewarded, now))
    }

    /// The converting order was refunded in full. Other states have nothing to reverse.
    pub fn reverse(&mut self, now: Millis) -> Option<DomainEvent> {
        if !matches!(
            self.status,
            ReferralStatus::Converted | ReferralStatus::Rewarded
        ) {
            return None;
        }
        self.status = ReferralStatus::Reversed;
        self.updated_at = now;
        Some(self.event(EventType::ReferralReversed, now))
    }

    /// Held for review by the fraud rules; once reviewed it is not held again, and a
    /// referral that earns nothing any more (rejected, reversed) is not held.
    pub fn hold(&mut self, now: Millis) -> Option<DomainEvent> {
        if self.review.is_some()
            || matches!(
                self.status,
                ReferralStatus::Rejected | ReferralStatus::Reversed
            )
        {
            return None;
        }
        self.review = Some(REVIEW_PENDING.into());
        self.updated_at = now;
        Some(self.event(EventType::ReferralHeld, now))
    }

    /// A person approved a held referral.
    pub fn approve_review(&mut self, now: Millis) -> Result<DomainEvent, IllegalTransition> {
        if self.review.as_deref() != Some(REVIEW_PENDING) {
            return Err(IllegalTransition {
                subject: "referral review",
                from: review_name(self.review.as_deref()),
                to: REVIEW_APPROVED,
            });
        }
        self.review = Some(REVIEW_APPROVED.into());
        self.updated_at = now;
        Ok(self.event(EventType::ReferralApproved, now))
    }

    /// A person rejected a held referral: it earns nothing, as fraud.
    pub fn reject_review(&mut self, now: Millis) -> Result<DomainEvent, IllegalTransition> {
        if self.review.as_deref() != Some(REVIEW_PENDING) {
            return Err(IllegalTransition {
                subject: "referral review",
                from: review_name(self.review.as_deref()),
                to: REVIEW_REJECTED,
            });
        }
        self.review = Some(REVIEW_REJECTED.into());
        if self.status == ReferralStatus::Rejected {
            self.updated_at = now;
            return Ok(self.event(EventType::ReferralRejected, now));
        }
        self.reject(RejectReason::Fraud, now)
    }
}

/// The review state of a referral held by the fraud rules.
pub const REVIEW_PENDING: &str = "pending";
pub const REVIEW_APPROVED: &str = "approved";
pub const REVIEW_REJECTED: &str = "rejected";

fn review_name(r: Option<&str>) -> &'static str {
    match r {
        Some(REVIEW_PENDING) => REVIEW_PENDING,
        Some(REVIEW_APPROVED) => REVIEW_APPROVED,
        Some(REVIEW_REJECTED) => REVIEW_REJECTED,
        _ => "not held",
    }
}

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

/// The public shape of a participant in events.
fn participant_data(p: &Participant) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "program_id": p.program_id,
        "email": p.email,
        "name": p.name,
        "external_id": p.external_id,
        "locale": p.locale,
        "status": p.status.as_str(),
        "referral_code": p.referral_code,
        "referred_by": p.referred_by,
        "created_at": rfc3339(p.created_at),
    })
}

impl Participant {
    fn event(&self, kind: EventType, now: Millis) -> DomainEvent {
        event(
            kind,
            &self.workspace_id,
            Some(&self.program_id),
            Some(&self.id),
            self.id.to_string(),
            participant_data(self),
            now,
        )
    }

    /// Joined the program (or was enrolled by their first purchase as a friend).
    pub fn enrolled(&self, now: Millis) -> DomainEvent {
        self.event(EventType::ParticipantEnrolled, now)
    }

    /// Links stop working; blocking twice changes nothing the second time.
    pub fn block(&mut self, now: Millis) -> Option<DomainEvent> {
        if self.status == ParticipantStatus::Blocked {
            return None;
        }
        self.status = ParticipantStatus::Blocked;
        Some(self.event(EventType::ParticipantBlocked, now))
    }

    pub fn unblock(&mut self, now: Millis) -> Option<DomainEvent> {
        if self.status == ParticipantStatus::Active {
            return None;
        }
        self.status = ParticipantStatus::Active;
        Some(self.event(EventType::ParticipantUnblocked, now))
    }
}

/// The status of a payout line.
pub const LINE_PENDING: &str = "pending";
pub const LINE_PAID: &str = "paid";
pub const LINE_FAILED: &str = "failed";

fn line_data(l: &PayoutLine) -> serde_json::Value {
    serde_json::json!({
        "id": l.id,
        "payout_id": l.payout_id,
        "participant_id": l.participant_id,
        "amount": l.amount,
        "currency": l.currency,
        "status": l.status,
        "reference": l.reference,
        "error": l.error,
        "updated_at": rfc3339(l.updated_at),
    })
}

impl Payout {
    /// A batch was created with its lines.
    pub fn created(&self, lines: &[PayoutLine]) -> DomainEvent {
        event(
            EventType::PayoutCreated,
            &self.workspace_id,
            self.program_id.as_ref(),
            None,
            self.id.to_string(),
            serde_json::json!({
                "id": self.id,
                "program_id": self.program_id,
                "currency": self.currency,
                "status": self.status,
                "total": self.total,
                "lines": lines.iter().map(line_data).collect::<Vec<_>>(),
                "created_at": rfc3339(self.created_at),
            }),
            self.created_at,
        )
    }
}

impl PayoutLine {
    /// The merchant reported the line paid or failed; only a pending line moves.
    pub fn settle(&mut self, paid: bool, now: Millis) -> Result<DomainEvent, IllegalTransition> {
        let to = if paid { LINE_PAID } else { LINE_FAILED };
        if self.status != LINE_PENDING {
            return Err(IllegalTransition {
                subject: "payout line",
                from: match self.status.as_str() {
                    LINE_PAID => LINE_PAID,
                    LINE_FAILED => LINE_FAILED,
                    _ => "unknown",
                },
                to,
            });
        }
        self.status = to.into();
        self.updated_at = now;
        let kind = if paid {
            EventType::PayoutLinePaid
        } else {
            EventType::PayoutLineFailed
        };
        Ok(event(
            kind,
            &self.workspace_id,
            None,
            Some(&self.participant_id),
            self.payout_id.to_string(),
            line_data(self),
            now,
        ))
    }
}

#[cfg(test)]
mod tests;

//! The lifecycle in one place: every change of state of a referral, a reward, a
//! participant or a payout is a method here that checks the change is allowed and
//! returns the [`DomainEvent`] it caused. The use cases persist the entity and its
//! events in one transaction (the outbox); webhooks, emails, analytics and the activity
//! feed subscribe to those events.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

use crate::ids::{ActivityId, ParticipantId, ProgramId, WorkspaceId};
use crate::Millis;

mod participant;
mod payout;
mod referral;
mod reward;

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
    #[serde(rename = "referral.reopened")]
    ReferralReopened,
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
    #[serde(rename = "contest.closed")]
    ContestClosed,
}

impl EventType {
    pub const ALL: [Self; 23] = [
        Self::ParticipantEnrolled,
        Self::ParticipantBlocked,
        Self::ParticipantUnblocked,
        Self::ReferralCreated,
        Self::ReferralSignedUp,
        Self::ReferralConverted,
        Self::ReferralHeld,
        Self::ReferralReopened,
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
        Self::ContestClosed,
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
            Self::ReferralReopened => "referral.reopened",
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
            Self::ContestClosed => "contest.closed",
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

pub(crate) fn event(
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

#[cfg(test)]
mod tests;

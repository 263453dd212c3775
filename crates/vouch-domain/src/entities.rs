//! The glossary's entities as rows: programs, participants, customers, referrals,
//! rewards and payouts. Their states are the enums of [`crate::attribution`] and
//! [`crate::reward`]; the transitions between them live in [`crate::lifecycle`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attribution::{AttributionSource, ReferralStatus, RejectReason};
use crate::ids::*;
use crate::money::Currency;
use crate::program::{ProgramConfig, RewardKind};
use crate::reward::{RewardStatus, Role};
use crate::rules::RewardTrigger;
use crate::Millis;

/// Where a referral the fraud rules held is in the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// Held: its rewards wait for a person's decision.
    Pending,
    Approved,
    Rejected,
}

impl Review {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// Why a pending reward waits beyond its hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PendingReason {
    /// Its referral is held for review.
    Review,
    /// Its coupon pool had no free code; it gets one when codes are uploaded.
    CouponPoolEmpty,
    /// The merchant's `reward.requested` check has not answered yet.
    MerchantCheck,
}

impl PendingReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::CouponPoolEmpty => "coupon_pool_empty",
            Self::MerchantCheck => "merchant_check",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "review" => Some(Self::Review),
            "coupon_pool_empty" => Some(Self::CouponPoolEmpty),
            "merchant_check" => Some(Self::MerchantCheck),
            _ => None,
        }
    }
}

/// A payout batch: pending until every line is paid or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    Pending,
    Completed,
}

impl PayoutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "completed" => Some(Self::Completed),
            _ => None,
        }
    }
}

/// One participant's line in a payout batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Pending,
    Paid,
    Failed,
}

impl LineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "paid" => Some(Self::Paid),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramStatus {
    Active,
    Paused,
}

impl ProgramStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Program {
    pub id: ProgramId,
    pub workspace_id: WorkspaceId,
    pub slug: String,
    pub status: ProgramStatus,
    pub config: ProgramConfig,
    /// Bumped on every edit; rewards record the version that produced them.
    pub version: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantStatus {
    Active,
    Blocked,
}

impl ParticipantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Blocked => "blocked",
        }
    }
}
#[derive(Debug, Clone)]
pub struct Participant {
    pub id: ParticipantId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub locale: String,
    pub status: ParticipantStatus,
    /// The participant's first (primary) referral code.
    pub referral_code: String,
    /// The referral that brought them in, for friends enrolled by a purchase.
    pub referred_by: Option<ReferralId>,
    /// The advocate's own network and device, as seen when they joined.
    pub fingerprint: Fingerprint,
    pub created_at: Millis,
}
/// What identifies a person's network and device, as far as the merchant tells: IPs
/// only as keyed hashes, user agents hashed too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub ip_hash: Option<String>,
    pub ua_hash: Option<String>,
    pub device_id: Option<String>,
    pub payment_fingerprint: Option<String>,
    /// The browser string said it was automated (never stored; read when it was seen).
    pub automated: bool,
}
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: CustomerId,
    pub email_normalized: Option<String>,
    pub external_id: Option<String>,
    pub referral_id: Option<ReferralId>,
    pub first_purchase_at: Option<Millis>,
}
#[derive(Debug, Clone)]
pub struct Referral {
    pub id: ReferralId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub referrer_participant_id: ParticipantId,
    pub referee_participant_id: Option<ParticipantId>,
    pub customer_id: CustomerId,
    pub status: ReferralStatus,
    pub reason: Option<RejectReason>,
    pub source: AttributionSource,
    pub click_id: Option<ClickId>,
    pub touched_at: Millis,
    pub signed_up_at: Option<Millis>,
    pub converted_at: Option<Millis>,
    pub conversion_event_id: Option<EventId>,
    /// Purchases and subscription payments attributed so far (the next is `payments + 1`).
    pub payments: i64,
    /// Rewards a rule would have given but a limit refused, with the reason.
    pub skipped: Vec<crate::rules::Skipped>,
    /// The friend's network (and its range) and device as first seen.
    pub ip_hash: Option<String>,
    pub ip_range_hash: Option<String>,
    pub device_id: Option<String>,
    pub risk_score: i64,
    pub signals: Vec<crate::fraud::Signal>,
    /// `pending`, `approved` or `rejected` once held for review.
    pub review: Option<Review>,
    pub created_at: Millis,
    pub updated_at: Millis,
}
#[derive(Debug, Clone)]
pub struct Reward {
    pub id: RewardId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    /// Absent for rewards not tied to a referral (the welcome reward).
    pub referral_id: Option<ReferralId>,
    pub event_id: Option<EventId>,
    pub role: Role,
    pub trigger: RewardTrigger,
    pub kind: RewardKind,
    pub amount: i64,
    pub currency: Currency,
    pub status: RewardStatus,
    pub rule: serde_json::Value,
    /// What the rule was applied to: the order, its amount, how the referral was
    /// attributed. With `rule`, this explains the reward.
    pub inputs: serde_json::Value,
    pub program_version: i64,
    pub approve_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Why a pending reward waits beyond its hold (`coupon_pool_empty`).
    pub pending_reason: Option<PendingReason>,
    /// Clawed back by partial refunds so far.
    pub reversed_amount: i64,
    pub coupon_code: Option<String>,
    pub coupon_expires_at: Option<Millis>,
    pub fulfilment_reference: Option<String>,
    pub fulfilled_at: Option<Millis>,
    pub payout_line_id: Option<String>,
}

impl Reward {
    /// A new reward with nothing fulfilled, reversed or drawn yet.
    #[allow(clippy::too_many_arguments)]
    pub fn new_plain(
        program: &Program,
        participant: ParticipantId,
        referral: Option<ReferralId>,
        event: Option<EventId>,
        role: Role,
        trigger: RewardTrigger,
        kind: RewardKind,
        money: crate::money::Money,
        status: RewardStatus,
        approve_at: Millis,
        now: Millis,
    ) -> Self {
        Self {
            id: RewardId::new(),
            workspace_id: program.workspace_id.clone(),
            program_id: program.id.clone(),
            participant_id: participant,
            referral_id: referral,
            event_id: event,
            role,
            trigger,
            kind,
            amount: money.amount,
            currency: money.currency,
            status,
            rule: serde_json::Value::Null,
            inputs: serde_json::Value::Null,
            program_version: program.version,
            approve_at,
            created_at: now,
            updated_at: now,
            pending_reason: None,
            reversed_amount: 0,
            coupon_code: None,
            coupon_expires_at: None,
            fulfilment_reference: None,
            fulfilled_at: None,
            payout_line_id: None,
        }
    }

    pub fn money(&self) -> crate::money::Money {
        crate::money::Money::new(self.amount, self.currency)
    }
}
#[derive(Debug, Clone)]
pub struct Payout {
    pub id: PayoutId,
    pub workspace_id: WorkspaceId,
    pub program_id: Option<ProgramId>,
    pub currency: Currency,
    /// `pending` until every line is paid or failed, then `completed`.
    pub status: PayoutStatus,
    pub total: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct PayoutLine {
    pub id: PayoutLineId,
    pub payout_id: PayoutId,
    pub workspace_id: WorkspaceId,
    pub participant_id: ParticipantId,
    pub email: Option<String>,
    pub amount: i64,
    pub currency: Currency,
    /// `pending`, `paid` or `failed`.
    pub status: LineStatus,
    pub reference: Option<String>,
    pub error: Option<String>,
    pub updated_at: Millis,
}

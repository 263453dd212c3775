//! A referral's transitions: created, signed up, held and reviewed, converted, rewarded, rejected, reversed.

use crate::attribution::{ReferralStatus, RejectReason};
use crate::entities::Referral;
use crate::ids::{EventId, ParticipantId};
use crate::views::ReferralOut;
use crate::Millis;

use super::*;
use crate::entities::Review;

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

    /// A referral rejected only because the program was paused, judged again after
    /// the pause with the friend's new touch: `referral.reopened`, and
    /// `referral.rejected` when the new judgment rejects it too.
    pub fn reopened(&self, now: Millis) -> Vec<DomainEvent> {
        let mut out = vec![self.event(EventType::ReferralReopened, now)];
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
        if self.review == Some(Review::Pending) {
            self.review = Some(Review::Rejected);
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
        if self.review.is_some() || !ReferralStatus::HOLDABLE.contains(&self.status) {
            return None;
        }
        self.review = Some(Review::Pending);
        self.updated_at = now;
        Some(self.event(EventType::ReferralHeld, now))
    }

    /// A person approved a held referral.
    pub fn approve_review(&mut self, now: Millis) -> Result<DomainEvent, IllegalTransition> {
        if self.review != Some(Review::Pending) {
            return Err(IllegalTransition {
                subject: "referral review",
                from: self.review.map_or("not held", Review::as_str),
                to: Review::Approved.as_str(),
            });
        }
        self.review = Some(Review::Approved);
        self.updated_at = now;
        Ok(self.event(EventType::ReferralApproved, now))
    }

    /// A person rejected a held referral: it earns nothing, as fraud.
    pub fn reject_review(&mut self, now: Millis) -> Result<DomainEvent, IllegalTransition> {
        if self.review != Some(Review::Pending) {
            return Err(IllegalTransition {
                subject: "referral review",
                from: self.review.map_or("not held", Review::as_str),
                to: Review::Rejected.as_str(),
            });
        }
        self.review = Some(Review::Rejected);
        if self.status == ReferralStatus::Rejected {
            self.updated_at = now;
            return Ok(self.event(EventType::ReferralRejected, now));
        }
        self.reject(RejectReason::Fraud, now)
    }
}

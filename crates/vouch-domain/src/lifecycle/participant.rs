//! A participant's transitions: enrolled, blocked, unblocked.

use crate::entities::{Participant, ParticipantStatus};
use crate::views::rfc3339;
use crate::Millis;

use super::*;

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

//! A payout's transitions: created, and each line paid or failed.

use crate::entities::{Payout, PayoutLine};
use crate::views::rfc3339;
use crate::Millis;

use super::*;
use crate::entities::LineStatus;

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
        let to = if paid {
            LineStatus::Paid
        } else {
            LineStatus::Failed
        };
        if self.status != LineStatus::Pending {
            return Err(IllegalTransition {
                subject: "payout line",
                from: self.status.as_str(),
                to: to.as_str(),
            });
        }
        self.status = to;
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

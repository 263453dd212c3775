//! The email outbox, the suppression list and programs' own templates.

use vouch_domain::ids::*;
use vouch_domain::notification::{EmailKind, EmailStatus, SuppressionReason};
use vouch_domain::Millis;

#[derive(Debug, Clone)]
pub struct EmailMessage {
    pub id: EmailId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    /// The recipient, or for invitations the advocate who sent it.
    pub participant_id: ParticipantId,
    pub kind: EmailKind,
    pub to_address: Option<String>,
    pub locale: Option<String>,
    /// The facts the message shows.
    pub data: serde_json::Value,
    pub dedupe_key: String,
    pub status: EmailStatus,
    /// Why it was skipped.
    pub reason: Option<String>,
    pub subject: Option<String>,
    pub attempts: i64,
    pub send_at: Millis,
    pub sent_at: Option<Millis>,
    pub smtp_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Filters and cursor for the email log; newest first.
#[derive(Debug, Clone, Default)]
pub struct EmailQuery {
    pub participant_id: Option<ParticipantId>,
    pub kind: Option<EmailKind>,
    pub status: Option<EmailStatus>,
    pub to_address: Option<String>,
    pub cursor: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct Suppression {
    pub workspace_id: WorkspaceId,
    pub email_normalized: String,
    pub email: String,
    pub reason: SuppressionReason,
    pub created_at: Millis,
}

/// A program's own words for a message in one language.
#[derive(Debug, Clone)]
pub struct EmailTemplate {
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub kind: EmailKind,
    pub locale: String,
    pub source: String,
    pub updated_at: Millis,
}

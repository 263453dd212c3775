//! Emails: the outbox of messages to people, the suppression list, programs' templates.

use async_trait::async_trait;
use vouch_domain::ids::*;
use vouch_domain::notification::EmailKind;
use vouch_domain::Millis;

use crate::error::Result;
use crate::model::*;

/// Emails, suppressions and templates: reads and single-statement writes.
#[async_trait]
pub trait EmailStore: Send + Sync {
    async fn get_email(&self, id: &EmailId) -> Result<Option<EmailMessage>>;
    /// A workspace's emails, newest first, after the cursor (`limit + 1` rows).
    async fn list_emails(&self, ws: &WorkspaceId, q: &EmailQuery) -> Result<Vec<EmailMessage>>;
    /// Emails of `kind` about a participant made since `since` (the invitation limit).
    async fn count_emails_since(
        &self,
        participant: &ParticipantId,
        kind: EmailKind,
        since: Millis,
    ) -> Result<i64>;
    /// Adds an address (or changes its reason); true when it was not listed before.
    async fn put_suppression(&self, s: &Suppression) -> Result<bool>;
    async fn get_suppression(
        &self,
        ws: &WorkspaceId,
        email_normalized: &str,
    ) -> Result<Option<Suppression>>;
    async fn delete_suppression(&self, ws: &WorkspaceId, email_normalized: &str) -> Result<bool>;
    /// Ordered by address, after the cursor (an address), `limit + 1` rows.
    async fn list_suppressions(
        &self,
        ws: &WorkspaceId,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Suppression>>;
    async fn put_template(&self, t: &EmailTemplate) -> Result<()>;
    async fn get_template(
        &self,
        program: &ProgramId,
        kind: EmailKind,
        locale: &str,
    ) -> Result<Option<EmailTemplate>>;
    async fn list_templates(&self, program: &ProgramId) -> Result<Vec<EmailTemplate>>;
    async fn delete_template(
        &self,
        program: &ProgramId,
        kind: EmailKind,
        locale: &str,
    ) -> Result<bool>;
}

/// Emails: work inside a transaction.
#[async_trait]
pub trait EmailTx: Send {
    /// Inserts an email; false when one with its dedupe key exists.
    async fn insert_email(&mut self, m: &EmailMessage) -> Result<bool>;
    /// Writes the fields an attempt changes.
    async fn update_email(&mut self, m: &EmailMessage) -> Result<()>;
}

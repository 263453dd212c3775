//! Participants (advocates) and their enrolment.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Participants (advocates) and their enrolment: reads and single-statement writes.
#[async_trait]
pub trait ParticipantStore: Send + Sync {
    async fn get_participant(
        &self,
        ws: &WorkspaceId,
        id: &ParticipantId,
    ) -> Result<Option<Participant>>;
    async fn list_participants(&self, ws: &WorkspaceId, q: &ListQuery)
        -> Result<Page<Participant>>;
    async fn participant_stats(&self, id: &ParticipantId) -> Result<ParticipantStats>;
    /// Whether someone with this email (normalized) or external id is enrolled.
    async fn is_enrolled(
        &self,
        program: &ProgramId,
        email_normalized: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<bool>;
}

/// Participants (advocates) and their enrolment: work inside a transaction.
#[async_trait]
pub trait ParticipantTx: Send {
    /// Enrols a participant with `code`. An email or external id already enrolled in the
    /// program returns `Existing`; a taken code fails with `Conflict { what: "referral_code" }`.
    async fn enroll(
        &mut self,
        p: &NewParticipant,
        code: &vouch_domain::code::ReferralCode,
    ) -> Result<Enrolment>;
    async fn get_participant(&mut self, id: &ParticipantId) -> Result<Option<Participant>>;
    async fn set_participant_status(
        &mut self,
        id: &ParticipantId,
        status: ParticipantStatus,
    ) -> Result<()>;
    async fn find_participant(
        &mut self,
        program: &ProgramId,
        email_normalized: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Option<Participant>>;
    /// The workspace's hashing key, which places each customer in a holdout group.
    async fn workspace_hash_key(&mut self, ws: &WorkspaceId) -> Result<Option<String>>;
    /// The participant who owns `code` in `program`.
    async fn find_code_owner(
        &mut self,
        program: &ProgramId,
        code: &str,
    ) -> Result<Option<Participant>>;
}

//! Referrals.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Referrals: reads and single-statement writes.
#[async_trait]
pub trait ReferralStore: Send + Sync {
    async fn get_referral(&self, ws: &WorkspaceId, id: &ReferralId) -> Result<Option<Referral>>;
    async fn list_referrals(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Referral>>;
    /// Every referral of the program.
    async fn program_referrals(&self, program: &ProgramId) -> Result<Vec<Referral>>;
    /// Participants of the program who were themselves referred (have an upline).
    async fn program_referred_participants(
        &self,
        program: &ProgramId,
    ) -> Result<Vec<ParticipantId>>;
}

/// Referrals: work inside a transaction.
#[async_trait]
pub trait ReferralTx: Send {
    async fn insert_referral(&mut self, r: &Referral) -> Result<()>;
    /// Reads the referral and, on PostgreSQL, locks its row until commit.
    async fn get_referral_for_update(&mut self, id: &ReferralId) -> Result<Option<Referral>>;
    async fn update_referral(&mut self, r: &Referral) -> Result<()>;
}

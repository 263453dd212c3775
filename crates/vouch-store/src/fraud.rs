//! Fraud: the counts the rules read, the block list and the audit log.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Fraud: the counts the rules read, the block list and the audit log: reads and single-statement writes.
#[async_trait]
pub trait FraudStore: Send + Sync {
    /// Adds an entry; adding it again changes nothing.
    async fn add_block(&self, e: &BlockEntry) -> Result<()>;
    /// `false` when there was no such entry.
    async fn remove_block(&self, ws: &WorkspaceId, kind: &str, value: &str) -> Result<bool>;
    async fn list_blocks(&self, ws: &WorkspaceId) -> Result<Vec<BlockEntry>>;
    async fn list_audit(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<AuditEntry>>;
    /// Writes an entry outside any other transaction.
    async fn audit(&self, e: &AuditEntry) -> Result<()>;
}

/// Fraud: the counts the rules read, the block list and the audit log: work inside a transaction.
#[async_trait]
pub trait FraudTx: Send {
    /// Counts around a referral for the fraud rules, and the block list entry the
    /// friend matches, in one read.
    async fn fraud_counts(&mut self, q: &FraudQuery<'_>) -> Result<FraudCounts>;
    async fn insert_audit(&mut self, e: &AuditEntry) -> Result<()>;
    /// The referrals of one advocate (or one network range) touched since `since` that
    /// were never reviewed and are [`ReferralStatus::HOLDABLE`](vouch_domain::attribution::ReferralStatus::HOLDABLE),
    /// locked until commit on PostgreSQL: the ones the domain may hold.
    async fn related_referrals(&mut self, q: &HoldQuery<'_>) -> Result<Vec<Referral>>;
    /// Records the identities a person showed (once per identity, person and role).
    async fn record_identities(&mut self, s: &Showing<'_>) -> Result<()>;
    /// The holdable, never reviewed referrals of everyone else who showed one of
    /// `marks`, locked until commit on PostgreSQL.
    async fn sharing_referrals(
        &mut self,
        ws: &WorkspaceId,
        marks: &[IdentityMark],
        exclude: &ReferralId,
    ) -> Result<Vec<Referral>>;
}

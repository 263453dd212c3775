//! Rewards, the ledger, and redemptions.

use async_trait::async_trait;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use crate::error::Result;
use crate::model::*;

/// Rewards, the ledger, and redemptions: reads and single-statement writes.
#[async_trait]
pub trait RewardStore: Send + Sync {
    async fn get_reward(&self, ws: &WorkspaceId, id: &RewardId) -> Result<Option<Reward>>;
    async fn list_rewards(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Reward>>;
    /// Rewards created by the given events.
    async fn rewards_for_events(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Reward>>;
    async fn balances(&self, id: &ParticipantId) -> Result<Vec<Balance>>;
}

/// Rewards, the ledger, and redemptions: work inside a transaction.
#[async_trait]
pub trait RewardTx: Send {
    /// Inserts rewards in one statement; returns the ids inserted. A reward that already
    /// exists (same referral, role and trigger) is skipped.
    async fn insert_rewards(&mut self, rewards: &[Reward]) -> Result<Vec<RewardId>>;
    async fn rewards_for_event(&mut self, event: &EventId) -> Result<Vec<Reward>>;
    async fn rewards_for_referral(&mut self, referral: &ReferralId) -> Result<Vec<Reward>>;
    /// A participant's rewards in `status`, locked until commit on PostgreSQL.
    async fn participant_rewards(
        &mut self,
        participant: &ParticipantId,
        status: vouch_domain::reward::RewardStatus,
    ) -> Result<Vec<Reward>>;
    async fn get_reward_for_update(&mut self, id: &RewardId) -> Result<Option<Reward>>;
    /// Writes a reward's mutable fields (status, reversals, coupon, fulfilment, payout).
    async fn update_reward(&mut self, r: &Reward) -> Result<()>;
    /// What tiers, milestones, caps and the budget read, in one round trip.
    async fn advocate_totals(&mut self, q: &TotalsQuery<'_>) -> Result<AdvocateTotals>;
    /// Adds `delta` to what the program's standing rewards add up to in `currency`
    /// (rewards inserted add themselves; cancellations and clawbacks call this).
    async fn adjust_program_spend(
        &mut self,
        program: &ProgramId,
        currency: &vouch_domain::money::Currency,
        delta: i64,
    ) -> Result<()>;
    /// What the program's standing rewards add up to, per currency (points as `PTS`).
    async fn program_spend(
        &mut self,
        program: &ProgramId,
    ) -> Result<Vec<(vouch_domain::money::Currency, i64)>>;
    /// The balance of one ledger account in `currency`.
    async fn account_balance(
        &mut self,
        account: &str,
        currency: &vouch_domain::money::Currency,
    ) -> Result<i64>;
    /// Posts balanced transactions (two statements however many). A transaction whose
    /// idempotency key was posted before is skipped, with its postings.
    async fn post_ledger(&mut self, txs: &[NewLedgerTx]) -> Result<()>;
    /// The participant's available balance in `currency`, from the ledger.
    async fn available_balance(
        &mut self,
        participant: &ParticipantId,
        currency: &vouch_domain::money::Currency,
    ) -> Result<i64>;
    async fn find_redemption(
        &mut self,
        participant: &ParticipantId,
        idempotency_key: &str,
    ) -> Result<Option<Redemption>>;
    /// `false` when a redemption with the same idempotency key exists.
    async fn insert_redemption(&mut self, r: &Redemption) -> Result<bool>;
}

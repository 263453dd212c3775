//! Cash payouts: batches and their lines.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Cash payouts: batches and their lines: reads and single-statement writes.
#[async_trait]
pub trait PayoutStore: Send + Sync {
    async fn get_payout(
        &self,
        ws: &WorkspaceId,
        id: &PayoutId,
    ) -> Result<Option<(Payout, Vec<PayoutLine>)>>;
    async fn list_payouts(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Payout>>;
}

/// Cash payouts: batches and their lines: work inside a transaction.
#[async_trait]
pub trait PayoutTx: Send {
    /// Payable cash balances per participant and currency, from the ledger.
    async fn payable_balances(
        &mut self,
        ws: &WorkspaceId,
        program: Option<&ProgramId>,
        currency: Option<&vouch_domain::money::Currency>,
    ) -> Result<Vec<PayableBalance>>;
    /// Writes a batch and its lines, and ties each line's approved cash rewards to it.
    async fn insert_payout(&mut self, payout: &Payout, lines: &[PayoutLine]) -> Result<()>;
    async fn get_payout_line_for_update(
        &mut self,
        payout: &PayoutId,
        id: &PayoutLineId,
    ) -> Result<Option<PayoutLine>>;
    /// Writes a line's result; the batch completes when no line is pending.
    async fn update_payout_line(&mut self, line: &PayoutLine) -> Result<()>;
    async fn rewards_in_payout_line(&mut self, line: &PayoutLineId) -> Result<Vec<Reward>>;
}

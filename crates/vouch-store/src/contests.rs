//! Contests among a program's advocates.

use async_trait::async_trait;
use vouch_domain::contest::Contest;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use crate::error::Result;

#[async_trait]
pub trait ContestStore: Send + Sync {
    async fn insert_contest(&self, c: &Contest) -> Result<()>;
    async fn get_contest(&self, ws: &WorkspaceId, id: &ContestId) -> Result<Option<Contest>>;
    /// A workspace's contests (of one program, or all), newest first.
    async fn list_contests(
        &self,
        ws: &WorkspaceId,
        program: Option<&ProgramId>,
    ) -> Result<Vec<Contest>>;
    /// Open contests whose closing time has come, oldest first.
    async fn due_contests(&self, now: Millis, limit: i64) -> Result<Vec<Contest>>;
    /// Cancels an open contest; false when it was no longer open.
    async fn cancel_contest(&self, c: &Contest) -> Result<bool>;
}

#[async_trait]
pub trait ContestTx: Send {
    /// Writes the closed contest (winners included) if it was still open: false when
    /// another instance closed or cancelled it first. On PostgreSQL the row stays
    /// locked until the transaction ends, so a second closer waits, then sees it closed.
    async fn close_contest(&mut self, c: &Contest) -> Result<bool>;
    /// Writes the winners again, with the rewards issued to them.
    async fn record_contest_winners(&mut self, c: &Contest) -> Result<()>;
}

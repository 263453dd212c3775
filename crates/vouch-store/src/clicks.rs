//! Links and the click log.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Links and the click log: reads and single-statement writes.
#[async_trait]
pub trait ClickStore: Send + Sync {
    /// The link for a code in canonical (upper-case) form; `code` in the answer is the
    /// code as displayed.
    async fn link_target(&self, code: &str) -> Result<Option<LinkTarget>>;
    /// Appends clicks in one transaction (the group commit).
    async fn insert_clicks(&self, clicks: &[NewClick]) -> Result<()>;
    async fn get_click(&self, id: &ClickId) -> Result<Option<Click>>;
    /// Counts a visit that is not a click (one upsert per advocate, kind, app and day).
    async fn count_visit(&self, visit: &LinkVisit) -> Result<()>;
}

/// Links and the click log: work inside a transaction.
#[async_trait]
pub trait ClickTx: Send {
    async fn get_click(&mut self, program: &ProgramId, id: &ClickId) -> Result<Option<Click>>;
}

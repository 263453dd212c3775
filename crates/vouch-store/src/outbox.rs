//! The outbox of domain events, subscribers' cursors and the activity feed.

use async_trait::async_trait;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use crate::error::Result;
use crate::model::*;

/// The outbox of domain events, subscribers' cursors and the activity feed: reads and single-statement writes.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// A page of the activity feed (the activity subscriber's copy of the outbox).
    async fn list_activity(&self, q: &ActivityQuery) -> Result<Page<OutboxEvent>>;
}

/// The outbox of domain events, subscribers' cursors and the activity feed: work inside a transaction.
#[async_trait]
pub trait OutboxTx: Send {
    /// Records domain events; they are appended to the outbox, numbered, when the
    /// transaction commits (so they commit with the change, or not at all).
    fn emit(&mut self, events: Vec<vouch_domain::lifecycle::DomainEvent>);
    /// Gives `subscriber` a cursor at 0 in every workspace it has none in yet.
    async fn ensure_cursors(&mut self, subscriber: &str) -> Result<()>;
    /// The next workspace with events `subscriber` has not seen, and its position; the
    /// cursor is held until commit (other instances skip it).
    async fn claim_cursor(&mut self, subscriber: &str) -> Result<Option<(WorkspaceId, i64)>>;
    /// A workspace's events after `seq`, oldest first.
    async fn outbox_after(
        &mut self,
        ws: &WorkspaceId,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<OutboxEvent>>;
    async fn advance_cursor(
        &mut self,
        subscriber: &str,
        ws: &WorkspaceId,
        seq: i64,
        now: Millis,
    ) -> Result<()>;
    /// Copies events into the activity feed (an event already there is skipped).
    async fn insert_activity(&mut self, events: &[OutboxEvent]) -> Result<()>;
}

//! The outbox dispatcher: hands every domain event to every subscriber, in order per
//! workspace (so in order per referral, reward and payout), at least once.
//!
//! Each subscriber keeps a cursor per workspace. A dispatch step claims one cursor
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so any number of instances share the work
//! without handing one workspace's events to two of them at once), gives the next
//! events to the subscriber inside the same transaction, and moves the cursor in it.
//! A subscriber whose effects are rows in the same database (the activity feed, job
//! enqueues for webhooks and emails) therefore sees each event exactly once; a new
//! subscriber starts at 0 and replays the history.

use async_trait::async_trait;
use vouch_domain::Millis;
use vouch_store::{OutboxEvent, Store, StoreTx};

/// Events handed to a subscriber at a time.
const BATCH: i64 = 100;
/// Dispatch steps per call before the worker looks at its jobs again.
const MAX_STEPS: usize = 50;

/// Something that reacts to domain events.
#[async_trait]
pub trait Subscriber: Send + Sync {
    /// Its stable name: the key of its cursors.
    fn name(&self) -> &'static str;

    /// Handles a workspace's next events, oldest first, inside the dispatch
    /// transaction. An error rolls back and the same events come again later.
    async fn handle(&self, tx: &mut dyn StoreTx, events: &[OutboxEvent]) -> anyhow::Result<()>;
}

/// The activity feed: every state change, as `GET /api/v1/activity` lists it.
pub struct ActivityFeed;

#[async_trait]
impl Subscriber for ActivityFeed {
    fn name(&self) -> &'static str {
        "activity"
    }

    async fn handle(&self, tx: &mut dyn StoreTx, events: &[OutboxEvent]) -> anyhow::Result<()> {
        tx.insert_activity(events).await?;
        Ok(())
    }
}

/// Every subscriber the worker runs.
pub fn subscribers() -> Vec<Box<dyn Subscriber>> {
    vec![
        Box::new(ActivityFeed),
        Box::new(crate::webhooks::delivery::Webhooks),
        Box::new(crate::emails::delivery::Emails),
    ]
}

/// Gives every subscriber a cursor in every workspace that has none: run when the
/// worker starts (a new subscriber then replays the history); workspaces created later
/// get theirs with the workspace.
pub async fn ensure_cursors(
    store: &dyn Store,
    subscribers: &[Box<dyn Subscriber>],
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    for sub in subscribers {
        tx.ensure_cursors(sub.name()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Dispatches pending events to every subscriber; returns how many were handed over.
pub async fn dispatch(
    store: &dyn Store,
    subscribers: &[Box<dyn Subscriber>],
    now: Millis,
) -> anyhow::Result<usize> {
    let mut total = 0;
    for sub in subscribers {
        for _ in 0..MAX_STEPS {
            let n = step(store, sub.as_ref(), now).await?;
            if n == 0 {
                break;
            }
            total += n;
        }
    }
    Ok(total)
}

/// One workspace's next batch for one subscriber, in one transaction.
async fn step(store: &dyn Store, sub: &dyn Subscriber, now: Millis) -> anyhow::Result<usize> {
    let mut tx = store.begin().await?;
    let Some((ws, seq)) = tx.claim_cursor(sub.name()).await? else {
        return Ok(0);
    };
    let events = tx.outbox_after(&ws, seq, BATCH).await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(0);
    };
    sub.handle(tx.as_mut(), &events).await?;
    tx.advance_cursor(sub.name(), &ws, last, now).await?;
    tx.commit().await?;
    metrics::counter!("vouch_outbox_dispatched_total", "subscriber" => sub.name())
        .increment(events.len() as u64);
    Ok(events.len())
}

//! Durable background jobs.

use async_trait::async_trait;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use crate::error::Result;
use crate::model::*;

/// Durable background jobs: reads and single-statement writes.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Leases up to `limit` due jobs until `now + lease_ms`; another instance skips them.
    async fn claim_jobs(&self, now: Millis, limit: i64, lease_ms: i64) -> Result<Vec<Job>>;
    async fn retry_job(&self, id: &JobId, run_at: Millis, error: &str) -> Result<()>;
    async fn count_jobs(&self) -> Result<i64>;
}

/// Durable background jobs: work inside a transaction.
#[async_trait]
pub trait JobTx: Send {
    async fn enqueue_job(&mut self, job: &NewJob) -> Result<()>;
    async fn finish_job(&mut self, id: &JobId) -> Result<()>;
    /// Moves the unfinished job with this key to `run_at`; false when there is none.
    async fn reschedule_job(&mut self, dedupe_key: &str, run_at: Millis) -> Result<bool>;
}

//! The durable background worker: due jobs, then the outbox's subscribers.
//!
//! Jobs live in the `jobs` table, written in the same transaction as the change that
//! needs them; any instance may claim a due job (PostgreSQL: `FOR UPDATE SKIP LOCKED`),
//! and a crashed worker's lease expires so another picks the job up. Jobs are
//! idempotent. The outbox is dispatched by [`outbox`].

pub mod outbox;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use vouch_store::Store;

use crate::engine::approval;
use crate::engine::clock::Clock;

/// How long a claimed job is reserved for the worker that claimed it.
const LEASE_MS: i64 = 60_000;
const BATCH: i64 = 32;

/// Runs until `shutdown` is cancelled.
pub async fn run_worker(
    store: Arc<dyn Store>,
    clock: Clock,
    poll: Duration,
    shutdown: CancellationToken,
) {
    let subscribers = outbox::subscribers();
    loop {
        let jobs = match run_due_jobs(store.as_ref(), clock.now()).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "claiming jobs failed");
                0
            }
        };
        let events = match outbox::dispatch(store.as_ref(), &subscribers, clock.now()).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "dispatching the outbox failed");
                0
            }
        };
        // A full batch means there may be more: go again at once.
        if jobs < BATCH as usize && events == 0 {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(poll) => {}
            }
        } else if shutdown.is_cancelled() {
            return;
        }
    }
}

/// Claims and runs the jobs due at `now`; returns how many were claimed.
pub async fn run_due_jobs(
    store: &dyn Store,
    now: vouch_domain::Millis,
) -> vouch_store::Result<usize> {
    let jobs = store.claim_jobs(now, BATCH, LEASE_MS).await?;
    for job in &jobs {
        let result = match job.kind.as_str() {
            approval::APPROVE_REWARD => approval::run_job(store, &job.id, &job.payload, now).await,
            other => Err(anyhow::anyhow!("unknown job kind {other}")),
        };
        metrics::counter!("vouch_jobs_total", "kind" => job.kind.clone(), "ok" => result.is_ok().to_string())
            .increment(1);
        if let Err(e) = result {
            // Exponential backoff: 10 s, 40 s, 90 s, … capped at an hour.
            let delay = (job.attempts.max(1).pow(2) * 10_000).min(3_600_000);
            tracing::warn!(job.id = %job.id, job.kind = %job.kind, attempts = job.attempts, error = %e, "job failed; will retry");
            store
                .retry_job(&job.id, now + delay, &e.to_string())
                .await?;
        }
    }
    Ok(jobs.len())
}

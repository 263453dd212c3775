//! Durable background jobs. Jobs live in the `jobs` table, written in the same
//! transaction as the change that needs them; any instance may claim a due job
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`), and a crashed worker's lease expires so
//! another picks the job up. Jobs are idempotent.

use futures_util::StreamExt;
use vouch_domain::Millis;
use vouch_store::Store;

use crate::approval;
use crate::emails::delivery::SEND_EMAIL;
use crate::emails::Mailing;
use crate::webhooks::delivery::{Delivery, DELIVER_WEBHOOK};

/// How long a claimed job is reserved for the worker that claimed it.
const LEASE_MS: i64 = 60_000;
/// Jobs claimed at a time.
pub const BATCH: i64 = 32;

/// What sends webhooks and emails; without them (`vouch demo`, the fraud simulations)
/// those jobs wait.
#[derive(Clone, Default)]
pub struct Senders {
    pub webhooks: Delivery,
    pub mailing: Mailing,
}

/// Claims and runs the jobs due at `now`; returns how many were claimed.
pub async fn run_due_jobs(store: &dyn Store, now: Millis) -> vouch_store::Result<usize> {
    run_due_jobs_with(store, &Senders::default(), now).await
}

/// Jobs of one batch run at once.
const CONCURRENCY: usize = 4;

/// Runs one claimed job; a failure is scheduled again with backoff.
async fn run_one(
    store: &dyn Store,
    senders: &Senders,
    job: &vouch_store::Job,
    now: Millis,
) -> vouch_store::Result<()> {
    let result = match job.kind.as_str() {
        approval::APPROVE_REWARD => approval::run_job(store, &job.id, &job.payload, now).await,
        DELIVER_WEBHOOK => {
            crate::webhooks::delivery::run_job(store, &senders.webhooks, &job.id, &job.payload, now)
                .await
        }
        crate::webhooks::reward_check::CHECK_REWARD => {
            crate::webhooks::reward_check::run_job(
                store,
                &senders.webhooks,
                &job.id,
                &job.payload,
                now,
            )
            .await
        }
        SEND_EMAIL => {
            crate::emails::delivery::run_job(store, &senders.mailing, &job.id, &job.payload, now)
                .await
        }
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
    Ok(())
}

/// [`run_due_jobs`], sending webhooks and emails through `senders`.
pub async fn run_due_jobs_with(
    store: &dyn Store,
    senders: &Senders,
    now: Millis,
) -> vouch_store::Result<usize> {
    let jobs = store.claim_jobs(now, BATCH, LEASE_MS).await?;
    // A few at a time: webhooks and emails mostly wait on the network.
    // Boxed as trait objects: a closure inside the stream would not be `Send` for
    // every lifetime, which the worker's `tokio::spawn` needs.
    type Run<'a> =
        std::pin::Pin<Box<dyn std::future::Future<Output = vouch_store::Result<()>> + Send + 'a>>;
    let runs: Vec<Run<'_>> = jobs
        .iter()
        .map(|job| Box::pin(run_one(store, senders, job, now)) as Run<'_>)
        .collect();
    let results: Vec<vouch_store::Result<()>> = futures_util::stream::iter(runs)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    results
        .into_iter()
        .collect::<vouch_store::Result<Vec<()>>>()?;
    Ok(jobs.len())
}

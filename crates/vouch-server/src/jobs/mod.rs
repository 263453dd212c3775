//! The background worker each instance runs beside the HTTP server: due jobs
//! ([`vouch_app::jobs`]), then the outbox's subscribers ([`vouch_app::outbox`]), and
//! now and then the analytics rollups ([`vouch_app::rollups`]) and contests that are due
//! ([`vouch_app::contests`]).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use vouch_app::clock::Clock;
use vouch_app::jobs::{run_due_jobs_with, Senders, BATCH};
use vouch_app::outbox;
use vouch_store::Store;

/// Runs until `shutdown` is cancelled.
pub async fn run_worker(
    store: Arc<dyn Store>,
    clock: Clock,
    poll: Duration,
    rollup_every: Duration,
    senders: Senders,
    shutdown: CancellationToken,
) {
    let subscribers = outbox::subscribers();
    let mut cursors_ready = false;
    let mut rollups_due = tokio::time::Instant::now();
    loop {
        if !cursors_ready {
            match outbox::ensure_cursors(store.as_ref(), &subscribers).await {
                Ok(()) => cursors_ready = true,
                Err(e) => tracing::error!(error = %e, "creating outbox cursors failed"),
            }
        }
        let jobs = match run_due_jobs_with(store.as_ref(), &senders, clock.now()).await {
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
        if tokio::time::Instant::now() >= rollups_due {
            rollups_due = tokio::time::Instant::now() + rollup_every;
            let refreshed =
                vouch_app::rollups::refresh(store.as_ref(), clock.wall(), clock.now()).await;
            if let Err(e) = refreshed {
                tracing::error!(error = %e, "refreshing the analytics rollups failed");
            }
            // Contests whose time has come close here, on whichever instance sees
            // them first; the others find them closed.
            if let Err(e) = vouch_app::contests::close_due(store.as_ref(), clock.now()).await {
                tracing::error!(error = %e, "closing contests failed");
            }
        }
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

//! Group commit for clicks. Redirect handlers queue their click and wait; one writer
//! task commits everything queued in a single transaction as soon as it is free, then
//! wakes the waiters. Under load, batches grow by themselves; when idle, a click is
//! committed at once (no timer, which would add its period to every redirect).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use vouch_store::{Backend, NewClick, Store};

const MAX_BATCH: usize = 512;
const QUEUE: usize = 16_384;

type Pending = (NewClick, oneshot::Sender<bool>);

#[derive(Clone)]
pub struct ClickWriter {
    tx: mpsc::Sender<Pending>,
}

impl ClickWriter {
    /// Starts the writer task. It ends when every `ClickWriter` clone is dropped, after
    /// committing what was queued.
    pub fn spawn(store: Arc<dyn Store>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        match store.backend() {
            // On SQLite the writer gets a thread and runtime of its own. On the shared
            // runtime it is woken from sqlx's SQLite thread through the global queue and
            // waits behind every queued request before it can start the next commit;
            // that wait, not SQLite, was what limited throughput. (SQLite connections
            // are threads, so nothing here is tied to the main runtime's reactor.)
            Backend::Sqlite => {
                let spawned = std::thread::Builder::new()
                    .name("vouch-click-writer".into())
                    .spawn(move || {
                        match tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                        {
                            Ok(rt) => rt.block_on(run(store, rx)),
                            Err(e) => tracing::error!(error = %e, "click writer runtime failed"),
                        }
                    });
                if let Err(e) = spawned {
                    tracing::error!(error = %e, "click writer thread failed to start");
                }
            }
            Backend::Postgres => {
                tokio::spawn(run(store, rx));
            }
        }
        Self { tx }
    }

    /// Queues a click and waits until it is committed: `true` once durable.
    pub async fn record(&self, click: NewClick) -> bool {
        let (done, wait) = oneshot::channel();
        if self.tx.send((click, done)).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    let mut clicks: Vec<NewClick> = Vec::with_capacity(MAX_BATCH);
    let mut waiters = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        for (click, done) in batch.drain(..) {
            clicks.push(click);
            waiters.push(done);
        }
        let ok = match store.insert_clicks(&clicks).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, clicks = clicks.len(), "click batch failed");
                false
            }
        };
        metrics::histogram!("vouch_click_batch_size").record(clicks.len() as f64);
        clicks.clear();
        for done in waiters.drain(..) {
            let _ = done.send(ok);
        }
    }
}

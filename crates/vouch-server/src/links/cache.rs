//! A short-lived cache of code → link target, so the redirect path reads the database
//! only once per code every few seconds. Entries expire after `TTL`, which bounds how
//! long another instance's edit (a paused program, a blocked advocate) goes unseen;
//! edits made through this instance clear the cache at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use vouch_store::{LinkTarget, Store};

const TTL: Duration = Duration::from_secs(5);
const CAPACITY: usize = 100_000;

/// When an entry was read, and what it found (`None`: no such code).
type Entry = (Instant, Option<Arc<LinkTarget>>);

#[derive(Clone)]
pub struct LinkCache {
    inner: Arc<Cache<String, Entry>>,
}

impl Default for LinkCache {
    fn default() -> Self {
        Self {
            inner: Arc::new(Cache::new(CAPACITY)),
        }
    }
}

impl LinkCache {
    /// Unknown codes are cached too, so scanning random codes cannot hammer the store.
    pub async fn get(&self, store: &dyn Store, code: &str) -> Option<Arc<LinkTarget>> {
        if let Some((at, target)) = self.inner.get(code) {
            if at.elapsed() < TTL {
                return target;
            }
        }
        match store.link_target(code).await {
            Ok(target) => {
                let target = target.map(Arc::new);
                self.inner
                    .insert(code.to_owned(), (Instant::now(), target.clone()));
                target
            }
            Err(e) => {
                tracing::error!(error = %e, "link lookup failed");
                None
            }
        }
    }

    pub fn clear(&self) {
        self.inner.clear();
    }
}

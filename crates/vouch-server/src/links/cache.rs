//! A short-lived cache of code → link target, so the redirect path reads the database
//! only once per code every few seconds. Entries expire after `TTL`, which bounds how
//! long another instance's edit (a paused program, a blocked advocate) goes unseen;
//! edits made through this instance clear the cache at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use vouch_domain::redirect::RedirectTemplate;
use vouch_store::{LinkTarget, Store};

const TTL: Duration = Duration::from_secs(5);
const CAPACITY: usize = 100_000;

/// A link as the redirect needs it: the stored target, and its redirect URL prepared
/// once (`None` when the destination is not allowed, so the link shows an error page).
#[derive(Debug)]
pub struct Link {
    pub target: LinkTarget,
    pub template: Option<RedirectTemplate>,
}

/// When an entry was read, and what it found (`None`: no such code).
type Entry = (Instant, Option<Arc<Link>>);

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
    pub async fn get(&self, store: &dyn Store, code: &str) -> Option<Arc<Link>> {
        if let Some((at, target)) = self.inner.get(code) {
            if at.elapsed() < TTL {
                return target;
            }
        }
        match store.link_target(code).await {
            Ok(target) => {
                let target = target.map(|target| {
                    let template = RedirectTemplate::new(
                        &target.destination_url,
                        &target.allowed_domains,
                        &target.code,
                    )
                    .map_err(|e| tracing::warn!(code = %target.code, error = %e, "link destination refused"))
                    .ok();
                    Arc::new(Link { target, template })
                });
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

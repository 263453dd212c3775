//! Code → link, cached for a few seconds: the redirect path then reads the database
//! once per code every `TTL`, and another instance's edit (a paused program, a blocked
//! advocate) is seen within `TTL`.

use std::sync::Arc;
use std::time::Duration;

use vouch_domain::redirect::RedirectTemplate;
use vouch_store::{LinkTarget, Store};

use vouch_app::cache::TtlCache;
use vouch_app::hashing::IpHasher;

const TTL: Duration = Duration::from_secs(5);
const CAPACITY: usize = 100_000;

/// A link as the redirect needs it: the stored target, and its redirect URL prepared
/// once (`None` when the destination is not allowed, so the link shows an error page).
#[derive(Debug)]
pub struct Link {
    pub target: LinkTarget,
    pub template: Option<RedirectTemplate>,
    /// The workspace's IP hasher, keyed once.
    pub ip_key: IpHasher,
}

#[derive(Clone)]
pub struct LinkCache(TtlCache<String, Option<Arc<Link>>>);

impl Default for LinkCache {
    fn default() -> Self {
        Self(TtlCache::new(TTL, CAPACITY))
    }
}

impl LinkCache {
    /// The link for a code; `None` for unknown codes (cached too, so scanning random
    /// codes cannot hammer the store) and when the store fails (logged).
    pub async fn get(
        &self,
        store: &dyn Store,
        code: &String,
        secret: Option<&str>,
    ) -> Option<Arc<Link>> {
        let load = async {
            let target = store.link_target(code).await?;
            Ok::<_, vouch_store::StoreError>(target.map(|target| {
                let template = RedirectTemplate::new(
                    &target.destination_url,
                    &target.allowed_domains,
                    &target.code,
                )
                .map_err(
                    |e| tracing::warn!(code = %target.code, error = %e, "link destination refused"),
                )
                .ok();
                let ip_key = IpHasher::for_workspace(secret, &target.hash_key);
                Arc::new(Link {
                    target,
                    template,
                    ip_key,
                })
            }))
        };
        match self.0.get_or_load(code, load).await {
            Ok(link) => link,
            Err(e) => {
                tracing::error!(error = %e, "link lookup failed");
                None
            }
        }
    }

    pub fn clear(&self) {
        self.0.clear();
    }
}

//! The state every handler shares: built once, cheap to clone.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use vouch_store::Store;

use crate::config::Config;
use crate::links::{ClickWriter, LinkCache};
use crate::portal::Pages;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub clicks: ClickWriter,
    pub links: LinkCache,
    pub keys: crate::auth::KeyCache,
    /// Programs by id for the event path; cleared by edits made through this instance.
    /// Keyed by workspace too: another workspace's miss must not hide the owner's hit.
    pub programs: crate::cache::TtlCache<
        (vouch_domain::ids::WorkspaceId, vouch_domain::ids::ProgramId),
        Option<vouch_store::Program>,
    >,
    pub pages: Arc<Pages>,
    pub metrics: PrometheusHandle,
}

/// Now, in the store's time unit.
pub fn now_ms() -> vouch_domain::Millis {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

//! The state every handler shares: built once, cheap to clone.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use vouch_store::Store;

use crate::config::Config;
use crate::links::{ClickWriter, LinkCache};
use crate::portal::Pages;
pub use vouch_app::fraud::FraudData;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub clicks: ClickWriter,
    pub links: LinkCache,
    pub keys: crate::auth::KeyCache,
    /// Programs by id for the event path; cleared by edits made through this instance.
    /// Keyed by workspace too: another workspace's miss must not hide the owner's hit.
    pub programs: vouch_app::cache::TtlCache<
        (vouch_domain::ids::WorkspaceId, vouch_domain::ids::ProgramId),
        Option<vouch_store::Program>,
    >,
    pub pages: Arc<Pages>,
    pub emails: Arc<crate::email::Renderer>,
    pub metrics: PrometheusHandle,
    pub fraud: Arc<FraudData>,
    pub clock: vouch_app::clock::Clock,
    pub likely: vouch_app::likely::LikelyCache,
}

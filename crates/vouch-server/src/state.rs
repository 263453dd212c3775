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
    pub fraud: Arc<FraudData>,
    pub clock: crate::engine::clock::Clock,
}

/// Lists the fraud rules look names up in.
pub struct FraudData {
    pub disposable: vouch_domain::fraud::DomainList,
    pub coupon_sites: vouch_domain::fraud::DomainList,
    /// Workspaces' IP-hashing keys (they never change), so an event that brings an IP
    /// does not read its workspace again.
    pub hash_keys: crate::cache::TtlCache<vouch_domain::ids::WorkspaceId, String>,
}

fn hash_keys() -> crate::cache::TtlCache<vouch_domain::ids::WorkspaceId, String> {
    crate::cache::TtlCache::new(std::time::Duration::from_secs(3600), 10_000)
}

impl FraudData {
    /// The lists Vouch ships with.
    pub fn shipped() -> Self {
        Self {
            disposable: vouch_domain::fraud::DomainList::disposable(),
            coupon_sites: vouch_domain::fraud::DomainList::coupon_sites(),
            hash_keys: hash_keys(),
        }
    }

    /// The shipped lists, or the operator's file of disposable domains instead.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let disposable = match &config.disposable_domains {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("reading disposable domains {}: {e}", path.display())
                })?;
                vouch_domain::fraud::DomainList::parse(&text)
            }
            None => vouch_domain::fraud::DomainList::disposable(),
        };
        Ok(Self {
            disposable,
            coupon_sites: vouch_domain::fraud::DomainList::coupon_sites(),
            hash_keys: hash_keys(),
        })
    }
}

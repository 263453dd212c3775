//! Creating a workspace with its first pair of keys.

use rand::distributions::{Alphanumeric, DistString};
use serde::Serialize;
use vouch_domain::ids::WorkspaceId;
use vouch_store::{KeyKind, Store, Workspace};

use crate::auth::mint_key;

/// A new workspace and its keys, in clear text: shown once, never stored.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedWorkspace {
    pub workspace_id: WorkspaceId,
    pub secret_key: String,
    pub publishable_key: String,
}

pub async fn create_workspace(
    store: &dyn Store,
    name: &str,
) -> vouch_store::Result<CreatedWorkspace> {
    let secret = mint_key(KeyKind::Secret);
    let publishable = mint_key(KeyKind::Publishable);
    let ws = Workspace {
        id: WorkspaceId::new(),
        name: name.to_owned(),
        hash_key: Alphanumeric.sample_string(&mut rand::thread_rng(), 32),
        created_at: crate::engine::clock::Clock::system().now(),
    };
    store
        .create_workspace(&ws, &[secret.record, publishable.record])
        .await?;
    Ok(CreatedWorkspace {
        workspace_id: ws.id,
        secret_key: secret.clear,
        publishable_key: publishable.clear,
    })
}

//! Creating a workspace with its first pair of keys.

use rand::distributions::{Alphanumeric, DistString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use vouch_domain::ids::{ApiKeyId, WorkspaceId};
use vouch_store::{KeyKind, NewApiKey, Store, Workspace};

/// A new workspace and its keys, in clear text: shown once, never stored.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedWorkspace {
    pub workspace_id: WorkspaceId,
    pub secret_key: String,
    pub publishable_key: String,
}

/// API keys are stored as SHA-256 hashes: they are 32 random characters, so a slow
/// password hash would add latency without adding safety.
/// A freshly minted key: the clear text is shown once, only the hash is kept.
pub struct MintedKey {
    pub clear: String,
    pub record: NewApiKey,
}

pub fn mint_key(kind: KeyKind) -> MintedKey {
    let prefix = match kind {
        KeyKind::Secret => "sk_",
        KeyKind::Publishable => "pk_",
    };
    let clear = format!(
        "{prefix}{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
    );
    let record = NewApiKey {
        id: ApiKeyId::new(),
        kind,
        key_hash: hash_key(&clear),
        key_hint: clear[clear.len() - 4..].to_owned(),
    };
    MintedKey { clear, record }
}

pub fn hash_key(clear: &str) -> String {
    hex::encode(Sha256::digest(clear.as_bytes()))
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
        created_at: crate::clock::Clock::system().now(),
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

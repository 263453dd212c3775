//! API keys: `sk_…` (secret, server-side, full access) and `pk_…` (publishable,
//! browser-safe, may only record clicks and signups). Keys are stored as SHA-256
//! hashes: they are 32 random characters, so a slow password hash would add latency
//! without adding safety.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use vouch_domain::ids::WorkspaceId;
use vouch_store::{ApiKey, KeyKind, Store};

use crate::error::ApiError;
use crate::state::AppState;
use vouch_app::cache::TtlCache;
pub use vouch_app::workspaces::{hash_key, mint_key, MintedKey};

/// Key hash → key, for a few seconds: every API request authenticates, and the lookup
/// would otherwise be a database read each time. A revoked key stops working within
/// the TTL.
#[derive(Clone)]
pub struct KeyCache(TtlCache<String, Option<ApiKey>>);

impl Default for KeyCache {
    fn default() -> Self {
        Self(TtlCache::new(Duration::from_secs(10), 10_000))
    }
}

impl KeyCache {
    async fn find(&self, store: &dyn Store, hash: String) -> Result<Option<ApiKey>, ApiError> {
        Ok(self.0.get_or_load(&hash, store.find_api_key(&hash)).await?)
    }
}

/// The caller, authenticated by any key of a workspace.
#[derive(Debug, Clone)]
pub struct Auth {
    pub workspace_id: WorkspaceId,
    pub kind: KeyKind,
    /// The key that asked: the actor in the audit log.
    pub key_id: vouch_domain::ids::ApiKeyId,
}

impl Auth {
    /// Refuses publishable keys for what only the merchant's server may do.
    pub fn require_secret(&self) -> Result<(), ApiError> {
        match self.kind {
            KeyKind::Secret => Ok(()),
            KeyKind::Publishable => Err(ApiError::Forbidden {
                code: "secret_key_required",
                message: "this operation needs a secret key (sk_…); publishable keys may only record clicks and signups".into(),
            }),
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| (t.starts_with("sk_") || t.starts_with("pk_")) && t.len() <= 128)
            .ok_or(ApiError::Unauthorized)?;
        let key = state
            .keys
            .find(state.store.as_ref(), hash_key(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Auth {
            workspace_id: key.workspace_id,
            kind: key.kind,
            key_id: key.id,
        })
    }
}

/// A caller holding a secret key.
pub struct SecretAuth(pub Auth);

impl FromRequestParts<AppState> for SecretAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await?;
        auth.require_secret()?;
        Ok(SecretAuth(auth))
    }
}

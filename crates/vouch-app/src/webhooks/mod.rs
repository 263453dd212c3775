//! Outgoing webhooks: the merchant's endpoints (this module) and the delivery of
//! every domain event to each endpoint that wants it ([`delivery`]).

use vouch_domain::ids::{WebhookEndpointId, WorkspaceId};
use vouch_domain::webhook::{event_type, SigningKey};
use vouch_domain::Millis;
use vouch_store::{Store, WebhookEndpoint};

use crate::error::{AppError, Result};
use crate::sealing::Sealer;

pub mod delivery;
pub mod reward_check;

/// After a rotation the previous secret signs too, for this long.
pub const ROTATION_OVERLAP_MS: Millis = 24 * 3_600_000;

/// An endpoint as the merchant describes it.
pub struct EndpointInput {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
}

/// What may change.
#[derive(Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
    /// Make a new secret; the old one keeps signing for this many hours (default 24).
    pub rotate_secret: Option<u32>,
}

async fn sealer(
    store: &dyn Store,
    server_secret: Option<&str>,
    ws: &WorkspaceId,
) -> Result<Sealer> {
    let w = store
        .get_workspace(ws)
        .await?
        .ok_or(AppError::NotFound { what: "workspace" })?;
    Ok(Sealer::for_workspace(server_secret, &w.hash_key))
}

/// An http(s) URL without credentials. Where it may point (no private networks) is
/// checked when delivering, after DNS.
pub fn check_url(raw: &str) -> Result<String> {
    let u = url::Url::parse(raw.trim()).map_err(|_| AppError::invalid("url", "is not a URL"))?;
    if !matches!(u.scheme(), "https" | "http") || u.host_str().is_none() {
        return Err(AppError::invalid("url", "must be an http or https URL"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(AppError::invalid(
            "url",
            "must not carry a user name or password",
        ));
    }
    if raw.len() > 2000 {
        return Err(AppError::invalid("url", "must be at most 2000 characters"));
    }
    Ok(u.to_string())
}

fn check_types(types: Vec<String>) -> Result<Vec<String>> {
    let mut out = vec![];
    for t in types {
        let t = event_type(&t)?.as_str().to_owned();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn check_description(d: Option<String>) -> Result<Option<String>> {
    let d = d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if d.as_ref()
        .is_some_and(|d| d.chars().count() > 200 || d.chars().any(char::is_control))
    {
        return Err(AppError::invalid(
            "description",
            "must be at most 200 printable characters",
        ));
    }
    Ok(d)
}

/// Creates an endpoint with a new secret, returned once.
pub async fn create(
    store: &dyn Store,
    server_secret: Option<&str>,
    ws: &WorkspaceId,
    input: EndpointInput,
    now: Millis,
) -> Result<(WebhookEndpoint, String)> {
    let id = WebhookEndpointId::new();
    let secret = SigningKey::generate();
    let e = WebhookEndpoint {
        url: check_url(&input.url)?,
        description: check_description(input.description)?,
        event_types: check_types(input.event_types)?,
        enabled: true,
        disabled_reason: None,
        secret_sealed: sealer(store, server_secret, ws)
            .await?
            .seal(&secret, id.as_str())?,
        previous_secret_sealed: None,
        previous_secret_until: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
        id,
        workspace_id: ws.clone(),
    };
    store.insert_endpoint(&e).await?;
    Ok((e, secret))
}

pub async fn get(
    store: &dyn Store,
    ws: &WorkspaceId,
    id: &WebhookEndpointId,
) -> Result<WebhookEndpoint> {
    store.get_endpoint(ws, id).await?.ok_or(AppError::NotFound {
        what: "webhook endpoint",
    })
}

/// Applies a patch; returns the endpoint and, after a rotation, the new secret (once).
pub async fn update(
    store: &dyn Store,
    server_secret: Option<&str>,
    ws: &WorkspaceId,
    id: &WebhookEndpointId,
    patch: EndpointPatch,
    now: Millis,
) -> Result<(WebhookEndpoint, Option<String>)> {
    let mut e = get(store, ws, id).await?;
    if let Some(url) = patch.url {
        e.url = check_url(&url)?;
    }
    if let Some(d) = patch.description {
        e.description = check_description(d)?;
    }
    if let Some(types) = patch.event_types {
        e.event_types = check_types(types)?;
    }
    if let Some(enabled) = patch.enabled {
        // Enabling again starts a fresh count of failures.
        if enabled && !e.enabled {
            e.failing_since = None;
            e.disabled_reason = None;
        }
        e.enabled = enabled;
    }
    let mut shown = None;
    if let Some(hours) = patch.rotate_secret {
        if hours > 24 * 30 {
            return Err(AppError::invalid(
                "rotate_secret.overlap_hours",
                "must be at most 720",
            ));
        }
        let secret = SigningKey::generate();
        let sealer = sealer(store, server_secret, ws).await?;
        e.previous_secret_sealed = Some(std::mem::replace(
            &mut e.secret_sealed,
            sealer.seal(&secret, e.id.as_str())?,
        ));
        e.previous_secret_until = Some(now + i64::from(hours) * 3_600_000);
        shown = Some(secret);
    }
    e.updated_at = now;
    if !store.update_endpoint(&e).await? {
        return Err(AppError::NotFound {
            what: "webhook endpoint",
        });
    }
    Ok((e, shown))
}

pub async fn delete(store: &dyn Store, ws: &WorkspaceId, id: &WebhookEndpointId) -> Result<()> {
    if !store.delete_endpoint(ws, id).await? {
        return Err(AppError::NotFound {
            what: "webhook endpoint",
        });
    }
    Ok(())
}

/// The keys a message is signed with now: the current one, and the previous one while
/// its overlap lasts.
pub async fn signing_keys(
    store: &dyn Store,
    server_secret: Option<&str>,
    e: &WebhookEndpoint,
    now: Millis,
) -> Result<Vec<SigningKey>> {
    let secrets = sealer(store, server_secret, &e.workspace_id)
        .await?
        .open_rotating(
            &crate::sealing::Rotating {
                current: &e.secret_sealed,
                previous: e.previous_secret_sealed.as_deref(),
                previous_until: e.previous_secret_until,
                bound_to: e.id.as_str(),
            },
            now,
        )?;
    Ok(secrets
        .iter()
        .map(|s| SigningKey::parse(s))
        .collect::<std::result::Result<_, _>>()?)
}

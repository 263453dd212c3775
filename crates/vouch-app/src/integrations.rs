//! Integrations: the shop connections whose signed webhooks report a program's
//! purchases, refunds and signups, their sealed secrets, and the log of what each
//! delivery became.

use rand::RngCore;
use vouch_domain::ids::{DeliveryId, IntegrationId, ProgramId, WorkspaceId};
use vouch_domain::integration::{IntegrationOptions, Platform, Verdict};
use vouch_domain::Millis;
use vouch_store::{Delivery, Integration, Store};

use crate::error::{AppError, Result};
use crate::sealing::Sealer;

/// Kept in the delivery log: enough to see what came, bounded.
const LOGGED_BODY: usize = 64 * 1024;

/// A new integration, as the merchant asked for it.
pub struct NewIntegration {
    pub platform: Platform,
    pub program_id: ProgramId,
    pub name: Option<String>,
    /// Shopify's app client secret, WooCommerce's webhook secret or Stripe's
    /// `whsec_…` endpoint secret. WooCommerce's may be left out: Vouch makes one.
    pub secret: Option<String>,
    pub options: IntegrationOptions,
}

/// What a merchant may change.
#[derive(Default)]
pub struct IntegrationPatch {
    pub program_id: Option<ProgramId>,
    pub name: Option<Option<String>>,
    /// A new secret: the old one keeps verifying for `secret_overlap_hours`.
    pub secret: Option<String>,
    pub options: Option<IntegrationOptions>,
    pub enabled: Option<bool>,
}

async fn sealer(
    store: &dyn Store,
    server_secret: Option<&str>,
    ws: &WorkspaceId,
) -> Result<Sealer> {
    let workspace = store
        .get_workspace(ws)
        .await?
        .ok_or(AppError::NotFound { what: "workspace" })?;
    Ok(Sealer::for_workspace(server_secret, &workspace.hash_key))
}

fn check_secret(platform: Platform, secret: &str) -> Result<String> {
    let s = secret.trim();
    if s.is_empty() || s.len() > 512 || s.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "secret",
            "must be 1 to 512 printable characters",
        ));
    }
    if platform == Platform::Stripe && !s.starts_with("whsec_") {
        return Err(AppError::invalid(
            "secret",
            "is the endpoint's signing secret, which starts with whsec_ (Stripe shows it under the endpoint in Developers → Webhooks)",
        ));
    }
    Ok(s.to_owned())
}

/// A secret for WooCommerce, whose webhook form takes any text.
fn generated_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("wcs_{}", hex::encode(bytes))
}

/// Creates an integration. Returns it with the secret when Vouch made it (shown once).
pub async fn create(
    store: &dyn Store,
    server_secret: Option<&str>,
    ws: &WorkspaceId,
    input: NewIntegration,
    now: Millis,
) -> Result<(Integration, Option<String>)> {
    store
        .get_program(ws, &input.program_id)
        .await?
        .ok_or(AppError::NotFound { what: "program" })?;
    let (secret, made) = match (input.platform, input.secret) {
        (p, Some(s)) => (check_secret(p, &s)?, false),
        (Platform::Woocommerce, None) => (generated_secret(), true),
        (_, None) => {
            return Err(AppError::invalid(
                "secret",
                "is required: the signing secret the platform shows for its webhooks",
            ))
        }
    };
    let id = IntegrationId::new();
    let sealed = sealer(store, server_secret, ws)
        .await?
        .seal(&secret, id.as_str())?;
    let integration = Integration {
        id,
        workspace_id: ws.clone(),
        program_id: input.program_id,
        platform: input.platform,
        name: input.name,
        secret_sealed: sealed,
        previous_secret_sealed: None,
        previous_secret_until: None,
        options: input.options.validate()?,
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    store.insert_integration(&integration).await?;
    Ok((integration, made.then_some(secret)))
}

pub async fn get(store: &dyn Store, ws: &WorkspaceId, id: &IntegrationId) -> Result<Integration> {
    store
        .find_integration(id)
        .await?
        .filter(|i| &i.workspace_id == ws)
        .ok_or(AppError::NotFound {
            what: "integration",
        })
}

pub async fn update(
    store: &dyn Store,
    server_secret: Option<&str>,
    ws: &WorkspaceId,
    id: &IntegrationId,
    patch: IntegrationPatch,
    now: Millis,
) -> Result<Integration> {
    let mut i = get(store, ws, id).await?;
    if let Some(program) = patch.program_id {
        store
            .get_program(ws, &program)
            .await?
            .ok_or(AppError::NotFound { what: "program" })?;
        i.program_id = program;
    }
    if let Some(name) = patch.name {
        i.name = name;
    }
    if let Some(options) = patch.options {
        i.options = options.validate()?;
    }
    if let Some(enabled) = patch.enabled {
        i.enabled = enabled;
    }
    if let Some(secret) = patch.secret {
        let secret = check_secret(i.platform, &secret)?;
        let sealer = sealer(store, server_secret, ws).await?;
        // The old secret is sealed again as it was: it keeps verifying until the
        // overlap ends, for deliveries the shop signed before it took the new one.
        i.previous_secret_sealed = Some(std::mem::replace(
            &mut i.secret_sealed,
            sealer.seal(&secret, i.id.as_str())?,
        ));
        i.previous_secret_until = Some(i.options.previous_secret_until(now));
    }
    i.updated_at = now;
    if !store.update_integration(&i).await? {
        return Err(AppError::NotFound {
            what: "integration",
        });
    }
    Ok(i)
}

pub async fn delete(store: &dyn Store, ws: &WorkspaceId, id: &IntegrationId) -> Result<()> {
    if !store.delete_integration(ws, id).await? {
        return Err(AppError::NotFound {
            what: "integration",
        });
    }
    Ok(())
}

/// The secrets a delivery may be signed with now: the current one, and the previous
/// one while its overlap lasts.
pub async fn secrets(
    store: &dyn Store,
    server_secret: Option<&str>,
    i: &Integration,
    now: Millis,
) -> Result<Vec<String>> {
    sealer(store, server_secret, &i.workspace_id)
        .await?
        .open_rotating(
            &crate::sealing::Rotating {
                current: &i.secret_sealed,
                previous: i.previous_secret_sealed.as_deref(),
                previous_until: i.previous_secret_until,
                bound_to: i.id.as_str(),
            },
            now,
        )
}

/// A verified delivery and what became of it, for the log.
pub struct Received<'a> {
    pub integration: &'a Integration,
    pub delivery_key: Option<&'a str>,
    pub topic: &'a str,
    pub body: &'a [u8],
}

/// Logs a delivery with its verdict.
pub async fn log(
    store: &dyn Store,
    r: &Received<'_>,
    verdict: Verdict,
    status: u16,
    reason: Option<String>,
    event_ids: Vec<String>,
    now: Millis,
) -> Result<Delivery> {
    // PostgreSQL cannot store NUL in text: a hostile body is kept readable instead.
    let mut body = String::from_utf8_lossy(r.body).replace('\0', "\u{FFFD}");
    if body.len() > LOGGED_BODY {
        let mut cut = LOGGED_BODY;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    let d = Delivery {
        id: DeliveryId::new(),
        integration_id: r.integration.id.clone(),
        workspace_id: r.integration.workspace_id.clone(),
        delivery_key: r
            .delivery_key
            .filter(|k| !k.chars().any(char::is_control))
            .map(str::to_owned),
        topic: r
            .topic
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect(),
        verdict,
        status,
        reason: reason.map(|r| r.chars().filter(|c| *c != '\0').take(1000).collect()),
        event_ids,
        body,
        received_at: now,
    };
    store.insert_delivery(&d).await?;
    Ok(d)
}

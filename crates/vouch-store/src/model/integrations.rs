//! Integrations and their inbound deliveries.

use vouch_domain::ids::*;
use vouch_domain::integration::{IntegrationOptions, Platform, Verdict};
use vouch_domain::Millis;

/// A shop connection. The secrets are sealed: only the application can open them.
#[derive(Debug, Clone)]
pub struct Integration {
    pub id: IntegrationId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub platform: Platform,
    pub name: Option<String>,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<Millis>,
    pub options: IntegrationOptions,
    pub enabled: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One verified webhook and what Vouch made of it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: DeliveryId,
    pub integration_id: IntegrationId,
    pub workspace_id: WorkspaceId,
    /// The platform's own id of the delivery, when it sends one.
    pub delivery_key: Option<String>,
    pub topic: String,
    pub verdict: Verdict,
    /// The HTTP status Vouch answered.
    pub status: u16,
    pub reason: Option<String>,
    /// The events it recorded (or replayed).
    pub event_ids: Vec<String>,
    /// The body as received (cut at 64 KiB).
    pub body: String,
    pub received_at: Millis,
}

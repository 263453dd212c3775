//! Outgoing webhooks: endpoints and their messages.

use vouch_domain::ids::*;
use vouch_domain::Millis;

#[derive(Debug, Clone)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub workspace_id: WorkspaceId,
    pub url: String,
    pub description: Option<String>,
    /// Empty: every event type.
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<Millis>,
    pub failing_since: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl WebhookEndpoint {
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type)
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    Pending,
    Succeeded,
    /// Its retries are spent, or its endpoint was disabled.
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct WebhookMessage {
    pub id: MessageId,
    pub endpoint_id: WebhookEndpointId,
    pub workspace_id: WorkspaceId,
    pub event_id: Option<String>,
    pub event_type: String,
    /// The JSON body sent, byte for byte the same on every attempt.
    pub payload: String,
    pub status: MessageStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<Millis>,
    pub response_status: Option<i64>,
    /// The start of the last answer's body.
    pub response_body: Option<String>,
    pub duration_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

//! Outgoing webhooks: the merchant's endpoints and the messages sent to them.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Endpoints and messages: reads and single-statement writes.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn insert_endpoint(&self, e: &WebhookEndpoint) -> Result<()>;
    async fn get_endpoint(
        &self,
        ws: &WorkspaceId,
        id: &WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>>;
    /// Newest first.
    async fn list_endpoints(&self, ws: &WorkspaceId) -> Result<Vec<WebhookEndpoint>>;
    /// Writes every field but the ids and `created_at`; false when it is not there.
    async fn update_endpoint(&self, e: &WebhookEndpoint) -> Result<bool>;
    /// Removes it and its messages; false when it was not there.
    async fn delete_endpoint(&self, ws: &WorkspaceId, id: &WebhookEndpointId) -> Result<bool>;
    async fn get_message(&self, id: &MessageId) -> Result<Option<WebhookMessage>>;
    /// An endpoint's messages, newest first, after the cursor (`limit + 1` rows);
    /// `status` filters.
    async fn list_messages(
        &self,
        endpoint: &WebhookEndpointId,
        q: &ListQuery,
    ) -> Result<Vec<WebhookMessage>>;
}

/// Endpoints and messages: work inside a transaction.
#[async_trait]
pub trait WebhookTx: Send {
    /// The workspace's enabled endpoints.
    async fn enabled_endpoints(&mut self, ws: &WorkspaceId) -> Result<Vec<WebhookEndpoint>>;
    /// Inserts a message; false when the endpoint already has one for its event.
    async fn insert_message(&mut self, m: &WebhookMessage) -> Result<bool>;
    async fn update_message(&mut self, m: &WebhookMessage) -> Result<()>;
    /// The endpoint's run of failures and whether it is still enabled.
    async fn set_endpoint_health(
        &mut self,
        id: &WebhookEndpointId,
        failing_since: Option<vouch_domain::Millis>,
        disabled_reason: Option<&str>,
        now: vouch_domain::Millis,
    ) -> Result<()>;
}

//! Integrations (shop connections) and the log of their inbound deliveries.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Integrations: reads and single-statement writes (none needs a transaction: an
/// integration changes alone, and a delivery's events carry their own).
#[async_trait]
pub trait IntegrationStore: Send + Sync {
    async fn insert_integration(&self, i: &Integration) -> Result<()>;
    /// Any workspace's integration (the inbound URL names only the integration).
    async fn find_integration(&self, id: &IntegrationId) -> Result<Option<Integration>>;
    async fn list_integrations(&self, ws: &WorkspaceId) -> Result<Vec<Integration>>;
    /// Writes every field but the ids and `created_at`; false when it is not there.
    async fn update_integration(&self, i: &Integration) -> Result<bool>;
    /// Removes it and its delivery log; false when it was not there.
    async fn delete_integration(&self, ws: &WorkspaceId, id: &IntegrationId) -> Result<bool>;
    async fn insert_delivery(&self, d: &Delivery) -> Result<()>;
    /// The latest delivery with this platform id whose verdict is final, if any.
    async fn final_delivery(&self, id: &IntegrationId, key: &str) -> Result<Option<Delivery>>;
    /// Newest first, after the cursor.
    async fn list_deliveries(&self, id: &IntegrationId, q: &ListQuery) -> Result<Vec<Delivery>>;
}

//! Integrations and their deliveries. The SQL behind [`IntegrationStore`].

use async_trait::async_trait;
use sqlx::any::AnyRow;
use vouch_domain::ids::*;
use vouch_domain::integration::{Platform, Verdict};

use super::rows::{i, os, s};
use super::SqlStore;
use crate::error::{Result, StoreError};
use crate::integrations::IntegrationStore;
use crate::model::*;

const INTEGRATION_COLS: &str = "SELECT id, workspace_id, program_id, platform, name, \
    secret_sealed, previous_secret_sealed, previous_secret_until, options, enabled, \
    created_at, updated_at FROM integrations";

const DELIVERY_COLS: &str = "SELECT id, integration_id, workspace_id, delivery_key, topic, \
    verdict, status, reason, event_ids, body, received_at FROM integration_deliveries";

fn integration(row: &AnyRow) -> Result<Integration> {
    let platform = s(row, "platform")?;
    let options = s(row, "options")?;
    Ok(Integration {
        id: IntegrationId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        platform: Platform::parse(&platform)
            .ok_or_else(|| StoreError::corrupt(format!("platform = {platform:?}")))?,
        name: os(row, "name")?,
        secret_sealed: s(row, "secret_sealed")?,
        previous_secret_sealed: os(row, "previous_secret_sealed")?,
        previous_secret_until: sqlx::Row::try_get::<Option<i64>, _>(row, "previous_secret_until")?,
        options: serde_json::from_str(&options)
            .map_err(|e| StoreError::corrupt(format!("integration options: {e}")))?,
        enabled: i(row, "enabled")? != 0,
        created_at: i(row, "created_at")?,
        updated_at: i(row, "updated_at")?,
    })
}

fn delivery(row: &AnyRow) -> Result<Delivery> {
    let verdict = s(row, "verdict")?;
    let ids = s(row, "event_ids")?;
    Ok(Delivery {
        id: DeliveryId::from_trusted(s(row, "id")?),
        integration_id: IntegrationId::from_trusted(s(row, "integration_id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        delivery_key: os(row, "delivery_key")?,
        topic: s(row, "topic")?,
        verdict: Verdict::parse(&verdict)
            .ok_or_else(|| StoreError::corrupt(format!("verdict = {verdict:?}")))?,
        status: u16::try_from(i(row, "status")?).unwrap_or(0),
        reason: os(row, "reason")?,
        event_ids: serde_json::from_str(&ids)
            .map_err(|e| StoreError::corrupt(format!("delivery event ids: {e}")))?,
        body: s(row, "body")?,
        received_at: i(row, "received_at")?,
    })
}

fn options_json(i: &Integration) -> Result<String> {
    serde_json::to_string(&i.options)
        .map_err(|e| StoreError::corrupt(format!("integration options: {e}")))
}

#[async_trait]
impl IntegrationStore for SqlStore {
    async fn insert_integration(&self, i: &Integration) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO integrations (id, workspace_id, program_id, platform, name, \
             secret_sealed, previous_secret_sealed, previous_secret_until, options, enabled, \
             created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(i.id.as_str())
            .bind(i.workspace_id.as_str())
            .bind(i.program_id.as_str())
            .bind(i.platform.as_str())
            .bind(i.name.as_deref())
            .bind(i.secret_sealed.as_str())
            .bind(i.previous_secret_sealed.as_deref())
            .bind(i.previous_secret_until)
            .bind(options_json(i)?)
            .bind(i64::from(i.enabled))
            .bind(i.created_at)
            .bind(i.updated_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn find_integration(&self, id: &IntegrationId) -> Result<Option<Integration>> {
        let sql = format!("{INTEGRATION_COLS} WHERE id = ?");
        let rows = self.many(sql, &[id.as_str()]).await?;
        rows.first().map(integration).transpose()
    }

    async fn list_integrations(&self, ws: &WorkspaceId) -> Result<Vec<Integration>> {
        let sql = format!("{INTEGRATION_COLS} WHERE workspace_id = ? ORDER BY id DESC");
        let rows = self.many(sql, &[ws.as_str()]).await?;
        rows.iter().map(integration).collect()
    }

    async fn update_integration(&self, i: &Integration) -> Result<bool> {
        let sql = self.backend.sql(
            "UPDATE integrations SET program_id = ?, name = ?, secret_sealed = ?, \
             previous_secret_sealed = ?, previous_secret_until = ?, options = ?, enabled = ?, \
             updated_at = ? WHERE id = ? AND workspace_id = ?",
        );
        let done = sqlx::query(&sql)
            .bind(i.program_id.as_str())
            .bind(i.name.as_deref())
            .bind(i.secret_sealed.as_str())
            .bind(i.previous_secret_sealed.as_deref())
            .bind(i.previous_secret_until)
            .bind(options_json(i)?)
            .bind(i64::from(i.enabled))
            .bind(i.updated_at)
            .bind(i.id.as_str())
            .bind(i.workspace_id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_integration(&self, ws: &WorkspaceId, id: &IntegrationId) -> Result<bool> {
        self.delete_with_children(
            "integrations",
            ("integration_deliveries", "integration_id"),
            ws.as_str(),
            id.as_str(),
        )
        .await
    }

    async fn insert_delivery(&self, d: &Delivery) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO integration_deliveries (id, integration_id, workspace_id, \
             delivery_key, topic, verdict, status, reason, event_ids, body, received_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        let ids = serde_json::to_string(&d.event_ids)
            .map_err(|e| StoreError::corrupt(format!("delivery event ids: {e}")))?;
        sqlx::query(&sql)
            .bind(d.id.as_str())
            .bind(d.integration_id.as_str())
            .bind(d.workspace_id.as_str())
            .bind(d.delivery_key.as_deref())
            .bind(d.topic.as_str())
            .bind(d.verdict.as_str())
            .bind(i64::from(d.status))
            .bind(d.reason.as_deref())
            .bind(ids)
            .bind(d.body.as_str())
            .bind(d.received_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn final_delivery(&self, id: &IntegrationId, key: &str) -> Result<Option<Delivery>> {
        let sql = format!(
            "{DELIVERY_COLS} WHERE integration_id = ? AND delivery_key = ? \
             AND verdict IN ('processed', 'ignored') ORDER BY id DESC LIMIT 1"
        );
        let rows = self.many(sql, &[id.as_str(), key]).await?;
        rows.first().map(delivery).transpose()
    }

    async fn list_deliveries(&self, id: &IntegrationId, q: &ListQuery) -> Result<Vec<Delivery>> {
        let mut sql = format!("{DELIVERY_COLS} WHERE integration_id = ?");
        let mut args = vec![id.as_str()];
        if let Some(c) = &q.cursor {
            sql.push_str(" AND id < ?");
            args.push(c);
        }
        if let Some(v) = &q.status {
            sql.push_str(" AND verdict = ?");
            args.push(v);
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", q.limit + 1));
        let rows = self.many(sql, &args).await?;
        rows.iter().map(delivery).collect()
    }
}

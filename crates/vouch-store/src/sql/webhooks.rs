//! Endpoints and messages. The SQL behind [`WebhookStore`] and [`WebhookTx`].

use async_trait::async_trait;
use sqlx::any::AnyRow;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use super::rows::{i, os, s};
use super::tx::{Args, SqlTx};
use super::SqlStore;
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::webhooks::{WebhookStore, WebhookTx};

const ENDPOINT_COLS: &str = "SELECT id, workspace_id, url, description, event_types, enabled, \
    disabled_reason, secret_sealed, previous_secret_sealed, previous_secret_until, \
    failing_since, created_at, updated_at FROM webhook_endpoints";

const MESSAGE_COLS: &str = "SELECT id, endpoint_id, workspace_id, event_id, event_type, \
    payload, status, attempts, next_attempt_at, response_status, response_body, duration_ms, \
    last_error, created_at, updated_at FROM webhook_messages";

fn oi(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(sqlx::Row::try_get::<Option<i64>, _>(row, col)?)
}

fn endpoint(row: &AnyRow) -> Result<WebhookEndpoint> {
    let types = s(row, "event_types")?;
    Ok(WebhookEndpoint {
        id: WebhookEndpointId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        url: s(row, "url")?,
        description: os(row, "description")?,
        event_types: serde_json::from_str(&types)
            .map_err(|e| StoreError::corrupt(format!("event_types: {e}")))?,
        enabled: i(row, "enabled")? != 0,
        disabled_reason: os(row, "disabled_reason")?,
        secret_sealed: s(row, "secret_sealed")?,
        previous_secret_sealed: os(row, "previous_secret_sealed")?,
        previous_secret_until: oi(row, "previous_secret_until")?,
        failing_since: oi(row, "failing_since")?,
        created_at: i(row, "created_at")?,
        updated_at: i(row, "updated_at")?,
    })
}

fn message(row: &AnyRow) -> Result<WebhookMessage> {
    let status = s(row, "status")?;
    Ok(WebhookMessage {
        id: MessageId::from_trusted(s(row, "id")?),
        endpoint_id: WebhookEndpointId::from_trusted(s(row, "endpoint_id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        event_id: os(row, "event_id")?,
        event_type: s(row, "event_type")?,
        payload: s(row, "payload")?,
        status: MessageStatus::parse(&status)
            .ok_or_else(|| StoreError::corrupt(format!("message status = {status:?}")))?,
        attempts: i(row, "attempts")?,
        next_attempt_at: oi(row, "next_attempt_at")?,
        response_status: oi(row, "response_status")?,
        response_body: os(row, "response_body")?,
        duration_ms: oi(row, "duration_ms")?,
        last_error: os(row, "last_error")?,
        created_at: i(row, "created_at")?,
        updated_at: i(row, "updated_at")?,
    })
}

fn types_json(e: &WebhookEndpoint) -> Result<String> {
    serde_json::to_string(&e.event_types).map_err(|e| StoreError::corrupt(e.to_string()))
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn insert_endpoint(&self, e: &WebhookEndpoint) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO webhook_endpoints (id, workspace_id, url, description, event_types, \
             enabled, disabled_reason, secret_sealed, previous_secret_sealed, \
             previous_secret_until, failing_since, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(e.id.as_str())
            .bind(e.workspace_id.as_str())
            .bind(e.url.as_str())
            .bind(e.description.as_deref())
            .bind(types_json(e)?)
            .bind(i64::from(e.enabled))
            .bind(e.disabled_reason.as_deref())
            .bind(e.secret_sealed.as_str())
            .bind(e.previous_secret_sealed.as_deref())
            .bind(e.previous_secret_until)
            .bind(e.failing_since)
            .bind(e.created_at)
            .bind(e.updated_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn get_endpoint(
        &self,
        ws: &WorkspaceId,
        id: &WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>> {
        let sql = format!("{ENDPOINT_COLS} WHERE id = ? AND workspace_id = ?");
        let rows = self.many(sql, &[id.as_str(), ws.as_str()]).await?;
        rows.first().map(endpoint).transpose()
    }

    async fn list_endpoints(&self, ws: &WorkspaceId) -> Result<Vec<WebhookEndpoint>> {
        let sql = format!("{ENDPOINT_COLS} WHERE workspace_id = ? ORDER BY id DESC");
        let rows = self.many(sql, &[ws.as_str()]).await?;
        rows.iter().map(endpoint).collect()
    }

    async fn update_endpoint(&self, e: &WebhookEndpoint) -> Result<bool> {
        let sql = self.backend.sql(
            "UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, \
             enabled = ?, disabled_reason = ?, secret_sealed = ?, previous_secret_sealed = ?, \
             previous_secret_until = ?, failing_since = ?, updated_at = ? \
             WHERE id = ? AND workspace_id = ?",
        );
        let done = sqlx::query(&sql)
            .bind(e.url.as_str())
            .bind(e.description.as_deref())
            .bind(types_json(e)?)
            .bind(i64::from(e.enabled))
            .bind(e.disabled_reason.as_deref())
            .bind(e.secret_sealed.as_str())
            .bind(e.previous_secret_sealed.as_deref())
            .bind(e.previous_secret_until)
            .bind(e.failing_since)
            .bind(e.updated_at)
            .bind(e.id.as_str())
            .bind(e.workspace_id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_endpoint(&self, ws: &WorkspaceId, id: &WebhookEndpointId) -> Result<bool> {
        self.delete_with_children(
            "webhook_endpoints",
            ("webhook_messages", "endpoint_id"),
            ws.as_str(),
            id.as_str(),
        )
        .await
    }

    async fn get_message(&self, id: &MessageId) -> Result<Option<WebhookMessage>> {
        let sql = format!("{MESSAGE_COLS} WHERE id = ?");
        let rows = self.many(sql, &[id.as_str()]).await?;
        rows.first().map(message).transpose()
    }

    async fn list_messages(
        &self,
        endpoint: &WebhookEndpointId,
        q: &ListQuery,
    ) -> Result<Vec<WebhookMessage>> {
        let mut sql = format!("{MESSAGE_COLS} WHERE endpoint_id = ?");
        let mut args = vec![endpoint.as_str()];
        if let Some(c) = &q.cursor {
            sql.push_str(" AND id < ?");
            args.push(c);
        }
        if let Some(st) = &q.status {
            sql.push_str(" AND status = ?");
            args.push(st);
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", q.limit + 1));
        let rows = self.many(sql, &args).await?;
        rows.iter().map(message).collect()
    }
}

#[async_trait]
impl WebhookTx for SqlTx {
    async fn enabled_endpoints(&mut self, ws: &WorkspaceId) -> Result<Vec<WebhookEndpoint>> {
        let sql = format!("{ENDPOINT_COLS} WHERE workspace_id = ? AND enabled = 1 ORDER BY id");
        self.all(sql, &[ws.as_str()])
            .await?
            .iter()
            .map(endpoint)
            .collect()
    }

    async fn insert_message(&mut self, m: &WebhookMessage) -> Result<bool> {
        let sql = self.backend.sql(
            "INSERT INTO webhook_messages (id, endpoint_id, workspace_id, event_id, event_type, \
             payload, status, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        );
        let done = sqlx::query(&sql)
            .bind(m.id.as_str())
            .bind(m.endpoint_id.as_str())
            .bind(m.workspace_id.as_str())
            .bind(m.event_id.as_deref())
            .bind(m.event_type.as_str())
            .bind(m.payload.as_str())
            .bind(m.status.as_str())
            .bind(m.attempts)
            .bind(m.next_attempt_at)
            .bind(m.created_at)
            .bind(m.updated_at)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn update_message(&mut self, m: &WebhookMessage) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE webhook_messages SET status = ?, attempts = ?, next_attempt_at = ?, \
             response_status = ?, response_body = ?, duration_ms = ?, last_error = ?, \
             updated_at = ? WHERE id = ?",
        );
        let args = Args::default()
            .arg(m.status.as_str())
            .arg(m.attempts)
            .arg(m.next_attempt_at)
            .arg(m.response_status)
            .arg(m.response_body.as_deref())
            .arg(m.duration_ms)
            .arg(m.last_error.as_deref())
            .arg(m.updated_at)
            .arg(m.id.as_str());
        self.write(&sql, args).await
    }

    async fn set_endpoint_health(
        &mut self,
        id: &WebhookEndpointId,
        failing_since: Option<Millis>,
        disabled_reason: Option<&str>,
        now: Millis,
    ) -> Result<()> {
        let (sql, args) = match disabled_reason {
            Some(reason) => (
                "UPDATE webhook_endpoints SET failing_since = ?, enabled = 0, \
                 disabled_reason = ?, updated_at = ? WHERE id = ?",
                Args::default().arg(failing_since).arg(reason),
            ),
            None => (
                "UPDATE webhook_endpoints SET failing_since = ?, updated_at = ? WHERE id = ?",
                Args::default().arg(failing_since),
            ),
        };
        let sql = self.backend.sql(sql);
        let args = args.arg(now).arg(id.as_str());
        self.write(&sql, args).await
    }
}

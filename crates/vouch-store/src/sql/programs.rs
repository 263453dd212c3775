//! Workspaces, their API keys, and programs. The SQL behind [`ProgramStore`].

use async_trait::async_trait;
use sqlx::Row;
use vouch_domain::ids::*;

use super::store::ListSql;
use super::{rows, SqlStore};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::programs::*;

#[async_trait]
impl ProgramStore for SqlStore {
    async fn count_workspaces(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM workspaces")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }
    async fn create_workspace(&self, ws: &Workspace, keys: &[NewApiKey]) -> Result<()> {
        let b = self.backend;
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            &b.sql("INSERT INTO workspaces (id, name, hash_key, created_at) VALUES (?, ?, ?, ?)"),
        )
        .bind(ws.id.as_str())
        .bind(ws.name.as_str())
        .bind(ws.hash_key.as_str())
        .bind(ws.created_at)
        .execute(&mut *tx)
        .await?;
        for k in keys {
            sqlx::query(&b.sql(
                "INSERT INTO api_keys (id, workspace_id, kind, key_hash, key_hint, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            ))
            .bind(k.id.as_str())
            .bind(ws.id.as_str())
            .bind(k.kind.as_str())
            .bind(k.key_hash.as_str())
            .bind(k.key_hint.as_str())
            .bind(ws.created_at)
            .execute(&mut *tx)
            .await?;
        }
        // Every subscriber the outbox has starts at the new workspace's beginning (a
        // subscriber never seen before gets its cursors when its worker starts).
        sqlx::query(&b.sql(
            "INSERT INTO outbox_cursors (subscriber, workspace_id, last_seq, updated_at) \
             SELECT DISTINCT subscriber, ?, 0, 0 FROM outbox_cursors WHERE true \
             ON CONFLICT DO NOTHING",
        ))
        .bind(ws.id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>> {
        self.one(
            "SELECT id, name, hash_key, created_at FROM workspaces WHERE id = ?",
            &[id.as_str()],
        )
        .await?
        .map(|r| rows::workspace(&r))
        .transpose()
    }
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>> {
        self.one(
            "SELECT id, workspace_id, kind FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            &[key_hash],
        )
        .await?
        .map(|r| rows::api_key(&r))
        .transpose()
    }
    async fn insert_program(&self, p: &Program) -> Result<()> {
        let config = serde_json::to_string(&p.config).map_err(StoreError::corrupt)?;
        let sql = self.backend.sql(
            "INSERT INTO programs (id, workspace_id, slug, status, config, version, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING",
        );
        let done = sqlx::query(&sql)
            .bind(p.id.as_str())
            .bind(p.workspace_id.as_str())
            .bind(p.slug.as_str())
            .bind(p.status.as_str())
            .bind(config)
            .bind(p.version)
            .bind(p.created_at)
            .bind(p.updated_at)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict { what: "slug" });
        }
        Ok(())
    }
    async fn update_program(&self, p: &Program) -> Result<()> {
        let config = serde_json::to_string(&p.config).map_err(StoreError::corrupt)?;
        let sql = self.backend.sql(
            "UPDATE programs SET status = ?, config = ?, version = ?, updated_at = ? \
             WHERE id = ? AND workspace_id = ?",
        );
        sqlx::query(&sql)
            .bind(p.status.as_str())
            .bind(config)
            .bind(p.version)
            .bind(p.updated_at)
            .bind(p.id.as_str())
            .bind(p.workspace_id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
    async fn get_program(&self, ws: &WorkspaceId, id: &ProgramId) -> Result<Option<Program>> {
        let sql = self.backend.sql(
            "SELECT id, workspace_id, slug, status, config, version, created_at, updated_at \
             FROM programs WHERE id = ? AND workspace_id = ?",
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| rows::program(&r)).transpose()
    }
    async fn get_program_by_slug(&self, slug: &str) -> Result<Option<Program>> {
        self.one(
            "SELECT id, workspace_id, slug, status, config, version, created_at, updated_at \
             FROM programs WHERE slug = ?",
            &[slug],
        )
        .await?
        .map(|r| rows::program(&r))
        .transpose()
    }
    async fn find_program(&self, id: &ProgramId) -> Result<Option<Program>> {
        self.one(
            "SELECT id, workspace_id, slug, status, config, version, created_at, updated_at \
             FROM programs WHERE id = ?",
            &[id.as_str()],
        )
        .await?
        .map(|r| rows::program(&r))
        .transpose()
    }
    async fn list_programs(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Program>> {
        let list = ListSql::new(
            &format!("SELECT {} FROM programs", rows::PROGRAM_COLS),
            ws,
            "workspace_id",
        );
        let rows = list.fetch(self, "id", q).await?;
        let items = rows.iter().map(rows::program).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, q.limit, |p| p.id.to_string()))
    }
}

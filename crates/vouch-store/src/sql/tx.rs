//! [`StoreTx`] for [`SqlStore`](super::SqlStore): everything that must commit together.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use vouch_domain::ids::*;

use super::Backend;
use crate::error::{Result, StoreError};
use crate::StoreTx;

pub(crate) struct SqlTx {
    pub(crate) backend: Backend,
    pub(crate) tx: Transaction<'static, Any>,
    /// Domain events to append to the outbox at commit.
    pub(crate) events: Vec<vouch_domain::lifecycle::DomainEvent>,
}

pub(crate) fn skipped_json(s: &[vouch_domain::rules::Skipped]) -> Result<Option<String>> {
    if s.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(s)
        .map(Some)
        .map_err(|e| StoreError::corrupt(format!("skipped: {e}")))
}

pub(crate) fn signals_json(s: &[vouch_domain::fraud::Signal]) -> Result<Option<String>> {
    if s.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(s)
        .map(Some)
        .map_err(|e| StoreError::corrupt(format!("signals: {e}")))
}

impl SqlTx {
    pub(crate) fn new(backend: Backend, tx: Transaction<'static, Any>) -> Self {
        Self {
            backend,
            tx,
            events: Vec::new(),
        }
    }

    pub(crate) async fn opt(&mut self, sql: String, args: &[&str]) -> Result<Option<AnyRow>> {
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_optional(&mut *self.tx).await?)
    }

    pub(crate) async fn all(&mut self, sql: String, args: &[&str]) -> Result<Vec<AnyRow>> {
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_all(&mut *self.tx).await?)
    }

    /// A row matched by email or external id, whichever the caller has; external id
    /// first, because the merchant's own id is the stronger identity.
    pub(crate) async fn by_identity(
        &mut self,
        select: &str,
        program_col: &str,
        program: &ProgramId,
        email: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Option<AnyRow>> {
        let prefix = program_col.strip_suffix("program_id").unwrap_or("");
        if let Some(ext) = external_id {
            let sql = format!("{select} WHERE {program_col} = ? AND {prefix}external_id = ?");
            if let Some(row) = self.opt(sql, &[program.as_str(), ext]).await? {
                return Ok(Some(row));
            }
        }
        if let Some(email) = email {
            let sql = format!("{select} WHERE {program_col} = ? AND {prefix}email_normalized = ?");
            if let Some(row) = self.opt(sql, &[program.as_str(), email]).await? {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl StoreTx for SqlTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        let mut this = *self;
        if !this.events.is_empty() {
            // Grouped per workspace (a transaction normally touches one).
            let mut workspaces: Vec<&WorkspaceId> = vec![];
            for e in &this.events {
                if !workspaces.contains(&&e.workspace_id) {
                    workspaces.push(&e.workspace_id);
                }
            }
            for ws in workspaces {
                let events: Vec<_> = this
                    .events
                    .iter()
                    .filter(|e| &e.workspace_id == ws)
                    .collect();
                super::outbox::append(&mut this.tx, this.backend, ws, &events).await?;
            }
        }
        this.tx.commit().await?;
        Ok(())
    }
    async fn lock(&mut self, key: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1)::BIGINT)")
                .bind(key)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

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
    /// Writes nobody waits for an answer from (SQLite only), sent together in one
    /// round trip before the next statement that reads and at commit: each statement
    /// is a hop to SQLite's connection thread and back, which costs more than the
    /// statement itself.
    pending: Vec<(String, Args)>,
}

/// One bound value of a deferred write.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}

/// The values of a deferred write, in placeholder order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Args(Vec<Arg>);

impl Args {
    pub(crate) fn arg(mut self, v: impl Into<Arg>) -> Self {
        self.0.push(v.into());
        self
    }

    fn bind_to<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
        for a in &self.0 {
            q = match a {
                Arg::Text(v) => q.bind(v.as_deref()),
                Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }
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

/// The statements of a batch as one string: SQLite runs them in order, binding the
/// values across them.
fn joined(batch: &[(String, Args)]) -> String {
    batch
        .iter()
        .map(|(sql, _)| sql.as_str())
        .collect::<Vec<_>>()
        .join(";\n")
}

/// [`joined`]'s query with every statement's values bound in order.
fn bound<'q>(
    sql: &'q str,
    batch: &'q [(String, Args)],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    batch
        .iter()
        .fold(sqlx::query(sql), |q, (_, args)| args.bind_to(q))
}

impl SqlTx {
    pub(crate) fn new(backend: Backend, tx: Transaction<'static, Any>) -> Self {
        Self {
            backend,
            tx,
            events: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// The connection, once the deferred writes have been sent: every statement that
    /// reads (or whose outcome matters) goes through here.
    pub(crate) async fn conn(&mut self) -> Result<&mut sqlx::AnyConnection> {
        if !self.pending.is_empty() {
            let batch = std::mem::take(&mut self.pending);
            let sql = joined(&batch);
            bound(&sql, &batch).execute(&mut *self.tx).await?;
        }
        Ok(&mut *self.tx)
    }

    /// A write whose answer nobody waits for: deferred on SQLite (sent with the next
    /// read or at commit; a failure surfaces there), run at once on PostgreSQL, whose
    /// protocol sends one statement with values at a time.
    pub(crate) async fn write(&mut self, sql: &str, args: Args) -> Result<()> {
        match self.backend {
            Backend::Sqlite => self.pending.push((sql.to_owned(), args)),
            Backend::Postgres => {
                let q = args.bind_to(sqlx::query(sql));
                q.execute(&mut *self.tx).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn opt(&mut self, sql: String, args: &[&str]) -> Result<Option<AnyRow>> {
        Ok(self.all(sql, args).await?.into_iter().next())
    }

    pub(crate) async fn all(&mut self, sql: String, args: &[&str]) -> Result<Vec<AnyRow>> {
        let sql = self.backend.sql_owned(sql);
        let args = args.iter().fold(Args::default(), |a, v| a.arg(*v));
        self.rows(&sql, args).await
    }

    /// The rows of one reading statement. On SQLite the deferred writes go in front of
    /// it, in the same round trip (they return no rows, so the rows are the read's).
    pub(crate) async fn rows(&mut self, sql: &str, args: Args) -> Result<Vec<AnyRow>> {
        if self.backend == Backend::Postgres || self.pending.is_empty() {
            let q = args.bind_to(sqlx::query(sql));
            return Ok(q.fetch_all(&mut *self.tx).await?);
        }
        let mut batch = std::mem::take(&mut self.pending);
        batch.push((sql.to_owned(), args));
        let sql = joined(&batch);
        Ok(bound(&sql, &batch).fetch_all(&mut *self.tx).await?)
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
        let events = std::mem::take(&mut this.events);
        // Grouped per workspace (a transaction normally touches one).
        let mut workspaces: Vec<&WorkspaceId> = vec![];
        for e in &events {
            if !workspaces.contains(&&e.workspace_id) {
                workspaces.push(&e.workspace_id);
            }
        }
        for ws in workspaces {
            let of_ws: Vec<_> = events.iter().filter(|e| &e.workspace_id == ws).collect();
            let (sql, args) = super::outbox::append(this.backend, ws, &of_ws)?;
            this.write(&sql, args).await?;
        }
        this.conn().await?;
        this.tx.commit().await?;
        Ok(())
    }
    async fn lock(&mut self, key: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1)::BIGINT)")
                .bind(key)
                .execute(self.conn().await?)
                .await?;
        }
        Ok(())
    }
}

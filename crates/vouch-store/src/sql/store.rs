//! [`Store`] for [`SqlStore`]: reads and single-statement writes.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use vouch_domain::ids::*;

use super::tx::SqlTx;
use super::{numbered, Backend, SqlStore};
use crate::error::Result;
use crate::model::*;
use crate::{Store, StoreTx};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A list query's SQL and arguments, built from optional filters.
pub(crate) struct ListSql {
    sql: String,
    args: Vec<String>,
}

impl ListSql {
    pub(crate) fn new(select: &str, ws: &WorkspaceId, ws_col: &str) -> Self {
        Self {
            sql: format!("{select} WHERE {ws_col} = ?"),
            args: vec![ws.to_string()],
        }
    }

    pub(crate) fn filter(&mut self, clause: &str, values: &[&str]) {
        self.sql.push_str(" AND ");
        self.sql.push_str(clause);
        self.args.extend(values.iter().map(|v| v.to_string()));
    }

    pub(crate) async fn fetch(
        mut self,
        store: &SqlStore,
        id_col: &str,
        q: &ListQuery,
    ) -> Result<Vec<AnyRow>> {
        if let Some(c) = &q.cursor {
            self.filter(&format!("{id_col} < ?"), &[c]);
        }
        self.sql
            .push_str(&format!(" ORDER BY {id_col} DESC LIMIT {}", q.limit + 1));
        let sql = match store.backend {
            Backend::Sqlite => self.sql,
            Backend::Postgres => numbered(&self.sql),
        };
        let mut query = sqlx::query(&sql);
        for a in &self.args {
            query = query.bind(a.as_str());
        }
        Ok(query.fetch_all(&store.pool).await?)
    }
}

impl SqlStore {
    pub(crate) async fn one(&self, sql: &'static str, args: &[&str]) -> Result<Option<AnyRow>> {
        let sql = self.backend.sql(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_optional(&self.pool).await?)
    }

    /// Deletes a workspace's row of `table` and, when it was there, the rows of
    /// `child` that name it in `child_col`, in one transaction.
    pub(crate) async fn delete_with_children(
        &self,
        table: &str,
        (child, child_col): (&str, &str),
        ws: &str,
        id: &str,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let sql = self.backend.sql_owned(format!(
            "DELETE FROM {table} WHERE id = ? AND workspace_id = ?"
        ));
        let done = sqlx::query(&sql)
            .bind(id)
            .bind(ws)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() > 0 {
            let sql = self
                .backend
                .sql_owned(format!("DELETE FROM {child} WHERE {child_col} = ?"));
            sqlx::query(&sql).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn many(&self, sql: String, args: &[&str]) -> Result<Vec<AnyRow>> {
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }
}

pub(crate) const POOL_SELECT: &str =
    "SELECT p.id, p.workspace_id, p.program_id, p.name, p.created_at, \
    CAST((SELECT COUNT(*) FROM coupon_pool_codes c WHERE c.pool_id = p.id \
      AND c.reward_id IS NULL) AS BIGINT) AS available, \
    CAST((SELECT COUNT(*) FROM coupon_pool_codes c WHERE c.pool_id = p.id \
      AND c.reward_id IS NOT NULL) AS BIGINT) AS issued FROM coupon_pools p";

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }
    async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        Ok(())
    }
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
    async fn begin(&self) -> Result<Box<dyn StoreTx>> {
        let tx = self.writer.begin().await?;
        Ok(Box::new(SqlTx::new(self.backend, tx)))
    }
}

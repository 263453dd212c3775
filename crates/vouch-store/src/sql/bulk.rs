//! The SQL behind [`BulkStore`]: multi-row inserts within the backend's limit on
//! bound values, in one transaction.

use async_trait::async_trait;

use super::{insert_values, SqlStore};
use crate::bulk::{BulkStore, Cell};
use crate::error::Result;

/// Bound values per statement (SQLite allows 32 766, PostgreSQL 65 535).
const MAX_VALUES: usize = 30_000;

#[async_trait]
impl BulkStore for SqlStore {
    async fn bulk_insert(
        &self,
        table: &'static str,
        cols: &'static [&'static str],
        rows: &[Vec<Cell>],
    ) -> Result<()> {
        let per = (MAX_VALUES / cols.len().max(1)).max(1);
        let head = format!("INSERT INTO {table} ({})", cols.join(", "));
        let mut tx = self.writer.begin().await?;
        for chunk in rows.chunks(per) {
            let sql = self
                .backend
                .sql_owned(insert_values(&head, chunk.len(), cols.len()));
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for cell in row {
                    q = match cell {
                        Cell::Int(v) => q.bind(*v),
                        Cell::Text(v) => q.bind(v.as_str()),
                        Cell::Null => q.bind(Option::<String>::None),
                        Cell::NullInt => q.bind(Option::<i64>::None),
                    };
                }
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

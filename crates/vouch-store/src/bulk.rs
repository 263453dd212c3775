//! Rows written straight into a table, many per statement: for generators of large
//! histories (`vouch demo --scale large`) that benchmarks and analytics run against.
//! Nothing here goes through the engine; tables and columns are the caller's constants.

use async_trait::async_trait;

use crate::error::Result;

/// One value of a bulk row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Int(i64),
    Text(String),
    /// A NULL text.
    Null,
    /// A NULL integer (PostgreSQL types the parameter).
    NullInt,
}

#[async_trait]
pub trait BulkStore: Send + Sync {
    /// Inserts `rows` (each with one cell per column of `cols`) into `table`, in one
    /// transaction.
    async fn bulk_insert(
        &self,
        table: &'static str,
        cols: &'static [&'static str],
        rows: &[Vec<Cell>],
    ) -> Result<()>;
}

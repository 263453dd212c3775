//! Durable background jobs. The SQL behind [`JobStore`] and [`JobTx`].

use async_trait::async_trait;
use sqlx::Row;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use super::tx::Args;
use super::tx::SqlTx;
use super::{rows, Backend, SqlStore};
use crate::error::Result;
use crate::jobs::*;
use crate::model::*;

#[async_trait]
impl JobStore for SqlStore {
    async fn claim_jobs(&self, now: Millis, limit: i64, lease_ms: i64) -> Result<Vec<Job>> {
        let sql = match self.backend {
            Backend::Sqlite => self.backend.sql(
                "UPDATE jobs SET locked_until = ?, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM jobs WHERE run_at <= ? \
                  AND (locked_until IS NULL OR locked_until < ?) ORDER BY run_at LIMIT ?) \
                 RETURNING id, kind, payload, attempts",
            ),
            Backend::Postgres => self.backend.sql(
                "UPDATE jobs SET locked_until = ?, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM jobs WHERE run_at <= ? \
                  AND (locked_until IS NULL OR locked_until < ?) ORDER BY run_at LIMIT ? \
                  FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, payload, attempts",
            ),
        };
        let rows = sqlx::query(&sql)
            .bind(now + lease_ms)
            .bind(now)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.writer)
            .await?;
        rows.iter().map(rows::job).collect()
    }
    async fn retry_job(&self, id: &JobId, run_at: Millis, error: &str) -> Result<()> {
        let sql = self
            .backend
            .sql("UPDATE jobs SET run_at = ?, locked_until = NULL, last_error = ? WHERE id = ?");
        sqlx::query(&sql)
            .bind(run_at)
            .bind(error)
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
    async fn count_jobs(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM jobs")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }
}

#[async_trait]
impl JobTx for SqlTx {
    async fn enqueue_job(&mut self, j: &NewJob) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, attempts, created_at) \
             VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
        );
        let args = Args::default()
            .arg(j.id.as_str())
            .arg(j.kind.as_str())
            .arg(j.payload.to_string())
            .arg(j.dedupe_key.as_deref())
            .arg(j.run_at)
            .arg(j.run_at);
        self.write(&sql, args).await?;
        Ok(())
    }
    async fn reschedule_job(&mut self, dedupe_key: &str, run_at: Millis) -> Result<bool> {
        let sql = self
            .backend
            .sql("UPDATE jobs SET run_at = ? WHERE dedupe_key = ?");
        let done = sqlx::query(&sql)
            .bind(run_at)
            .bind(dedupe_key)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }
    async fn finish_job(&mut self, id: &JobId) -> Result<()> {
        let sql = self.backend.sql("DELETE FROM jobs WHERE id = ?");
        let args = Args::default().arg(id.as_str());
        self.write(&sql, args).await?;
        Ok(())
    }
}

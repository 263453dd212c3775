//! Coupon pools and issued coupons. The SQL behind [`CouponStore`] and [`CouponTx`].

use async_trait::async_trait;
use vouch_domain::ids::*;

use super::store::POOL_SELECT;
use super::tx::SqlTx;
use super::{insert_values, rows, SqlStore};
use crate::coupons::*;
use crate::error::Result;
use crate::model::*;
use crate::StoreTx;

#[async_trait]
impl CouponStore for SqlStore {
    async fn get_coupon_pool(
        &self,
        ws: &WorkspaceId,
        id: &CouponPoolId,
    ) -> Result<Option<CouponPool>> {
        let sql = format!("{POOL_SELECT} WHERE p.id = ? AND p.workspace_id = ?");
        let rows = self.many(sql, &[id.as_str(), ws.as_str()]).await?;
        rows.first().map(rows::coupon_pool).transpose()
    }
    async fn list_coupon_pools(
        &self,
        ws: &WorkspaceId,
        program: &ProgramId,
    ) -> Result<Vec<CouponPool>> {
        let sql =
            format!("{POOL_SELECT} WHERE p.workspace_id = ? AND p.program_id = ? ORDER BY p.id");
        let rows = self.many(sql, &[ws.as_str(), program.as_str()]).await?;
        rows.iter().map(rows::coupon_pool).collect()
    }
}

#[async_trait]
impl CouponTx for SqlTx {
    async fn find_coupon_reward(
        &mut self,
        program: &ProgramId,
        code: &str,
    ) -> Result<Option<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE program_id = ? AND coupon_code = ?{}",
            rows::REWARD_COLS,
            self.backend.for_update()
        );
        self.opt(sql, &[program.as_str(), code])
            .await?
            .map(|r| rows::reward(&r))
            .transpose()
    }
    async fn insert_coupon_pool(&mut self, pool: &CouponPool) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO coupon_pools (id, workspace_id, program_id, name, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(pool.id.as_str())
            .bind(pool.workspace_id.as_str())
            .bind(pool.program_id.as_str())
            .bind(pool.name.as_str())
            .bind(pool.created_at)
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }
    async fn add_pool_codes(&mut self, pool: &CouponPoolId, codes: &[String]) -> Result<usize> {
        let base: i64 = {
            let sql = self.backend.sql(
                "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS seq FROM coupon_pool_codes \
                 WHERE pool_id = ?",
            );
            let row = sqlx::query(&sql)
                .bind(pool.as_str())
                .fetch_one(self.conn().await?)
                .await?;
            sqlx::Row::try_get(&row, "seq")?
        };
        let mut added = 0;
        // Bounded statements: SQLite allows 32766 parameters.
        for (chunk_no, chunk) in codes.chunks(5000).enumerate() {
            let mut sql = insert_values(
                "INSERT INTO coupon_pool_codes (pool_id, code, seq)",
                chunk.len(),
                3,
            );
            sql.push_str(" ON CONFLICT (pool_id, code) DO NOTHING");
            let sql = self.backend.sql_owned(sql);
            let mut q = sqlx::query(&sql);
            for (i, code) in chunk.iter().enumerate() {
                let seq = base + i64::try_from(chunk_no * 5000 + i + 1).unwrap_or(i64::MAX);
                q = q.bind(pool.as_str()).bind(code.as_str()).bind(seq);
            }
            added +=
                usize::try_from(q.execute(self.conn().await?).await?.rows_affected()).unwrap_or(0);
        }
        Ok(added)
    }
    async fn draw_pool_code(
        &mut self,
        pool: &CouponPoolId,
        program: &ProgramId,
        reward: &RewardId,
    ) -> Result<Option<String>> {
        // The rewarding transaction holds the participant's lock, not the pool's: two
        // may race for the same code, so the draw locks the pool first.
        self.lock(&format!("coupon_pool:{pool}")).await?;
        let row = self
            .opt(
                "SELECT c.code FROM coupon_pool_codes c JOIN coupon_pools p ON p.id = c.pool_id \
                 WHERE c.pool_id = ? AND p.program_id = ? AND c.reward_id IS NULL \
                 ORDER BY c.seq LIMIT 1"
                    .into(),
                &[pool.as_str(), program.as_str()],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let code: String = sqlx::Row::try_get(&row, "code")?;
        let sql = self
            .backend
            .sql("UPDATE coupon_pool_codes SET reward_id = ? WHERE pool_id = ? AND code = ?");
        sqlx::query(&sql)
            .bind(reward.as_str())
            .bind(pool.as_str())
            .bind(code.as_str())
            .execute(self.conn().await?)
            .await?;
        Ok(Some(code))
    }
    async fn rewards_awaiting(&mut self, program: &ProgramId, reason: &str) -> Result<Vec<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE program_id = ? AND pending_reason = ? \
             AND status = 'pending' ORDER BY id{}",
            rows::REWARD_COLS,
            self.backend.for_update()
        );
        self.all(sql, &[program.as_str(), reason])
            .await?
            .iter()
            .map(rows::reward)
            .collect()
    }
}

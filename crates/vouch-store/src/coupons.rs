//! Coupon pools and issued coupons.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Coupon pools and issued coupons: reads and single-statement writes.
#[async_trait]
pub trait CouponStore: Send + Sync {
    async fn get_coupon_pool(
        &self,
        ws: &WorkspaceId,
        id: &CouponPoolId,
    ) -> Result<Option<CouponPool>>;
    async fn list_coupon_pools(
        &self,
        ws: &WorkspaceId,
        program: &ProgramId,
    ) -> Result<Vec<CouponPool>>;
}

/// Coupon pools and issued coupons: work inside a transaction.
#[async_trait]
pub trait CouponTx: Send {
    /// The reward that issued coupon `code` in `program`, locked until commit.
    async fn find_coupon_reward(
        &mut self,
        program: &ProgramId,
        code: &str,
    ) -> Result<Option<Reward>>;
    async fn insert_coupon_pool(&mut self, pool: &CouponPool) -> Result<()>;
    /// Adds codes to a pool; codes already in it are skipped. Returns how many were new.
    async fn add_pool_codes(&mut self, pool: &CouponPoolId, codes: &[String]) -> Result<usize>;
    /// Takes the oldest free code of `pool` for `reward`; `None` when the pool is empty
    /// or is not one of `program`'s pools.
    async fn draw_pool_code(
        &mut self,
        pool: &CouponPoolId,
        program: &ProgramId,
        reward: &RewardId,
    ) -> Result<Option<String>>;
    /// The program's rewards waiting for `reason`, locked until commit.
    async fn rewards_awaiting(&mut self, program: &ProgramId, reason: &str) -> Result<Vec<Reward>>;
}

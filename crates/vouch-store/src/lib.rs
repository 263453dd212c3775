//! The store: one trait, [`Store`], with its transactional half, [`StoreTx`], and a
//! sqlx implementation that runs on SQLite (embedded, the default) and PostgreSQL (for
//! many stateless instances). Each backend has its own migrations; one contract test
//! suite (`tests/contract.rs`) runs against both.
#![forbid(unsafe_code)]

pub mod analytics;
pub mod bulk;
pub mod clicks;
pub mod contests;
pub mod coupons;
pub mod emails;
pub mod error;
pub mod events;
pub mod fraud;
pub mod integrations;
pub mod jobs;
pub mod model;
pub mod outbox;
pub mod participants;
pub mod payouts;
pub mod programs;
pub mod referrals;
pub mod rewards;
pub mod rollups;
mod sql;
pub mod testing;
pub mod webhooks;

use async_trait::async_trait;

pub use error::{Result, StoreError};
pub use model::*;
pub use prelude::*;
pub use sql::{connect, redact as sql_redact, Backend, SqlStore};

/// Reads and single-statement writes, plus [`Store::begin`] for everything that must
/// happen in one transaction.
#[async_trait]
pub trait Store:
    ProgramStore
    + ParticipantStore
    + ClickStore
    + EventStore
    + ReferralStore
    + RewardStore
    + CouponStore
    + PayoutStore
    + FraudStore
    + IntegrationStore
    + JobStore
    + OutboxStore
    + WebhookStore
    + EmailStore
    + AnalyticsStore
    + ContestStore
    + RollupStore
    + BulkStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
    /// Applies this backend's pending migrations.
    async fn migrate(&self) -> Result<()>;
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;
    /// Starts a transaction. On SQLite it holds the single writer connection; on
    /// PostgreSQL, row and advisory locks taken through it serialize competing instances.
    async fn begin(&self) -> Result<Box<dyn StoreTx>>;
}

/// Work inside one transaction. Dropping it without [`StoreTx::commit`] rolls back.
#[async_trait]
pub trait StoreTx:
    ParticipantTx
    + ClickTx
    + EventTx
    + ReferralTx
    + RewardTx
    + CouponTx
    + PayoutTx
    + FraudTx
    + JobTx
    + OutboxTx
    + WebhookTx
    + EmailTx
    + ContestTx
    + Send
{
    async fn commit(self: Box<Self>) -> Result<()>;
    /// Serializes transactions that name the same key until this one ends (a
    /// PostgreSQL advisory lock; SQLite's single writer already serializes).
    async fn lock(&mut self, key: &str) -> Result<()>;
}

/// Every store trait, for `use vouch_store::prelude::*`: a method of an aggregate's
/// trait is callable on `dyn Store` / `dyn StoreTx` once its trait is in scope.
pub mod prelude {
    pub use crate::analytics::AnalyticsStore;
    pub use crate::bulk::BulkStore;
    pub use crate::clicks::{ClickStore, ClickTx};
    pub use crate::contests::{ContestStore, ContestTx};
    pub use crate::coupons::{CouponStore, CouponTx};
    pub use crate::emails::{EmailStore, EmailTx};
    pub use crate::events::{EventStore, EventTx};
    pub use crate::fraud::{FraudStore, FraudTx};
    pub use crate::integrations::IntegrationStore;
    pub use crate::jobs::{JobStore, JobTx};
    pub use crate::outbox::{OutboxStore, OutboxTx};
    pub use crate::participants::{ParticipantStore, ParticipantTx};
    pub use crate::payouts::{PayoutStore, PayoutTx};
    pub use crate::programs::ProgramStore;
    pub use crate::referrals::{ReferralStore, ReferralTx};
    pub use crate::rewards::{RewardStore, RewardTx};
    pub use crate::rollups::RollupStore;
    pub use crate::webhooks::{WebhookStore, WebhookTx};
    pub use crate::{Store, StoreTx};
}

//! Analytics: the funnel, revenue and reward cost of a period, counted from the raw
//! rows and grouped by UTC day, channel or advocate.

use async_trait::async_trait;
use vouch_domain::analytics::Counts;
use vouch_domain::ids::{ProgramId, WorkspaceId};
use vouch_domain::Millis;

use crate::error::Result;

/// What the store groups by; weeks and months are folded from days by the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Everything under one key (`""`).
    Total,
    /// The UTC day number (days since 1970-01-01), as text.
    Day,
    /// The UTC quarter hour (since 1970-01-01), as text: folded into a time zone's days.
    Quarter,
    Channel,
    Advocate,
    /// `{quarter}|{channel}`: what a day's rollup is recomputed by.
    QuarterChannel,
}

/// Which counts a query computes: a rollup keeps the counts without a currency and
/// each currency's money in separate rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parts {
    #[default]
    All,
    /// Clicks, signups and conversions.
    Counts,
    /// Revenue, refunds and reward cost.
    Money,
    /// Conversions and money: what leaderboards rank by.
    Results,
}

#[derive(Debug, Clone)]
pub struct AnalyticsQuery {
    pub workspace_id: WorkspaceId,
    pub program_id: Option<ProgramId>,
    /// From this instant (included) to `to` (excluded).
    pub from: Millis,
    pub to: Millis,
    /// Money is counted in this currency only.
    pub currency: String,
    pub by: Dimension,
    pub parts: Parts,
}

/// What a storefront may say about a program: counts and a first name, nothing more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocialProof {
    /// Active advocates.
    pub participants: i64,
    /// Advocates with a reward approved since the instant asked.
    pub rewarded: i64,
    /// The name of the one rewarded most recently, if they gave one.
    pub latest_name: Option<String>,
}

/// One customer of a holdout measurement: who they are (to find their group) and what
/// they did from their first purchase to the end of the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoldoutRow {
    pub email_normalized: Option<String>,
    pub external_id: Option<String>,
    /// Their purchases after the first one.
    pub purchases: i64,
    /// Those purchases' amounts less refunds of them, in the currency asked.
    pub revenue: i64,
    /// Friends they referred (as an advocate) who converted after that first purchase.
    pub friend_conversions: i64,
    /// Those friends' purchases less refunds after it.
    pub friend_revenue: i64,
}

#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Each customer of `program` whose first purchase fell in `[from, to)`, with their
    /// value (in `currency`, net of refunds) until `to`.
    async fn customer_values(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
        currency: &str,
    ) -> Result<Vec<vouch_domain::cohorts::CustomerValue>>;
    /// How many customers and advocates `program` has around `[from, to)`.
    async fn customer_base(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<vouch_domain::cohorts::CustomerBase>;
    /// Customers of `program` whose first purchase, in `[from, to)`, came without a
    /// referral, each with their outcomes after it until `to` in `currency`.
    async fn holdout_outcomes(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
        currency: &str,
    ) -> Result<Vec<HoldoutRow>>;
    async fn social_proof(&self, program: &ProgramId, since: Millis) -> Result<SocialProof>;
    /// For each of `cuts`, the customers of `program` who bought before it, with their
    /// purchases before it.
    async fn likely_customers(
        &self,
        program: &ProgramId,
        cuts: &[Millis],
    ) -> Result<Vec<Vec<vouch_domain::likely::CustomerFacts>>>;
    /// How many advocates and customers `program` has.
    async fn likely_fingerprint(&self, program: &ProgramId) -> Result<(i64, i64)>;
    /// Every advocate of `program`, whenever they enrolled.
    async fn likely_participants(
        &self,
        program: &ProgramId,
    ) -> Result<Vec<vouch_domain::likely::Participant>>;
    /// For each of `cuts`, each advocate's activity before it and friends who bought
    /// in the `horizon` after it, keyed by participant id.
    async fn likely_activity(
        &self,
        program: &ProgramId,
        cuts: &[Millis],
        horizon: Millis,
    ) -> Result<Vec<std::collections::HashMap<String, vouch_domain::likely::Activity>>>;
    /// The counts of each key with any activity in the period.
    async fn analytics(&self, q: &AnalyticsQuery) -> Result<Vec<(String, Counts)>>;
    /// For referrals converted in the period: milliseconds from the friend's click (or
    /// first contact) to the conversion, at most `limit` of them.
    async fn conversion_delays(&self, q: &AnalyticsQuery, limit: i64) -> Result<Vec<i64>>;
}

//! Analytics rollups: counts per program and quarter hour (by channel) and per program,
//! day and advocate, recomputed a day at a time from the raw rows. See
//! `vouch_app::rollups` for when and why.

use async_trait::async_trait;
use vouch_domain::analytics::Counts;
use vouch_domain::ids::{ProgramId, WorkspaceId};
use vouch_domain::Millis;

use crate::analytics::AnalyticsQuery;
use crate::error::Result;

/// How far the rollups reach (see the `rollup_state` table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupMarks {
    /// Wall-clock millisecond up to which new rows have marked their days.
    pub scanned_to: Millis,
    /// Reports read rollups before this instant and raw rows from it on.
    pub settled_to: Millis,
}

/// A (program, UTC day) whose rollups are to be recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyDay {
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub day: i64,
    pub version: i64,
}

/// One rollup row: its key (a quarter hour and a channel, a local day and a channel,
/// or an advocate) and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    /// The quarter hour (quarter rows), the local day (day rows); unused for advocates.
    pub at: i64,
    /// The channel, or the advocate's participant id.
    pub key: String,
    /// `''` for the counts without a currency.
    pub currency: String,
    pub counts: Counts,
}

/// Everything one (program, UTC day) contributes, at every grain.
#[derive(Debug, Clone, Default)]
pub struct DayRollup {
    /// The time zone the local days are counted in (`''`: UTC).
    pub zone: String,
    pub quarters: Vec<RollupRow>,
    pub days: Vec<RollupRow>,
    /// Split by the store: clicks and signups in one table, conversions and money in
    /// another.
    pub advocates: Vec<RollupRow>,
    /// Conversions per time-to-conversion bucket.
    pub delays: Vec<(i64, i64)>,
}

/// Which rollup a report reads, and in what unit its `lo..hi` range is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grain {
    /// UTC quarter hours; keys by the query's dimension (`Day`: the UTC day).
    Quarters,
    /// UTC days.
    UtcDays,
    /// The program's local days in this zone (a program query only).
    LocalDays(String),
    /// UTC days; keys are advocates.
    Advocates,
    /// UTC days; keys are advocates; conversions and money only.
    Results,
}

#[async_trait]
pub trait RollupStore: Send + Sync {
    async fn rollup_marks(&self) -> Result<RollupMarks>;
    /// Days waiting to be recomputed (of one workspace, or of all).
    async fn count_dirty_days(&self, ws: Option<&WorkspaceId>) -> Result<i64>;
    /// The currencies of a program's revenue and rewards in a period.
    async fn currencies_in(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<String>>;
    /// Takes the refresh lease until `until` if nobody holds it at `now`.
    async fn lease_rollups(&self, now: Millis, until: Millis) -> Result<bool>;
    async fn release_rollups(&self) -> Result<()>;
    /// Marks the days of every click, event and outbox row whose id was made from the
    /// wall-clock millisecond `since` to before `until`: their own days, and for a
    /// referral's or reward's change the days it counts in. (Both bounds: without
    /// statistics PostgreSQL reads a one-sided range on an id as a third of the table
    /// and scans it whole.)
    async fn mark_dirty_since(&self, since: Millis, until: Millis) -> Result<()>;
    /// Marks every day that has any activity (for a rebuild) and forgets the rollups.
    async fn reset_rollups(&self) -> Result<()>;
    /// Up to `limit` dirty days, oldest first.
    async fn dirty_days(&self, limit: i64) -> Result<Vec<DirtyDay>>;
    /// Replaces a day's rollups, in one transaction, and clears its mark unless the day
    /// was marked again since `d.version`.
    async fn replace_rollup_day(&self, d: &DirtyDay, rollup: &DayRollup) -> Result<()>;
    /// Marks every day of a program that has rollups (its time zone changed).
    async fn mark_program_dirty(&self, program: &ProgramId) -> Result<()>;
    /// Whether every day row of the program between local days `lo..hi` was counted in
    /// `zone` (after a change of zone, until its days are recomputed, some are not).
    async fn days_in_zone(&self, program: &ProgramId, zone: &str, lo: i64, hi: i64)
        -> Result<bool>;
    /// Conversions per time-to-conversion bucket over UTC days `lo..hi`.
    async fn rollup_delays(&self, q: &AnalyticsQuery, lo: i64, hi: i64) -> Result<Vec<(i64, i64)>>;
    async fn set_rollup_marks(&self, marks: RollupMarks) -> Result<()>;
    /// The report's counts from one rollup, for its units `lo..hi` (`q.from` and `q.to`
    /// are not read), keyed by `q.by`.
    async fn rollup_analytics(
        &self,
        q: &AnalyticsQuery,
        grain: &Grain,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<(String, Counts)>>;
    /// From the results rollup over UTC days `lo..hi`: the `limit` advocates first by
    /// `by` (ties to the smaller id), and every advocate in `also`, with their counts.
    /// A leaderboard reads a handful of rows instead of one per active advocate.
    async fn rollup_leaders(
        &self,
        q: &AnalyticsQuery,
        lo: i64,
        hi: i64,
        by: vouch_domain::analytics::RankBy,
        limit: i64,
        also: &[String],
    ) -> Result<Vec<(String, Counts)>>;
}

//! The SQL behind [`RollupStore`]: the lease and marks, and finding dirty days. Marking
//! is one `INSERT … SELECT` over the rows made in a wall-clock range (ids are
//! time-ordered, so each source is a range scan of its id index). Writing a day is in
//! `rollup_day`, reading for reports in `rollup_reads`.

use async_trait::async_trait;
use vouch_domain::analytics::Counts;
use vouch_domain::ids::{ActivityId, ClickId, EventId, ProgramId, WorkspaceId};
use vouch_domain::Millis;

use super::rows::{i, s};
use super::SqlStore;
use crate::analytics::AnalyticsQuery;
use crate::error::Result;
use crate::rollups::{DayRollup, DirtyDay, Grain, RollupMarks, RollupStore};

const DAY: &str = "86400000";
/// Quarter hours in a day.
pub(super) const QUARTERS: i64 = 96;
pub(super) const COUNTERS: &str = "clicks, unique_clicks, signups, conversions, revenue, refunds, \
    reward_pending, reward_approved, reward_reversed";
const REVENUE_TYPES: &str = "('purchase', 'subscription_payment', 'refund')";

/// The days a referral counts in: its signup, its conversion, and its revenue's.
const REFERRAL_DAYS: &str = "\
    SELECT r.program_id AS p, r.signed_up_at / {DAY} AS d, r.workspace_id AS w \
      FROM {src} JOIN referrals r ON r.id = {subject} WHERE {cond} AND r.signed_up_at IS NOT NULL \
    UNION SELECT r.program_id, r.converted_at / {DAY}, r.workspace_id \
      FROM {src} JOIN referrals r ON r.id = {subject} WHERE {cond} AND r.converted_at IS NOT NULL \
    UNION SELECT e.program_id, e.occurred_at / {DAY}, e.workspace_id \
      FROM {src} JOIN events e ON e.referral_id = {subject} WHERE {cond} AND e.type IN {REVENUE}";

fn referral_days(src: &str, subject: &str, cond: &str) -> String {
    REFERRAL_DAYS
        .replace("{DAY}", DAY)
        .replace("{src}", src)
        .replace("{subject}", subject)
        .replace("{cond}", cond)
        .replace("{REVENUE}", REVENUE_TYPES)
}

/// Inserts the `(p, d, w)` rows of `select` as dirty days (again: the version moves).
fn mark(select: &str) -> String {
    format!(
        "INSERT INTO rollup_dirty (program_id, day, workspace_id, version) \
         SELECT p, d, w, 0 FROM ({select}) AS m WHERE true \
         ON CONFLICT (program_id, day) DO UPDATE SET version = rollup_dirty.version + 1"
    )
}

impl SqlStore {
    async fn exec(&self, sql: String, args: &[&str]) -> Result<u64> {
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.execute(&self.writer).await?.rows_affected())
    }
}

#[async_trait]
impl RollupStore for SqlStore {
    async fn rollup_marks(&self) -> Result<RollupMarks> {
        let rows = self
            .many(
                "SELECT scanned_to, settled_to FROM rollup_state WHERE id = 1".into(),
                &[],
            )
            .await?;
        match rows.first() {
            Some(r) => Ok(RollupMarks {
                scanned_to: i(r, "scanned_to")?,
                settled_to: i(r, "settled_to")?,
            }),
            None => Ok(RollupMarks::default()),
        }
    }

    async fn count_dirty_days(&self, ws: Option<&WorkspaceId>) -> Result<i64> {
        let (filter, args) = match ws {
            Some(w) => (" WHERE workspace_id = ?", vec![w.as_str()]),
            None => ("", vec![]),
        };
        let rows = self
            .many(
                format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM rollup_dirty{filter}"),
                &args,
            )
            .await?;
        rows.first().map(|r| i(r, "n")).unwrap_or(Ok(0))
    }

    async fn currencies_in(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<String>> {
        let (from, to) = (from.to_string(), to.to_string());
        let p = program.as_str();
        let rows = self
            .many(
                format!(
                    "SELECT currency AS c FROM events WHERE program_id = ? \
                     AND occurred_at >= CAST(? AS BIGINT) AND occurred_at < CAST(? AS BIGINT) \
                     AND type IN {REVENUE_TYPES} AND currency IS NOT NULL \
                     UNION SELECT currency FROM rewards WHERE program_id = ? \
                     AND created_at >= CAST(? AS BIGINT) AND created_at < CAST(? AS BIGINT)"
                ),
                &[p, &from, &to, p, &from, &to],
            )
            .await?;
        rows.iter().map(|r| s(r, "c")).collect()
    }

    async fn lease_rollups(&self, now: Millis, until: Millis) -> Result<bool> {
        let (now, until) = (now.to_string(), until.to_string());
        let n = self
            .exec(
                "UPDATE rollup_state SET lease_until = CAST(? AS BIGINT) \
                 WHERE id = 1 AND lease_until < CAST(? AS BIGINT)"
                    .into(),
                &[&until, &now],
            )
            .await?;
        Ok(n == 1)
    }

    async fn release_rollups(&self) -> Result<()> {
        self.exec(
            "UPDATE rollup_state SET lease_until = 0 WHERE id = 1".into(),
            &[],
        )
        .await?;
        Ok(())
    }

    async fn mark_dirty_since(&self, since: Millis, until: Millis) -> Result<()> {
        let (clk, evt, act) = (
            ClickId::floor(since),
            EventId::floor(since),
            ActivityId::floor(since),
        );
        let (clk_end, evt_end, act_end) = (
            ClickId::floor(until),
            EventId::floor(until),
            ActivityId::floor(until),
        );
        let select = format!(
            "SELECT program_id AS p, occurred_at / {DAY} AS d, workspace_id AS w FROM clicks \
               WHERE id >= ? AND id < ? \
             UNION SELECT program_id, occurred_at / {DAY}, workspace_id FROM events \
               WHERE id >= ? AND id < ? AND type IN {REVENUE_TYPES} \
             UNION {referrals} \
             UNION SELECT w.program_id, w.created_at / {DAY}, w.workspace_id \
               FROM outbox o JOIN rewards w ON w.id = o.subject_id \
               WHERE o.id >= ? AND o.id < ? AND o.type LIKE 'reward.%'",
            referrals = referral_days(
                "outbox o",
                "o.subject_id",
                "o.id >= ? AND o.id < ? AND o.type LIKE 'referral.%'"
            ),
        );
        // The referral part reads the outbox three times, two arguments each.
        let (c, e, a) = (
            [clk.as_str(), clk_end.as_str()],
            [evt.as_str(), evt_end.as_str()],
            [act.as_str(), act_end.as_str()],
        );
        let args = [c, e, a, a, a, a].concat();
        self.exec(mark(&select), &args).await?;
        Ok(())
    }

    async fn reset_rollups(&self) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for sql in [
            "DELETE FROM rollup_quarters".to_owned(),
            "DELETE FROM rollup_advocates".to_owned(),
            "DELETE FROM rollup_days".to_owned(),
            "DELETE FROM rollup_results".to_owned(),
            "DELETE FROM rollup_totals".to_owned(),
            "DELETE FROM rollup_months".to_owned(),
            "DELETE FROM rollup_delays".to_owned(),
            "UPDATE rollup_state SET settled_to = 0 WHERE id = 1".to_owned(),
            mark(&format!(
                "SELECT DISTINCT program_id AS p, occurred_at / {DAY} AS d, workspace_id AS w \
                   FROM clicks \
                 UNION SELECT program_id, occurred_at / {DAY}, workspace_id FROM events \
                   WHERE type IN {REVENUE_TYPES} \
                 UNION SELECT program_id, signed_up_at / {DAY}, workspace_id FROM referrals \
                   WHERE signed_up_at IS NOT NULL \
                 UNION SELECT program_id, converted_at / {DAY}, workspace_id FROM referrals \
                   WHERE converted_at IS NOT NULL \
                 UNION SELECT program_id, created_at / {DAY}, workspace_id FROM rewards"
            )),
        ] {
            sqlx::query(&self.backend.sql_owned(sql))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn dirty_days(&self, limit: i64) -> Result<Vec<DirtyDay>> {
        let rows = self
            .many(
                format!(
                    "SELECT workspace_id, program_id, day, version FROM rollup_dirty \
                     ORDER BY day, program_id LIMIT {limit}"
                ),
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DirtyDay {
                    workspace_id: WorkspaceId::from_trusted(s(r, "workspace_id")?),
                    program_id: ProgramId::from_trusted(s(r, "program_id")?),
                    day: i(r, "day")?,
                    version: i(r, "version")?,
                })
            })
            .collect()
    }

    async fn replace_rollup_day(&self, d: &DirtyDay, rollup: &DayRollup) -> Result<()> {
        self.write_rollup_day(d, rollup).await
    }

    async fn mark_program_dirty(&self, program: &ProgramId) -> Result<()> {
        self.exec(
            mark(
                "SELECT DISTINCT program_id AS p, day AS d, workspace_id AS w FROM rollup_days \
                  WHERE program_id = ?",
            ),
            &[program.as_str()],
        )
        .await?;
        Ok(())
    }

    async fn days_in_zone(
        &self,
        program: &ProgramId,
        zone: &str,
        lo: i64,
        hi: i64,
    ) -> Result<bool> {
        let (lo, hi) = (lo.to_string(), hi.to_string());
        let rows = self
            .many(
                "SELECT 1 AS x FROM rollup_days WHERE program_id = ? AND local_day >= CAST(? AS BIGINT) \
                 AND local_day < CAST(? AS BIGINT) AND zone <> ? LIMIT 1"
                    .into(),
                &[program.as_str(), &lo, &hi, zone],
            )
            .await?;
        Ok(rows.is_empty())
    }

    async fn rollup_delays(&self, q: &AnalyticsQuery, lo: i64, hi: i64) -> Result<Vec<(i64, i64)>> {
        let (lo, hi) = (lo.to_string(), hi.to_string());
        let mut args = vec![q.workspace_id.as_str()];
        let pf = match &q.program_id {
            Some(p) => {
                args.push(p.as_str());
                " AND program_id = ?"
            }
            None => "",
        };
        args.extend([lo.as_str(), hi.as_str()]);
        let rows = self
            .many(
                format!(
                    "SELECT bucket, CAST(SUM(conversions) AS BIGINT) AS n FROM rollup_delays \
                     WHERE workspace_id = ?{pf} AND day >= CAST(? AS BIGINT) \
                     AND day < CAST(? AS BIGINT) GROUP BY bucket"
                ),
                &args,
            )
            .await?;
        rows.iter()
            .map(|r| Ok((i(r, "bucket")?, i(r, "n")?)))
            .collect()
    }

    async fn set_rollup_marks(&self, m: RollupMarks) -> Result<()> {
        let (a, b) = (m.scanned_to.to_string(), m.settled_to.to_string());
        self.exec(
            "UPDATE rollup_state SET scanned_to = CAST(? AS BIGINT), \
             settled_to = CAST(? AS BIGINT) WHERE id = 1"
                .into(),
            &[&a, &b],
        )
        .await?;
        Ok(())
    }

    async fn rollup_analytics(
        &self,
        q: &AnalyticsQuery,
        grain: &Grain,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<(String, Counts)>> {
        self.read_rollups(q, grain, lo, hi).await
    }

    async fn rollup_leaders(
        &self,
        q: &AnalyticsQuery,
        lo: i64,
        hi: i64,
        by: vouch_domain::analytics::RankBy,
        limit: i64,
        also: &[String],
    ) -> Result<Vec<(String, Counts)>> {
        self.read_leaders(q, lo, hi, by, limit, also).await
    }
}

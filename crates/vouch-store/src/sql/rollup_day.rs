//! Writing one (program, UTC day) of rollups: every grain replaced in one transaction,
//! and the day's dirty mark cleared unless it was marked again meanwhile.

use vouch_domain::analytics::Counts;

use super::rollups::{COUNTERS, QUARTERS};
use super::{insert_values, SqlStore};
use crate::error::Result;
use crate::rollups::{DayRollup, DirtyDay};

impl SqlStore {
    pub(super) async fn write_rollup_day(&self, d: &DirtyDay, rollup: &DayRollup) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let q0 = d.day * QUARTERS;
        let sql = self.backend.sql(
            "DELETE FROM rollup_quarters WHERE program_id = ? AND quarter >= ? AND quarter < ?",
        );
        sqlx::query(&sql)
            .bind(d.program_id.as_str())
            .bind(q0)
            .bind(q0 + QUARTERS)
            .execute(&mut *tx)
            .await?;
        for table in [
            "rollup_days",
            "rollup_advocates",
            "rollup_results",
            "rollup_delays",
        ] {
            let sql = self.backend.sql_owned(format!(
                "DELETE FROM {table} WHERE program_id = ? AND day = ?"
            ));
            sqlx::query(&sql)
                .bind(d.program_id.as_str())
                .bind(d.day)
                .execute(&mut *tx)
                .await?;
        }
        // An advocate's clicks and signups go to one table, the rest to the other.
        let (mut funnel, mut results) = (vec![], vec![]);
        for r in &rollup.advocates {
            let c = &r.counts;
            if c.clicks != 0 || c.unique_clicks != 0 || c.signups != 0 {
                let mut f = r.clone();
                f.counts = Counts {
                    clicks: c.clicks,
                    unique_clicks: c.unique_clicks,
                    signups: c.signups,
                    ..Counts::default()
                };
                funnel.push(f);
            }
            let mut rest = r.clone();
            (
                rest.counts.clicks,
                rest.counts.unique_clicks,
                rest.counts.signups,
            ) = (0, 0, 0);
            if rest.counts != Counts::default() {
                results.push(rest);
            }
        }
        let zone = rollup.zone.as_str();
        for (table, cols, rows) in [
            ("rollup_quarters", "quarter, channel", &rollup.quarters),
            ("rollup_days", "day, local_day, zone, channel", &rollup.days),
            ("rollup_advocates", "day, participant_id", &funnel),
            ("rollup_results", "day, participant_id", &results),
        ] {
            let width = 5 + 9 + usize::from(table == "rollup_days") * 2;
            for chunk in rows.chunks(400) {
                let sql = insert_values(
                    &format!(
                        "INSERT INTO {table} (workspace_id, program_id, {cols}, currency, {COUNTERS})"
                    ),
                    chunk.len(),
                    width,
                );
                let sql = self.backend.sql_owned(sql);
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q.bind(d.workspace_id.as_str()).bind(d.program_id.as_str());
                    q = match table {
                        "rollup_quarters" => q.bind(r.at).bind(r.key.as_str()),
                        "rollup_days" => q.bind(d.day).bind(r.at).bind(zone).bind(r.key.as_str()),
                        _ => q.bind(d.day).bind(r.key.as_str()),
                    };
                    q = q.bind(r.currency.as_str());
                    let c = &r.counts;
                    for v in [
                        c.clicks,
                        c.unique_clicks,
                        c.signups,
                        c.conversions,
                        c.revenue,
                        c.refunds,
                        c.reward_pending,
                        c.reward_approved,
                        c.reward_reversed,
                    ] {
                        q = q.bind(v);
                    }
                }
                q.execute(&mut *tx).await?;
            }
        }
        for chunk in rollup.delays.chunks(1000) {
            let sql = self.backend.sql_owned(insert_values(
                "INSERT INTO rollup_delays (workspace_id, program_id, day, bucket, conversions)",
                chunk.len(),
                5,
            ));
            let mut q = sqlx::query(&sql);
            for (bucket, n) in chunk {
                q = q
                    .bind(d.workspace_id.as_str())
                    .bind(d.program_id.as_str())
                    .bind(d.day)
                    .bind(*bucket)
                    .bind(*n);
            }
            q.execute(&mut *tx).await?;
        }
        let sql = self
            .backend
            .sql("DELETE FROM rollup_dirty WHERE program_id = ? AND day = ? AND version = ?");
        sqlx::query(&sql)
            .bind(d.program_id.as_str())
            .bind(d.day)
            .bind(d.version)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

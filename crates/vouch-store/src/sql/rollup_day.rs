//! Writing one (program, UTC day) of rollups: every grain replaced in one transaction,
//! and the day's dirty mark cleared unless it was marked again meanwhile.

use std::collections::BTreeMap;

use vouch_domain::analytics::Counts;

use super::rollup_reads::counts_of;
use super::rollups::{COUNTERS, QUARTERS};
use super::rows::s;
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
        // The day's old results, to take out of the advocates' totals.
        let sql = self.backend.sql_owned(format!(
            "DELETE FROM rollup_results WHERE program_id = ? AND day = ? \
             RETURNING participant_id, currency, {COUNTERS}"
        ));
        let old = sqlx::query(&sql)
            .bind(d.program_id.as_str())
            .bind(d.day)
            .fetch_all(&mut *tx)
            .await?;
        let mut totals: BTreeMap<(String, String), Counts> = BTreeMap::new();
        for r in &old {
            let key = (s(r, "participant_id")?, s(r, "currency")?);
            let c = totals.entry(key).or_default();
            c.add(&counts_of(r)?.negated());
        }
        for table in ["rollup_days", "rollup_advocates", "rollup_delays"] {
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
                    for v in c.values() {
                        q = q.bind(v);
                    }
                }
                q.execute(&mut *tx).await?;
            }
        }
        for r in &results {
            let key = (r.key.clone(), r.currency.clone());
            totals.entry(key).or_default().add(&r.counts);
        }
        self.add_to_totals(&mut tx, d, totals).await?;
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

impl SqlStore {
    /// Adds each advocate's change (new rows minus old) to their all-time totals and
    /// to their totals of the day's month.
    async fn add_to_totals(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        d: &DirtyDay,
        totals: BTreeMap<(String, String), Counts>,
    ) -> Result<()> {
        let changed: Vec<_> = totals
            .into_iter()
            .filter(|(_, c)| *c != Counts::default())
            .collect();
        let month = vouch_domain::analytics::month_start(d.day);
        for (table, key, at) in [
            ("rollup_totals", "", None),
            ("rollup_months", "month, ", Some(month)),
        ] {
            let update = COUNTERS
                .split(", ")
                .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            let head = format!(
                "INSERT INTO {table} (workspace_id, program_id, {key}participant_id, currency, \
                 {COUNTERS})"
            );
            let width = 13 + usize::from(at.is_some());
            for chunk in changed.chunks(400) {
                let sql = format!(
                    "{} ON CONFLICT (program_id, {key}participant_id, currency) DO UPDATE SET {update}",
                    insert_values(&head, chunk.len(), width)
                );
                let sql = self.backend.sql_owned(sql);
                let mut q = sqlx::query(&sql);
                for ((participant, currency), c) in chunk {
                    q = q.bind(d.workspace_id.as_str()).bind(d.program_id.as_str());
                    if let Some(m) = at {
                        q = q.bind(m);
                    }
                    q = q.bind(participant.as_str()).bind(currency.as_str());
                    for v in c.values() {
                        q = q.bind(v);
                    }
                }
                q.execute(&mut **tx).await?;
            }
        }
        Ok(())
    }
}

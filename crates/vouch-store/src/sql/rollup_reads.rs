//! Reading the rollups for a report: one grain, a range of its units, keyed by the
//! query's dimension.

use std::collections::BTreeMap;

use vouch_domain::analytics::{Counts, RankBy};

use super::rollups::{COUNTERS, QUARTERS};
use super::rows::{i, s};
use super::{Backend, SqlStore};
use crate::analytics::{AnalyticsQuery, Dimension};
use crate::error::Result;
use crate::rollups::Grain;

impl SqlStore {
    pub(super) async fn read_rollups(
        &self,
        q: &AnalyticsQuery,
        grain: &Grain,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<(String, Counts)>> {
        let by_key = |day: &str, quarter: &str| match q.by {
            Dimension::Total => "''".to_owned(),
            Dimension::Day => format!("CAST({day} AS TEXT)"),
            Dimension::Quarter => format!("CAST({quarter} AS TEXT)"),
            Dimension::Channel | Dimension::QuarterChannel => "channel".to_owned(),
            Dimension::Advocate => "participant_id".to_owned(),
        };
        let (tables, at, key, zone): (&[&str], &str, String, Option<&str>) = match grain {
            Grain::Quarters => (
                &["rollup_quarters"],
                "quarter",
                by_key(&format!("quarter / {QUARTERS}"), "quarter"),
                None,
            ),
            Grain::UtcDays => (&["rollup_days"], "day", by_key("day", "day"), None),
            Grain::LocalDays(z) => (
                &["rollup_days"],
                "local_day",
                by_key("local_day", "local_day"),
                Some(z.as_str()),
            ),
            Grain::Advocates => (
                &["rollup_advocates", "rollup_results"],
                "day",
                "participant_id".into(),
                None,
            ),
            Grain::Results => (&["rollup_results"], "day", "participant_id".into(), None),
        };
        let (lo, hi) = (lo.to_string(), hi.to_string());
        let mut args: Vec<&str> = vec![];
        let mut parts = vec![];
        for table in tables {
            args.push(q.workspace_id.as_str());
            let pf = match &q.program_id {
                Some(p) => {
                    args.push(p.as_str());
                    " AND program_id = ?"
                }
                None => "",
            };
            args.extend([lo.as_str(), hi.as_str(), q.currency.as_str()]);
            let zf = match zone {
                Some(z) => {
                    args.push(z);
                    " AND zone = ?"
                }
                None => "",
            };
            parts.push(format!(
                "SELECT {key} AS k, {COUNTERS} FROM {table} WHERE workspace_id = ?{pf} \
                 AND {at} >= CAST(? AS BIGINT) AND {at} < CAST(? AS BIGINT) \
                 AND currency IN ('', ?){zf}"
            ));
        }
        let group = match q.by {
            Dimension::Total => String::new(),
            _ => "GROUP BY k".to_owned(),
        };
        let sums = COUNTERS
            .split(", ")
            .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let total_key = if q.by == Dimension::Total {
            "'' AS k"
        } else {
            "k"
        };
        let sql = format!(
            "SELECT {total_key}, {sums} FROM ({}) AS u {group}",
            parts.join(" UNION ALL ")
        );
        let mut out: BTreeMap<String, Counts> = BTreeMap::new();
        for row in self.many(sql, &args).await? {
            out.entry(s(&row, "k")?).or_default().add(&counts_of(&row)?);
        }
        Ok(out.into_iter().collect())
    }
}

impl SqlStore {
    pub(super) async fn read_leaders(
        &self,
        q: &AnalyticsQuery,
        lo: i64,
        hi: i64,
        by: RankBy,
        limit: i64,
        also: &[String],
    ) -> Result<Vec<(String, Counts)>> {
        let sums = COUNTERS
            .split(", ")
            .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let order = match by {
            RankBy::Conversions => "SUM(conversions)",
            RankBy::Revenue => "SUM(revenue) - SUM(refunds)",
        };
        let (lo, hi, limit) = (lo.to_string(), hi.to_string(), limit.to_string());
        let mut base: Vec<&str> = vec![q.workspace_id.as_str()];
        let pf = match &q.program_id {
            Some(p) => {
                base.push(p.as_str());
                " AND program_id = ?"
            }
            None => "",
        };
        base.extend([lo.as_str(), hi.as_str(), q.currency.as_str()]);
        let from = format!(
            "FROM rollup_results WHERE workspace_id = ?{pf} AND day >= CAST(? AS BIGINT) \
             AND day < CAST(? AS BIGINT) AND currency IN ('', ?)"
        );
        let mut out: BTreeMap<String, Counts> = BTreeMap::new();
        let top = format!(
            "SELECT participant_id AS k, {sums} {from} GROUP BY participant_id \
             ORDER BY {order} DESC, participant_id LIMIT CAST(? AS BIGINT)"
        );
        let mut args = base.clone();
        args.push(&limit);
        for row in self.many(top, &args).await? {
            out.insert(s(&row, "k")?, counts_of(&row)?);
        }
        if !also.is_empty() {
            // One parameter for any number of ids: a JSON array.
            let list = serde_json::to_string(also).unwrap_or_else(|_| "[]".into());
            let member = match self.backend {
                Backend::Postgres => "SELECT jsonb_array_elements_text(CAST(? AS jsonb))",
                Backend::Sqlite => "SELECT value FROM json_each(?)",
            };
            let sql = format!(
                "SELECT participant_id AS k, {sums} {from} AND participant_id IN ({member}) \
                 GROUP BY participant_id"
            );
            let mut args = base;
            args.push(&list);
            for row in self.many(sql, &args).await? {
                out.insert(s(&row, "k")?, counts_of(&row)?);
            }
        }
        Ok(out.into_iter().collect())
    }
}

fn counts_of(row: &sqlx::any::AnyRow) -> Result<Counts> {
    Ok(Counts {
        clicks: i(row, "clicks")?,
        unique_clicks: i(row, "unique_clicks")?,
        signups: i(row, "signups")?,
        conversions: i(row, "conversions")?,
        revenue: i(row, "revenue")?,
        refunds: i(row, "refunds")?,
        reward_pending: i(row, "reward_pending")?,
        reward_approved: i(row, "reward_approved")?,
        reward_reversed: i(row, "reward_reversed")?,
    })
}

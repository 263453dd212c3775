//! Reading the rollups for a report: one grain, a range of its units, keyed by the
//! query's dimension.

use std::collections::BTreeMap;

use vouch_domain::analytics::{month_start, Counts, RankBy};

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
        let sums = sums();
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
        if let Some(program) = &q.program_id {
            let m0 = month_start(lo);
            let m1 = month_start(m0 + 31);
            let base = if lo <= 0 {
                Some(Base::Totals)
            } else if hi <= m1 && lo - m0 <= 3 {
                Some(Base::Month(m0, m1))
            } else {
                None
            };
            if let Some(base) = base {
                let span = (lo, hi);
                return self
                    .read_leaders_from(q, program.as_str(), base, span, by, limit, also)
                    .await;
            }
        }
        let sums = sums();
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
            let list = serde_json::to_string(also).unwrap_or_else(|_| "[]".into());
            let member = self.json_members();
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

impl SqlStore {
    /// `SELECT …` of the members of a JSON array of strings given as one parameter: any
    /// number of ids in one statement.
    fn json_members(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => "SELECT jsonb_array_elements_text(CAST(? AS jsonb))",
            Backend::Sqlite => "SELECT value FROM json_each(?)",
        }
    }

    /// Days `lo..hi` from an advocate total that covers them (all time, or their
    /// month): the top of the total's index by `by`, then the figures of those
    /// advocates, of `also` and of anyone with results on the total's days outside
    /// `lo..hi`, less those results. As with the days, only those named advocates'
    /// figures differ from the totals, so nobody below the top `limit` + their number
    /// can rank in the top `limit`.
    #[allow(clippy::too_many_arguments)]
    async fn read_leaders_from(
        &self,
        q: &AnalyticsQuery,
        program: &str,
        base: Base,
        (lo, hi): (i64, i64),
        by: RankBy,
        limit: i64,
        also: &[String],
    ) -> Result<Vec<(String, Counts)>> {
        let ws = q.workspace_id.as_str();
        let cur = q.currency.as_str();
        let (table, month, b_lo, b_hi) = match base {
            Base::Totals => ("rollup_totals", String::new(), lo, i64::MAX),
            Base::Month(m0, m1) => ("rollup_months", m0.to_string(), m0, m1),
        };
        let mf = if month.is_empty() {
            ""
        } else {
            " AND month = CAST(? AS BIGINT)"
        };
        let outside = [b_lo, lo, hi, b_hi].map(|d| d.to_string());
        let sql = format!(
            "SELECT participant_id AS k, {} FROM rollup_results WHERE workspace_id = ? \
             AND program_id = ? AND currency IN ('', ?) \
             AND ((day >= CAST(? AS BIGINT) AND day < CAST(? AS BIGINT)) \
               OR (day >= CAST(? AS BIGINT) AND day < CAST(? AS BIGINT))) \
             GROUP BY participant_id",
            sums()
        );
        let mut args = vec![ws, program, cur];
        args.extend(outside.iter().map(String::as_str));
        let mut outside_rows: BTreeMap<String, Counts> = BTreeMap::new();
        for row in self.many(sql, &args).await? {
            outside_rows.insert(s(&row, "k")?, counts_of(&row)?);
        }
        let (order, currency) = match by {
            RankBy::Conversions => ("conversions", ""),
            RankBy::Revenue => ("revenue - refunds", cur),
        };
        let named_n = also.len() + outside_rows.len();
        let want = limit
            .saturating_add(i64::try_from(named_n).unwrap_or(i64::MAX))
            .to_string();
        let sql = format!(
            "SELECT participant_id AS k FROM {table} WHERE program_id = ?{mf} \
             AND currency = ? AND workspace_id = ? \
             ORDER BY {order} DESC, participant_id LIMIT CAST(? AS BIGINT)"
        );
        let mut args = vec![program];
        if !month.is_empty() {
            args.push(&month);
        }
        args.extend([currency, ws, &want]);
        let mut named: Vec<String> = also.to_vec();
        named.extend(outside_rows.keys().cloned());
        for row in self.many(sql, &args).await? {
            named.push(s(&row, "k")?);
        }
        let list = serde_json::to_string(&named).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT participant_id AS k, {} FROM {table} WHERE program_id = ?{mf} \
             AND workspace_id = ? AND currency IN ('', ?) AND participant_id IN ({}) \
             GROUP BY participant_id",
            sums(),
            self.json_members()
        );
        let mut args = vec![program];
        if !month.is_empty() {
            args.push(&month);
        }
        args.extend([ws, cur, &list]);
        let mut out: BTreeMap<String, Counts> = BTreeMap::new();
        for row in self.many(sql, &args).await? {
            out.insert(s(&row, "k")?, counts_of(&row)?);
        }
        for (k, c) in outside_rows {
            out.entry(k).or_default().add(&c.negated());
        }
        // Someone whose results all fell outside the period is not in it.
        out.retain(|_, c| *c != Counts::default());
        Ok(out.into_iter().collect())
    }
}

/// An advocate total that covers a period: all time, or a month (its first day and
/// the next month's).
#[derive(Debug, Clone, Copy)]
enum Base {
    Totals,
    Month(i64, i64),
}

fn sums() -> String {
    COUNTERS
        .split(", ")
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn counts_of(row: &sqlx::any::AnyRow) -> Result<Counts> {
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

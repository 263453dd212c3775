//! The SQL behind [`AnalyticsStore`]: one grouped query per source (clicks, referrals,
//! events, rewards), merged by key. Days are integer division of the stored
//! milliseconds, so both backends bucket alike.

use std::collections::BTreeMap;

use async_trait::async_trait;
use vouch_domain::analytics::Counts;

use super::rows::{i, s};
use super::SqlStore;
use crate::analytics::{AnalyticsQuery, AnalyticsStore, Dimension, Parts, SocialProof};
use crate::error::Result;

/// The key expression of a dimension: `time` is the instant column, `channel` the
/// channel expression, `advocate` the advocate column.
fn key(d: Dimension, time: &str, channel: &str, advocate: &str) -> String {
    match d {
        Dimension::Total => "''".into(),
        Dimension::Day => format!("CAST({time} / 86400000 AS TEXT)"),
        Dimension::Quarter => format!("CAST({time} / 900000 AS TEXT)"),
        Dimension::Channel => channel.into(),
        Dimension::Advocate => advocate.into(),
        Dimension::QuarterChannel => {
            format!("CAST({time} / 900000 AS TEXT) || '|' || {channel}")
        }
    }
}

/// `GROUP BY` the key; nothing for the total (PostgreSQL refuses a constant there, and
/// without it an aggregate always gives its one row).
fn group(d: Dimension, k: &str) -> String {
    match d {
        Dimension::Total => String::new(),
        _ => format!("GROUP BY {k}"),
    }
}

/// A referral's channel: its click's source, else how it was attributed.
const REFERRAL_CHANNEL: &str =
    "COALESCE(k.source, CASE WHEN r.source = 'click' THEN 'direct' ELSE r.source END)";

impl SqlStore {
    /// Runs one grouped query whose columns after `k` are `cols`, adding each row's
    /// values into `out` through `put`.
    async fn grouped(
        &self,
        sql: String,
        args: &[&str],
        cols: &[&str],
        out: &mut BTreeMap<String, Counts>,
        put: fn(&mut Counts, &[i64]),
    ) -> Result<()> {
        for row in self.many(sql, args).await? {
            let k = s(&row, "k")?;
            let vals = cols
                .iter()
                .map(|c| i(&row, c))
                .collect::<Result<Vec<i64>>>()?;
            put(out.entry(k).or_default(), &vals);
        }
        Ok(())
    }
}

/// ` AND {col} = ?` for the program filter, with its argument.
fn program_filter<'a>(q: &'a AnalyticsQuery, col: &str, args: &mut Vec<&'a str>) -> String {
    match &q.program_id {
        Some(p) => {
            args.push(p.as_str());
            format!(" AND {col} = ?")
        }
        // Through the programs, so each program's (program, time) index serves.
        None => {
            args.push(q.workspace_id.as_str());
            format!(" AND {col} IN (SELECT id FROM programs WHERE workspace_id = ?)")
        }
    }
}

const STANDING: &str = "('approved', 'fulfilled', 'redeemed')";

#[async_trait]
impl AnalyticsStore for SqlStore {
    async fn customer_values(
        &self,
        program: &vouch_domain::ids::ProgramId,
        from: vouch_domain::Millis,
        to: vouch_domain::Millis,
        currency: &str,
    ) -> Result<Vec<vouch_domain::cohorts::CustomerValue>> {
        self.cohort_rows(program.as_str(), from, to, currency).await
    }
    async fn customer_base(
        &self,
        program: &vouch_domain::ids::ProgramId,
        from: vouch_domain::Millis,
        to: vouch_domain::Millis,
    ) -> Result<vouch_domain::cohorts::CustomerBase> {
        self.base_counts(program.as_str(), from, to).await
    }
    async fn holdout_outcomes(
        &self,
        program: &vouch_domain::ids::ProgramId,
        from: vouch_domain::Millis,
        to: vouch_domain::Millis,
        currency: &str,
    ) -> Result<Vec<crate::analytics::HoldoutRow>> {
        self.holdout_rows(program.as_str(), from, to, currency)
            .await
    }
    async fn likely_customers(
        &self,
        program: &vouch_domain::ids::ProgramId,
        cuts: &[vouch_domain::Millis],
    ) -> Result<Vec<Vec<vouch_domain::likely::CustomerFacts>>> {
        self.likely_customer_rows(program.as_str(), cuts).await
    }
    async fn likely_fingerprint(
        &self,
        program: &vouch_domain::ids::ProgramId,
    ) -> Result<(i64, i64)> {
        self.likely_fingerprint_row(program.as_str()).await
    }
    async fn likely_participants(
        &self,
        program: &vouch_domain::ids::ProgramId,
    ) -> Result<Vec<vouch_domain::likely::Participant>> {
        self.likely_participant_rows(program.as_str()).await
    }
    async fn likely_activity(
        &self,
        program: &vouch_domain::ids::ProgramId,
        cuts: &[vouch_domain::Millis],
        horizon: vouch_domain::Millis,
    ) -> Result<Vec<std::collections::HashMap<String, vouch_domain::likely::Activity>>> {
        self.likely_activity_rows(program.as_str(), cuts, horizon)
            .await
    }
    async fn social_proof(
        &self,
        program: &vouch_domain::ids::ProgramId,
        since: vouch_domain::Millis,
    ) -> Result<SocialProof> {
        let since = since.to_string();
        let args = [program.as_str(), since.as_str()];
        let one = |rows: Vec<sqlx::any::AnyRow>| rows.into_iter().next();
        let participants = one(self
            .many(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM participants \
                 WHERE program_id = ? AND status = 'active'"
                    .into(),
                &args[..1],
            )
            .await?)
        .map(|r| i(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        let rewarded = one(self
            .many(
                format!(
                    "SELECT CAST(COUNT(DISTINCT participant_id) AS BIGINT) AS n FROM rewards \
                     WHERE program_id = ? AND status IN {STANDING} \
                     AND updated_at >= CAST(? AS BIGINT)"
                ),
                &args,
            )
            .await?)
        .map(|r| i(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        let latest_name = one(self
            .many(
                format!(
                    "SELECT p.name AS name FROM rewards w JOIN participants p \
                     ON p.id = w.participant_id WHERE w.program_id = ? \
                     AND w.status IN {STANDING} AND w.updated_at >= CAST(? AS BIGINT) \
                     AND p.name IS NOT NULL ORDER BY w.updated_at DESC LIMIT 1"
                ),
                &args,
            )
            .await?)
        .map(|r| s(&r, "name"))
        .transpose()?;
        Ok(SocialProof {
            participants,
            rewarded,
            latest_name,
        })
    }

    async fn analytics(&self, q: &AnalyticsQuery) -> Result<Vec<(String, Counts)>> {
        let (from, to) = (q.from.to_string(), q.to.to_string());
        let mut out = BTreeMap::new();

        let (counts, money) = (q.parts != Parts::Money, q.parts != Parts::Counts);
        if counts {
            self.funnel(q, &from, &to, &mut out).await?;
        }
        if money {
            self.money(q, &from, &to, &mut out).await?;
        }
        Ok(out.into_iter().collect())
    }

    async fn conversion_delays(&self, q: &AnalyticsQuery, limit: i64) -> Result<Vec<i64>> {
        let (from, to) = (q.from.to_string(), q.to.to_string());
        let mut args = vec![q.workspace_id.as_str()];
        let pf = program_filter(q, "r.program_id", &mut args);
        args.extend([from.as_str(), to.as_str()]);
        let sql = format!(
            "SELECT CAST(r.converted_at - COALESCE(k.occurred_at, r.created_at) AS BIGINT) AS d \
             FROM referrals r LEFT JOIN clicks k ON k.id = r.click_id \
             WHERE r.workspace_id = ?{pf} AND r.converted_at >= CAST(? AS BIGINT) \
             AND r.converted_at < CAST(? AS BIGINT) AND r.status <> 'rejected' LIMIT {limit}"
        );
        self.many(sql, &args)
            .await?
            .iter()
            .map(|row| i(row, "d"))
            .collect()
    }
}

impl SqlStore {
    /// Clicks, signups and conversions.
    async fn funnel(
        &self,
        q: &AnalyticsQuery,
        from: &str,
        to: &str,
        out: &mut BTreeMap<String, Counts>,
    ) -> Result<()> {
        // Leaderboards rank by conversions and money: no clicks or signups.
        let results = q.parts == Parts::Results;
        if !results {
            let k = key(
                q.by,
                "c.occurred_at",
                "COALESCE(c.source, 'direct')",
                "c.participant_id",
            );
            let g = group(q.by, &k);
            let mut args = vec![q.workspace_id.as_str()];
            let pf = program_filter(q, "c.program_id", &mut args);
            args.extend([from, to]);
            let sql = format!(
                "SELECT {k} AS k, CAST(COUNT(*) AS BIGINT) AS n, \
                 CAST(COALESCE(SUM(c.is_unique), 0) AS BIGINT) AS u FROM clicks c \
                 WHERE c.workspace_id = ?{pf} AND c.occurred_at >= CAST(? AS BIGINT) \
                 AND c.occurred_at < CAST(? AS BIGINT) {g}"
            );
            self.grouped(sql, &args, &["n", "u"], out, |c, v| {
                c.clicks += v[0];
                c.unique_clicks += v[1];
            })
            .await?;
        }

        // Signups and conversions, each in the period of its own instant.
        for (col, put) in [
            (
                "r.signed_up_at",
                (|c: &mut Counts, v: &[i64]| c.signups += v[0]) as fn(&mut Counts, &[i64]),
            ),
            ("r.converted_at", |c: &mut Counts, v: &[i64]| {
                c.conversions += v[0]
            }),
        ] {
            if results && col == "r.signed_up_at" {
                continue;
            }
            let k = key(q.by, col, REFERRAL_CHANNEL, "r.referrer_participant_id");
            let g = group(q.by, &k);
            let mut args = vec![q.workspace_id.as_str()];
            let pf = program_filter(q, "r.program_id", &mut args);
            args.extend([from, to]);
            let sql = format!(
                "SELECT {k} AS k, CAST(COUNT(*) AS BIGINT) AS n FROM referrals r \
                 LEFT JOIN clicks k ON k.id = r.click_id \
                 WHERE r.workspace_id = ?{pf} AND {col} >= CAST(? AS BIGINT) \
                 AND {col} < CAST(? AS BIGINT) AND r.status <> 'rejected' {g}"
            );
            self.grouped(sql, &args, &["n"], out, put).await?;
        }

        Ok(())
    }

    /// Referred revenue, refunds and reward cost, in the query's currency.
    async fn money(
        &self,
        q: &AnalyticsQuery,
        from: &str,
        to: &str,
        out: &mut BTreeMap<String, Counts>,
    ) -> Result<()> {
        // Referred revenue and refunds: events of converted referrals, in the currency.
        let k = key(
            q.by,
            "e.occurred_at",
            REFERRAL_CHANNEL,
            "r.referrer_participant_id",
        );
        let g = group(q.by, &k);
        let mut args = vec![q.workspace_id.as_str(), q.currency.as_str()];
        let pf = program_filter(q, "e.program_id", &mut args);
        args.extend([from, to]);
        let sql = format!(
            "SELECT {k} AS k, \
             CAST(COALESCE(SUM(CASE WHEN e.type <> 'refund' THEN e.amount ELSE 0 END), 0) AS BIGINT) AS rev, \
             CAST(COALESCE(SUM(CASE WHEN e.type = 'refund' THEN e.amount ELSE 0 END), 0) AS BIGINT) AS ref \
             FROM events e JOIN referrals r ON r.id = e.referral_id \
             LEFT JOIN clicks k ON k.id = r.click_id \
             WHERE e.workspace_id = ? AND e.currency = ?{pf} \
             AND e.type IN ('purchase', 'subscription_payment', 'refund') \
             AND e.amount IS NOT NULL AND r.converted_at IS NOT NULL AND r.status <> 'rejected' \
             AND e.occurred_at >= CAST(? AS BIGINT) AND e.occurred_at < CAST(? AS BIGINT) \
             {g}"
        );
        self.grouped(sql, &args, &["rev", "ref"], out, |c, v| {
            c.revenue += v[0];
            c.refunds += v[1];
        })
        .await?;

        // Reward cost, by the day each reward was earned.
        let k = key(
            q.by,
            "w.created_at",
            &format!("COALESCE({REFERRAL_CHANNEL}, 'welcome')"),
            "COALESCE(r.referrer_participant_id, w.participant_id)",
        );
        let g = group(q.by, &k);
        let mut args = vec![q.workspace_id.as_str(), q.currency.as_str()];
        let pf = program_filter(q, "w.program_id", &mut args);
        args.extend([from, to]);
        let sql = format!(
            "SELECT {k} AS k, \
             CAST(COALESCE(SUM(CASE WHEN w.status = 'pending' THEN w.amount - w.reversed_amount ELSE 0 END), 0) AS BIGINT) AS p, \
             CAST(COALESCE(SUM(CASE WHEN w.status IN ('approved', 'fulfilled', 'redeemed') THEN w.amount - w.reversed_amount ELSE 0 END), 0) AS BIGINT) AS a, \
             CAST(COALESCE(SUM(CASE WHEN w.status IN ('cancelled', 'reversed') THEN w.amount ELSE w.reversed_amount END), 0) AS BIGINT) AS x \
             FROM rewards w LEFT JOIN referrals r ON r.id = w.referral_id \
             LEFT JOIN clicks k ON k.id = r.click_id \
             WHERE w.workspace_id = ? AND w.currency = ?{pf} \
             AND w.created_at >= CAST(? AS BIGINT) AND w.created_at < CAST(? AS BIGINT) \
             {g}"
        );
        self.grouped(sql, &args, &["p", "a", "x"], out, |c, v| {
            c.reward_pending += v[0];
            c.reward_approved += v[1];
            c.reward_reversed += v[2];
        })
        .await?;
        Ok(())
    }
}

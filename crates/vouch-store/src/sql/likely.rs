//! The SQL of likely advocates: what each customer and advocate of a program had done
//! before a cut, and which advocates brought a friend who bought after it.

use std::collections::HashMap;

use vouch_domain::likely::{Activity, CustomerFacts, Participant};
use vouch_domain::{Millis, DAY_MS};

use super::holdout::PAID;
use super::rows::{i, oi, os, s};
use super::SqlStore;
use crate::error::Result;

/// A referral not refused and not reversed by a refund: a friend who counts.
const KEPT: &str = "r.status NOT IN ('rejected', 'reversed')";

/// A referral whose friend bought and was not refunded or refused.
const BOUGHT: &str = "r.converted_at IS NOT NULL AND r.status IN ('converted', 'rewarded')";

impl SqlStore {
    /// For each of `cuts`, the customers who had bought before it: one scan of the
    /// program's payments, summed per cut and currency; each customer's spend is in the
    /// currency they paid in most often before the cut.
    pub(super) async fn likely_customer_rows(
        &self,
        program: &str,
        cuts: &[Millis],
    ) -> Result<Vec<Vec<CustomerFacts>>> {
        let cut_args: Vec<String> = cuts.iter().map(i64::to_string).collect();
        let last = cuts.iter().copied().max().unwrap_or(0).to_string();
        let mut sums = vec![];
        let mut args: Vec<&str> = vec![];
        for (k, c) in cut_args.iter().enumerate() {
            let before = "occurred_at < CAST(? AS BIGINT)";
            sums.push(format!(
                "SUM(CASE WHEN {before} THEN 1 ELSE 0 END) AS n{k}, \
                 MAX(CASE WHEN {before} THEN occurred_at END) AS l{k}, \
                 CAST(COALESCE(SUM(CASE WHEN {before} THEN amount ELSE 0 END), 0) AS BIGINT) AS s{k}"
            ));
            args.extend([c.as_str(), c.as_str(), c.as_str()]);
        }
        let sql = format!(
            "SELECT c.id AS id, c.email_normalized AS email, c.external_id AS ext, \
             c.referral_id AS referral, c.attributed_at AS attributed_at, e.* \
             FROM customers c JOIN ( \
               SELECT customer_id AS cid, COALESCE(currency, '') AS cur, \
               MIN(occurred_at) AS first_at, {} \
               FROM events WHERE program_id = ? AND type IN {PAID} \
               AND occurred_at < CAST(? AS BIGINT) AND customer_id IS NOT NULL \
               GROUP BY customer_id, COALESCE(currency, '') \
             ) e ON e.cid = c.id WHERE c.program_id = ?",
            sums.join(", ")
        );
        args.extend([program, last.as_str(), program]);
        // Per customer and cut, the facts so far and the spend per currency.
        let mut acc: HashMap<String, Vec<(CustomerFacts, i64)>> = HashMap::new();
        let cols: Vec<[String; 3]> = (0..cuts.len())
            .map(|k| [format!("n{k}"), format!("l{k}"), format!("s{k}")])
            .collect();
        for r in self.many(sql, &args).await? {
            let id = s(&r, "id")?;
            let first = i(&r, "first_at")?;
            let cur = s(&r, "cur")?;
            let referral = os(&r, "referral")?.is_some();
            let attributed = oi(&r, "attributed_at")?;
            let entry = acc.entry(id.clone()).or_insert_with(|| {
                cuts.iter()
                    .map(|cut| {
                        let facts = CustomerFacts {
                            customer_id: id.clone(),
                            first_purchase_at: i64::MAX,
                            referred: referral && attributed.is_some_and(|a| a < *cut),
                            ..CustomerFacts::default()
                        };
                        (facts, 0)
                    })
                    .collect()
            });
            for ((f, most), [nc, lc, sc]) in entry.iter_mut().zip(&cols) {
                let n = oi(&r, nc)?.unwrap_or(0);
                if n == 0 {
                    continue;
                }
                f.email = os(&r, "email")?;
                f.external_id = os(&r, "ext")?;
                f.purchases += n;
                f.first_purchase_at = f.first_purchase_at.min(first);
                let l = oi(&r, lc)?.unwrap_or(first);
                f.last_purchase_at = f.last_purchase_at.max(l);
                let spend = oi(&r, sc)?.unwrap_or(0);
                if (n, spend) > (*most, f.spend) {
                    (*most, f.spend, f.currency) = (n, spend, cur.clone());
                }
            }
        }
        let mut out: Vec<Vec<CustomerFacts>> = vec![vec![]; cuts.len()];
        for (_, per_cut) in acc {
            for (k, (f, _)) in per_cut.into_iter().enumerate() {
                if f.purchases > 0 {
                    out[k].push(f);
                }
            }
        }
        // A stable order: the model's sample and ties must not depend on hashing.
        for v in &mut out {
            v.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        }
        Ok(out)
    }

    /// How many advocates and customers the program has: what changes when people are
    /// enrolled or first buy.
    pub(super) async fn likely_fingerprint_row(&self, program: &str) -> Result<(i64, i64)> {
        let sql = "SELECT (SELECT COUNT(*) FROM participants WHERE program_id = ?) AS p, \
                   (SELECT COUNT(*) FROM customers WHERE program_id = ?) AS c"
            .to_owned();
        let rows = self.many(sql, &[program, program]).await?;
        match rows.first() {
            Some(r) => Ok((i(r, "p")?, i(r, "c")?)),
            None => Ok((0, 0)),
        }
    }

    pub(super) async fn likely_participant_rows(&self, program: &str) -> Result<Vec<Participant>> {
        let sql = "SELECT id, email, email_normalized, external_id, name, locale, status, \
                   created_at, referred_by_referral_id FROM participants WHERE program_id = ? ORDER BY id"
            .to_owned();
        self.many(sql, &[program])
            .await?
            .iter()
            .map(|r| {
                Ok(Participant {
                    participant_id: s(r, "id")?,
                    email: os(r, "email")?,
                    email_normalized: os(r, "email_normalized")?,
                    external_id: os(r, "external_id")?,
                    name: os(r, "name")?,
                    locale: s(r, "locale")?,
                    enrolled_at: i(r, "created_at")?,
                    referred: os(r, "referred_by_referral_id")?.is_some(),
                    blocked: s(r, "status")? == "blocked",
                })
            })
            .collect()
    }

    /// For each of `cuts`, each advocate's friends, clicks and invitations before it
    /// and friends who bought in the `horizon` after it: one scan of each table.
    pub(super) async fn likely_activity_rows(
        &self,
        program: &str,
        cuts: &[Millis],
        horizon: Millis,
    ) -> Result<Vec<HashMap<String, Activity>>> {
        let mut out: Vec<HashMap<String, Activity>> = vec![HashMap::new(); cuts.len()];
        let bounds: Vec<[String; 3]> = cuts
            .iter()
            .map(|c| {
                [
                    c.to_string(),
                    c.saturating_sub(horizon).to_string(),
                    c.saturating_add(horizon).to_string(),
                ]
            })
            .collect();
        let (mut sums, mut args) = (vec![], vec![]);
        for (k, [c, lo, hi]) in bounds.iter().enumerate() {
            sums.push(format!(
                "SUM(CASE WHEN r.touched_at < CAST(? AS BIGINT) AND {KEPT} THEN 1 ELSE 0 END) AS friends{k}, \
                 SUM(CASE WHEN {BOUGHT} AND r.converted_at < CAST(? AS BIGINT) THEN 1 ELSE 0 END) AS bought{k}, \
                 SUM(CASE WHEN {BOUGHT} AND r.converted_at >= CAST(? AS BIGINT) \
                     AND r.converted_at < CAST(? AS BIGINT) THEN 1 ELSE 0 END) AS recent{k}, \
                 SUM(CASE WHEN {BOUGHT} AND r.converted_at >= CAST(? AS BIGINT) \
                     AND r.converted_at < CAST(? AS BIGINT) THEN 1 ELSE 0 END) AS after{k}"
            ));
            args.extend([c.as_str(), c, lo, c, c, hi]);
        }
        args.push(program);
        let sql = format!(
            "SELECT r.referrer_participant_id AS pid, {} FROM referrals r \
             WHERE r.program_id = ? GROUP BY r.referrer_participant_id",
            sums.join(", ")
        );
        for r in self.many(sql, &args).await? {
            let pid = s(&r, "pid")?;
            for (k, m) in out.iter_mut().enumerate() {
                let n = |c: &str| {
                    Ok::<_, crate::error::StoreError>(oi(&r, &format!("{c}{k}"))?.unwrap_or(0))
                };
                let a = Activity {
                    friends: n("friends")?,
                    friends_bought: n("bought")?,
                    recent_friends_bought: n("recent")?,
                    bought_after: n("after")?,
                    ..Activity::default()
                };
                if a != Activity::default() {
                    m.insert(pid.clone(), a);
                }
            }
        }
        // Clicks from the daily rollups (the raw click log is far larger), and
        // invitations sent.
        let days: Vec<String> = cuts.iter().map(|c| (c / DAY_MS).to_string()).collect();
        let counts = [
            (
                "rollup_advocates",
                "clicks",
                "day < CAST(? AS BIGINT)",
                days.iter().collect::<Vec<_>>(),
                "",
            ),
            (
                "email_messages",
                "1",
                "created_at < CAST(? AS BIGINT)",
                bounds.iter().map(|b| &b[0]).collect(),
                " AND kind = 'invitation'",
            ),
        ];
        for (n, (table, what, before, limits, filter)) in counts.into_iter().enumerate() {
            let mut args: Vec<&str> = limits.iter().map(|s| s.as_str()).collect();
            args.push(program);
            let sums: Vec<String> = (0..cuts.len())
                .map(|k| {
                    format!(
                        "CAST(SUM(CASE WHEN {before} THEN {what} ELSE 0 END) AS BIGINT) AS n{k}"
                    )
                })
                .collect();
            let sql = format!(
                "SELECT participant_id AS pid, {} FROM {table} WHERE program_id = ?{filter} \
                 GROUP BY participant_id",
                sums.join(", ")
            );
            for r in self.many(sql, &args).await? {
                let pid = s(&r, "pid")?;
                for (k, m) in out.iter_mut().enumerate() {
                    let v = oi(&r, &format!("n{k}"))?.unwrap_or(0);
                    if v > 0 {
                        let a = m.entry(pid.clone()).or_default();
                        if n == 0 {
                            a.clicks = v;
                        } else {
                            a.invitations = v;
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

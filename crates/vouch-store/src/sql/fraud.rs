//! Fraud: the counts the rules read, the block list and the audit log. The SQL behind [`FraudStore`] and [`FraudTx`].

use async_trait::async_trait;
use vouch_domain::attribution::{AttributionSource, ReferralStatus};
use vouch_domain::ids::*;

use super::store::ListSql;
use super::tx::Args;
use super::tx::SqlTx;
use super::{rows, SqlStore};
use crate::error::Result;
use crate::fraud::*;
use crate::model::*;
use crate::prelude::*;

#[async_trait]
impl FraudStore for SqlStore {
    async fn add_block(&self, e: &BlockEntry) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO block_list (workspace_id, kind, value, label, created_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id, kind, value) DO NOTHING",
        );
        sqlx::query(&sql)
            .bind(e.workspace_id.as_str())
            .bind(e.kind.as_str())
            .bind(e.value.as_str())
            .bind(e.label.as_deref())
            .bind(e.created_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
    async fn remove_block(&self, ws: &WorkspaceId, kind: &str, value: &str) -> Result<bool> {
        let sql = self
            .backend
            .sql("DELETE FROM block_list WHERE workspace_id = ? AND kind = ? AND value = ?");
        let done = sqlx::query(&sql)
            .bind(ws.as_str())
            .bind(kind)
            .bind(value)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }
    async fn list_blocks(&self, ws: &WorkspaceId) -> Result<Vec<BlockEntry>> {
        let rows = self
            .many(
                "SELECT workspace_id, kind, value, label, created_at FROM block_list \
                 WHERE workspace_id = ? ORDER BY kind, value"
                    .into(),
                &[ws.as_str()],
            )
            .await?;
        rows.iter().map(rows::block_entry).collect()
    }
    async fn list_audit(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<AuditEntry>> {
        let mut list = ListSql::new(
            &format!("SELECT {} FROM audit_log", rows::AUDIT_COLS),
            ws,
            "workspace_id",
        );
        if let Some(s) = &q.subject_id {
            list.filter("subject_id = ?", &[s]);
        }
        let rows = list.fetch(self, "id", q).await?;
        let items = rows.iter().map(rows::audit).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, q.limit, |e| e.id.to_string()))
    }
    async fn audit(&self, e: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.insert_audit(e).await?;
        tx.commit().await
    }
}

#[async_trait]
impl FraudTx for SqlTx {
    async fn fraud_counts(&mut self, q: &FraudQuery<'_>) -> Result<FraudCounts> {
        // The windows come from the domain. One round trip, and each
        // count stops where the rule stops caring: a busy advocate costs what a quiet
        // one does. Subqueries for evidence the event did not bring are left out.
        let recent = |extra: &str| {
            format!(
                "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM referrals \
                 WHERE referrer_participant_id = ? AND id <> ? AND touched_at >= ? \
                 AND touched_at <= ?{extra} LIMIT ?) AS w)"
            )
        };
        let mut sql = format!(
            "SELECT {} AS hour_n, {} AS day_n, {} AS code_n, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM referrals \
               WHERE referrer_participant_id = ? AND id <> ? AND status = '{reversed}' \
               LIMIT 1000) AS r) AS refund_n",
            recent(""),
            recent(""),
            recent(&format!(
                " AND source <> '{}'",
                AttributionSource::Click.as_str()
            )),
            reversed = ReferralStatus::Reversed.as_str(),
        );
        let blockable = q.email.is_some() || q.email_domain.is_some() || q.block_ip_hash.is_some();
        if blockable {
            sql.push_str(
                ", (SELECT kind FROM block_list WHERE workspace_id = ? AND ( \
                 (kind = 'email' AND value = ?) OR (kind = 'domain' AND value = ?) \
                 OR (kind = 'ip' AND value = ?)) ORDER BY kind LIMIT 1) AS blocked",
            );
        }
        if q.ip_range_hash.is_some() {
            sql.push_str(
                ", (SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM referrals \
                 WHERE program_id = ? AND ip_range_hash = ? AND id <> ? AND touched_at >= ? \
                 AND touched_at <= ? LIMIT ?) AS n) AS range_n",
            );
        }
        if q.ip_hash.is_some() || q.device_id.is_some() {
            let mut alts = vec![];
            if q.ip_hash.is_some() {
                alts.push(
                    "SELECT id FROM referrals WHERE referrer_participant_id = ? AND ip_hash = ?",
                );
            }
            if q.device_id.is_some() {
                alts.push(
                    "SELECT id FROM referrals WHERE referrer_participant_id = ? AND device_id = ?",
                );
            }
            sql.push_str(&format!(
                ", (SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT id FROM ({}) AS u \
                 WHERE id <> ? LIMIT 10) AS s) AS sharing_n",
                alts.join(" UNION ")
            ));
        }
        let sql = self.backend.sql_owned(sql);
        let (referrer, exclude) = (q.referrer.as_str(), q.exclude.as_str());
        let mut query = sqlx::query(&sql);
        let w = q.windows;
        for since in [w.hour_since, w.day_since, w.day_since] {
            query = query
                .bind(referrer)
                .bind(exclude)
                .bind(since)
                .bind(q.now)
                .bind(q.at_most);
        }
        query = query.bind(referrer).bind(exclude);
        const NONE: &str = "\u{1}none";
        if blockable {
            query = query
                .bind(q.workspace.as_str())
                .bind(q.email.unwrap_or(NONE))
                .bind(q.email_domain.unwrap_or(NONE))
                .bind(q.block_ip_hash.unwrap_or(NONE));
        }
        if let Some(range) = q.ip_range_hash {
            query = query
                .bind(q.program.as_str())
                .bind(range)
                .bind(exclude)
                .bind(w.day_since)
                .bind(q.now)
                .bind(q.at_most);
        }
        if q.ip_hash.is_some() || q.device_id.is_some() {
            if let Some(ip) = q.ip_hash {
                query = query.bind(referrer).bind(ip);
            }
            if let Some(device) = q.device_id {
                query = query.bind(referrer).bind(device);
            }
            query = query.bind(exclude);
        }
        let row = query.fetch_one(self.conn().await?).await?;
        let get = |c: &str| -> Result<i64> { Ok(sqlx::Row::try_get(&row, c)?) };
        let mut counts = FraudCounts {
            advocate_referrals_hour: get("hour_n")?,
            advocate_referrals_day: get("day_n")?,
            code_referrals_day: get("code_n")?,
            advocate_refunds: get("refund_n")?,
            network_range_day: if q.ip_range_hash.is_some() {
                get("range_n")?
            } else {
                0
            },
            friends_sharing: if q.ip_hash.is_some() || q.device_id.is_some() {
                get("sharing_n")?
            } else {
                0
            },
            advocate_conversions: 0,
            blocked: if blockable {
                sqlx::Row::try_get(&row, "blocked")?
            } else {
                None
            },
        };
        // The refund rate matters only once there are refunds to speak of.
        if counts.advocate_refunds >= q.refunds_from {
            let sql = self.backend.sql_owned(format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT 1 FROM referrals \
                 WHERE referrer_participant_id = ? AND id <> ? \
                 AND status IN ({}) LIMIT ?) AS c",
                super::status_list(&ReferralStatus::EVER_CONVERTED, |s| s.as_str())
            ));
            let row = sqlx::query(&sql)
                .bind(referrer)
                .bind(exclude)
                .bind(counts.advocate_refunds * 2 + 1)
                .fetch_one(self.conn().await?)
                .await?;
            counts.advocate_conversions = sqlx::Row::try_get(&row, "n")?;
        }
        Ok(counts)
    }
    async fn related_referrals(&mut self, q: &HoldQuery<'_>) -> Result<Vec<Referral>> {
        let (column, value) = match (q.referrer, q.ip_range_hash) {
            (Some(r), _) => ("referrer_participant_id", r.as_str()),
            (None, Some(range)) => ("ip_range_hash", range),
            (None, None) => return Ok(vec![]),
        };
        let sql = self.backend.sql_owned(format!(
            "SELECT {} FROM referrals WHERE program_id = ? AND {column} = ? AND id <> ? \
             AND touched_at >= ? AND review IS NULL AND status IN ({}) ORDER BY id{}",
            rows::REFERRAL_COLS,
            super::status_list(&ReferralStatus::HOLDABLE, |s| s.as_str()),
            self.backend.for_update()
        ));
        let args = Args::default()
            .arg(q.program.as_str())
            .arg(value)
            .arg(q.exclude.as_str())
            .arg(q.since);
        self.rows(&sql, args)
            .await?
            .iter()
            .map(rows::referral)
            .collect()
    }
    async fn insert_audit(&mut self, e: &AuditEntry) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO audit_log (id, workspace_id, actor, action, subject_type, subject_id, \
             reason, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        let args = Args::default()
            .arg(e.id.as_str())
            .arg(e.workspace_id.as_str())
            .arg(e.actor.as_str())
            .arg(e.action.as_str())
            .arg(e.subject_type.as_str())
            .arg(e.subject_id.as_str())
            .arg(e.reason.as_deref())
            .arg(e.data.to_string())
            .arg(e.created_at);
        self.write(&sql, args).await?;
        Ok(())
    }
}

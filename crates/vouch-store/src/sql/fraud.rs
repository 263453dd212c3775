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
        super::fraud_counts::fraud_counts(self, q).await
    }
    async fn related_referrals(&mut self, q: &HoldQuery<'_>) -> Result<Vec<Referral>> {
        let mut filters = String::new();
        let mut args = Args::default()
            .arg(q.program.as_str())
            .arg(q.referrer.as_str())
            .arg(q.exclude.as_str())
            .arg(q.since);
        if let Some(range) = q.ip_range_hash {
            filters.push_str(" AND ip_range_hash = ?");
            args = args.arg(range);
        }
        if let Some(within) = q.fast_within {
            filters.push_str(&format!(
                " AND source = '{}' AND ((converted_at IS NOT NULL AND converted_at - touched_at < ?) \
                 OR (signed_up_at IS NOT NULL AND signed_up_at - touched_at < ?))",
                AttributionSource::Click.as_str()
            ));
            args = args.arg(within).arg(within);
        }
        if q.typed_only {
            filters.push_str(&format!(
                " AND source <> '{}'",
                AttributionSource::Click.as_str()
            ));
        }
        let states: &[ReferralStatus] = if q.converted_only {
            &ReferralStatus::CONVERTED
        } else {
            &ReferralStatus::HOLDABLE
        };
        let states = states
            .iter()
            .filter(|s| ReferralStatus::HOLDABLE.contains(s))
            .copied()
            .collect::<Vec<_>>();
        let sql = self.backend.sql_owned(format!(
            "SELECT {} FROM referrals WHERE program_id = ? AND referrer_participant_id = ? \
             AND id <> ? AND touched_at >= ?{filters} AND review IS NULL AND status IN ({}) \
             ORDER BY id{}",
            rows::REFERRAL_COLS,
            super::status_list(&states, |s| s.as_str()),
            self.backend.for_update()
        ));
        self.rows(&sql, args)
            .await?
            .iter()
            .map(rows::referral)
            .collect()
    }
    async fn record_identities(&mut self, s: &Showing<'_>) -> Result<()> {
        if s.marks.is_empty() {
            return Ok(());
        }
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; s.marks.len()].join(", ");
        let sql = self.backend.sql_owned(format!(
            "INSERT INTO fraud_identities (workspace_id, kind, value, person, role, address, \
             advocate_id, referral_id, seen_at) VALUES {values} \
             ON CONFLICT (workspace_id, kind, value, person, role, address) DO NOTHING"
        ));
        let mut args = Args::default();
        for m in s.marks {
            args = args
                .arg(s.workspace.as_str())
                .arg(m.kind)
                .arg(m.value.as_str())
                .arg(s.person)
                .arg(s.role)
                .arg(m.address.clone().unwrap_or_default())
                .arg(s.advocate.as_str())
                .arg(s.referral.map(|r| r.as_str()))
                .arg(s.at);
        }
        self.write(&sql, args).await
    }
    async fn sharing_referrals(
        &mut self,
        ws: &WorkspaceId,
        marks: &[IdentityMark],
        exclude: &ReferralId,
    ) -> Result<Vec<Referral>> {
        if marks.is_empty() {
            return Ok(vec![]);
        }
        let alts = vec!["(kind = ? AND value = ?)"; marks.len()].join(" OR ");
        let sql = self.backend.sql_owned(format!(
            "SELECT {} FROM referrals WHERE id IN (SELECT referral_id FROM fraud_identities \
             WHERE workspace_id = ? AND ({alts}) AND referral_id IS NOT NULL) AND id <> ? \
             AND review IS NULL AND status IN ({}) ORDER BY id LIMIT 200{}",
            rows::REFERRAL_COLS,
            super::status_list(&ReferralStatus::HOLDABLE, |s| s.as_str()),
            self.backend.for_update()
        ));
        let mut args = Args::default().arg(ws.as_str());
        for m in marks {
            args = args.arg(m.kind).arg(m.value.as_str());
        }
        args = args.arg(exclude.as_str());
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

//! Referrals. The SQL behind [`ReferralStore`] and [`ReferralTx`].

use async_trait::async_trait;
use sqlx::Row;
use vouch_domain::ids::*;

use super::store::ListSql;
use super::tx::{signals_json, skipped_json, Args, SqlTx};
use super::{rows, SqlStore};
use crate::error::Result;
use crate::model::*;
use crate::referrals::*;

#[async_trait]
impl ReferralStore for SqlStore {
    async fn program_referrals(&self, program: &ProgramId) -> Result<Vec<Referral>> {
        let sql = format!(
            "SELECT {} FROM referrals WHERE program_id = ? ORDER BY id",
            rows::REFERRAL_COLS
        );
        let rows = self.many(sql, &[program.as_str()]).await?;
        rows.iter().map(rows::referral).collect()
    }
    async fn program_referred_participants(
        &self,
        program: &ProgramId,
    ) -> Result<Vec<ParticipantId>> {
        let rows = self
            .many(
                "SELECT id FROM participants WHERE program_id = ? \
                 AND referred_by_referral_id IS NOT NULL"
                    .into(),
                &[program.as_str()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok(ParticipantId::from_trusted(r.try_get("id")?)))
            .collect()
    }
    async fn get_referral(&self, ws: &WorkspaceId, id: &ReferralId) -> Result<Option<Referral>> {
        let sql = format!(
            "SELECT {} FROM referrals WHERE id = ? AND workspace_id = ?",
            rows::REFERRAL_COLS
        );
        let sql = self.backend.sql_owned(sql);
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| rows::referral(&r)).transpose()
    }
    async fn list_referrals(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Referral>> {
        let mut list = ListSql::new(
            &format!("SELECT {} FROM referrals", rows::REFERRAL_COLS),
            ws,
            "workspace_id",
        );
        if let Some(p) = &q.program_id {
            list.filter("program_id = ?", &[p.as_str()]);
        }
        if let Some(p) = &q.participant_id {
            list.filter(
                "(referrer_participant_id = ? OR referee_participant_id = ?)",
                &[p.as_str(), p.as_str()],
            );
        }
        if let Some(s) = &q.status {
            list.filter("status = ?", &[s]);
        }
        if let Some(r) = &q.review {
            list.filter("review = ?", &[r.as_str()]);
        }
        if let Some(code) = &q.signal {
            // Signals are stored as JSON; codes are snake_case words, so the pattern
            // names exactly one code.
            list.filter("signals LIKE ?", &[&format!("%\"code\":\"{code}\"%")]);
        }
        if let Some(min) = q.min_score {
            list.filter("risk_score >= CAST(? AS BIGINT)", &[&min.to_string()]);
        }
        let rows = list.fetch(self, "id", q).await?;
        let items = rows
            .iter()
            .map(rows::referral)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, q.limit, |r| r.id.to_string()))
    }
}

#[async_trait]
impl ReferralTx for SqlTx {
    async fn insert_referral(&mut self, r: &Referral) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO referrals (id, workspace_id, program_id, referrer_participant_id, \
             referee_participant_id, customer_id, status, reason, source, click_id, touched_at, \
             signed_up_at, converted_at, conversion_event_id, created_at, updated_at, payments, \
             skipped, ip_hash, ip_range_hash, device_id, risk_score, signals, review) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        let args = Args::default()
            .arg(r.id.as_str())
            .arg(r.workspace_id.as_str())
            .arg(r.program_id.as_str())
            .arg(r.referrer_participant_id.as_str())
            .arg(r.referee_participant_id.as_ref().map(|p| p.as_str()))
            .arg(r.customer_id.as_str())
            .arg(r.status.as_str())
            .arg(r.reason.map(|x| x.as_str()))
            .arg(r.source.as_str())
            .arg(r.click_id.as_ref().map(|c| c.as_str()))
            .arg(r.touched_at)
            .arg(r.signed_up_at)
            .arg(r.converted_at)
            .arg(r.conversion_event_id.as_ref().map(|e| e.as_str()))
            .arg(r.created_at)
            .arg(r.updated_at)
            .arg(r.payments)
            .arg(skipped_json(&r.skipped)?)
            .arg(r.ip_hash.as_deref())
            .arg(r.ip_range_hash.as_deref())
            .arg(r.device_id.as_deref())
            .arg(r.risk_score)
            .arg(signals_json(&r.signals)?)
            .arg(r.review.map(Review::as_str));
        self.write(&sql, args).await?;
        Ok(())
    }
    async fn get_referral_for_update(&mut self, id: &ReferralId) -> Result<Option<Referral>> {
        let sql = format!(
            "SELECT {} FROM referrals WHERE id = ?{}",
            rows::REFERRAL_COLS,
            self.backend.for_update()
        );
        self.opt(sql, &[id.as_str()])
            .await?
            .map(|r| rows::referral(&r))
            .transpose()
    }
    async fn update_referral(&mut self, r: &Referral) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE referrals SET referee_participant_id = ?, status = ?, reason = ?, \
             signed_up_at = ?, converted_at = ?, conversion_event_id = ?, updated_at = ?, \
             payments = ?, skipped = ?, risk_score = ?, signals = ?, review = ?, \
             referrer_participant_id = ?, source = ?, click_id = ?, touched_at = ?, \
             ip_hash = ?, ip_range_hash = ?, device_id = ? WHERE id = ?",
        );
        // The touch changes only when a referral rejected during a pause is judged again.
        let args = Args::default()
            .arg(r.referee_participant_id.as_ref().map(|p| p.as_str()))
            .arg(r.status.as_str())
            .arg(r.reason.map(|x| x.as_str()))
            .arg(r.signed_up_at)
            .arg(r.converted_at)
            .arg(r.conversion_event_id.as_ref().map(|e| e.as_str()))
            .arg(r.updated_at)
            .arg(r.payments)
            .arg(skipped_json(&r.skipped)?)
            .arg(r.risk_score)
            .arg(signals_json(&r.signals)?)
            .arg(r.review.map(Review::as_str))
            .arg(r.referrer_participant_id.as_str())
            .arg(r.source.as_str())
            .arg(r.click_id.as_ref().map(|c| c.as_str()))
            .arg(r.touched_at)
            .arg(r.ip_hash.as_deref())
            .arg(r.ip_range_hash.as_deref())
            .arg(r.device_id.as_deref())
            .arg(r.id.as_str());
        self.write(&sql, args).await?;
        Ok(())
    }
}

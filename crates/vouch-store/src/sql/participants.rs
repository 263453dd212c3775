//! Participants (advocates) and their enrolment. The SQL behind [`ParticipantStore`] and [`ParticipantTx`].

use async_trait::async_trait;
use sqlx::Row;
use vouch_domain::code::ReferralCode;
use vouch_domain::ids::*;

use super::store::ListSql;
use super::tx::SqlTx;
use super::{rows, SqlStore};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::participants::*;

#[async_trait]
impl ParticipantStore for SqlStore {
    async fn is_enrolled(
        &self,
        program: &ProgramId,
        email: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<bool> {
        for (col, v) in [("email_normalized", email), ("external_id", external_id)] {
            let Some(v) = v else { continue };
            let sql = format!("SELECT id FROM participants WHERE program_id = ? AND {col} = ?");
            if !self.many(sql, &[program.as_str(), v]).await?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }
    async fn get_participant(
        &self,
        ws: &WorkspaceId,
        id: &ParticipantId,
    ) -> Result<Option<Participant>> {
        let sql = format!(
            "{} WHERE p.id = ? AND p.workspace_id = ?",
            rows::PARTICIPANT_SELECT
        );
        let sql = self.backend.sql_owned(sql);
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| rows::participant(&r)).transpose()
    }
    async fn list_participants(
        &self,
        ws: &WorkspaceId,
        q: &ListQuery,
    ) -> Result<Page<Participant>> {
        let mut list = ListSql::new(rows::PARTICIPANT_SELECT, ws, "p.workspace_id");
        if let Some(p) = &q.program_id {
            list.filter("p.program_id = ?", &[p.as_str()]);
        }
        if let Some(s) = &q.status {
            list.filter("p.status = ?", &[s]);
        }
        let rows = list.fetch(self, "p.id", q).await?;
        let items = rows
            .iter()
            .map(rows::participant)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, q.limit, |p| p.id.to_string()))
    }
    async fn participant_stats(&self, id: &ParticipantId) -> Result<ParticipantStats> {
        use vouch_domain::attribution::ReferralStatus;
        let sql = self.backend.sql_owned(format!(
            // A funnel: a friend who bought has signed up, whether or not the shop
            // reported the signup; rejected referrals count for nothing, refunded
            // ones are no longer conversions.
            "SELECT (SELECT COUNT(*) FROM clicks WHERE participant_id = ?) AS clicks, \
             (SELECT COUNT(*) FROM referrals WHERE referrer_participant_id = ? \
                AND status <> '{}' \
                AND (signed_up_at IS NOT NULL OR converted_at IS NOT NULL)) AS signups, \
             (SELECT COUNT(*) FROM referrals WHERE referrer_participant_id = ? \
                AND converted_at IS NOT NULL AND status IN ({})) AS conversions",
            ReferralStatus::Rejected.as_str(),
            super::status_list(&ReferralStatus::CONVERTED, |s| s.as_str())
        ));
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(id.as_str())
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        let by_source = self.backend.sql(
            "SELECT COALESCE(source, 'direct') AS source, COUNT(*) AS n, \
                  CAST(COALESCE(SUM(is_unique), 0) AS BIGINT) AS u FROM clicks \
                  WHERE participant_id = ? GROUP BY COALESCE(source, 'direct') \
                  ORDER BY n DESC, source",
        );
        let rows = sqlx::query(&by_source)
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut clicks_by_source = Vec::with_capacity(rows.len());
        let mut unique_clicks = 0i64;
        for r in &rows {
            clicks_by_source.push((r.try_get::<String, _>("source")?, r.try_get::<i64, _>("n")?));
            unique_clicks += r.try_get::<i64, _>("u")?;
        }
        let kinds = self.backend.sql(
            "SELECT kind, CAST(SUM(visits) AS BIGINT) AS n FROM link_visits \
             WHERE participant_id = ? GROUP BY kind ORDER BY kind",
        );
        let not_clicks = sqlx::query(&kinds)
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get::<String, _>("kind")?, r.try_get::<i64, _>("n")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(ParticipantStats {
            clicks: row.try_get("clicks")?,
            unique_clicks,
            clicks_by_source,
            not_clicks,
            signups: row.try_get("signups")?,
            conversions: row.try_get("conversions")?,
        })
    }
}

#[async_trait]
impl ParticipantTx for SqlTx {
    async fn enroll(&mut self, p: &NewParticipant, code: &ReferralCode) -> Result<Enrolment> {
        // Insert first: the unique keys say whether the person is already enrolled,
        // which saves a read in the common case of a new participant.
        let sql = self.backend.sql(
            "INSERT INTO participants (id, workspace_id, program_id, email, email_normalized, \
             name, external_id, locale, status, referred_by_referral_id, created_at, ip_hash, \
             ua_hash, device_id, payment_fingerprint) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        );
        let inserted = sqlx::query(&sql)
            .bind(p.id.as_str())
            .bind(p.workspace_id.as_str())
            .bind(p.program_id.as_str())
            .bind(p.email.as_deref())
            .bind(p.email_normalized.as_deref())
            .bind(p.name.as_deref())
            .bind(p.external_id.as_deref())
            .bind(p.locale.as_str())
            .bind(p.referred_by_referral_id.as_ref().map(|r| r.as_str()))
            .bind(p.created_at)
            .bind(p.fingerprint.ip_hash.as_deref())
            .bind(p.fingerprint.ua_hash.as_deref())
            .bind(p.fingerprint.device_id.as_deref())
            .bind(p.fingerprint.payment_fingerprint.as_deref())
            .execute(self.conn().await?)
            .await?;
        if inserted.rows_affected() == 0 {
            // Already enrolled (or a concurrent enrolment of the same person won).
            return match self
                .find_participant(
                    &p.program_id,
                    p.email_normalized.as_deref(),
                    p.external_id.as_deref(),
                )
                .await?
            {
                Some(existing) => Ok(Enrolment::Existing(existing)),
                None => Err(StoreError::Conflict {
                    what: "participant",
                }),
            };
        }
        let sql = self.backend.sql(
            "INSERT INTO referral_codes (code, display, workspace_id, program_id, participant_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        );
        let inserted = sqlx::query(&sql)
            .bind(code.as_str())
            .bind(code.display())
            .bind(p.workspace_id.as_str())
            .bind(p.program_id.as_str())
            .bind(p.id.as_str())
            .bind(p.created_at)
            .execute(self.conn().await?)
            .await?;
        if inserted.rows_affected() == 0 {
            // The code is taken: take the participant back out, so the caller can try
            // another code (or report a taken vanity code) in the same transaction.
            let sql = self.backend.sql("DELETE FROM participants WHERE id = ?");
            sqlx::query(&sql)
                .bind(p.id.as_str())
                .execute(self.conn().await?)
                .await?;
            return Err(StoreError::Conflict {
                what: "referral_code",
            });
        }
        Ok(Enrolment::Created(Participant {
            id: p.id.clone(),
            workspace_id: p.workspace_id.clone(),
            program_id: p.program_id.clone(),
            email: p.email.clone(),
            email_normalized: p.email_normalized.clone(),
            name: p.name.clone(),
            external_id: p.external_id.clone(),
            locale: p.locale.clone(),
            status: ParticipantStatus::Active,
            referral_code: code.display().to_owned(),
            referred_by: p.referred_by_referral_id.clone(),
            fingerprint: p.fingerprint.clone(),
            created_at: p.created_at,
        }))
    }
    async fn get_participant(&mut self, id: &ParticipantId) -> Result<Option<Participant>> {
        let sql = format!("{} WHERE p.id = ?", rows::PARTICIPANT_SELECT);
        self.opt(sql, &[id.as_str()])
            .await?
            .map(|r| rows::participant(&r))
            .transpose()
    }
    async fn set_participant_status(
        &mut self,
        id: &ParticipantId,
        status: ParticipantStatus,
    ) -> Result<()> {
        let sql = self
            .backend
            .sql("UPDATE participants SET status = ? WHERE id = ?");
        sqlx::query(&sql)
            .bind(status.as_str())
            .bind(id.as_str())
            .execute(self.conn().await?)
            .await?;
        Ok(())
    }
    async fn find_participant(
        &mut self,
        program: &ProgramId,
        email: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Option<Participant>> {
        self.by_identity(
            rows::PARTICIPANT_SELECT,
            "p.program_id",
            program,
            email,
            external_id,
        )
        .await?
        .map(|r| rows::participant(&r))
        .transpose()
    }
    async fn workspace_hash_key(&mut self, ws: &WorkspaceId) -> Result<Option<String>> {
        match self
            .opt(
                "SELECT hash_key FROM workspaces WHERE id = ?".into(),
                &[ws.as_str()],
            )
            .await?
        {
            Some(r) => Ok(Some(rows::s(&r, "hash_key")?)),
            None => Ok(None),
        }
    }
    async fn find_code_owner(
        &mut self,
        program: &ProgramId,
        code: &str,
    ) -> Result<Option<Participant>> {
        let sql = format!(
            "{} WHERE p.id = (SELECT participant_id FROM referral_codes WHERE code = ? AND program_id = ?)",
            rows::PARTICIPANT_SELECT
        );
        self.opt(sql, &[code, program.as_str()])
            .await?
            .map(|r| rows::participant(&r))
            .transpose()
    }
}

//! The SQL behind [`EmailStore`] and [`EmailTx`].

use async_trait::async_trait;
use sqlx::any::AnyRow;
use vouch_domain::ids::*;
use vouch_domain::notification::{EmailKind, EmailStatus, SuppressionReason};
use vouch_domain::Millis;

use super::rows::{i, os, s};
use super::tx::{Args, SqlTx};
use super::SqlStore;
use crate::emails::{EmailStore, EmailTx};
use crate::error::{Result, StoreError};
use crate::model::*;

const EMAIL_COLS: &str = "SELECT id, workspace_id, program_id, participant_id, kind, \
    to_address, locale, data, dedupe_key, status, reason, subject, attempts, send_at, \
    sent_at, smtp_message_id, last_error, created_at, updated_at FROM email_messages";

const SUPPRESSION_COLS: &str =
    "SELECT workspace_id, email_normalized, email, reason, created_at FROM email_suppressions";

const TEMPLATE_COLS: &str =
    "SELECT workspace_id, program_id, kind, locale, source, updated_at FROM email_templates";

fn oi(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(sqlx::Row::try_get::<Option<i64>, _>(row, col)?)
}

fn kind(row: &AnyRow) -> Result<EmailKind> {
    let k = s(row, "kind")?;
    EmailKind::parse(&k).ok_or_else(|| StoreError::corrupt(format!("email kind = {k:?}")))
}

fn email(row: &AnyRow) -> Result<EmailMessage> {
    let status = s(row, "status")?;
    let data = s(row, "data")?;
    Ok(EmailMessage {
        id: EmailId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        participant_id: ParticipantId::from_trusted(s(row, "participant_id")?),
        kind: kind(row)?,
        to_address: os(row, "to_address")?,
        locale: os(row, "locale")?,
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::corrupt(format!("email data: {e}")))?,
        dedupe_key: s(row, "dedupe_key")?,
        status: EmailStatus::parse(&status)
            .ok_or_else(|| StoreError::corrupt(format!("email status = {status:?}")))?,
        reason: os(row, "reason")?,
        subject: os(row, "subject")?,
        attempts: i(row, "attempts")?,
        send_at: i(row, "send_at")?,
        sent_at: oi(row, "sent_at")?,
        smtp_message_id: os(row, "smtp_message_id")?,
        last_error: os(row, "last_error")?,
        created_at: i(row, "created_at")?,
        updated_at: i(row, "updated_at")?,
    })
}

fn suppression(row: &AnyRow) -> Result<Suppression> {
    let reason = s(row, "reason")?;
    Ok(Suppression {
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        email_normalized: s(row, "email_normalized")?,
        email: s(row, "email")?,
        reason: SuppressionReason::parse(&reason)
            .ok_or_else(|| StoreError::corrupt(format!("suppression reason = {reason:?}")))?,
        created_at: i(row, "created_at")?,
    })
}

fn template(row: &AnyRow) -> Result<EmailTemplate> {
    Ok(EmailTemplate {
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        kind: kind(row)?,
        locale: s(row, "locale")?,
        source: s(row, "source")?,
        updated_at: i(row, "updated_at")?,
    })
}

#[async_trait]
impl EmailStore for SqlStore {
    async fn get_email(&self, id: &EmailId) -> Result<Option<EmailMessage>> {
        let rows = self
            .many(format!("{EMAIL_COLS} WHERE id = ?"), &[id.as_str()])
            .await?;
        rows.first().map(email).transpose()
    }

    async fn list_emails(&self, ws: &WorkspaceId, q: &EmailQuery) -> Result<Vec<EmailMessage>> {
        let mut sql = format!("{EMAIL_COLS} WHERE workspace_id = ?");
        let mut args = vec![ws.as_str()];
        if let Some(p) = &q.participant_id {
            sql.push_str(" AND participant_id = ?");
            args.push(p.as_str());
        }
        if let Some(k) = q.kind {
            sql.push_str(" AND kind = ?");
            args.push(k.as_str());
        }
        if let Some(st) = q.status {
            sql.push_str(" AND status = ?");
            args.push(st.as_str());
        }
        if let Some(to) = &q.to_address {
            sql.push_str(" AND to_address = ?");
            args.push(to);
        }
        if let Some(c) = &q.cursor {
            sql.push_str(" AND id < ?");
            args.push(c);
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", q.limit + 1));
        self.many(sql, &args).await?.iter().map(email).collect()
    }

    async fn count_emails_since(
        &self,
        participant: &ParticipantId,
        kind: EmailKind,
        since: Millis,
    ) -> Result<i64> {
        let sql = self.backend.sql(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM email_messages \
             WHERE participant_id = ? AND kind = ? AND created_at >= ?",
        );
        let row = sqlx::query(&sql)
            .bind(participant.as_str())
            .bind(kind.as_str())
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        i(&row, "n")
    }

    async fn put_suppression(&self, x: &Suppression) -> Result<bool> {
        let sql = self.backend.sql(
            "INSERT INTO email_suppressions (workspace_id, email_normalized, email, reason, \
             created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        );
        let done = sqlx::query(&sql)
            .bind(x.workspace_id.as_str())
            .bind(x.email_normalized.as_str())
            .bind(x.email.as_str())
            .bind(x.reason.as_str())
            .bind(x.created_at)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        let sql = self.backend.sql(
            "UPDATE email_suppressions SET reason = ? \
             WHERE workspace_id = ? AND email_normalized = ?",
        );
        sqlx::query(&sql)
            .bind(x.reason.as_str())
            .bind(x.workspace_id.as_str())
            .bind(x.email_normalized.as_str())
            .execute(&self.writer)
            .await?;
        Ok(false)
    }

    async fn get_suppression(
        &self,
        ws: &WorkspaceId,
        email_normalized: &str,
    ) -> Result<Option<Suppression>> {
        let sql = format!("{SUPPRESSION_COLS} WHERE workspace_id = ? AND email_normalized = ?");
        let rows = self.many(sql, &[ws.as_str(), email_normalized]).await?;
        rows.first().map(suppression).transpose()
    }

    async fn delete_suppression(&self, ws: &WorkspaceId, email_normalized: &str) -> Result<bool> {
        let sql = self
            .backend
            .sql("DELETE FROM email_suppressions WHERE workspace_id = ? AND email_normalized = ?");
        let done = sqlx::query(&sql)
            .bind(ws.as_str())
            .bind(email_normalized)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn list_suppressions(
        &self,
        ws: &WorkspaceId,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Suppression>> {
        let mut sql = format!("{SUPPRESSION_COLS} WHERE workspace_id = ?");
        let mut args = vec![ws.as_str()];
        if let Some(c) = cursor {
            sql.push_str(" AND email_normalized > ?");
            args.push(c);
        }
        sql.push_str(&format!(" ORDER BY email_normalized LIMIT {}", limit + 1));
        self.many(sql, &args)
            .await?
            .iter()
            .map(suppression)
            .collect()
    }

    async fn put_template(&self, t: &EmailTemplate) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO email_templates (workspace_id, program_id, kind, locale, source, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (program_id, kind, locale) \
             DO UPDATE SET source = excluded.source, updated_at = excluded.updated_at",
        );
        sqlx::query(&sql)
            .bind(t.workspace_id.as_str())
            .bind(t.program_id.as_str())
            .bind(t.kind.as_str())
            .bind(t.locale.as_str())
            .bind(t.source.as_str())
            .bind(t.updated_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn get_template(
        &self,
        program: &ProgramId,
        kind: EmailKind,
        locale: &str,
    ) -> Result<Option<EmailTemplate>> {
        let sql = format!("{TEMPLATE_COLS} WHERE program_id = ? AND kind = ? AND locale = ?");
        let rows = self
            .many(sql, &[program.as_str(), kind.as_str(), locale])
            .await?;
        rows.first().map(template).transpose()
    }

    async fn list_templates(&self, program: &ProgramId) -> Result<Vec<EmailTemplate>> {
        let sql = format!("{TEMPLATE_COLS} WHERE program_id = ? ORDER BY kind, locale");
        let rows = self.many(sql, &[program.as_str()]).await?;
        rows.iter().map(template).collect()
    }

    async fn delete_template(
        &self,
        program: &ProgramId,
        kind: EmailKind,
        locale: &str,
    ) -> Result<bool> {
        let sql = self
            .backend
            .sql("DELETE FROM email_templates WHERE program_id = ? AND kind = ? AND locale = ?");
        let done = sqlx::query(&sql)
            .bind(program.as_str())
            .bind(kind.as_str())
            .bind(locale)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn data_json(m: &EmailMessage) -> Result<String> {
    serde_json::to_string(&m.data).map_err(|e| StoreError::corrupt(e.to_string()))
}

#[async_trait]
impl EmailTx for SqlTx {
    async fn insert_email(&mut self, m: &EmailMessage) -> Result<bool> {
        let sql = self.backend.sql(
            "INSERT INTO email_messages (id, workspace_id, program_id, participant_id, kind, \
             to_address, locale, data, dedupe_key, status, reason, attempts, send_at, \
             created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        );
        let done = sqlx::query(&sql)
            .bind(m.id.as_str())
            .bind(m.workspace_id.as_str())
            .bind(m.program_id.as_str())
            .bind(m.participant_id.as_str())
            .bind(m.kind.as_str())
            .bind(m.to_address.as_deref())
            .bind(m.locale.as_deref())
            .bind(data_json(m)?)
            .bind(m.dedupe_key.as_str())
            .bind(m.status.as_str())
            .bind(m.reason.as_deref())
            .bind(m.attempts)
            .bind(m.send_at)
            .bind(m.created_at)
            .bind(m.updated_at)
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn update_email(&mut self, m: &EmailMessage) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE email_messages SET to_address = ?, locale = ?, status = ?, reason = ?, \
             subject = ?, attempts = ?, send_at = ?, sent_at = ?, smtp_message_id = ?, \
             last_error = ?, updated_at = ? WHERE id = ?",
        );
        let args = Args::default()
            .arg(m.to_address.as_deref())
            .arg(m.locale.as_deref())
            .arg(m.status.as_str())
            .arg(m.reason.as_deref())
            .arg(m.subject.as_deref())
            .arg(m.attempts)
            .arg(m.send_at)
            .arg(m.sent_at)
            .arg(m.smtp_message_id.as_deref())
            .arg(m.last_error.as_deref())
            .arg(m.updated_at)
            .arg(m.id.as_str());
        self.write(&sql, args).await
    }
}

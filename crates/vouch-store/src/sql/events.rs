//! Events the merchant reports, and the customers they are about. The SQL behind [`EventStore`] and [`EventTx`].

use async_trait::async_trait;
use sqlx::Row;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use super::tx::Args;
use super::tx::SqlTx;
use super::{rows, SqlStore};
use crate::error::{Result, StoreError};
use crate::events::*;
use crate::model::*;

#[async_trait]
impl EventStore for SqlStore {
    async fn get_customer(&self, ws: &WorkspaceId, id: &CustomerId) -> Result<Option<Customer>> {
        let sql = format!(
            "SELECT {} FROM customers WHERE id = ? AND workspace_id = ?",
            rows::CUSTOMER_COLS
        );
        match self.many(sql, &[id.as_str(), ws.as_str()]).await?.first() {
            Some(row) => Ok(Some(rows::customer(row)?)),
            None => Ok(None),
        }
    }
    async fn program_payments(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<RecordedEvent>> {
        let sql = self.backend.sql(
            "SELECT id, type, order_id, amount, currency, referral_id, occurred_at FROM events \
             WHERE program_id = ? AND (type IN ('purchase', 'subscription_payment', 'signup', 'arrival') \
             OR type LIKE 'custom:%') \
             AND occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at, id",
        );
        let rows = sqlx::query(&sql)
            .bind(program.as_str())
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::recorded_event).collect()
    }
    async fn get_event_response(
        &self,
        program: &ProgramId,
        key: &str,
    ) -> Result<Option<StoredResponse>> {
        let row = self
            .one(
                "SELECT response_status, response FROM events \
                 WHERE program_id = ? AND idempotency_key = ?",
                &[program.as_str(), key],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let status: Option<i64> = row.try_get("response_status")?;
        let body: Option<String> = row.try_get("response")?;
        Ok(match (status, body) {
            (Some(status), Some(body)) => Some(StoredResponse {
                status: u16::try_from(status).map_err(StoreError::corrupt)?,
                body,
            }),
            _ => None,
        })
    }
}

#[async_trait]
impl EventTx for SqlTx {
    async fn claim_event(&mut self, e: &NewEvent) -> Result<bool> {
        let sql = self.backend.sql(
            "INSERT INTO events (id, workspace_id, program_id, type, idempotency_key, order_id, \
             amount, currency, occurred_at, created_at, ip_hash, device_id, payment_fingerprint) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (program_id, idempotency_key) DO NOTHING",
        );
        let done = sqlx::query(&sql)
            .bind(e.id.as_str())
            .bind(e.workspace_id.as_str())
            .bind(e.program_id.as_str())
            .bind(e.kind.as_str())
            .bind(e.idempotency_key.as_str())
            .bind(e.order_id.as_deref())
            .bind(e.amount)
            .bind(e.currency.map(|c| c.as_str().to_owned()))
            .bind(e.occurred_at)
            .bind(e.created_at)
            .bind(e.ip_hash.as_deref())
            .bind(e.device_id.as_deref())
            .bind(e.payment_fingerprint.as_deref())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
    async fn finish_event(
        &mut self,
        id: &EventId,
        customer: Option<&CustomerId>,
        referral: Option<&ReferralId>,
        response: &StoredResponse,
    ) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE events SET customer_id = ?, referral_id = ?, response_status = ?, response = ? \
             WHERE id = ?",
        );
        let args = Args::default()
            .arg(customer.map(|c| c.as_str()))
            .arg(referral.map(|r| r.as_str()))
            .arg(i64::from(response.status))
            .arg(response.body.as_str())
            .arg(id.as_str());
        self.write(&sql, args).await?;
        Ok(())
    }
    async fn find_purchase(
        &mut self,
        program: &ProgramId,
        order_id: &str,
    ) -> Result<Option<Purchase>> {
        let row = self
            .opt(
                "SELECT id, amount, currency, referral_id FROM events WHERE program_id = ? \
                 AND type IN ('purchase', 'subscription_payment') AND order_id = ? \
                 ORDER BY created_at LIMIT 1"
                    .into(),
                &[program.as_str(), order_id],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let currency: Option<String> = sqlx::Row::try_get(&r, "currency")?;
        Ok(Some(Purchase {
            id: EventId::from_trusted(sqlx::Row::try_get(&r, "id")?),
            amount: sqlx::Row::try_get(&r, "amount")?,
            currency: currency.and_then(|c| vouch_domain::money::Currency::parse("c", &c).ok()),
            referral_id: sqlx::Row::try_get::<Option<String>, _>(&r, "referral_id")?
                .map(ReferralId::from_trusted),
        }))
    }
    async fn refunded_total(&mut self, program: &ProgramId, order_id: &str) -> Result<i64> {
        let row = self
            .opt(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total, \
                 CAST(COUNT(*) - COUNT(amount) AS BIGINT) AS whole FROM events \
                 WHERE program_id = ? AND type = 'refund' AND order_id = ?"
                    .into(),
                &[program.as_str(), order_id],
            )
            .await?;
        let Some(r) = row else { return Ok(0) };
        let whole: i64 = sqlx::Row::try_get(&r, "whole")?;
        // A refund without an amount refunds the whole order.
        Ok(if whole > 0 {
            i64::MAX
        } else {
            sqlx::Row::try_get(&r, "total")?
        })
    }
    async fn fill_refund_amount(
        &mut self,
        event: &EventId,
        program: &ProgramId,
        order_id: &str,
        order: vouch_domain::money::Money,
    ) -> Result<()> {
        let earlier = match self
            .opt(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM events \
                 WHERE program_id = ? AND type = 'refund' AND order_id = ? AND id <> ? \
                 AND amount IS NOT NULL"
                    .into(),
                &[program.as_str(), order_id, event.as_str()],
            )
            .await?
        {
            Some(r) => rows::i(&r, "total")?,
            None => 0,
        };
        let left = order.amount.saturating_sub(earlier).max(0);
        let sql = self
            .backend
            .sql("UPDATE events SET amount = ?, currency = ? WHERE id = ?");
        let args = Args::default()
            .arg(left)
            .arg(order.currency.as_str())
            .arg(event.as_str());
        self.write(&sql, args).await
    }
    async fn find_customer(
        &mut self,
        program: &ProgramId,
        email: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Option<Customer>> {
        let select = format!("SELECT {} FROM customers", rows::CUSTOMER_COLS);
        self.by_identity(&select, "program_id", program, email, external_id)
            .await?
            .map(|r| rows::customer(&r))
            .transpose()
    }
    async fn insert_customer(&mut self, c: &NewCustomer) -> Result<()> {
        let a = c.attribution.as_ref();
        let sql = self.backend.sql(
            "INSERT INTO customers (id, workspace_id, program_id, email_normalized, external_id, \
             referral_id, attribution_source, attribution_model, attribution_window_days, \
             attributed_at, first_purchase_at, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        let args = Args::default()
            .arg(c.id.as_str())
            .arg(c.workspace_id.as_str())
            .arg(c.program_id.as_str())
            .arg(c.email_normalized.as_deref())
            .arg(c.external_id.as_deref())
            .arg(a.map(|a| a.referral_id.as_str()))
            .arg(a.map(|a| a.source.as_str()))
            .arg(a.map(|a| a.model.as_str()))
            .arg(a.map(|a| a.window_days))
            .arg(a.map(|a| a.attributed_at))
            .arg(c.first_purchase_at)
            .arg(c.created_at);
        self.write(&sql, args).await?;
        Ok(())
    }
    async fn complete_customer_identity(
        &mut self,
        id: &CustomerId,
        email: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<()> {
        // Only fill what is missing, and only when no other customer of the program
        // already holds that identity (the unique keys would refuse it).
        if let Some(email) = email {
            let sql = self.backend.sql(
                "UPDATE customers SET email_normalized = ? WHERE id = ? AND email_normalized IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.program_id = customers.program_id \
                 AND o.email_normalized = ?)",
            );
            let args = Args::default().arg(email).arg(id.as_str()).arg(email);
            self.write(&sql, args).await?;
        }
        if let Some(ext) = external_id {
            let sql = self.backend.sql(
                "UPDATE customers SET external_id = ? WHERE id = ? AND external_id IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.program_id = customers.program_id \
                 AND o.external_id = ?)",
            );
            let args = Args::default().arg(ext).arg(id.as_str()).arg(ext);
            self.write(&sql, args).await?;
        }
        Ok(())
    }
    async fn attribute_customer(&mut self, id: &CustomerId, a: &CustomerAttribution) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE customers SET referral_id = ?, attribution_source = ?, attribution_model = ?, \
             attribution_window_days = ?, attributed_at = ? WHERE id = ? AND referral_id IS NULL",
        );
        let args = Args::default()
            .arg(a.referral_id.as_str())
            .arg(a.source.as_str())
            .arg(a.model.as_str())
            .arg(a.window_days)
            .arg(a.attributed_at)
            .arg(id.as_str());
        self.write(&sql, args).await?;
        Ok(())
    }
    async fn mark_first_purchase(&mut self, id: &CustomerId, at: Millis) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE customers SET first_purchase_at = ? WHERE id = ? AND first_purchase_at IS NULL",
        );
        let args = Args::default().arg(at).arg(id.as_str());
        self.write(&sql, args).await?;
        Ok(())
    }
}

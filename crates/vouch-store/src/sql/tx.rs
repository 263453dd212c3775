//! [`StoreTx`] for [`SqlStore`](super::SqlStore): everything that must commit together.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use vouch_domain::code::ReferralCode;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use super::{insert_values, rows, Backend};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::StoreTx;

pub(crate) struct SqlTx {
    backend: Backend,
    tx: Transaction<'static, Any>,
    /// Domain events to append to the outbox at commit.
    events: Vec<vouch_domain::lifecycle::DomainEvent>,
}

fn skipped_json(s: &[vouch_domain::rules::Skipped]) -> Result<Option<String>> {
    if s.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(s)
        .map(Some)
        .map_err(|e| StoreError::corrupt(format!("skipped: {e}")))
}

fn signals_json(s: &[vouch_domain::fraud::Signal]) -> Result<Option<String>> {
    if s.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(s)
        .map(Some)
        .map_err(|e| StoreError::corrupt(format!("signals: {e}")))
}

impl SqlTx {
    pub(crate) fn new(backend: Backend, tx: Transaction<'static, Any>) -> Self {
        Self {
            backend,
            tx,
            events: Vec::new(),
        }
    }

    async fn opt(&mut self, sql: String, args: &[&str]) -> Result<Option<AnyRow>> {
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_optional(&mut *self.tx).await?)
    }

    async fn all(&mut self, sql: String, args: &[&str]) -> Result<Vec<AnyRow>> {
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_all(&mut *self.tx).await?)
    }

    /// A row matched by email or external id, whichever the caller has; external id
    /// first, because the merchant's own id is the stronger identity.
    async fn by_identity(
        &mut self,
        select: &str,
        program_col: &str,
        program: &ProgramId,
        email: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Option<AnyRow>> {
        let prefix = program_col.strip_suffix("program_id").unwrap_or("");
        if let Some(ext) = external_id {
            let sql = format!("{select} WHERE {program_col} = ? AND {prefix}external_id = ?");
            if let Some(row) = self.opt(sql, &[program.as_str(), ext]).await? {
                return Ok(Some(row));
            }
        }
        if let Some(email) = email {
            let sql = format!("{select} WHERE {program_col} = ? AND {prefix}email_normalized = ?");
            if let Some(row) = self.opt(sql, &[program.as_str(), email]).await? {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl StoreTx for SqlTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        let mut this = *self;
        if !this.events.is_empty() {
            // Grouped per workspace (a transaction normally touches one).
            let mut workspaces: Vec<&WorkspaceId> = vec![];
            for e in &this.events {
                if !workspaces.contains(&&e.workspace_id) {
                    workspaces.push(&e.workspace_id);
                }
            }
            for ws in workspaces {
                let events: Vec<_> = this
                    .events
                    .iter()
                    .filter(|e| &e.workspace_id == ws)
                    .collect();
                super::outbox::append(&mut this.tx, this.backend, ws, &events).await?;
            }
        }
        this.tx.commit().await?;
        Ok(())
    }

    async fn lock(&mut self, key: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1)::BIGINT)")
                .bind(key)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

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
            .execute(&mut *self.tx)
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
            .execute(&mut *self.tx)
            .await?;
        if inserted.rows_affected() == 0 {
            // The code is taken: take the participant back out, so the caller can try
            // another code (or report a taken vanity code) in the same transaction.
            let sql = self.backend.sql("DELETE FROM participants WHERE id = ?");
            sqlx::query(&sql)
                .bind(p.id.as_str())
                .execute(&mut *self.tx)
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
            .execute(&mut *self.tx)
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

    async fn get_click(&mut self, program: &ProgramId, id: &ClickId) -> Result<Option<Click>> {
        self.opt(
            "SELECT id, program_id, participant_id, occurred_at, ip_hash, user_agent, referer \
             FROM clicks WHERE id = ? AND program_id = ?"
                .into(),
            &[id.as_str(), program.as_str()],
        )
        .await?
        .map(|r| rows::click(&r))
        .transpose()
    }

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
            .execute(&mut *self.tx)
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
        sqlx::query(&sql)
            .bind(customer.map(|c| c.as_str()))
            .bind(referral.map(|r| r.as_str()))
            .bind(i64::from(response.status))
            .bind(response.body.as_str())
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await?;
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
        sqlx::query(&sql)
            .bind(c.id.as_str())
            .bind(c.workspace_id.as_str())
            .bind(c.program_id.as_str())
            .bind(c.email_normalized.as_deref())
            .bind(c.external_id.as_deref())
            .bind(a.map(|a| a.referral_id.as_str()))
            .bind(a.map(|a| a.source.as_str()))
            .bind(a.map(|a| a.model.as_str()))
            .bind(a.map(|a| a.window_days))
            .bind(a.map(|a| a.attributed_at))
            .bind(c.first_purchase_at)
            .bind(c.created_at)
            .execute(&mut *self.tx)
            .await?;
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
            sqlx::query(&sql)
                .bind(email)
                .bind(id.as_str())
                .bind(email)
                .execute(&mut *self.tx)
                .await?;
        }
        if let Some(ext) = external_id {
            let sql = self.backend.sql(
                "UPDATE customers SET external_id = ? WHERE id = ? AND external_id IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.program_id = customers.program_id \
                 AND o.external_id = ?)",
            );
            sqlx::query(&sql)
                .bind(ext)
                .bind(id.as_str())
                .bind(ext)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    async fn attribute_customer(&mut self, id: &CustomerId, a: &CustomerAttribution) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE customers SET referral_id = ?, attribution_source = ?, attribution_model = ?, \
             attribution_window_days = ?, attributed_at = ? WHERE id = ? AND referral_id IS NULL",
        );
        sqlx::query(&sql)
            .bind(a.referral_id.as_str())
            .bind(a.source.as_str())
            .bind(a.model.as_str())
            .bind(a.window_days)
            .bind(a.attributed_at)
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn mark_first_purchase(&mut self, id: &CustomerId, at: Millis) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE customers SET first_purchase_at = ? WHERE id = ? AND first_purchase_at IS NULL",
        );
        sqlx::query(&sql)
            .bind(at)
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn insert_referral(&mut self, r: &Referral) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO referrals (id, workspace_id, program_id, referrer_participant_id, \
             referee_participant_id, customer_id, status, reason, source, click_id, touched_at, \
             signed_up_at, converted_at, conversion_event_id, created_at, updated_at, payments, \
             skipped, ip_hash, ip_range_hash, device_id, risk_score, signals, review) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(r.id.as_str())
            .bind(r.workspace_id.as_str())
            .bind(r.program_id.as_str())
            .bind(r.referrer_participant_id.as_str())
            .bind(r.referee_participant_id.as_ref().map(|p| p.as_str()))
            .bind(r.customer_id.as_str())
            .bind(r.status.as_str())
            .bind(r.reason.map(|x| x.as_str()))
            .bind(r.source.as_str())
            .bind(r.click_id.as_ref().map(|c| c.as_str()))
            .bind(r.touched_at)
            .bind(r.signed_up_at)
            .bind(r.converted_at)
            .bind(r.conversion_event_id.as_ref().map(|e| e.as_str()))
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(r.payments)
            .bind(skipped_json(&r.skipped)?)
            .bind(r.ip_hash.as_deref())
            .bind(r.ip_range_hash.as_deref())
            .bind(r.device_id.as_deref())
            .bind(r.risk_score)
            .bind(signals_json(&r.signals)?)
            .bind(r.review.as_deref())
            .execute(&mut *self.tx)
            .await?;
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
             payments = ?, skipped = ?, risk_score = ?, signals = ?, review = ? WHERE id = ?",
        );
        sqlx::query(&sql)
            .bind(r.referee_participant_id.as_ref().map(|p| p.as_str()))
            .bind(r.status.as_str())
            .bind(r.reason.map(|x| x.as_str()))
            .bind(r.signed_up_at)
            .bind(r.converted_at)
            .bind(r.conversion_event_id.as_ref().map(|e| e.as_str()))
            .bind(r.updated_at)
            .bind(r.payments)
            .bind(skipped_json(&r.skipped)?)
            .bind(r.risk_score)
            .bind(signals_json(&r.signals)?)
            .bind(r.review.as_deref())
            .bind(r.id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn insert_rewards(&mut self, rewards: &[Reward]) -> Result<Vec<RewardId>> {
        if rewards.is_empty() {
            return Ok(vec![]);
        }
        let mut sql = insert_values(
            "INSERT INTO rewards (id, workspace_id, program_id, participant_id, referral_id, \
             event_id, role, trigger, kind, amount, currency, status, rule, inputs, \
             program_version, approve_at, created_at, updated_at, pending_reason, coupon_code, \
             coupon_expires_at)",
            rewards.len(),
            21,
        );
        sql.push_str(" ON CONFLICT (referral_id, role, trigger) DO NOTHING RETURNING id");
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for r in rewards {
            q = q
                .bind(r.id.as_str())
                .bind(r.workspace_id.as_str())
                .bind(r.program_id.as_str())
                .bind(r.participant_id.as_str())
                .bind(r.referral_id.as_ref().map(|x| x.as_str()))
                .bind(r.event_id.as_ref().map(|x| x.as_str()))
                .bind(r.role.as_str())
                .bind(r.trigger.as_str())
                .bind(r.kind.as_str())
                .bind(r.amount)
                .bind(r.currency.as_str())
                .bind(r.status.as_str())
                .bind(r.rule.to_string())
                .bind(r.inputs.to_string())
                .bind(r.program_version)
                .bind(r.approve_at)
                .bind(r.created_at)
                .bind(r.updated_at)
                .bind(r.pending_reason.as_deref())
                .bind(r.coupon_code.as_deref())
                .bind(r.coupon_expires_at);
        }
        let rows = q.fetch_all(&mut *self.tx).await?;
        let ids: Vec<RewardId> = rows
            .iter()
            .map(|row| Ok(RewardId::from_trusted(sqlx::Row::try_get(row, "id")?)))
            .collect::<Result<_>>()?;
        // The program's spend grows by what was actually inserted.
        let mut sums: Vec<(&ProgramId, vouch_domain::money::Currency, i64)> = vec![];
        for r in rewards.iter().filter(|r| ids.contains(&r.id)) {
            match sums
                .iter_mut()
                .find(|(p, c, _)| *p == &r.program_id && *c == r.currency)
            {
                Some(entry) => entry.2 += r.amount,
                None => sums.push((&r.program_id, r.currency, r.amount)),
            }
        }
        for (program, currency, amount) in sums {
            self.adjust_program_spend(program, &currency, amount)
                .await?;
        }
        Ok(ids)
    }

    async fn adjust_program_spend(
        &mut self,
        program: &ProgramId,
        currency: &vouch_domain::money::Currency,
        delta: i64,
    ) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO program_spend (program_id, currency, amount) VALUES (?, ?, ?) \
             ON CONFLICT (program_id, currency) DO UPDATE \
             SET amount = program_spend.amount + excluded.amount",
        );
        sqlx::query(&sql)
            .bind(program.as_str())
            .bind(currency.as_str())
            .bind(delta)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn rewards_for_event(&mut self, event: &EventId) -> Result<Vec<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE event_id = ? ORDER BY id{}",
            rows::REWARD_COLS,
            self.backend.for_update()
        );
        self.all(sql, &[event.as_str()])
            .await?
            .iter()
            .map(rows::reward)
            .collect()
    }

    async fn rewards_for_referral(&mut self, referral: &ReferralId) -> Result<Vec<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE referral_id = ? ORDER BY id",
            rows::REWARD_COLS
        );
        self.all(sql, &[referral.as_str()])
            .await?
            .iter()
            .map(rows::reward)
            .collect()
    }

    async fn participant_rewards(
        &mut self,
        participant: &ParticipantId,
        status: vouch_domain::reward::RewardStatus,
    ) -> Result<Vec<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE participant_id = ? AND status = ? ORDER BY id{}",
            rows::REWARD_COLS,
            self.backend.for_update()
        );
        self.all(sql, &[participant.as_str(), status.as_str()])
            .await?
            .iter()
            .map(rows::reward)
            .collect()
    }

    async fn get_reward_for_update(&mut self, id: &RewardId) -> Result<Option<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE id = ?{}",
            rows::REWARD_COLS,
            self.backend.for_update()
        );
        self.opt(sql, &[id.as_str()])
            .await?
            .map(|r| rows::reward(&r))
            .transpose()
    }

    async fn update_reward(&mut self, r: &Reward) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE rewards SET status = ?, updated_at = ?, pending_reason = ?, \
             reversed_amount = ?, coupon_code = ?, coupon_expires_at = ?, \
             fulfilment_reference = ?, fulfilled_at = ?, payout_line_id = ? WHERE id = ?",
        );
        sqlx::query(&sql)
            .bind(r.status.as_str())
            .bind(r.updated_at)
            .bind(r.pending_reason.as_deref())
            .bind(r.reversed_amount)
            .bind(r.coupon_code.as_deref())
            .bind(r.coupon_expires_at)
            .bind(r.fulfilment_reference.as_deref())
            .bind(r.fulfilled_at)
            .bind(r.payout_line_id.as_deref())
            .bind(r.id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn post_ledger(&mut self, txs: &[NewLedgerTx]) -> Result<usize> {
        if let Some(t) = txs
            .iter()
            .find(|t| t.postings.is_empty() || !vouch_domain::ledger::is_balanced(&t.postings))
        {
            return Err(StoreError::corrupt(format!(
                "unbalanced ledger transaction {}",
                t.idempotency_key
            )));
        }
        if txs.is_empty() {
            return Ok(0);
        }
        let mut sql = insert_values(
            "INSERT INTO ledger_transactions (id, workspace_id, idempotency_key, kind, reward_id, created_at)",
            txs.len(),
            6,
        );
        sql.push_str(" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id");
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for t in txs {
            q = q
                .bind(t.id.as_str())
                .bind(t.workspace_id.as_str())
                .bind(t.idempotency_key.as_str())
                .bind(t.kind.as_str())
                .bind(t.reward_id.as_ref().map(|r| r.as_str()))
                .bind(t.created_at);
        }
        let posted: Vec<String> = q
            .fetch_all(&mut *self.tx)
            .await?
            .iter()
            .map(|row| sqlx::Row::try_get(row, "id"))
            .collect::<Result<_, _>>()?;
        let new: Vec<&NewLedgerTx> = txs
            .iter()
            .filter(|t| posted.iter().any(|id| id == t.id.as_str()))
            .collect();
        let count: usize = new.iter().map(|t| t.postings.len()).sum();
        if count == 0 {
            return Ok(0);
        }
        // Every posting of every new transaction in one statement.
        let sql = insert_values(
            "INSERT INTO ledger_postings (transaction_id, workspace_id, account, currency, amount)",
            count,
            5,
        );
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for t in &new {
            for p in &t.postings {
                q = q
                    .bind(t.id.as_str())
                    .bind(t.workspace_id.as_str())
                    .bind(p.account.as_str())
                    .bind(p.currency.as_str())
                    .bind(p.amount);
            }
        }
        q.execute(&mut *self.tx).await?;
        Ok(new.len())
    }

    async fn advocate_totals(&mut self, q: &TotalsQuery<'_>) -> Result<AdvocateTotals> {
        let mut cols = vec![];
        for (i, _) in q.conversions.iter().enumerate() {
            // Counting stops at the limit: a super-advocate's thousandth referral costs
            // what their tenth did.
            cols.push(format!(
                "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM referrals \
                 WHERE referrer_participant_id = ? AND converted_at >= ? \
                 AND status IN ('converted', 'rewarded') LIMIT ?) AS c{i}) AS conv{i}"
            ));
        }
        if let Some((_, currency, _)) = &q.usage {
            cols.push(
                "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM rewards \
                 WHERE participant_id = ? AND role = 'referrer' AND created_at >= ? \
                 AND status NOT IN ('cancelled', 'reversed') LIMIT ?) AS u) AS usage_n"
                    .into(),
            );
            if currency.is_some() {
                cols.push(
                    "(SELECT CAST(COALESCE(SUM(amount - reversed_amount), 0) AS BIGINT) \
                     FROM rewards WHERE participant_id = ? AND role = 'referrer' \
                     AND created_at >= ? AND currency = ? \
                     AND status NOT IN ('cancelled', 'reversed')) AS usage_sum"
                        .into(),
                );
            }
        }
        if q.spend.is_some() {
            cols.push(
                "(SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM program_spend \
                 WHERE program_id = ? AND currency = ?) AS spend_c, \
                 (SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM program_spend \
                 WHERE program_id = ? AND currency = 'PTS') AS spend_p"
                    .into(),
            );
        }
        if cols.is_empty() {
            return Ok(AdvocateTotals::default());
        }
        let sql = self
            .backend
            .sql_owned(format!("SELECT {}", cols.join(", ")));
        let referrer = q.referrer.as_str();
        let mut query = sqlx::query(&sql);
        for (since, limit) in &q.conversions {
            query = query.bind(referrer).bind(*since).bind((*limit).max(0));
        }
        if let Some((since, currency, limit)) = &q.usage {
            query = query.bind(referrer).bind(*since).bind((*limit).max(0));
            if let Some(c) = currency {
                query = query.bind(referrer).bind(*since).bind(c.as_str());
            }
        }
        if let Some((program, currency)) = &q.spend {
            query = query
                .bind(program.as_str())
                .bind(currency.as_str())
                .bind(program.as_str());
        }
        let row = query.fetch_one(&mut *self.tx).await?;
        let get = |c: &str| -> Result<i64> { Ok(sqlx::Row::try_get(&row, c)?) };
        let mut t = AdvocateTotals::default();
        for i in 0..q.conversions.len() {
            t.conversions.push(get(&format!("conv{i}"))?);
        }
        if let Some((_, currency, _)) = &q.usage {
            t.usage_count = get("usage_n")?;
            if currency.is_some() {
                t.usage_amount = get("usage_sum")?;
            }
        }
        if q.spend.is_some() {
            t.spend = get("spend_c")?;
            t.spend_points = get("spend_p")?;
        }
        Ok(t)
    }

    async fn program_spend(
        &mut self,
        program: &ProgramId,
    ) -> Result<Vec<(vouch_domain::money::Currency, i64)>> {
        let rows = self
            .all(
                "SELECT currency, amount AS total FROM program_spend WHERE program_id = ?".into(),
                &[program.as_str()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let c: String = sqlx::Row::try_get(r, "currency")?;
                let c = vouch_domain::money::Currency::parse_unit("currency", &c)
                    .map_err(|_| StoreError::corrupt("reward currency"))?;
                Ok((c, sqlx::Row::try_get(r, "total")?))
            })
            .collect()
    }

    async fn find_coupon_reward(
        &mut self,
        program: &ProgramId,
        code: &str,
    ) -> Result<Option<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE program_id = ? AND coupon_code = ?{}",
            rows::REWARD_COLS,
            self.backend.for_update()
        );
        self.opt(sql, &[program.as_str(), code])
            .await?
            .map(|r| rows::reward(&r))
            .transpose()
    }

    async fn insert_coupon_pool(&mut self, pool: &CouponPool) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO coupon_pools (id, workspace_id, program_id, name, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(pool.id.as_str())
            .bind(pool.workspace_id.as_str())
            .bind(pool.program_id.as_str())
            .bind(pool.name.as_str())
            .bind(pool.created_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn add_pool_codes(&mut self, pool: &CouponPoolId, codes: &[String]) -> Result<usize> {
        let base: i64 = {
            let sql = self.backend.sql(
                "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS seq FROM coupon_pool_codes \
                 WHERE pool_id = ?",
            );
            let row = sqlx::query(&sql)
                .bind(pool.as_str())
                .fetch_one(&mut *self.tx)
                .await?;
            sqlx::Row::try_get(&row, "seq")?
        };
        let mut added = 0;
        // Bounded statements: SQLite allows 32766 parameters.
        for (chunk_no, chunk) in codes.chunks(5000).enumerate() {
            let mut sql = insert_values(
                "INSERT INTO coupon_pool_codes (pool_id, code, seq)",
                chunk.len(),
                3,
            );
            sql.push_str(" ON CONFLICT (pool_id, code) DO NOTHING");
            let sql = self.backend.sql_owned(sql);
            let mut q = sqlx::query(&sql);
            for (i, code) in chunk.iter().enumerate() {
                let seq = base + i64::try_from(chunk_no * 5000 + i + 1).unwrap_or(i64::MAX);
                q = q.bind(pool.as_str()).bind(code.as_str()).bind(seq);
            }
            added += usize::try_from(q.execute(&mut *self.tx).await?.rows_affected()).unwrap_or(0);
        }
        Ok(added)
    }

    async fn draw_pool_code(
        &mut self,
        pool: &CouponPoolId,
        program: &ProgramId,
        reward: &RewardId,
    ) -> Result<Option<String>> {
        // The rewarding transaction holds the participant's lock, not the pool's: two
        // may race for the same code, so the draw locks the pool first.
        self.lock(&format!("coupon_pool:{pool}")).await?;
        let row = self
            .opt(
                "SELECT c.code FROM coupon_pool_codes c JOIN coupon_pools p ON p.id = c.pool_id \
                 WHERE c.pool_id = ? AND p.program_id = ? AND c.reward_id IS NULL \
                 ORDER BY c.seq LIMIT 1"
                    .into(),
                &[pool.as_str(), program.as_str()],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let code: String = sqlx::Row::try_get(&row, "code")?;
        let sql = self
            .backend
            .sql("UPDATE coupon_pool_codes SET reward_id = ? WHERE pool_id = ? AND code = ?");
        sqlx::query(&sql)
            .bind(reward.as_str())
            .bind(pool.as_str())
            .bind(code.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(Some(code))
    }

    async fn rewards_awaiting(&mut self, program: &ProgramId, reason: &str) -> Result<Vec<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE program_id = ? AND pending_reason = ? \
             AND status = 'pending' ORDER BY id{}",
            rows::REWARD_COLS,
            self.backend.for_update()
        );
        self.all(sql, &[program.as_str(), reason])
            .await?
            .iter()
            .map(rows::reward)
            .collect()
    }

    async fn payable_balances(
        &mut self,
        ws: &WorkspaceId,
        program: Option<&ProgramId>,
        currency: Option<&vouch_domain::money::Currency>,
    ) -> Result<Vec<PayableBalance>> {
        // Payable accounts are `participant:{id}:payable`; the participant id is the
        // middle of the key, and the program filter goes through the participant.
        let mut sql = String::from(
            "SELECT p.id AS participant_id, p.program_id AS program_id, p.email AS email, \
             l.currency AS currency, \
             CAST(SUM(l.amount) AS BIGINT) AS amount FROM ledger_postings l \
             JOIN participants p ON l.account = 'participant:' || p.id || ':payable' \
             WHERE l.workspace_id = ?",
        );
        let mut args = vec![ws.as_str().to_owned()];
        if let Some(p) = program {
            sql.push_str(" AND p.program_id = ?");
            args.push(p.as_str().to_owned());
        }
        if let Some(c) = currency {
            sql.push_str(" AND l.currency = ?");
            args.push(c.as_str().to_owned());
        }
        sql.push_str(" GROUP BY p.id, p.program_id, p.email, l.currency ORDER BY l.currency, p.id");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let rows = self.all(sql, &args).await?;
        rows.iter()
            .map(|r| {
                let c: String = sqlx::Row::try_get(r, "currency")?;
                Ok(PayableBalance {
                    participant_id: ParticipantId::from_trusted(sqlx::Row::try_get(
                        r,
                        "participant_id",
                    )?),
                    program_id: ProgramId::from_trusted(sqlx::Row::try_get(r, "program_id")?),
                    email: sqlx::Row::try_get(r, "email")?,
                    currency: vouch_domain::money::Currency::parse_unit("currency", &c)
                        .map_err(|_| StoreError::corrupt("payable currency"))?,
                    amount: sqlx::Row::try_get(r, "amount")?,
                })
            })
            .collect()
    }

    async fn insert_payout(&mut self, payout: &Payout, lines: &[PayoutLine]) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO payouts (id, workspace_id, program_id, currency, status, total, \
             created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(payout.id.as_str())
            .bind(payout.workspace_id.as_str())
            .bind(payout.program_id.as_ref().map(|p| p.as_str()))
            .bind(payout.currency.as_str())
            .bind(payout.status.as_str())
            .bind(payout.total)
            .bind(payout.created_at)
            .bind(payout.updated_at)
            .execute(&mut *self.tx)
            .await?;
        for line in lines {
            let sql = self.backend.sql(
                "INSERT INTO payout_lines (id, payout_id, workspace_id, participant_id, email, \
                 amount, currency, status, reference, error, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            );
            sqlx::query(&sql)
                .bind(line.id.as_str())
                .bind(line.payout_id.as_str())
                .bind(line.workspace_id.as_str())
                .bind(line.participant_id.as_str())
                .bind(line.email.as_deref())
                .bind(line.amount)
                .bind(line.currency.as_str())
                .bind(line.status.as_str())
                .bind(line.reference.as_deref())
                .bind(line.error.as_deref())
                .bind(line.updated_at)
                .execute(&mut *self.tx)
                .await?;
            // The approved cash rewards this line pays, marked so they are paid once.
            let sql = self.backend.sql(
                "UPDATE rewards SET payout_line_id = ? WHERE participant_id = ? AND currency = ? \
                 AND kind = 'cash' AND status = 'approved' AND payout_line_id IS NULL",
            );
            sqlx::query(&sql)
                .bind(line.id.as_str())
                .bind(line.participant_id.as_str())
                .bind(line.currency.as_str())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    async fn get_payout_line_for_update(
        &mut self,
        payout: &PayoutId,
        id: &PayoutLineId,
    ) -> Result<Option<PayoutLine>> {
        let sql = format!(
            "SELECT {} FROM payout_lines WHERE payout_id = ? AND id = ?{}",
            rows::PAYOUT_LINE_COLS,
            self.backend.for_update()
        );
        self.opt(sql, &[payout.as_str(), id.as_str()])
            .await?
            .map(|r| rows::payout_line(&r))
            .transpose()
    }

    async fn update_payout_line(&mut self, line: &PayoutLine) -> Result<()> {
        let sql = self.backend.sql(
            "UPDATE payout_lines SET status = ?, reference = ?, error = ?, updated_at = ? \
             WHERE id = ?",
        );
        sqlx::query(&sql)
            .bind(line.status.as_str())
            .bind(line.reference.as_deref())
            .bind(line.error.as_deref())
            .bind(line.updated_at)
            .bind(line.id.as_str())
            .execute(&mut *self.tx)
            .await?;
        // The batch is complete once no line is pending.
        let sql = self.backend.sql(
            "UPDATE payouts SET updated_at = ?, status = CASE WHEN EXISTS (SELECT 1 FROM \
             payout_lines WHERE payout_id = ? AND status = 'pending') THEN 'pending' \
             ELSE 'completed' END WHERE id = ?",
        );
        sqlx::query(&sql)
            .bind(line.updated_at)
            .bind(line.payout_id.as_str())
            .bind(line.payout_id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn rewards_in_payout_line(&mut self, line: &PayoutLineId) -> Result<Vec<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE payout_line_id = ? ORDER BY id{}",
            rows::REWARD_COLS,
            self.backend.for_update()
        );
        self.all(sql, &[line.as_str()])
            .await?
            .iter()
            .map(rows::reward)
            .collect()
    }

    async fn fraud_counts(&mut self, q: &FraudQuery<'_>) -> Result<FraudCounts> {
        const HOUR: Millis = 3_600_000;
        // Windows count back from this referral's touch (its click, or the event), so
        // backfilled events are judged by when they happened. One round trip, and each
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
               WHERE referrer_participant_id = ? AND id <> ? AND status = 'reversed' \
               LIMIT 1000) AS r) AS refund_n",
            recent(""),
            recent(""),
            recent(" AND source <> 'click'"),
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
        for (window, _) in [(HOUR, 0), (24 * HOUR, 1), (24 * HOUR, 2)] {
            query = query
                .bind(referrer)
                .bind(exclude)
                .bind(q.now - window)
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
                .bind(q.now - 24 * HOUR)
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
        let row = query.fetch_one(&mut *self.tx).await?;
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
        if counts.advocate_refunds >= 3 {
            let sql = self.backend.sql(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT 1 FROM referrals \
                 WHERE referrer_participant_id = ? AND id <> ? \
                 AND status IN ('converted', 'rewarded', 'reversed') LIMIT ?) AS c",
            );
            let row = sqlx::query(&sql)
                .bind(referrer)
                .bind(exclude)
                .bind(counts.advocate_refunds * 2 + 1)
                .fetch_one(&mut *self.tx)
                .await?;
            counts.advocate_conversions = sqlx::Row::try_get(&row, "n")?;
        }
        Ok(counts)
    }

    async fn hold_related(&mut self, q: &HoldQuery<'_>) -> Result<Vec<ReferralId>> {
        let (column, value) = match (q.referrer, q.ip_range_hash) {
            (Some(r), _) => ("referrer_participant_id", r.as_str()),
            (None, Some(range)) => ("ip_range_hash", range),
            (None, None) => return Ok(vec![]),
        };
        let sql = format!(
            "UPDATE referrals SET review = 'pending' WHERE program_id = ? AND {column} = ? \
             AND id <> ? AND touched_at >= ? AND review IS NULL \
             AND status NOT IN ('rejected', 'reversed') RETURNING id"
        );
        let sql = self.backend.sql_owned(sql);
        let rows = sqlx::query(&sql)
            .bind(q.program.as_str())
            .bind(value)
            .bind(q.exclude.as_str())
            .bind(q.since)
            .fetch_all(&mut *self.tx)
            .await?;
        let ids: Vec<ReferralId> = rows
            .iter()
            .map(|r| Ok(ReferralId::from_trusted(sqlx::Row::try_get(r, "id")?)))
            .collect::<Result<_>>()?;
        for id in &ids {
            // Rewards still in their hold wait for the review too.
            let sql = self.backend.sql(
                "UPDATE rewards SET pending_reason = 'review' WHERE referral_id = ? \
                 AND status = 'pending' AND pending_reason IS NULL",
            );
            sqlx::query(&sql)
                .bind(id.as_str())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(ids)
    }

    async fn insert_audit(&mut self, e: &AuditEntry) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO audit_log (id, workspace_id, actor, action, subject_type, subject_id, \
             reason, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(e.id.as_str())
            .bind(e.workspace_id.as_str())
            .bind(e.actor.as_str())
            .bind(e.action.as_str())
            .bind(e.subject_type.as_str())
            .bind(e.subject_id.as_str())
            .bind(e.reason.as_deref())
            .bind(e.data.to_string())
            .bind(e.created_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn available_balance(
        &mut self,
        participant: &ParticipantId,
        currency: &vouch_domain::money::Currency,
    ) -> Result<i64> {
        let account = vouch_domain::ledger::Account::Available(participant.clone()).key();
        self.account_balance(&account, currency).await
    }

    async fn account_balance(
        &mut self,
        account: &str,
        currency: &vouch_domain::money::Currency,
    ) -> Result<i64> {
        let row = self
            .opt(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS balance FROM ledger_postings \
                 WHERE account = ? AND currency = ?"
                    .into(),
                &[account, currency.as_str()],
            )
            .await?;
        Ok(match row {
            Some(r) => sqlx::Row::try_get(&r, "balance")?,
            None => 0,
        })
    }

    async fn find_redemption(
        &mut self,
        participant: &ParticipantId,
        key: &str,
    ) -> Result<Option<Redemption>> {
        let sql = format!(
            "SELECT {} FROM redemptions WHERE participant_id = ? AND idempotency_key = ?",
            rows::REDEMPTION_COLS
        );
        self.opt(sql, &[participant.as_str(), key])
            .await?
            .map(|r| rows::redemption(&r))
            .transpose()
    }

    async fn insert_redemption(&mut self, r: &Redemption) -> Result<bool> {
        let sql = self.backend.sql(
            "INSERT INTO redemptions (id, workspace_id, participant_id, amount, currency, \
             idempotency_key, reference, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (participant_id, idempotency_key) DO NOTHING",
        );
        let done = sqlx::query(&sql)
            .bind(r.id.as_str())
            .bind(r.workspace_id.as_str())
            .bind(r.participant_id.as_str())
            .bind(r.amount)
            .bind(r.currency.as_str())
            .bind(r.idempotency_key.as_str())
            .bind(r.reference.as_deref())
            .bind(r.created_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn enqueue_job(&mut self, j: &NewJob) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, attempts, created_at) \
             VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
        );
        sqlx::query(&sql)
            .bind(j.id.as_str())
            .bind(j.kind.as_str())
            .bind(j.payload.to_string())
            .bind(j.dedupe_key.as_deref())
            .bind(j.run_at)
            .bind(j.run_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn finish_job(&mut self, id: &JobId) -> Result<()> {
        let sql = self.backend.sql("DELETE FROM jobs WHERE id = ?");
        sqlx::query(&sql)
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    fn emit(&mut self, events: Vec<vouch_domain::lifecycle::DomainEvent>) {
        self.events.extend(events);
    }

    async fn ensure_cursors(&mut self, subscriber: &str) -> Result<()> {
        super::outbox::ensure_cursors(&mut self.tx, self.backend, subscriber).await
    }

    async fn claim_cursor(&mut self, subscriber: &str) -> Result<Option<(WorkspaceId, i64)>> {
        super::outbox::claim_cursor(&mut self.tx, self.backend, subscriber).await
    }

    async fn outbox_after(
        &mut self,
        ws: &WorkspaceId,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<OutboxEvent>> {
        super::outbox::after(&mut self.tx, self.backend, ws, seq, limit).await
    }

    async fn advance_cursor(
        &mut self,
        subscriber: &str,
        ws: &WorkspaceId,
        seq: i64,
        now: Millis,
    ) -> Result<()> {
        super::outbox::advance(&mut self.tx, self.backend, subscriber, ws, seq, now).await
    }

    async fn insert_activity(&mut self, events: &[OutboxEvent]) -> Result<()> {
        super::outbox::insert_activity(&mut self.tx, self.backend, events).await
    }
}

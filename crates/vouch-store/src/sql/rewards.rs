//! Rewards, the ledger, and redemptions. The SQL behind [`RewardStore`] and [`RewardTx`].

use async_trait::async_trait;
use vouch_domain::attribution::ReferralStatus;
use vouch_domain::ids::*;
use vouch_domain::reward::RewardStatus;
use vouch_domain::Millis;

use super::store::ListSql;
use super::tx::Args;
use super::tx::SqlTx;
use super::{insert_values, rows, SqlStore};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::rewards::*;

#[async_trait]
impl RewardStore for SqlStore {
    async fn balances(&self, id: &ParticipantId) -> Result<Vec<Balance>> {
        use vouch_domain::ledger::Account;
        // Balances are sums of postings, never a stored number.
        let accounts = [
            Account::Pending(id.clone()).key(),
            Account::Available(id.clone()).key(),
            Account::Payable(id.clone()).key(),
            Account::InPayout(id.clone()).key(),
            Account::PaidOut(id.clone()).key(),
        ];
        let sum = |name: &str| {
            format!(
                "CAST(COALESCE(SUM(CASE WHEN account = ? THEN amount ELSE 0 END), 0) AS BIGINT) \
                 AS {name}"
            )
        };
        let sql = format!(
            "SELECT currency, {}, {}, {}, {}, {} FROM ledger_postings \
             WHERE account IN (?, ?, ?, ?, ?) GROUP BY currency ORDER BY currency",
            sum("pending"),
            sum("available"),
            sum("payable"),
            sum("in_payout"),
            sum("paid_out")
        );
        let args: Vec<&str> = accounts
            .iter()
            .chain(accounts.iter())
            .map(String::as_str)
            .collect();
        let rows = self.many(sql, &args).await?;
        rows.iter().map(rows::balance).collect()
    }
    async fn rewards_for_events(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE program_id = ? AND event_id IN (SELECT id FROM events \
             WHERE program_id = ? AND occurred_at >= ? AND occurred_at < ?) ORDER BY id",
            rows::REWARD_COLS
        );
        let sql = self.backend.sql_owned(sql);
        let rows = sqlx::query(&sql)
            .bind(program.as_str())
            .bind(program.as_str())
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::reward).collect()
    }
    async fn get_reward(&self, ws: &WorkspaceId, id: &RewardId) -> Result<Option<Reward>> {
        let sql = format!(
            "SELECT {} FROM rewards WHERE id = ? AND workspace_id = ?",
            rows::REWARD_COLS
        );
        let sql = self.backend.sql_owned(sql);
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| rows::reward(&r)).transpose()
    }
    async fn list_rewards(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Reward>> {
        let mut list = ListSql::new(
            &format!("SELECT {} FROM rewards", rows::REWARD_COLS),
            ws,
            "workspace_id",
        );
        if let Some(p) = &q.program_id {
            list.filter("program_id = ?", &[p.as_str()]);
        }
        if let Some(p) = &q.participant_id {
            list.filter("participant_id = ?", &[p.as_str()]);
        }
        if let Some(s) = &q.status {
            list.filter("status = ?", &[s]);
        }
        let rows = list.fetch(self, "id", q).await?;
        let items = rows.iter().map(rows::reward).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, q.limit, |r| r.id.to_string()))
    }
}

#[async_trait]
impl RewardTx for SqlTx {
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
                .bind(r.trigger.key())
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
                .bind(r.pending_reason.map(PendingReason::as_str))
                .bind(r.coupon_code.as_deref())
                .bind(r.coupon_expires_at);
        }
        let rows = q.fetch_all(self.conn().await?).await?;
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
        let args = Args::default()
            .arg(program.as_str())
            .arg(currency.as_str())
            .arg(delta);
        self.write(&sql, args).await?;
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
        let args = Args::default()
            .arg(r.status.as_str())
            .arg(r.updated_at)
            .arg(r.pending_reason.map(PendingReason::as_str))
            .arg(r.reversed_amount)
            .arg(r.coupon_code.as_deref())
            .arg(r.coupon_expires_at)
            .arg(r.fulfilment_reference.as_deref())
            .arg(r.fulfilled_at)
            .arg(r.payout_line_id.as_deref())
            .arg(r.id.as_str());
        self.write(&sql, args).await?;
        Ok(())
    }
    async fn post_ledger(&mut self, txs: &[NewLedgerTx]) -> Result<()> {
        if let Some(t) = txs
            .iter()
            .find(|t| t.postings.is_empty() || !vouch_domain::ledger::is_balanced(&t.postings))
        {
            return Err(StoreError::corrupt(format!(
                "unbalanced ledger transaction {}",
                t.idempotency_key
            )));
        }
        // SQLite binds at most 32 766 values a statement: a payout run for thousands of
        // advocates posts its transactions in chunks.
        for chunk in txs.chunks(LEDGER_CHUNK) {
            self.post_ledger_chunk(chunk).await?;
        }
        Ok(())
    }
    async fn advocate_totals(&mut self, q: &TotalsQuery<'_>) -> Result<AdvocateTotals> {
        let mut cols = vec![];
        for (i, _) in q.conversions.iter().enumerate() {
            // Counting stops at the limit: a super-advocate's thousandth referral costs
            // what their tenth did.
            cols.push(format!(
                "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM referrals \
                 WHERE referrer_participant_id = ? AND converted_at >= ? \
                 AND status IN ({}) LIMIT ?) AS c{i}) AS conv{i}",
                super::status_list(&ReferralStatus::CONVERTED, |s| s.as_str())
            ));
        }
        if let Some(u) = &q.usage {
            // What "standing" means is the domain's; milestone bonuses take no slot.
            let standing = super::status_list(&RewardStatus::STANDING, |s| s.as_str());
            let slots = format!(
                "FROM rewards WHERE participant_id = ? AND role = 'referrer' \
                 AND created_at >= ? AND status IN ({standing}) \
                 AND trigger NOT LIKE 'milestone:%'"
            );
            let what = if u.per_referral {
                "DISTINCT referral_id"
            } else {
                "1"
            };
            cols.push(format!(
                "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT {what} {slots} LIMIT ?) AS u) \
                 AS usage_n, \
                 (SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 {slots} \
                 AND referral_id = ? LIMIT 1) AS r) AS usage_this"
            ));
            if u.currency.is_some() {
                cols.push(format!(
                    "(SELECT CAST(COALESCE(SUM(amount - reversed_amount), 0) AS BIGINT) \
                     FROM rewards WHERE participant_id = ? AND role = 'referrer' \
                     AND created_at >= ? AND currency = ? \
                     AND status IN ({standing})) AS usage_sum"
                ));
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
        if let Some(u) = &q.usage {
            query = query.bind(referrer).bind(u.since).bind(u.limit.max(0));
            let this = q.referral.map(|r| r.as_str()).unwrap_or_default();
            query = query.bind(referrer).bind(u.since).bind(this);
            if let Some(c) = &u.currency {
                query = query.bind(referrer).bind(u.since).bind(c.as_str());
            }
        }
        if let Some((program, currency)) = &q.spend {
            query = query
                .bind(program.as_str())
                .bind(currency.as_str())
                .bind(program.as_str());
        }
        let row = query.fetch_one(self.conn().await?).await?;
        let get = |c: &str| -> Result<i64> { Ok(sqlx::Row::try_get(&row, c)?) };
        let mut t = AdvocateTotals::default();
        for i in 0..q.conversions.len() {
            t.conversions.push(get(&format!("conv{i}"))?);
        }
        if let Some(u) = &q.usage {
            t.usage_count = get("usage_n")?;
            t.this_referral_counted = get("usage_this")? > 0;
            if u.currency.is_some() {
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
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Ledger transactions per statement: 6 values each, and their postings 5 each.
const LEDGER_CHUNK: usize = 500;

impl SqlTx {
    /// Posts up to [`LEDGER_CHUNK`] balanced transactions in two statements.
    async fn post_ledger_chunk(&mut self, txs: &[NewLedgerTx]) -> Result<()> {
        let mut sql = insert_values(
            "INSERT INTO ledger_transactions (id, workspace_id, idempotency_key, kind, reward_id, created_at)",
            txs.len(),
            6,
        );
        sql.push_str(" ON CONFLICT (idempotency_key) DO NOTHING");
        let sql = self.backend.sql_owned(sql);
        let mut args = Args::default();
        for t in txs {
            args = args
                .arg(t.id.as_str())
                .arg(t.workspace_id.as_str())
                .arg(t.idempotency_key.as_str())
                .arg(t.kind.as_str())
                .arg(t.reward_id.as_ref().map(|r| r.as_str()))
                .arg(t.created_at);
        }
        self.write(&sql, args).await?;
        // Every posting in one statement; a transaction whose key was posted before was
        // skipped above, so its (fresh) id is absent and its postings are skipped too.
        let count: usize = txs.iter().map(|t| t.postings.len()).sum();
        let values = super::insert_values("", count, 5);
        let values = values.trim_start().trim_start_matches("VALUES ");
        let sql = self.backend.sql_owned(format!(
            "INSERT INTO ledger_postings (transaction_id, workspace_id, account, currency, amount) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5 FROM (VALUES {values}) \
             AS v WHERE EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = v.column1)"
        ));
        let mut args = Args::default();
        for t in txs {
            for p in &t.postings {
                args = args
                    .arg(t.id.as_str())
                    .arg(t.workspace_id.as_str())
                    .arg(p.account.as_str())
                    .arg(p.currency.as_str())
                    .arg(p.amount);
            }
        }
        self.write(&sql, args).await
    }
}

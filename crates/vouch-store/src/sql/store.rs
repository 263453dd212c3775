//! [`Store`] for [`SqlStore`]: reads and single-statement writes.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use super::tx::SqlTx;
use super::{numbered, rows, Backend, SqlStore};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::{Store, StoreTx};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A list query's SQL and arguments, built from optional filters.
struct ListSql {
    sql: String,
    args: Vec<String>,
}

impl ListSql {
    fn new(select: &str, ws: &WorkspaceId, ws_col: &str) -> Self {
        Self {
            sql: format!("{select} WHERE {ws_col} = ?"),
            args: vec![ws.to_string()],
        }
    }

    fn filter(&mut self, clause: &str, values: &[&str]) {
        self.sql.push_str(" AND ");
        self.sql.push_str(clause);
        self.args.extend(values.iter().map(|v| v.to_string()));
    }

    async fn fetch(mut self, store: &SqlStore, id_col: &str, q: &ListQuery) -> Result<Vec<AnyRow>> {
        if let Some(c) = &q.cursor {
            self.filter(&format!("{id_col} < ?"), &[c]);
        }
        self.sql
            .push_str(&format!(" ORDER BY {id_col} DESC LIMIT {}", q.limit + 1));
        let sql = match store.backend {
            Backend::Sqlite => self.sql,
            Backend::Postgres => numbered(&self.sql),
        };
        let mut query = sqlx::query(&sql);
        for a in &self.args {
            query = query.bind(a.as_str());
        }
        Ok(query.fetch_all(&store.pool).await?)
    }
}

impl SqlStore {
    async fn one(&self, sql: &'static str, args: &[&str]) -> Result<Option<AnyRow>> {
        let sql = self.backend.sql(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_optional(&self.pool).await?)
    }

    async fn many(&self, sql: String, args: &[&str]) -> Result<Vec<AnyRow>> {
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }
}

const POOL_SELECT: &str = "SELECT p.id, p.workspace_id, p.program_id, p.name, p.created_at, \
    CAST((SELECT COUNT(*) FROM coupon_pool_codes c WHERE c.pool_id = p.id \
      AND c.reward_id IS NULL) AS BIGINT) AS available, \
    CAST((SELECT COUNT(*) FROM coupon_pool_codes c WHERE c.pool_id = p.id \
      AND c.reward_id IS NOT NULL) AS BIGINT) AS issued FROM coupon_pools p";

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn begin(&self) -> Result<Box<dyn StoreTx>> {
        let tx = self.writer.begin().await?;
        Ok(Box::new(SqlTx::new(self.backend, tx)))
    }

    async fn count_workspaces(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM workspaces")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    async fn create_workspace(&self, ws: &Workspace, keys: &[NewApiKey]) -> Result<()> {
        let b = self.backend;
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            &b.sql("INSERT INTO workspaces (id, name, hash_key, created_at) VALUES (?, ?, ?, ?)"),
        )
        .bind(ws.id.as_str())
        .bind(ws.name.as_str())
        .bind(ws.hash_key.as_str())
        .bind(ws.created_at)
        .execute(&mut *tx)
        .await?;
        for k in keys {
            sqlx::query(&b.sql(
                "INSERT INTO api_keys (id, workspace_id, kind, key_hash, key_hint, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            ))
            .bind(k.id.as_str())
            .bind(ws.id.as_str())
            .bind(k.kind.as_str())
            .bind(k.key_hash.as_str())
            .bind(k.key_hint.as_str())
            .bind(ws.created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>> {
        self.one(
            "SELECT id, name, hash_key, created_at FROM workspaces WHERE id = ?",
            &[id.as_str()],
        )
        .await?
        .map(|r| rows::workspace(&r))
        .transpose()
    }

    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>> {
        self.one(
            "SELECT id, workspace_id, kind FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            &[key_hash],
        )
        .await?
        .map(|r| rows::api_key(&r))
        .transpose()
    }

    async fn insert_program(&self, p: &Program) -> Result<()> {
        let config = serde_json::to_string(&p.config).map_err(StoreError::corrupt)?;
        let sql = self.backend.sql(
            "INSERT INTO programs (id, workspace_id, slug, status, config, version, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING",
        );
        let done = sqlx::query(&sql)
            .bind(p.id.as_str())
            .bind(p.workspace_id.as_str())
            .bind(p.slug.as_str())
            .bind(p.status.as_str())
            .bind(config)
            .bind(p.version)
            .bind(p.created_at)
            .bind(p.updated_at)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict { what: "slug" });
        }
        Ok(())
    }

    async fn update_program(&self, p: &Program) -> Result<()> {
        let config = serde_json::to_string(&p.config).map_err(StoreError::corrupt)?;
        let sql = self.backend.sql(
            "UPDATE programs SET status = ?, config = ?, version = ?, updated_at = ? \
             WHERE id = ? AND workspace_id = ?",
        );
        sqlx::query(&sql)
            .bind(p.status.as_str())
            .bind(config)
            .bind(p.version)
            .bind(p.updated_at)
            .bind(p.id.as_str())
            .bind(p.workspace_id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn get_program(&self, ws: &WorkspaceId, id: &ProgramId) -> Result<Option<Program>> {
        let sql = self.backend.sql(
            "SELECT id, workspace_id, slug, status, config, version, created_at, updated_at \
             FROM programs WHERE id = ? AND workspace_id = ?",
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| rows::program(&r)).transpose()
    }

    async fn get_program_by_slug(&self, slug: &str) -> Result<Option<Program>> {
        self.one(
            "SELECT id, workspace_id, slug, status, config, version, created_at, updated_at \
             FROM programs WHERE slug = ?",
            &[slug],
        )
        .await?
        .map(|r| rows::program(&r))
        .transpose()
    }

    async fn list_programs(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Program>> {
        let list = ListSql::new(
            &format!("SELECT {} FROM programs", rows::PROGRAM_COLS),
            ws,
            "workspace_id",
        );
        let rows = list.fetch(self, "id", q).await?;
        let items = rows.iter().map(rows::program).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, q.limit, |p| p.id.to_string()))
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
        let sql = self.backend.sql(
            // A funnel: a friend who bought has signed up, whether or not the shop
            // reported the signup; rejected referrals count for nothing, refunded
            // ones are no longer conversions.
            "SELECT (SELECT COUNT(*) FROM clicks WHERE participant_id = ?) AS clicks, \
             (SELECT COUNT(*) FROM referrals WHERE referrer_participant_id = ? \
                AND status <> 'rejected' \
                AND (signed_up_at IS NOT NULL OR converted_at IS NOT NULL)) AS signups, \
             (SELECT COUNT(*) FROM referrals WHERE referrer_participant_id = ? \
                AND converted_at IS NOT NULL \
                AND status NOT IN ('rejected', 'reversed')) AS conversions",
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(id.as_str())
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(ParticipantStats {
            clicks: row.try_get("clicks")?,
            signups: row.try_get("signups")?,
            conversions: row.try_get("conversions")?,
        })
    }

    async fn balances(&self, id: &ParticipantId) -> Result<Vec<Balance>> {
        use vouch_domain::ledger::Account;
        // Balances are sums of postings, never a stored number.
        let accounts = [
            Account::Pending(id.clone()).key(),
            Account::Available(id.clone()).key(),
            Account::Payable(id.clone()).key(),
            Account::PaidOut(id.clone()).key(),
        ];
        let sum = |name: &str| {
            format!(
                "CAST(COALESCE(SUM(CASE WHEN account = ? THEN amount ELSE 0 END), 0) AS BIGINT) \
                 AS {name}"
            )
        };
        let sql = format!(
            "SELECT currency, {}, {}, {}, {} FROM ledger_postings WHERE account IN (?, ?, ?, ?) \
             GROUP BY currency ORDER BY currency",
            sum("pending"),
            sum("available"),
            sum("payable"),
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

    async fn program_payments(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<RecordedEvent>> {
        let sql = self.backend.sql(
            "SELECT id, type, order_id, amount, currency, referral_id, occurred_at FROM events \
             WHERE program_id = ? AND type IN ('purchase', 'subscription_payment') \
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

    async fn get_coupon_pool(
        &self,
        ws: &WorkspaceId,
        id: &CouponPoolId,
    ) -> Result<Option<CouponPool>> {
        let sql = format!("{POOL_SELECT} WHERE p.id = ? AND p.workspace_id = ?");
        let rows = self.many(sql, &[id.as_str(), ws.as_str()]).await?;
        rows.first().map(rows::coupon_pool).transpose()
    }

    async fn list_coupon_pools(
        &self,
        ws: &WorkspaceId,
        program: &ProgramId,
    ) -> Result<Vec<CouponPool>> {
        let sql =
            format!("{POOL_SELECT} WHERE p.workspace_id = ? AND p.program_id = ? ORDER BY p.id");
        let rows = self.many(sql, &[ws.as_str(), program.as_str()]).await?;
        rows.iter().map(rows::coupon_pool).collect()
    }

    async fn get_payout(
        &self,
        ws: &WorkspaceId,
        id: &PayoutId,
    ) -> Result<Option<(Payout, Vec<PayoutLine>)>> {
        let sql = format!(
            "SELECT {} FROM payouts WHERE id = ? AND workspace_id = ?",
            rows::PAYOUT_COLS
        );
        let rows = self.many(sql, &[id.as_str(), ws.as_str()]).await?;
        let Some(payout) = rows.first().map(rows::payout).transpose()? else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {} FROM payout_lines WHERE payout_id = ? ORDER BY id",
            rows::PAYOUT_LINE_COLS
        );
        let lines = self
            .many(sql, &[id.as_str()])
            .await?
            .iter()
            .map(rows::payout_line)
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((payout, lines)))
    }

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

    async fn list_payouts(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Payout>> {
        let mut list = ListSql::new(
            &format!("SELECT {} FROM payouts", rows::PAYOUT_COLS),
            ws,
            "workspace_id",
        );
        if let Some(p) = &q.program_id {
            list.filter("program_id = ?", &[p.as_str()]);
        }
        if let Some(s) = &q.status {
            list.filter("status = ?", &[s]);
        }
        let rows = list.fetch(self, "id", q).await?;
        let items = rows.iter().map(rows::payout).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, q.limit, |p| p.id.to_string()))
    }

    async fn link_target(&self, code: &str) -> Result<Option<LinkTarget>> {
        self.one(
            "SELECT c.display AS code, c.workspace_id, c.program_id, c.participant_id, \
             pr.config, pr.status AS program_status, pa.status AS participant_status, \
             w.hash_key \
             FROM referral_codes c \
             JOIN programs pr ON pr.id = c.program_id \
             JOIN participants pa ON pa.id = c.participant_id \
             JOIN workspaces w ON w.id = c.workspace_id \
             WHERE c.code = ?",
            &[code],
        )
        .await?
        .map(|r| rows::link_target(&r))
        .transpose()
    }

    async fn insert_clicks(&self, clicks: &[NewClick]) -> Result<()> {
        if clicks.is_empty() {
            return Ok(());
        }
        // One multi-row INSERT per batch, outside an explicit transaction: a single
        // statement is atomic by itself, and skipping BEGIN/COMMIT saves two round
        // trips per batch. The statement stays in the connection's cache; batch sizes
        // under load cluster, so most batches reuse a prepared one.
        let sql = super::insert_values(
            "INSERT INTO clicks (id, workspace_id, program_id, participant_id, code, \
             occurred_at, ip_hash, user_agent, referer)",
            clicks.len(),
            9,
        );
        let sql = self.backend.sql_owned(sql);
        let mut q = sqlx::query(&sql);
        for c in clicks {
            q = q
                .bind(c.id.as_str())
                .bind(c.workspace_id.as_str())
                .bind(c.program_id.as_str())
                .bind(c.participant_id.as_str())
                .bind(c.code.as_str())
                .bind(c.occurred_at)
                .bind(c.ip_hash.as_deref())
                .bind(c.user_agent.as_deref())
                .bind(c.referer.as_deref());
        }
        q.execute(&self.writer).await?;
        Ok(())
    }

    async fn get_click(&self, id: &ClickId) -> Result<Option<Click>> {
        self.one(
            "SELECT id, program_id, participant_id, occurred_at, ip_hash, user_agent, referer \
             FROM clicks WHERE id = ?",
            &[id.as_str()],
        )
        .await?
        .map(|r| rows::click(&r))
        .transpose()
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
            list.filter("review = ?", &[r]);
        }
        let rows = list.fetch(self, "id", q).await?;
        let items = rows
            .iter()
            .map(rows::referral)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, q.limit, |r| r.id.to_string()))
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

    async fn claim_jobs(&self, now: Millis, limit: i64, lease_ms: i64) -> Result<Vec<Job>> {
        let sql = match self.backend {
            Backend::Sqlite => self.backend.sql(
                "UPDATE jobs SET locked_until = ?, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM jobs WHERE run_at <= ? \
                  AND (locked_until IS NULL OR locked_until < ?) ORDER BY run_at LIMIT ?) \
                 RETURNING id, kind, payload, attempts",
            ),
            Backend::Postgres => self.backend.sql(
                "UPDATE jobs SET locked_until = ?, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM jobs WHERE run_at <= ? \
                  AND (locked_until IS NULL OR locked_until < ?) ORDER BY run_at LIMIT ? \
                  FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, payload, attempts",
            ),
        };
        let rows = sqlx::query(&sql)
            .bind(now + lease_ms)
            .bind(now)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.writer)
            .await?;
        rows.iter().map(rows::job).collect()
    }

    async fn retry_job(&self, id: &JobId, run_at: Millis, error: &str) -> Result<()> {
        let sql = self
            .backend
            .sql("UPDATE jobs SET run_at = ?, locked_until = NULL, last_error = ? WHERE id = ?");
        sqlx::query(&sql)
            .bind(run_at)
            .bind(error)
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn count_jobs(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM jobs")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    async fn list_activity(&self, q: &ActivityQuery) -> Result<Page<OutboxEvent>> {
        let rows = super::outbox::list_activity(&self.pool, self.backend, q).await?;
        Ok(Page::from_rows(rows, q.limit, |e| e.seq.to_string()))
    }
}

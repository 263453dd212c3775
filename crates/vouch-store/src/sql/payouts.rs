//! Cash payouts: batches and their lines. The SQL behind [`PayoutStore`] and [`PayoutTx`].

use async_trait::async_trait;
use vouch_domain::ids::*;

use super::store::ListSql;
use super::tx::SqlTx;
use super::{rows, SqlStore};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::payouts::*;

#[async_trait]
impl PayoutStore for SqlStore {
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
}

#[async_trait]
impl PayoutTx for SqlTx {
    async fn payable_balances(
        &mut self,
        ws: &WorkspaceId,
        program: Option<&ProgramId>,
        currency: Option<&vouch_domain::money::Currency>,
    ) -> Result<Vec<PayableBalance>> {
        // The participant id is the middle of a payable account's key (the domain says
        // what surrounds it); the program filter goes through the participant.
        let mut sql = String::from(
            "SELECT p.id AS participant_id, p.program_id AS program_id, p.email AS email, \
             l.currency AS currency, \
             CAST(SUM(l.amount) AS BIGINT) AS amount FROM ledger_postings l \
             JOIN participants p ON l.account = ? || p.id || ? \
             WHERE l.workspace_id = ?",
        );
        let (prefix, suffix) = vouch_domain::ledger::Account::PAYABLE_KEY_AROUND_ID;
        let mut args = vec![prefix.to_owned(), suffix.to_owned(), ws.as_str().to_owned()];
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
            .execute(self.conn().await?)
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
                .execute(self.conn().await?)
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
                .execute(self.conn().await?)
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
            .execute(self.conn().await?)
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
            .execute(self.conn().await?)
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
}

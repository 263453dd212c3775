//! The SQL of contests: rows with their prizes and winners as JSON.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use vouch_domain::analytics::RankBy;
use vouch_domain::contest::{Contest, ContestStatus};
use vouch_domain::ids::*;
use vouch_domain::money::Currency;
use vouch_domain::Millis;

use super::rows::{i, oi, s};
use super::tx::SqlTx;
use super::SqlStore;
use crate::contests::{ContestStore, ContestTx};
use crate::error::{Result, StoreError};

const SELECT: &str = "SELECT id, workspace_id, program_id, name, starts_at, ends_at, closes_at, \
    rank_by, currency, prizes, status, winners, closed_at, created_at, updated_at FROM contests";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("contest {what}"))
}

fn contest(r: &AnyRow) -> Result<Contest> {
    let rank_by = match s(r, "rank_by")?.as_str() {
        "revenue" => RankBy::Revenue,
        "conversions" => RankBy::Conversions,
        _ => return Err(corrupt("rank_by")),
    };
    Ok(Contest {
        id: ContestId::from_trusted(s(r, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(r, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(r, "program_id")?),
        name: s(r, "name")?,
        starts_at: i(r, "starts_at")?,
        ends_at: i(r, "ends_at")?,
        closes_at: i(r, "closes_at")?,
        rank_by,
        currency: Currency::parse("currency", &s(r, "currency")?)
            .map_err(|_| corrupt("currency"))?,
        prizes: serde_json::from_str(&s(r, "prizes")?).map_err(|_| corrupt("prizes"))?,
        status: ContestStatus::parse(&s(r, "status")?).ok_or_else(|| corrupt("status"))?,
        winners: serde_json::from_str(&s(r, "winners")?).map_err(|_| corrupt("winners"))?,
        closed_at: oi(r, "closed_at")?,
        created_at: i(r, "created_at")?,
        updated_at: i(r, "updated_at")?,
    })
}

fn rank_by(c: &Contest) -> &'static str {
    match c.rank_by {
        RankBy::Conversions => "conversions",
        RankBy::Revenue => "revenue",
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl ContestStore for SqlStore {
    async fn insert_contest(&self, c: &Contest) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO contests (id, workspace_id, program_id, name, starts_at, ends_at, \
             closes_at, rank_by, currency, prizes, status, winners, closed_at, created_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(c.id.as_str())
            .bind(c.workspace_id.as_str())
            .bind(c.program_id.as_str())
            .bind(c.name.as_str())
            .bind(c.starts_at)
            .bind(c.ends_at)
            .bind(c.closes_at)
            .bind(rank_by(c))
            .bind(c.currency.as_str())
            .bind(json(&c.prizes)?)
            .bind(c.status.as_str())
            .bind(json(&c.winners)?)
            .bind(c.closed_at)
            .bind(c.created_at)
            .bind(c.updated_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
    async fn get_contest(&self, ws: &WorkspaceId, id: &ContestId) -> Result<Option<Contest>> {
        let sql = format!("{SELECT} WHERE workspace_id = ? AND id = ?");
        self.many(sql, &[ws.as_str(), id.as_str()])
            .await?
            .first()
            .map(contest)
            .transpose()
    }
    async fn list_contests(
        &self,
        ws: &WorkspaceId,
        program: Option<&ProgramId>,
    ) -> Result<Vec<Contest>> {
        let rows = match program {
            Some(p) => {
                let sql = format!(
                    "{SELECT} WHERE workspace_id = ? AND program_id = ? ORDER BY id DESC LIMIT 500"
                );
                self.many(sql, &[ws.as_str(), p.as_str()]).await?
            }
            None => {
                let sql = format!("{SELECT} WHERE workspace_id = ? ORDER BY id DESC LIMIT 500");
                self.many(sql, &[ws.as_str()]).await?
            }
        };
        rows.iter().map(contest).collect()
    }
    async fn due_contests(&self, now: Millis, limit: i64) -> Result<Vec<Contest>> {
        let sql = format!(
            "{SELECT} WHERE status = 'open' AND closes_at <= CAST(? AS BIGINT) \
             ORDER BY closes_at LIMIT CAST(? AS BIGINT)"
        );
        self.many(sql, &[&now.to_string(), &limit.to_string()])
            .await?
            .iter()
            .map(contest)
            .collect()
    }
    async fn cancel_contest(&self, c: &Contest) -> Result<bool> {
        let sql = self
            .backend
            .sql("UPDATE contests SET status = ?, updated_at = ? WHERE id = ? AND status = 'open'");
        let done = sqlx::query(&sql)
            .bind(c.status.as_str())
            .bind(c.updated_at)
            .bind(c.id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[async_trait]
impl ContestTx for SqlTx {
    async fn close_contest(&mut self, c: &Contest) -> Result<bool> {
        let sql = self.backend.sql(
            "UPDATE contests SET status = ?, winners = ?, closed_at = ?, updated_at = ? \
             WHERE id = ? AND status = 'open'",
        );
        let winners = json(&c.winners)?;
        let done = sqlx::query(&sql)
            .bind(c.status.as_str())
            .bind(winners.as_str())
            .bind(c.closed_at)
            .bind(c.updated_at)
            .bind(c.id.as_str())
            .execute(self.conn().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }
    async fn record_contest_winners(&mut self, c: &Contest) -> Result<()> {
        let sql = self
            .backend
            .sql("UPDATE contests SET winners = ? WHERE id = ?");
        let args = super::tx::Args::default()
            .arg(json(&c.winners)?)
            .arg(c.id.as_str());
        self.write(&sql, args).await
    }
}

//! Links and the click log. The SQL behind [`ClickStore`] and [`ClickTx`].

use async_trait::async_trait;
use vouch_domain::ids::*;

use super::tx::SqlTx;
use super::{rows, SqlStore};
use crate::clicks::*;
use crate::error::Result;
use crate::model::*;

#[async_trait]
impl ClickStore for SqlStore {
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
             occurred_at, ip_hash, user_agent, referer, source, is_unique)",
            clicks.len(),
            11,
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
                .bind(c.referer.as_deref())
                .bind(c.source.as_deref())
                .bind(i64::from(c.unique));
        }
        q.execute(&self.writer).await?;
        Ok(())
    }
    async fn count_visit(&self, v: &LinkVisit) -> Result<()> {
        let sql = self.backend.sql(
            "INSERT INTO link_visits (participant_id, workspace_id, program_id, kind, app, \
             day, visits) VALUES (?, ?, ?, ?, ?, ?, 1) \
             ON CONFLICT (participant_id, kind, app, day) \
             DO UPDATE SET visits = link_visits.visits + 1",
        );
        let day = v.at.div_euclid(vouch_domain::DAY_MS) * vouch_domain::DAY_MS;
        sqlx::query(&sql)
            .bind(v.participant_id.as_str())
            .bind(v.workspace_id.as_str())
            .bind(v.program_id.as_str())
            .bind(v.kind)
            .bind(v.app)
            .bind(day)
            .execute(&self.writer)
            .await?;
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
}

#[async_trait]
impl ClickTx for SqlTx {
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
}

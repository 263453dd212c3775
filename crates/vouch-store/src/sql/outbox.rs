//! The outbox aggregate: appending domain events with the change that caused them,
//! subscribers' cursors, and the activity feed.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection};
use vouch_domain::ids::{ActivityId, ParticipantId, ProgramId, WorkspaceId};
use vouch_domain::lifecycle::{DomainEvent, EventType};
use vouch_domain::Millis;

use super::rows::{i, os, s};
use super::tx::Args;
use super::tx::SqlTx;
use super::Backend;
use super::SqlStore;
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::outbox::*;
use async_trait::async_trait;

const COLS: &str =
    "workspace_id, seq, id, type, subject_id, program_id, participant_id, data, occurred_at";

/// `?` on SQLite, `$n` on PostgreSQL: the append binds positions explicitly.
fn ph(b: Backend, n: usize) -> String {
    match b {
        Backend::Sqlite => "?".into(),
        Backend::Postgres => format!("${n}"),
    }
}

/// The statement that appends one workspace's events, numbering them after the last.
pub(crate) fn append(
    b: Backend,
    ws: &WorkspaceId,
    events: &[&DomainEvent],
) -> Result<(String, Args)> {
    let n = i64::try_from(events.len()).map_err(|_| StoreError::corrupt("too many events"))?;
    // The per-event values follow the two header parameters.
    let first = 3;
    let mut values = String::new();
    for k in 0..events.len() {
        if k > 0 {
            values.push(',');
        }
        let base = first + k * 8;
        let cols: Vec<String> = (0..8).map(|c| ph(b, base + c)).collect();
        values.push_str(&format!("({})", cols.join(", ")));
    }
    let sql = match b {
        // One writer: the outbox's own maximum is the last number.
        Backend::Sqlite => format!(
            "INSERT INTO outbox ({COLS}) SELECT ?, m.base + v.column1, v.column2, v.column3, \
             v.column4, v.column5, v.column6, v.column7, v.column8 \
             FROM (SELECT COALESCE(MAX(seq), 0) AS base FROM outbox WHERE workspace_id = ?) AS m, \
             (VALUES {values}) AS v"
        ),
        // The sequence row stays locked until commit: numbers commit in order.
        Backend::Postgres => format!(
            "WITH s AS (INSERT INTO outbox_sequences (workspace_id, last_seq) VALUES ($1, $2) \
             ON CONFLICT (workspace_id) DO UPDATE \
             SET last_seq = outbox_sequences.last_seq + EXCLUDED.last_seq \
             RETURNING last_seq - $2 AS base) \
             INSERT INTO outbox ({COLS}) SELECT $1, s.base + v.n, v.id, v.type, v.subject_id, \
             v.program_id, v.participant_id, v.data, v.occurred_at FROM s, (VALUES {values}) \
             AS v(n, id, type, subject_id, program_id, participant_id, data, occurred_at)"
        ),
    };
    let mut q = Args::default().arg(ws.as_str());
    q = match b {
        // SQLite's statement names the workspace twice (select list, then the maximum).
        Backend::Sqlite => q.arg(ws.as_str()),
        Backend::Postgres => q.arg(n),
    };
    let data: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(&e.data))
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::corrupt(format!("event data: {e}")))?;
    for (k, (e, d)) in events.iter().zip(&data).enumerate() {
        q = q
            .arg(i64::try_from(k + 1).unwrap_or(i64::MAX))
            .arg(e.id.as_str())
            .arg(e.kind.as_str())
            .arg(e.subject_id.as_str())
            .arg(e.program_id.as_ref().map(|p| p.as_str()))
            .arg(e.participant_id.as_ref().map(|p| p.as_str()))
            .arg(d.as_str())
            .arg(e.occurred_at);
    }
    Ok((sql, q))
}

/// An outbox or activity row.
pub(crate) fn event(row: &AnyRow) -> Result<OutboxEvent> {
    let kind = s(row, "type")?;
    Ok(OutboxEvent {
        seq: i(row, "seq")?,
        event: DomainEvent {
            id: ActivityId::from_trusted(s(row, "id")?),
            kind: EventType::parse(&kind)
                .ok_or_else(|| StoreError::corrupt(format!("event type {kind}")))?,
            workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
            program_id: os(row, "program_id")?.map(ProgramId::from_trusted),
            participant_id: os(row, "participant_id")?.map(ParticipantId::from_trusted),
            subject_id: s(row, "subject_id")?,
            data: serde_json::from_str(&s(row, "data")?)
                .map_err(|e| StoreError::corrupt(format!("event data: {e}")))?,
            occurred_at: i(row, "occurred_at")?,
        },
    })
}

/// Creates the cursors a subscriber lacks (new workspaces, or a new subscriber), at 0.
pub(crate) async fn ensure_cursors(
    conn: &mut AnyConnection,
    b: Backend,
    subscriber: &str,
) -> Result<()> {
    let sql = b.sql(
        "INSERT INTO outbox_cursors (subscriber, workspace_id, last_seq, updated_at) \
         SELECT ?, w.id, 0, 0 FROM workspaces w WHERE NOT EXISTS \
         (SELECT 1 FROM outbox_cursors c WHERE c.subscriber = ? AND c.workspace_id = w.id) \
         ON CONFLICT DO NOTHING",
    );
    sqlx::query::<Any>(&sql)
        .bind(subscriber)
        .bind(subscriber)
        .execute(conn)
        .await?;
    Ok(())
}

/// The least recently served workspace with events the subscriber has not seen; on
/// PostgreSQL its cursor stays locked until commit and other instances skip it.
pub(crate) async fn claim_cursor(
    conn: &mut AnyConnection,
    b: Backend,
    subscriber: &str,
) -> Result<Option<(WorkspaceId, i64)>> {
    let lock = match b {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let sql = b.sql_owned(format!(
        "SELECT c.workspace_id, c.last_seq FROM outbox_cursors c WHERE c.subscriber = ? \
         AND EXISTS (SELECT 1 FROM outbox o WHERE o.workspace_id = c.workspace_id \
         AND o.seq > c.last_seq) ORDER BY c.updated_at LIMIT 1{lock}"
    ));
    let row = sqlx::query::<Any>(&sql)
        .bind(subscriber)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok((
            WorkspaceId::from_trusted(s(&r, "workspace_id")?),
            i(&r, "last_seq")?,
        ))
    })
    .transpose()
}

/// A workspace's events after `seq`, oldest first.
pub(crate) async fn after(
    conn: &mut AnyConnection,
    b: Backend,
    ws: &WorkspaceId,
    seq: i64,
    limit: i64,
) -> Result<Vec<OutboxEvent>> {
    let sql = b.sql_owned(format!(
        "SELECT {COLS} FROM outbox WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?"
    ));
    let rows = sqlx::query::<Any>(&sql)
        .bind(ws.as_str())
        .bind(seq)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(event).collect()
}

pub(crate) async fn advance(
    conn: &mut AnyConnection,
    b: Backend,
    subscriber: &str,
    ws: &WorkspaceId,
    seq: i64,
    now: Millis,
) -> Result<()> {
    let sql = b.sql(
        "UPDATE outbox_cursors SET last_seq = ?, updated_at = ? \
         WHERE subscriber = ? AND workspace_id = ? AND last_seq < ?",
    );
    sqlx::query::<Any>(&sql)
        .bind(seq)
        .bind(now)
        .bind(subscriber)
        .bind(ws.as_str())
        .bind(seq)
        .execute(conn)
        .await?;
    Ok(())
}

/// Copies events into the activity feed; an event already there is skipped.
pub(crate) async fn insert_activity(
    conn: &mut AnyConnection,
    b: Backend,
    events: &[OutboxEvent],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let head = format!("INSERT INTO activity ({COLS})");
    let sql = b.sql_owned(format!(
        "{} ON CONFLICT DO NOTHING",
        super::insert_values(&head, events.len(), 9)
    ));
    let data: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(&e.event.data))
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::corrupt(format!("event data: {e}")))?;
    let mut q = sqlx::query::<Any>(&sql);
    for (o, d) in events.iter().zip(&data) {
        let e = &o.event;
        q = q
            .bind(e.workspace_id.as_str())
            .bind(o.seq)
            .bind(e.id.as_str())
            .bind(e.kind.as_str())
            .bind(e.subject_id.as_str())
            .bind(e.program_id.as_ref().map(|p| p.as_str()))
            .bind(e.participant_id.as_ref().map(|p| p.as_str()))
            .bind(d.as_str())
            .bind(e.occurred_at);
    }
    q.execute(conn).await?;
    Ok(())
}

/// A page of the activity feed: newest first, after the cursor (`seq`).
pub(crate) async fn list_activity(
    pool: &sqlx::AnyPool,
    b: Backend,
    q: &crate::model::ActivityQuery,
) -> Result<Vec<OutboxEvent>> {
    let mut sql = format!("SELECT {COLS} FROM activity WHERE workspace_id = ?");
    let mut args = vec![q.workspace_id.to_string()];
    let mut filter = |clause: &str, v: String| {
        sql.push_str(clause);
        args.push(v);
    };
    if let Some(p) = &q.program_id {
        filter(" AND program_id = ?", p.to_string());
    }
    if let Some(p) = &q.participant_id {
        filter(" AND participant_id = ?", p.to_string());
    }
    if let Some(s) = &q.subject_id {
        filter(" AND subject_id = ?", s.clone());
    }
    if !q.types.is_empty() {
        // Known names only (an enum), so they can be written into the SQL.
        let list = q
            .types
            .iter()
            .map(|t| format!("'{}'", t.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" AND type IN ({list})"));
    }
    if q.cursor.is_some() {
        sql.push_str(" AND seq < ?");
    }
    sql.push_str(" ORDER BY seq DESC LIMIT ?");
    let sql = b.sql_owned(sql);
    let mut query = sqlx::query::<Any>(&sql);
    for a in &args {
        query = query.bind(a.as_str());
    }
    if let Some(c) = q.cursor {
        query = query.bind(c);
    }
    let rows = query.bind(q.limit + 1).fetch_all(pool).await?;
    rows.iter().map(event).collect()
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn list_activity(&self, q: &ActivityQuery) -> Result<Page<OutboxEvent>> {
        let rows = super::outbox::list_activity(&self.pool, self.backend, q).await?;
        Ok(Page::from_rows(rows, q.limit, |e| e.seq.to_string()))
    }
}

#[async_trait]
impl OutboxTx for SqlTx {
    fn emit(&mut self, events: Vec<vouch_domain::lifecycle::DomainEvent>) {
        self.events.extend(events);
    }
    async fn ensure_cursors(&mut self, subscriber: &str) -> Result<()> {
        {
            let b = self.backend;
            super::outbox::ensure_cursors(self.conn().await?, b, subscriber).await
        }
    }
    async fn claim_cursor(&mut self, subscriber: &str) -> Result<Option<(WorkspaceId, i64)>> {
        {
            let b = self.backend;
            super::outbox::claim_cursor(self.conn().await?, b, subscriber).await
        }
    }
    async fn outbox_after(
        &mut self,
        ws: &WorkspaceId,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<OutboxEvent>> {
        {
            let b = self.backend;
            super::outbox::after(self.conn().await?, b, ws, seq, limit).await
        }
    }
    async fn advance_cursor(
        &mut self,
        subscriber: &str,
        ws: &WorkspaceId,
        seq: i64,
        now: Millis,
    ) -> Result<()> {
        {
            let b = self.backend;
            super::outbox::advance(self.conn().await?, b, subscriber, ws, seq, now).await
        }
    }
    async fn insert_activity(&mut self, events: &[OutboxEvent]) -> Result<()> {
        {
            let b = self.backend;
            super::outbox::insert_activity(self.conn().await?, b, events).await
        }
    }
}

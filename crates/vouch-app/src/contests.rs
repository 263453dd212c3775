//! Contests: creating one, its standings while it runs, and closing it once, with its
//! prizes issued through the ledger, whichever instance gets there first.

use std::collections::HashSet;

use vouch_domain::analytics::{rank, GroupBy, Metrics};
use vouch_domain::contest::{winners, Contest, NewContest, Winner};
use vouch_domain::entities::ParticipantStatus;
use vouch_domain::ids::{ContestId, ParticipantId};
use vouch_domain::{rules, Millis};
use vouch_store::analytics::{AnalyticsQuery, Dimension, Parts};
use vouch_store::{Program, Store};

use crate::error::{AppError, Result};
use crate::rewarding;

/// Contests closed per pass; the rest wait for the next.
const BATCH: i64 = 20;

pub async fn create(
    store: &dyn Store,
    program: &Program,
    new: NewContest,
    now: Millis,
) -> Result<Contest> {
    let c = Contest::create(
        ContestId::new(),
        program.workspace_id.clone(),
        program.id.clone(),
        new,
        program.config.hold_days,
        now,
    )?;
    store.insert_contest(&c).await?;
    Ok(c)
}

/// Every advocate's figures in the contest's period (unordered).
pub async fn standings(store: &dyn Store, c: &Contest) -> Result<Vec<(String, Metrics)>> {
    let q = AnalyticsQuery {
        workspace_id: c.workspace_id.clone(),
        program_id: Some(c.program_id.clone()),
        from: c.starts_at,
        to: c.ends_at,
        currency: c.currency.to_string(),
        by: Dimension::Total,
        parts: Parts::Results,
    };
    let r = crate::analytics::report(store, q, Some(GroupBy::Advocate), None).await?;
    Ok(r.groups.into_iter().map(|g| (g.key, g.metrics)).collect())
}

/// Who holds each prize now: the winners if it closed now, and the standings shown
/// while it runs. Blocked advocates win nothing: the leaders are checked until the
/// prizes are placed.
pub async fn places(store: &dyn Store, c: &Contest) -> Result<Vec<Winner>> {
    let standings = standings(store, c).await?;
    let mut blocked = HashSet::new();
    let mut placed = 0;
    for (_, id, m) in rank(standings.clone(), c.rank_by) {
        if placed == c.prizes.len() || c.rank_by.of(&m) <= 0 {
            break;
        }
        let Some(pid) = ParticipantId::parse(&id) else {
            continue;
        };
        match store.get_participant(&c.workspace_id, &pid).await? {
            Some(p) if p.status == ParticipantStatus::Active => placed += 1,
            _ => {
                blocked.insert(id);
            }
        }
    }
    Ok(winners(standings, c.rank_by, c.prizes.len(), |id| {
        !blocked.contains(id)
    }))
}

/// Closes every contest whose time has come; returns how many this call closed.
pub async fn close_due(store: &dyn Store, now: Millis) -> Result<usize> {
    let mut closed = 0;
    for c in store.due_contests(now, BATCH).await? {
        match close(store, c, now).await {
            Ok(true) => closed += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "closing a contest failed"),
        }
    }
    Ok(closed)
}

/// Fixes the winners and issues their prizes in one transaction; false when another
/// instance closed it first (its transaction then rolls back untouched).
pub async fn close(store: &dyn Store, mut c: Contest, now: Millis) -> Result<bool> {
    let program = store
        .get_program(&c.workspace_id, &c.program_id)
        .await?
        .ok_or(AppError::NotFound { what: "program" })?;
    let won = places(store, &c).await?;
    if !c.close(won, now) {
        return Ok(false);
    }
    let mut tx = store.begin().await?;
    if !tx.close_contest(&c).await? {
        return Ok(false);
    }
    for w in c.winners.iter_mut() {
        let Some(rule) = usize::try_from(w.place)
            .ok()
            .and_then(|p| c.prizes.get(p.saturating_sub(1)))
        else {
            continue;
        };
        let Some(plan) = rules::prize_plan(rule, w.place, now) else {
            continue;
        };
        let issued = rewarding::create_rewards(
            tx.as_mut(),
            &program,
            vec![(plan, ParticipantId::from_trusted(w.participant_id.clone()))],
            rewarding::Source {
                referral: None,
                event: None,
                inputs: serde_json::json!({
                    "trigger": "contest",
                    "contest_id": c.id.to_string(),
                    "contest": c.name,
                    "place": w.place,
                }),
                held_for_review: false,
            },
            now,
        )
        .await?;
        w.reward_id = issued.first().map(|r| r.id.to_string());
    }
    tx.record_contest_winners(&c).await?;
    tx.emit(vec![c.closed_event()]);
    tx.commit().await?;
    Ok(true)
}

//! Contests: the advocates with the most conversions (or referred revenue) in a period
//! win prizes, issued as rewards when the contest closes. A contest closes once, after
//! its period and the program's hold (so refunds inside the hold count against the
//! standings), and its winners are fixed then.
//!
//! Ties: equal figures go to the advocate who joined the program first (the
//! leaderboard's rule). Advocates with nothing in the period, and blocked ones, win
//! nothing; their places go to the next.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::analytics::{Metrics, RankBy};
use crate::ids::{ContestId, ParticipantId, ProgramId, WorkspaceId};
use crate::lifecycle::{DomainEvent, EventType};
use crate::money::Currency;
use crate::rules::RewardRule;
use crate::{DomainError, Millis, Result, DAY_MS};

/// Prizes for at most this many places.
pub const MAX_PRIZES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContestStatus {
    /// Scheduled or running: its standings move.
    Open,
    /// Winners fixed and their prizes issued.
    Closed,
    /// Called off before it closed: no prizes.
    Cancelled,
}

impl ContestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => Self::Open,
            "closed" => Self::Closed,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// One place's winner, fixed when the contest closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Winner {
    /// 1 for the first prize.
    pub place: u32,
    pub participant_id: String,
    pub conversions: i64,
    pub net_revenue: i64,
    /// The prize's reward (`rwd_…`), once issued.
    pub reward_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contest {
    pub id: ContestId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub name: String,
    /// The period whose conversions count: from `starts_at` (included) to `ends_at`.
    pub starts_at: Millis,
    pub ends_at: Millis,
    /// When it closes: the end plus the program's hold.
    pub closes_at: Millis,
    pub rank_by: RankBy,
    /// The currency of referred revenue (and of the figures shown).
    pub currency: Currency,
    /// `prizes[0]` for the first place, and so on.
    pub prizes: Vec<RewardRule>,
    pub status: ContestStatus,
    pub winners: Vec<Winner>,
    pub closed_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A contest as asked for, before it is checked.
#[derive(Debug, Clone)]
pub struct NewContest {
    pub name: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub rank_by: RankBy,
    pub currency: Currency,
    pub prizes: Vec<RewardRule>,
}

impl Contest {
    /// A checked, open contest; it closes `hold_days` after it ends.
    pub fn create(
        id: ContestId,
        workspace_id: WorkspaceId,
        program_id: ProgramId,
        new: NewContest,
        hold_days: i64,
        now: Millis,
    ) -> Result<Self> {
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(DomainError::invalid("name", "must be 1 to 200 characters"));
        }
        if new.ends_at <= new.starts_at {
            return Err(DomainError::invalid("ends_at", "must be after starts_at"));
        }
        if new.ends_at - new.starts_at > 366 * DAY_MS {
            return Err(DomainError::invalid(
                "ends_at",
                "a contest lasts at most a year",
            ));
        }
        if new.ends_at <= now {
            return Err(DomainError::invalid("ends_at", "must be in the future"));
        }
        if new.prizes.is_empty() || new.prizes.len() > MAX_PRIZES {
            return Err(DomainError::invalid(
                "prizes",
                format!("must list 1 to {MAX_PRIZES} prizes, the first for the first place"),
            ));
        }
        for (i, p) in new.prizes.iter().enumerate() {
            p.validate(None)
                .map_err(|e| e.within(&format!("prizes[{i}]")))?;
            if p.fixed_money().is_none() {
                return Err(DomainError::invalid(
                    format!("prizes[{i}]"),
                    "must be a fixed amount (a prize is not a percent of an order)",
                ));
            }
        }
        Ok(Self {
            id,
            workspace_id,
            program_id,
            name,
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            closes_at: new
                .ends_at
                .saturating_add(hold_days.max(0).saturating_mul(DAY_MS)),
            rank_by: new.rank_by,
            currency: new.currency,
            prizes: new.prizes,
            status: ContestStatus::Open,
            winners: vec![],
            closed_at: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// Whether it is time to close it.
    pub fn due(&self, now: Millis) -> bool {
        self.status == ContestStatus::Open && now >= self.closes_at
    }

    /// Fixes the winners and closes; false when it is not due (or closed already).
    pub fn close(&mut self, winners: Vec<Winner>, now: Millis) -> bool {
        if !self.due(now) {
            return false;
        }
        self.status = ContestStatus::Closed;
        self.winners = winners;
        self.closed_at = Some(now);
        self.updated_at = now;
        true
    }

    /// `contest.closed`, with the winners and their rewards.
    pub fn closed_event(&self) -> DomainEvent {
        self.event(
            EventType::ContestClosed,
            self.closed_at.unwrap_or(self.updated_at),
        )
    }

    /// Calls it off while open.
    pub fn cancel(&mut self, now: Millis) -> Result<()> {
        if self.status != ContestStatus::Open {
            return Err(DomainError::invalid(
                "status",
                format!("a {} contest cannot be cancelled", self.status.as_str()),
            ));
        }
        self.status = ContestStatus::Cancelled;
        self.updated_at = now;
        Ok(())
    }

    fn event(&self, kind: EventType, now: Millis) -> DomainEvent {
        crate::lifecycle::event(
            kind,
            &self.workspace_id,
            Some(&self.program_id),
            None,
            self.id.to_string(),
            serde_json::json!({
                "id": self.id.to_string(),
                "program_id": self.program_id.to_string(),
                "name": self.name,
                "rank_by": self.rank_by,
                "currency": self.currency.as_str(),
                "status": self.status.as_str(),
                "winners": self.winners,
            }),
            now,
        )
    }
}

/// The winners of `standings` (each advocate's figures in the period, in any order):
/// one per prize, best first, leaving out advocates with nothing and those `eligible`
/// refuses (blocked ones). Ties go to who joined first (ids are time-ordered).
pub fn winners(
    standings: Vec<(String, Metrics)>,
    by: RankBy,
    prizes: usize,
    eligible: impl Fn(&str) -> bool,
) -> Vec<Winner> {
    let mut out = vec![];
    for (_, id, m) in crate::analytics::rank(standings, by) {
        if out.len() == prizes {
            break;
        }
        if by.of(&m) <= 0 || ParticipantId::parse(&id).is_none() || !eligible(&id) {
            continue;
        }
        out.push(Winner {
            place: u32::try_from(out.len() + 1).unwrap_or(u32::MAX),
            participant_id: id,
            conversions: m.counts.conversions,
            net_revenue: m.net_revenue,
            reward_id: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{derive, Counts};

    fn figures(conversions: i64, revenue: i64) -> Metrics {
        derive(Counts {
            conversions,
            revenue,
            ..Counts::default()
        })
    }

    #[test]
    fn places_go_best_first_ties_to_who_joined_first_and_nothing_wins_nothing() {
        let (a, b, c, d) = (
            ParticipantId::new().to_string(),
            ParticipantId::new().to_string(),
            ParticipantId::new().to_string(),
            ParticipantId::new().to_string(),
        );
        let standings = vec![
            (d.clone(), figures(0, 0)),
            (c.clone(), figures(3, 100)),
            (b.clone(), figures(5, 50)),
            (a.clone(), figures(3, 900)),
        ];
        let w = winners(standings.clone(), RankBy::Conversions, 3, |_| true);
        let order: Vec<_> = w
            .iter()
            .map(|w| (w.place, w.participant_id.clone()))
            .collect();
        // a and c tie on 3: a joined first.
        assert_eq!(order, vec![(1, b.clone()), (2, a.clone()), (3, c.clone())]);
        let w = winners(standings.clone(), RankBy::Revenue, 5, |_| true);
        assert_eq!(w.len(), 3, "d earned nothing: {w:?}");
        assert_eq!(w[0].participant_id, a);
        // A blocked advocate's place goes to the next.
        let w = winners(standings, RankBy::Conversions, 2, |id| id != b);
        assert_eq!(w[0].participant_id, a);
        assert_eq!(w[1].participant_id, c);
        assert_eq!(w[1].place, 2);
    }

    #[test]
    fn a_contest_closes_once_after_its_hold() {
        let prize: RewardRule = serde_json::from_value(
            serde_json::json!({"kind": "credit", "amount": 5000, "currency": "USD"}),
        )
        .unwrap();
        let new = NewContest {
            name: "November".into(),
            starts_at: 0,
            ends_at: 10 * DAY_MS,
            rank_by: RankBy::Conversions,
            currency: Currency::parse("currency", "USD").unwrap(),
            prizes: vec![prize.clone()],
        };
        let mut c = Contest::create(
            ContestId::new(),
            WorkspaceId::new(),
            ProgramId::new(),
            new.clone(),
            14,
            DAY_MS,
        )
        .unwrap();
        assert_eq!(c.closes_at, 24 * DAY_MS);
        assert!(!c.close(vec![], 23 * DAY_MS), "inside the hold");
        assert!(c.close(vec![], 24 * DAY_MS));
        assert_eq!(c.closed_event().kind, EventType::ContestClosed);
        assert!(!c.close(vec![], 25 * DAY_MS), "once");
        assert!(c.cancel(25 * DAY_MS).is_err());
        let past = NewContest {
            ends_at: DAY_MS / 2,
            ..new.clone()
        };
        let err = Contest::create(
            ContestId::new(),
            WorkspaceId::new(),
            ProgramId::new(),
            past,
            0,
            DAY_MS,
        );
        assert!(err.is_err());
        let percent: RewardRule = serde_json::from_value(
            serde_json::json!({"kind": "credit", "percent": 10, "currency": "USD"}),
        )
        .unwrap();
        let bad = NewContest {
            prizes: vec![percent],
            ..new
        };
        assert!(Contest::create(
            ContestId::new(),
            WorkspaceId::new(),
            ProgramId::new(),
            bad,
            0,
            0
        )
        .is_err());
    }
}

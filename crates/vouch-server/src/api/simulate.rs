//! `POST /api/v1/programs/{id}/simulate`: try rules before switching them on.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::event::EventKind;
use vouch_domain::ids::ProgramId;
use vouch_domain::money::{Currency, Money};
use vouch_domain::reward::Role;
use vouch_domain::rules::{Explanation, RewardKind, Skipped};

use super::common::{parse_time, path_id, rfc3339};
use super::programs::{apply_patch, find_program, ProgramPatch};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiJson;
use crate::state::AppState;
use vouch_app::simulation::{backtest, run_events, totals, Run};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(simulate))
}

/// At most this many hypothetical events per request.
const MAX_EVENTS: usize = 10_000;
/// At most this many rewards are listed one by one (totals count them all).
const MAX_LISTED: usize = 1_000;

/// A hypothetical payment.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SimEventIn {
    /// `purchase` (default), `subscription_payment`, `signup`, `arrival` or `custom`
    /// (with `event`): each rule pays on its own step (`on`).
    #[serde(rename = "type")]
    pub kind: Option<EventKind>,
    /// For `custom`: the event's name.
    pub event: Option<String>,
    /// Any label for the advocate.
    pub advocate: String,
    /// Any label for the friend; the friend's first payment converts.
    pub customer: String,
    /// Minor units.
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// RFC 3339; default: now, one millisecond apart in order.
    pub occurred_at: Option<String>,
    /// Whether the advocate was themselves referred (for multi-level rules).
    #[serde(default)]
    pub advocate_was_referred: bool,
}

/// A date range of the program's own recorded payments.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BacktestIn {
    /// RFC 3339, inclusive.
    pub from: String,
    /// RFC 3339, exclusive; default now.
    pub to: Option<String>,
}

/// Rules to try, and what to try them on: `events`, or a `backtest` range.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SimulateIn {
    /// Changes to the program's configuration, in the shape of `PATCH /programs/{id}`;
    /// absent: the current rules.
    pub config: Option<ProgramPatch>,
    pub events: Option<Vec<SimEventIn>>,
    pub backtest: Option<BacktestIn>,
}

/// A reward the rules would create.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimRewardOut {
    /// Index of the event in `events` (or in the replayed payments).
    pub event_index: usize,
    /// Backtests: the recorded event.
    pub event_id: Option<String>,
    /// The label (or, in backtests, participant id) of who would earn it.
    pub participant: String,
    pub role: Role,
    pub trigger: String,
    pub kind: RewardKind,
    pub amount: i64,
    pub currency: String,
    /// When its hold would end.
    pub approve_at: String,
    pub explanation: Explanation,
}

/// A reward the rules would refuse.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimSkipOut {
    pub event_index: usize,
    #[serde(flatten)]
    pub skipped: Skipped,
}

/// A sum in one currency (`PTS` for points).
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalOut {
    pub currency: String,
    pub amount: i64,
    pub rewards: usize,
}

/// What the current rules produced for the same events (backtests only).
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentOut {
    /// Everything those events created.
    pub created: Vec<TotalOut>,
    /// Less what was cancelled, reversed or clawed back since.
    pub standing: Vec<TotalOut>,
}

/// The outcome; nothing was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimulationOut {
    /// `events` or `backtest`.
    pub mode: String,
    /// How many payments were evaluated.
    pub events: usize,
    pub rewards: Vec<SimRewardOut>,
    /// True when more than 1000 rewards were produced and only the first are listed.
    pub rewards_truncated: bool,
    pub skipped: Vec<SimSkipOut>,
    /// The proposed rules' cost per currency.
    pub totals: Vec<TotalOut>,
    /// Backtests: what the current rules actually produced.
    pub current: Option<CurrentOut>,
    /// Backtests: proposed minus currently created, per currency.
    pub difference: Option<Vec<TotalOut>>,
    /// About the proposed configuration (multi-level compliance, say).
    pub warnings: Vec<String>,
}

fn total_list(t: &std::collections::BTreeMap<Currency, (i64, usize)>) -> Vec<TotalOut> {
    t.iter()
        .map(|(c, (amount, n))| TotalOut {
            currency: c.to_string(),
            amount: *amount,
            rewards: *n,
        })
        .collect()
}

fn hypothetical(
    events: Vec<SimEventIn>,
    start: vouch_domain::Millis,
) -> Result<Vec<vouch_domain::simulate::SimEvent>> {
    if events.len() > MAX_EVENTS {
        return Err(ApiError::invalid(
            "events",
            format!("at most {MAX_EVENTS} events"),
        ));
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let field = |f: &str| format!("events[{i}].{f}");
            if e.advocate.trim().is_empty() || e.customer.trim().is_empty() {
                return Err(ApiError::invalid(
                    field("advocate"),
                    "advocate and customer must be non-empty labels",
                ));
            }
            let order = match (e.amount, e.currency.as_deref()) {
                (None, None) => None,
                (Some(a), Some(c)) if a >= 0 => {
                    Some(Money::new(a, Currency::parse(&field("currency"), c)?))
                }
                (Some(_), Some(_)) => {
                    return Err(ApiError::invalid(field("amount"), "must not be negative"))
                }
                (Some(_), None) => {
                    return Err(ApiError::invalid(
                        field("currency"),
                        "is required with amount",
                    ))
                }
                (None, Some(_)) => {
                    return Err(ApiError::invalid(
                        field("amount"),
                        "is required with currency",
                    ))
                }
            };
            let occurred_at = match e.occurred_at.as_deref() {
                Some(t) => parse_time(&field("occurred_at"), t)?,
                None => start + i64::try_from(i).unwrap_or(0),
            };
            let kind = e.kind.unwrap_or(EventKind::Purchase);
            if kind == EventKind::Refund {
                return Err(ApiError::invalid(
                    field("type"),
                    "refunds are not simulated: give purchase, subscription_payment, signup, arrival or custom",
                ));
            }
            let event = match (kind, e.event.as_deref()) {
                (EventKind::Custom, Some(n)) => Some(vouch_domain::event::EventName::parse(
                    &field("event"),
                    n,
                )?),
                (EventKind::Custom, None) => {
                    return Err(ApiError::invalid(field("event"), "is required for custom"))
                }
                _ => None,
            };
            Ok(vouch_domain::simulate::SimEvent {
                kind,
                event,
                advocate: e.advocate.trim().to_owned(),
                customer: e.customer.trim().to_owned(),
                order,
                occurred_at,
                advocate_has_upline: e.advocate_was_referred,
            })
        })
        .collect()
}

/// Simulate rewards, or backtest rules.
///
/// Applies a configuration (the program's, or the program's with `config` changes) to
/// hypothetical `events`, or replays the program's own recorded purchases between
/// `backtest.from` and `backtest.to` (signups and custom events too) under it and reports the cost next to what the
/// current rules actually produced. Nothing is written. Attribution windows are not
/// replayed; every listed event counts as attributed to its advocate.
#[utoipa::path(post, path = "/programs/{id}/simulate", tag = "programs",
    params(("id" = String, Path, description = "Program id")),
    request_body = SimulateIn,
    responses((status = 200, description = "What the rules would do", body = SimulationOut),
        (status = 404, description = "No such program in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn simulate(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SimulateIn>,
) -> Result<Json<SimulationOut>> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let program = find_program(&state, &auth, &id).await?;
    let config = match input.config {
        Some(patch) => apply_patch(program.config.clone(), patch).map_err(|e| match e {
            ApiError::Invalid { field, message } => ApiError::Invalid {
                field: format!("config.{field}"),
                message,
            },
            other => other,
        })?,
        None => program.config.clone(),
    };
    let (mode, run, current): (&str, Run, _) = match (input.events, input.backtest) {
        (Some(events), None) => (
            "events",
            run_events(&config, &hypothetical(events, state.clock.now())?),
            None,
        ),
        (None, Some(b)) => {
            let from = parse_time("backtest.from", &b.from)?;
            let to = match b.to.as_deref() {
                Some(t) => parse_time("backtest.to", t)?,
                None => state.clock.now(),
            };
            if to <= from {
                return Err(ApiError::invalid("backtest.to", "must be after from"));
            }
            let (run, actual) = backtest(state.store.as_ref(), &program, &config, from, to).await?;
            ("backtest", run, Some(actual))
        }
        _ => {
            return Err(ApiError::invalid(
                "events",
                "give either events or backtest",
            ))
        }
    };
    let proposed = totals(run.rewards.iter().map(|r| r.plan.money));
    let difference = current.as_ref().map(|c| {
        let mut all: std::collections::BTreeMap<Currency, (i64, usize)> = proposed.clone();
        for (cur, (amount, n)) in &c.created {
            let e = all.entry(*cur).or_default();
            e.0 -= amount;
            e.1 = e.1.saturating_sub(*n);
        }
        total_list(&all)
    });
    let rewards_truncated = run.rewards.len() > MAX_LISTED;
    Ok(Json(SimulationOut {
        mode: mode.into(),
        events: run.event_ids.len(),
        rewards: run
            .rewards
            .into_iter()
            .take(MAX_LISTED)
            .map(|r| SimRewardOut {
                event_index: r.event,
                event_id: run.event_ids.get(r.event).cloned().flatten(),
                participant: r.participant,
                role: r.plan.role,
                trigger: r.plan.trigger.key(),
                kind: r.plan.kind,
                amount: r.plan.money.amount,
                currency: r.plan.money.currency.to_string(),
                approve_at: rfc3339(r.plan.approve_at),
                explanation: r.plan.explanation,
            })
            .collect(),
        rewards_truncated,
        skipped: run
            .skipped
            .into_iter()
            .map(|s| SimSkipOut {
                event_index: s.event,
                skipped: s.skipped,
            })
            .collect(),
        totals: total_list(&proposed),
        current: current.map(|c| CurrentOut {
            created: total_list(&c.created),
            standing: total_list(&c.standing),
        }),
        difference,
        warnings: config.warnings(),
    }))
}

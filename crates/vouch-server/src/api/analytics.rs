//! `GET /api/v1/analytics/report`: what a program earns in a period, in one currency,
//! as JSON or (with `Accept: text/csv`) as a spreadsheet.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::analytics::{masked_name, GroupBy, Metrics, RankBy};
use vouch_domain::money::Currency;
use vouch_domain::DAY_MS;
use vouch_store::analytics::{AnalyticsQuery, Dimension, Parts};
use vouch_store::Program;

use super::common::{parse_time, rfc3339};
use super::export::{csv_line, csv_table, neutralize, wanted, Format};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(leaderboard))
        .routes(routes!(status))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// One program (default: every program of the workspace).
    pub program_id: Option<String>,
    /// Start, included (RFC 3339; default 30 days before `to`).
    pub from: Option<String>,
    /// End, excluded (RFC 3339; default now).
    pub to: Option<String>,
    /// The currency of every money figure (default: the program's referrer reward's).
    /// Amounts in other currencies are left out, never converted.
    pub currency: Option<String>,
    /// `day`, `week` (from Monday), `month` (days are UTC), `channel` or `advocate`.
    pub group_by: Option<String>,
}

/// One group's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    /// The day (`2026-11-05`), week's Monday, month (`2026-11`), channel or advocate id.
    pub key: String,
    #[serde(flatten)]
    pub metrics: Metrics,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    pub from: String,
    pub to: String,
    pub currency: String,
    pub group_by: Option<GroupBy>,
    /// The time zone days, weeks and months are counted in: the program's, else UTC.
    pub time_zone: String,
    pub totals: Metrics,
    /// Hours from the friend's click (or first contact) to their conversion.
    pub time_to_conversion_hours_median: Option<f64>,
    pub time_to_conversion_hours_p90: Option<f64>,
    pub groups: Vec<GroupOut>,
}

/// The funnel (clicks, unique clicks, signups, conversions), referred revenue and
/// refunds, reward cost (pending, approved, reversed), conversion rates, CAC (reward
/// cost per new referred customer, in minor units) and ROI ((net revenue − reward
/// cost) / reward cost) of a period. Each count falls on its own instant: a click when
/// clicked, a signup when signed up, revenue when paid, a reward when earned. Money is
/// in minor units of `currency`.
#[utoipa::path(get, path = "/analytics/report", tag = "analytics",
    params(ReportParams),
    responses((status = 200, description = "The report (JSON, or CSV with `Accept: text/csv`)", body = ReportOut),
        (status = 422, description = "A parameter is not valid", body = Problem)),
    security(("secret_key" = [])))]
async fn report(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(p): ApiQuery<ReportParams>,
    headers: HeaderMap,
) -> Result<Response> {
    let (q, currency, program) = query(&state, &auth, &p).await?;
    let (from, to) = (q.from, q.to);
    let zone_name = program.and_then(|p| p.config.time_zone);
    let zone = zone_name
        .as_deref()
        .and_then(vouch_app::analytics::Zone::get);
    let group_by = p
        .group_by
        .as_deref()
        .map(|g| {
            GroupBy::parse(g).ok_or_else(|| {
                ApiError::invalid("group_by", "must be day, week, month, channel or advocate")
            })
        })
        .transpose()?;
    let r = vouch_app::analytics::report(state.store.as_ref(), q, group_by, zone.as_ref()).await?;
    let out = ReportOut {
        time_zone: zone_name.unwrap_or_else(|| "UTC".into()),
        from: rfc3339(from),
        to: rfc3339(to),
        currency: currency.to_string(),
        group_by,
        totals: r.totals,
        time_to_conversion_hours_median: r.time_to_conversion_median,
        time_to_conversion_hours_p90: r.time_to_conversion_p90,
        groups: r
            .groups
            .into_iter()
            .map(|g| GroupOut {
                key: g.key,
                metrics: g.metrics,
            })
            .collect(),
    };
    if wanted(&headers) != Format::Csv {
        return Ok(Json(out).into_response());
    }
    Ok(csv_download("vouch-analytics.csv", csv(&out)))
}

/// The period, program and currency a report or leaderboard covers.
pub(super) async fn query(
    state: &AppState,
    auth: &crate::auth::Auth,
    p: &ReportParams,
) -> Result<(AnalyticsQuery, Currency, Option<Program>)> {
    let program = match &p.program_id {
        Some(raw) => Some(super::programs::program_field(state, auth, raw).await?),
        None => None,
    };
    query_with(state, auth, p, program)
}

/// [`query`] for a program the caller has read already.
pub(super) fn query_with(
    state: &AppState,
    auth: &crate::auth::Auth,
    p: &ReportParams,
    program: Option<Program>,
) -> Result<(AnalyticsQuery, Currency, Option<Program>)> {
    let to = match &p.to {
        Some(t) => parse_time("to", t)?,
        None => state.clock.now(),
    };
    let from = match &p.from {
        Some(t) => parse_time("from", t)?,
        None => to - 30 * DAY_MS,
    };
    if from >= to || to - from > 3 * 366 * DAY_MS {
        return Err(ApiError::invalid(
            "from",
            "must be before `to`, at most three years earlier",
        ));
    }
    let currency = money_currency(p.currency.as_deref(), program.as_ref())?;
    let q = AnalyticsQuery {
        workspace_id: auth.workspace_id.clone(),
        program_id: program.as_ref().map(|p| p.id.clone()),
        from,
        to,
        currency: currency.to_string(),
        by: Dimension::Total,
        parts: Parts::All,
    };
    Ok((q, currency, program))
}

/// The currency asked for, else the program's referrer reward's.
pub(super) fn money_currency(given: Option<&str>, program: Option<&Program>) -> Result<Currency> {
    match (given, program) {
        (Some(c), _) => Ok(Currency::parse("currency", c)?),
        (None, Some(prog)) => prog
            .config
            .referrer_reward
            .as_ref()
            .and_then(|r| r.currency)
            .ok_or_else(|| ApiError::invalid("currency", "is required for this program")),
        (None, None) => Err(ApiError::invalid("currency", "is required")),
    }
}

const COLUMNS: [&str; 17] = [
    "clicks",
    "unique_clicks",
    "signups",
    "conversions",
    "revenue",
    "refunds",
    "net_revenue",
    "reward_pending",
    "reward_approved",
    "reward_reversed",
    "reward_cost",
    "click_to_signup",
    "signup_to_conversion",
    "click_to_conversion",
    "cac",
    "roi",
    "currency",
];

/// One row per group (or one `total` row), the columns above after `key`.
fn csv(r: &ReportOut) -> Vec<u8> {
    let mut out =
        csv_line(std::iter::once("key".to_owned()).chain(COLUMNS.iter().map(|c| c.to_string())));
    let mut row = |key: &str, m: &Metrics| {
        let v = serde_json::to_value(m).unwrap_or_default();
        let cells = COLUMNS.iter().map(|c| match (*c, v.get(*c)) {
            ("currency", _) => r.currency.clone(),
            (_, Some(serde_json::Value::Null) | None) => String::new(),
            (_, Some(x)) => x.to_string(),
        });
        out.extend(csv_line(
            std::iter::once(neutralize(key).into_owned()).chain(cells),
        ));
    };
    if r.groups.is_empty() {
        row("total", &r.totals);
    }
    for g in &r.groups {
        row(&g.key, &g.metrics);
    }
    out
}

/// A CSV download named `name`.
pub(super) fn csv_download(name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardParams {
    pub program_id: String,
    /// Start, included (RFC 3339; default 30 days before `to`).
    pub from: Option<String>,
    /// End, excluded (RFC 3339; default now).
    pub to: Option<String>,
    /// Revenue in this currency (default: the program's referrer reward's).
    pub currency: Option<String>,
    /// `conversions` (default) or `revenue` (net referred revenue).
    pub by: Option<RankBy>,
    /// 1–100 (default 10).
    pub limit: Option<usize>,
    /// `true`: full names (for the merchant's own use); masked (`Sara A.`) by default.
    pub full_names: Option<bool>,
    /// Instead of `from` and `to`: `this_month` (from the first of the month in the
    /// program's time zone until now) or `all_time` (everything until now).
    pub period: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderOut {
    /// Equal figures share a rank; among them, who joined first comes first.
    pub rank: u32,
    pub participant_id: String,
    pub name: Option<String>,
    pub conversions: i64,
    pub net_revenue: i64,
    pub reward_cost: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardOut {
    pub by: RankBy,
    pub from: String,
    pub to: String,
    pub currency: String,
    pub data: Vec<LeaderOut>,
}

/// The top advocates of a period, by conversions or by referred revenue.
#[utoipa::path(get, path = "/analytics/leaderboard", tag = "analytics",
    params(LeaderboardParams),
    responses((status = 200, description = "The leaders (JSON, or CSV with `Accept: text/csv`)", body = LeaderboardOut),
        (status = 404, description = "No such program", body = Problem),
        (status = 422, description = "A parameter is not valid", body = Problem)),
    security(("secret_key" = [])))]
async fn leaderboard(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(p): ApiQuery<LeaderboardParams>,
    headers: HeaderMap,
) -> Result<Response> {
    let limit = p.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let by = p.by.unwrap_or(RankBy::Conversions);
    let rp = ReportParams {
        program_id: Some(p.program_id.clone()),
        from: p.from.clone(),
        to: p.to.clone(),
        currency: p.currency.clone(),
        group_by: None,
    };
    let (mut q, currency, program) = query(&state, &auth, &rp).await?;
    if let Some(period) = p.period.as_deref() {
        if p.from.is_some() || p.to.is_some() {
            return Err(ApiError::invalid(
                "period",
                "give a period or from and to, not both",
            ));
        }
        if let Some(program) = &program {
            q.from = period_start(program, period, q.to)?;
        }
    }
    let (from, to) = (q.from, q.to);
    let settled = state.store.rollup_marks().await?.settled_to;
    let leaders = vouch_app::rollups::leaders(state.store.as_ref(), &q, by, limit, settled).await?;
    let mut data = vec![];
    for (rank, id, m) in leaders {
        let participant = match vouch_domain::ids::ParticipantId::parse(&id) {
            Some(pid) => {
                state
                    .store
                    .get_participant(&auth.workspace_id, &pid)
                    .await?
            }
            None => None,
        };
        let name = participant.and_then(|x| x.name);
        data.push(LeaderOut {
            rank,
            participant_id: id,
            name: if p.full_names == Some(true) {
                name
            } else {
                masked_name(name.as_deref())
            },
            conversions: m.counts.conversions,
            net_revenue: m.net_revenue,
            reward_cost: m.reward_cost,
        });
    }
    if wanted(&headers) == Format::Csv {
        const COLUMNS: [&str; 6] = [
            "rank",
            "participant_id",
            "name",
            "conversions",
            "net_revenue",
            "reward_cost",
        ];
        return Ok(csv_download(
            "vouch-leaderboard.csv",
            csv_table(&COLUMNS, &data),
        ));
    }
    Ok(Json(LeaderboardOut {
        by,
        from: rfc3339(from),
        to: rfc3339(to),
        currency: currency.to_string(),
        data,
    })
    .into_response())
}

/// Where `this_month` or `all_time` starts for a program, until `now`.
fn period_start(
    program: &Program,
    period: &str,
    now: vouch_domain::Millis,
) -> Result<vouch_domain::Millis> {
    match period {
        // Everything, backdated history included (`from` reads 1970-01-01).
        "all_time" => Ok(0),
        "this_month" => {
            let zone = program
                .config
                .time_zone
                .as_deref()
                .and_then(vouch_app::analytics::Zone::get);
            Ok(match zone {
                Some(z) => {
                    let today = vouch_domain::analytics::local_day(&z.tz, now);
                    z.start(vouch_domain::analytics::month_start(today))
                }
                None => vouch_domain::analytics::month_start(now.div_euclid(DAY_MS)) * DAY_MS,
            }
            .min(now - 1))
        }
        _ => Err(ApiError::invalid(
            "period",
            "must be this_month or all_time",
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOut {
    /// Reports read the rollups for activity before this instant and count later
    /// activity from the raw rows, so they are always current for new activity.
    pub settled_to: String,
    /// Days of this workspace whose rollups wait to be recomputed because something in
    /// them changed afterwards (a reward approved, a refund, a backdated event); until
    /// then, reports about those days lag by seconds.
    pub pending_days: i64,
}

/// How current the analytics rollups are.
#[utoipa::path(get, path = "/analytics/status", tag = "analytics",
    responses((status = 200, description = "The rollups' state", body = StatusOut)),
    security(("secret_key" = [])))]
async fn status(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
) -> Result<Json<StatusOut>> {
    let marks = state.store.rollup_marks().await?;
    let pending_days = state
        .store
        .count_dirty_days(Some(&auth.workspace_id))
        .await?;
    Ok(Json(StatusOut {
        settled_to: rfc3339(marks.settled_to),
        pending_days,
    }))
}

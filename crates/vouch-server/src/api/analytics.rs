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
use vouch_domain::analytics::{GroupBy, Metrics};
use vouch_domain::ids::ProgramId;
use vouch_domain::money::Currency;
use vouch_domain::DAY_MS;
use vouch_store::analytics::{AnalyticsQuery, Dimension};

use super::common::{parse_time, rfc3339};
use super::export::{neutralize, wanted, Format};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report))
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
    let program = match &p.program_id {
        Some(raw) => {
            let id = ProgramId::parse(raw)
                .ok_or_else(|| ApiError::invalid("program_id", "is not a program id"))?;
            Some(super::programs::find_program(&state, &auth, &id).await?)
        }
        None => None,
    };
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
    let currency = match (&p.currency, &program) {
        (Some(c), _) => Currency::parse("currency", c)?,
        (None, Some(prog)) => prog
            .config
            .referrer_reward
            .as_ref()
            .and_then(|r| r.currency)
            .ok_or_else(|| ApiError::invalid("currency", "is required for this program"))?,
        (None, None) => return Err(ApiError::invalid("currency", "is required")),
    };
    let group_by = p
        .group_by
        .as_deref()
        .map(|g| {
            GroupBy::parse(g).ok_or_else(|| {
                ApiError::invalid("group_by", "must be day, week, month, channel or advocate")
            })
        })
        .transpose()?;
    let q = AnalyticsQuery {
        workspace_id: auth.workspace_id.clone(),
        program_id: program.map(|p| p.id),
        from,
        to,
        currency: currency.to_string(),
        by: Dimension::Total,
    };
    let r = vouch_app::analytics::report(state.store.as_ref(), q, group_by).await?;
    let out = ReportOut {
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
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"vouch-analytics.csv\"",
            ),
        ],
        csv(&out),
    )
        .into_response())
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
fn csv(r: &ReportOut) -> String {
    let mut out = format!("key,{}\n", COLUMNS.join(","));
    let mut row = |key: &str, m: &Metrics| {
        let v = serde_json::to_value(m).unwrap_or_default();
        let cells: Vec<String> = COLUMNS
            .iter()
            .map(|c| match (*c, v.get(*c)) {
                ("currency", _) => r.currency.clone(),
                (_, Some(serde_json::Value::Null) | None) => String::new(),
                (_, Some(x)) => x.to_string(),
            })
            .collect();
        out.push_str(&format!("{},{}\n", neutralize(key), cells.join(",")));
    };
    if r.groups.is_empty() {
        row("total", &r.totals);
    }
    for g in &r.groups {
        row(&g.key, &g.metrics);
    }
    out
}

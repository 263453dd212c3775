//! Holdout groups: `GET /programs/{id}/holdout` says which group a customer is in (a
//! shop's backend or storefront asks before showing the program), and
//! `GET /analytics/holdout` measures the program's lift between the groups.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_app::holdout::{GroupOutcome, LiftReport};
use vouch_domain::email::Email;
use vouch_domain::holdout::{Group, Lift};
use vouch_domain::ids::ProgramId;

use super::analytics::{csv_download, query_with, ReportParams};
use super::common::{path_id, rfc3339};
use super::export::{csv_table, wanted, Format};
use super::programs::{find_program, program_field};
use crate::auth::{Auth, SecretAuth};
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(customer_group))
        .routes(routes!(holdout_report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupParams {
    /// The customer's email (preferred: the join form and emails know customers by it).
    pub email: Option<String>,
    /// The merchant's id for a customer without an email.
    pub external_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub program_id: String,
    /// `control`: do not show, invite or email this customer about the program.
    pub group: Group,
    pub holdout_percent: u8,
}

/// The holdout group of a customer. A publishable key may ask, so a storefront can
/// hide the program from the control group; the answer is a keyed hash of the
/// customer and says nothing about them.
#[utoipa::path(get, path = "/programs/{id}/holdout", tag = "analytics",
    params(("id" = String, Path, description = "Program id (`prg_…`)"), GroupParams),
    responses((status = 200, description = "The customer's group", body = GroupOut),
        (status = 404, description = "No such program", body = Problem),
        (status = 422, description = "Neither an email nor an external id", body = Problem)),
    security(("secret_key" = []), ("publishable_key" = [])))]
async fn customer_group(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<GroupParams>,
) -> Result<Json<GroupOut>> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let program = find_program(&state, &auth, &id).await?;
    let email = p
        .email
        .as_deref()
        .map(|e| Email::parse("email", e))
        .transpose()?;
    let external_id = p
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|x| !x.is_empty());
    if external_id.is_some_and(|x| x.chars().count() > 200) {
        return Err(ApiError::invalid(
            "external_id",
            "must be at most 200 characters",
        ));
    }
    if email.is_none() && external_id.is_none() {
        return Err(ApiError::invalid(
            "email",
            "give an email or an external_id",
        ));
    }
    let standing = vouch_app::holdout::group_for(
        state.store.as_ref(),
        &state.fraud,
        &program,
        email.as_ref().map(|e| e.normalized()),
        external_id,
    )
    .await?;
    Ok(Json(GroupOut {
        program_id: program.id.to_string(),
        group: standing.group,
        holdout_percent: program.config.holdout_percent,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoldoutParams {
    pub program_id: String,
    /// Start, included (RFC 3339; default and earliest: when the holdout last changed).
    pub from: Option<String>,
    /// End, excluded (RFC 3339; default now).
    pub to: Option<String>,
    /// The currency of revenue (default: the program's referrer reward's).
    pub currency: Option<String>,
}

/// One group's customers and their outcomes, in total.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupTotals {
    /// Customers whose first purchase (not through a referral) fell in the period.
    pub customers: u64,
    /// Those with a later purchase or a converted friend.
    pub converting_customers: u64,
    /// Later purchases plus converted friends.
    pub conversions: i64,
    /// Later net revenue plus the friends' (minor units).
    pub revenue: i64,
    /// Their own later purchases and net revenue alone.
    pub own_purchases: i64,
    pub own_revenue: i64,
}

impl From<&GroupOutcome> for GroupTotals {
    fn from(g: &GroupOutcome) -> Self {
        Self {
            customers: g.customers,
            converting_customers: g.converting,
            conversions: g.conversions.sum.round() as i64,
            revenue: g.revenue.sum.round() as i64,
            own_purchases: g.own_purchases.sum.round() as i64,
            own_revenue: g.own_revenue.sum.round() as i64,
        }
    }
}

/// The lift per customer of each outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct Lifts {
    pub conversions: Lift,
    pub revenue: Lift,
    pub own_purchases: Lift,
    pub own_revenue: Lift,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HoldoutOut {
    pub program_id: String,
    pub holdout_percent: u8,
    pub from: String,
    pub to: String,
    pub currency: String,
    pub exposed: GroupTotals,
    pub control: GroupTotals,
    pub lift: Lifts,
    /// How the figures are computed.
    pub method: &'static str,
}

const METHOD: &str = "Customers whose first purchase in the period came without a \
    referral, each in the group a keyed hash of their email (else external id) gives, \
    followed from that purchase to the end of the period. Intention to treat: every \
    exposed customer counts, joined or not. Outcomes per customer: later purchases plus \
    friends they referred who converted, and the revenue of both, net of refunds. Lift = \
    exposed mean − control mean, with a 95% Welch interval (normal approximation, given \
    from 100 customers per group); relative lift = lift / control mean, interval by the \
    delta method; incremental = lift × exposed customers.";

/// What the program adds: exposed customers against the control group kept away from
/// the program, with 95% intervals. JSON, or CSV with `Accept: text/csv`.
#[utoipa::path(get, path = "/analytics/holdout", tag = "analytics",
    params(HoldoutParams),
    responses((status = 200, description = "The lift (JSON, or CSV with `Accept: text/csv`)", body = HoldoutOut),
        (status = 404, description = "No such program", body = Problem),
        (status = 422, description = "A parameter is not valid, or the program holds nobody out", body = Problem)),
    security(("secret_key" = [])))]
async fn holdout_report(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(p): ApiQuery<HoldoutParams>,
    headers: HeaderMap,
) -> Result<Response> {
    let program = program_field(&state, &auth, &p.program_id).await?;
    let since = program.config.holdout_since.map(rfc3339);
    let rp = ReportParams {
        program_id: Some(p.program_id.clone()),
        from: p.from.clone().or(since),
        to: p.to.clone(),
        currency: p.currency.clone(),
        group_by: None,
    };
    let (q, currency, _) = query_with(&state, &auth, &rp, Some(program.clone()))?;
    let r = vouch_app::holdout::lift_report(
        state.store.as_ref(),
        &state.fraud,
        &program,
        q.from,
        q.to,
        currency.as_str(),
    )
    .await?;
    let out = out(&program, currency.as_str(), &r);
    if wanted(&headers) == Format::Csv {
        return Ok(csv_download("vouch-holdout.csv", csv(&out)));
    }
    Ok(Json(out).into_response())
}

fn out(program: &vouch_store::Program, currency: &str, r: &LiftReport) -> HoldoutOut {
    HoldoutOut {
        program_id: program.id.to_string(),
        holdout_percent: program.config.holdout_percent,
        from: rfc3339(r.from),
        to: rfc3339(r.to),
        currency: currency.to_owned(),
        exposed: (&r.exposed).into(),
        control: (&r.control).into(),
        lift: Lifts {
            conversions: r.conversions,
            revenue: r.revenue,
            own_purchases: r.own_purchases,
            own_revenue: r.own_revenue,
        },
        method: METHOD,
    }
}

#[derive(Serialize)]
struct CsvRow {
    metric: &'static str,
    exposed_customers: u64,
    control_customers: u64,
    #[serde(flatten)]
    lift: Lift,
    currency: String,
}

/// One row per outcome.
fn csv(o: &HoldoutOut) -> Vec<u8> {
    const COLUMNS: [&str; 13] = [
        "metric",
        "exposed_customers",
        "control_customers",
        "exposed_mean",
        "control_mean",
        "absolute",
        "absolute_low",
        "absolute_high",
        "relative",
        "relative_low",
        "relative_high",
        "incremental",
        "currency",
    ];
    let rows: Vec<CsvRow> = [
        ("conversions", o.lift.conversions),
        ("revenue", o.lift.revenue),
        ("own_purchases", o.lift.own_purchases),
        ("own_revenue", o.lift.own_revenue),
    ]
    .into_iter()
    .map(|(metric, lift)| CsvRow {
        metric,
        exposed_customers: o.exposed.customers,
        control_customers: o.control.customers,
        lift,
        currency: o.currency.clone(),
    })
    .collect();
    csv_table(&COLUMNS, &rows)
}

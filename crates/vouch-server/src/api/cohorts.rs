//! `GET /analytics/customers`: referred customers against the others by month of first
//! purchase (revenue per customer, repeat purchases, lifetime value at 30/90/365 days),
//! and the program's reach (participation, K-factor). JSON or CSV.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::cohorts::{Cohort, Reach};
use vouch_domain::DAY_MS;

use super::analytics::{csv_download, query_with, ReportParams};
use super::common::rfc3339;
use super::export::{csv_table, wanted, Format};
use super::programs::program_field;
use crate::auth::SecretAuth;
use crate::error::{Problem, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(customers))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerParams {
    pub program_id: String,
    /// First purchases from this instant (RFC 3339; default a year before `to`).
    pub from: Option<String>,
    /// End, excluded (RFC 3339; default now): customers are followed until then.
    pub to: Option<String>,
    /// The currency of revenue (default: the program's referrer reward's); other
    /// currencies are left out, never converted.
    pub currency: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomersOut {
    pub program_id: String,
    pub from: String,
    pub to: String,
    pub currency: String,
    pub time_zone: String,
    pub reach: Reach,
    /// By month of first purchase, referred before other within a month.
    pub cohorts: Vec<Cohort>,
}

/// Referred customers against the others. Needs the merchant to report every
/// customer's purchases, not only referred ones; customers who only ever bought
/// through a referral are all the program knows otherwise.
#[utoipa::path(get, path = "/analytics/customers", tag = "analytics",
    params(CustomerParams),
    responses((status = 200, description = "Cohorts and reach (JSON, or CSV with `Accept: text/csv`)", body = CustomersOut),
        (status = 404, description = "No such program", body = Problem),
        (status = 422, description = "A parameter is not valid", body = Problem)),
    security(("secret_key" = [])))]
async fn customers(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(p): ApiQuery<CustomerParams>,
    headers: HeaderMap,
) -> Result<Response> {
    let program = program_field(&state, &auth, &p.program_id).await?;
    let to = match &p.to {
        Some(t) => super::common::parse_time("to", t)?,
        None => state.clock.now(),
    };
    let rp = ReportParams {
        program_id: Some(p.program_id.clone()),
        from: Some(p.from.clone().unwrap_or_else(|| rfc3339(to - 365 * DAY_MS))),
        to: Some(rfc3339(to)),
        currency: p.currency.clone(),
        group_by: None,
    };
    let (q, currency, _) = query_with(&state, &auth, &rp, Some(program.clone()))?;
    let r = vouch_app::cohorts::report(
        state.store.as_ref(),
        &program,
        q.from,
        q.to,
        currency.as_str(),
    )
    .await?;
    if wanted(&headers) == Format::Csv {
        const COLUMNS: [&str; 11] = [
            "month",
            "group",
            "customers",
            "revenue_per_customer",
            "repeat_purchase_rate",
            "ltv_30",
            "ltv_90",
            "ltv_365",
            "ltv_30_customers",
            "ltv_90_customers",
            "ltv_365_customers",
        ];
        return Ok(csv_download(
            "vouch-customers.csv",
            csv_table(&COLUMNS, &r.cohorts),
        ));
    }
    Ok(Json(CustomersOut {
        program_id: program.id.to_string(),
        from: rfc3339(q.from),
        to: rfc3339(q.to),
        currency: currency.to_string(),
        time_zone: program.config.time_zone.unwrap_or_else(|| "UTC".into()),
        reach: r.reach,
        cohorts: r.cohorts,
    })
    .into_response())
}

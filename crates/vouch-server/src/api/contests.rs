//! `/contests`: prizes for a program's top advocates of a period, issued as rewards
//! when the contest closes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::analytics::{masked_name, RankBy};
use vouch_domain::contest::{Contest, ContestStatus, NewContest, Winner};
use vouch_domain::ids::{ContestId, ParticipantId, ProgramId};
use vouch_domain::program::RewardRule;

use super::analytics::money_currency;
use super::common::{parse_time, path_id, rfc3339};
use super::programs::program_field;
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_contest, list_contests))
        .routes(routes!(get_contest))
        .routes(routes!(cancel_contest))
}

const TIE_RULE: &str = "Equal figures: the advocate who joined the program first ranks \
    first. Advocates with nothing in the period and blocked advocates win nothing; their \
    places go to the next.";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContestIn {
    pub program_id: String,
    pub name: String,
    /// RFC 3339: conversions from this instant count.
    pub starts_at: String,
    /// RFC 3339, in the future: conversions until this instant count. The contest
    /// closes the program's `hold_days` later, so refunds within the hold count.
    pub ends_at: String,
    /// `conversions` (default) or `revenue` (net referred revenue).
    pub rank_by: Option<RankBy>,
    /// The currency of revenue (default: the program's referrer reward's).
    pub currency: Option<String>,
    /// One prize per place, the first for the first place (1–100): fixed-amount reward
    /// rules (`credit`, `cash`, `points`, `coupon`, `gift_card`).
    pub prizes: Vec<RewardRule>,
}

/// One advocate's place.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceOut {
    pub place: u32,
    pub participant_id: String,
    /// Masked (`Sara A.`) unless `full_names=true`.
    pub name: Option<String>,
    pub conversions: i64,
    pub net_revenue: i64,
    /// The prize's reward, once the contest closed.
    pub reward_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContestOut {
    pub id: String,
    pub program_id: String,
    pub name: String,
    pub starts_at: String,
    pub ends_at: String,
    /// When the winners are fixed and paid: the end plus the program's hold.
    pub closes_at: String,
    pub rank_by: RankBy,
    pub currency: String,
    pub prizes: Vec<RewardRule>,
    pub status: ContestStatus,
    /// The winners, once closed.
    pub winners: Vec<PlaceOut>,
    /// While open (on a single contest's page): the current leaders, one per prize.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standings: Option<Vec<PlaceOut>>,
    pub tie_rule: &'static str,
    pub closed_at: Option<String>,
    pub created_at: String,
}

async fn names(
    state: &AppState,
    c: &Contest,
    places: Vec<Winner>,
    full: bool,
) -> Result<Vec<PlaceOut>> {
    let mut out = Vec::with_capacity(places.len());
    for w in places {
        let name = match ParticipantId::parse(&w.participant_id) {
            Some(pid) => state
                .store
                .get_participant(&c.workspace_id, &pid)
                .await?
                .and_then(|p| p.name),
            None => None,
        };
        out.push(PlaceOut {
            place: w.place,
            participant_id: w.participant_id,
            name: if full {
                name
            } else {
                masked_name(name.as_deref())
            },
            conversions: w.conversions,
            net_revenue: w.net_revenue,
            reward_id: w.reward_id,
        });
    }
    Ok(out)
}

async fn out(state: &AppState, c: Contest, standings: bool, full: bool) -> Result<ContestOut> {
    let current = if standings && c.status == ContestStatus::Open {
        // The same places closing would fix now: blocked advocates and those with
        // nothing are left out.
        let leaders = vouch_app::contests::places(state.store.as_ref(), &c).await?;
        Some(names(state, &c, leaders, full).await?)
    } else {
        None
    };
    Ok(ContestOut {
        winners: names(state, &c, c.winners.clone(), full).await?,
        standings: current,
        id: c.id.to_string(),
        program_id: c.program_id.to_string(),
        name: c.name,
        starts_at: rfc3339(c.starts_at),
        ends_at: rfc3339(c.ends_at),
        closes_at: rfc3339(c.closes_at),
        rank_by: c.rank_by,
        currency: c.currency.to_string(),
        prizes: c.prizes,
        status: c.status,
        tie_rule: TIE_RULE,
        closed_at: c.closed_at.map(rfc3339),
        created_at: rfc3339(c.created_at),
    })
}

/// Starts a contest: the advocates with the most conversions (or referred revenue) in
/// the period win the prizes, issued as rewards when it closes.
#[utoipa::path(post, path = "/contests", tag = "contests",
    request_body = ContestIn,
    responses((status = 201, description = "The contest", body = ContestOut),
        (status = 404, description = "No such program", body = Problem),
        (status = 422, description = "A field is not valid", body = Problem)),
    security(("secret_key" = [])))]
async fn create_contest(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<ContestIn>,
) -> Result<(StatusCode, Json<ContestOut>)> {
    let program = program_field(&state, &auth, &input.program_id).await?;
    let currency = money_currency(input.currency.as_deref(), Some(&program))?;
    let new = NewContest {
        name: input.name,
        starts_at: parse_time("starts_at", &input.starts_at)?,
        ends_at: parse_time("ends_at", &input.ends_at)?,
        rank_by: input.rank_by.unwrap_or(RankBy::Conversions),
        currency,
        prizes: input.prizes,
    };
    let c =
        vouch_app::contests::create(state.store.as_ref(), &program, new, state.clock.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(out(&state, c, false, false).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub program_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContestList {
    pub data: Vec<ContestOut>,
}

/// The workspace's contests (of one program), newest first.
#[utoipa::path(get, path = "/contests", tag = "contests",
    params(ListParams),
    responses((status = 200, description = "Contests", body = ContestList)),
    security(("secret_key" = [])))]
async fn list_contests(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<ContestList>> {
    let program = p
        .program_id
        .as_deref()
        .map(|raw| {
            ProgramId::parse(raw)
                .ok_or_else(|| ApiError::invalid("program_id", "is not a program id"))
        })
        .transpose()?;
    let mut data = vec![];
    for c in state
        .store
        .list_contests(&auth.workspace_id, program.as_ref())
        .await?
    {
        data.push(out(&state, c, false, false).await?);
    }
    Ok(Json(ContestList { data }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShowParams {
    /// `true`: full names (for the merchant's own use); masked by default.
    pub full_names: Option<bool>,
}

async fn find(state: &AppState, ws: &vouch_domain::ids::WorkspaceId, raw: &str) -> Result<Contest> {
    let id = path_id(raw, ContestId::parse, "contest")?;
    state
        .store
        .get_contest(ws, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "contest" })
}

/// A contest, with its current leaders while it runs and its winners once closed.
#[utoipa::path(get, path = "/contests/{id}", tag = "contests",
    params(("id" = String, Path, description = "Contest id (`con_…`)"), ShowParams),
    responses((status = 200, description = "The contest", body = ContestOut),
        (status = 404, description = "No such contest", body = Problem)),
    security(("secret_key" = [])))]
async fn get_contest(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ShowParams>,
) -> Result<Json<ContestOut>> {
    let c = find(&state, &auth.workspace_id, &id).await?;
    Ok(Json(
        out(&state, c, true, p.full_names == Some(true)).await?,
    ))
}

/// Calls off an open contest: no prizes are issued.
#[utoipa::path(post, path = "/contests/{id}/cancel", tag = "contests",
    params(("id" = String, Path, description = "Contest id (`con_…`)")),
    responses((status = 200, description = "The cancelled contest", body = ContestOut),
        (status = 404, description = "No such contest", body = Problem),
        (status = 409, description = "It has closed already", body = Problem)),
    security(("secret_key" = [])))]
async fn cancel_contest(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<ContestOut>> {
    let mut c = find(&state, &auth.workspace_id, &id).await?;
    let closed = || ApiError::Conflict {
        code: "contest_closed",
        field: None,
        message: "the contest has closed (or was cancelled) already".into(),
    };
    c.cancel(state.clock.now()).map_err(|_| closed())?;
    if !state.store.cancel_contest(&c).await? {
        return Err(closed());
    }
    Ok(Json(out(&state, c, false, false).await?))
}

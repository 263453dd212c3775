//! Programs: `/api/v1/programs`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::ids::ProgramId;
use vouch_domain::program::{slugify, ProgramConfig};
use vouch_store::{Program, ProgramStatus, StoreError};

use super::common::{path_id, List, PageParams};
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_program, list_programs))
        .routes(routes!(get_program, update_program))
}

pub use super::program_shapes::*;

/// Looks a program up within the caller's workspace.
pub async fn find_program(
    state: &AppState,
    auth: &crate::auth::Auth,
    id: &ProgramId,
) -> Result<Program> {
    state
        .store
        .get_program(&auth.workspace_id, id)
        .await?
        .ok_or(ApiError::NotFound { what: "program" })
}

/// The program a `program_id` field or parameter names, in this workspace.
pub async fn program_field(
    state: &AppState,
    auth: &crate::auth::Auth,
    raw: &str,
) -> Result<Program> {
    let id = ProgramId::parse(raw)
        .ok_or_else(|| ApiError::invalid("program_id", "is not a program id"))?;
    find_program(state, auth, &id).await
}

/// A reward check must name one of this workspace's endpoints.
async fn check_endpoint(
    state: &AppState,
    auth: &crate::auth::Auth,
    c: &ProgramConfig,
) -> Result<()> {
    let Some(check) = &c.reward_check else {
        return Ok(());
    };
    let found = match vouch_domain::ids::WebhookEndpointId::parse(&check.endpoint_id) {
        Some(id) => state
            .store
            .get_endpoint(&auth.workspace_id, &id)
            .await?
            .is_some(),
        None => false,
    };
    if found {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "reward_check.endpoint_id",
            "is not a webhook endpoint of this workspace",
        ))
    }
}

/// Create a program.
#[utoipa::path(post, path = "/programs", tag = "programs",
    request_body = ProgramIn,
    responses((status = 201, description = "Created", body = ProgramOut)),
    security(("secret_key" = [])))]
async fn create_program(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiJson(input): ApiJson<ProgramIn>,
) -> Result<(StatusCode, Json<ProgramOut>)> {
    let config = ProgramConfig {
        name: input.name,
        destination_url: input.destination_url,
        allowed_domains: input.allowed_domains.unwrap_or_default(),
        attribution_window_days: input.attribution_window_days.unwrap_or(30),
        attribution_model: input.attribution_model.unwrap_or_default(),
        hold_days: input.hold_days.unwrap_or(0),
        referrer_reward: input.referrer_reward,
        referee_reward: input.referee_reward,
        starts_at: time_field("starts_at", input.starts_at.as_deref())?,
        ends_at: time_field("ends_at", input.ends_at.as_deref())?,
        boosts: input.boosts,
        milestones: input.milestones,
        caps: input.caps.unwrap_or_default(),
        welcome_reward: input.welcome_reward,
        multi_level: input.multi_level,
        points_value: input.points_value,
        payout_threshold: input.payout_threshold,
        fraud: input.fraud.unwrap_or_default(),
        friend_page: input.friend_page.unwrap_or_default(),
        unique_click_window_hours: input.unique_click_window_hours.unwrap_or(0),
        emails: input.emails.unwrap_or_default(),
        reward_check: input.reward_check,
        time_zone: input.time_zone,
        holdout_percent: input.holdout_percent.unwrap_or(0),
        holdout_since: None,
    }
    .validate()?;
    check_endpoint(&state, &auth, &config).await?;
    let now = state.clock.now();
    let mut config = config;
    if config.holdout_percent > 0 {
        config.holdout_since = Some(now);
    }
    let base = slugify(&config.name);
    let mut program = Program {
        id: ProgramId::new(),
        workspace_id: auth.workspace_id.clone(),
        slug: base.clone(),
        status: input
            .status
            .map(Into::into)
            .unwrap_or(ProgramStatus::Active),
        config,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    // Slugs are global; on a clash, add a short random suffix.
    for _ in 0..8 {
        match state.store.insert_program(&program).await {
            Ok(()) => {
                return Ok((
                    StatusCode::CREATED,
                    Json(ProgramOut::new(program, &state.config.public_url)),
                ))
            }
            Err(StoreError::Conflict { what: "slug" }) => {
                let suffix = vouch_domain::code::ReferralCode::generate();
                program.slug = format!("{base}-{}", &suffix.as_str()[..5].to_ascii_lowercase());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no free slug for {base}"
    )))
}

/// List programs.
#[utoipa::path(get, path = "/programs", tag = "programs",
    params(PageParams),
    responses((status = 200, description = "A page of programs", body = List<ProgramOut>)),
    security(("secret_key" = [])))]
async fn list_programs(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<List<ProgramOut>>> {
    let q = page.query()?;
    let page = state.store.list_programs(&auth.workspace_id, &q).await?;
    let url = state.config.public_url.clone();
    Ok(Json(List::from_page(page, |p| ProgramOut::new(p, &url))))
}

/// Get a program.
#[utoipa::path(get, path = "/programs/{id}", tag = "programs",
    params(("id" = String, Path, description = "Program id")),
    responses((status = 200, description = "The program", body = ProgramOut),
        (status = 404, description = "No such program in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn get_program(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<ProgramOut>> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let program = find_program(&state, &auth, &id).await?;
    Ok(Json(ProgramOut::new(program, &state.config.public_url)))
}

/// Update a program.
#[utoipa::path(patch, path = "/programs/{id}", tag = "programs",
    params(("id" = String, Path, description = "Program id")),
    request_body = ProgramPatch,
    responses((status = 200, description = "The updated program", body = ProgramOut),
        (status = 404, description = "No such program in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn update_program(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ProgramPatch>,
) -> Result<Json<ProgramOut>> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let mut program = find_program(&state, &auth, &id).await?;
    let status = patch.status;
    let zone_before = program.config.time_zone.clone();
    let holdout_before = program.config.holdout_percent;
    program.config = apply_patch(program.config.clone(), patch)?;
    if program.config.holdout_percent != holdout_before {
        program.config.holdout_since = Some(state.clock.now());
    }
    check_endpoint(&state, &auth, &program.config).await?;
    if let Some(s) = status {
        program.status = s.into();
    }
    program.version += 1;
    program.updated_at = state.clock.now();
    state.store.update_program(&program).await?;
    if program.config.time_zone != zone_before {
        // Its days are counted again in the new zone; until then reports fold them
        // from quarter hours.
        state.store.mark_program_dirty(&program.id).await?;
    }
    state.links.clear();
    state.programs.clear();
    Ok(Json(ProgramOut::new(program, &state.config.public_url)))
}

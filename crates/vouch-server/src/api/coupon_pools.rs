//! Coupon pools: `/api/v1/programs/{id}/coupon-pools`, codes a merchant uploads (CSV
//! or JSON) for coupon rewards that draw from a pool instead of generating codes.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::ids::{CouponPoolId, ProgramId};
use vouch_store::CouponPool;

use super::common::{path_id, rfc3339};
use super::programs::find_program;
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::parse_json;
use crate::state::AppState;
use vouch_app::coupons::{add_codes, create_pool, csv_codes, parse_codes, Uploaded};

/// Uploads are larger than other requests: up to 100,000 codes.
const UPLOAD_LIMIT: usize = 4 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_coupon_pool, list_coupon_pools))
        .routes(routes!(add_coupon_codes))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}

/// A pool as JSON: `{"name": "Spring", "codes": ["SPRING-001", …]}`. As CSV
/// (`Content-Type: text/csv`), the codes are the first column, one per line, with an
/// optional `code` header; the name comes from the `name` query parameter.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CouponPoolIn {
    pub name: Option<String>,
    pub codes: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PoolParams {
    /// The pool's name, for CSV uploads.
    pub name: Option<String>,
}

/// A pool of coupon codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct CouponPoolOut {
    pub id: String,
    pub program_id: String,
    pub name: String,
    /// Codes not drawn yet.
    pub available: i64,
    /// Codes given to rewards.
    pub issued: i64,
    /// Codes read from this upload, blank rows, a header row and repeats left out
    /// (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<usize>,
    /// New codes in this upload (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<usize>,
    /// Waiting rewards that got a code from this upload (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned: Option<usize>,
    pub created_at: String,
}

impl CouponPoolOut {
    fn new(p: CouponPool, upload: Option<(usize, usize, usize)>) -> Self {
        Self {
            id: p.id.to_string(),
            program_id: p.program_id.to_string(),
            name: p.name,
            available: p.available,
            issued: p.issued,
            read: upload.map(|u| u.0),
            added: upload.map(|u| u.1),
            assigned: upload.map(|u| u.2),
            created_at: rfc3339(p.created_at),
        }
    }
}

impl From<Uploaded> for CouponPoolOut {
    fn from(u: Uploaded) -> Self {
        Self::new(u.pool, Some((u.read, u.added, u.assigned)))
    }
}

/// The codes and name of an upload, from JSON or CSV.
fn read_upload(
    headers: &HeaderMap,
    body: &[u8],
    name: Option<String>,
) -> Result<(String, Vec<String>)> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv") || v.starts_with("text/plain"));
    let (name, raw) = if is_csv {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::invalid("codes", "the CSV must be UTF-8"))?;
        (name, csv_codes(text)?)
    } else {
        let input: CouponPoolIn = parse_json(body)?;
        (input.name.or(name), input.codes)
    };
    let name = name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Coupon pool".into());
    if name.chars().count() > 200 {
        return Err(ApiError::invalid("name", "must be at most 200 characters"));
    }
    Ok((name, parse_codes(&raw)?))
}

/// Upload a coupon pool.
///
/// Coupon rewards whose rule names this pool (`coupon.pool_id`) draw its codes in
/// upload order. When the pool runs dry the reward stays `pending` with
/// `pending_reason: coupon_pool_empty`; the event still succeeds, and the reward gets a
/// code as soon as more are uploaded.
#[utoipa::path(post, path = "/programs/{id}/coupon-pools", tag = "programs",
    params(("id" = String, Path, description = "Program id"), PoolParams),
    request_body(content = CouponPoolIn, description = "JSON, or text/csv with one code per line"),
    responses((status = 201, description = "The pool", body = CouponPoolOut),
        (status = 404, description = "No such program in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn create_coupon_pool(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    Query(params): Query<PoolParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CouponPoolOut>)> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let program = find_program(&state, &auth, &id).await?;
    let (name, codes) = read_upload(&headers, &body, params.name)?;
    let up = create_pool(
        state.store.as_ref(),
        &program,
        name,
        codes,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(up.into())))
}

/// List a program's coupon pools.
#[utoipa::path(get, path = "/programs/{id}/coupon-pools", tag = "programs",
    params(("id" = String, Path, description = "Program id")),
    responses((status = 200, description = "The pools", body = Vec<CouponPoolOut>),
        (status = 404, description = "No such program in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn list_coupon_pools(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<CouponPoolOut>>> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let program = find_program(&state, &auth, &id).await?;
    let pools = state
        .store
        .list_coupon_pools(&auth.workspace_id, &program.id)
        .await?;
    Ok(Json(
        pools
            .into_iter()
            .map(|p| CouponPoolOut::new(p, None))
            .collect(),
    ))
}

/// Add codes to a pool.
///
/// Codes already in the pool are skipped. Rewards waiting for this pool get codes at
/// once (and are approved if their hold is over).
#[utoipa::path(post, path = "/programs/{id}/coupon-pools/{pool_id}/codes", tag = "programs",
    params(("id" = String, Path, description = "Program id"),
        ("pool_id" = String, Path, description = "Coupon pool id")),
    request_body(content = CouponPoolIn, description = "JSON, or text/csv with one code per line"),
    responses((status = 200, description = "The pool after the upload", body = CouponPoolOut),
        (status = 404, description = "No such program or pool", body = Problem)),
    security(("secret_key" = [])))]
async fn add_coupon_codes(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path((id, pool_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CouponPoolOut>> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let pool_id = path_id(&pool_id, CouponPoolId::parse, "coupon pool")?;
    let program = find_program(&state, &auth, &id).await?;
    let pool = state
        .store
        .get_coupon_pool(&auth.workspace_id, &pool_id)
        .await?
        .filter(|p| p.program_id == program.id)
        .ok_or(ApiError::NotFound {
            what: "coupon pool",
        })?;
    let (_, codes) = read_upload(&headers, &body, Some(pool.name))?;
    let up = add_codes(
        state.store.as_ref(),
        &program,
        &pool_id,
        codes,
        state.clock.now(),
    )
    .await?;
    Ok(Json(up.into()))
}

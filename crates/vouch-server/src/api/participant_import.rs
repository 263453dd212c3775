//! Importing existing customers as advocates:
//! `POST /api/v1/programs/{id}/participants/import` with a CSV file or JSON lines.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_app::imports::{self, Format, ImportReport};
use vouch_domain::ids::ProgramId;

use super::common::path_id;
use super::programs::find_program;
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// 100,000 customers with names fit well inside this.
const IMPORT_LIMIT: usize = 32 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_participants))
        .layer(DefaultBodyLimit::max(IMPORT_LIMIT))
}

fn format_of(headers: &HeaderMap) -> Result<Format> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if kind.starts_with("text/csv") {
        Ok(Format::Csv)
    } else if [
        "application/x-ndjson",
        "application/jsonl",
        "application/json-lines",
        "application/jsonlines",
    ]
    .iter()
    .any(|t| kind.starts_with(t))
    {
        Ok(Format::JsonLines)
    } else {
        Err(ApiError::BadRequest {
            code: "unsupported_media_type",
            message: "send the file as text/csv or application/x-ndjson (JSON lines)".into(),
        })
    }
}

/// Import existing customers as advocates.
///
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Send each new advocate the welcome email (default `false`: importing a customer
    /// list writes to nobody).
    pub welcome_email: Option<bool>,
}

/// A CSV file (`Content-Type: text/csv`) whose first row names the columns `email`,
/// `name`, `locale` (`ar` or `en`), `external_id` and `code` (a vanity referral code),
/// or JSON lines (`application/x-ndjson`) with the same fields. Idempotent on email
/// (and external id): people already enrolled are counted `existing` and left as they
/// are, so the same file can be sent again. Rows that break a rule (a malformed email,
/// a taken code) are refused with their line number and reason; a file that cannot be
/// read (bad quoting, ragged rows, no email column, not UTF-8) is refused whole and
/// nothing is imported.
#[utoipa::path(post, path = "/programs/{id}/participants/import", tag = "participants",
    params(("id" = String, Path, description = "Program id"), ImportParams),
    request_body(content((String = "text/csv"), (String = "application/x-ndjson")),
        description = "email,name,locale,external_id,code"),
    responses((status = 200, description = "What was imported", body = ImportReport),
        (status = 404, description = "No such program in this workspace", body = Problem)),
    security(("secret_key" = [])))]
async fn import_participants(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>> {
    let id = path_id(&id, ProgramId::parse, "program")?;
    let program = find_program(&state, &auth, &id).await?;
    let rows = imports::parse(format_of(&headers)?, &body)?;
    let report = imports::import(
        state.store.as_ref(),
        &program,
        rows,
        params.welcome_email.unwrap_or(false),
        state.clock.now(),
    )
    .await?;
    Ok(Json(report))
}

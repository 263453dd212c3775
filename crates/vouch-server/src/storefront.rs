//! The storefront script, `GET /v1/vouch.js`: the merchant's shop loads it with one
//! tag; it keeps the friend's referral on the shop's own domain until checkout or
//! signup (see `assets/vouch.js`). Hand-written: no package does this job, and it
//! must stay small and dependency-free on the merchant's pages. Beside it,
//! `GET /v1/programs/{slug}/social-proof`: counts a shop may show ("1 284 people have
//! joined"), and no personal data but a first name.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const SCRIPT: &str = include_str!("../assets/vouch.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/vouch.js", get(script))
        .route("/v1/programs/{slug}/social-proof", get(social_proof))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // A stable URL: changes reach shops within the hour.
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // Lets a shop load it with `crossorigin` and an integrity hash.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        SCRIPT,
    )
}

/// `{"participants": 1284, "rewarded_this_week": 13, "latest_first_name": "Sara"}` for an
/// active program; 404 otherwise. Public, cacheable for a minute.
async fn social_proof(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let program = match state.store.get_program_by_slug(&slug).await {
        Ok(Some(p)) if p.status == vouch_domain::entities::ProgramStatus::Active => p,
        Ok(_) => return crate::error::ApiError::NotFound { what: "program" }.into_response(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let since = state.clock.now() - 7 * vouch_domain::DAY_MS;
    match state.store.social_proof(&program.id, since).await {
        Ok(p) => (
            StatusCode::OK,
            [
                (header::CACHE_CONTROL, "public, max-age=60"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            axum::Json(serde_json::json!({
                "participants": p.participants,
                "rewarded_this_week": p.rewarded,
                "latest_first_name": p.latest_name.as_deref()
                    .and_then(|n| n.split_whitespace().next()),
            })),
        )
            .into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

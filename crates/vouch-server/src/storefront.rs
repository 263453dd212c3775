//! The storefront script, `GET /v1/vouch.js`: the merchant's shop loads it with one
//! tag; it keeps the friend's referral on the shop's own domain until checkout or
//! signup (see `assets/vouch.js`). Hand-written: no package does this job, and it
//! must stay small and dependency-free on the merchant's pages.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const SCRIPT: &str = include_str!("../assets/vouch.js");

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/vouch.js", get(script))
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

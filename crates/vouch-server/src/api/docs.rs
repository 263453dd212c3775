//! `/api/docs`: the interactive API reference (request examples in several languages
//! and a try-it console), rendered in the browser by Scalar's standalone bundle from
//! `/api/openapi.json`. The bundle is vendored in `assets/api-reference/` with its
//! licence and served from the binary: no CDN, no request to any other origin (see
//! that directory's README for the configuration that ensures it).

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const PAGE: &str = include_str!("../../assets/api-reference/index.html");
const BUNDLE: &[u8] = include_bytes!("../../assets/api-reference/scalar.standalone.js");

/// The bundle injects styles (hence `'unsafe-inline'` for styles only); scripts come
/// from this server alone and nothing may connect elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-src blob:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/docs", get(page))
        .route("/api/docs/scalar.standalone.js", get(bundle))
}

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}

async fn bundle() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        BUNDLE,
    )
}

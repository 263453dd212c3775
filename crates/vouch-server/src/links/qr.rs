//! The referral link as an SVG QR code, for printed cards and screens.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::portal::{not_found_page, Lang};
use crate::state::AppState;

/// The referral link as a QR code (SVG).
pub async fn link_qr(
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let code = code.map(|Path(c)| c).unwrap_or_default();
    let Some(link) = super::resolve(&state, &code).await else {
        return not_found_page(&state, Lang::from_headers(None, &headers));
    };
    // Scans are counted under their own source.
    let url = format!("{}/r/{}?s=qr", state.config.public_url, link.target.code);
    match render_svg(&url) {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            svg,
        )
            .into_response(),
        None => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub fn render_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
    )
}

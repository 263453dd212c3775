//! Pages advocates and friends see: the program page `/p/{slug}` (join, then your link,
//! QR code and share buttons), the friend page a link can lead to (the friend's offer
//! and coupon) and the friendly 404 of unknown links. Server-rendered,
//! in Arabic (right-to-left) and English, with no CDN so they work offline.

pub(crate) mod friend;
pub(crate) mod i18n;
pub(crate) mod preview;
mod program;
mod unsubscribe;

use std::fmt::Write as _;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::Environment;

pub use i18n::Lang;

use crate::state::AppState;

/// Templates and translations, loaded once at start-up from files embedded in the binary.
pub struct Pages {
    env: Environment<'static>,
    i18n: i18n::Catalog,
    /// The Content-Security-Policy of every page: the inline style and scripts are
    /// allowed by their hashes, nothing else inline (no `unsafe-inline`).
    csp: axum::http::HeaderValue,
}

/// `'sha256-…'` of the text of every `<{tag}>…</{tag}>` in the templates (the scripts
/// and the style are static text, so the rendered page carries them byte for byte).
fn inline_hashes(sources: &[&str], tag: &str) -> Vec<String> {
    use base64::Engine;
    use sha2::Digest;
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = vec![];
    for src in sources {
        let mut rest = *src;
        while let Some(start) = rest.find(&open) {
            let body = &rest[start + open.len()..];
            let Some(end) = body.find(&close) else { break };
            let digest = sha2::Sha256::digest(&body.as_bytes()[..end]);
            out.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
            rest = &body[end..];
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Pages {
    pub fn load() -> anyhow::Result<Self> {
        let sources = [
            include_str!("../../templates/base.html"),
            include_str!("../../templates/program.html"),
            include_str!("../../templates/friend.html"),
            include_str!("../../templates/preview.html"),
            include_str!("../../templates/not_found.html"),
            include_str!("../../templates/unsubscribe.html"),
        ];
        let csp = format!(
            "default-src 'none'; style-src {}; script-src {}; img-src 'self' https: data:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            inline_hashes(&sources, "style").join(" "),
            inline_hashes(&sources, "script").join(" "),
        );
        let mut env = Environment::new();
        env.set_formatter(html_formatter);
        env.add_template("base.html", include_str!("../../templates/base.html"))?;
        env.add_template("program.html", include_str!("../../templates/program.html"))?;
        env.add_template("friend.html", include_str!("../../templates/friend.html"))?;
        env.add_template("preview.html", include_str!("../../templates/preview.html"))?;
        env.add_template(
            "unsubscribe.html",
            include_str!("../../templates/unsubscribe.html"),
        )?;
        env.add_template(
            "not_found.html",
            include_str!("../../templates/not_found.html"),
        )?;
        Ok(Self {
            env,
            i18n: i18n::Catalog::load()?,
            csp: axum::http::HeaderValue::from_str(&csp)?,
        })
    }

    pub fn i18n(&self) -> &i18n::Catalog {
        &self.i18n
    }

    /// Renders a page; a template error is logged and answered with a bare 500.
    pub fn render(&self, status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => {
                use axum::http::{header, HeaderValue};
                let mut resp = (status, Html(html)).into_response();
                let h = resp.headers_mut();
                h.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
                h.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                h.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("strict-origin-when-cross-origin"),
                );
                h.insert(
                    header::HeaderName::from_static("permissions-policy"),
                    HeaderValue::from_static(
                        "camera=(), microphone=(), geolocation=(), payment=()",
                    ),
                );
                resp
            }
            Err(e) => {
                tracing::error!(template = name, error = %e, "page failed to render");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// minijinja's HTML escaping also escapes `/`, which turns every link in the page into
/// `http:&#x2f;&#x2f;…`; browsers cope, but people reading or copying the source do not.
/// Escape only what HTML needs.
pub(crate) fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(s)
            if !value.is_safe() && matches!(state.auto_escape(), minijinja::AutoEscape::Html) =>
        {
            for c in s.chars() {
                match c {
                    '&' => out.write_str("&amp;"),
                    '<' => out.write_str("&lt;"),
                    '>' => out.write_str("&gt;"),
                    '"' => out.write_str("&quot;"),
                    '\'' => out.write_str("&#39;"),
                    c => out.write_char(c),
                }
                .map_err(|_| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write failed")
                })?;
            }
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/{slug}", get(program::show_program))
        .route("/p/{slug}/join", post(program::join_program))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe::show).post(unsubscribe::confirm),
        )
}

/// The visitor's network and browser as the fraud rules compare them (keyed hashes).
pub(crate) async fn sighting(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    peer: std::net::SocketAddr,
    workspace: &vouch_domain::ids::WorkspaceId,
) -> vouch_app::fraud::Sighting {
    let ctx = vouch_app::fraud::ContextIn {
        ip_address: Some(crate::links::client_ip(state, headers, peer)),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..Default::default()
    };
    vouch_app::fraud::fingerprint(state.store.as_ref(), &state.fraud, workspace, &ctx)
        .await
        .unwrap_or_default()
}

/// What a rule gives, in the page's language: `10.00 USD`, `50 PTS`, `20% off` (in
/// Arabic `خصم 20%`).
pub fn gift_text(
    cat: &i18n::Catalog,
    lang: Lang,
    rule: &vouch_domain::program::RewardRule,
) -> String {
    let summary = rule.summary();
    match summary.strip_suffix(" off") {
        Some(value) => cat.format(lang, "value-off", &[("value", value.to_owned())]),
        None => summary,
    }
}

/// The friendly page for unknown or inactive links and programs.
pub fn not_found_page(state: &AppState, lang: Lang) -> Response {
    let t = state.pages.i18n.messages(lang);
    let ctx = minijinja::context! {
        lang => lang.code(), dir => lang.dir(), title => t.get("not_found_title"),
        brand => "Vouch", t => t,
    };
    state
        .pages
        .render(StatusCode::NOT_FOUND, "not_found.html", ctx)
}

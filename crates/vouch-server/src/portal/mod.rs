//! Pages advocates and friends see: the program page `/p/{slug}` (join, then your link,
//! QR code and share buttons) and the friendly 404 of unknown links. Server-rendered,
//! in Arabic (right-to-left) and English, with no CDN so they work offline.

mod i18n;
mod program;

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
}

impl Pages {
    pub fn load() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_formatter(html_formatter);
        env.add_template("base.html", include_str!("../../templates/base.html"))?;
        env.add_template("program.html", include_str!("../../templates/program.html"))?;
        env.add_template(
            "not_found.html",
            include_str!("../../templates/not_found.html"),
        )?;
        Ok(Self {
            env,
            i18n: i18n::Catalog::load()?,
        })
    }

    pub fn i18n(&self) -> &i18n::Catalog {
        &self.i18n
    }

    /// Renders a page; a template error is logged and answered with a bare 500.
    pub fn render(&self, status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => (status, Html(html)).into_response(),
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
fn html_formatter(
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

//! The page chat and social apps read to build a link's preview: Open Graph and
//! Twitter card tags that make a shared link look like an invitation ("Sara gives you
//! 20% off at Demo Coffee"), in the advocate's language, with the program's image and
//! the link itself as the canonical URL. People never see it: they get the redirect.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use super::{friend, gift_text, not_found_page, Lang};
use crate::links::Link;
use crate::state::AppState;

pub async fn page(state: &AppState, link: &Link) -> Response {
    let Some((program, advocate)) = friend::context(state, link).await else {
        return not_found_page(state, Lang::En);
    };
    // The advocate shares in their own language; their friends most likely read it.
    let lang = advocate
        .as_ref()
        .and_then(|a| Lang::parse(&a.locale))
        .unwrap_or(Lang::En);
    let cat = state.pages.i18n();
    let c = &program.config;
    let name = friend::first_name(advocate.as_ref());
    let gift = c
        .referee_reward
        .as_ref()
        .map(|r| gift_text(cat, lang, r))
        .filter(|g| !g.is_empty());
    let program_name = c.name.clone();
    let title = match (&name, &gift) {
        (Some(n), Some(g)) => cat.format(
            lang,
            "preview-title",
            &[
                ("name", n.clone()),
                ("gift", g.clone()),
                ("program", program_name.clone()),
            ],
        ),
        (None, Some(g)) => cat.format(
            lang,
            "preview-title-anon",
            &[("gift", g.clone()), ("program", program_name.clone())],
        ),
        (Some(n), None) => cat.format(
            lang,
            "friend-title",
            &[("name", n.clone()), ("program", program_name.clone())],
        ),
        (None, None) => cat.format(
            lang,
            "friend-title-anon",
            &[("program", program_name.clone())],
        ),
    };
    let url = format!("{}/r/{}", state.config.public_url, link.target.code);
    let ctx = minijinja::context! {
        lang => lang.code(),
        dir => lang.dir(),
        title => title,
        description => cat.format(lang, "preview-description", &[("program", program_name.clone())]),
        site => program_name,
        url => url,
        image => c.friend_page.image_url.clone(),
        locale => if lang == Lang::Ar { "ar_AR" } else { "en_US" },
    };
    let mut resp = state.pages.render(StatusCode::OK, "preview.html", ctx);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    // Apps cache previews themselves; a short private cache spares a burst of
    // refetches, and no shared cache may serve this page to a person.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    h.insert(header::VARY, HeaderValue::from_static("User-Agent"));
    resp
}

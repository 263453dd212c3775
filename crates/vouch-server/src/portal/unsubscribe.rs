//! `/unsubscribe/{token}`, the link in every email's footer and `List-Unsubscribe`
//! header. A GET only asks (mail scanners follow links); a POST unsubscribes, both the
//! page's button and a mail client's one-click `List-Unsubscribe=One-Click` (RFC 8058).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Lang;
use crate::state::AppState;

/// The program's name and the language of the person an email went to.
async fn about(state: &AppState, email: &vouch_store::EmailMessage) -> (String, Lang) {
    let lang = Lang::parse(vouch_app::emails::lang(email.locale.as_deref())).unwrap_or(Lang::En);
    let name = state
        .store
        .find_program(&email.program_id)
        .await
        .ok()
        .flatten()
        .map(|p| p.config.name)
        .unwrap_or_default();
    (name, lang)
}

fn page(
    state: &AppState,
    lang: Lang,
    question: Option<String>,
    done: Option<String>,
    action: &str,
) -> Response {
    let t = state.pages.i18n().messages(lang);
    let ctx = minijinja::context! {
        lang => lang.code(), dir => lang.dir(), title => t.get("unsubscribe_title"),
        brand => "Vouch", t => t, question => question, done => done, action => action,
    };
    state.pages.render(StatusCode::OK, "unsubscribe.html", ctx)
}

pub(crate) async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let secret = state.config.hash_secret.clone();
    match vouch_app::emails::email_for_token(state.store.as_ref(), secret.as_deref(), &token).await
    {
        Ok(email) => {
            let (program, lang) = about(&state, &email).await;
            let question = state.pages.i18n().format(
                lang,
                "unsubscribe-question",
                &[
                    ("program", program),
                    ("email", email.to_address.unwrap_or_default()),
                ],
            );
            page(
                &state,
                lang,
                Some(question),
                None,
                &format!("/unsubscribe/{token}"),
            )
        }
        Err(_) => super::not_found_page(&state, Lang::from_headers(None, &headers)),
    }
}

pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let secret = state.config.hash_secret.clone();
    let store = state.store.as_ref();
    let now = state.clock.now();
    let email = match vouch_app::emails::email_for_token(store, secret.as_deref(), &token).await {
        Ok(e) => e,
        Err(_) => return super::not_found_page(&state, Lang::from_headers(None, &headers)),
    };
    let address = match vouch_app::emails::unsubscribe(store, secret.as_deref(), &token, now).await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "unsubscribing failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // A mail client's one-click request wants no page.
    if body.contains("List-Unsubscribe=One-Click") {
        return (StatusCode::OK, "unsubscribed").into_response();
    }
    let (_, lang) = about(&state, &email).await;
    let done = state
        .pages
        .i18n()
        .format(lang, "unsubscribe-done", &[("email", address)]);
    page(&state, lang, None, Some(done), "")
}

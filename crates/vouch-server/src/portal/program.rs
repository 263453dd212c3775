//! The program page: `/p/{slug}` to join and share, `/p/{slug}/join` to enrol.
//!
//! The join form creates no session and grants nothing beyond the public share link,
//! so there is no ambient authority for a cross-site request to abuse.

use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use vouch_domain::email::Email;
use vouch_store::{Enrolment, Program, ProgramStatus};

use super::{not_found_page, Lang};
use crate::state::AppState;
use vouch_app::enrolment::{enroll, EnrolmentInput};

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct JoinForm {
    email: String,
    name: Option<String>,
    lang: Option<String>,
}

#[derive(Serialize)]
struct Share {
    id: &'static str,
    label: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Shown {
    url: String,
    /// The link as the copy button copies it: clicks on it count under `copy`.
    copy_url: String,
    code: String,
    qr: String,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The share buttons, each link marked with its channel (`?s=whatsapp`) so clicks are
/// counted under it.
fn share_links(text: &str, subject: &str, base: &str) -> Vec<Share> {
    let marked = |s: &str| format!("{base}?s={s}");
    let both = |s: &str| format!("{text} {}", marked(s));
    vec![
        Share {
            id: "whatsapp",
            label: "WhatsApp",
            url: format!("https://wa.me/?text={}", enc(&both("whatsapp"))),
        },
        Share {
            id: "x",
            label: "X",
            url: format!(
                "https://x.com/intent/tweet?text={}&url={}",
                enc(text),
                enc(&marked("x"))
            ),
        },
        Share {
            id: "facebook",
            label: "Facebook",
            url: format!(
                "https://www.facebook.com/sharer/sharer.php?u={}",
                enc(&marked("facebook"))
            ),
        },
        Share {
            id: "telegram",
            label: "Telegram",
            url: format!(
                "https://t.me/share/url?url={}&text={}",
                enc(&marked("telegram")),
                enc(text)
            ),
        },
        Share {
            id: "linkedin",
            label: "LinkedIn",
            url: format!(
                "https://www.linkedin.com/sharing/share-offsite/?url={}",
                enc(&marked("linkedin"))
            ),
        },
        Share {
            id: "email",
            label: "Email",
            url: format!(
                "mailto:?subject={}&body={}",
                enc(subject),
                enc(&both("email"))
            ),
        },
        Share {
            id: "sms",
            label: "SMS",
            url: format!("sms:?&body={}", enc(&both("sms"))),
        },
    ]
}

struct PageInput<'a> {
    program: &'a Program,
    lang: Lang,
    shown: Option<Shown>,
    error: Option<String>,
    email: String,
    name: String,
}

fn render(state: &AppState, status: StatusCode, p: PageInput<'_>) -> Response {
    let cat = state.pages.i18n();
    let lang = p.lang;
    let name = p.program.config.name.clone();
    let c = &p.program.config;
    let money = |r: &Option<vouch_domain::program::RewardRule>| {
        r.as_ref().map(|r| super::gift_text(cat, lang, r))
    };
    // When each side is paid, in words: each rule says (`on`).
    use vouch_domain::rules::PaysOn;
    let when_key = |r: &Option<vouch_domain::program::RewardRule>, friend: bool| {
        let on = r.as_ref().map(|r| r.on).unwrap_or_default();
        match (on, friend) {
            (PaysOn::Signup, false) => "when-signup",
            (PaysOn::Event, false) => "when-event",
            (_, false) => "when-purchase",
            (PaysOn::Signup, true) => "friend-when-signup",
            (PaysOn::Arrival, true) => "friend-when-arrival",
            (_, true) => "friend-when-purchase",
        }
    };
    let text = |key: &str| {
        cat.messages(lang)
            .get(&key.replace('-', "_"))
            .cloned()
            .unwrap_or_default()
    };
    let when = text(when_key(&c.referrer_reward, false));
    let friend_when = text(when_key(&c.referee_reward, true));
    let offer = match (money(&c.referrer_reward), money(&c.referee_reward)) {
        (Some(referrer), Some(referee)) => Some(cat.format(
            lang,
            "hero-give-get",
            &[
                ("referrer", referrer),
                ("referee", referee),
                ("when", when),
                ("friend_when", friend_when),
            ],
        )),
        (Some(referrer), None) => {
            Some(cat.format(lang, "hero-get", &[("referrer", referrer), ("when", when)]))
        }
        (None, Some(referee)) => Some(cat.format(
            lang,
            "hero-give",
            &[("referee", referee), ("friend_when", friend_when)],
        )),
        (None, None) => None,
    };
    let share = p.shown.as_ref().map(|s| {
        share_links(
            &cat.format(lang, "share-text", &[("program", name.clone())]),
            &cat.format(lang, "email-subject", &[("program", name.clone())]),
            &s.url,
        )
    });
    let other = lang.other();
    let mut other_url = format!("/p/{}?lang={}", p.program.slug, other.code());
    if let Some(s) = &p.shown {
        other_url.push_str(&format!("&code={}", enc(&s.code)));
    }
    let ctx = minijinja::context! {
        lang => lang.code(),
        dir => lang.dir(),
        other_lang => other.code(),
        other_lang_url => other_url,
        title => cat.format(lang, "page-title", &[("program", name.clone())]),
        brand => name.clone(),
        hero_title => cat.format(lang, "hero-title", &[("program", name)]),
        offer => offer,
        slug => p.program.slug.clone(),
        open => p.program.status == ProgramStatus::Active,
        participant => p.shown,
        share => share,
        error => p.error,
        email => p.email,
        name => p.name,
        t => cat.messages(lang),
    };
    let mut resp = state.pages.render(status, "program.html", ctx);
    resp.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        header::HeaderValue::from_static(lang.code()),
    );
    resp
}

async fn program_by_slug(state: &AppState, slug: &str) -> Option<Program> {
    if slug.len() > 80 {
        return None;
    }
    match state.store.get_program_by_slug(slug).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "program lookup failed");
            None
        }
    }
}

/// The program page, or the share panel when `?code=` names one of its advocates.
pub async fn show_program(
    State(state): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    q: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    // Garbled paths and query strings are treated as absent, never as a 400 text page.
    let slug = slug.map(|Path(s)| s).unwrap_or_default();
    let q = q.map(|Query(q)| q).unwrap_or(PageQuery {
        lang: None,
        code: None,
    });
    let lang = Lang::from_headers(q.lang.as_deref(), &headers);
    let Some(program) = program_by_slug(&state, &slug).await else {
        return not_found_page(&state, lang);
    };
    let mut shown = None;
    if let Some(code) = q.code.as_deref() {
        if let Some(link) = crate::links::resolve(&state, code).await {
            if link.target.program_id == program.id {
                shown = Some(shown_for(&state, &link.target.code));
            }
        }
    }
    render(
        &state,
        StatusCode::OK,
        PageInput {
            program: &program,
            lang,
            shown,
            error: None,
            email: String::new(),
            name: String::new(),
        },
    )
}

fn shown_for(state: &AppState, code: &str) -> Shown {
    let base = &state.config.public_url;
    Shown {
        url: format!("{base}/r/{code}"),
        copy_url: format!("{base}/r/{code}?s=copy"),
        code: code.to_owned(),
        qr: format!("/r/{code}/qr.svg"),
    }
}

/// Enrols from the form, then shows the link (post/redirect/get).
pub async fn join_program(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    slug: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    form: Result<Form<JoinForm>, FormRejection>,
) -> Response {
    let slug = slug.map(|Path(s)| s).unwrap_or_default();
    // A form without an email is answered like a bad email: the page, with the error.
    let form = form.map(|Form(f)| f).unwrap_or(JoinForm {
        email: String::new(),
        name: None,
        lang: None,
    });
    let lang = Lang::from_headers(form.lang.as_deref(), &headers);
    let Some(program) = program_by_slug(&state, &slug).await else {
        return not_found_page(&state, lang);
    };
    let retry = |state: &AppState, status, error: String| {
        render(
            state,
            status,
            PageInput {
                program: &program,
                lang,
                shown: None,
                error: Some(error),
                email: form.email.clone(),
                name: form.name.clone().unwrap_or_default(),
            },
        )
    };
    if program.status != ProgramStatus::Active {
        let msg = state
            .pages
            .i18n()
            .messages(lang)
            .get("join_closed")
            .cloned()
            .unwrap_or_default();
        return retry(&state, StatusCode::CONFLICT, msg);
    }
    let Ok(email) = Email::parse("email", &form.email) else {
        let msg = state
            .pages
            .i18n()
            .messages(lang)
            .get("join_error_email")
            .cloned()
            .unwrap_or_default();
        return retry(&state, StatusCode::UNPROCESSABLE_ENTITY, msg);
    };
    // Without control characters (PostgreSQL refuses NUL) or bidi overrides.
    let name = form
        .name
        .as_deref()
        .and_then(|n| vouch_domain::text::clean_name(n, 200));
    // The advocate's own network and browser, to recognise them behind a friend later.
    let sighting = super::sighting(&state, &headers, peer, &program.workspace_id).await;
    let input = EnrolmentInput {
        email: Some(email),
        name,
        external_id: None,
        locale: lang.code().to_owned(),
        vanity_code: None,
        referred_by: None,
        fingerprint: sighting.fingerprint,
        hasher: sighting.hasher,
        welcome_email: true,
    };
    match enroll(state.store.as_ref(), &program, &input, state.clock.now()).await {
        Ok(Enrolment::Created(p) | Enrolment::Existing(p)) => Redirect::to(&format!(
            "/p/{}?lang={}&code={}#your-link",
            program.slug,
            lang.code(),
            enc(&p.referral_code)
        ))
        .into_response(),
        // A customer held out for the lift measurement: told plainly, without the
        // experiment's vocabulary.
        Err(vouch_app::error::AppError::Conflict {
            code: "holdout_control",
            ..
        }) => {
            let msg = state
                .pages
                .i18n()
                .messages(lang)
                .get("join_held_out")
                .cloned()
                .unwrap_or_default();
            retry(&state, StatusCode::FORBIDDEN, msg)
        }
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

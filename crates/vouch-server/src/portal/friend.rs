//! The friend page: where an advocate's link leads when the program turns it on
//! (`friend_page.enabled`). It names the advocate, shows the friend's offer and, when
//! the offer is given on arrival, takes the friend's email and shows their coupon at
//! once, with a copy button and a button on to the shop that carries `ref`,
//! `vouch_click` and the coupon. `GET /r/{code}` renders it (the click is recorded as
//! for a redirect); `POST /r/{code}/claim` claims the offer.
//!
//! The claim grants only the friend's own offer, once per email, through the same
//! fraud checks as every referral; there is no session for a cross-site form to ride.

use std::net::SocketAddr;

use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::{Deserialize, Serialize};
use vouch_domain::event::EventKind;
use vouch_domain::ids::ClickId;
use vouch_domain::program::{CouponLink, FriendPage};
use vouch_domain::rules::PaysOn;
use vouch_store::{Participant, Program};

use super::{not_found_page, Lang};
use crate::links::{Link, CLICK_COOKIE};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ClaimForm {
    email: String,
    click: Option<String>,
    lang: Option<String>,
}

/// What the page shows about the friend's offer.
#[derive(Debug, Default, Serialize)]
struct Offer {
    /// `form` (ask the email), `issued`, `pending`, `out_of_codes`, `unavailable`, or
    /// empty (no offer
    /// to claim: the button goes straight on).
    state: &'static str,
    code: Option<String>,
    /// Credit or points given at once (no code): what it is worth.
    value: Option<String>,
}

/// The program and the advocate behind a link.
pub(crate) async fn context(
    state: &AppState,
    link: &Link,
) -> Option<(Program, Option<Participant>)> {
    let t = &link.target;
    let key = (t.workspace_id.clone(), t.program_id.clone());
    let program = state
        .programs
        .get_or_load(
            &key,
            state.store.get_program(&t.workspace_id, &t.program_id),
        )
        .await
        .ok()
        .flatten()?;
    let advocate = state
        .store
        .get_participant(&t.workspace_id, &t.participant_id)
        .await
        .ok()
        .flatten();
    Some((program, advocate))
}

/// The advocate's first name, as they gave it.
pub(crate) fn first_name(p: Option<&Participant>) -> Option<String> {
    p.and_then(|p| p.name.as_deref())
        .and_then(|n| n.split_whitespace().next())
        .map(|n| n.chars().take(40).collect())
}

/// Where the button goes: the link's destination (with `ref` and `vouch_click`),
/// carrying the coupon as the program says.
pub fn shop_url(location: &str, coupon: Option<&str>, page: &FriendPage) -> String {
    let Some(code) = coupon else {
        return location.to_owned();
    };
    let Ok(mut url) = url::Url::parse(location) else {
        return location.to_owned();
    };
    match page.coupon_link {
        CouponLink::None => location.to_owned(),
        CouponLink::Query => {
            let param = page.coupon_param.as_deref().unwrap_or("coupon");
            url.query_pairs_mut().append_pair(param, code);
            url.to_string()
        }
        CouponLink::Shopify => {
            // Shopify applies `/discount/{code}` and then goes on to `redirect`, a path.
            let mut back = url.path().to_owned();
            if let Some(q) = url.query() {
                back.push('?');
                back.push_str(q);
            }
            let code: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
            url.set_path(&format!("/discount/{code}"));
            url.set_query(None);
            url.query_pairs_mut().append_pair("redirect", &back);
            url.to_string()
        }
    }
}

struct View<'a> {
    program: &'a Program,
    advocate: Option<&'a Participant>,
    code: &'a str,
    click: Option<&'a str>,
    location: String,
    offer: Offer,
    email: String,
    error: Option<String>,
}

fn render(state: &AppState, lang: Lang, status: StatusCode, v: View<'_>) -> Response {
    let cat = state.pages.i18n();
    let c = &v.program.config;
    let program = c.name.clone();
    let referee = c.referee_reward.as_ref();
    let gift = referee
        .map(|r| super::gift_text(cat, lang, r))
        .filter(|s| !s.is_empty());
    let title = match first_name(v.advocate) {
        Some(name) => cat.format(
            lang,
            "friend-title",
            &[("name", name), ("program", program.clone())],
        ),
        None => cat.format(lang, "friend-title-anon", &[("program", program.clone())]),
    };
    let offer_line = gift.map(|g| {
        let key = match referee.map(|r| r.on) {
            Some(PaysOn::Arrival) => "friend-offer-now",
            Some(PaysOn::Signup) => "friend-offer-signup",
            _ => "friend-offer-first-order",
        };
        cat.format(lang, key, &[("gift", g)])
    });
    let shop = shop_url(&v.location, v.offer.code.as_deref(), &c.friend_page);
    let other = lang.other();
    let ctx = minijinja::context! {
        lang => lang.code(),
        dir => lang.dir(),
        other_lang => other.code(),
        other_lang_url => format!("/r/{}?lang={}", v.code, other.code()),
        title => title.clone(),
        brand => program.clone(),
        heading => title,
        offer_line => offer_line,
        image_url => c.friend_page.image_url.clone(),
        offer => v.offer,
        shop_url => shop,
        code => v.code,
        click => v.click,
        email => v.email,
        error => v.error,
        shop_button => cat.format(lang, "friend-shop", &[("program", program)]),
        t => cat.messages(lang),
    };
    let mut resp = state.pages.render(status, "friend.html", ctx);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The page for a click just recorded (`attributed` is the click the friend keeps).
pub async fn show(
    state: &AppState,
    link: &Link,
    location: String,
    attributed: &str,
    lang: Lang,
) -> Response {
    let Some((program, advocate)) = context(state, link).await else {
        return not_found_page(state, lang);
    };
    let arrival = program
        .config
        .referee_reward
        .as_ref()
        .is_some_and(|r| r.on == PaysOn::Arrival);
    let mut resp = render(
        state,
        lang,
        StatusCode::OK,
        View {
            program: &program,
            advocate: advocate.as_ref(),
            code: &link.target.code,
            click: Some(attributed),
            location,
            offer: Offer {
                state: if arrival { "form" } else { "" },
                ..Offer::default()
            },
            email: String::new(),
            error: None,
        },
    );
    let cookie = crate::links::click_cookie(attributed, link.target.window_days);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// The friend claims their offer with their email: recorded as an `arrival` event.
pub async fn claim(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    code: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    form: Result<Form<ClaimForm>, FormRejection>,
) -> Response {
    let code = code.map(|Path(c)| c).unwrap_or_default();
    let form = form.map(|Form(f)| f).unwrap_or(ClaimForm {
        email: String::new(),
        click: None,
        lang: None,
    });
    let lang = Lang::from_headers(form.lang.as_deref(), &headers);
    let Some(link) = crate::links::resolve(&state, &code)
        .await
        .filter(|l| l.target.active && l.target.friend_page)
    else {
        return not_found_page(&state, lang);
    };
    let Some(template) = &link.template else {
        return not_found_page(&state, lang);
    };
    let Some((program, advocate)) = context(&state, &link).await else {
        return not_found_page(&state, lang);
    };
    // The click the page was shown with, if it is one of this link's.
    let asked = form.click.as_deref().and_then(ClickId::parse).or_else(|| {
        crate::links::cookie_value(&headers, CLICK_COOKIE)
            .as_deref()
            .and_then(ClickId::parse)
    });
    let click = match asked {
        Some(id) => state
            .store
            .get_click(&id)
            .await
            .ok()
            .flatten()
            .filter(|c| c.participant_id == link.target.participant_id)
            .map(|c| c.id),
        None => None,
    };
    let location = template.with_click(click.as_ref().map(|c| c.as_str()).unwrap_or(""));
    let view = |offer: Offer, email: String, error: Option<String>| View {
        program: &program,
        advocate: advocate.as_ref(),
        code: &link.target.code,
        click: click.as_ref().map(|c| c.as_str()),
        location: location.clone(),
        offer,
        email,
        error,
    };
    let msg = |key: &str| {
        state
            .pages
            .i18n()
            .messages(lang)
            .get(key)
            .cloned()
            .unwrap_or_default()
    };
    let Ok(email) = vouch_domain::email::Email::parse("email", &form.email) else {
        let offer = Offer {
            state: "form",
            ..Offer::default()
        };
        let v = view(offer, form.email.clone(), Some(msg("join_error_email")));
        return render(&state, lang, StatusCode::UNPROCESSABLE_ENTITY, v);
    };
    let sighting = super::sighting(&state, &headers, peer, &program.workspace_id).await;
    let input = vouch_app::events::EventInput {
        kind: EventKind::Arrival,
        event_name: None,
        refund_id: None,
        email: Some(email),
        external_id: None,
        click_id: click.clone(),
        referral_code: vouch_domain::code::ReferralCode::lookup_key(&link.target.code),
        coupon_code: None,
        order_id: None,
        amount: None,
        occurred_at: state.clock.now(),
        idempotency_key: None,
        fingerprint: sighting.fingerprint,
        ip_range_hash: sighting.ip_range_hash,
        hasher: sighting.hasher,
    };
    let recorded = vouch_app::events::record_event(
        state.store.as_ref(),
        &state.clock,
        &state.fraud,
        &program,
        &input,
    )
    .await;
    let body = match recorded {
        Ok(r) => r.body,
        Err(e) => {
            tracing::warn!(error = %e, "friend's offer not claimed");
            let offer = Offer {
                state: "form",
                ..Offer::default()
            };
            let v = view(offer, form.email.clone(), Some(msg("friend_error")));
            return render(&state, lang, StatusCode::SERVICE_UNAVAILABLE, v);
        }
    };
    let full: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let offer = crate::api::events::offer_of(&full);
    let shown = match offer["status"].as_str() {
        Some("issued") => Offer {
            state: "issued",
            code: offer["coupon_code"].as_str().map(str::to_owned),
            value: match (offer["amount"].as_i64(), offer["currency"].as_str()) {
                (Some(a), Some(c)) if offer["coupon_code"].is_null() => {
                    vouch_domain::money::Currency::parse_unit("currency", c)
                        .ok()
                        .map(|c| vouch_domain::money::Money::new(a, c).to_string())
                }
                _ => None,
            },
        },
        Some("pending") => Offer {
            state: "pending",
            ..Offer::default()
        },
        Some("out_of_codes") => Offer {
            state: "out_of_codes",
            ..Offer::default()
        },
        _ => Offer {
            state: "unavailable",
            ..Offer::default()
        },
    };
    render(
        &state,
        lang,
        StatusCode::OK,
        view(shown, String::new(), None),
    )
}

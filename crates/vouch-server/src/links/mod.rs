//! The referral link, `GET /r/{code}`: record the click, then redirect to the program's
//! destination with `ref` and `vouch_click` added and the click id in a first-party
//! cookie. Also the link as a QR code.

mod cache;
mod qr;
mod writer;

use std::net::SocketAddr;

use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use vouch_domain::code::ReferralCode;
use vouch_domain::ids::ClickId;
use vouch_domain::program::AttributionModel;
use vouch_domain::{attribution, click, DAY_MS};
use vouch_store::{LinkTarget, NewClick};

pub use cache::{Link, LinkCache};
pub use qr::render_svg;
pub use vouch_app::hashing::IpHasher;
pub use writer::ClickWriter;

use crate::portal::{not_found_page, Lang};
use crate::state::AppState;

pub const CLICK_COOKIE: &str = "vouch_click";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/r/{code}", get(follow_link))
        .route("/r/{code}/qr.svg", get(qr::link_qr))
        .route(
            "/r/{code}/claim",
            axum::routing::post(crate::portal::friend::claim),
        )
}

/// Resolves a code through the cache; `None` for unknown codes.
pub(crate) async fn resolve(state: &AppState, raw: &str) -> Option<std::sync::Arc<Link>> {
    let code = ReferralCode::lookup_key(raw)?;
    state
        .links
        .get(state.store.as_ref(), &code, state.fraud.secret.as_deref())
        .await
}

/// Follow a referral link. People's clicks are recorded and redirected (or shown the
/// friend page); link previews get a page of Open Graph tags, crawlers a plain
/// redirect and prefetches a refusal, none of them a click id or a cookie: they are
/// counted apart.
async fn follow_link(
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Response {
    // `?lang=` switches the friend page's language; `s` and `utm_source` name the source.
    let asked = query.as_deref().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    let lang = Lang::from_headers(asked.as_deref(), &headers);
    // A path that is not even text (`/r/%ff`) is just an unknown link.
    let code = code.map(|Path(c)| c).unwrap_or_default();
    let Some(link) = resolve(&state, &code).await.filter(|l| l.target.active) else {
        return not_found_page(&state, lang);
    };
    let Some(template) = &link.template else {
        return not_found_page(&state, lang);
    };
    let target = &link.target;
    let now = state.clock.now();
    // A browser string with bytes outside ASCII is still a browser string.
    let ua = headers.get(header::USER_AGENT).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .chars()
            .take(512)
            .collect::<String>()
    });
    let visitor = click::classify(
        method == axum::http::Method::HEAD,
        ua.as_deref(),
        headers.get("purpose").and_then(|v| v.to_str().ok()),
        headers.get("sec-purpose").and_then(|v| v.to_str().ok()),
    );
    if visitor != click::Visitor::Person {
        let head = method == axum::http::Method::HEAD;
        return not_a_click(&state, &link, visitor, head, now).await;
    }
    let new_click = ClickId::new();
    // The visitor's earlier click (their cookie): a repeat on this link is not unique,
    // and first-click programs keep an earlier, still-valid click of the program.
    let earlier = earlier_click(&state, &headers).await;
    let unique = click::is_unique(
        earlier
            .as_ref()
            .filter(|c| c.participant_id == target.participant_id)
            .map(|c| c.occurred_at),
        now,
        target.unique_window_hours,
    );
    let carried = match target.model {
        AttributionModel::FirstClick => earlier
            .filter(|c| {
                c.program_id == target.program_id
                    && attribution::within_window(c.occurred_at, now, target.window_days)
            })
            .map(|c| c.id),
        AttributionModel::LastClick => None,
    };
    let attributed = carried.unwrap_or_else(|| new_click.clone());
    let location = template.with_click(attributed.as_str());
    let click = NewClick {
        id: new_click,
        workspace_id: target.workspace_id.clone(),
        program_id: target.program_id.clone(),
        participant_id: target.participant_id.clone(),
        code: target.code.clone(),
        occurred_at: now,
        // Only public addresses identify a network (a proxy's or a test's do not).
        ip_hash: client_ip(&state, &headers, peer)
            .parse::<std::net::IpAddr>()
            .ok()
            .filter(|ip| vouch_domain::fraud::is_public_ip(*ip))
            .map(|ip| link.ip_key.hash(&ip.to_string())),
        // Browser strings and referers are not kept: the browser as a keyed hash (to
        // compare with the friend's later), the referer only as the coupon site it is.
        user_agent: ua.map(|ua| vouch_app::fraud::ua_hash(&link.ip_key, &ua)),
        referer: header_text(&headers, header::REFERER, 1024)
            .and_then(|r| vouch_app::fraud::coupon_site_of(&state.fraud, &r)),
        source: click::source_of(query.as_deref()),
        unique,
    };
    // The redirect waits for the click's commit: an answered click is never lost.
    if !state.clicks.record(click).await {
        // The store is down: still send the friend on, attributed by code alone, and
        // hand out no click id that the store does not hold.
        return redirect_without_click(target);
    }
    metrics::counter!("vouch_clicks_total").increment(1);
    if target.friend_page {
        return crate::portal::friend::show(&state, &link, location, attributed.as_str(), lang)
            .await;
    }
    redirect_response(&location, attributed.as_str(), target.window_days)
}

/// The first-party cookie that keeps a click for the attribution window.
pub(crate) fn click_cookie(click_id: &str, window_days: i64) -> String {
    let max_age = window_days.saturating_mul(DAY_MS / 1000);
    format!("{CLICK_COOKIE}={click_id}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax")
}

/// The link's answer: 302 to `location`, with the click id in a first-party cookie that
/// lasts the attribution window.
pub fn redirect_response(location: &str, click_id: &str, window_days: i64) -> Response {
    let cookie = click_cookie(click_id, window_days);
    let mut resp = StatusCode::FOUND.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        h.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        h.insert(header::SET_COOKIE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer-when-downgrade"),
    );
    resp
}

fn redirect_without_click(target: &LinkTarget) -> Response {
    let mut url = match url::Url::parse(&target.destination_url) {
        Ok(u) => u,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    url.query_pairs_mut().append_pair("ref", &target.code);
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// The click the visitor's cookie names, if it is one of ours (read only when the
/// request carries one).
async fn earlier_click(state: &AppState, headers: &HeaderMap) -> Option<vouch_store::Click> {
    let raw = cookie_value(headers, CLICK_COOKIE)?;
    let id = ClickId::parse(&raw)?;
    state.store.get_click(&id).await.ok()?
}

/// A preview, a crawler or a prefetch: counted apart (in the background: the answer
/// does not wait for it), never given a click id or a cookie.
async fn not_a_click(
    state: &AppState,
    link: &Link,
    visitor: click::Visitor,
    head: bool,
    now: vouch_domain::Millis,
) -> Response {
    let t = &link.target;
    if let Some(kind) = visitor.uncounted_kind() {
        let visit = vouch_store::LinkVisit {
            workspace_id: t.workspace_id.clone(),
            program_id: t.program_id.clone(),
            participant_id: t.participant_id.clone(),
            kind,
            app: match visitor {
                click::Visitor::Preview(app) => app.as_str(),
                _ => "",
            },
            at: now,
        };
        // A crawler flood must not queue unbounded writes ahead of people's clicks:
        // past a few hundred counts in flight, further ones are dropped (and said so
        // in the metrics).
        static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        const MAX_IN_FLIGHT: usize = 256;
        use std::sync::atomic::Ordering::Relaxed;
        if IN_FLIGHT.fetch_add(1, Relaxed) < MAX_IN_FLIGHT {
            let store = state.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.count_visit(&visit).await {
                    tracing::warn!(error = %e, "link visit not counted");
                }
                IN_FLIGHT.fetch_sub(1, Relaxed);
            });
            metrics::counter!("vouch_link_visits_total", "kind" => kind).increment(1);
        } else {
            IN_FLIGHT.fetch_sub(1, Relaxed);
            metrics::counter!("vouch_link_visits_dropped_total", "kind" => kind).increment(1);
        }
    }
    match visitor {
        click::Visitor::Preview(_) => crate::portal::preview::page(state, link).await,
        // A browser fetching ahead is refused (a 503, the common practice that
        // draft-ietf-httpbis-pre-denied describes), so the person's own click, when
        // it comes, is the one recorded.
        click::Visitor::Prefetch if !head => {
            let mut resp = StatusCode::SERVICE_UNAVAILABLE.into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        _ => redirect_without_click(t),
    }
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn header_text(headers: &HeaderMap, name: header::HeaderName, max: usize) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?;
    let mut end = v.len().min(max);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    Some(v[..end].to_owned())
}

pub(crate) fn client_ip(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> String {
    if state.config.trust_proxy {
        if let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            return first.trim().to_owned();
        }
    }
    peer.ip().to_string()
}

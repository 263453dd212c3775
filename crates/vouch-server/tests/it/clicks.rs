//! Clicks that count: link previews (the real browser strings of chat and social apps'
//! fetchers, with their sources in `tests/fixtures/user_agents.json`), crawlers and
//! prefetches are not clicks; a person's click is, once per visitor as a unique click;
//! QR scans and share buttons count under their source.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both;
use crate::harness::TestApp;

both!(
    previews_and_crawlers_are_not_clicks_and_people_are,
    repeat_visits_count_once_as_unique,
    qr_scans_and_share_buttons_count_under_their_source,
    prefetches_get_no_click_and_no_cookie,
    the_preview_page_speaks_the_advocates_language_and_escapes
);

const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

fn fixture() -> Value {
    serde_json::from_str(include_str!("../fixtures/user_agents.json")).unwrap()
}

async fn visit(app: &TestApp, path: &str, ua: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("user-agent", ua)
        .send()
        .await
        .unwrap()
}

/// A page's body, as the tests' browser gets it.
async fn text_of(app: &TestApp, path: &str) -> String {
    let resp = app.client.get(app.url(path)).send().await.unwrap();
    resp.text().await.unwrap()
}

async fn stats(app: &TestApp, id: &str) -> Value {
    app.participant(id).await["stats"].clone()
}

/// Waits for the counts written in the background.
async fn wait_stats(app: &TestApp, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let s = stats(app, id).await;
        if check(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("stats never matched: {}", stats(app, id).await);
}

async fn previews_and_crawlers_are_not_clicks_and_people_are(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = app
        .post_ok(
            &format!(
                "/api/v1/programs/{}/participants",
                p["id"].as_str().unwrap()
            ),
            &json!({"email": "sara@example.com", "name": "Sara"}),
            201,
        )
        .await;
    let id = a["id"].as_str().unwrap();
    let path = format!("/r/{}", a["referral_code"].as_str().unwrap());
    let f = fixture();
    let previews = f["previews"].as_array().unwrap();
    for p in previews {
        let ua = p["user_agent"].as_str().unwrap();
        let resp = visit(&app, &path, ua).await;
        assert_eq!(resp.status(), 200, "{} ({})", p["app"], p["source"]);
        assert!(resp.headers().get("set-cookie").is_none(), "{ua}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("og:title"), "{ua}: {html}");
        assert!(!html.contains("vouch_click"), "{ua}");
    }
    let crawlers = f["crawlers"].as_array().unwrap();
    for c in crawlers {
        let ua = c["user_agent"].as_str().unwrap();
        let resp = visit(&app, &path, ua).await;
        assert_eq!(resp.status(), 302, "{} ({})", c["name"], c["source"]);
        assert!(resp.headers().get("set-cookie").is_none(), "{ua}");
        let location = resp.headers()["location"].to_str().unwrap();
        assert!(!location.contains("vouch_click"), "{ua}: {location}");
        assert!(
            location.contains("ref="),
            "crawlers still reach the shop: {location}"
        );
    }
    let (np, nc) = (previews.len() as i64, crawlers.len() as i64);
    let s = wait_stats(&app, id, |s| s["previews"] == np && s["bots"] == nc).await;
    assert_eq!(s["clicks"], 0, "no preview or crawler is a click: {s}");
    // People, including the in-app browsers of Instagram and Facebook, are clicks.
    let browsers = f["browsers"].as_array().unwrap();
    for b in browsers {
        let ua = b["user_agent"].as_str().unwrap();
        let resp = visit(&app, &path, ua).await;
        assert_eq!(resp.status(), 302, "{} ({})", b["name"], b["source"]);
        assert!(resp.headers().get("set-cookie").is_some(), "{ua}");
    }
    let s = stats(&app, id).await;
    assert_eq!(s["clicks"], browsers.len() as i64, "{s}");
    assert_eq!(s["unique_clicks"], browsers.len() as i64, "{s}");
    assert_eq!(s["previews"], np);
}

async fn repeat_visits_count_once_as_unique(app: TestApp) {
    let p = app.program(json!({"unique_click_window_hours": 12})).await;
    assert_eq!(p["unique_click_window_hours"], 12);
    let a = app.advocate(&p, "rim@example.com").await;
    let id = a["id"].as_str().unwrap();
    let path = format!("/r/{}", a["referral_code"].as_str().unwrap());
    let first = visit(&app, &path, CHROME_ANDROID).await;
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let again = || {
        app.client
            .get(app.url(&path))
            .header("user-agent", CHROME_ANDROID)
            .header("cookie", &cookie)
            .send()
    };
    assert_eq!(again().await.unwrap().status(), 302);
    assert_eq!(again().await.unwrap().status(), 302);
    let s = stats(&app, id).await;
    assert_eq!(
        (s["clicks"].as_i64(), s["unique_clicks"].as_i64()),
        (Some(3), Some(1)),
        "{s}"
    );
    // After the window the same visitor counts again.
    app.clock.advance(Duration::from_secs(13 * 3600));
    let later = app
        .client
        .get(app.url(&path))
        .header("user-agent", CHROME_ANDROID)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(later.status(), 302);
    let s = stats(&app, id).await;
    assert_eq!(
        (s["clicks"].as_i64(), s["unique_clicks"].as_i64()),
        (Some(4), Some(2)),
        "{s}"
    );
    // A stranger's first click is unique however recent the advocate's others.
    visit(&app, &path, CHROME_ANDROID).await;
    assert_eq!(stats(&app, id).await["unique_clicks"], 3);
}

async fn qr_scans_and_share_buttons_count_under_their_source(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "noor@example.com").await;
    let id = a["id"].as_str().unwrap();
    let code = a["referral_code"].as_str().unwrap();
    // The QR code encodes the link marked as a scan.
    let svg = text_of(&app, &format!("/r/{code}/qr.svg")).await;
    let expected = vouch_server::links::render_svg(&format!("{}/r/{code}?s=qr", app.base));
    assert_eq!(Some(svg), expected, "the QR code is the marked link");
    // The share panel's WhatsApp button carries its marker.
    let slug = p["slug"].as_str().unwrap();
    let page = text_of(&app, &format!("/p/{slug}?code={code}")).await;
    let marked = format!("%2Fr%2F{code}%3Fs%3Dwhatsapp");
    assert!(page.contains(&marked), "{page}");
    assert!(
        page.contains(&format!("/r/{code}?s=copy")),
        "the copied link is marked"
    );
    visit(&app, &format!("/r/{code}?s=qr"), CHROME_ANDROID).await;
    visit(&app, &format!("/r/{code}?s=whatsapp"), CHROME_ANDROID).await;
    visit(&app, &format!("/r/{code}?s=whatsapp"), CHROME_ANDROID).await;
    visit(
        &app,
        &format!("/r/{code}?utm_source=Newsletter"),
        CHROME_ANDROID,
    )
    .await;
    visit(&app, &format!("/r/{code}"), CHROME_ANDROID).await;
    let s = stats(&app, id).await;
    assert_eq!(
        s["clicks_by_source"],
        json!({"qr": 1, "whatsapp": 2, "newsletter": 1, "direct": 1}),
        "{s}"
    );
}

async fn prefetches_get_no_click_and_no_cookie(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "lea@example.com").await;
    let id = a["id"].as_str().unwrap();
    let path = format!("/r/{}", a["referral_code"].as_str().unwrap());
    for (name, value) in [("sec-purpose", "prefetch"), ("purpose", "prefetch")] {
        let resp = app
            .client
            .get(app.url(&path))
            .header("user-agent", CHROME_ANDROID)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 503, "{name}");
        assert!(resp.headers().get("set-cookie").is_none());
    }
    let head = app
        .client
        .head(app.url(&path))
        .header("user-agent", CHROME_ANDROID)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 302);
    assert!(head.headers().get("set-cookie").is_none());
    let s = wait_stats(&app, id, |s| s["prefetches"] == 3).await;
    assert_eq!(s["clicks"], 0, "{s}");
}

async fn the_preview_page_speaks_the_advocates_language_and_escapes(app: TestApp) {
    let p = app
        .program(json!({
            "name": "Demo \"Coffee\" & <Tea>",
            "referee_reward": {"kind": "coupon", "currency": "USD",
                "coupon": {"discount_type": "percent_off", "percent": 20}},
            "friend_page": {"image_url": "https://cdn.example.com/card.png?a=1&b=2"},
        }))
        .await;
    let pid = p["id"].as_str().unwrap();
    let enrol = |email: &str, name: &str, locale: &str| json!({"email": email, "name": name, "locale": locale});
    let ar = app
        .post_ok(
            &format!("/api/v1/programs/{pid}/participants"),
            &enrol("sara@example.com", "سارة الحداد", "ar"),
            201,
        )
        .await;
    let en = app
        .post_ok(
            &format!("/api/v1/programs/{pid}/participants"),
            &enrol("sam@example.com", "Sam\"><script>", "en"),
            201,
        )
        .await;
    let slack = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
    let html = visit(
        &app,
        &format!("/r/{}", ar["referral_code"].as_str().unwrap()),
        slack,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("lang=\"ar\" dir=\"rtl\""), "{html}");
    let title = html
        .split("<meta property=\"og:title\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    assert!(title.contains("سارة") && title.contains("يهديك"), "{title}");
    assert!(title.contains("خصم"), "the gift in Arabic: {title}");
    assert!(
        title.contains("Demo &quot;Coffee&quot; &amp; &lt;Tea&gt;"),
        "{title}"
    );
    assert!(html.contains("content=\"https://cdn.example.com/card.png?a=1&amp;b=2\""));
    assert!(html.contains("twitter:card\" content=\"summary_large_image"));
    let canonical = format!(
        "<link rel=\"canonical\" href=\"{}/r/{}\">",
        app.base,
        ar["referral_code"].as_str().unwrap()
    );
    assert!(html.contains(&canonical), "{html}");
    let html = visit(
        &app,
        &format!("/r/{}", en["referral_code"].as_str().unwrap()),
        slack,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("lang=\"en\""), "{html}");
    assert!(
        html.contains("Sam&quot;&gt;&lt;script&gt; gives you 20% off at"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
}

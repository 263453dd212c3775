use serde_json::json;

use crate::both;
use crate::harness::TestApp;

both!(
    link_redirects_with_ref_click_and_cookie,
    unknown_or_inactive_links_get_a_friendly_page,
    first_click_programs_keep_the_first_click,
    link_has_a_qr_code,
);

async fn link_redirects_with_ref_click_and_cookie(app: TestApp) {
    let p = app.program(json!({"attribution_window_days": 7})).await;
    let a = app.advocate(&p, "sara@example.com").await;
    let code = a["referral_code"].as_str().unwrap();
    // Codes are case-insensitive.
    let resp = app
        .client
        .get(app.url(&format!("/r/{}", code.to_lowercase())))
        .header("user-agent", "test-agent")
        .header("referer", "https://chat.example.org/")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let location = reqwest::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.host_str(), Some("shop.example.com"));
    let q: Vec<(String, String)> = location
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    assert_eq!(
        q[0],
        ("utm_source".into(), "vouch".into()),
        "destination query kept"
    );
    assert_eq!(q[1], ("ref".into(), code.to_owned()));
    let click = &q[2].1;
    assert_eq!(q[2].0, "vouch_click");
    assert!(click.starts_with("clk_"));
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("vouch_click={click};")),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        cookie.contains(&format!("Max-Age={}", 7 * 86400)),
        "{cookie}"
    );
    // The click is in the store by the time the redirect is answered.
    let id = vouch_domain::ids::ClickId::parse(click).unwrap();
    let stored = app
        .store
        .get_click(&id)
        .await
        .unwrap()
        .expect("click committed");
    assert_eq!(stored.participant_id.as_str(), a["id"].as_str().unwrap());
}

async fn unknown_or_inactive_links_get_a_friendly_page(app: TestApp) {
    let resp = app
        .client
        .get(app.url("/r/NOSUCHCODE"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(html.contains("link doesn"), "{html}");
    let resp = app
        .client
        .get(app.url("/r/NOSUCHCODE"))
        .header("accept-language", "ar")
        .send()
        .await
        .unwrap();
    let html = resp.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    // Weird input is still a 404 page, never a 500.
    for path in [
        "/r/%00%ff",
        "/r/a'b;--",
        "/r/ ",
        &format!("/r/{}", "A".repeat(500)),
    ] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    // A paused program's links stop working.
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "sara@example.com").await;
    let code = a["referral_code"].as_str().unwrap();
    app.click(code).await;
    app.patch(
        &format!("/api/v1/programs/{}", p["id"].as_str().unwrap()),
        &json!({"status": "paused"}),
    )
    .await;
    let resp = app
        .client
        .get(app.url(&format!("/r/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

async fn first_click_programs_keep_the_first_click(app: TestApp) {
    let p = app
        .program(json!({"attribution_model": "first_click"}))
        .await;
    let a = app.advocate(&p, "a@example.com").await;
    let b = app.advocate(&p, "b@example.com").await;
    let first = app.click(a["referral_code"].as_str().unwrap()).await;
    // The same browser later follows another advocate's link.
    let resp = app
        .client
        .get(app.url(&format!("/r/{}", b["referral_code"].as_str().unwrap())))
        .header("cookie", format!("vouch_click={first}"))
        .send()
        .await
        .unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains(&format!("vouch_click={first}")),
        "{location}"
    );
    // Both visits are in the click log.
    let stats_b = app.participant(b["id"].as_str().unwrap()).await;
    assert_eq!(stats_b["stats"]["clicks"], 1);
    // A last-click program moves to the newer click.
    let q = app.program(json!({"name": "Last"})).await;
    let c = app.advocate(&q, "c@example.com").await;
    let resp = app
        .client
        .get(app.url(&format!("/r/{}", c["referral_code"].as_str().unwrap())))
        .header("cookie", format!("vouch_click={first}"))
        .send()
        .await
        .unwrap();
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(!location.contains(&first));
}

async fn link_has_a_qr_code(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "a@example.com").await;
    let resp = app
        .client
        .get(a["qr_code_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    let svg = resp.text().await.unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"));
    let resp = app
        .client
        .get(app.url("/r/NOSUCH/qr.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

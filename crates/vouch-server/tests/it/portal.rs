use serde_json::json;

use crate::both;
use crate::harness::TestApp;

both!(
    advocate_joins_and_gets_link_qr_and_share_buttons,
    page_speaks_arabic_right_to_left
);

async fn advocate_joins_and_gets_link_qr_and_share_buttons(app: TestApp) {
    let p = app.program(json!({})).await;
    let slug = p["slug"].as_str().unwrap();
    let page = app
        .client
        .get(app.url(&format!("/p/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(html.contains("Spring referrals"));
    assert!(
        html.contains("10.00 USD") && html.contains("5.00 USD"),
        "offer shown"
    );
    assert!(html.contains(&format!("action=\"/p/{slug}/join\"")));
    assert!(!html.contains("https://cdn"), "no CDN");
    let resp = app
        .client
        .post(app.url(&format!("/p/{slug}/join")))
        .form(&[
            ("email", "Layla@Example.com"),
            ("name", "Layla"),
            ("lang", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let page = app.client.get(app.url(&location)).send().await.unwrap();
    let html = page.text().await.unwrap();
    let list = app
        .get_ok(&format!(
            "/api/v1/programs/{}/participants",
            p["id"].as_str().unwrap()
        ))
        .await;
    let layla = &list["data"][0];
    assert_eq!(layla["email"], "Layla@Example.com");
    let code = layla["referral_code"].as_str().unwrap();
    assert!(
        html.contains(&format!("{}/r/{code}", app.base)),
        "link shown"
    );
    assert!(html.contains(&format!("/r/{code}/qr.svg")), "QR shown");
    assert!(html.contains("id=\"copy\""), "copy button");
    for network in ["whatsapp", "x", "facebook", "telegram", "email"] {
        assert!(
            html.contains(&format!("data-network=\"{network}\"")),
            "{network} button"
        );
    }
    assert!(html.contains("https://wa.me/?text="));
    // Joining again with the same email shows the same link.
    let resp = app
        .client
        .post(app.url(&format!("/p/{slug}/join")))
        .form(&[("email", "layla@example.com")])
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["location"].to_str().unwrap().contains(code));
    // A bad email re-renders the form with an error, not a 500.
    let resp = app
        .client
        .post(app.url(&format!("/p/{slug}/join")))
        .form(&[("email", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("role=\"alert\""));
    let resp = app
        .client
        .get(app.url("/p/no-such-program"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

async fn page_speaks_arabic_right_to_left(app: TestApp) {
    let p = app.program(json!({})).await;
    let slug = p["slug"].as_str().unwrap();
    let by_query = app
        .client
        .get(app.url(&format!("/p/{slug}?lang=ar")))
        .send()
        .await
        .unwrap();
    let html = by_query.text().await.unwrap();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(html.contains("احصل على رابط الإحالة"), "Arabic text");
    let by_header = app
        .client
        .get(app.url(&format!("/p/{slug}")))
        .header("accept-language", "ar-SA,ar;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.headers()["content-language"], "ar");
    let resp = app
        .client
        .post(app.url(&format!("/p/{slug}/join")))
        .form(&[("email", "noor@example.com"), ("lang", "ar")])
        .send()
        .await
        .unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("lang=ar"));
    let html = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("dir=\"rtl\"") && html.contains("رابط الإحالة الخاص بك"));
    let list = app
        .get_ok(&format!(
            "/api/v1/programs/{}/participants",
            p["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(list["data"][0]["locale"], "ar");
}

//! Input a fuzzer or an attacker sends, on both backends: NUL characters (PostgreSQL
//! cannot store them), an array where an object belongs, amounts that would overflow
//! sums, a path that is not UTF-8, no key, and names with bidi overrides.

use serde_json::json;

use crate::harness::{expect_json, expect_problem, TestApp};

crate::both!(
    hostile_input_is_refused_with_problems_never_a_500,
    pages_carry_a_strict_csp_that_allows_their_own_code
);

async fn hostile_input_is_refused_with_problems_never_a_500(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let path = format!("/api/v1/programs/{pid}/participants");

    let resp = app
        .post(&path, &json!({"email": "a@example.com", "name": "a\u{0}b"}))
        .await;
    expect_problem(resp, 422, "validation_failed", Some("name")).await;
    let resp = app
        .post(
            "/api/v1/programs",
            &json!({"name": "x\u{0}", "destination_url": "https://shop.example.com/"}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("name")).await;
    let resp = app.get("/api/v1/participants?cursor=a%00b").await;
    expect_problem(resp, 422, "validation_failed", Some("cursor")).await;

    // The public join form: the NUL is dropped, not stored, not a 500.
    let slug = program["slug"].as_str().unwrap();
    let resp = app
        .client
        .post(app.url(&format!("/p/{slug}/join")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=nul%40example.com&name=Sa%00ra%E2%80%AE")
        .send()
        .await
        .unwrap();
    assert!(resp.status().as_u16() < 500, "{}", resp.status());
    let list = app.get_ok("/api/v1/participants?limit=100").await;
    let joined = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == "nul@example.com")
        .cloned()
        .unwrap();
    assert_eq!(joined["name"], "Sara", "no NUL, no right-to-left override");

    // Bidi overrides in a name through the API are dropped too.
    let p = app
        .post_ok(
            &path,
            &json!({"email": "b@example.com", "name": "Sara\u{202E}moc.evil"}),
            201,
        )
        .await;
    assert_eq!(p["name"], "Saramoc.evil");

    let resp = app.post("/api/v1/payouts", &json!([null, null])).await;
    expect_problem(resp, 422, "validation_failed", Some("body")).await;

    let a = app.advocate(&program, "c@example.com").await;
    let resp = app
        .post(
            "/api/v1/events",
            &json!({"type": "purchase", "program_id": pid, "referral_code": a["referral_code"],
                "customer": {"email": "f@example.net"}, "order_id": "o-max",
                "amount": i64::MAX, "currency": "USD"}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("amount")).await;
    // The participant still answers.
    let id = a["id"].as_str().unwrap();
    expect_json(app.get(&format!("/api/v1/participants/{id}")).await, 200).await;

    let resp = app
        .client
        .get(app.url("/api/v1/programs"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    expect_problem(resp, 401, "unauthorized", None).await;

    let resp = app.get("/api/v1/participants/%FF%FE").await;
    let status = resp.status().as_u16();
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let resp = app
        .client
        .delete(app.url("/api/v1/events"))
        .bearer_auth(&app.sk)
        .send()
        .await
        .unwrap();
    expect_problem(resp, 405, "method_not_allowed", None).await;
}

/// Every inline `<script>` and `<style>` of a page is allowed by its hash, and nothing
/// else inline is: the page's own code runs, injected code would not.
async fn pages_carry_a_strict_csp_that_allows_their_own_code(app: TestApp) {
    use base64::Engine;
    use sha2::Digest;
    let program = app.program(json!({})).await;
    let slug = program["slug"].as_str().unwrap();
    let joined = app
        .client
        .post(app.url(&format!("/p/{slug}/join")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=csp%40example.com")
        .send()
        .await
        .unwrap();
    for resp in [
        joined,
        app.get(&format!("/p/{slug}")).await,
        app.get("/r/NOSUCHCODE").await,
    ] {
        let h = resp.headers().clone();
        // The join answers with its page, or redirects to it (no page of its own).
        if resp.status().is_redirection() {
            continue;
        }
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        let csp = h["content-security-policy"].to_str().unwrap().to_owned();
        assert!(
            !csp.contains("unsafe-inline") && csp.contains("default-src 'none'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("referrer-policy") && h.contains_key("permissions-policy"));
        let html = resp.text().await.unwrap();
        for tag in ["script", "style"] {
            let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
            let mut rest = html.as_str();
            while let Some(i) = rest.find(&open) {
                let body = &rest[i + open.len()..];
                let end = body.find(&close).unwrap();
                let hash = base64::engine::general_purpose::STANDARD
                    .encode(sha2::Sha256::digest(&body.as_bytes()[..end]));
                assert!(
                    csp.contains(&format!("'sha256-{hash}'")),
                    "{tag} not allowed: {csp}"
                );
                rest = &body[end..];
            }
        }
    }
}

/// Behind HTTPS (its public URL says so), every answer asks browsers to keep to it;
/// over plain HTTP none does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_deployments_send_strict_transport_security() {
    let app = TestApp::spawn_with(crate::harness::Db::Sqlite, |c| {
        c.public_url = "https://refer.example.com".into();
    })
    .await
    .unwrap();
    for path in ["/healthz", "/api/v1/programs", "/r/NOSUCHCODE"] {
        let resp = app.get(path).await;
        assert_eq!(
            resp.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
    let plain = TestApp::spawn(crate::harness::Db::Sqlite).await.unwrap();
    assert!(!plain
        .get("/healthz")
        .await
        .headers()
        .contains_key("strict-transport-security"));
}

use serde_json::json;

use crate::both;
use crate::harness::TestApp;

both!(
    health_ready_and_metrics,
    openapi_describes_every_endpoint,
    request_ids_are_returned
);

async fn health_ready_and_metrics(app: TestApp) {
    let h = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "a@example.com").await;
    app.click(a["referral_code"].as_str().unwrap()).await;
    app.event(json!({"type": "purchase", "program_id": p["id"], "customer": {"email": "f@x.com"}, "referral_code": a["referral_code"], "order_id": "m1"}))
        .await;
    let m = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "vouch_http_requests_total",
        "vouch_http_request_duration_seconds",
        "vouch_clicks_total",
        "vouch_events_total",
        "vouch_rewards_total",
    ] {
        assert!(m.contains(name), "{name} missing from /metrics");
    }
    assert!(
        m.contains("route=\"/r/{code}\""),
        "routes are labelled by template"
    );
}

async fn openapi_describes_every_endpoint(app: TestApp) {
    let doc = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = doc.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let expected = [
        ("/api/v1/programs", "post"),
        ("/api/v1/programs", "get"),
        ("/api/v1/programs/{id}", "get"),
        ("/api/v1/programs/{id}", "patch"),
        ("/api/v1/programs/{id}/participants", "post"),
        ("/api/v1/programs/{id}/participants", "get"),
        ("/api/v1/participants/{id}", "get"),
        ("/api/v1/participants", "get"),
        ("/api/v1/participants/{id}/redemptions", "post"),
        ("/api/v1/participants/{id}/block", "post"),
        ("/api/v1/events", "post"),
        ("/api/v1/referrals", "get"),
        ("/api/v1/referrals/{id}", "get"),
        ("/api/v1/rewards", "get"),
        ("/api/v1/rewards/{id}", "get"),
    ];
    for (path, method) in expected {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing");
        for status in ["401", "422", "500"] {
            assert!(
                op["responses"][status].is_object(),
                "{method} {path} lacks {status}"
            );
        }
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let docs = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("connect-src 'self'"));
    let html = docs.text().await.unwrap();
    assert!(html.contains("data-url=\"/api/openapi.json\""));
    assert!(html.contains("/api/docs/scalar.standalone.js"));
    let bundle = app
        .client
        .get(app.url("/api/docs/scalar.standalone.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 1_000_000);
}

/// The committed `openapi.json` is what the code generates: API changes show in review.
/// Regenerate with `cargo run -p vouch -- openapi > crates/vouch-server/openapi.json`.
#[test]
fn openapi_snapshot_is_current() {
    let generated = serde_json::to_string_pretty(&vouch_server::api::openapi()).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed.trim() == generated.trim(),
        "openapi.json is stale: run `cargo run -p vouch -- openapi > crates/vouch-server/openapi.json`"
    );
}

async fn request_ids_are_returned(app: TestApp) {
    // A browser on the shop's site may call the API (CORS preflight).
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/events"))
        .header("origin", "https://shop.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success(), "{}", pre.status());
    assert_eq!(pre.headers()["access-control-allow-origin"], "*");
    let r = app
        .client
        .get(app.url("/api/v1/programs/"))
        .bearer_auth(&app.sk)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a trailing slash is the same route");
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(r.headers().get("x-request-id").is_some());
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
}

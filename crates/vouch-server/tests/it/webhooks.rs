//! Outgoing webhooks on both backends: endpoints and their secrets, the retry schedule
//! and disabling run with the server's clock moved, the private-address guard, the
//! delivery log, manual retries and test events. (The signature is checked against
//! the Standard Webhooks reference library in `crates/vouch/tests/webhooks.rs`, and
//! against the specification's test vector in `vouch-domain`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use vouch_domain::webhook::{verifies, SigningKey};

use crate::harness::{expect_json, expect_problem, Db, TestApp};

crate::private_ok!(
    failed_deliveries_retry_on_the_schedule_then_give_up,
    gone_disables_at_once_and_five_days_of_failures_disable,
    test_events_retries_and_the_log
);
crate::both!(
    endpoints_are_checked_and_hide_their_secret,
    private_addresses_are_refused_by_default
);

/// A receiver on loopback answering the given statuses in turn (the last repeats).
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

async fn receiver(statuses: Vec<u16>) -> Receiver {
    let got: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
        let seen = seen.clone();
        let statuses = statuses.clone();
        async move {
            let mut g = seen.lock().unwrap();
            let status = statuses[g.len().min(statuses.len() - 1)];
            g.push((headers, body));
            StatusCode::from_u16(status).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url: format!("http://{addr}/hooks/vouch"),
        got,
    }
}

impl Receiver {
    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    async fn wait_for(&self, n: usize) {
        for _ in 0..200 {
            if self.count() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver got {} of {n}", self.count());
    }
}

async fn endpoint(app: &TestApp, url: &str, types: Value) -> Value {
    app.post_ok(
        "/api/v1/webhook-endpoints",
        &json!({"url": url, "event_types": types}),
        201,
    )
    .await
}

async fn messages(app: &TestApp, endpoint: &Value) -> Vec<Value> {
    let id = endpoint["id"].as_str().unwrap();
    app.get_ok(&format!(
        "/api/v1/webhook-endpoints/{id}/deliveries?limit=100"
    ))
    .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

/// Waits until the endpoint's messages satisfy `check`.
async fn wait_messages(app: &TestApp, e: &Value, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..200 {
        let m = messages(app, e).await;
        if check(&m) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("messages never settled: {:?}", messages(app, e).await);
}

async fn purchase(app: &TestApp, order: &str) {
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, &format!("a-{order}@example.com")).await;
    app.event(json!({"type": "purchase", "program_id": p["id"],
        "referral_code": a["referral_code"], "customer": {"email": format!("f-{order}@example.net")},
        "order_id": order, "amount": 3000, "currency": "USD"}))
        .await;
}

async fn endpoints_are_checked_and_hide_their_secret(app: TestApp) {
    let e = endpoint(
        &app,
        "https://hooks.example.com/vouch",
        json!(["reward.approved"]),
    )
    .await;
    let secret = e["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    assert!(SigningKey::parse(secret).is_ok());
    let id = e["id"].as_str().unwrap();
    let got = app.get_ok(&format!("/api/v1/webhook-endpoints/{id}")).await;
    assert!(got.get("secret").is_none(), "{got}");
    assert_eq!(got["event_types"], json!(["reward.approved"]));
    for (body, field) in [
        (json!({"url": "ftp://example.com/x"}), "url"),
        (json!({"url": "https://user:pw@example.com/x"}), "url"),
        (json!({"url": "not a url"}), "url"),
        (
            json!({"url": "https://example.com", "event_types": ["reward.eaten"]}),
            "event_types",
        ),
    ] {
        let resp = app.post("/api/v1/webhook-endpoints", &body).await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
    let changed = expect_json(
        app.patch(
            &format!("/api/v1/webhook-endpoints/{id}"),
            &json!({"event_types": [], "description": "All of it"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["event_types"], json!([]));
    assert!(changed.get("secret").is_none());
    let listed = app.get_ok("/api/v1/webhook-endpoints").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let gone = app
        .client
        .delete(app.url(&format!("/api/v1/webhook-endpoints/{id}")))
        .bearer_auth(&app.sk)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    expect_problem(
        app.get(&format!("/api/v1/webhook-endpoints/{id}")).await,
        404,
        "not_found",
        None,
    )
    .await;
}

async fn private_addresses_are_refused_by_default(app: TestApp) {
    let r = receiver(vec![200]).await;
    let e = endpoint(&app, &r.url, json!(["referral.converted"])).await;
    purchase(&app, "o-ssrf").await;
    let m = wait_messages(&app, &e, |m| m.iter().any(|x| x["attempts"] == 1)).await;
    assert!(
        m[0]["last_error"].as_str().unwrap().contains("refused"),
        "{m:?}"
    );
    assert_eq!(r.count(), 0, "nothing reached the private address");
    // The metadata address is refused the same way.
    let meta = endpoint(&app, "http://169.254.169.254/latest/meta-data", json!([])).await;
    let id = meta["id"].as_str().unwrap();
    app.post_ok(
        &format!("/api/v1/webhook-endpoints/{id}/test"),
        &json!({}),
        202,
    )
    .await;
    let m = wait_messages(&app, &meta, |m| m.iter().any(|x| x["attempts"] == 1)).await;
    assert!(
        m[0]["last_error"].as_str().unwrap().contains("refused"),
        "{m:?}"
    );
}

async fn failed_deliveries_retry_on_the_schedule_then_give_up(app: TestApp) {
    let r = receiver(vec![500]).await;
    let e = endpoint(&app, &r.url, json!(["referral.converted"])).await;
    let key = SigningKey::parse(e["secret"].as_str().unwrap()).unwrap();
    purchase(&app, "o-retry").await;
    r.wait_for(1).await;
    let m = wait_messages(&app, &e, |m| m.first().is_some_and(|x| x["attempts"] == 1)).await;
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["status"], "pending");
    assert_eq!(m[0]["response_status"], 500);
    // Each attempt is due after its delay (with at most a fifth more of jitter).
    for (attempt, secs) in [
        (2, 6),
        (3, 6 * 60),
        (4, 36 * 60),
        (5, 144 * 60),
        (6, 6 * 3600),
        (7, 12 * 3600),
        (8, 12 * 3600),
        (9, 29 * 3600),
        (10, 29 * 3600),
    ] {
        app.after(secs);
        r.wait_for(attempt).await;
        wait_messages(&app, &e, |m| m[0]["attempts"] == attempt).await;
    }
    let m = wait_messages(&app, &e, |m| m[0]["status"] == "failed").await;
    assert_eq!(m[0]["attempts"], 10);
    // Every attempt carried the same id and a valid signature for its own timestamp.
    let got = r.got.lock().unwrap().clone();
    let first_id = got[0].0["webhook-id"].to_str().unwrap().to_owned();
    for (headers, body) in &got {
        let h = |k: &str| headers[k].to_str().unwrap().to_owned();
        assert_eq!(h("webhook-id"), first_id);
        let ts: i64 = h("webhook-timestamp").parse().unwrap();
        assert!(verifies(
            &key,
            &first_id,
            ts,
            body.as_bytes(),
            &h("webhook-signature")
        ));
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["type"], "referral.converted");
        assert!(v["data"]["id"].as_str().unwrap().starts_with("ref_"));
    }
    // Nothing more is sent after the schedule is spent.
    app.after(3 * 86_400);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(r.count(), 10);
}

async fn gone_disables_at_once_and_five_days_of_failures_disable(app: TestApp) {
    let r = receiver(vec![410]).await;
    let e = endpoint(&app, &r.url, json!(["referral.converted"])).await;
    purchase(&app, "o-gone").await;
    wait_messages(&app, &e, |m| {
        m.first().is_some_and(|x| x["status"] == "failed")
    })
    .await;
    let id = e["id"].as_str().unwrap();
    let got = app.get_ok(&format!("/api/v1/webhook-endpoints/{id}")).await;
    assert_eq!(got["enabled"], false);
    assert!(got["disabled_reason"].as_str().unwrap().contains("410"));
    // Disabled: later events queue nothing for it.
    purchase(&app, "o-gone-2").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(messages(&app, &e).await.len(), 1);
    assert_eq!(r.count(), 1);

    // An endpoint failing everything for five days.
    let down = receiver(vec![503]).await;
    let e = endpoint(&app, &down.url, json!([])).await;
    let id = e["id"].as_str().unwrap().to_owned();
    app.post_ok(
        &format!("/api/v1/webhook-endpoints/{id}/test"),
        &json!({}),
        202,
    )
    .await;
    down.wait_for(1).await;
    wait_messages(&app, &e, |m| m.first().is_some_and(|x| x["attempts"] == 1)).await;
    let failing = app.get_ok(&format!("/api/v1/webhook-endpoints/{id}")).await;
    assert!(failing["failing_since"].is_string());
    assert_eq!(failing["enabled"], true);
    app.after(5 * 86_400 + 60);
    app.post_ok(
        &format!("/api/v1/webhook-endpoints/{id}/test"),
        &json!({}),
        202,
    )
    .await;
    for _ in 0..200 {
        let now = app.get_ok(&format!("/api/v1/webhook-endpoints/{id}")).await;
        if now["enabled"] == false {
            assert!(now["disabled_reason"]
                .as_str()
                .unwrap()
                .contains("five days"));
            // Enabling it again starts afresh.
            let back = expect_json(
                app.patch(
                    &format!("/api/v1/webhook-endpoints/{id}"),
                    &json!({"enabled": true}),
                )
                .await,
                200,
            )
            .await;
            assert_eq!(back["enabled"], true);
            assert!(back["failing_since"].is_null());
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never disabled");
}

async fn test_events_retries_and_the_log(app: TestApp) {
    let r = receiver(vec![500, 500, 200]).await;
    let e = endpoint(&app, &r.url, json!([])).await;
    let id = e["id"].as_str().unwrap().to_owned();
    let queued = app
        .post_ok(
            &format!("/api/v1/webhook-endpoints/{id}/test"),
            &json!({}),
            202,
        )
        .await;
    assert_eq!(queued["event_type"], "webhook.test");
    assert_eq!(queued["status"], "pending");
    r.wait_for(1).await;
    let mid = queued["id"].as_str().unwrap();
    wait_messages(&app, &e, |m| m[0]["attempts"] == 1).await;
    // A manual retry sends it now, before its scheduled time.
    app.post_ok(
        &format!("/api/v1/webhook-endpoints/{id}/deliveries/{mid}/retry"),
        &json!({}),
        202,
    )
    .await;
    r.wait_for(2).await;
    // The user sees the second attempt settle in the log before asking again.
    wait_messages(&app, &e, |m| m[0]["attempts"] == 2).await;
    app.post_ok(
        &format!("/api/v1/webhook-endpoints/{id}/deliveries/{mid}/retry"),
        &json!({}),
        202,
    )
    .await;
    let m = wait_messages(&app, &e, |m| m[0]["status"] == "succeeded").await;
    assert_eq!(m[0]["attempts"], 3);
    assert_eq!(m[0]["response_status"], 200);
    assert!(m[0]["duration_ms"].as_i64().is_some());
    assert_eq!(m[0]["payload"]["type"], "webhook.test");
    let only_ok = app
        .get_ok(&format!(
            "/api/v1/webhook-endpoints/{id}/deliveries?status=failed"
        ))
        .await;
    assert_eq!(only_ok["data"].as_array().unwrap().len(), 0);
    let resp = app
        .post(
            &format!(
                "/api/v1/webhook-endpoints/{id}/deliveries/msg_00000000000000000000000000/retry"
            ),
            &json!({}),
        )
        .await;
    expect_problem(resp, 404, "not_found", None).await;
    let _ = Db::Sqlite;
}

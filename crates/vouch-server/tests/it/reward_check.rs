//! `reward.requested` on both backends: the merchant's endpoint, asked before each
//! reward stands, vetoes it (cancelled, in the audit log with the reason), lets it go
//! (approved), or does not answer in time (it goes on); a program cannot name another
//! workspace's endpoint or a malformed one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{json, Value};
use vouch_domain::webhook::{verifies, SigningKey};

use crate::harness::{expect_problem, TestApp};

crate::private_ok!(the_merchant_vetoes_approves_or_stays_silent);

type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// An endpoint on loopback answering every request with `body` after `delay_ms`.
async fn merchant(body: &'static str, delay_ms: u64) -> (String, Seen) {
    let got: Seen = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, req: String| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push((headers, req));
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            ([("content-type", "application/json")], body)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/check"), got)
}

/// A program asking `url` before its rewards stand, and one purchase through it;
/// returns the rewards once none waits for the check any more.
async fn purchase_checked(
    app: &TestApp,
    url: &str,
    timeout_ms: u64,
    order: &str,
) -> (Value, Vec<Value>) {
    let e = app
        .post_ok(
            "/api/v1/webhook-endpoints",
            &json!({"url": url, "event_types": ["payout.line_failed"]}),
            201,
        )
        .await;
    let p = app
        .program(json!({"reward_check": {"endpoint_id": e["id"], "timeout_ms": timeout_ms}}))
        .await;
    assert_eq!(p["reward_check"]["endpoint_id"], e["id"]);
    let a = app.advocate(&p, &format!("a-{order}@example.com")).await;
    let answer = app
        .event(json!({"type": "purchase", "program_id": p["id"],
            "referral_code": a["referral_code"], "customer": {"email": format!("f-{order}@example.net")},
            "order_id": order, "amount": 3000, "currency": "USD"}))
        .await;
    // Answered at once: the rewards wait for the merchant.
    let first = answer["rewards"].as_array().cloned().unwrap_or_default();
    assert!(
        first
            .iter()
            .all(|r| r["status"] == "pending" && r["pending_reason"] == "merchant_check"),
        "{answer}"
    );
    for _ in 0..100 {
        let list = app
            .get_ok(&format!(
                "/api/v1/rewards?program_id={}",
                p["id"].as_str().unwrap()
            ))
            .await;
        let rewards = list["data"].as_array().unwrap().clone();
        if !rewards.is_empty()
            && rewards
                .iter()
                .all(|r| r["pending_reason"] != "merchant_check")
        {
            return (e, rewards);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the rewards kept waiting for the merchant");
}

async fn audit(app: &TestApp, reward: &Value) -> Value {
    let id = reward["id"].as_str().unwrap();
    app.get_ok(&format!("/api/v1/audit-log?subject_id={id}"))
        .await["data"][0]
        .clone()
}

async fn the_merchant_vetoes_approves_or_stays_silent(app: TestApp) {
    // A veto cancels both sides' rewards and says why.
    let (url, seen) = merchant(r#"{"approve": false, "reason": "an employee's order"}"#, 0).await;
    let (endpoint, rewards) = purchase_checked(&app, &url, 2000, "o-veto").await;
    assert_eq!(rewards.len(), 2, "{rewards:#?}");
    assert!(
        rewards.iter().all(|r| r["status"] == "cancelled"),
        "{rewards:#?}"
    );
    let a = audit(&app, &rewards[0]).await;
    assert_eq!(a["action"], "reward_check.vetoed", "{a}");
    assert_eq!(a["reason"], "an employee's order");
    // Each request is signed with the endpoint's secret and carries the reward.
    let key = SigningKey::parse(endpoint["secret"].as_str().unwrap()).unwrap();
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one request per reward");
    for (h, body) in &got {
        let header = |k: &str| h[k].to_str().unwrap().to_owned();
        let ts: i64 = header("webhook-timestamp").parse().unwrap();
        assert!(verifies(
            &key,
            &header("webhook-id"),
            ts,
            body.as_bytes(),
            &header("webhook-signature")
        ));
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["type"], "reward.requested");
        assert_eq!(v["data"]["status"], "pending");
    }

    // Any other answer lets the rewards go on.
    let (url, _) = merchant(r#"{"approve": true}"#, 0).await;
    let (_, rewards) = purchase_checked(&app, &url, 2000, "o-ok").await;
    assert!(
        rewards.iter().all(|r| r["status"] == "approved"),
        "{rewards:#?}"
    );
    assert_eq!(
        audit(&app, &rewards[0]).await["action"],
        "reward_check.passed"
    );

    // Silence past the timeout too.
    let (url, _) = merchant(r#"{"approve": false}"#, 1500).await;
    let (_, rewards) = purchase_checked(&app, &url, 200, "o-slow").await;
    assert!(
        rewards.iter().all(|r| r["status"] == "approved"),
        "{rewards:#?}"
    );
    let a = audit(&app, &rewards[0]).await;
    assert_eq!(a["action"], "reward_check.passed");
    assert!(
        a["data"]["error"].as_str().unwrap().contains("200 ms"),
        "{a}"
    );

    // A program names an endpoint of this workspace.
    let resp = app
        .post(
            "/api/v1/programs",
            &json!({"name": "x", "destination_url": "https://shop.example.com/",
                "reward_check": {"endpoint_id": "we_01jd2x3y4z5a6b7c8d9e0f1g2h"}}),
        )
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("reward_check.endpoint_id"),
    )
    .await;
    let resp = app
        .post(
            "/api/v1/programs",
            &json!({"name": "x", "destination_url": "https://shop.example.com/",
                "reward_check": {"endpoint_id": "nope"}}),
        )
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("reward_check.endpoint_id"),
    )
    .await;
}

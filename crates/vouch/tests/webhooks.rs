//! Outgoing webhooks from a running `vouch serve` to a receiver that verifies them with
//! the Standard Webhooks reference library (`e2e/webhook_receiver.mjs`, npm
//! `standardwebhooks`): a purchase's events arrive signed, a failed attempt is retried
//! with the same `webhook-id`, and after a rotation each message carries both
//! signatures. Needs Node and `e2e/node_modules` (`scripts/browser-deps.sh`); without
//! them the test skips loudly, and with `CI` or `VOUCH_REQUIRE_BROWSER` it fails.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::{call, serve};

fn node_ready() -> bool {
    common::node_ready(&["standardwebhooks"])
}

struct Receiver {
    node: common::NodeScript,
    port: u16,
}

fn receiver() -> Receiver {
    let node = common::node_script("webhook_receiver.mjs", &[]);
    let port = loop {
        let line = node
            .text
            .recv_timeout(Duration::from_secs(20))
            .expect("receiver port");
        if let Some(p) = line.strip_prefix("listening ") {
            break p.trim().parse::<u16>().unwrap();
        }
    };
    Receiver { node, port }
}

impl Receiver {
    /// Messages received until `done` holds for them (or 30 s).
    fn until(&self, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut got = vec![];
        while !done(&got) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.node.lines.recv_timeout(left) {
                Ok(v) => got.push(v),
                Err(_) => panic!("receiver got {got:?}"),
            }
        }
        got
    }
}

#[tokio::test]
async fn webhooks_verify_with_the_reference_library_and_retry_with_the_same_id() {
    if !node_ready() {
        return;
    }
    let hook = receiver();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let server = serve(&["--data-dir", &data, "--webhook-allow-private"]);
    let sk = server.key("sk_");
    let base = server.base.clone();
    let post =
        |path: &str, body: Value| call(reqwest::Method::POST, format!("{base}{path}"), &sk, body);
    let program = post(
        "/api/v1/programs",
        json!({
        "name": "Hooks", "destination_url": "https://shop.example.com/",
        "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"}}),
    )
    .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let advocate = post(
        &format!("/api/v1/programs/{pid}/participants"),
        json!({"email": "sara@example.com"}),
    )
    .await;
    let endpoint = post(
        "/api/v1/webhook-endpoints",
        json!({
        "url": format!("http://127.0.0.1:{}/hook", hook.port),
        "event_types": ["referral.converted", "reward.created"]}),
    )
    .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let control = reqwest::Client::new();
    let hook_url = format!("http://127.0.0.1:{}", hook.port);
    control
        .post(format!("{hook_url}/__secrets"))
        .json(&json!([secret]))
        .send()
        .await
        .unwrap();
    // The first attempt fails: the retry 5 s later succeeds.
    control
        .post(format!("{hook_url}/__statuses"))
        .json(&json!([500, 200]))
        .send()
        .await
        .unwrap();

    post(
        "/api/v1/events",
        json!({"type": "purchase", "program_id": pid,
        "referral_code": advocate["referral_code"], "customer": {"email": "friend@example.net"},
        "order_id": "o-1", "amount": 5000, "currency": "USD"}),
    )
    .await;
    let got = hook.until(|g| g.iter().filter(|m| m["status"] == 200).count() >= 2);
    assert!(
        got.iter().all(|m| m["verified"] == json!([true])),
        "{got:?}"
    );
    let types: Vec<&str> = got.iter().filter_map(|m| m["type"].as_str()).collect();
    assert!(
        types.contains(&"referral.converted") && types.contains(&"reward.created"),
        "{types:?}"
    );
    assert_eq!(got[0]["status"], 500);
    let retried = got
        .iter()
        .skip(1)
        .find(|m| m["id"] == got[0]["id"])
        .expect("the same webhook-id again");
    assert_eq!(retried["status"], 200);

    let eid = endpoint["id"].as_str().unwrap();
    // The log shows the outcome once the attempt is written (just after the answer).
    let mut first = Value::Null;
    for _ in 0..100 {
        let log = call(
            reqwest::Method::GET,
            format!("{base}/api/v1/webhook-endpoints/{eid}/deliveries"),
            &sk,
            Value::Null,
        )
        .await;
        first = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == got[0]["id"])
            .cloned()
            .unwrap();
        if first["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["attempts"], 2);
    assert_eq!(first["response_status"], 200);

    // A rotation: both secrets sign until the overlap ends.
    let rotated = call(
        reqwest::Method::PATCH,
        format!("{base}/api/v1/webhook-endpoints/{eid}"),
        &sk,
        json!({"rotate_secret": {"overlap_hours": 1}}),
    )
    .await;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    control
        .post(format!("{hook_url}/__secrets"))
        .json(&json!([secret, new_secret]))
        .send()
        .await
        .unwrap();
    let before = got.len();
    post(
        &format!("/api/v1/webhook-endpoints/{eid}/test"),
        Value::Null,
    )
    .await;
    let all = hook.until(|g| !g.is_empty());
    let test = &all[0];
    assert_eq!(test["type"], "webhook.test", "{all:?} after {before}");
    assert_eq!(test["signatures"], 2);
    assert_eq!(test["verified"], json!([true, true]));
}

/// Two instances on one PostgreSQL database: every message reaches the receiver once
/// per attempt, whichever instance's worker sent it.
#[tokio::test]
async fn two_instances_send_each_attempt_once() {
    let Some(url) = vouch_store::testing::fresh_postgres().await else {
        return;
    };
    if !node_ready() {
        return;
    }
    let hook = receiver();
    let sk = common::workspace_key(&url);
    let a = serve(&["--database-url", &url, "--webhook-allow-private"]);
    let b = serve(&["--database-url", &url, "--webhook-allow-private"]);
    let post = |base: String, path: &str, body: Value| {
        call(reqwest::Method::POST, format!("{base}{path}"), &sk, body)
    };
    let program = post(
        a.base.clone(),
        "/api/v1/programs",
        json!({
        "name": "Hooks", "destination_url": "https://shop.example.com/",
        "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
        "fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000,
                  "max_code_referrals_per_day": 1000, "max_code_referrals_per_week": 1000}}),
    )
    .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let advocate = post(
        a.base.clone(),
        &format!("/api/v1/programs/{pid}/participants"),
        json!({"email": "sara@example.com"}),
    )
    .await;
    let endpoint = post(
        a.base.clone(),
        "/api/v1/webhook-endpoints",
        json!({
        "url": format!("http://127.0.0.1:{}/hook", hook.port),
        "event_types": ["referral.converted"]}),
    )
    .await;
    let control = reqwest::Client::new();
    let hook_url = format!("http://127.0.0.1:{}", hook.port);
    control
        .post(format!("{hook_url}/__secrets"))
        .json(&json!([endpoint["secret"]]))
        .send()
        .await
        .unwrap();
    // The first message is answered 500, then retried once.
    control
        .post(format!("{hook_url}/__statuses"))
        .json(&json!([500, 200]))
        .send()
        .await
        .unwrap();
    const FRIENDS: usize = 20;
    for i in 0..FRIENDS {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        post(
            base,
            "/api/v1/events",
            json!({"type": "purchase", "program_id": pid,
            "referral_code": advocate["referral_code"],
            "customer": {"email": format!("friend{i}@example.net")},
            "order_id": format!("o-{i}"), "amount": 3000, "currency": "USD"}),
        )
        .await;
    }
    let got = hook.until(|g| g.iter().filter(|m| m["status"] == 200).count() >= FRIENDS);
    // A moment more: a duplicate would arrive now.
    std::thread::sleep(Duration::from_secs(2));
    let mut all = got;
    while let Ok(v) = hook.node.lines.try_recv() {
        all.push(v);
    }
    assert!(all.iter().all(|m| m["verified"] == json!([true])));
    let mut ids: Vec<&str> = all.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids.len(), FRIENDS + 1, "one retry, no duplicate: {all:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), FRIENDS, "each message once, plus the one retry");
}

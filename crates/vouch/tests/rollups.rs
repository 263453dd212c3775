//! Analytics rollups kept by two `vouch serve` instances on one PostgreSQL database,
//! one of them replaced halfway: a settled day's report, read from the rollups alone,
//! counts every purchase once.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::{call, serve};

#[tokio::test]
async fn two_instances_and_a_restart_count_each_purchase_once() {
    let Some(url) = vouch_store::testing::fresh_postgres().await else {
        return;
    };
    let sk = common::workspace_key(&url);
    let a = serve(&["--database-url", &url]);
    let mut b = serve(&["--database-url", &url]);
    let post = |base: String, path: &str, body: Value| {
        call(reqwest::Method::POST, format!("{base}{path}"), &sk, body)
    };
    let program = post(
        a.base.clone(),
        "/api/v1/programs",
        json!({"name": "Rollups", "destination_url": "https://shop.example.com/",
            "referrer_reward": {"kind": "credit", "amount": 100, "currency": "USD"},
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
    // Three days ago, a day the rollups already count as settled: every purchase
    // marks it to be recomputed, by whichever instance refreshes first.
    let day = (now() / 86_400_000 - 3) * 86_400_000;
    let at = |i: usize| vouch_domain::views::rfc3339(day + 3_600_000 + i as i64 * 60_000);
    const PURCHASES: usize = 30;
    for i in 0..PURCHASES {
        if i == PURCHASES / 2 {
            // One instance goes away and a new one takes its place.
            drop(b);
            b = serve(&["--database-url", &url]);
        }
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        post(
            base,
            "/api/v1/events",
            json!({"type": "purchase", "program_id": pid, "order_id": format!("o-{i}"),
                "amount": 2500, "currency": "USD", "occurred_at": at(i),
                "referral_code": advocate["referral_code"],
                "customer": {"email": format!("friend{i}@example.net")}}),
        )
        .await;
    }
    let (from, to) = (
        vouch_domain::views::rfc3339(day),
        vouch_domain::views::rfc3339(day + 86_400_000),
    );
    let path = format!(
        "/api/v1/analytics/report?program_id={pid}&from={}&to={}",
        from.replace('+', "%2B"),
        to.replace('+', "%2B")
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let last = loop {
        let status = call(
            reqwest::Method::GET,
            format!("{}/api/v1/analytics/status", a.base),
            &sk,
            Value::Null,
        )
        .await;
        let last = call(
            reqwest::Method::GET,
            format!("{}{path}", b.base),
            &sk,
            Value::Null,
        )
        .await;
        let t = &last["totals"];
        if status["pending_days"] == 0 && t["conversions"] == PURCHASES {
            assert_eq!(t["revenue"], 2500 * PURCHASES as i64, "{last}");
            break last;
        }
        assert!(
            t["conversions"].as_i64().unwrap_or(0) <= PURCHASES as i64,
            "counted twice: {last}"
        );
        assert!(
            Instant::now() < deadline,
            "the rollups never caught up: {last}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // And it stays so across further refreshes.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let again = call(
        reqwest::Method::GET,
        format!("{}{path}", a.base),
        &sk,
        Value::Null,
    )
    .await;
    assert_eq!(again["totals"], last["totals"]);
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

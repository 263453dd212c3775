//! Two `vouch serve` instances on one PostgreSQL database: contests that fall due at the
//! same moment close once each and pay each winner once, whichever instance's worker
//! got there first (checked in the ledger balances and the rewards issued).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::{call, serve};

#[tokio::test]
async fn two_instances_close_each_contest_once() {
    let Some(url) = vouch_store::testing::fresh_postgres().await else {
        return;
    };
    let sk = common::workspace_key(&url);
    let a = serve(&["--database-url", &url]);
    let b = serve(&["--database-url", &url]);
    let bases = [a.base.clone(), b.base.clone()];
    let post = |i: usize, path: &str, body: Value| {
        call(
            reqwest::Method::POST,
            format!("{}{path}", bases[i % 2]),
            &sk,
            body,
        )
    };
    let get = |i: usize, path: &str| {
        call(
            reqwest::Method::GET,
            format!("{}{path}", bases[i % 2]),
            &sk,
            Value::Null,
        )
    };
    let program = post(
        0,
        "/api/v1/programs",
        json!({"name": "Contests", "destination_url": "https://shop.example.com/",
            "referrer_reward": {"kind": "credit", "amount": 100, "currency": "USD"},
            "fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000,
                      "max_code_referrals_per_day": 1000, "max_code_referrals_per_week": 1000}}),
    )
    .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let mut advocates = vec![];
    for (i, email) in ["first@example.com", "second@example.com"]
        .iter()
        .enumerate()
    {
        let p = post(
            i,
            &format!("/api/v1/programs/{pid}/participants"),
            json!({"email": email}),
        )
        .await;
        advocates.push(p);
    }
    let starts = vouch_domain::views::rfc3339(now() - 60_000);
    // Three friends of the first advocate, one of the second, through both instances.
    for (i, who) in [0, 0, 1, 0].into_iter().enumerate() {
        post(
            i,
            "/api/v1/events",
            json!({"type": "purchase", "program_id": pid, "order_id": format!("o-{i}"),
                "amount": 2500, "currency": "USD",
                "referral_code": advocates[who]["referral_code"],
                "customer": {"email": format!("friend{i}@example.net")}}),
        )
        .await;
    }
    // Six contests that all fall due at one instant, created through both instances.
    const CONTESTS: usize = 6;
    let ends = vouch_domain::views::rfc3339(now() + 3_000);
    let mut ids = vec![];
    for i in 0..CONTESTS {
        let c = post(
            i,
            "/api/v1/contests",
            json!({"program_id": pid, "name": format!("Contest {i}"), "starts_at": starts,
                "ends_at": ends, "prizes": [
                    {"kind": "credit", "amount": 3000, "currency": "USD"},
                    {"kind": "credit", "amount": 1000, "currency": "USD"}]}),
        )
        .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut closed = vec![];
    while closed.len() < CONTESTS {
        assert!(Instant::now() < deadline, "contests still open: {closed:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        closed.clear();
        for (i, id) in ids.iter().enumerate() {
            let c = get(i, &format!("/api/v1/contests/{id}")).await;
            if c["status"] == "closed" {
                closed.push(c);
            }
        }
    }
    for c in &closed {
        let w = c["winners"].as_array().unwrap();
        assert_eq!(w.len(), 2, "{c}");
        assert_eq!(w[0]["participant_id"], advocates[0]["id"], "{c}");
        assert_eq!(w[1]["participant_id"], advocates[1]["id"], "{c}");
    }
    // Each prize once: 6 × 30.00 plus three referrals for the first, 6 × 10.00 plus one
    // for the second, and exactly twelve prize rewards.
    for (who, expected) in [(0, 6 * 3000 + 300), (1, 6 * 1000 + 100)] {
        let p = get(
            who,
            &format!(
                "/api/v1/participants/{}",
                advocates[who]["id"].as_str().unwrap()
            ),
        )
        .await;
        let available = p["balance"]
            .as_array()
            .and_then(|b| b.iter().find(|x| x["currency"] == "USD"))
            .map(|x| x["available"].as_i64().unwrap())
            .unwrap_or(0);
        assert_eq!(available, expected, "{p}");
    }
    let rewards = get(0, &format!("/api/v1/rewards?program_id={pid}&limit=100")).await;
    let prizes = rewards["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["trigger"]
                .as_str()
                .is_some_and(|t| t.starts_with("contest:"))
        })
        .count();
    assert_eq!(prizes, 2 * CONTESTS, "{rewards}");
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

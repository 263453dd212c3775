//! The lifecycle as the activity feed tells it: every change of state of a referral
//! and its rewards appears once, in order, and a 14-day hold is run by moving the
//! clock instead of waiting.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both;
use crate::harness::{expect_problem, TestApp};

both!(
    a_referral_walks_every_state_once_in_order,
    the_feed_filters_and_pages,
    bad_filters_are_422s
);

/// Every activity entry of the workspace, oldest first, once the worker has copied
/// at least `at_least` of them.
pub async fn activity(app: &TestApp, query: &str, at_least: usize) -> Vec<Value> {
    for _ in 0..100 {
        let mut all = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/activity?limit=100{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = app.get_ok(&path).await;
            all.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        if all.len() >= at_least {
            all.reverse();
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the activity feed never reached {at_least} entries");
}

fn types_of(entries: &[Value], subject: &str) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["subject_id"] == subject)
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_referral_walks_every_state_once_in_order(app: TestApp) {
    let program = app
        .program(json!({
            "hold_days": 14,
            "referee_reward": {"kind": "coupon", "currency": "USD",
                "coupon": {"discount_type": "percent_off", "percent": 15}},
        }))
        .await;
    let pid = program["id"].as_str().unwrap();
    let advocate = app.advocate(&program, "sara@example.com").await;
    let code = advocate["referral_code"].as_str().unwrap();
    let click = app.click(code).await;
    // Signup by the shop's own id; the purchase then brings a disposable address,
    // which holds the referral for review at the conversion.
    let signup = app
        .event(
            json!({"type": "signup", "program_id": pid, "click_id": click,
            "customer": {"external_id": "cust-1"}}),
        )
        .await;
    let rid = signup["referral"]["id"].as_str().unwrap().to_owned();
    let purchase = app
        .event(
            json!({"type": "purchase", "program_id": pid, "click_id": click,
            "customer": {"external_id": "cust-1", "email": "friend@guerrillamail.com"},
            "order_id": "1001", "amount": 5000, "currency": "USD"}),
        )
        .await;
    assert_eq!(purchase["referral"]["review"], "pending", "{purchase}");
    let rewards = purchase["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 2, "{purchase}");
    let reward_of = |role: &str| {
        let r = rewards.iter().find(|r| r["role"] == role).unwrap();
        (
            r["id"].as_str().unwrap().to_owned(),
            r["coupon_code"].as_str().map(str::to_owned),
        )
    };
    let (referrer_reward, _) = reward_of("referrer");
    let (referee_reward, coupon) = reward_of("referee");
    app.post_ok(&format!("/api/v1/reviews/{rid}/approve"), &json!({}), 200)
        .await;
    // Approved in review, but the 14-day hold still runs.
    let r = app
        .get_ok(&format!("/api/v1/rewards/{referrer_reward}"))
        .await;
    assert_eq!(r["status"], "pending", "{r}");

    // Fourteen days pass: the worker approves both rewards.
    app.clock.advance(Duration::from_secs(14 * 86_400 + 60));
    let mut approved = false;
    for _ in 0..100 {
        let r = app.get_ok(&format!("/api/v1/referrals/{rid}")).await;
        if r["status"] == "rewarded" {
            approved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(approved, "the hold never ended");

    // The friend spends the coupon on a second order, then the first is refunded.
    app.event(json!({"type": "purchase", "program_id": pid,
        "customer": {"external_id": "cust-1"}, "coupon_code": coupon.unwrap(),
        "order_id": "1002", "amount": 3000, "currency": "USD"}))
        .await;
    let refund = app
        .event(
            json!({"type": "refund", "program_id": pid, "order_id": "1001",
            "customer": {"external_id": "cust-1"}}),
        )
        .await;
    assert_eq!(refund["referral"]["status"], "reversed", "{refund}");

    let feed = activity(&app, "", 16).await;
    assert_eq!(feed.len(), 16, "{feed:?}");
    assert_eq!(
        types_of(&feed, &rid),
        [
            "referral.created",
            "referral.signed_up",
            "referral.held",
            "referral.converted",
            "referral.approved",
            "referral.rewarded",
            "referral.reversed",
        ]
    );
    assert_eq!(
        types_of(&feed, &referrer_reward),
        ["reward.created", "reward.approved", "reward.reversed"]
    );
    assert_eq!(
        types_of(&feed, &referee_reward),
        [
            "reward.created",
            "reward.approved",
            "reward.redeemed",
            "reward.reversed"
        ]
    );
    // The advocate and the friend (enrolled by the purchase) joined once each.
    let enrolled: Vec<_> = feed
        .iter()
        .filter(|e| e["type"] == "participant.enrolled")
        .collect();
    assert_eq!(enrolled.len(), 2, "{feed:?}");
    // Every entry once, numbered in order, each carrying its entity after the change.
    let seqs: Vec<i64> = feed
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let mut ids: Vec<&str> = feed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), feed.len());
    let last = feed
        .iter()
        .rev()
        .find(|e| e["subject_id"] == rid.as_str())
        .unwrap();
    assert_eq!(last["data"]["status"], "reversed");
    assert_eq!(last["data"]["review"], "approved");
    assert_eq!(last["program_id"], pid);
    assert_eq!(last["participant_id"], advocate["id"]);
    let held = feed.iter().find(|e| e["type"] == "referral.held").unwrap();
    assert_eq!(
        held["data"]["status"], "signed_up",
        "the state right after the hold"
    );
}

async fn the_feed_filters_and_pages(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let a = app.advocate(&program, "a@example.com").await;
    let b = app.advocate(&program, "b@example.com").await;
    for (i, adv) in [&a, &b].into_iter().enumerate() {
        app.event(json!({"type": "purchase", "program_id": pid,
            "referral_code": adv["referral_code"], "customer": {"email": format!("f{i}@example.com")},
            "order_id": format!("o{i}"), "amount": 1000, "currency": "USD"}))
            .await;
    }
    // Per purchase: referral created + converted + rewarded, two rewards created and
    // approved, the friend enrolled; plus the two advocates.
    let all = activity(&app, "", 2 + 2 * 8).await;
    assert_eq!(all.len(), 18, "{all:?}");
    let a_id = a["id"].as_str().unwrap();
    let mine = activity(&app, &format!("&participant_id={a_id}"), 1).await;
    assert!(mine.iter().all(|e| e["participant_id"] == a_id));
    // a's enrolment, a's referral (3) and a's own reward (2).
    assert_eq!(mine.len(), 6, "{mine:?}");
    let approvals = activity(&app, "&type=reward.approved,referral.rewarded", 6).await;
    assert_eq!(approvals.len(), 6);
    let page = app.get_ok("/api/v1/activity?limit=5").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
    let next = page["next_cursor"].as_str().unwrap();
    let page2 = app
        .get_ok(&format!("/api/v1/activity?limit=5&cursor={next}"))
        .await;
    assert!(
        page2["data"][0]["sequence"].as_i64() < page["data"][4]["sequence"].as_i64(),
        "pages go back in time"
    );
    let other = app
        .get_ok(&format!(
            "/api/v1/activity?program_id={}",
            "prg_01JAAAAAAAAAAAAAAAAAAAAAAA"
        ))
        .await;
    assert_eq!(other["data"], json!([]));
    // A workspace created while the worker runs has its feed too, and only its own.
    let ws = vouch_app::workspaces::create_workspace(app.store.as_ref(), "Later")
        .await
        .unwrap();
    let call = |req: reqwest::RequestBuilder| async {
        req.bearer_auth(&ws.secret_key)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let later = call(
        app.client
            .post(app.url("/api/v1/programs"))
            .json(&json!({"name": "Later", "destination_url": "https://shop.example.com/"})),
    )
    .await;
    let path = format!(
        "/api/v1/programs/{}/participants",
        later["id"].as_str().unwrap()
    );
    call(
        app.client
            .post(app.url(&path))
            .json(&json!({"email": "late@example.com"})),
    )
    .await;
    let mut seen = json!([]);
    for _ in 0..100 {
        seen = call(app.client.get(app.url("/api/v1/activity"))).await["data"].clone();
        if !seen.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    assert_eq!(seen[0]["type"], "participant.enrolled");
}

async fn bad_filters_are_422s(app: TestApp) {
    expect_problem(
        app.get("/api/v1/activity?type=reward.exploded").await,
        422,
        "validation_failed",
        Some("type"),
    )
    .await;
    expect_problem(
        app.get("/api/v1/activity?cursor=abc").await,
        422,
        "validation_failed",
        Some("cursor"),
    )
    .await;
    expect_problem(
        app.get("/api/v1/activity?program_id=nope").await,
        422,
        "validation_failed",
        Some("program_id"),
    )
    .await;
}

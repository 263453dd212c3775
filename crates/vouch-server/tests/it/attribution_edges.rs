//! Attribution at its edges: an existing customer's purchase says why it earns nothing,
//! a paused program pays nothing and judges its friends again once it resumes, and
//! events dated in the future are refused.

use serde_json::{json, Value};

use crate::both;
use crate::harness::{expect_problem, TestApp};

both!(
    an_existing_customer_is_told_why_nothing_was_earned,
    a_purchase_during_a_pause_earns_nothing_and_the_friend_is_judged_again_after_it,
    a_friend_who_signed_up_during_a_pause_converts_after_it,
    repeat_payments_during_a_pause_are_skipped_with_a_reason,
    a_purchase_in_a_currency_the_rule_does_not_pay_uses_up_nothing,
    events_from_the_future_are_refused_beyond_five_minutes
);

async fn pause(app: &TestApp, program: &Value, status: &str) {
    let path = format!("/api/v1/programs/{}", program["id"].as_str().unwrap());
    let resp = app.patch(&path, &json!({ "status": status })).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

async fn an_existing_customer_is_told_why_nothing_was_earned(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let advocate = app.advocate(&program, "sara@example.com").await;
    // They bought before, on their own.
    let first = app
        .event(json!({"type": "purchase", "program_id": pid,
            "customer": {"email": "old@example.com"}, "order_id": "o1",
            "amount": 3000, "currency": "USD"}))
        .await;
    assert_eq!(first["referral"], Value::Null);
    // Then they follow the advocate's link and buy again.
    let click = app.click(advocate["referral_code"].as_str().unwrap()).await;
    let again = app
        .event(
            json!({"type": "purchase", "program_id": pid, "click_id": click,
            "customer": {"email": "old@example.com"}, "order_id": "o2",
            "amount": 3000, "currency": "USD"}),
        )
        .await;
    assert_eq!(again["referral"]["status"], "rejected", "{again}");
    assert_eq!(again["referral"]["reason"], "existing_customer", "{again}");
    assert_eq!(again["referral"]["referrer_participant_id"], advocate["id"]);
    assert_eq!(again["rewards"], json!([]));
    let list = app
        .get_ok(&format!(
            "/api/v1/referrals?participant_id={}",
            advocate["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(list["data"][0]["reason"], "existing_customer", "{list}");
    // Decided once: a later purchase of theirs inherits it.
    let later = app
        .event(
            json!({"type": "purchase", "program_id": pid, "click_id": click,
            "customer": {"email": "old@example.com"}, "order_id": "o3",
            "amount": 3000, "currency": "USD"}),
        )
        .await;
    assert_eq!(later["referral"]["id"], again["referral"]["id"]);
    assert_eq!(later["rewards"], json!([]));
}

async fn a_purchase_during_a_pause_earns_nothing_and_the_friend_is_judged_again_after_it(
    app: TestApp,
) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let advocate = app.advocate(&program, "sara@example.com").await;
    let code = advocate["referral_code"].as_str().unwrap();
    let signup = app
        .event(
            json!({"type": "signup", "program_id": pid, "referral_code": code,
            "customer": {"email": "friend@example.com"}}),
        )
        .await;
    assert_eq!(signup["referral"]["status"], "signed_up");
    pause(&app, &program, "paused").await;
    let during = app
        .event(json!({"type": "purchase", "program_id": pid,
            "customer": {"email": "friend@example.com"}, "order_id": "p1",
            "amount": 3000, "currency": "USD"}))
        .await;
    assert_eq!(during["referral"]["status"], "rejected", "{during}");
    assert_eq!(during["referral"]["reason"], "program_paused", "{during}");
    assert_eq!(during["rewards"], json!([]));
    pause(&app, &program, "active").await;
    // Back after the pause, without a new link: judged again from the first touch.
    let after = app
        .event(json!({"type": "purchase", "program_id": pid,
            "customer": {"email": "friend@example.com"}, "order_id": "p2",
            "amount": 3000, "currency": "USD"}))
        .await;
    assert_eq!(after["referral"]["status"], "rewarded", "{after}");
    assert_eq!(after["referral"]["reason"], Value::Null, "{after}");
    assert_eq!(
        after["referral"]["id"], during["referral"]["id"],
        "one per friend"
    );
    assert_eq!(after["rewards"].as_array().unwrap().len(), 2, "{after}");
}

async fn a_friend_who_signed_up_during_a_pause_converts_after_it(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let advocate = app.advocate(&program, "sara@example.com").await;
    let code = advocate["referral_code"].as_str().unwrap();
    pause(&app, &program, "paused").await;
    let signup = app
        .event(
            json!({"type": "signup", "program_id": pid, "referral_code": code,
            "customer": {"email": "friend@example.com"}}),
        )
        .await;
    assert_eq!(signup["referral"]["reason"], "program_paused", "{signup}");
    pause(&app, &program, "active").await;
    let click = app.click(code).await;
    let purchase = app
        .event(
            json!({"type": "purchase", "program_id": pid, "click_id": click,
            "customer": {"email": "friend@example.com"}, "order_id": "q1",
            "amount": 3000, "currency": "USD"}),
        )
        .await;
    assert_eq!(purchase["referral"]["status"], "rewarded", "{purchase}");
    assert_eq!(purchase["referral"]["click_id"], click.as_str());
    assert_eq!(purchase["rewards"].as_array().unwrap().len(), 2);
}

async fn repeat_payments_during_a_pause_are_skipped_with_a_reason(app: TestApp) {
    let program = app
        .program(json!({"referrer_reward": {"kind": "credit", "amount": 1000,
            "currency": "USD", "purchases": 3}}))
        .await;
    let pid = program["id"].as_str().unwrap();
    let advocate = app.advocate(&program, "sara@example.com").await;
    let code = advocate["referral_code"].as_str().unwrap();
    let first = app
        .event(
            json!({"type": "purchase", "program_id": pid, "referral_code": code,
            "customer": {"email": "friend@example.com"}, "order_id": "r1",
            "amount": 3000, "currency": "USD"}),
        )
        .await;
    assert_eq!(first["referral"]["status"], "rewarded", "{first}");
    pause(&app, &program, "paused").await;
    let second = app
        .event(json!({"type": "purchase", "program_id": pid,
            "customer": {"email": "friend@example.com"}, "order_id": "r2",
            "amount": 3000, "currency": "USD"}))
        .await;
    assert_eq!(second["rewards"], json!([]), "{second}");
    let skipped = second["referral"]["skipped_rewards"].as_array().unwrap();
    assert!(
        skipped.iter().any(|s| s["reason"] == "program_paused"),
        "{second}"
    );
    // The referral itself stays converted and rewarded.
    assert_eq!(second["referral"]["status"], "rewarded");
}

async fn events_from_the_future_are_refused_beyond_five_minutes(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let at = |secs: i64| {
        let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs);
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let resp = app
        .post(
            "/api/v1/events",
            &json!({"type": "signup", "program_id": pid,
                "customer": {"email": "f@example.com"}, "occurred_at": at(3600)}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("occurred_at")).await;
    // A little clock skew is fine.
    app.event(json!({"type": "signup", "program_id": pid,
        "customer": {"email": "f@example.com"}, "occurred_at": at(120)}))
        .await;
}

async fn a_purchase_in_a_currency_the_rule_does_not_pay_uses_up_nothing(app: TestApp) {
    let program = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "percent": 10, "currency": "USD"},
            "referee_reward": null,
        }))
        .await;
    let pid = program["id"].as_str().unwrap();
    let advocate = app.advocate(&program, "sara@example.com").await;
    let code = advocate["referral_code"].as_str().unwrap();
    let eur = app
        .event(
            json!({"type": "purchase", "program_id": pid, "referral_code": code,
            "customer": {"email": "friend@example.com"}, "order_id": "c1",
            "amount": 5000, "currency": "EUR"}),
        )
        .await;
    assert_eq!(eur["rewards"], json!([]), "{eur}");
    assert_eq!(
        eur["referral"]["status"], "clicked",
        "waits for a qualifying purchase"
    );
    assert_eq!(
        eur["referral"]["skipped_rewards"][0]["reason"], "currency_mismatch",
        "{eur}"
    );
    let usd = app
        .event(json!({"type": "purchase", "program_id": pid,
            "customer": {"email": "friend@example.com"}, "order_id": "c2",
            "amount": 5000, "currency": "USD"}))
        .await;
    assert_eq!(usd["referral"]["status"], "rewarded", "{usd}");
    let reward = &usd["rewards"][0];
    assert_eq!(reward["trigger"], "first_purchase", "{usd}");
    assert_eq!(reward["amount"], 500);
}

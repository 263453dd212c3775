use serde_json::json;

use crate::both;
use crate::harness::{expect_problem, TestApp};

both!(
    enrolment_is_idempotent_per_email,
    vanity_codes_are_unique,
    generated_codes_are_unambiguous,
    participant_shows_stats_and_balance,
    blocking_cancels_pending_rewards_and_stops_the_links,
);

async fn enrolment_is_idempotent_per_email(app: TestApp) {
    let p = app.program(json!({})).await;
    let path = format!(
        "/api/v1/programs/{}/participants",
        p["id"].as_str().unwrap()
    );
    let a = app
        .post_ok(&path, &json!({"email": "Sara@Example.com", "name": "Sara", "locale": "ar", "external_id": "cust-1"}), 201)
        .await;
    assert!(a["id"].as_str().unwrap().starts_with("prt_"));
    assert_eq!(a["locale"], "ar");
    assert_eq!(a["external_id"], "cust-1");
    let code = a["referral_code"].as_str().unwrap();
    assert_eq!(a["referral_url"], format!("{}/r/{code}", app.base));
    assert_eq!(a["qr_code_url"], format!("{}/r/{code}/qr.svg", app.base));
    let again = app
        .post_ok(&path, &json!({"email": " sara@example.COM "}), 200)
        .await;
    assert_eq!(again["id"], a["id"]);
    assert_eq!(again["referral_code"], a["referral_code"]);
    let resp = app.post(&path, &json!({"email": "not-an-email"})).await;
    expect_problem(resp, 422, "validation_failed", Some("email")).await;
    let resp = app
        .post(&path, &json!({"email": "b@example.com", "locale": "fr"}))
        .await;
    expect_problem(resp, 422, "validation_failed", Some("locale")).await;
    let resp = app.post(&path, &json!({"name": "no email"})).await;
    expect_problem(resp, 422, "validation_failed", Some("email")).await;
    let list = app.get_ok(&path).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

async fn vanity_codes_are_unique(app: TestApp) {
    let p = app.program(json!({})).await;
    let path = format!(
        "/api/v1/programs/{}/participants",
        p["id"].as_str().unwrap()
    );
    let a = app
        .post_ok(
            &path,
            &json!({"email": "a@example.com", "referral_code": "Sara-10"}),
            201,
        )
        .await;
    assert_eq!(a["referral_code"], "Sara-10", "kept as chosen");
    assert_eq!(a["referral_url"], format!("{}/r/Sara-10", app.base));
    // Any case finds it.
    let resp = app.client.get(app.url("/r/SARA-10")).send().await.unwrap();
    assert!(resp.headers()["location"]
        .to_str()
        .unwrap()
        .contains("ref=Sara-10"));
    let resp = app
        .post(
            &path,
            &json!({"email": "b@example.com", "referral_code": "SARA-10"}),
        )
        .await;
    expect_problem(resp, 409, "referral_code_taken", Some("referral_code")).await;
    // Codes are global: another program cannot take it either.
    let q = app.program(json!({"name": "Other"})).await;
    let other = format!(
        "/api/v1/programs/{}/participants",
        q["id"].as_str().unwrap()
    );
    let resp = app
        .post(
            &other,
            &json!({"email": "c@example.com", "referral_code": "Sara-10"}),
        )
        .await;
    expect_problem(resp, 409, "referral_code_taken", Some("referral_code")).await;
    let resp = app
        .post(
            &path,
            &json!({"email": "d@example.com", "referral_code": "a b"}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("referral_code")).await;
    // The refused enrolment left nobody behind.
    let list = app.get_ok(&path).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

async fn generated_codes_are_unambiguous(app: TestApp) {
    let p = app.program(json!({})).await;
    let mut seen = std::collections::HashSet::new();
    for i in 0..25 {
        let a = app.advocate(&p, &format!("a{i}@example.com")).await;
        let code = a["referral_code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 8);
        assert!(
            code.chars()
                .all(|c| "23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(c)),
            "{code}"
        );
        assert!(seen.insert(code));
    }
}

async fn participant_shows_stats_and_balance(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "sara@example.com").await;
    let id = a["id"].as_str().unwrap();
    let fresh = app.participant(id).await;
    assert_eq!(
        fresh["stats"],
        json!({"clicks": 0, "unique_clicks": 0, "clicks_by_source": {}, "previews": 0,
            "bots": 0, "prefetches": 0, "signups": 0, "conversions": 0})
    );
    assert_eq!(fresh["balance"], json!([]));
    let code = a["referral_code"].as_str().unwrap();
    app.click(code).await;
    let click = app.click(code).await;
    app.event(json!({"type": "signup", "program_id": p["id"], "customer": {"email": "f@x.com"}, "click_id": click})).await;
    app.event(json!({"type": "purchase", "program_id": p["id"], "customer": {"email": "f@x.com"}, "order_id": "o-1", "amount": 2500, "currency": "USD"})).await;
    let after = app.participant(id).await;
    assert_eq!(
        after["stats"],
        json!({"clicks": 2, "unique_clicks": 2, "clicks_by_source": {"direct": 2},
            "previews": 0, "bots": 0, "prefetches": 0, "signups": 1, "conversions": 1})
    );
    assert_eq!(
        after["balance"],
        json!([{"currency": "USD", "available": 1000, "pending": 0, "payable": 0, "in_payout": 0, "paid_out": 0}])
    );
    let resp = app
        .get("/api/v1/participants/prt_00000000000000000000000000")
        .await;
    expect_problem(resp, 404, "not_found", None).await;
}

async fn blocking_cancels_pending_rewards_and_stops_the_links(app: TestApp) {
    let p = app.program(json!({"hold_days": 14})).await;
    let a = app.advocate(&p, "sara@example.com").await;
    let (id, code) = (
        a["id"].as_str().unwrap(),
        a["referral_code"].as_str().unwrap(),
    );
    app.event(json!({"type": "purchase", "program_id": p["id"], "customer": {"email": "f1@x.com"}, "referral_code": code, "order_id": "b-1"}))
        .await;
    // A friend who signed up before the block and buys after it.
    app.event(json!({"type": "signup", "program_id": p["id"], "customer": {"email": "f2@x.com"}, "referral_code": code}))
        .await;
    assert_eq!(
        crate::harness::balance(&app.participant(id).await, "USD"),
        (0, 1000)
    );
    // Blocked in the middle of the hold.
    let out = app
        .post_ok(&format!("/api/v1/participants/{id}/block"), &json!({}), 200)
        .await;
    assert_eq!(out["participant"]["status"], "blocked");
    let cancelled = out["cancelled_rewards"].as_array().unwrap();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["status"], "cancelled");
    assert_eq!(crate::harness::balance(&out["participant"], "USD"), (0, 0));
    // The friend's own reward is theirs, not the advocate's: still pending.
    let friend_rewards = app.get_ok("/api/v1/rewards?status=pending").await;
    assert_eq!(friend_rewards["data"].as_array().unwrap().len(), 1);
    // The link is dead, and nothing attributes to them any more.
    let resp = app
        .client
        .get(app.url(&format!("/r/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let e = app
        .event(json!({"type": "purchase", "program_id": p["id"], "customer": {"email": "f2@x.com"}, "order_id": "b-2"}))
        .await;
    assert_eq!(e["referral"]["status"], "rejected");
    assert_eq!(e["referral"]["reason"], "advocate_inactive");
    let e = app
        .event(json!({"type": "purchase", "program_id": p["id"], "customer": {"email": "f3@x.com"}, "referral_code": code, "order_id": "b-3"}))
        .await;
    assert_eq!(e["referral"]["reason"], "advocate_inactive");
    assert_eq!(e["rewards"], json!([]));
    // Blocking again changes nothing; a blocked advocate cannot redeem.
    let again = app
        .post_ok(&format!("/api/v1/participants/{id}/block"), &json!({}), 200)
        .await;
    assert_eq!(again["cancelled_rewards"], json!([]));
    let resp = app
        .post(
            &format!("/api/v1/participants/{id}/redemptions"),
            &json!({"amount": 1, "currency": "USD"}),
        )
        .await;
    expect_problem(resp, 409, "participant_blocked", None).await;
}

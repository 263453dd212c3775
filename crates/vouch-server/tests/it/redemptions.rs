use serde_json::json;

use crate::both;
use crate::harness::{balance, expect_json, expect_problem, TestApp};

both!(
    credit_is_redeemed_from_the_ledger,
    concurrent_redemptions_never_overdraw
);

/// An advocate with 10 USD of approved credit (one converted friend).
async fn advocate_with_credit(app: &TestApp) -> String {
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "sara@example.com").await;
    app.event(
        json!({"type": "purchase", "program_id": p["id"], "customer": {"email": "f@x.com"},
                     "referral_code": a["referral_code"], "order_id": "o-1"}),
    )
    .await;
    a["id"].as_str().unwrap().to_owned()
}

async fn credit_is_redeemed_from_the_ledger(app: TestApp) {
    let id = advocate_with_credit(&app).await;
    let path = format!("/api/v1/participants/{id}/redemptions");
    let r = app
        .post_ok(
            &path,
            &json!({"amount": 300, "currency": "USD", "reference": "order-77"}),
            201,
        )
        .await;
    assert!(r["id"].as_str().unwrap().starts_with("rdm_"));
    assert_eq!(r["amount"], 300);
    assert_eq!(r["reference"], "order-77");
    assert_eq!(
        r["balance"],
        json!([{"currency": "USD", "available": 700, "pending": 0, "payable": 0, "in_payout": 0, "paid_out": 0}])
    );
    assert_eq!(balance(&app.participant(&id).await, "USD"), (700, 0));
    // Overdrawing names the field and changes nothing.
    let resp = app
        .post(&path, &json!({"amount": 701, "currency": "USD"}))
        .await;
    let problem = expect_problem(resp, 422, "validation_failed", Some("amount")).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("7.00 USD"),
        "{problem}"
    );
    let resp = app
        .post(&path, &json!({"amount": 1, "currency": "EUR"}))
        .await;
    expect_problem(resp, 422, "validation_failed", Some("amount")).await;
    for (body, field) in [
        (json!({"amount": 0, "currency": "USD"}), "amount"),
        (json!({"amount": 5, "currency": "ZZZ"}), "currency"),
        (json!({"currency": "USD"}), "amount"),
    ] {
        expect_problem(
            app.post(&path, &body).await,
            422,
            "validation_failed",
            Some(field),
        )
        .await;
    }
    assert_eq!(balance(&app.participant(&id).await, "USD"), (700, 0));
    // A retried request with the same key spends once.
    let send = || {
        app.client
            .post(app.url(&path))
            .bearer_auth(&app.sk)
            .header("idempotency-key", "spend-1")
            .json(&json!({"amount": 200, "currency": "USD"}))
            .send()
    };
    let first = send().await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = expect_json(first, 201).await;
    let again = send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(expect_json(again, 201).await["id"], first["id"]);
    assert_eq!(balance(&app.participant(&id).await, "USD"), (500, 0));
    // Another workspace cannot spend it.
    let other = vouch_app::workspaces::create_workspace(app.store.as_ref(), "Other")
        .await
        .unwrap();
    let resp = app
        .client
        .post(app.url(&path))
        .bearer_auth(&other.secret_key)
        .json(&json!({"amount": 1, "currency": "USD"}))
        .send()
        .await
        .unwrap();
    expect_problem(resp, 404, "not_found", None).await;
}

async fn concurrent_redemptions_never_overdraw(app: TestApp) {
    let id = advocate_with_credit(&app).await;
    let path = format!("/api/v1/participants/{id}/redemptions");
    let mut tasks = vec![];
    for _ in 0..10 {
        let (client, url, sk) = (app.client.clone(), app.url(&path), app.sk.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(sk)
                .json(&json!({"amount": 300, "currency": "USD"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            201 => created += 1,
            422 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created, 3, "10.00 USD covers three redemptions of 3.00");
    assert_eq!(balance(&app.participant(&id).await, "USD"), (100, 0));
}

//! Likely advocates on both backends: advocates who bring a friend who buys every month
//! are ranked first, ahead of bigger buyers who never refer; the model's evaluation on
//! history it was not fitted on beats ranking by purchases; the segment of customers not
//! yet enrolled is a CSV the participant import reads; too little history says so.

use serde_json::{json, Value};
use vouch_domain::views::rfc3339;
use vouch_domain::DAY_MS;

use crate::harness::{expect_problem, TestApp};

crate::both!(habitual_referrers_rank_first_and_the_segment_imports);

async fn habitual_referrers_rank_first_and_the_segment_imports(app: TestApp) {
    let now = app.clock.now();
    let program = app
        .program(json!({"fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000}}))
        .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let fresh = app.program(json!({})).await;
    let q = format!("/api/v1/analytics/likely-advocates?program_id={pid}&horizon_days=30");

    // No history yet: no model, and why.
    let empty = app
        .get_ok(&format!(
            "/api/v1/analytics/likely-advocates?program_id={}",
            fresh["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(empty["model"], Value::Null);
    assert_eq!(empty["ranking"], "rule");
    assert!(empty["reason"].as_str().unwrap().contains("needs at least"));
    assert_eq!(empty["data"], json!([]));

    app.clock.set_to(now - 100 * DAY_MS);
    let mut habitual = vec![];
    for i in 0..16 {
        habitual.push(app.advocate(&program, &format!("h{i}@example.com")).await);
    }
    for i in 0..24 {
        app.advocate(&program, &format!("q{i}@example.com")).await;
    }
    app.clock.set_to(now);
    let day = |d: i64| rfc3339(now - d * DAY_MS);
    let buy = |who: String, order: String, at: String, amount: i64, code: Option<Value>| {
        let pid = pid.clone();
        let app = &app;
        async move {
            let mut body = json!({"type": "purchase", "program_id": pid, "order_id": order,
                "amount": amount, "currency": "USD", "occurred_at": at,
                "customer": {"email": who}});
            if let Some(code) = code {
                body["referral_code"] = code;
            }
            app.event(body).await;
        }
    };
    // Habitual referrers buy once, small; each brings a friend who buys every month.
    for (i, h) in habitual.iter().enumerate() {
        buy(
            format!("h{i}@example.com"),
            format!("h{i}"),
            day(95),
            2_000,
            None,
        )
        .await;
        for d in [75, 45, 15] {
            let code = Some(h["referral_code"].clone());
            let friend = format!("f{i}-{d}@example.com");
            buy(friend, format!("f{i}-{d}"), day(d), 3_000, code).await;
        }
    }
    // Quiet advocates buy three times, big; plain customers once or twice.
    for i in 0..24 {
        for d in [95, 70, 40] {
            let who = format!("q{i}@example.com");
            buy(who, format!("q{i}-{d}"), day(d), 20_000, None).await;
        }
    }
    for i in 0..20 {
        let who = format!("c{i}@example.com");
        buy(who.clone(), format!("c{i}-a"), day(80), 9_000, None).await;
        if i % 2 == 0 {
            buy(who, format!("c{i}-b"), day(50), 9_000, None).await;
        }
    }

    let r = app.get_ok(&format!("{q}&limit=1000")).await;
    assert_eq!(r["ranking"], "model");
    let model = &r["model"];
    // Known a horizon ago: 40 advocates, 20 customers, 32 friends who had bought.
    assert_eq!(
        (model["examples"].as_u64(), model["positives"].as_u64()),
        (Some(92), Some(16))
    );
    let eval = &model["evaluation"];
    assert_eq!(eval["baseline"], "most purchases");
    let (auc, base) = (
        eval["auc"].as_f64().unwrap(),
        eval["baseline_auc"].as_f64().unwrap(),
    );
    assert!(auc > 0.95 && base < 0.5, "auc {auc}, baseline {base}");
    // Now: those 92, and the 16 friends of the last month.
    assert_eq!(r["people"], 108);
    let data = r["data"].as_array().unwrap();
    assert_eq!(data.len(), 108);
    let top: Vec<&str> = data[..16]
        .iter()
        .map(|d| d["participant_id"].as_str().unwrap_or("-"))
        .collect();
    for h in &habitual {
        assert!(top.contains(&h["id"].as_str().unwrap()), "{top:?}");
    }
    for d in &data[..16] {
        assert_eq!(d["enrolled"], true);
        assert!(d["score"].as_f64().unwrap() > data[16]["score"].as_f64().unwrap());
        let reasons: Vec<&str> = d["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["feature"].as_str().unwrap())
            .collect();
        assert!(reasons.contains(&"friends_bought"), "{reasons:?}");
    }
    let weights = model["weights"].as_array().unwrap();
    let w = |f: &str| {
        weights.iter().find(|w| w["feature"] == f).unwrap()["weight"]
            .as_f64()
            .unwrap()
    };
    assert!(w("friends_bought") > 0.0);

    // The segment to invite: customers not enrolled, as the import reads them.
    let segment = app.get_ok(&format!("{q}&enrolled=false&limit=5")).await;
    let rows = segment["data"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|d| d["enrolled"] == false && d["participant_id"].is_null()));
    let csv = app.get_csv(&format!("{q}&enrolled=false&limit=5")).await;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("email,name,locale,external_id,score,reasons,enrolled,vouch_participant_id,vouch_customer_id")
    );
    assert_eq!(lines.count(), 5);
    // The same file by a link (no header): `format=csv`; any other format is refused.
    let linked = app
        .get(&format!("{q}&enrolled=false&limit=5&format=csv"))
        .await;
    assert_eq!(linked.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(linked.text().await.unwrap(), csv);
    let resp = app.get(&format!("{q}&format=xml")).await;
    expect_problem(resp, 422, "validation_failed", Some("format")).await;
    let imported = app
        .client
        .post(app.url(&format!("/api/v1/programs/{pid}/participants/import")))
        .bearer_auth(&app.sk)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 200);
    let report: Value = imported.json().await.unwrap();
    assert_eq!(report["created"], 5, "{report}");
    let after = app.get_ok(&format!("{q}&enrolled=false&limit=1000")).await;
    // Friends who bought through a link are enrolled as they buy: 20 customers were not.
    assert_eq!(after["data"].as_array().unwrap().len(), 20 - 5);

    for (bad, field) in [("limit=0", "limit"), ("horizon_days=3", "horizon_days")] {
        let resp = app
            .get(&format!(
                "/api/v1/analytics/likely-advocates?program_id={pid}&{bad}"
            ))
            .await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
}

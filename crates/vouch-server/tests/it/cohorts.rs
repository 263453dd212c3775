//! Referred customers against the others, on both backends, against figures worked out
//! by hand: months in a time zone fourteen hours ahead of UTC, a refund, a purchase in
//! another currency, lifetime values whose horizon has not passed, and the reach.

use serde_json::{json, Value};

use crate::harness::TestApp;

crate::both!(cohorts_and_reach_add_up_by_hand);

async fn cohorts_and_reach_add_up_by_hand(app: TestApp) {
    let program = app
        .program(json!({"time_zone": "Pacific/Kiritimati",
            "fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000}}))
        .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let ann = app.advocate(&program, "ann@example.com").await;
    let buy = |who: &'static str,
               order: &'static str,
               at: String,
               amount: i64,
               currency: &'static str,
               code: Option<Value>| {
        let app = &app;
        let pid = pid.clone();
        async move {
            let mut body = json!({"type": "purchase", "program_id": pid, "order_id": order,
                "amount": amount, "currency": currency, "occurred_at": at,
                "customer": {"email": who}});
            if let Some(code) = code {
                body["referral_code"] = code;
            }
            app.event(body).await;
        }
    };
    let day = |d: &str| format!("{d}T10:00:00Z");
    // Before the period: Pat.
    buy(
        "pat@example.com",
        "p-1",
        day("2024-12-01"),
        1000,
        "USD",
        None,
    )
    .await;
    // January: Ann buys twice (100.00, 50.00).
    buy(
        "ann@example.com",
        "a-1",
        day("2025-01-10"),
        10_000,
        "USD",
        None,
    )
    .await;
    buy(
        "ann@example.com",
        "a-2",
        day("2025-01-20"),
        5_000,
        "USD",
        None,
    )
    .await;
    // Fay, Ann's friend, buys on 31 January at noon UTC: 1 February in Kiritimati.
    buy(
        "fay@example.com",
        "f-1",
        "2025-01-31T12:00:00Z".into(),
        8_000,
        "USD",
        Some(ann["referral_code"].clone()),
    )
    .await;
    app.event(
        json!({"type": "refund", "program_id": pid, "order_id": "f-1", "refund_id": "r-1",
        "amount": 3_000, "currency": "USD", "occurred_at": day("2025-02-05")}),
    )
    .await;
    // February: Omar (200.00, then 100.00 in June); Xia pays in euros only.
    buy(
        "omar@example.com",
        "o-1",
        "2025-02-15T00:00:00Z".into(),
        20_000,
        "USD",
        None,
    )
    .await;
    buy(
        "omar@example.com",
        "o-2",
        day("2025-06-01"),
        10_000,
        "USD",
        None,
    )
    .await;
    buy(
        "xia@example.com",
        "x-1",
        day("2025-02-20"),
        5_000,
        "EUR",
        None,
    )
    .await;
    // Lea bought ten days ago: her 30 days are not over.
    let lea_at = vouch_domain::views::rfc3339(app.clock.now() - 10 * 86_400_000);
    buy("lea@example.com", "l-1", lea_at, 4_000, "USD", None).await;
    let to = app.after(60);
    let r = app
        .get_ok(&format!(
            "/api/v1/analytics/customers?program_id={pid}&from=2025-01-01T00:00:00Z&to={}",
            to.replace('+', "%2B")
        ))
        .await;
    let advocates = app
        .get_ok(&format!("/api/v1/programs/{pid}/participants?limit=100"))
        .await["data"]
        .as_array()
        .unwrap()
        .len() as i64;
    // Ann joined; Fay is enrolled by her referred purchase.
    assert_eq!(advocates, 2);
    let reach = &r["reach"];
    assert_eq!(reach["customers"], 6, "{r}");
    assert_eq!(reach["advocates"], 2, "{r}");
    assert_eq!(reach["new_referred_customers"], 1, "{r}");
    assert_eq!(reach["participation"], json!(2.0 / 6.0), "{r}");
    assert_eq!(reach["new_customers_per_advocate"], json!(0.5), "{r}");
    // Pat alone could refer when the period began: two advocates per such customer.
    assert_eq!(reach["advocates_per_customer"], json!(2.0), "{r}");
    assert_eq!(reach["k_factor"], json!(1.0), "{r}");

    let got: Vec<Value> = r["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            json!([
                c["month"],
                c["group"],
                c["customers"],
                c["revenue_per_customer"],
                c["repeat_purchase_rate"],
                c["ltv_30"],
                c["ltv_90"],
                c["ltv_365"]
            ])
        })
        .collect();
    let lea_month = r["cohorts"].as_array().unwrap().last().unwrap()["month"].clone();
    assert_eq!(
        got,
        vec![
            json!(["2025-01", "other", 1, 15000.0, 1.0, 15000.0, 15000.0, 15000.0]),
            json!(["2025-02", "referred", 1, 5000.0, 0.0, 5000.0, 5000.0, 5000.0]),
            json!(["2025-02", "other", 2, 15000.0, 0.5, 10000.0, 10000.0, 15000.0]),
            json!([lea_month, "other", 1, 4000.0, 0.0, null, null, null]),
        ],
        "{r}"
    );

    let csv = app
        .get_csv(&format!(
            "/api/v1/analytics/customers?program_id={pid}&from=2025-01-01T00:00:00Z"
        ))
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("month,group,customers,revenue_per_customer"));
    assert!(lines[2].starts_with("2025-02,referred,1,5000"), "{csv}");
}

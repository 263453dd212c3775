//! Money at the edges: welcome rewards within the budget, cash on its way shown as
//! `in_payout`, and coupons that waited for codes expiring from when they were issued.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both;
use crate::harness::{balance, TestApp};

both!(
    welcome_rewards_stay_within_the_budget,
    cash_in_a_payout_batch_shows_as_in_payout,
    a_coupon_issued_late_expires_from_when_it_was_issued,
    the_paypal_file_keeps_recipients_exact_and_writes_the_senders_decimal,
    spreadsheet_csv_uploads_are_read_as_spreadsheets_write_them,
    a_payout_run_for_ten_thousand_advocates_is_split_at_papals_limit
);

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

async fn welcome_rewards_stay_within_the_budget(app: TestApp) {
    let p = app
        .program(json!({
            "welcome_reward": {"kind": "credit", "amount": 500, "currency": "USD"},
            "caps": {"budget": {"amount": 1500, "currency": "USD"}},
        }))
        .await;
    let mut paid = 0;
    for i in 0..4 {
        let a = app.advocate(&p, &format!("a{i}@example.com")).await;
        let (available, _) = balance(&app.participant(id(&a)).await, "USD");
        paid += available;
        let expected = if i < 3 { 500 } else { 0 };
        assert_eq!(available, expected, "advocate {i}");
    }
    assert_eq!(paid, 1500, "the budget holds for welcome rewards too");
}

async fn cash_in_a_payout_batch_shows_as_in_payout(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "cash", "amount": 1000, "currency": "USD"},
            "referee_reward": null,
        }))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    app.event(json!({"type": "purchase", "program_id": p["id"],
        "referral_code": a["referral_code"], "customer": {"email": "f@example.com"},
        "order_id": "o1", "amount": 3000, "currency": "USD"}))
        .await;
    let usd = |p: &Value| {
        p["balance"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["currency"] == "USD")
            .cloned()
            .unwrap()
    };
    let before = usd(&app.participant(id(&a)).await);
    assert_eq!(before["payable"], 1000, "{before}");
    assert_eq!(before["in_payout"], 0, "{before}");
    let created = app.post_ok("/api/v1/payouts", &json!({}), 201).await;
    let batched = usd(&app.participant(id(&a)).await);
    assert_eq!(batched["payable"], 0, "{batched}");
    assert_eq!(batched["in_payout"], 1000, "money on its way: {batched}");
    assert_eq!(batched["paid_out"], 0);
    let payout = &created["data"][0];
    let line = payout["lines"][0]["id"].as_str().unwrap();
    app.post_ok(
        &format!("/api/v1/payouts/{}/lines/{line}", id(payout)),
        &json!({"status": "paid", "reference": "PP-1"}),
        200,
    )
    .await;
    let paid = usd(&app.participant(id(&a)).await);
    assert_eq!(paid["in_payout"], 0, "{paid}");
    assert_eq!(paid["paid_out"], 1000, "{paid}");
}

async fn a_coupon_issued_late_expires_from_when_it_was_issued(app: TestApp) {
    let p = app.program(json!({})).await;
    let pools = format!("/api/v1/programs/{}/coupon-pools", id(&p));
    let pool = app
        .post_ok(&pools, &json!({"name": "p", "codes": []}), 201)
        .await;
    let pool_id = id(&pool).to_owned();
    let path = format!("/api/v1/programs/{}", id(&p));
    let resp = app
        .patch(
            &path,
            &json!({"referee_reward": {"kind": "coupon", "currency": "USD", "coupon": {
                "discount_type": "percent_off", "percent": 15, "expires_in_days": 30,
                "pool_id": pool_id}}}),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let a = app.advocate(&p, "sara@example.com").await;
    let e = app
        .event(json!({"type": "purchase", "program_id": p["id"],
            "referral_code": a["referral_code"], "customer": {"email": "f@example.com"},
            "order_id": "o1", "amount": 3000, "currency": "USD"}))
        .await;
    let waiting = e["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "referee")
        .cloned()
        .unwrap();
    assert_eq!(waiting["pending_reason"], "coupon_pool_empty", "{e}");
    assert!(
        waiting["coupon_expires_at"].is_null(),
        "not issued yet: {waiting}"
    );
    // Codes arrive ten days later.
    app.clock.advance(Duration::from_secs(10 * 86_400));
    let issued_at = app.clock.now();
    app.post_ok(
        &format!("{pools}/{pool_id}/codes"),
        &json!({"codes": ["LATE-1"]}),
        200,
    )
    .await;
    let r = app
        .get_ok(&format!("/api/v1/rewards/{}", id(&waiting)))
        .await;
    assert_eq!(r["coupon_code"], "LATE-1", "{r}");
    let expires = time::OffsetDateTime::parse(
        r["coupon_expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires_ms = i64::try_from(expires.unix_timestamp_nanos() / 1_000_000).unwrap();
    let days_after_issue = (expires_ms - issued_at) as f64 / 86_400_000.0;
    assert!(
        (29.9..=30.1).contains(&days_after_issue),
        "30 days from issue, not from the purchase: {days_after_issue} ({r})"
    );
}

async fn paypal_file(app: &TestApp, payout: &str, query: &str) -> (u16, String) {
    let resp = app
        .get(&format!("/api/v1/payouts/{payout}/paypal.csv{query}"))
        .await;
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn the_paypal_file_keeps_recipients_exact_and_writes_the_senders_decimal(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "cash", "amount": 1050, "currency": "EUR"},
            "referee_reward": null,
        }))
        .await;
    // A valid address that starts like a spreadsheet formula.
    let a = app.advocate(&p, "-ops@example.com").await;
    app.event(json!({"type": "purchase", "program_id": p["id"],
        "referral_code": a["referral_code"], "customer": {"email": "f@example.com"},
        "order_id": "o1", "amount": 3000, "currency": "EUR"}))
        .await;
    let created = app.post_ok("/api/v1/payouts", &json!({}), 201).await;
    let payout = id(&created["data"][0]).to_owned();
    let (status, point) = paypal_file(&app, &payout, "").await;
    assert_eq!(status, 200, "{point}");
    let row: Vec<&str> = point.trim_end().split(',').collect();
    assert_eq!(
        row[0], "-ops@example.com",
        "the recipient is written as is: {point}"
    );
    assert_eq!(row[1], "10.50");
    assert_eq!(row[2], "EUR");
    let (status, comma) = paypal_file(&app, &payout, "?decimal=comma").await;
    assert_eq!(status, 200, "{comma}");
    assert!(
        comma.starts_with("-ops@example.com,\"10,50\",EUR,"),
        "a comma decimal, quoted: {comma}"
    );
    let (status, _) = paypal_file(&app, &payout, "?decimal=semicolon").await;
    assert_eq!(status, 422);
}

async fn upload(app: &TestApp, program: &Value, pool: &str, body: &str) -> Value {
    let resp = app
        .client
        .post(app.url(&format!(
            "/api/v1/programs/{}/coupon-pools/{pool}/codes",
            id(program)
        )))
        .bearer_auth(&app.sk)
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn spreadsheet_csv_uploads_are_read_as_spreadsheets_write_them(app: TestApp) {
    let p = app.program(json!({})).await;
    let pools = format!("/api/v1/programs/{}/coupon-pools", id(&p));
    let pool = app
        .post_ok(&pools, &json!({"name": "p", "codes": []}), 201)
        .await;
    let pool_id = id(&pool).to_owned();
    // Excel's "CSV UTF-8": a byte-order mark, a header, CRLF.
    let excel = upload(&app, &p, &pool_id, "\u{feff}code\r\nXL-1\r\nXL-2\r\n").await;
    assert_eq!(excel["read"], 2, "{excel}");
    assert_eq!(excel["added"], 2, "{excel}");
    assert_eq!(excel["available"], 2, "the header is not a code: {excel}");
    // A European export: `;` between fields, a quoted field.
    let european = upload(
        &app,
        &p,
        &pool_id,
        "Coupon code;Note\nEU-1;\"first; batch\"\nEU-2;x\n",
    )
    .await;
    assert_eq!(european["added"], 2, "{european}");
    assert_eq!(european["available"], 4, "{european}");
    // Files written by another CSV writer (tests/fixtures/csv/README.md says how).
    let fixture = |name: &str| {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/csv/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let excel = upload(&app, &p, &pool_id, &fixture("coupons-excel-utf8.csv")).await;
    assert_eq!(excel["read"], 3, "{excel}");
    assert_eq!(excel["added"], 3, "{excel}");
    let semi = upload(&app, &p, &pool_id, &fixture("coupons-semicolon.csv")).await;
    assert_eq!(semi["read"], 2, "{semi}");
    assert_eq!(semi["added"], 2, "{semi}");
    assert_eq!(semi["available"], 9, "{semi}");
}

/// Ten thousand advocates with cash owed (set up directly in the store, as a year of
/// referrals would leave them): one run pays them all, in files PayPal accepts.
async fn a_payout_run_for_ten_thousand_advocates_is_split_at_papals_limit(app: TestApp) {
    use vouch_domain::code::ReferralCode;
    use vouch_domain::ids::{LedgerTxId, ParticipantId, ProgramId};
    use vouch_domain::ledger::{transfer, Account};
    use vouch_domain::money::{Currency, Money};
    use vouch_store::{Enrolment, NewLedgerTx, NewParticipant};

    const ADVOCATES: usize = 10_000;
    let p = app.program(json!({})).await;
    let program = ProgramId::parse(id(&p)).unwrap();
    let key = app
        .store
        .find_api_key(&vouch_app::workspaces::hash_key(&app.sk))
        .await
        .unwrap()
        .unwrap();
    let ws = key.workspace_id;
    let usd = Currency::parse("currency", "USD").unwrap();
    let mut tx = app.store.begin().await.unwrap();
    let mut owed = vec![];
    for i in 0..ADVOCATES {
        let email = format!("adv{i}@example.com");
        let new = NewParticipant {
            id: ParticipantId::new(),
            workspace_id: ws.clone(),
            program_id: program.clone(),
            email: Some(email.clone()),
            email_normalized: Some(email),
            name: None,
            external_id: None,
            locale: "en".into(),
            referred_by_referral_id: None,
            fingerprint: Default::default(),
            created_at: app.clock.now(),
        };
        let Enrolment::Created(participant) =
            tx.enroll(&new, &ReferralCode::generate()).await.unwrap()
        else {
            panic!("enrolled twice");
        };
        owed.push(NewLedgerTx {
            id: LedgerTxId::new(),
            workspace_id: ws.clone(),
            idempotency_key: format!("seed:{i}"),
            kind: "seed".into(),
            reward_id: None,
            postings: transfer(
                &Account::ProgramRewards(program.clone()),
                &Account::Payable(participant.id.clone()),
                Money::new(250, usd),
            ),
            created_at: app.clock.now(),
        });
    }
    tx.post_ledger(&owed).await.unwrap();
    tx.commit().await.unwrap();

    let created = app.post_ok("/api/v1/payouts", &json!({}), 201).await;
    let batches = created["data"].as_array().unwrap();
    assert_eq!(batches.len(), 2, "two files of at most 5 000 rows");
    let mut recipients = std::collections::HashSet::new();
    for b in batches {
        let lines = b["lines"].as_array().unwrap();
        assert!(lines.len() <= 5_000, "{}", lines.len());
        let (status, file) = paypal_file(&app, id(b), "").await;
        assert_eq!(status, 200);
        let rows: Vec<&str> = file.lines().collect();
        assert_eq!(rows.len(), lines.len());
        for row in rows {
            assert!(
                recipients.insert(row.split(',').next().unwrap().to_owned()),
                "{row}"
            );
        }
        // Every line paid exactly once: reported twice, the second time changes nothing.
        for _ in 0..2 {
            for chunk in lines.chunks(400) {
                let results: Vec<Value> = chunk
                    .iter()
                    .map(|l| json!({"line_id": l["id"], "status": "paid", "reference": "PP"}))
                    .collect();
                app.post_ok(
                    &format!("/api/v1/payouts/{}/results", id(b)),
                    &json!({ "lines": results }),
                    200,
                )
                .await;
            }
        }
        let done = app.get_ok(&format!("/api/v1/payouts/{}", id(b))).await;
        assert_eq!(done["status"], "completed", "{}", done["status"]);
    }
    assert_eq!(recipients.len(), ADVOCATES);
    // Nothing is owed any more, and a new run finds nothing to pay.
    let again = app.post_ok("/api/v1/payouts", &json!({}), 201).await;
    assert_eq!(again["data"], json!([]), "{again}");
    let some = app
        .get_ok(&format!(
            "/api/v1/participants?program_id={}&limit=3",
            id(&p)
        ))
        .await;
    for a in some["data"].as_array().unwrap() {
        let b = app.participant(id(a)).await;
        let usd = &b["balance"][0];
        assert_eq!(usd["paid_out"], 250, "{b}");
        assert_eq!(usd["payable"], 0);
        assert_eq!(usd["in_payout"], 0);
    }
}

//! Cash payouts (batches, PayPal CSV, paid and failed lines, thresholds, clawbacks),
//! fulfilment of gift card, custom and coupon rewards, and coupon codes (generated,
//! drawn from uploaded pools, and used as an attribution key).

use reqwest::Response;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use vouch_domain::ids::ParticipantId;

use crate::both;
use crate::harness::{balance, expect_json, expect_problem, TestApp};

both!(
    payable_cash_is_batched_once_per_currency,
    paypal_csv_lists_lines_with_an_email,
    lines_are_marked_paid_or_failed,
    payout_requests_are_validated,
    payout_threshold_leaves_small_balances_for_later,
    clawbacks_are_netted_before_batching,
    gift_card_and_custom_rewards_are_fulfilled_by_hand,
    only_approved_hand_fulfilled_rewards_can_be_fulfilled,
    referee_coupon_gets_a_generated_code,
    pool_codes_are_drawn_in_order_and_waiting_rewards_served,
    coupon_code_attributes_a_new_customer_to_the_advocate,
    coupon_rules_are_validated,
    participant_balance_shows_payable_and_paid_out,
    failed_lines_leave_the_old_batchs_paypal_export,
    cancelled_rewards_waiting_for_a_pool_take_no_code,
);

const USD: &str = "USD";
const CASH: &str = r#"{"kind": "cash", "amount": 1500, "currency": "USD"}"#;

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

fn cash_rule() -> Value {
    serde_json::from_str(CASH).unwrap()
}

/// A purchase of 50.00 USD by `customer`, with a referral code when given.
fn purchase(program: &Value, customer: Value, order: &str, code: Option<&Value>) -> Value {
    let mut body = json!({"type": "purchase", "program_id": program["id"],
        "customer": customer, "order_id": order, "amount": 5000, "currency": USD});
    if let Some(c) = code {
        body["referral_code"] = c.clone();
    }
    body
}

fn refund(program: &Value, order: &str) -> Value {
    json!({"type": "refund", "program_id": program["id"], "order_id": order})
}

/// An event with its own idempotency key (two refunds of one order are two events).
async fn keyed_event(app: &TestApp, body: &Value, key: &str) -> Value {
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.sk)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("event");
    expect_json(resp, 201).await
}

/// The one reward of `role` in an event's answer.
fn reward<'a>(event: &'a Value, role: &str) -> &'a Value {
    let found: Vec<&Value> = event["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == role)
        .collect();
    assert_eq!(found.len(), 1, "one {role} reward expected: {event}");
    found[0]
}

fn lines(batch: &Value) -> &Vec<Value> {
    batch["lines"].as_array().expect("lines")
}

fn line_of<'a>(batch: &'a Value, participant: &str) -> &'a Value {
    lines(batch)
        .iter()
        .find(|l| l["participant_id"] == participant)
        .unwrap_or_else(|| panic!("no line for {participant}: {batch}"))
}

/// `(payable, paid_out)` in USD, read from the ledger through the store.
async fn cash(app: &TestApp, participant: &str) -> (i64, i64) {
    let pid = ParticipantId::parse(participant).expect("participant id");
    let balances = app.store.balances(&pid).await.expect("balances");
    balances
        .iter()
        .find(|b| b.currency.as_str() == USD)
        .map(|b| (b.payable, b.paid_out))
        .unwrap_or((0, 0))
}

async fn create_payouts(app: &TestApp, body: Value) -> Value {
    app.post_ok("/api/v1/payouts", &body, 201).await
}

async fn get_reward(app: &TestApp, id: &str) -> Value {
    app.get_ok(&format!("/api/v1/rewards/{id}")).await
}

async fn fulfill(app: &TestApp, reward: &str, body: Option<Value>) -> Response {
    let req = app
        .client
        .post(app.url(&format!("/api/v1/rewards/{reward}/fulfill")))
        .bearer_auth(&app.sk);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    req.send().await.expect("fulfill")
}

async fn csv(app: &TestApp, payout: &str) -> (String, String) {
    let resp = app
        .get(&format!("/api/v1/payouts/{payout}/paypal.csv"))
        .await;
    assert_eq!(resp.status(), 200);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.contains(payout), "{disposition}");
    (ctype, resp.text().await.unwrap())
}

/// Two payees of a cash program (1500 USD cents each, no hold): Sara, who has an
/// email, and the friend she referred, known only by an external id, who referred a
/// friend in turn. Referees get the default 5.00 USD of credit.
struct Payees {
    program: Value,
    sara: String,
    sara_reward: String,
    friend: String,
    friend_reward: String,
}

async fn payees(app: &TestApp, extra: Value) -> Payees {
    let mut body = json!({"referrer_reward": cash_rule(), "hold_days": 0});
    crate::harness::merge(&mut body, extra);
    let program = app.program(body).await;
    let sara = app.advocate(&program, "sara@example.com").await;
    let e1 = app
        .event(purchase(
            &program,
            json!({"external_id": "cust-1"}),
            "o-1",
            Some(&sara["referral_code"]),
        ))
        .await;
    assert_eq!(e1["referral"]["status"], "rewarded", "{e1}");
    let sara_reward = reward(&e1, "referrer");
    assert_eq!(sara_reward["kind"], "cash");
    assert_eq!(sara_reward["status"], "approved");
    assert_eq!(sara_reward["amount"], 1500);
    assert!(sara_reward["payout_line_id"].is_null());
    let friend_id = e1["referral"]["referee_participant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let friend = app.participant(&friend_id).await;
    assert!(friend["email"].is_null(), "{friend}");
    let e2 = app
        .event(purchase(
            &program,
            json!({"email": "third@x.com"}),
            "o-2",
            Some(&friend["referral_code"]),
        ))
        .await;
    let friend_reward = reward(&e2, "referrer");
    assert_eq!(friend_reward["participant_id"], friend_id.as_str());
    assert_eq!(friend_reward["kind"], "cash");
    Payees {
        sara: id(&sara).to_owned(),
        sara_reward: id(sara_reward).to_owned(),
        friend: friend_id,
        friend_reward: id(friend_reward).to_owned(),
        program,
    }
}

async fn payable_cash_is_batched_once_per_currency(app: TestApp) {
    let s = payees(&app, json!({})).await;
    // Cash is payable, not spendable credit; the friend's referee credit stays apart.
    assert_eq!(balance(&app.participant(&s.sara).await, USD), (0, 0));
    assert_eq!(balance(&app.participant(&s.friend).await, USD), (500, 0));
    assert_eq!(cash(&app, &s.sara).await, (1500, 0));
    assert_eq!(cash(&app, &s.friend).await, (1500, 0));

    let created = create_payouts(&app, json!({})).await;
    assert_eq!(created["below_threshold"], 0);
    let data = created["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "one batch per currency: {created}");
    let batch = &data[0];
    assert!(id(batch).starts_with("po_"), "{batch}");
    assert_eq!(batch["currency"], USD);
    assert_eq!(batch["status"], "pending");
    assert!(batch["program_id"].is_null());
    assert_eq!(lines(batch).len(), 2);
    let sum: i64 = lines(batch)
        .iter()
        .map(|l| l["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(batch["total"], 3000);
    assert_eq!(sum, 3000);
    let sara_line = line_of(batch, &s.sara);
    assert!(id(sara_line).starts_with("pol_"), "{sara_line}");
    assert_eq!(sara_line["email"], "sara@example.com");
    assert_eq!(sara_line["amount"], 1500);
    assert_eq!(sara_line["currency"], USD);
    assert_eq!(sara_line["status"], "pending");
    assert!(sara_line["reference"].is_null());
    let friend_line = line_of(batch, &s.friend);
    assert!(friend_line["email"].is_null());
    assert_eq!(friend_line["amount"], 1500);
    // The amounts left the payable balance; the credit did not move.
    assert_eq!(cash(&app, &s.sara).await, (0, 0));
    assert_eq!(cash(&app, &s.friend).await, (0, 0));
    assert_eq!(balance(&app.participant(&s.friend).await, USD), (500, 0));
    // Each cash reward knows the line that pays it.
    let r = get_reward(&app, &s.sara_reward).await;
    assert_eq!(r["payout_line_id"], id(sara_line));
    assert_eq!(r["status"], "approved");
    let r = get_reward(&app, &s.friend_reward).await;
    assert_eq!(r["payout_line_id"], id(friend_line));

    // A second request finds nothing owed.
    let again = create_payouts(&app, json!({})).await;
    assert_eq!(again["data"], json!([]), "{again}");
    assert_eq!(again["below_threshold"], 0);

    // The batch as JSON, and in the list (without lines).
    let got = app.get_ok(&format!("/api/v1/payouts/{}", id(batch))).await;
    assert_eq!(got["total"], 3000);
    assert_eq!(lines(&got).len(), 2);
    let list = app.get_ok("/api/v1/payouts").await;
    let listed = list["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], batch["id"]);
    assert!(listed[0].get("lines").is_none(), "{list}");

    // New earnings go into the next batch, alone.
    let e = app
        .event(purchase(
            &s.program,
            json!({"email": "fourth@x.com"}),
            "o-3",
            Some(&app.participant(&s.sara).await["referral_code"]),
        ))
        .await;
    let new_reward = id(reward(&e, "referrer")).to_owned();
    assert_eq!(cash(&app, &s.sara).await, (1500, 0));
    let next = create_payouts(&app, json!({})).await;
    let next = &next["data"][0];
    assert_eq!(next["total"], 1500);
    assert_eq!(lines(next).len(), 1);
    let line = line_of(next, &s.sara);
    assert_eq!(
        get_reward(&app, &new_reward).await["payout_line_id"],
        id(line)
    );
    assert_eq!(
        get_reward(&app, &s.sara_reward).await["payout_line_id"],
        id(sara_line),
        "already batched rewards stay with their line"
    );
    assert_eq!(
        app.get_ok("/api/v1/payouts").await["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    expect_problem(
        app.get("/api/v1/payouts/po_00000000000000000000000000")
            .await,
        404,
        "not_found",
        None,
    )
    .await;
}

/// The participant API itself reports the cash balances the ledger holds.
async fn participant_balance_shows_payable_and_paid_out(app: TestApp) {
    let s = payees(&app, json!({})).await;
    let fields = |p: &Value| {
        let b = p["balance"]
            .as_array()
            .and_then(|b| b.iter().find(|x| x["currency"] == USD).cloned())
            .unwrap_or_else(|| panic!("no USD balance: {p}"));
        (
            b["pending"].as_i64(),
            b["available"].as_i64(),
            b["payable"].as_i64(),
            b["paid_out"].as_i64(),
        )
    };
    let p = app.participant(&s.sara).await;
    assert_eq!(fields(&p), (Some(0), Some(0), Some(1500), Some(0)), "{p}");
    let created = create_payouts(&app, json!({})).await;
    let batch = &created["data"][0];
    let p = app.participant(&s.sara).await;
    assert_eq!(fields(&p), (Some(0), Some(0), Some(0), Some(0)), "{p}");
    let line = id(line_of(batch, &s.sara)).to_owned();
    app.post_ok(
        &format!("/api/v1/payouts/{}/lines/{line}", id(batch)),
        &json!({"status": "paid"}),
        200,
    )
    .await;
    let p = app.participant(&s.sara).await;
    assert_eq!(fields(&p), (Some(0), Some(0), Some(0), Some(1500)), "{p}");
}

async fn paypal_csv_lists_lines_with_an_email(app: TestApp) {
    let s = payees(&app, json!({})).await;
    let created = create_payouts(&app, json!({})).await;
    let batch = &created["data"][0];
    let sara_line = id(line_of(batch, &s.sara)).to_owned();
    let (_, body) = csv(&app, id(batch)).await;
    // No header; the friend without an email is left out.
    let rows: Vec<&str> = body.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        rows,
        vec![format!(
            "sara@example.com,15.00,USD,{sara_line},Referral rewards,PAYPAL"
        )],
        "{body}"
    );
    // A paid line is not exported again.
    app.post_ok(
        &format!("/api/v1/payouts/{}/lines/{sara_line}", id(batch)),
        &json!({"status": "paid", "reference": "TX1"}),
        200,
    )
    .await;
    let (_, body) = csv(&app, id(batch)).await;
    assert_eq!(body.trim(), "", "{body}");
    expect_problem(
        app.get("/api/v1/payouts/po_00000000000000000000000000/paypal.csv")
            .await,
        404,
        "not_found",
        None,
    )
    .await;
}

async fn lines_are_marked_paid_or_failed(app: TestApp) {
    let s = payees(&app, json!({})).await;
    let created = create_payouts(&app, json!({})).await;
    let batch = created["data"][0].clone();
    let pid = id(&batch).to_owned();
    let sara_line = id(line_of(&batch, &s.sara)).to_owned();
    let friend_line = id(line_of(&batch, &s.friend)).to_owned();
    let line_path = |l: &str| format!("/api/v1/payouts/{pid}/lines/{l}");

    // Paid: the line carries the reference, the reward is fulfilled, the cash paid out.
    let after = app
        .post_ok(
            &line_path(&sara_line),
            &json!({"status": "paid", "reference": "TX1"}),
            200,
        )
        .await;
    let line = line_of(&after, &s.sara).clone();
    assert_eq!(line["status"], "paid");
    assert_eq!(line["reference"], "TX1");
    assert_eq!(after["status"], "pending", "the friend's line is open");
    let r = get_reward(&app, &s.sara_reward).await;
    assert_eq!(r["status"], "fulfilled", "{r}");
    assert_eq!(r["fulfilment_reference"], "TX1");
    assert!(r["fulfilled_at"].is_string());
    assert_eq!(cash(&app, &s.sara).await, (0, 1500));
    // The same result again changes nothing; another one is a conflict.
    let again = app
        .post_ok(
            &line_path(&sara_line),
            &json!({"status": "paid", "reference": "TX1"}),
            200,
        )
        .await;
    assert_eq!(line_of(&again, &s.sara), &line);
    assert_eq!(cash(&app, &s.sara).await, (0, 1500));
    let resp = app
        .post(&line_path(&sara_line), &json!({"status": "failed"}))
        .await;
    expect_problem(resp, 409, "payout_line_final", None).await;
    assert_eq!(cash(&app, &s.sara).await, (0, 1500));
    assert_eq!(
        get_reward(&app, &s.sara_reward).await["status"],
        "fulfilled"
    );

    // Failed: the amount returns to payable and the reward is free for the next batch.
    let after = app
        .post_ok(
            &line_path(&friend_line),
            &json!({"status": "failed", "error": "receiver unregistered"}),
            200,
        )
        .await;
    let line = line_of(&after, &s.friend);
    assert_eq!(line["status"], "failed");
    assert_eq!(line["error"], "receiver unregistered");
    assert_eq!(after["status"], "completed", "every line is final: {after}");
    assert_eq!(cash(&app, &s.friend).await, (1500, 0));
    let r = get_reward(&app, &s.friend_reward).await;
    assert_eq!(r["status"], "approved");
    assert!(r["payout_line_id"].is_null(), "{r}");
    let resp = app
        .post(&line_path(&friend_line), &json!({"status": "paid"}))
        .await;
    expect_problem(resp, 409, "payout_line_final", None).await;

    // The next batch takes it again; results can be reported in bulk.
    let next = create_payouts(&app, json!({})).await;
    let next = &next["data"][0];
    assert_eq!(next["total"], 1500);
    assert_eq!(lines(next).len(), 1);
    let new_line = id(line_of(next, &s.friend)).to_owned();
    assert_ne!(new_line, friend_line);
    assert_eq!(cash(&app, &s.friend).await, (0, 0));
    let results = format!("/api/v1/payouts/{}/results", id(next));
    // One unknown line fails the whole request, which changes nothing.
    let resp = app
        .post(
            &results,
            &json!({"lines": [
                {"line_id": new_line, "status": "paid", "reference": "TX2"},
                {"line_id": "pol_00000000000000000000000000", "status": "paid"},
            ]}),
        )
        .await;
    expect_problem(resp, 404, "not_found", None).await;
    assert_eq!(cash(&app, &s.friend).await, (0, 0));
    let done = app
        .post_ok(
            &results,
            &json!({"lines": [{"line_id": new_line, "status": "paid", "reference": "TX2"}]}),
            200,
        )
        .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(line_of(&done, &s.friend)["status"], "paid");
    assert_eq!(line_of(&done, &s.friend)["reference"], "TX2");
    assert_eq!(cash(&app, &s.friend).await, (0, 1500));
    let r = get_reward(&app, &s.friend_reward).await;
    assert_eq!(r["status"], "fulfilled");
    assert_eq!(r["fulfilment_reference"], "TX2");
    assert_eq!(r["payout_line_id"], new_line.as_str());
    // The old batch keeps its failed line as it was.
    let old = app.get_ok(&format!("/api/v1/payouts/{pid}")).await;
    assert_eq!(old["status"], "completed");
    assert_eq!(line_of(&old, &s.friend)["status"], "failed");
    assert_eq!(
        create_payouts(&app, json!({})).await["data"],
        json!([]),
        "nothing is owed any more"
    );

    // Malformed results name the field; unknown lines and batches are 404.
    for (body, field) in [
        (json!({"status": "lost"}), "status"),
        (json!({"reference": "x"}), "status"),
    ] {
        let resp = app.post(&line_path(&sara_line), &body).await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
    for (body, field) in [
        (
            json!({"lines": [{"line_id": sara_line, "status": "lost"}]}),
            "lines[0].status",
        ),
        (
            json!({"lines": [{"line_id": "nope", "status": "paid"}]}),
            "lines[0].line_id",
        ),
    ] {
        let resp = app
            .post(&format!("/api/v1/payouts/{pid}/results"), &body)
            .await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
    let resp = app
        .post(
            &line_path("pol_00000000000000000000000000"),
            &json!({"status": "paid"}),
        )
        .await;
    expect_problem(resp, 404, "not_found", None).await;
    let resp = app
        .post(
            &format!("/api/v1/payouts/po_00000000000000000000000000/lines/{sara_line}"),
            &json!({"status": "paid"}),
        )
        .await;
    expect_problem(resp, 404, "not_found", None).await;
    // A line of another batch is not found through this one.
    let resp = app
        .post(
            &format!("/api/v1/payouts/{}/lines/{sara_line}", id(next)),
            &json!({"status": "paid"}),
        )
        .await;
    expect_problem(resp, 404, "not_found", None).await;
}

/// A failed line's amount goes back to payable and into a later batch; exporting the
/// old batch again must not ask PayPal to pay it a second time.
async fn failed_lines_leave_the_old_batchs_paypal_export(app: TestApp) {
    let s = payees(&app, json!({})).await;
    let created = create_payouts(&app, json!({})).await;
    let batch = &created["data"][0];
    let sara_line = id(line_of(batch, &s.sara)).to_owned();
    app.post_ok(
        &format!("/api/v1/payouts/{}/lines/{sara_line}", id(batch)),
        &json!({"status": "failed", "error": "unclaimed"}),
        200,
    )
    .await;
    let next = create_payouts(&app, json!({})).await;
    let next = &next["data"][0];
    let (_, new_csv) = csv(&app, id(next)).await;
    assert_eq!(new_csv.lines().filter(|l| !l.is_empty()).count(), 1);
    let (_, old_csv) = csv(&app, id(batch)).await;
    assert!(
        !old_csv.contains(&sara_line),
        "the failed line was re-batched, yet the old export still pays it: {old_csv}"
    );
}

async fn payout_requests_are_validated(app: TestApp) {
    let s = payees(&app, json!({})).await;
    for (body, field) in [
        (json!({"program_id": "nope"}), "program_id"),
        (json!({"currency": "ZZZ"}), "currency"),
    ] {
        let resp = app.post("/api/v1/payouts", &body).await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
    // Filters: another currency or program takes nothing.
    let none = create_payouts(&app, json!({"currency": "EUR"})).await;
    assert_eq!(none["data"], json!([]));
    let other = app.program(json!({})).await;
    let none = create_payouts(&app, json!({"program_id": other["id"]})).await;
    assert_eq!(none["data"], json!([]));
    assert_eq!(cash(&app, &s.sara).await, (1500, 0));
    let some = create_payouts(
        &app,
        json!({"program_id": s.program["id"], "currency": USD}),
    )
    .await;
    assert_eq!(some["data"][0]["program_id"], s.program["id"]);
    assert_eq!(some["data"][0]["total"], 3000);
    // Another workspace sees none of it.
    let other = vouch_app::workspaces::create_workspace(app.store.as_ref(), "Other")
        .await
        .unwrap();
    let resp = app
        .client
        .get(app.url(&format!(
            "/api/v1/payouts/{}",
            some["data"][0]["id"].as_str().unwrap()
        )))
        .bearer_auth(&other.secret_key)
        .send()
        .await
        .unwrap();
    expect_problem(resp, 404, "not_found", None).await;
    let resp = app
        .client
        .post(app.url("/api/v1/payouts"))
        .bearer_auth(&other.secret_key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(resp, 201).await["data"], json!([]));
    // Payouts need the secret key.
    let resp = app
        .client
        .post(app.url("/api/v1/payouts"))
        .bearer_auth(&app.pk)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

async fn payout_threshold_leaves_small_balances_for_later(app: TestApp) {
    let p = app
        .program(json!({"referrer_reward": cash_rule(), "hold_days": 0,
            "payout_threshold": {"amount": 2000, "currency": USD}}))
        .await;
    assert_eq!(
        p["payout_threshold"],
        json!({"amount": 2000, "currency": USD})
    );
    let sara = app.advocate(&p, "sara@example.com").await;
    let code = &sara["referral_code"];
    app.event(purchase(
        &p,
        json!({"email": "f1@x.com"}),
        "o-1",
        Some(code),
    ))
    .await;
    assert_eq!(cash(&app, id(&sara)).await, (1500, 0));
    let created = create_payouts(&app, json!({})).await;
    assert_eq!(created["data"], json!([]), "{created}");
    assert_eq!(created["below_threshold"], 1);
    assert_eq!(cash(&app, id(&sara)).await, (1500, 0), "left for later");
    // Once the balance reaches the threshold, all of it is paid.
    app.event(purchase(
        &p,
        json!({"email": "f2@x.com"}),
        "o-2",
        Some(code),
    ))
    .await;
    let created = create_payouts(&app, json!({})).await;
    assert_eq!(created["below_threshold"], 0);
    let batch = &created["data"][0];
    assert_eq!(line_of(batch, id(&sara))["amount"], 3000);
    assert_eq!(cash(&app, id(&sara)).await, (0, 0));
    // Lifting the threshold through PATCH.
    let path = format!("/api/v1/programs/{}", id(&p));
    let patched = expect_json(
        app.patch(&path, &json!({"payout_threshold": null})).await,
        200,
    )
    .await;
    assert!(patched["payout_threshold"].is_null());
    app.event(purchase(
        &p,
        json!({"email": "f3@x.com"}),
        "o-3",
        Some(code),
    ))
    .await;
    let created = create_payouts(&app, json!({})).await;
    assert_eq!(created["data"][0]["total"], 1500);
}

async fn clawbacks_are_netted_before_batching(app: TestApp) {
    let p = app
        .program(json!({"hold_days": 0,
            "referrer_reward": {"kind": "cash", "percent": 10, "currency": USD}}))
        .await;
    let sara = app.advocate(&p, "sara@example.com").await;
    let code = &sara["referral_code"];
    let mut big = purchase(&p, json!({"email": "f1@x.com"}), "o-1", Some(code));
    big["amount"] = json!(20_000);
    let e1 = app.event(big).await;
    assert_eq!(reward(&e1, "referrer")["amount"], 2000);
    let e2 = app
        .event(purchase(
            &p,
            json!({"email": "f2@x.com"}),
            "o-2",
            Some(code),
        ))
        .await;
    assert_eq!(reward(&e2, "referrer")["amount"], 500);
    assert_eq!(cash(&app, id(&sara)).await, (2500, 0));
    // A full refund reverses one reward; a partial one claws back a share of the other.
    let r = app.event(refund(&p, "o-2")).await;
    assert_eq!(reward(&r, "referrer")["status"], "reversed");
    let mut part = refund(&p, "o-1");
    part["amount"] = json!(5000);
    part["currency"] = json!(USD);
    let r = keyed_event(&app, &part, "refund-o1-part").await;
    assert_eq!(reward(&r, "referrer")["reversed_amount"], 500);
    assert_eq!(cash(&app, id(&sara)).await, (1500, 0));
    let created = create_payouts(&app, json!({})).await;
    let batch = &created["data"][0];
    let line = line_of(batch, id(&sara));
    assert_eq!(line["amount"], 1500, "the netted balance: {batch}");
    assert_eq!(batch["total"], 1500);
    // Only the reward still approved is paid by the line.
    let first = get_reward(&app, id(reward(&e1, "referrer"))).await;
    assert_eq!(first["payout_line_id"], id(line));
    let second = get_reward(&app, id(reward(&e2, "referrer"))).await;
    assert!(second["payout_line_id"].is_null(), "{second}");

    // A clawback after batching leaves a deficit that later earnings net first.
    let r = keyed_event(&app, &refund(&p, "o-1"), "refund-o1-rest").await;
    assert_eq!(reward(&r, "referrer")["status"], "reversed");
    assert_eq!(cash(&app, id(&sara)).await, (-1500, 0));
    let e3 = app
        .event(purchase(
            &p,
            json!({"email": "f3@x.com"}),
            "o-3",
            Some(code),
        ))
        .await;
    assert_eq!(reward(&e3, "referrer")["amount"], 500);
    // Both earlier friends returned their orders: the refund pattern holds the third
    // for a person, who approves it.
    assert_eq!(e3["referral"]["review"], "pending", "{e3}");
    app.post_ok(
        &format!("/api/v1/reviews/{}/approve", id(&e3["referral"])),
        &json!({"reason": "returns checked"}),
        200,
    )
    .await;
    assert_eq!(cash(&app, id(&sara)).await, (-1000, 0));
    let created = create_payouts(&app, json!({})).await;
    assert_eq!(
        created["data"],
        json!([]),
        "a deficit is not paid: {created}"
    );
    assert_eq!(created["below_threshold"], 0);
}

async fn gift_card_and_custom_rewards_are_fulfilled_by_hand(app: TestApp) {
    let p = app
        .program(json!({"hold_days": 0,
            "referrer_reward": {"kind": "gift_card", "amount": 2500, "currency": USD,
                "description": "A 25 USD gift card"},
            "referee_reward": {"kind": "custom", "amount": 1000, "currency": USD,
                "description": "A tote bag"}}))
        .await;
    let sara = app.advocate(&p, "sara@example.com").await;
    let e = app
        .event(purchase(
            &p,
            json!({"email": "f@x.com"}),
            "o-1",
            Some(&sara["referral_code"]),
        ))
        .await;
    let gift = reward(&e, "referrer").clone();
    assert_eq!(gift["kind"], "gift_card");
    assert_eq!(gift["status"], "approved");
    assert_eq!(gift["amount"], 2500);
    assert_eq!(gift["rule"]["description"], "A 25 USD gift card");
    assert!(gift["fulfilment_reference"].is_null());
    assert!(gift["fulfilled_at"].is_null());
    assert_eq!(e["referral"]["status"], "rewarded");
    // Not balances: nothing to spend or pay out.
    assert_eq!(balance(&app.participant(id(&sara)).await, USD), (0, 0));
    assert_eq!(cash(&app, id(&sara)).await, (0, 0));

    let resp = fulfill(&app, id(&gift), Some(json!({"reference": " GC-123 "}))).await;
    let done = expect_json(resp, 200).await;
    assert_eq!(done["id"], gift["id"]);
    assert_eq!(done["status"], "fulfilled");
    assert_eq!(done["fulfilment_reference"], "GC-123");
    assert!(done["fulfilled_at"].is_string());
    // Again: the fulfilled reward, unchanged (the first reference stays).
    let resp = fulfill(&app, id(&gift), Some(json!({"reference": "GC-999"}))).await;
    assert_eq!(expect_json(resp, 200).await, done);
    assert_eq!(get_reward(&app, id(&gift)).await, done);
    let fulfilled = app.get_ok("/api/v1/rewards?status=fulfilled").await;
    assert_eq!(fulfilled["data"].as_array().unwrap().len(), 1);

    // The friend's custom reward, with no body at all.
    let custom = reward(&e, "referee");
    assert_eq!(custom["kind"], "custom");
    assert_eq!(custom["rule"]["description"], "A tote bag");
    let resp = fulfill(&app, id(custom), None).await;
    let done = expect_json(resp, 200).await;
    assert_eq!(done["status"], "fulfilled");
    assert!(done["fulfilment_reference"].is_null());
    assert!(done["fulfilled_at"].is_string());

    // A refund after fulfilment reverses it.
    let r = app.event(refund(&p, "o-1")).await;
    assert!(r["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["status"] == "reversed"));
    let resp = fulfill(&app, id(&gift), None).await;
    expect_problem(resp, 409, "reward_not_fulfillable", None).await;
}

async fn only_approved_hand_fulfilled_rewards_can_be_fulfilled(app: TestApp) {
    let held = app
        .program(json!({"hold_days": 30,
            "referrer_reward": {"kind": "gift_card", "amount": 2500, "currency": USD}}))
        .await;
    let sara = app.advocate(&held, "sara@example.com").await;
    let e = app
        .event(purchase(
            &held,
            json!({"email": "f@x.com"}),
            "o-1",
            Some(&sara["referral_code"]),
        ))
        .await;
    let gift = reward(&e, "referrer").clone();
    assert_eq!(gift["status"], "pending");
    let resp = fulfill(&app, id(&gift), Some(json!({"reference": "GC-1"}))).await;
    expect_problem(resp, 409, "reward_not_approved", None).await;
    assert_eq!(get_reward(&app, id(&gift)).await["status"], "pending");
    // Refunded inside the hold: cancelled, never fulfillable.
    app.event(refund(&held, "o-1")).await;
    assert_eq!(get_reward(&app, id(&gift)).await["status"], "cancelled");
    let resp = fulfill(&app, id(&gift), None).await;
    expect_problem(resp, 409, "reward_not_fulfillable", None).await;

    // Credit is redeemed and cash paid out, never fulfilled by hand.
    let p = app.program(json!({"referee_reward": cash_rule()})).await;
    let omar = app.advocate(&p, "omar@example.com").await;
    let e = app
        .event(purchase(
            &p,
            json!({"email": "g@x.com"}),
            "o-2",
            Some(&omar["referral_code"]),
        ))
        .await;
    let credit = reward(&e, "referrer");
    assert_eq!(credit["kind"], "credit");
    assert_eq!(credit["status"], "approved");
    let resp = fulfill(&app, id(credit), Some(json!({"reference": "x"}))).await;
    expect_problem(resp, 409, "reward_not_fulfillable", None).await;
    let cash_reward = reward(&e, "referee");
    assert_eq!(cash_reward["kind"], "cash");
    let resp = fulfill(&app, id(cash_reward), None).await;
    expect_problem(resp, 409, "reward_not_fulfillable", None).await;
    assert_eq!(get_reward(&app, id(credit)).await["status"], "approved");

    // Unknown, malformed and foreign ids are 404; a long reference is refused.
    let resp = fulfill(&app, "rwd_00000000000000000000000000", None).await;
    expect_problem(resp, 404, "not_found", None).await;
    let resp = fulfill(&app, "nope", None).await;
    expect_problem(resp, 404, "not_found", None).await;
    let resp = fulfill(
        &app,
        id(credit),
        Some(json!({"reference": "x".repeat(256)})),
    )
    .await;
    expect_problem(resp, 422, "validation_failed", Some("reference")).await;
    let other = vouch_app::workspaces::create_workspace(app.store.as_ref(), "Other")
        .await
        .unwrap();
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/rewards/{}/fulfill", id(&gift))))
        .bearer_auth(&other.secret_key)
        .send()
        .await
        .unwrap();
    expect_problem(resp, 404, "not_found", None).await;
}

fn coupon_rule(pool: Option<&str>) -> Value {
    let mut coupon = json!({"discount_type": "percent_off", "percent": 15, "expires_in_days": 30});
    if let Some(p) = pool {
        coupon["pool_id"] = json!(p);
    }
    json!({"kind": "coupon", "currency": USD, "coupon": coupon})
}

fn looks_generated(code: &str) -> bool {
    code.len() == 11
        && code.char_indices().all(|(i, c)| {
            if i == 5 {
                c == '-'
            } else {
                c.is_ascii_uppercase() || c.is_ascii_digit()
            }
        })
}

async fn referee_coupon_gets_a_generated_code(app: TestApp) {
    let p = app
        .program(json!({"referee_reward": coupon_rule(None)}))
        .await;
    let sara = app.advocate(&p, "sara@example.com").await;
    let code = &sara["referral_code"];
    let before = OffsetDateTime::now_utc();
    let e = app
        .event(purchase(
            &p,
            json!({"email": "f1@x.com"}),
            "o-1",
            Some(code),
        ))
        .await;
    assert_eq!(e["referral"]["status"], "rewarded");
    let coupon = reward(&e, "referee");
    assert_eq!(coupon["kind"], "coupon");
    assert_eq!(coupon["status"], "approved");
    assert_eq!(coupon["currency"], USD);
    assert_eq!(coupon["rule"]["coupon"]["percent"].as_f64(), Some(15.0));
    let c1 = coupon["coupon_code"].as_str().expect("coupon_code");
    assert!(looks_generated(c1), "{c1}");
    let expires =
        OffsetDateTime::parse(coupon["coupon_expires_at"].as_str().unwrap(), &Rfc3339).unwrap();
    let days = (expires - before).whole_hours();
    assert!((30 * 24 - 1..=30 * 24 + 1).contains(&days), "{expires}");
    // The friend holds it, as a reward, not as a balance.
    let friend = e["referral"]["referee_participant_id"].as_str().unwrap();
    assert_eq!(coupon["participant_id"], friend);
    assert_eq!(balance(&app.participant(friend).await, USD), (0, 0));
    let got = get_reward(&app, id(coupon)).await;
    assert_eq!(got["coupon_code"], c1);
    // Each friend gets their own code.
    let e2 = app
        .event(purchase(
            &p,
            json!({"email": "f2@x.com"}),
            "o-2",
            Some(code),
        ))
        .await;
    let c2 = reward(&e2, "referee")["coupon_code"].as_str().unwrap();
    assert!(looks_generated(c2), "{c2}");
    assert_ne!(c1, c2);
    // A coupon may be reported delivered like a gift card.
    let resp = fulfill(&app, id(coupon), Some(json!({"reference": "emailed"}))).await;
    let done = expect_json(resp, 200).await;
    assert_eq!(done["status"], "fulfilled");
    assert_eq!(done["coupon_code"], c1);
    // Without expires_in_days the code does not expire.
    let p2 = app
        .program(json!({"referee_reward": {"kind": "coupon", "currency": USD,
            "coupon": {"discount_type": "amount_off", "amount": 700}}}))
        .await;
    let omar = app.advocate(&p2, "omar@example.com").await;
    let e = app
        .event(purchase(
            &p2,
            json!({"email": "g@x.com"}),
            "o-1",
            Some(&omar["referral_code"]),
        ))
        .await;
    let coupon = reward(&e, "referee");
    assert_eq!(coupon["amount"], 700);
    assert!(coupon["coupon_expires_at"].is_null());
    assert!(looks_generated(coupon["coupon_code"].as_str().unwrap()));
}

/// A program whose referee reward draws from a pool holding A1 and A2.
async fn pooled_program(app: &TestApp) -> (Value, String) {
    let p = app.program(json!({})).await;
    let pools = format!("/api/v1/programs/{}/coupon-pools", id(&p));
    let pool = app
        .post_ok(&pools, &json!({"name": "p", "codes": ["A1", "A2"]}), 201)
        .await;
    assert!(id(&pool).starts_with("cpl_"), "{pool}");
    assert_eq!(pool["name"], "p");
    assert_eq!(pool["program_id"], p["id"]);
    assert_eq!(pool["available"], 2);
    assert_eq!(pool["issued"], 0);
    assert_eq!(pool["added"], 2);
    let pool_id = id(&pool).to_owned();
    let patched = expect_json(
        app.patch(
            &format!("/api/v1/programs/{}", id(&p)),
            &json!({"referee_reward": coupon_rule(Some(&pool_id))}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        patched["referee_reward"]["coupon"]["pool_id"],
        pool_id.as_str()
    );
    (patched, pool_id)
}

async fn upload_csv(app: &TestApp, program: &Value, pool: &str, body: &str) -> Response {
    app.client
        .post(app.url(&format!(
            "/api/v1/programs/{}/coupon-pools/{pool}/codes",
            id(program)
        )))
        .bearer_auth(&app.sk)
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn pool_codes_are_drawn_in_order_and_waiting_rewards_served(app: TestApp) {
    let (p, pool) = pooled_program(&app).await;
    let sara = app.advocate(&p, "sara@example.com").await;
    let code = &sara["referral_code"];
    let mut drawn = vec![];
    for i in 1..=2 {
        let e = app
            .event(purchase(
                &p,
                json!({"email": format!("f{i}@x.com")}),
                &format!("o-{i}"),
                Some(code),
            ))
            .await;
        let c = reward(&e, "referee");
        assert_eq!(c["status"], "approved");
        assert!(c["pending_reason"].is_null());
        assert!(c["coupon_expires_at"].is_string());
        drawn.push(c["coupon_code"].as_str().unwrap().to_owned());
    }
    assert_eq!(drawn, ["A1", "A2"]);
    // The pool is dry: the event still succeeds, and the friend's coupon waits.
    let resp = app
        .post(
            "/api/v1/events",
            &purchase(&p, json!({"email": "f3@x.com"}), "o-3", Some(code)),
        )
        .await;
    let e = expect_json(resp, 201).await;
    let waiting = reward(&e, "referee").clone();
    assert_eq!(waiting["status"], "pending");
    assert_eq!(waiting["pending_reason"], "coupon_pool_empty");
    assert!(waiting["coupon_code"].is_null());
    assert_eq!(reward(&e, "referrer")["status"], "approved");
    assert_eq!(e["referral"]["status"], "converted");
    let resp = fulfill(&app, id(&waiting), None).await;
    let problem = expect_problem(resp, 409, "reward_not_approved", None).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("coupon_pool_empty"),
        "{problem}"
    );
    // The hold is long over; the background job must not approve it without a code.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(get_reward(&app, id(&waiting)).await["status"], "pending");

    // New codes as CSV serve the waiting reward at once.
    let resp = upload_csv(&app, &p, &pool, "code\nB1\n").await;
    let up = expect_json(resp, 200).await;
    assert_eq!(up["added"], 1);
    assert_eq!(up["assigned"], 1);
    assert_eq!(up["available"], 0);
    assert_eq!(up["issued"], 3);
    let served = get_reward(&app, id(&waiting)).await;
    assert_eq!(served["coupon_code"], "B1");
    assert_eq!(served["status"], "approved");
    assert!(served["pending_reason"].is_null());
    let referral = app
        .get_ok(&format!(
            "/api/v1/referrals/{}",
            e["referral"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(referral["status"], "rewarded");
    // Codes already in the pool are skipped; JSON works too.
    let more = app
        .post_ok(
            &format!("/api/v1/programs/{}/coupon-pools/{pool}/codes", id(&p)),
            &json!({"codes": ["B1", "C1", " C2 ", ""]}),
            200,
        )
        .await;
    assert_eq!(more["added"], 2);
    assert_eq!(more["assigned"], 0);
    assert_eq!(more["available"], 2);
    let list = app
        .get_ok(&format!("/api/v1/programs/{}/coupon-pools", id(&p)))
        .await;
    let pools = list.as_array().expect("a list of pools");
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0]["id"], pool.as_str());
    assert_eq!(pools[0]["issued"], 3);
    assert_eq!(pools[0]["available"], 2);
    assert!(pools[0].get("added").is_none(), "{list}");
    // The next friend draws C1.
    let e = app
        .event(purchase(
            &p,
            json!({"email": "f4@x.com"}),
            "o-4",
            Some(code),
        ))
        .await;
    assert_eq!(reward(&e, "referee")["coupon_code"], "C1");

    // A CSV pool named by the query, with extra columns and quotes.
    let resp = app
        .client
        .post(app.url(&format!(
            "/api/v1/programs/{}/coupon-pools?name=Summer",
            id(&p)
        )))
        .bearer_auth(&app.sk)
        .header("content-type", "text/csv; charset=utf-8")
        .body("code,value\n\"S1\",10\nS2,10\n")
        .send()
        .await
        .unwrap();
    let summer = expect_json(resp, 201).await;
    assert_eq!(summer["name"], "Summer");
    assert_eq!(summer["available"], 2);
    // Bad uploads name the field; unknown programs and pools are 404.
    let resp = app
        .post(
            &format!("/api/v1/programs/{}/coupon-pools", id(&p)),
            &json!({"codes": ["ok", "x".repeat(101)]}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("codes[1]")).await;
    let resp = upload_csv(&app, &p, "cpl_00000000000000000000000000", "Z1\n").await;
    expect_problem(resp, 404, "not_found", None).await;
    let other = app.program(json!({})).await;
    let resp = upload_csv(&app, &other, &pool, "Z1\n").await;
    expect_problem(resp, 404, "not_found", None).await;
    let resp = app
        .get("/api/v1/programs/prg_00000000000000000000000000/coupon-pools")
        .await;
    expect_problem(resp, 404, "not_found", None).await;
}

async fn cancelled_rewards_waiting_for_a_pool_take_no_code(app: TestApp) {
    let (p, pool) = pooled_program(&app).await;
    let sara = app.advocate(&p, "sara@example.com").await;
    let code = &sara["referral_code"];
    for i in 1..=3 {
        app.event(purchase(
            &p,
            json!({"email": format!("f{i}@x.com")}),
            &format!("o-{i}"),
            Some(code),
        ))
        .await;
    }
    let rewards = app
        .get_ok(&format!(
            "/api/v1/rewards?program_id={}&status=pending",
            id(&p)
        ))
        .await;
    let waiting = rewards["data"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{rewards}");
    assert_eq!(waiting[0]["pending_reason"], "coupon_pool_empty");
    let waiting_id = id(&waiting[0]).to_owned();
    // Refunded while waiting: the coupon is cancelled...
    app.event(refund(&p, "o-3")).await;
    let r = get_reward(&app, &waiting_id).await;
    assert_eq!(r["status"], "cancelled", "{r}");
    // ...and must not take the next code.
    let up = expect_json(upload_csv(&app, &p, &pool, "B1\n").await, 200).await;
    assert_eq!(up["assigned"], 0, "{up}");
    assert_eq!(up["available"], 1, "{up}");
    assert!(get_reward(&app, &waiting_id).await["coupon_code"].is_null());
    let e = app
        .event(purchase(
            &p,
            json!({"email": "f4@x.com"}),
            "o-4",
            Some(code),
        ))
        .await;
    assert_eq!(reward(&e, "referee")["coupon_code"], "B1");
}

async fn coupon_code_attributes_a_new_customer_to_the_advocate(app: TestApp) {
    let p = app
        .program(json!({"referee_reward": coupon_rule(None)}))
        .await;
    let sara = app.advocate(&p, "sara@example.com").await;
    let e = app
        .event(purchase(
            &p,
            json!({"email": "friend@x.com"}),
            "o-1",
            Some(&sara["referral_code"]),
        ))
        .await;
    let coupon = reward(&e, "referee").clone();
    let c = coupon["coupon_code"].as_str().unwrap().to_owned();
    // The friend passed the code on: a new customer buys with it, no link, no code.
    let mut body = purchase(&p, json!({"email": "cousin@y.com"}), "o-2", None);
    body["coupon_code"] = json!(c);
    let e2 = app.event(body).await;
    let referral = &e2["referral"];
    assert_eq!(referral["referrer_participant_id"], id(&sara), "{e2}");
    assert_eq!(referral["source"], "coupon");
    assert_eq!(referral["status"], "rewarded");
    assert_ne!(referral["id"], e["referral"]["id"]);
    let earned = e2["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "referrer")
        .expect("the advocate earns");
    assert_eq!(earned["participant_id"], id(&sara));
    assert_eq!(earned["inputs"]["attribution"], "coupon");
    assert_eq!(balance(&app.participant(id(&sara)).await, USD), (2000, 0));
    // The coupon was spent.
    let spent = get_reward(&app, id(&coupon)).await;
    assert_eq!(spent["status"], "redeemed", "{spent}");
    assert!(e2["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == coupon["id"] && r["status"] == "redeemed"));
    // An unknown coupon attributes nothing and fails nothing.
    let mut body = purchase(&p, json!({"email": "z@y.com"}), "o-4", None);
    body["coupon_code"] = json!("NOT-A-CODE");
    assert!(app.event(body).await["referral"].is_null());
}

async fn coupon_rules_are_validated(app: TestApp) {
    let base = json!({"name": "Coupons", "destination_url": "https://shop.example.com/"});
    let with = |field: &str, rule: Value| {
        let mut b = base.clone();
        b[field] = rule;
        b
    };
    let mut bad_pool = coupon_rule(Some("nope"));
    let cases = [
        (
            with("referrer_reward", bad_pool.clone()),
            "referrer_reward.coupon.pool_id",
        ),
        (
            with(
                "referee_reward",
                json!({"kind": "coupon", "coupon": {"discount_type": "percent_off", "percent": 15}}),
            ),
            "referee_reward.currency",
        ),
        (
            with("referee_reward", json!({"kind": "coupon", "currency": USD})),
            "referee_reward.coupon",
        ),
        (
            with(
                "referee_reward",
                json!({"kind": "coupon", "currency": USD,
                    "coupon": {"discount_type": "percent_off"}}),
            ),
            "referee_reward.coupon.percent",
        ),
        (
            with(
                "referee_reward",
                json!({"kind": "coupon", "currency": USD,
                    "coupon": {"discount_type": "amount_off", "amount": 0}}),
            ),
            "referee_reward.coupon.amount",
        ),
        (
            with(
                "referee_reward",
                json!({"kind": "coupon", "currency": USD, "coupon":
                    {"discount_type": "percent_off", "percent": 10, "expires_in_days": 0}}),
            ),
            "referee_reward.coupon.expires_in_days",
        ),
    ];
    for (body, field) in cases {
        let resp = app.post("/api/v1/programs", &body).await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
    // Through PATCH as well.
    let p = app.program(json!({})).await;
    let path = format!("/api/v1/programs/{}", id(&p));
    let resp = app
        .patch(&path, &json!({"referrer_reward": bad_pool.clone()}))
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("referrer_reward.coupon.pool_id"),
    )
    .await;
    bad_pool["currency"] = Value::Null;
    bad_pool["coupon"]["pool_id"] = json!("cpl_00000000000000000000000000");
    let resp = app
        .patch(&path, &json!({"referrer_reward": bad_pool}))
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("referrer_reward.currency"),
    )
    .await;
    let programs = app.get_ok("/api/v1/programs").await;
    assert_eq!(
        programs["data"].as_array().unwrap().len(),
        1,
        "refused programs were not created"
    );
    assert_eq!(
        app.get_ok(&path).await["referrer_reward"],
        p["referrer_reward"]
    );
}

//! The reward rule engine through the API: percent rewards, minimum orders, repeat
//! purchases and subscription months, tiers, milestones, boosts, caps, budgets, the
//! welcome reward, points, the second level, partial refunds and bad configurations.

use serde_json::{json, Value};

use crate::both;
use crate::harness::{balance, expect_json, expect_problem, TestApp};

both!(
    percent_of_order_is_capped_at_max_amount,
    small_first_purchase_is_skipped_for_min_order_amount,
    every_purchase_up_to_n_is_rewarded,
    subscription_months_are_rewarded_up_to_n,
    tiers_raise_the_reward_with_conversions,
    milestone_pays_a_bonus_on_the_nth_conversion,
    boost_multiplies_rewards_inside_its_window,
    advocate_cap_refuses_the_referrer_reward_only,
    budget_refuses_rewards_that_would_exceed_it,
    welcome_reward_is_given_on_enrolment,
    points_are_a_pts_balance_and_can_be_redeemed,
    multi_level_pays_the_referrers_referrer,
    partial_refund_reverses_percent_rewards_proportionally,
    bad_rule_configurations_name_the_field,
    every_reward_carries_its_rule_and_inputs,
    second_level_share_needs_the_referrer_reward,
    refund_reverses_a_conversion_that_earned_nothing,
);

const USD: &str = "USD";

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

/// A purchase of `amount` US cents by `email`, with the advocate's code when given.
fn purchase(
    program: &Value,
    email: &str,
    order: &str,
    amount: i64,
    advocate: Option<&Value>,
) -> Value {
    let mut body = json!({"type": "purchase", "program_id": program["id"],
        "customer": {"email": email}, "order_id": order, "amount": amount, "currency": USD});
    if let Some(a) = advocate {
        body["referral_code"] = a["referral_code"].clone();
    }
    body
}

/// The same purchase, dated.
fn purchase_at(
    program: &Value,
    email: &str,
    order: &str,
    amount: i64,
    advocate: Option<&Value>,
    occurred_at: &str,
) -> Value {
    let mut body = purchase(program, email, order, amount, advocate);
    body["occurred_at"] = json!(occurred_at);
    body
}

/// The rewards an event created or changed, with `role`.
fn with_role<'a>(event: &'a Value, role: &str) -> Vec<&'a Value> {
    event["rewards"]
        .as_array()
        .expect("rewards")
        .iter()
        .filter(|r| r["role"] == role)
        .collect()
}

/// The only reward of `role` in an event.
fn one<'a>(event: &'a Value, role: &str) -> &'a Value {
    let found = with_role(event, role);
    assert_eq!(found.len(), 1, "one {role} reward expected: {event}");
    found[0]
}

/// Every reward of a participant, newest first.
async fn rewards_of(app: &TestApp, participant: &str) -> Vec<Value> {
    app.get_ok(&format!(
        "/api/v1/rewards?participant_id={participant}&limit=100"
    ))
    .await["data"]
        .as_array()
        .expect("data")
        .clone()
}

async fn referral_of(app: &TestApp, event: &Value) -> Value {
    let rid = event["referral"]["id"].as_str().expect("referral id");
    app.get_ok(&format!("/api/v1/referrals/{rid}")).await
}

fn available(p: &Value, currency: &str) -> i64 {
    balance(p, currency).0
}

async fn percent_of_order_is_capped_at_max_amount(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "percent": 10, "max_amount": 2000, "currency": USD},
        }))
        .await;
    assert_eq!(p["referrer_reward"]["percent"], 10);
    assert_eq!(p["referrer_reward"]["max_amount"], 2000);
    let a = app.advocate(&p, "sara@example.com").await;
    // 10% of 120.00 is 12.00: under the maximum.
    let e = app
        .event(purchase(&p, "f1@x.com", "o-1", 12_000, Some(&a)))
        .await;
    let r = one(&e, "referrer");
    assert_eq!(r["amount"], 1200);
    assert_eq!(r["currency"], USD);
    assert_eq!(r["status"], "approved");
    let ex = &r["inputs"]["explanation"];
    assert_eq!(ex["percent"].as_f64(), Some(10.0), "{ex}");
    assert_eq!(ex["rule"], "referrer_reward");
    assert_eq!(ex["base_amount"], 1200);
    assert!(ex.get("capped_at").is_none(), "{ex}");
    // The referee's fixed reward is not a percent.
    let referee = one(&e, "referee");
    assert_eq!(referee["amount"], 500);
    assert!(referee["inputs"]["explanation"].get("percent").is_none());
    // 10% of 350.00 would be 35.00: capped at 20.00.
    let e = app
        .event(purchase(&p, "f2@x.com", "o-2", 35_000, Some(&a)))
        .await;
    let r = one(&e, "referrer");
    assert_eq!(r["amount"], 2000);
    let ex = &r["inputs"]["explanation"];
    assert_eq!(ex["percent"].as_f64(), Some(10.0), "{ex}");
    assert_eq!(ex["capped_at"], 2000);
    assert_eq!(r["inputs"]["order_amount"], 35_000);
    // Rounded down to the cent: 10% of 0.99 is 0.09.
    let e = app
        .event(purchase(&p, "f3@x.com", "o-3", 99, Some(&a)))
        .await;
    assert_eq!(one(&e, "referrer")["amount"], 9);
    assert_eq!(
        available(&app.participant(id(&a)).await, USD),
        1200 + 2000 + 9
    );
    // An order in another currency earns nothing from a USD percent rule, and says why.
    let mut body = purchase(&p, "f4@x.com", "o-4", 10_000, Some(&a));
    body["currency"] = json!("EUR");
    let e = app.event(body).await;
    assert!(with_role(&e, "referrer").is_empty(), "{e}");
    let referral = referral_of(&app, &e).await;
    assert_eq!(
        referral["skipped_rewards"][0]["reason"], "currency_mismatch",
        "{referral}"
    );
}

async fn small_first_purchase_is_skipped_for_min_order_amount(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": USD, "min_order_amount": 5000},
            "referee_reward": null,
        }))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let e = app
        .event(purchase(&p, "small@x.com", "s-1", 4999, Some(&a)))
        .await;
    assert_eq!(e["rewards"], json!([]), "{e}");
    // Not a qualifying purchase: it uses up nothing, and the referral says why.
    assert_eq!(e["referral"]["status"], "clicked");
    let skipped = e["referral"]["skipped_rewards"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{e}");
    assert_eq!(skipped[0]["reason"], "min_order_amount");
    assert_eq!(skipped[0]["role"], "referrer");
    assert_eq!(skipped[0]["trigger"], "first_purchase");
    assert!(!skipped[0]["message"].as_str().unwrap().is_empty());
    let referral = referral_of(&app, &e).await;
    assert_eq!(referral["skipped_rewards"][0]["reason"], "min_order_amount");
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (0, 0));
    // The same friend's next, qualifying purchase converts and pays (Airbnb's rule).
    let again = app
        .event(purchase(&p, "small@x.com", "s-2", 8000, None))
        .await;
    assert_eq!(again["referral"]["id"], e["referral"]["id"], "{again}");
    assert_eq!(again["referral"]["status"], "rewarded", "{again}");
    assert_eq!(one(&again, "referrer")["trigger"], "first_purchase");
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (1000, 0));
    // Exactly the minimum qualifies.
    let e = app
        .event(purchase(&p, "big@x.com", "b-1", 5000, Some(&a)))
        .await;
    assert_eq!(one(&e, "referrer")["amount"], 1000);
    assert_eq!(e["referral"]["skipped_rewards"], json!([]));
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (2000, 0));
}

async fn every_purchase_up_to_n_is_rewarded(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "amount": 300, "currency": USD, "purchases": 3},
        }))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let mut triggers = vec![];
    for n in 1..=4 {
        // Only the first carries the code: later ones follow the friend's attribution.
        let code = (n == 1).then_some(&a);
        let e = app
            .event(purchase(&p, "friend@x.com", &format!("o-{n}"), 2000, code))
            .await;
        assert_eq!(e["referral"]["payments"], n, "{e}");
        for r in with_role(&e, "referrer") {
            assert_eq!(r["amount"], 300);
            assert_eq!(r["participant_id"], id(&a));
            assert_eq!(r["inputs"]["trigger"], r["trigger"]);
            assert_eq!(r["inputs"]["order_id"], format!("o-{n}"));
            triggers.push(r["trigger"].as_str().unwrap().to_owned());
        }
        // The friend's reward is for the first purchase only.
        assert_eq!(with_role(&e, "referee").len(), usize::from(n == 1), "{e}");
    }
    assert_eq!(triggers, ["first_purchase", "purchase:2", "purchase:3"]);
    let mine = rewards_of(&app, id(&a)).await;
    assert_eq!(mine.len(), 3);
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (900, 0));
}

async fn subscription_months_are_rewarded_up_to_n(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "amount": 400, "currency": USD, "subscription_months": 2},
        }))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let month = |n: u32| {
        let mut body = json!({"type": "subscription_payment", "program_id": p["id"],
            "customer": {"email": "subscriber@x.com"}, "order_id": format!("inv-{n}"),
            "amount": 1500, "currency": USD});
        if n == 1 {
            body["referral_code"] = a["referral_code"].clone();
        }
        body
    };
    let m1 = app.event(month(1)).await;
    assert_eq!(m1["referral"]["status"], "rewarded");
    assert_eq!(one(&m1, "referrer")["trigger"], "month:1");
    assert_eq!(one(&m1, "referrer")["amount"], 400);
    assert_eq!(one(&m1, "referee")["trigger"], "month:1");
    let m2 = app.event(month(2)).await;
    assert_eq!(one(&m2, "referrer")["trigger"], "month:2");
    assert!(with_role(&m2, "referee").is_empty(), "{m2}");
    let m3 = app.event(month(3)).await;
    assert_eq!(m3["rewards"], json!([]), "{m3}");
    assert_eq!(m3["referral"]["payments"], 3);
    let triggers: Vec<String> = rewards_of(&app, id(&a))
        .await
        .iter()
        .map(|r| r["trigger"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(triggers.len(), 2);
    assert!(triggers.contains(&"month:1".to_owned()) && triggers.contains(&"month:2".to_owned()));
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (800, 0));
}

async fn tiers_raise_the_reward_with_conversions(app: TestApp) {
    let tiers = json!([
        {"from": 1, "to": 2, "amount": 1000},
        {"from": 3, "amount": 2500},
    ]);
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "currency": USD, "tiers": tiers},
        }))
        .await;
    assert_eq!(p["referrer_reward"]["tiers"], tiers);
    let a = app.advocate(&p, "sara@example.com").await;
    let mut amounts = vec![];
    for n in 1..=4 {
        let e = app
            .event(purchase(
                &p,
                &format!("f{n}@x.com"),
                &format!("o-{n}"),
                3000,
                Some(&a),
            ))
            .await;
        let r = one(&e, "referrer");
        assert_eq!(r["inputs"]["referrer_conversions"], n, "{r}");
        amounts.push(r["amount"].as_i64().unwrap());
        if n == 3 {
            assert_eq!(
                r["inputs"]["explanation"]["tier"],
                json!({"from": 3, "amount": 2500})
            );
        }
    }
    assert_eq!(amounts, [1000, 1000, 2500, 2500]);
    // A repeat purchase by a converted friend is not another conversion.
    let e = app
        .event(purchase(&p, "f1@x.com", "o-1b", 3000, None))
        .await;
    assert_eq!(e["rewards"], json!([]));
    assert_eq!(
        available(&app.participant(id(&a)).await, USD),
        1000 + 1000 + 2500 + 2500
    );
}

async fn milestone_pays_a_bonus_on_the_nth_conversion(app: TestApp) {
    let bonus = json!({"kind": "credit", "amount": 5000, "currency": USD});
    let p = app
        .program(json!({
            "milestones": [{"referrals": 2, "period": "month", "reward": bonus}],
        }))
        .await;
    assert_eq!(p["milestones"][0]["referrals"], 2);
    let a = app.advocate(&p, "sara@example.com").await;
    // Dated in one calendar month, so the test does not depend on today's date.
    let days = ["2025-03-10", "2025-03-11", "2025-03-12"];
    let mut events = vec![];
    for (i, day) in days.iter().enumerate() {
        let e = app
            .event(purchase_at(
                &p,
                &format!("f{i}@x.com"),
                &format!("o-{i}"),
                3000,
                Some(&a),
                &format!("{day}T12:00:00Z"),
            ))
            .await;
        events.push(e);
    }
    let milestone = |e: &Value| {
        with_role(e, "referrer")
            .into_iter()
            .filter(|r| r["trigger"].as_str().unwrap().starts_with("milestone"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(milestone(&events[0]).is_empty(), "{}", events[0]);
    let m = milestone(&events[1]);
    assert_eq!(m.len(), 1, "{}", events[1]);
    assert_eq!(m[0]["trigger"], "milestone:0");
    assert_eq!(m[0]["amount"], 5000);
    assert_eq!(m[0]["participant_id"], id(&a));
    assert_eq!(m[0]["status"], "approved");
    assert_eq!(m[0]["rule"], bonus);
    assert_eq!(m[0]["inputs"]["explanation"]["rule"], "milestones[0]");
    assert_eq!(m[0]["inputs"]["explanation"]["milestone"], 2);
    // The normal referrer reward still comes with it; the third conversion earns no bonus.
    assert_eq!(with_role(&events[1], "referrer").len(), 2);
    assert!(milestone(&events[2]).is_empty(), "{}", events[2]);
    assert_eq!(
        available(&app.participant(id(&a)).await, USD),
        3 * 1000 + 5000
    );
    // A new month starts the count again.
    let e = app
        .event(purchase_at(
            &p,
            "april1@x.com",
            "o-a1",
            3000,
            Some(&a),
            "2025-04-02T12:00:00Z",
        ))
        .await;
    assert!(milestone(&e).is_empty());
    let e = app
        .event(purchase_at(
            &p,
            "april2@x.com",
            "o-a2",
            3000,
            Some(&a),
            "2025-04-03T12:00:00Z",
        ))
        .await;
    assert_eq!(milestone(&e).len(), 1, "{e}");
}

async fn boost_multiplies_rewards_inside_its_window(app: TestApp) {
    let p = app
        .program(json!({
            "boosts": [{"starts_at": "2025-06-01T00:00:00Z", "ends_at": "2025-06-08T00:00:00Z", "multiplier": 2}],
        }))
        .await;
    assert_eq!(p["boosts"][0]["multiplier"], 2.0);
    let a = app.advocate(&p, "sara@example.com").await;
    let inside = app
        .event(purchase_at(
            &p,
            "in@x.com",
            "o-in",
            3000,
            Some(&a),
            "2025-06-03T10:00:00Z",
        ))
        .await;
    let r = one(&inside, "referrer");
    assert_eq!(r["amount"], 2000);
    assert_eq!(r["inputs"]["explanation"]["base_amount"], 1000);
    assert_eq!(r["inputs"]["explanation"]["boost"].as_f64(), Some(2.0));
    assert_eq!(
        one(&inside, "referee")["amount"],
        1000,
        "both sides by default"
    );
    for (email, order, at) in [
        ("before@x.com", "o-before", "2025-05-31T23:59:59Z"),
        // The end is exclusive.
        ("end@x.com", "o-end", "2025-06-08T00:00:00Z"),
        ("after@x.com", "o-after", "2025-06-10T10:00:00Z"),
    ] {
        let e = app
            .event(purchase_at(&p, email, order, 3000, Some(&a), at))
            .await;
        let r = one(&e, "referrer");
        assert_eq!(r["amount"], 1000, "{at}: {r}");
        assert!(r["inputs"]["explanation"].get("boost").is_none(), "{r}");
        assert_eq!(one(&e, "referee")["amount"], 500);
    }
    assert_eq!(
        available(&app.participant(id(&a)).await, USD),
        2000 + 3 * 1000
    );
}

async fn advocate_cap_refuses_the_referrer_reward_only(app: TestApp) {
    let p = app
        .program(json!({"caps": {"per_advocate": {"period": "month", "max_rewards": 1}}}))
        .await;
    assert_eq!(p["caps"]["per_advocate"]["max_rewards"], 1);
    let a = app.advocate(&p, "sara@example.com").await;
    let first = app
        .event(purchase(&p, "f1@x.com", "o-1", 3000, Some(&a)))
        .await;
    assert_eq!(one(&first, "referrer")["amount"], 1000);
    assert_eq!(first["referral"]["skipped_rewards"], json!([]));
    let second = app
        .event(purchase(&p, "f2@x.com", "o-2", 3000, Some(&a)))
        .await;
    assert!(with_role(&second, "referrer").is_empty(), "{second}");
    let referee = one(&second, "referee");
    assert_eq!(referee["amount"], 500);
    assert_eq!(referee["status"], "approved");
    assert_eq!(
        referee["participant_id"],
        second["referral"]["referee_participant_id"]
    );
    let referral = referral_of(&app, &second).await;
    let skipped = referral["skipped_rewards"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{referral}");
    assert_eq!(skipped[0]["reason"], "advocate_cap");
    assert_eq!(skipped[0]["role"], "referrer");
    assert_eq!(skipped[0]["trigger"], "first_purchase");
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (1000, 0));
    let friend = second["referral"]["referee_participant_id"]
        .as_str()
        .unwrap();
    assert_eq!(balance(&app.participant(friend).await, USD), (500, 0));
    // Another advocate has a cap of their own.
    let b = app.advocate(&p, "omar@example.com").await;
    let e = app
        .event(purchase(&p, "f3@x.com", "o-3", 3000, Some(&b)))
        .await;
    assert_eq!(one(&e, "referrer")["participant_id"], id(&b));
}

async fn budget_refuses_rewards_that_would_exceed_it(app: TestApp) {
    let p = app
        .program(json!({
            "referee_reward": null,
            "caps": {"budget": {"amount": 1500, "currency": USD}},
        }))
        .await;
    assert_eq!(
        p["caps"]["budget"],
        json!({"amount": 1500, "currency": USD})
    );
    let a = app.advocate(&p, "sara@example.com").await;
    let b = app.advocate(&p, "omar@example.com").await;
    let first = app
        .event(purchase(&p, "f1@x.com", "o-1", 3000, Some(&a)))
        .await;
    assert_eq!(one(&first, "referrer")["amount"], 1000);
    // 10.00 spent of 15.00: another 10.00 would exceed it, whoever the advocate is.
    let second = app
        .event(purchase(&p, "f2@x.com", "o-2", 3000, Some(&b)))
        .await;
    assert_eq!(second["rewards"], json!([]), "{second}");
    let referral = referral_of(&app, &second).await;
    let skipped = referral["skipped_rewards"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{referral}");
    assert_eq!(skipped[0]["reason"], "budget");
    assert_eq!(skipped[0]["role"], "referrer");
    assert_eq!(balance(&app.participant(id(&b)).await, USD), (0, 0));
    let all = app
        .get_ok(&format!("/api/v1/rewards?program_id={}", id(&p)))
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    // A refund gives the budget back.
    app.event(json!({"type": "refund", "program_id": p["id"], "order_id": "o-1"}))
        .await;
    let third = app
        .event(purchase(&p, "f3@x.com", "o-3", 3000, Some(&b)))
        .await;
    assert_eq!(one(&third, "referrer")["amount"], 1000, "{third}");
}

async fn welcome_reward_is_given_on_enrolment(app: TestApp) {
    let welcome = json!({"kind": "credit", "amount": 300, "currency": USD});
    let p = app.program(json!({"welcome_reward": welcome})).await;
    assert_eq!(p["welcome_reward"], welcome);
    let a = app.advocate(&p, "sara@example.com").await;
    let mine = rewards_of(&app, id(&a)).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    let w = &mine[0];
    assert_eq!(w["role"], "participant");
    assert_eq!(w["trigger"], "welcome");
    assert_eq!(w["status"], "approved");
    assert_eq!(w["kind"], "credit");
    assert_eq!(w["amount"], 300);
    assert_eq!(w["currency"], USD);
    assert!(w["referral_id"].is_null());
    assert!(w["event_id"].is_null());
    assert_eq!(w["rule"], welcome);
    assert_eq!(w["inputs"]["trigger"], "welcome");
    assert_eq!(w["inputs"]["explanation"]["rule"], "welcome_reward");
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (300, 0));
    // Enrolling again is not joining again.
    let path = format!("/api/v1/programs/{}/participants", id(&p));
    let again = app
        .post_ok(&path, &json!({"email": "sara@example.com"}), 200)
        .await;
    assert_eq!(again["id"], a["id"]);
    assert_eq!(rewards_of(&app, id(&a)).await.len(), 1);
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (300, 0));
    // A friend enrolled by their purchase gets the referee reward, not a welcome.
    let e = app
        .event(purchase(&p, "friend@x.com", "o-1", 3000, Some(&a)))
        .await;
    let friend = e["referral"]["referee_participant_id"].as_str().unwrap();
    let theirs = rewards_of(&app, friend).await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["role"], "referee");
    assert_eq!(balance(&app.participant(friend).await, USD), (500, 0));
}

async fn points_are_a_pts_balance_and_can_be_redeemed(app: TestApp) {
    let p = app
        .program(json!({"referrer_reward": {"kind": "points", "amount": 50}}))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let e = app
        .event(purchase(&p, "f1@x.com", "o-1", 3000, Some(&a)))
        .await;
    let r = one(&e, "referrer");
    assert_eq!(r["kind"], "points");
    assert_eq!(r["amount"], 50);
    assert_eq!(r["currency"], "PTS");
    app.event(purchase(&p, "f2@x.com", "o-2", 3000, Some(&a)))
        .await;
    let me = app.participant(id(&a)).await;
    assert_eq!(balance(&me, "PTS"), (100, 0), "{me}");
    assert_eq!(balance(&me, USD), (0, 0), "points are not money");
    let path = format!("/api/v1/participants/{}/redemptions", id(&a));
    let redeemed = app
        .post_ok(&path, &json!({"amount": 30, "currency": "PTS"}), 201)
        .await;
    assert_eq!(redeemed["currency"], "PTS");
    assert_eq!(redeemed["amount"], 30);
    assert_eq!(balance(&redeemed, "PTS"), (70, 0), "{redeemed}");
    assert_eq!(balance(&app.participant(id(&a)).await, "PTS"), (70, 0));
    let resp = app
        .post(&path, &json!({"amount": 71, "currency": "PTS"}))
        .await;
    expect_problem(resp, 422, "validation_failed", Some("amount")).await;
    // The friend's reward is USD credit, as configured.
    let friend = e["referral"]["referee_participant_id"].as_str().unwrap();
    assert_eq!(balance(&app.participant(friend).await, USD), (500, 0));
}

async fn multi_level_pays_the_referrers_referrer(app: TestApp) {
    let p = app.program(json!({"multi_level": {"percent": 10}})).await;
    let warnings = p["warnings"].as_array().expect("warnings");
    assert!(!warnings.is_empty(), "{p}");
    assert!(warnings[0].as_str().unwrap().contains("multi_level"));
    let got = app.get_ok(&format!("/api/v1/programs/{}", id(&p))).await;
    assert_eq!(got["warnings"], p["warnings"]);
    assert_eq!(
        app.program(json!({})).await["warnings"],
        json!([]),
        "no warning without multi-level"
    );
    let a = app.advocate(&p, "sara@example.com").await;
    // Sara refers Bo; Bo becomes a participant at his purchase. Sara has no upline.
    let bo_buys = app
        .event(purchase(&p, "bo@x.com", "o-bo", 3000, Some(&a)))
        .await;
    assert_eq!(bo_buys["rewards"].as_array().unwrap().len(), 2);
    assert!(with_role(&bo_buys, "second_level").is_empty());
    let bo_id = bo_buys["referral"]["referee_participant_id"]
        .as_str()
        .unwrap();
    let bo = app.participant(bo_id).await;
    // Bo refers Cy: Bo earns the referrer reward, Sara a tenth of it.
    let cy_buys = app
        .event(purchase(&p, "cy@x.com", "o-cy", 3000, Some(&bo)))
        .await;
    assert_eq!(one(&cy_buys, "referrer")["participant_id"], bo_id);
    assert_eq!(one(&cy_buys, "referrer")["amount"], 1000);
    let second = one(&cy_buys, "second_level");
    assert_eq!(second["participant_id"], id(&a));
    assert_eq!(second["amount"], 100);
    assert_eq!(second["currency"], USD);
    assert_eq!(second["trigger"], "first_purchase");
    assert_eq!(second["status"], "approved");
    assert_eq!(second["referral_id"], cy_buys["referral"]["id"]);
    let ex = &second["inputs"]["explanation"];
    assert_eq!(ex["rule"], "multi_level");
    assert_eq!(ex["percent"].as_f64(), Some(10.0));
    assert_eq!(ex["base_amount"], 1000);
    assert_eq!(
        balance(&app.participant(id(&a)).await, USD),
        (1000 + 100, 0)
    );
    assert_eq!(balance(&app.participant(bo_id).await, USD), (500 + 1000, 0));
}

async fn partial_refund_reverses_percent_rewards_proportionally(app: TestApp) {
    let p = app
        .program(json!({
            "hold_days": 0,
            "referrer_reward": {"kind": "credit", "percent": 10, "currency": USD},
        }))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let e = app
        .event(purchase(&p, "friend@x.com", "o-1", 10_000, Some(&a)))
        .await;
    let reward_id = id(one(&e, "referrer")).to_owned();
    assert_eq!(one(&e, "referrer")["amount"], 1000);
    let friend = e["referral"]["referee_participant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (1000, 0));
    let refund = |key: Option<&'static str>, amount: Option<i64>| {
        let mut body = json!({"type": "refund", "program_id": p["id"], "order_id": "o-1"});
        if let Some(amount) = amount {
            body["amount"] = json!(amount);
            body["currency"] = json!(USD);
        }
        let mut req = app
            .client
            .post(app.url("/api/v1/events"))
            .bearer_auth(&app.sk)
            .json(&body);
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        req.send()
    };
    // 40.00 of 100.00 refunded: 40% of the 10.00 reward comes back.
    let part = expect_json(refund(Some("refund-1"), Some(4000)).await.unwrap(), 201).await;
    let rewards = part["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 1, "only the percent reward shrinks: {part}");
    assert_eq!(rewards[0]["id"], reward_id.as_str());
    assert_eq!(rewards[0]["reversed_amount"], 400);
    assert_eq!(rewards[0]["amount"], 1000);
    assert_eq!(rewards[0]["status"], "approved");
    assert_eq!(part["referral"]["status"], "rewarded");
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (600, 0));
    assert_eq!(balance(&app.participant(&friend).await, USD), (500, 0));
    let r = app.get_ok(&format!("/api/v1/rewards/{reward_id}")).await;
    assert_eq!(r["reversed_amount"], 400);
    // The same refund retried changes nothing.
    let replay = refund(Some("refund-1"), Some(4000)).await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(expect_json(replay, 201).await, part);
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (600, 0));
    // A further 10.00: 50% refunded in all, so 5.00 taken back in all.
    let more = expect_json(refund(Some("refund-2"), Some(1000)).await.unwrap(), 201).await;
    assert_eq!(more["rewards"][0]["reversed_amount"], 500, "{more}");
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (500, 0));
    // A refund without an amount refunds the rest: everything is reversed.
    let full = expect_json(refund(None, None).await.unwrap(), 201).await;
    assert_eq!(full["referral"]["status"], "reversed", "{full}");
    let rewards = full["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 2, "{full}");
    assert!(rewards.iter().all(|r| r["status"] == "reversed"), "{full}");
    assert_eq!(balance(&app.participant(id(&a)).await, USD), (0, 0));
    assert_eq!(balance(&app.participant(&friend).await, USD), (0, 0));
    let r = app.get_ok(&format!("/api/v1/rewards/{reward_id}")).await;
    assert_eq!(r["status"], "reversed");
}

async fn bad_rule_configurations_name_the_field(app: TestApp) {
    let base = json!({"name": "Rules", "destination_url": "https://shop.example.com/"});
    let credit = |extra: Value| {
        let mut r = json!({"kind": "credit"});
        crate::harness::merge(&mut r, extra);
        r
    };
    let cases = [
        (
            json!({"referrer_reward": credit(json!({"currency": USD, "tiers": [
                {"from": 1, "to": 3, "amount": 1000},
                {"from": 2, "amount": 2500},
            ]}))}),
            "referrer_reward.tiers[1].from",
        ),
        (
            json!({"referrer_reward": credit(json!({"currency": USD, "tiers": [
                {"from": 1, "to": 2, "amount": 1000},
                {"from": 4, "amount": 2500},
            ]}))}),
            "referrer_reward.tiers[1].from",
        ),
        (
            json!({"referrer_reward": credit(json!({"percent": 150, "currency": USD}))}),
            "referrer_reward.percent",
        ),
        (
            json!({"referee_reward": credit(json!({"percent": 0}))}),
            "referee_reward.percent",
        ),
        (
            json!({"referrer_reward": credit(json!({"amount": -100, "currency": USD}))}),
            "referrer_reward.amount",
        ),
        (
            json!({"referrer_reward": credit(json!({"amount": 100, "currency": "ABC"}))}),
            "referrer_reward.currency",
        ),
        (
            json!({"referrer_reward": credit(json!({"amount": 100}))}),
            "referrer_reward.currency",
        ),
        (
            json!({"referrer_reward": credit(json!({"amount": 100, "currency": USD, "max_amount": 50}))}),
            "referrer_reward.max_amount",
        ),
        (
            json!({"referee_reward": credit(json!({"currency": USD, "tiers": [{"from": 1, "amount": 5}]}))}),
            "referee_reward.tiers",
        ),
        (
            json!({"welcome_reward": credit(json!({"percent": 10}))}),
            "welcome_reward.percent",
        ),
        (
            json!({"milestones": [{"referrals": 0, "period": "month",
                "reward": credit(json!({"amount": 100, "currency": USD}))}]}),
            "milestones[0].referrals",
        ),
        (
            json!({"boosts": [{"starts_at": "2025-06-08T00:00:00Z", "ends_at": "2025-06-01T00:00:00Z", "multiplier": 2}]}),
            "boosts[0].ends_at",
        ),
        (
            json!({"caps": {"per_advocate": {"period": "month", "max_rewards": 0}}}),
            "caps.per_advocate.max_rewards",
        ),
        (
            json!({"caps": {"budget": {"amount": -1, "currency": USD}}}),
            "caps.budget.amount",
        ),
        (
            json!({"multi_level": {"percent": 101}}),
            "multi_level.percent",
        ),
    ];
    for (extra, field) in cases {
        let mut body = base.clone();
        crate::harness::merge(&mut body, extra);
        let resp = app.post("/api/v1/programs", &body).await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
    let programs = app.get_ok("/api/v1/programs").await;
    assert_eq!(
        programs["data"],
        json!([]),
        "refused programs wrote nothing"
    );
    // The same checks guard changes.
    let p = app.program(json!({})).await;
    let resp = app
        .patch(
            &format!("/api/v1/programs/{}", id(&p)),
            &json!({"referrer_reward": credit(json!({"percent": 100.5}))}),
        )
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("referrer_reward.percent"),
    )
    .await;
    let got = app.get_ok(&format!("/api/v1/programs/{}", id(&p))).await;
    assert_eq!(got["referrer_reward"], p["referrer_reward"]);
}

async fn every_reward_carries_its_rule_and_inputs(app: TestApp) {
    let referrer_rule =
        json!({"kind": "credit", "percent": 10, "max_amount": 5000, "currency": USD});
    let referee_rule = json!({"kind": "credit", "amount": 500, "currency": USD});
    let welcome = json!({"kind": "points", "amount": 20});
    let bonus = json!({"kind": "credit", "amount": 700, "currency": USD});
    let p = app
        .program(json!({
            "referrer_reward": referrer_rule,
            "referee_reward": referee_rule,
            "welcome_reward": welcome,
            "milestones": [{"referrals": 1, "period": "all_time", "reward": bonus}],
            "multi_level": {"percent": 10},
        }))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let bo_buys = app
        .event(purchase(&p, "bo@x.com", "o-bo", 8000, Some(&a)))
        .await;
    let bo = app
        .participant(
            bo_buys["referral"]["referee_participant_id"]
                .as_str()
                .unwrap(),
        )
        .await;
    let cy_buys = app
        .event(purchase(&p, "cy@x.com", "o-cy", 12_000, Some(&bo)))
        .await;
    let all = app
        .get_ok(&format!("/api/v1/rewards?program_id={}&limit=100", id(&p)))
        .await;
    let all = all["data"].as_array().unwrap();
    // Sara: welcome; on Bo's purchase: referrer, milestone, and Bo's referee reward;
    // on Cy's: Bo's referrer and milestone, Cy's referee, and Sara's second level on
    // each of Bo's referrer rewards (the milestone bonus is one too).
    let mut seen: Vec<(String, String)> = all
        .iter()
        .map(|r| {
            (
                r["role"].as_str().unwrap().to_owned(),
                r["trigger"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut expected: Vec<(String, String)> = [
        ("participant", "welcome"),
        ("referee", "first_purchase"),
        ("referee", "first_purchase"),
        ("referrer", "first_purchase"),
        ("referrer", "first_purchase"),
        ("referrer", "milestone:0"),
        ("referrer", "milestone:0"),
        ("second_level", "first_purchase"),
        ("second_level", "milestone:0"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    expected.sort();
    assert_eq!(seen, expected, "{all:?}");
    let orders = [(&bo_buys, "o-bo", 8000), (&cy_buys, "o-cy", 12_000)];
    for r in all {
        assert!(r["rule"].is_object(), "{r}");
        assert!(r["rule"]["kind"].is_string(), "{r}");
        let inputs = &r["inputs"];
        assert!(inputs["trigger"].is_string(), "{r}");
        assert!(inputs["explanation"]["rule"].is_string(), "{r}");
        let expected_rule = match (r["role"].as_str().unwrap(), r["trigger"].as_str().unwrap()) {
            ("participant", _) => &welcome,
            (_, "milestone:0") => &bonus,
            ("referee", _) => &referee_rule,
            // The second level's rule is the referrer's rule it is a share of.
            _ => &referrer_rule,
        };
        assert_eq!(&r["rule"], expected_rule, "{r}");
        if r["role"] == "participant" {
            assert_eq!(inputs["trigger"], "welcome");
            assert!(inputs["order_amount"].is_null(), "no order: {r}");
            continue;
        }
        assert!(inputs.get("order_amount").is_some(), "{r}");
        assert_eq!(inputs["trigger"], "first_purchase", "{r}");
        let (event, order, amount) = orders
            .iter()
            .find(|(e, _, _)| e["id"] == r["event_id"])
            .expect("the reward's event");
        assert_eq!(inputs["event_id"], event["id"]);
        assert_eq!(inputs["order_id"], *order);
        assert_eq!(inputs["order_amount"], *amount);
        assert_eq!(inputs["order_currency"], USD);
        assert_eq!(inputs["attribution"], "referral_code");
        assert_eq!(inputs["hold_days"], 0);
        assert!(inputs["occurred_at"].is_string(), "{r}");
    }
    // The referrer reward on Cy's 120.00 was 10%: 12.00; Sara got a tenth of it, and a
    // tenth of Bo's 7.00 milestone bonus.
    let amount_of = |role: &str, trigger: &str| {
        let found: Vec<_> = with_role(&cy_buys, role)
            .into_iter()
            .filter(|r| r["trigger"] == trigger)
            .collect();
        assert_eq!(found.len(), 1, "{role} {trigger}: {cy_buys}");
        found[0]["amount"].as_i64().unwrap()
    };
    assert_eq!(amount_of("referrer", "first_purchase"), 1200);
    assert_eq!(amount_of("referrer", "milestone:0"), 700);
    assert_eq!(amount_of("second_level", "first_purchase"), 120);
    assert_eq!(amount_of("second_level", "milestone:0"), 70);
    // A copy: changing the program later does not change what was earned.
    let earned = one(&bo_buys, "referee").clone();
    expect_json(
        app.patch(
            &format!("/api/v1/programs/{}", id(&p)),
            &json!({"referee_reward": {"kind": "credit", "amount": 900, "currency": "EUR"}}),
        )
        .await,
        200,
    )
    .await;
    let again = app
        .get_ok(&format!("/api/v1/rewards/{}", id(&earned)))
        .await;
    assert_eq!(again["rule"], referee_rule);
    assert_eq!(again["amount"], 500);
    assert_eq!(again["inputs"], earned["inputs"]);
}

async fn second_level_share_needs_the_referrer_reward(app: TestApp) {
    let p = app
        .program(json!({
            "referee_reward": null,
            "multi_level": {"percent": 10},
            "caps": {"per_advocate": {"period": "all_time", "max_rewards": 1}},
        }))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let bo_buys = app
        .event(purchase(&p, "bo@x.com", "o-bo", 3000, Some(&a)))
        .await;
    let bo = app
        .participant(
            bo_buys["referral"]["referee_participant_id"]
                .as_str()
                .unwrap(),
        )
        .await;
    // Bo's first friend: Bo earns, Sara earns a tenth.
    let first = app
        .event(purchase(&p, "cy@x.com", "o-cy", 3000, Some(&bo)))
        .await;
    assert_eq!(one(&first, "referrer")["amount"], 1000);
    assert_eq!(one(&first, "second_level")["amount"], 100);
    // Bo's second friend: the cap refuses Bo's reward, so there is nothing to share.
    let second = app
        .event(purchase(&p, "di@x.com", "o-di", 3000, Some(&bo)))
        .await;
    assert_eq!(
        second["referral"]["skipped_rewards"][0]["reason"],
        "advocate_cap"
    );
    assert!(with_role(&second, "referrer").is_empty(), "{second}");
    assert!(
        with_role(&second, "second_level").is_empty(),
        "a share of a reward that was never created: {second}"
    );
    assert_eq!(
        balance(&app.participant(id(&a)).await, USD),
        (1000 + 100, 0)
    );
}

async fn refund_reverses_a_conversion_that_earned_nothing(app: TestApp) {
    // The budget refuses the reward: a limit, so the purchase still converts.
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": USD},
            "referee_reward": null,
            "caps": {"budget": {"amount": 500, "currency": USD}},
        }))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let e = app
        .event(purchase(&p, "small@x.com", "s-1", 2000, Some(&a)))
        .await;
    assert_eq!(e["referral"]["status"], "converted");
    assert_eq!(e["rewards"], json!([]));
    let refund = app
        .event(json!({"type": "refund", "program_id": p["id"], "order_id": "s-1"}))
        .await;
    // The order that converted the referral is refunded: the referral is reversed (and
    // no longer counts towards tiers and milestones), as when it had earned rewards.
    let referral = referral_of(&app, &e).await;
    assert_eq!(referral["status"], "reversed", "refund answer: {refund}");
    assert_eq!(refund["referral"]["id"], e["referral"]["id"], "{refund}");
}

//! Famous referral programs configured through the API as they ran: Dropbox (both
//! sides on signup, a cap of friends), a shop's "give 20%, get a bonus" (the friend's
//! coupon on arrival, used at the first checkout; a bonus for more than three in a
//! month), Airbnb (the friend's credit at once, the advocate on the first qualifying
//! trip), tiers with a minimum order, custom events and refunds with their own ids.

use serde_json::{json, Value};

use crate::both;
use crate::harness::{expect_json, expect_problem, TestApp};

both!(
    dropbox_pays_both_sides_on_signup_up_to_a_cap_of_friends,
    a_twenty_percent_coupon_on_arrival_pays_at_the_first_checkout_and_a_bonus_once,
    airbnb_pays_once_on_the_first_qualifying_trip,
    small_orders_do_not_advance_the_tier,
    a_custom_event_converts_and_pays_once,
    refunds_are_told_apart_by_their_own_id,
    one_device_cannot_collect_many_offers,
    arrival_coupons_come_from_a_pool_and_wait_when_it_is_empty,
    simulate_accepts_every_trigger
);

fn rewards_of<'a>(e: &'a Value, role: &str) -> Vec<&'a Value> {
    e["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == role)
        .collect()
}

async fn signup(app: &TestApp, p: &Value, code: &Value, email: &str) -> Value {
    app.event(
        json!({"type": "signup", "program_id": p["id"], "referral_code": code,
        "customer": {"email": email}}),
    )
    .await
}

async fn dropbox_pays_both_sides_on_signup_up_to_a_cap_of_friends(app: TestApp) {
    // 500 MB of space each as points; at most 3 friends rewarded; a bonus at 2 friends
    // that does not take one of the 3.
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "points", "amount": 500, "currency": "PTS", "on": "signup"},
            "referee_reward": {"kind": "points", "amount": 500, "on": "signup"},
            "caps": {"per_advocate": {"period": "all_time", "max_rewards": 3}},
            "milestones": [{"referrals": 2, "period": "all_time",
                "reward": {"kind": "points", "amount": 1000}}],
        }))
        .await;
    assert_eq!(p["referrer_reward"]["on"], "signup");
    let a = app.advocate(&p, "drew@example.com").await;
    let code = &a["referral_code"];
    let mut advocate_points = vec![];
    for i in 1..=4 {
        let e = signup(&app, &p, code, &format!("friend{i}@example.net")).await;
        let referral = &e["referral"];
        assert_eq!(referral["status"], "rewarded", "friend {i}: {e}");
        let friend = rewards_of(&e, "referee");
        assert_eq!(friend.len(), 1, "every friend gets theirs: {e}");
        assert_eq!(friend[0]["amount"], 500);
        assert_eq!(friend[0]["currency"], "PTS");
        assert_eq!(friend[0]["trigger"], "signup");
        let mine: Vec<i64> = rewards_of(&e, "referrer")
            .iter()
            .map(|r| r["amount"].as_i64().unwrap())
            .collect();
        advocate_points.push(mine);
        if i == 4 {
            let skipped = referral["skipped_rewards"].as_array().unwrap();
            assert_eq!(skipped.len(), 1, "{e}");
            assert_eq!(skipped[0]["reason"], "advocate_cap");
            assert_eq!(skipped[0]["trigger"], "signup");
        }
    }
    // Friend 2 brings the milestone; friend 3 is still paid; friend 4 is over the cap.
    assert_eq!(
        advocate_points,
        vec![vec![500], vec![500, 1000], vec![500], vec![]]
    );
    // A later purchase earns nothing more: every rule pays on signup.
    let e = app
        .event(json!({"type": "purchase", "program_id": p["id"],
            "customer": {"email": "friend1@example.net"}, "order_id": "o1",
            "amount": 5000, "currency": "USD"}))
        .await;
    assert_eq!(e["rewards"], json!([]), "{e}");
    // The same signup again pays nothing twice.
    let again = signup(&app, &p, code, "friend1@example.net").await;
    assert_eq!(again["rewards"], json!([]), "{again}");
}

/// The coupon code shown on the friend page after the claim.
fn coupon_on_page(html: &str) -> Option<String> {
    let i = html.find("id=\"coupon\"")?;
    let rest = &html[i..];
    let v = rest.find("value=\"")? + 7;
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_owned())
}

/// A friend's browser opens the link (the friend page) and claims with `email`.
async fn claim(app: &TestApp, code: &str, email: &str) -> (String, String) {
    let page = app
        .client
        .get(app.url(&format!("/r/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the link leads to the friend page");
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    let click = cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"email\""), "the page asks the email");
    (claim_again(app, code, email, &click).await, click)
}

/// The same browser (its click) claims again.
async fn claim_again(app: &TestApp, code: &str, email: &str, click: &str) -> String {
    let resp = app
        .client
        .post(app.url(&format!("/r/{code}/claim")))
        .form(&[("email", email), ("click", click), ("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

async fn a_twenty_percent_coupon_on_arrival_pays_at_the_first_checkout_and_a_bonus_once(
    app: TestApp,
) {
    let p = app
        .program(json!({
            "hold_days": 14,
            "referrer_reward": null,
            "referee_reward": {"kind": "coupon", "currency": "USD", "on": "arrival",
                "coupon": {"discount_type": "percent_off", "percent": 20, "expires_in_days": 30}},
            "milestones": [{"referrals": 4, "period": "month",
                "reward": {"kind": "credit", "amount": 5000, "currency": "USD"}}],
            "friend_page": {"enabled": true, "coupon_link": "shopify"},
        }))
        .await;
    let a = app
        .post_ok(
            &format!(
                "/api/v1/programs/{}/participants",
                p["id"].as_str().unwrap()
            ),
            &json!({"email": "sara@example.com", "name": "Sara Haddad"}),
            201,
        )
        .await;
    let code = a["referral_code"].as_str().unwrap();
    let mut bonuses = 0;
    for i in 1..=5 {
        let email = format!("buyer{i}@example.net");
        let (html, click) = claim(&app, code, &email).await;
        assert!(html.contains("Sara invited you"), "{html}");
        let coupon = coupon_on_page(&html).unwrap_or_else(|| panic!("no coupon: {html}"));
        // The button carries the coupon to Shopify's discount link, and on to the shop
        // with ref and vouch_click.
        let shop = format!("https://shop.example.com/discount/{coupon}?redirect=");
        assert!(html.contains(&shop), "{html}");
        assert!(html.contains(&format!("vouch_click%3D{click}")), "{html}");
        // Claiming again from the same browser shows the same code: one per friend;
        // from another browser, an email alone reveals nothing.
        let again = claim_again(&app, code, &email, &click).await;
        assert_eq!(coupon_on_page(&again).as_deref(), Some(coupon.as_str()));
        let (elsewhere, _) = claim(&app, code, &email).await;
        assert!(coupon_on_page(&elsewhere).is_none(), "{elsewhere}");
        // The first checkout uses it; the coupon attributes it and is spent.
        let e = app
            .event(json!({"type": "purchase", "program_id": p["id"],
                "customer": {"email": email}, "coupon_code": coupon,
                "order_id": format!("o{i}"), "amount": 10000, "currency": "USD"}))
            .await;
        assert_eq!(e["referral"]["status"], "converted", "{e}");
        let used = rewards_of(&e, "referee");
        assert_eq!(used.len(), 1, "{e}");
        assert_eq!(used[0]["status"], "redeemed");
        assert_eq!(used[0]["percent_off"], 20);
        assert_eq!(used[0]["display"], "20% off");
        bonuses += rewards_of(&e, "referrer")
            .iter()
            .filter(|r| r["trigger"] == "milestone:0")
            .count();
        if i == 4 {
            assert_eq!(bonuses, 1, "the bonus on the fourth customer: {e}");
        }
    }
    assert_eq!(bonuses, 1, "paid once in the month");
    // A publishable key can do the same from a storefront: the answer carries the code
    // and nothing about risk.
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.pk)
        .json(
            &json!({"type": "arrival", "program_id": p["id"], "referral_code": code,
            "customer": {"email": "storefront@example.net"}}),
        )
        .send()
        .await
        .unwrap();
    let out = expect_json(resp, 201).await;
    assert_eq!(out["offer"]["status"], "issued", "{out}");
    assert!(out["offer"]["coupon_code"].as_str().is_some());
    assert!(out.get("referral").is_none(), "{out}");
    // The advocate claiming their own offer gets nothing.
    let (own, _) = claim(&app, code, "sara@example.com").await;
    assert!(coupon_on_page(&own).is_none(), "{own}");
    assert!(own.contains("not available"), "{own}");
}

/// Offers are claimed through the fraud checks: a second email from the same phone is
/// held for review (its coupon withheld); the first keeps theirs.
async fn one_device_cannot_collect_many_offers(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
            "referee_reward": {"kind": "coupon", "currency": "USD", "on": "arrival",
                "coupon": {"discount_type": "amount_off", "amount": 1500}},
        }))
        .await;
    let a = app.advocate(&p, "mo@example.com").await;
    let arrive = |email: &str| {
        json!({"type": "arrival", "program_id": p["id"], "referral_code": a["referral_code"],
            "customer": {"email": email}, "device_id": "dev-phone-1",
            "ip_address": "203.0.113.7",
            "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"})
    };
    let mut offers = vec![];
    for email in ["one@example.net", "two@example.org", "three@example.com"] {
        let resp = app
            .client
            .post(app.url("/api/v1/events"))
            .bearer_auth(&app.pk)
            .json(&arrive(email))
            .send()
            .await
            .unwrap();
        let out = expect_json(resp, 201).await;
        offers.push(out["offer"]["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(offers[0], "issued", "{offers:?}");
    assert!(
        offers[1..].iter().all(|o| o != "issued"),
        "one phone, one offer: {offers:?}"
    );
}

async fn arrival_coupons_come_from_a_pool_and_wait_when_it_is_empty(app: TestApp) {
    let p = app.program(json!({})).await;
    let pid = p["id"].as_str().unwrap();
    let pool = app
        .post_ok(
            &format!("/api/v1/programs/{pid}/coupon-pools"),
            &json!({"name": "Shopify codes", "codes": ["SHOP-FRIEND-1"]}),
            201,
        )
        .await;
    let patch = json!({
        "referee_reward": {"kind": "coupon", "currency": "USD", "on": "arrival",
            "coupon": {"discount_type": "amount_off", "amount": 1000, "pool_id": pool["id"]}},
        "friend_page": {"enabled": true},
    });
    let resp = app.patch(&format!("/api/v1/programs/{pid}"), &patch).await;
    assert_eq!(resp.status(), 200);
    let a = app.advocate(&p, "pia@example.com").await;
    let code = a["referral_code"].as_str().unwrap();
    let (first, _) = claim(&app, code, "first@example.net").await;
    assert_eq!(
        coupon_on_page(&first).as_deref(),
        Some("SHOP-FRIEND-1"),
        "{first}"
    );
    // The first checkout with the code pays the advocate and spends the code.
    let bought = app
        .event(json!({"type": "purchase", "program_id": p["id"],
            "customer": {"email": "first@example.net"}, "coupon_code": "SHOP-FRIEND-1",
            "order_id": "pool-1", "amount": 4000, "currency": "USD"}))
        .await;
    let paid = rewards_of(&bought, "referrer");
    assert_eq!(paid.len(), 1, "{bought}");
    assert_eq!(paid[0]["amount"], 1000);
    assert_eq!(rewards_of(&bought, "referee")[0]["status"], "redeemed");
    let (second, click) = claim(&app, code, "second@example.org").await;
    assert!(coupon_on_page(&second).is_none(), "{second}");
    assert!(
        second.contains("All codes for this offer are taken"),
        "{second}"
    );
    // More codes arrive: the waiting friend's code is issued.
    app.post_ok(
        &format!(
            "/api/v1/programs/{pid}/coupon-pools/{}/codes",
            pool["id"].as_str().unwrap()
        ),
        &json!({"codes": ["SHOP-FRIEND-2"]}),
        200,
    )
    .await;
    let again = claim_again(&app, code, "second@example.org", &click).await;
    assert_eq!(
        coupon_on_page(&again).as_deref(),
        Some("SHOP-FRIEND-2"),
        "{again}"
    );
}

async fn airbnb_pays_once_on_the_first_qualifying_trip(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "amount": 1500, "currency": "USD",
                "min_order_amount": 7500},
            "referee_reward": {"kind": "credit", "amount": 2500, "currency": "USD",
                "on": "arrival"},
        }))
        .await;
    let a = app.advocate(&p, "host@example.com").await;
    let click = app.click(a["referral_code"].as_str().unwrap()).await;
    let arrived = app
        .event(
            json!({"type": "arrival", "program_id": p["id"], "click_id": click,
            "customer": {"email": "guest@example.net"}}),
        )
        .await;
    let credit = rewards_of(&arrived, "referee");
    assert_eq!(credit.len(), 1, "{arrived}");
    assert_eq!(
        credit[0]["status"], "approved",
        "the travel credit is there at once"
    );
    assert_eq!(arrived["referral"]["status"], "clicked");
    let small = app
        .event(json!({"type": "purchase", "program_id": p["id"],
            "customer": {"email": "guest@example.net"}, "order_id": "trip-1",
            "amount": 3000, "currency": "USD"}))
        .await;
    assert_eq!(small["rewards"], json!([]), "{small}");
    assert_eq!(
        small["referral"]["status"], "clicked",
        "still waiting: {small}"
    );
    assert_eq!(
        small["referral"]["skipped_rewards"][0]["reason"],
        "min_order_amount"
    );
    assert_eq!(
        small["referral"]["waiting_because"]["reason"], "min_order_amount",
        "the referral says what it waits for"
    );
    let big = app
        .event(json!({"type": "purchase", "program_id": p["id"],
            "customer": {"email": "guest@example.net"}, "order_id": "trip-2",
            "amount": 12000, "currency": "USD"}))
        .await;
    assert_eq!(big["referral"]["status"], "rewarded", "{big}");
    assert_eq!(big["referral"]["waiting_because"], Value::Null);
    let paid = rewards_of(&big, "referrer");
    assert_eq!(paid.len(), 1, "{big}");
    assert_eq!(paid[0]["amount"], 1500);
    assert!(
        rewards_of(&big, "referee").is_empty(),
        "the friend's credit was given once"
    );
    let later = app
        .event(json!({"type": "purchase", "program_id": p["id"],
            "customer": {"email": "guest@example.net"}, "order_id": "trip-3",
            "amount": 20000, "currency": "USD"}))
        .await;
    assert_eq!(later["rewards"], json!([]), "paid once: {later}");
}

async fn small_orders_do_not_advance_the_tier(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "currency": "USD", "min_order_amount": 5000,
                "tiers": [{"from": 1, "to": 2, "amount": 1000}, {"from": 3, "amount": 2000}]},
            "referee_reward": null,
        }))
        .await;
    let a = app.advocate(&p, "tia@example.com").await;
    let mut paid = vec![];
    for (i, amount) in [8000, 2000, 8000, 8000].into_iter().enumerate() {
        let e = app
            .event(json!({"type": "purchase", "program_id": p["id"],
                "referral_code": a["referral_code"],
                "customer": {"email": format!("t{i}@example.net")},
                "order_id": format!("o{i}"), "amount": amount, "currency": "USD"}))
            .await;
        paid.push(
            rewards_of(&e, "referrer")
                .first()
                .map(|r| r["amount"].as_i64().unwrap()),
        );
    }
    // The small order is no conversion: the third customer is the second that counts.
    assert_eq!(paid, vec![Some(1000), None, Some(1000), Some(2000)]);
}

async fn a_custom_event_converts_and_pays_once(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD",
                "on": "event", "event": "app_installed"},
            "referee_reward": {"kind": "credit", "amount": 300, "currency": "USD",
                "on": "signup"},
        }))
        .await;
    let a = app.advocate(&p, "ivy@example.com").await;
    let s = signup(&app, &p, &a["referral_code"], "kid@example.net").await;
    assert_eq!(s["referral"]["status"], "signed_up", "{s}");
    assert_eq!(
        rewards_of(&s, "referee").len(),
        1,
        "the friend on signup: {s}"
    );
    assert!(rewards_of(&s, "referrer").is_empty());
    let installed = json!({"type": "custom", "event": "app_installed",
        "program_id": p["id"], "customer": {"email": "kid@example.net"}});
    let e = app.event(installed.clone()).await;
    assert_eq!(e["referral"]["status"], "rewarded", "{e}");
    let paid = rewards_of(&e, "referrer");
    assert_eq!(paid.len(), 1, "{e}");
    assert_eq!(paid[0]["trigger"], "event:app_installed");
    assert_eq!(app.event(installed).await["rewards"], json!([]));
    // Another event name pays nothing; a custom event needs its name.
    let other = app
        .event(json!({"type": "custom", "event": "trial_started",
            "program_id": p["id"], "customer": {"email": "kid@example.net"}}))
        .await;
    assert_eq!(other["rewards"], json!([]));
    let resp = app
        .post(
            "/api/v1/events",
            &json!({"type": "custom", "program_id": p["id"],
                "customer": {"email": "kid@example.net"}}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("event")).await;
    // A rule on an event must name it.
    let resp = app
        .post(
            "/api/v1/programs",
            &json!({"name": "x", "destination_url": "https://shop.example.com",
                "referrer_reward": {"kind": "credit", "amount": 1, "currency": "USD",
                    "on": "event"}}),
        )
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("referrer_reward.event"),
    )
    .await;
}

async fn refunds_are_told_apart_by_their_own_id(app: TestApp) {
    let p = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "percent": 10},
            "referee_reward": null,
        }))
        .await;
    let a = app.advocate(&p, "rae@example.com").await;
    app.event(json!({"type": "purchase", "program_id": p["id"],
        "referral_code": a["referral_code"], "customer": {"email": "r@example.net"},
        "order_id": "o1", "amount": 10000, "currency": "USD"}))
        .await;
    let refund = |extra: Value| {
        let mut body = json!({"type": "refund", "program_id": p["id"], "order_id": "o1",
            "amount": 2000, "currency": "USD"});
        crate::harness::merge(&mut body, extra);
        body
    };
    let first = app.event(refund(json!({}))).await;
    assert_eq!(first["rewards"][0]["reversed_amount"], 200, "{first}");
    // A second refund of the order without an id: a retry or another refund? Refused.
    let resp = app.post("/api/v1/events", &refund(json!({}))).await;
    expect_problem(resp, 409, "refund_ambiguous", Some("refund_id")).await;
    let second = app.event(refund(json!({"refund_id": "re_2"}))).await;
    assert_eq!(second["rewards"][0]["reversed_amount"], 400, "{second}");
    // The same refund id again is a retry: replayed, nothing changes.
    let resp = app
        .post("/api/v1/events", &refund(json!({"refund_id": "re_2"})))
        .await;
    assert_eq!(resp.headers()["idempotent-replayed"], "true");
    let rewards = app.get_ok("/api/v1/rewards").await;
    assert_eq!(rewards["data"][0]["reversed_amount"], 400);
    // Another amount without an id is another refund; then the rest, in full.
    let third = app.event(refund(json!({"amount": 1000}))).await;
    assert_eq!(third["rewards"][0]["reversed_amount"], 500, "{third}");
    let full = app
        .event(json!({"type": "refund", "program_id": p["id"], "order_id": "o1"}))
        .await;
    assert_eq!(full["rewards"][0]["status"], "reversed", "{full}");
}

async fn simulate_accepts_every_trigger(app: TestApp) {
    let p = app.program(json!({})).await;
    let pid = p["id"].as_str().unwrap();
    let body = json!({
        "config": {
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD", "on": "signup"},
            "referee_reward": {"kind": "credit", "amount": 500, "currency": "USD",
                "on": "event", "event": "account_verified"},
            "caps": {"per_advocate": {"period": "all_time", "max_rewards": 1}}
        },
        "events": [
            {"type": "signup", "advocate": "dana", "customer": "f1"},
            {"type": "custom", "event": "account_verified", "advocate": "dana", "customer": "f1"},
            {"type": "purchase", "advocate": "dana", "customer": "f1", "amount": 5000, "currency": "USD"},
            {"type": "signup", "advocate": "dana", "customer": "f2"}
        ]
    });
    let out = app
        .post_ok(&format!("/api/v1/programs/{pid}/simulate"), &body, 200)
        .await;
    let got: Vec<(String, String, i64)> = out["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["participant"].as_str().unwrap().to_owned(),
                r["trigger"].as_str().unwrap().to_owned(),
                r["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("dana".into(), "signup".into(), 1000),
            ("f1".into(), "event:account_verified".into(), 500),
        ],
        "{out}"
    );
    assert_eq!(out["skipped"][0]["reason"], "advocate_cap", "{out}");
}

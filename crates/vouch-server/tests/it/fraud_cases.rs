//! Fraud as it looks in real traffic, through the API on both backends: the honest
//! cases that must not be held (a household, an office, a campus range, a viral post,
//! strangers behind a carrier's address) and the attacks that must be flagged (a card
//! ring, a device farm over several accounts, email aliases, an unlisted disposable
//! domain, a code leaked under the daily limit, refunds after the hold, scripted
//! checkouts). What a browser's publishable key is told is checked last.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both;
use crate::fraud::{at, code, enroll, id, purchase, signal, signals, signup, with};
use crate::harness::TestApp;

both!(
    an_office_behind_one_nat_is_not_held,
    a_campus_range_and_a_carrier_address_are_not_held,
    a_viral_post_with_quick_buyers_is_not_held,
    a_card_shared_by_friends_of_two_advocates_is_a_ring,
    a_device_farm_over_several_accounts_is_flagged,
    email_aliases_and_look_alikes_are_the_advocate,
    an_unlisted_throwaway_domain_is_held,
    a_code_leaked_under_the_daily_limit_is_flagged,
    refunds_after_the_hold_put_the_advocates_friends_in_review,
    scripted_checkouts_are_flagged_with_the_column,
    a_publishable_key_learns_nothing_of_the_risk,
    clicks_keep_no_browser_string_or_referer_in_clear,
    a_friend_never_shares_a_device_with_themselves,
);

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

fn held_or_rejected(r: &Value) -> bool {
    !r["review"].is_null() || r["status"] == "rejected"
}

async fn an_office_behind_one_nat_is_not_held(app: TestApp) {
    let p = app.program(json!({})).await;
    let ctx = json!({"ip_address": "198.51.100.20", "user_agent": CHROME});
    let a = enroll(&app, &p, "lead@acme-corp.com", ctx.clone()).await;
    // Six colleagues sign up within the hour and buy, from the office NAT with the
    // corporate browser; each has their own laptop and card.
    for i in 0..6 {
        let e = app
            .event(with(
                purchase(
                    &p,
                    &format!("colleague{i}@acme-corp.com"),
                    &format!("of-{i}"),
                ),
                with(
                    ctx.clone(),
                    json!({"referral_code": code(&a), "device_id": format!("laptop-{i}"),
                           "payment_fingerprint": format!("card-{i}")}),
                ),
            ))
            .await;
        assert!(!held_or_rejected(&e["referral"]), "{e}");
        assert_eq!(e["referral"]["status"], "rewarded");
    }
}

async fn a_campus_range_and_a_carrier_address_are_not_held(app: TestApp) {
    let p = app.program(json!({})).await;
    let advocates = [
        enroll(
            &app,
            &p,
            "ana@uni.example.edu",
            json!({"ip_address": "192.0.2.10"}),
        )
        .await,
        enroll(
            &app,
            &p,
            "ben@uni.example.edu",
            json!({"ip_address": "192.0.2.11"}),
        )
        .await,
    ];
    // Students on one campus /24 in the evening, friends of two advocates.
    for i in 0..8 {
        let e = app
            .event(with(
                signup(&p, &format!("student{i}@uni.example.edu")),
                json!({"referral_code": code(&advocates[i % 2]),
                       "ip_address": format!("192.0.2.{}", 20 + i), "user_agent": IPHONE}),
            ))
            .await;
        assert!(!held_or_rejected(&e["referral"]), "{e}");
    }
    // Strangers of different advocates behind one carrier address (CGNAT).
    for i in 0..4 {
        let adv = enroll(&app, &p, &format!("adv{i}@example.com"), json!({})).await;
        let e = app
            .event(with(
                purchase(&p, &format!("mobile{i}@example.net"), &format!("cg-{i}")),
                json!({"referral_code": code(&adv), "ip_address": "203.0.113.99",
                       "user_agent": IPHONE, "payment_fingerprint": format!("m-card-{i}")}),
            ))
            .await;
        assert!(!held_or_rejected(&e["referral"]), "{e}");
    }
}

async fn a_viral_post_with_quick_buyers_is_not_held(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = enroll(&app, &p, "creator@example.com", json!({})).await;
    // Twenty followers in the hour from everywhere; three buy within seconds.
    for i in 0..20 {
        let click = app.click(code(&a)).await;
        let quick = i % 7 == 0;
        let e = app
            .event(with(
                purchase(&p, &format!("follower{i}@example.org"), &format!("v-{i}")),
                json!({"click_id": click, "occurred_at": at(if quick { 12 } else { 120 }),
                       "ip_address": format!("198.51.{}.{}", 10 + i, 7 + i), "user_agent": IPHONE}),
            ))
            .await;
        assert!(!held_or_rejected(&e["referral"]), "follower {i}: {e}");
    }
}

async fn a_card_shared_by_friends_of_two_advocates_is_a_ring(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = enroll(
        &app,
        &p,
        "ring1@example.com",
        json!({"payment_fingerprint": "own-1"}),
    )
    .await;
    let b = enroll(
        &app,
        &p,
        "ring2@example.com",
        json!({"payment_fingerprint": "own-2"}),
    )
    .await;
    let mut referrals = vec![];
    for i in 0..4 {
        let adv = if i % 2 == 0 { &a } else { &b };
        let e = app
            .event(with(
                purchase(&p, &format!("fake{i}@example.org"), &format!("ring-{i}")),
                json!({"referral_code": code(adv), "payment_fingerprint": "ring-card",
                       "ip_address": format!("203.0.113.{}", 40 + i)}),
            ))
            .await;
        referrals.push(e["referral"].clone());
    }
    let last = &referrals[3];
    assert_eq!(last["status"], "rejected", "{last}");
    assert_eq!(
        signal(last, "shared_payment")["explanation"],
        "shares a card with 3 other friends"
    );
    // The first of the ring, approved before the ring showed, waits for a person now.
    let first = app
        .get_ok(&format!("/api/v1/referrals/{}", id(&referrals[0])))
        .await;
    assert_eq!(first["review"], "pending", "{first}");
    // The review queue shows who is who, and its filters filter.
    let queue = app.get_ok("/api/v1/reviews?signal=shared_payment").await;
    let items = queue["data"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{queue}");
    let fake1 = items
        .iter()
        .find(|i| i["friend"]["email"] == "fake1@example.org")
        .unwrap_or_else(|| panic!("{queue}"));
    assert_eq!(fake1["advocate"]["email"], "ring2@example.com");
    assert!(signal(fake1, "shared_payment")["explanation"]
        .as_str()
        .unwrap()
        .starts_with("shares a card with"));
    assert_eq!(
        app_len(&app, "/api/v1/reviews?signal=code_leakage").await,
        0
    );
    let of_b = format!("/api/v1/reviews?participant_id={}", id(&b));
    assert_eq!(app_len(&app, &of_b).await, 1);
    assert_eq!(app_len(&app, "/api/v1/reviews?min_score=46").await, 0);
    assert_eq!(app_len(&app, "/api/v1/reviews?min_score=45").await, 2);
    let resp = app.get("/api/v1/reviews?signal=nonsense").await;
    crate::harness::expect_problem(resp, 422, "validation_failed", Some("signal")).await;
}

/// How many of the program's referrals wait for review or were rejected.
async fn held_and_rejected(app: &TestApp, p: &Value) -> usize {
    let reviewed = app_len(app, "/api/v1/reviews?limit=50").await;
    let rejected = format!(
        "/api/v1/referrals?program_id={}&status=rejected&limit=50",
        id(p)
    );
    reviewed + app_len(app, &rejected).await
}

async fn app_len(app: &TestApp, path: &str) -> usize {
    app.get_ok(path).await["data"].as_array().unwrap().len()
}

async fn a_device_farm_over_several_accounts_is_flagged(app: TestApp) {
    let p = app.program(json!({})).await;
    // Fake advocate accounts, each with two friends, all made on two phones.
    let mut flagged = 0;
    for i in 0..4 {
        let adv = enroll(&app, &p, &format!("farm{i}@example.com"), json!({})).await;
        for j in 0..2 {
            let e = app
                .event(with(
                    signup(&p, &format!("farm{i}-friend{j}@example.org")),
                    json!({"referral_code": code(&adv), "device_id": format!("phone-{}", j),
                           "ip_address": format!("203.0.113.{}", 60 + i)}),
                ))
                .await;
            if held_or_rejected(&e["referral"]) {
                flagged += 1;
            }
        }
    }
    // The first friend on each phone looks clean when it arrives; every later one is
    // flagged, and the first ones are held with them.
    assert_eq!(flagged, 6);
    assert_eq!(held_and_rejected(&app, &p).await, 8);
}

async fn email_aliases_and_look_alikes_are_the_advocate(app: TestApp) {
    let p = app.program(json!({})).await;
    for (mine, alias) in [
        ("maria@gmail.com", "m\u{0430}ria@gmail.com"),
        ("jane.doe@gmail.com", "JaneDoe+deal@googlemail.com"),
        ("kim@icloud.com", "kim@me.com"),
        ("sam@outlook.de", "sam+shop@outlook.de"),
        ("ivan@yandex.ru", "\u{ff49}van@ya.ru"),
    ] {
        let a = enroll(&app, &p, mine, json!({})).await;
        let e = app
            .event(with(
                purchase(&p, alias, &format!("alias-{mine}")),
                json!({"referral_code": code(&a)}),
            ))
            .await;
        let r = &e["referral"];
        assert_eq!(r["status"], "rejected", "{alias}: {e}");
        assert!(
            r["reason"] == "self_referral" || signals(r).contains(&"email_alias".to_owned()),
            "{alias}: {e}"
        );
    }
}

async fn an_unlisted_throwaway_domain_is_held(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = enroll(&app, &p, "sara@example.com", json!({})).await;
    for (email, code_name) in [
        ("x7@0-180.com", "disposable_email"),
        ("qq@mel-inbox-fly.icu", "throwaway_tld"),
        ("zz@fresh-tempmail-box.com", "disposable_email"),
    ] {
        let e = app
            .event(with(signup(&p, email), json!({"referral_code": code(&a)})))
            .await;
        assert_eq!(signals(&e["referral"]), [code_name], "{email}: {e}");
        assert_eq!(e["referral"]["review"], "pending", "{e}");
    }
    // Privacy relays are people: Sign in with Apple hides every address this way.
    let e = app
        .event(with(
            signup(&p, "k2x9p@privaterelay.appleid.com"),
            json!({"referral_code": code(&a)}),
        ))
        .await;
    assert!(!held_or_rejected(&e["referral"]), "{e}");
}

async fn a_code_leaked_under_the_daily_limit_is_flagged(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = enroll(&app, &p, "leaky@example.com", json!({})).await;
    // Four strangers a day type the code, for four days: never the daily limit (25).
    let mut first = Value::Null;
    let mut last = Value::Null;
    for day in 0..4 {
        for i in 0..4 {
            let when = app.after(if i == 0 && day > 0 { 20 * 3600 } else { 3600 });
            let e = app
                .event(with(
                    purchase(
                        &p,
                        &format!("deal{day}-{i}@example.net"),
                        &format!("lk-{day}-{i}"),
                    ),
                    json!({"referral_code": code(&a), "occurred_at": when}),
                ))
                .await;
            if first.is_null() {
                first = e["referral"].clone();
            }
            last = e["referral"].clone();
        }
    }
    assert!(
        signals(&last).contains(&"code_leakage".to_owned()),
        "{last}"
    );
    assert!(held_or_rejected(&last));
    let first = app
        .get_ok(&format!("/api/v1/referrals/{}", id(&first)))
        .await;
    assert_eq!(
        first["review"], "pending",
        "the leak's first uses are held too: {first}"
    );
}

async fn refunds_after_the_hold_put_the_advocates_friends_in_review(app: TestApp) {
    let p = app.program(json!({"hold_days": 1})).await;
    let a = enroll(&app, &p, "returns@example.com", json!({})).await;
    let mut referrals = vec![];
    for i in 0..4 {
        let e = app
            .event(with(
                purchase(&p, &format!("ret{i}@example.org"), &format!("rt-{i}")),
                json!({"referral_code": code(&a)}),
            ))
            .await;
        referrals.push(e["referral"].clone());
    }
    // The hold passes and the credit is approved (and spent).
    app.clock.advance(Duration::from_secs(2 * 86_400));
    let mut approved = false;
    for _ in 0..100 {
        let rewards = app
            .get_ok(&format!("/api/v1/rewards?participant_id={}", id(&a)))
            .await;
        if rewards["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["status"] == "approved")
        {
            approved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(approved, "the hold never ended");
    // Two friends return their orders inside the return window, after the hold.
    for i in 0..2 {
        let r = app
            .event(json!({"type": "refund", "program_id": p["id"], "order_id": format!("rt-{i}")}))
            .await;
        assert_eq!(r["referral"]["status"], "reversed", "{r}");
    }
    // The other two, already approved, go to review with the pattern.
    for r in &referrals[2..] {
        let now = app.get_ok(&format!("/api/v1/referrals/{}", id(r))).await;
        assert_eq!(now["review"], "pending", "{now}");
    }
    let refunded = app
        .get_ok(&format!("/api/v1/referrals/{}", id(&referrals[1])))
        .await;
    assert!(
        signals(&refunded).contains(&"refund_pattern".to_owned()),
        "{refunded}"
    );
    // A reviewer rejects one: its approved reward is reversed through the ledger.
    let before = crate::harness::balance(&app.participant(id(&a)).await, "USD");
    let rid = id(&referrals[2]).to_owned();
    app.post_ok(
        &format!("/api/v1/reviews/{rid}/reject"),
        &json!({"reason": "returns ring"}),
        200,
    )
    .await;
    let after = crate::harness::balance(&app.participant(id(&a)).await, "USD");
    assert_eq!(after.0, before.0 - 1000, "{before:?} -> {after:?}");
    let rewards = app
        .get_ok(&format!("/api/v1/rewards?participant_id={}", id(&a)))
        .await;
    let of_rejected: Vec<&Value> = rewards["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["referral_id"] == rid.as_str())
        .collect();
    assert_eq!(of_rejected.len(), 1, "{rewards}");
    assert_eq!(of_rejected[0]["status"], "reversed");
}

async fn scripted_checkouts_are_flagged_with_the_column(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = enroll(&app, &p, "bots@example.com", json!({})).await;
    let mut flagged = 0;
    for i in 0..8 {
        let click = app.click(code(&a)).await;
        let e = app
            .event(with(
                purchase(&p, &format!("acct{i}@example.org"), &format!("sc-{i}")),
                json!({"click_id": click, "occurred_at": at(4),
                       "ip_address": format!("203.0.113.{}", 100 + i), "user_agent": CHROME}),
            ))
            .await;
        if held_or_rejected(&e["referral"]) {
            flagged += 1;
            assert!(signals(&e["referral"]).contains(&"scripted_checkouts".to_owned()));
        }
    }
    // The column shows by the fifth (sooner here: one network range); the earlier
    // ones are held with it, the later ones pile up signals until they are rejected.
    assert!(flagged >= 4, "{flagged}");
    assert_eq!(held_and_rejected(&app, &p).await, 8);
}

async fn a_publishable_key_learns_nothing_of_the_risk(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = enroll(&app, &p, "sara@example.com", json!({})).await;
    app.post_ok(
        "/api/v1/block-list",
        &json!({"kind": "domain", "value": "mailinator.com"}),
        201,
    )
    .await;
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.pk)
        .json(&with(
            signup(&p, "x@mailinator.com"),
            json!({"referral_code": code(&a)}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["accepted"], true, "{body}");
    assert_eq!(body["type"], "signup");
    let text = body.to_string();
    for secret in ["risk", "signal", "block", "rejected", "referral", "reward"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The merchant's secret key sees the decision.
    let list = app
        .get_ok(&format!(
            "/api/v1/referrals?program_id={}&status=rejected",
            id(&p)
        ))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
}

async fn clicks_keep_no_browser_string_or_referer_in_clear(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = enroll(&app, &p, "sara@example.com", json!({})).await;
    let mut ids = vec![];
    for referer in [
        "https://www.retailmenot.com/view/shop.example.com",
        "https://web.whatsapp.com/",
    ] {
        let resp = app
            .client
            .get(app.url(&format!("/r/{}", code(&a))))
            .header("user-agent", IPHONE)
            .header("referer", referer)
            .send()
            .await
            .unwrap();
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        let url = reqwest::Url::parse(&location).unwrap();
        let click = url
            .query_pairs()
            .find(|(k, _)| k == "vouch_click")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        ids.push(vouch_domain::ids::ClickId::parse(&click).unwrap());
    }
    let mut stored = vec![];
    for id in &ids {
        for _ in 0..50 {
            if let Some(c) = app.store.get_click(id).await.unwrap() {
                stored.push(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(stored.len(), 2);
    for c in &stored {
        let ua = c.user_agent.as_deref().unwrap();
        assert!(!ua.contains("iPhone") && ua.len() == 32, "{ua}");
    }
    assert_eq!(stored[0].referer.as_deref(), Some("retailmenot.com"));
    assert_eq!(stored[1].referer, None, "only coupon sites are kept");
    // The coupon site still holds the friend who came from it.
    let click = ids[0].to_string();
    let e = app
        .event(with(
            signup(&p, "deal@example.org"),
            json!({"click_id": click}),
        ))
        .await;
    assert_eq!(signals(&e["referral"]), ["coupon_site"], "{e}");
}

/// A friend who signs up with an email and buys later under the merchant's id only is
/// one person, though the purchase brings no email to key them by.
async fn a_friend_never_shares_a_device_with_themselves(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = enroll(&app, &p, "sara@example.com", json!({})).await;
    let s = app
        .event(with(
            signup(&p, "nadia@example.org"),
            json!({"referral_code": code(&a), "device_id": "nadia-phone",
                   "customer": {"email": "nadia@example.org", "external_id": "cust-77"}}),
        ))
        .await;
    assert_eq!(signals(&s["referral"]), Vec::<String>::new(), "{s}");
    let e = app
        .event(json!({"type": "purchase", "program_id": p["id"],
            "customer": {"external_id": "cust-77"}, "order_id": "self-1",
            "amount": 5000, "currency": "USD", "device_id": "nadia-phone",
            "payment_fingerprint": "nadia-card"}))
        .await;
    assert_eq!(e["referral"]["id"], s["referral"]["id"], "{e}");
    assert_eq!(signals(&e["referral"]), Vec::<String>::new(), "{e}");
    assert_eq!(e["referral"]["status"], "rewarded");
}

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::both;
use crate::harness::{balance, expect_json, expect_problem, TestApp};

both!(
    click_signup_purchase_rewards_both_sides,
    same_order_twice_has_one_effect,
    idempotency_key_header_replays,
    refund_inside_hold_cancels_pending_rewards,
    refund_after_approval_reverses_with_a_ledger_entry,
    self_referral_is_rejected,
    click_too_old_is_rejected,
    code_attributes_when_there_is_no_click,
    hold_ends_through_the_background_job,
    referrals_and_rewards_are_listed_and_filtered,
    publishable_keys_may_only_record_signups,
    event_validation_names_the_field,
    unattributed_events_are_recorded,
    purchases_outside_the_schedule_earn_nothing,
);

fn at(offset_secs: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs))
        .format(&Rfc3339)
        .unwrap()
}

struct Setup {
    program: Value,
    advocate: Value,
}

async fn setup(app: &TestApp, extra: Value) -> Setup {
    let program = app.program(extra).await;
    let advocate = app.advocate(&program, "sara@example.com").await;
    Setup { program, advocate }
}

impl Setup {
    fn pid(&self) -> &str {
        self.program["id"].as_str().unwrap()
    }
    fn code(&self) -> &str {
        self.advocate["referral_code"].as_str().unwrap()
    }
    fn aid(&self) -> &str {
        self.advocate["id"].as_str().unwrap()
    }
    fn purchase(&self, email: &str, order: &str) -> Value {
        json!({"type": "purchase", "program_id": self.pid(), "customer": {"email": email},
               "order_id": order, "amount": 5000, "currency": "USD"})
    }
}

async fn click_signup_purchase_rewards_both_sides(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let click = app.click(s.code()).await;
    let signup = app
        .event(json!({"type": "signup", "program_id": s.pid(), "customer": {"email": "friend@x.com"}, "click_id": click}))
        .await;
    assert!(signup["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(signup["referral"]["status"], "signed_up");
    assert_eq!(signup["referral"]["referrer_participant_id"], s.aid());
    assert_eq!(signup["referral"]["source"], "click");
    assert_eq!(signup["rewards"], json!([]));
    // The purchase carries neither click nor code: the earlier signup attributes it.
    let purchase = app.event(s.purchase("Friend@X.com", "order-1")).await;
    let referral = &purchase["referral"];
    assert_eq!(referral["id"], signup["referral"]["id"]);
    assert_eq!(referral["status"], "rewarded", "no hold: approved at once");
    let rewards = purchase["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 2);
    let referrer = rewards.iter().find(|r| r["role"] == "referrer").unwrap();
    let referee = rewards.iter().find(|r| r["role"] == "referee").unwrap();
    assert_eq!(
        (referrer["amount"].as_i64(), referrer["currency"].as_str()),
        (Some(1000), Some("USD"))
    );
    assert_eq!(referrer["participant_id"], s.aid());
    assert_eq!(referrer["kind"], "credit");
    assert_eq!(referrer["status"], "approved");
    assert_eq!(referee["amount"], 500);
    // Each reward explains itself: the rule as it was, and what it was applied to.
    assert_eq!(
        referrer["rule"],
        json!({"kind": "credit", "amount": 1000, "currency": "USD"})
    );
    assert_eq!(referrer["inputs"]["order_id"], "order-1");
    assert_eq!(referrer["inputs"]["order_amount"], 5000);
    assert_eq!(referrer["inputs"]["attribution"], "click");
    assert_eq!(referrer["inputs"]["event_id"], purchase["id"]);
    // The friend became a participant with a code of their own, and holds the reward.
    let friend_id = referral["referee_participant_id"].as_str().unwrap();
    assert_eq!(referee["participant_id"], friend_id);
    let friend = app.participant(friend_id).await;
    assert_eq!(friend["email"], "Friend@X.com");
    assert_eq!(balance(&friend, "USD"), (500, 0));
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (1000, 0));
    // The friend can refer in turn.
    let their_click = app.click(friend["referral_code"].as_str().unwrap()).await;
    let next = app
        .event(json!({"type": "purchase", "program_id": s.pid(), "customer": {"email": "third@x.com"}, "click_id": their_click, "order_id": "order-2"}))
        .await;
    assert_eq!(next["referral"]["referrer_participant_id"], friend_id);
    // A second purchase by the same friend earns nothing more.
    let again = app.event(s.purchase("friend@x.com", "order-3")).await;
    assert_eq!(again["referral"]["status"], "rewarded");
    assert_eq!(again["rewards"], json!([]));
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (1000, 0));
}

async fn same_order_twice_has_one_effect(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let mut body = s.purchase("friend@x.com", "order-9");
    body["referral_code"] = json!(s.code());
    let first = app.post("/api/v1/events", &body).await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = expect_json(first, 201).await;
    for _ in 0..3 {
        let resp = app.post("/api/v1/events", &body).await;
        assert_eq!(resp.headers()["idempotent-replayed"], "true");
        assert_eq!(expect_json(resp, 201).await, first);
    }
    let rewards = app
        .get_ok(&format!("/api/v1/rewards?program_id={}", s.pid()))
        .await;
    assert_eq!(rewards["data"].as_array().unwrap().len(), 2);
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (1000, 0));
}

async fn idempotency_key_header_replays(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let body = json!({"type": "signup", "program_id": s.pid(), "customer": {"email": "f@x.com"}, "referral_code": s.code()});
    let send = || {
        app.client
            .post(app.url("/api/v1/events"))
            .bearer_auth(&app.sk)
            .header("idempotency-key", "signup-f-1")
            .json(&body)
            .send()
    };
    let a = expect_json(send().await.unwrap(), 201).await;
    let b = expect_json(send().await.unwrap(), 201).await;
    assert_eq!(a, b);
}

async fn refund_inside_hold_cancels_pending_rewards(app: TestApp) {
    let s = setup(&app, json!({"hold_days": 14})).await;
    let mut body = s.purchase("friend@x.com", "order-r");
    body["referral_code"] = json!(s.code());
    let purchase = app.event(body).await;
    assert_eq!(purchase["referral"]["status"], "converted");
    assert!(purchase["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "pending"));
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (0, 1000));
    let refund = app
        .event(json!({"type": "refund", "program_id": s.pid(), "order_id": "order-r"}))
        .await;
    assert_eq!(refund["referral"]["status"], "reversed");
    let rewards = refund["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 2);
    assert!(rewards.iter().all(|r| r["status"] == "cancelled"));
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (0, 0));
    // The same refund again changes nothing.
    let again = app
        .event(json!({"type": "refund", "program_id": s.pid(), "order_id": "order-r"}))
        .await;
    assert_eq!(again, refund);
}

async fn refund_after_approval_reverses_with_a_ledger_entry(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let mut body = s.purchase("friend@x.com", "order-a");
    body["referral_code"] = json!(s.code());
    app.event(body).await;
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (1000, 0));
    let refund = app
        .event(json!({"type": "refund", "program_id": s.pid(), "order_id": "order-a"}))
        .await;
    assert!(refund["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "reversed"));
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (0, 0));
    let reversed = app.get_ok("/api/v1/rewards?status=reversed").await;
    assert_eq!(reversed["data"].as_array().unwrap().len(), 2);
}

async fn self_referral_is_rejected(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let click = app.click(s.code()).await;
    // Same person, differently written (gmail ignores dots and +tags).
    let gmail = app.advocate(&s.program, "jane.doe@gmail.com").await;
    let gcode = gmail["referral_code"].as_str().unwrap();
    let e = app
        .event(json!({"type": "purchase", "program_id": s.pid(), "customer": {"email": "JaneDoe+x@gmail.com"}, "referral_code": gcode, "order_id": "g1"}))
        .await;
    assert_eq!(e["referral"]["status"], "rejected");
    assert_eq!(e["referral"]["reason"], "self_referral");
    assert_eq!(e["rewards"], json!([]));
    let e = app
        .event(json!({"type": "signup", "program_id": s.pid(), "customer": {"email": "SARA@example.com"}, "click_id": click}))
        .await;
    assert_eq!(e["referral"]["reason"], "self_referral");
    // Same external id.
    let path = format!("/api/v1/programs/{}/participants", s.pid());
    let ext = app
        .post_ok(
            &path,
            &json!({"email": "owner@shop.com", "external_id": "cust-42"}),
            201,
        )
        .await;
    let e = app
        .event(json!({"type": "purchase", "program_id": s.pid(), "customer": {"email": "other@shop.com", "external_id": "cust-42"}, "referral_code": ext["referral_code"], "order_id": "x1"}))
        .await;
    assert_eq!(e["referral"]["reason"], "self_referral");
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (0, 0));
    let rejected = app.get_ok("/api/v1/referrals?status=rejected").await;
    assert_eq!(rejected["data"].as_array().unwrap().len(), 3);
}

async fn click_too_old_is_rejected(app: TestApp) {
    let s = setup(&app, json!({"attribution_window_days": 1})).await;
    let click = app.click(s.code()).await;
    let mut body = s.purchase("late@x.com", "late-1");
    body["click_id"] = json!(click);
    body["occurred_at"] = json!(app.after(2 * 86400));
    let e = app.event(body).await;
    assert_eq!(e["referral"]["status"], "rejected");
    assert_eq!(e["referral"]["reason"], "outside_window");
    assert_eq!(e["rewards"], json!([]));
    // Inside the window: fine.
    let click = app.click(s.code()).await;
    let mut body = s.purchase("ontime@x.com", "ontime-1");
    body["click_id"] = json!(click);
    body["occurred_at"] = json!(app.after(3600));
    let e = app.event(body).await;
    assert_eq!(e["referral"]["status"], "rewarded");
    // Signed up in time, bought after the window closed.
    let click = app.click(s.code()).await;
    app.event(json!({"type": "signup", "program_id": s.pid(), "customer": {"email": "slow@x.com"}, "click_id": click}))
        .await;
    let mut body = s.purchase("slow@x.com", "slow-1");
    body["occurred_at"] = json!(app.after(3 * 86400));
    let e = app.event(body).await;
    assert_eq!(e["referral"]["reason"], "outside_window");
}

async fn code_attributes_when_there_is_no_click(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let other = app.advocate(&s.program, "omar@example.com").await;
    let omar_click = app.click(other["referral_code"].as_str().unwrap()).await;
    // The click id is stronger than the code.
    let e = app
        .event(json!({"type": "signup", "program_id": s.pid(), "customer": {"external_id": "c-1"}, "click_id": omar_click, "referral_code": s.code()}))
        .await;
    assert_eq!(e["referral"]["referrer_participant_id"], other["id"]);
    let e = app
        .event(json!({"type": "signup", "program_id": s.pid(), "customer": {"external_id": "c-2"}, "referral_code": s.code().to_lowercase()}))
        .await;
    assert_eq!(e["referral"]["referrer_participant_id"], s.aid());
    assert_eq!(e["referral"]["source"], "referral_code");
    // The customer's attribution is decided once: a later code does not steal them.
    let e = app
        .event(json!({"type": "purchase", "program_id": s.pid(), "customer": {"external_id": "c-1"}, "referral_code": s.code(), "order_id": "c1-o"}))
        .await;
    assert_eq!(e["referral"]["referrer_participant_id"], other["id"]);
    assert_eq!(e["rewards"].as_array().unwrap().len(), 2);
}

async fn hold_ends_through_the_background_job(app: TestApp) {
    let s = setup(&app, json!({"hold_days": 1})).await;
    // A purchase made almost a day ago: its hold ends in two seconds, when the job runs.
    let mut body = s.purchase("friend@x.com", "held-1");
    body["referral_code"] = json!(s.code());
    body["occurred_at"] = json!(at(-86400 + 2));
    let e = app.event(body).await;
    assert!(e["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "pending"));
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (0, 1000));
    let p = app
        .wait_participant(s.aid(), |p| balance(p, "USD") == (1000, 0))
        .await;
    assert_eq!(balance(&p, "USD"), (1000, 0));
    // Each side's reward has its own job: the referral is rewarded once both ran.
    let path = format!(
        "/api/v1/referrals/{}",
        e["referral"]["id"].as_str().unwrap()
    );
    let mut referral = app.get_ok(&path).await;
    for _ in 0..100 {
        if referral["status"] == "rewarded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        referral = app.get_ok(&path).await;
    }
    assert_eq!(referral["status"], "rewarded");
    // A purchase whose hold is still running stays pending.
    let mut body = s.purchase("later@x.com", "held-2");
    body["referral_code"] = json!(s.code());
    let e = app.event(body).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let r = app
        .get_ok(&format!(
            "/api/v1/rewards/{}",
            e["rewards"][0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r["status"], "pending");
}

async fn referrals_and_rewards_are_listed_and_filtered(app: TestApp) {
    let s = setup(&app, json!({})).await;
    for i in 0..3 {
        app.event(json!({"type": "purchase", "program_id": s.pid(), "customer": {"email": format!("f{i}@x.com")}, "referral_code": s.code(), "order_id": format!("o{i}")}))
            .await;
    }
    app.event(json!({"type": "signup", "program_id": s.pid(), "customer": {"email": "g@x.com"}, "referral_code": s.code()}))
        .await;
    let all = app
        .get_ok(&format!("/api/v1/referrals?program_id={}", s.pid()))
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 4);
    let signed = app.get_ok("/api/v1/referrals?status=signed_up").await;
    assert_eq!(signed["data"].as_array().unwrap().len(), 1);
    let page = app
        .get_ok(&format!(
            "/api/v1/referrals?participant_id={}&limit=3",
            s.aid()
        ))
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
    let rest = app
        .get_ok(&format!(
            "/api/v1/referrals?participant_id={}&limit=3&cursor={}",
            s.aid(),
            page["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    let mine = app
        .get_ok(&format!("/api/v1/rewards?participant_id={}", s.aid()))
        .await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 3);
    assert!(mine["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["role"] == "referrer"));
    let approved = app
        .get_ok("/api/v1/rewards?status=approved&limit=100")
        .await;
    assert_eq!(approved["data"].as_array().unwrap().len(), 6);
    expect_problem(
        app.get("/api/v1/rewards?status=lost").await,
        422,
        "validation_failed",
        Some("status"),
    )
    .await;
    expect_problem(
        app.get("/api/v1/referrals?program_id=nope").await,
        422,
        "validation_failed",
        Some("program_id"),
    )
    .await;
    expect_problem(
        app.get("/api/v1/rewards/rwd_00000000000000000000000000")
            .await,
        404,
        "not_found",
        None,
    )
    .await;
}

async fn publishable_keys_may_only_record_signups(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let signup = json!({"type": "signup", "program_id": s.pid(), "customer": {"email": "f@x.com"}, "referral_code": s.code()});
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.pk)
        .json(&signup)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let resp = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&app.pk)
        .json(&s.purchase("f@x.com", "o"))
        .send()
        .await
        .unwrap();
    expect_problem(resp, 403, "secret_key_required", None).await;
    assert_eq!(balance(&app.participant(s.aid()).await, "USD"), (0, 0));
}

async fn event_validation_names_the_field(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let pid = s.pid();
    let cases = [
        (json!({"type": "purchase", "program_id": pid}), "customer"),
        (
            json!({"type": "purchase", "program_id": pid, "customer": {"email": "nope"}}),
            "customer.email",
        ),
        (json!({"type": "refund", "program_id": pid}), "order_id"),
        (
            json!({"type": "gift", "program_id": pid, "customer": {"email": "a@b.co"}}),
            "type",
        ),
        (
            json!({"type": "purchase", "program_id": "prg_x", "customer": {"email": "a@b.co"}}),
            "program_id",
        ),
        (
            json!({"type": "purchase", "program_id": pid, "customer": {"email": "a@b.co"}, "amount": 10}),
            "currency",
        ),
        (
            json!({"type": "purchase", "program_id": pid, "customer": {"email": "a@b.co"}, "amount": -1, "currency": "USD"}),
            "amount",
        ),
        (
            json!({"type": "purchase", "program_id": pid, "customer": {"email": "a@b.co"}, "amount": 1, "currency": "ABC"}),
            "currency",
        ),
        (
            json!({"type": "purchase", "program_id": pid, "customer": {"email": "a@b.co"}, "occurred_at": "yesterday"}),
            "occurred_at",
        ),
        (
            json!({"type": "purchase", "program_id": pid, "customer": {"email": "a@b.co"}, "click_id": "x"}),
            "click_id",
        ),
        (
            json!({"type": "purchase", "program_id": pid, "customer": {"email": "a@b.co"}, "amount": "5"}),
            "amount",
        ),
        (
            json!({"program_id": pid, "customer": {"email": "a@b.co"}}),
            "type",
        ),
    ];
    for (body, field) in cases {
        let resp = app.post("/api/v1/events", &body).await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
    let referrals = app.get_ok("/api/v1/referrals").await;
    assert_eq!(referrals["data"], json!([]), "refused events wrote nothing");
}

async fn unattributed_events_are_recorded(app: TestApp) {
    let s = setup(&app, json!({})).await;
    let e = app.event(s.purchase("organic@x.com", "org-1")).await;
    assert!(e["referral"].is_null());
    assert_eq!(e["rewards"], json!([]));
    // An existing customer who bought without a referral is not "referred" later.
    let mut body = s.purchase("organic@x.com", "org-2");
    body["referral_code"] = json!(s.code());
    let e = app.event(body).await;
    assert_eq!(e["referral"]["reason"], "existing_customer", "{e}");
    assert_eq!(e["rewards"], json!([]));
    // Unknown codes and click ids attribute nothing and fail nothing.
    let e = app
        .event(json!({"type": "signup", "program_id": s.pid(), "customer": {"email": "z@x.com"}, "referral_code": "NOPE123", "click_id": "clk_00000000000000000000000000"}))
        .await;
    assert!(e["referral"].is_null());
    let refund = app
        .event(json!({"type": "refund", "program_id": s.pid(), "order_id": "never-seen"}))
        .await;
    assert!(refund["referral"].is_null());
}

async fn purchases_outside_the_schedule_earn_nothing(app: TestApp) {
    let s = setup(
        &app,
        json!({"starts_at": at(-10 * 86400), "ends_at": at(-86400)}),
    )
    .await;
    assert!(s.program["ends_at"].as_str().is_some());
    let mut body = s.purchase("late@x.com", "late-1");
    body["referral_code"] = json!(s.code());
    let e = app.event(body).await;
    assert_eq!(e["referral"]["status"], "rejected");
    assert_eq!(e["referral"]["reason"], "outside_schedule");
    assert_eq!(e["rewards"], json!([]));
    // Dated inside the schedule, the same kind of purchase is rewarded.
    let mut body = s.purchase("early@x.com", "early-1");
    body["referral_code"] = json!(s.code());
    body["occurred_at"] = json!(at(-5 * 86400));
    let e = app.event(body).await;
    assert_eq!(e["referral"]["status"], "rewarded");
    // Lifting the end date through PATCH opens it again.
    let path = format!("/api/v1/programs/{}", s.pid());
    let p = expect_json(app.patch(&path, &json!({"ends_at": null})).await, 200).await;
    assert!(p["ends_at"].is_null());
    let mut body = s.purchase("now@x.com", "now-1");
    body["referral_code"] = json!(s.code());
    assert_eq!(app.event(body).await["referral"]["status"], "rewarded");
    let resp = app.patch(&path, &json!({"ends_at": at(-20 * 86400)})).await;
    expect_problem(resp, 422, "validation_failed", Some("ends_at")).await;
    let resp = app.patch(&path, &json!({"starts_at": "soon"})).await;
    expect_problem(resp, 422, "validation_failed", Some("starts_at")).await;
}

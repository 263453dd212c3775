use serde_json::{json, Value};

use crate::both;
use crate::harness::{expect_problem, TestApp};

both!(
    simulated_events_show_tiers_caps_and_totals_without_writing,
    simulation_names_bad_config_fields,
    backtest_compares_proposed_rules_with_what_was_paid,
    backtest_of_the_current_rules_reproduces_what_was_paid,
);

fn find<'a>(rewards: &'a [Value], participant: &str, role: &str) -> Vec<&'a Value> {
    rewards
        .iter()
        .filter(|r| r["participant"] == participant && r["role"] == role)
        .collect()
}

async fn simulated_events_show_tiers_caps_and_totals_without_writing(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let body = json!({
        "config": {
            "referrer_reward": {"kind": "credit", "currency": "USD", "tiers": [
                {"from": 1, "to": 2, "amount": 1000}, {"from": 3, "amount": 2500}]},
            "referee_reward": {"kind": "credit", "percent": 10, "max_amount": 700},
            "caps": {"per_advocate": {"period": "all_time", "max_rewards": 3}}
        },
        "events": [
            {"advocate": "alice", "customer": "f1", "amount": 5000, "currency": "USD"},
            {"advocate": "alice", "customer": "f2", "amount": 20000, "currency": "USD"},
            {"advocate": "alice", "customer": "f3", "amount": 5000, "currency": "USD"},
            {"advocate": "alice", "customer": "f4", "amount": 5000, "currency": "USD"},
            {"advocate": "alice", "customer": "f1", "amount": 5000, "currency": "USD"}
        ]
    });
    let out = app
        .post_ok(&format!("/api/v1/programs/{pid}/simulate"), &body, 200)
        .await;
    assert_eq!(out["mode"], "events");
    let rewards = out["rewards"].as_array().unwrap();
    let alice: Vec<i64> = find(rewards, "alice", "referrer")
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .collect();
    // Tiers 1, 1, then 2500 on the third; the fourth is over the cap; the fifth is a
    // repeat purchase, which the rule does not pay.
    assert_eq!(alice, vec![1000, 1000, 2500]);
    let f2 = find(rewards, "f2", "referee");
    assert_eq!(f2[0]["amount"], 700, "10% of 200.00 capped at 7.00");
    assert_eq!(f2[0]["explanation"]["capped_at"], 700);
    let skipped = out["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["reason"], "advocate_cap");
    assert_eq!(skipped[0]["event_index"], 3);
    let usd = out["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["currency"] == "USD")
        .unwrap();
    assert_eq!(usd["amount"], 1000 + 1000 + 2500 + 500 + 700 + 500 + 500);
    // Nothing was written: the program is unchanged and has no rewards.
    let p = app.get_ok(&format!("/api/v1/programs/{pid}")).await;
    assert_eq!(p["version"], program["version"]);
    let r = app.get_ok("/api/v1/rewards").await;
    assert_eq!(r["data"], json!([]));
}

async fn simulation_names_bad_config_fields(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let path = format!("/api/v1/programs/{pid}/simulate");
    let resp = app
        .post(
            &path,
            &json!({"config": {"referrer_reward": {"kind": "credit", "percent": 101}},
                    "events": []}),
        )
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("config.referrer_reward.percent"),
    )
    .await;
    let resp = app
        .post(
            &path,
            &json!({"config": {"referrer_reward": {"kind": "credit", "currency": "USD", "tiers": [
                {"from": 1, "to": 3, "amount": 1}, {"from": 2, "amount": 2}]}}, "events": []}),
        )
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("config.referrer_reward.tiers[1].from"),
    )
    .await;
    let resp = app.post(&path, &json!({})).await;
    expect_problem(resp, 422, "validation_failed", Some("events")).await;
}

async fn backtest_compares_proposed_rules_with_what_was_paid(app: TestApp) {
    // The harness's default program pays the referrer 10.00 and the friend 5.00.
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap();
    let advocate = app.advocate(&program, "sara@example.com").await;
    let code = advocate["referral_code"].as_str().unwrap();
    for (i, amount) in [4000, 12000].iter().enumerate() {
        app.event(json!({"type": "purchase", "program_id": pid,
            "customer": {"email": format!("friend{i}@x.com")}, "referral_code": code,
            "order_id": format!("o{i}"), "amount": amount, "currency": "USD"}))
            .await;
    }
    let out = app
        .post_ok(
            &format!("/api/v1/programs/{pid}/simulate"),
            &json!({
                "config": {"referrer_reward": {"kind": "cash", "percent": 10},
                           "referee_reward": null},
                "backtest": {"from": "2000-01-01T00:00:00Z"}
            }),
            200,
        )
        .await;
    assert_eq!(out["mode"], "backtest");
    assert_eq!(out["events"], 2);
    let total = |v: &Value| -> i64 {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|t| t["currency"] == "USD")
            .map(|t| t["amount"].as_i64().unwrap())
            .sum()
    };
    let current = expect_json_field(&out, "current");
    assert_eq!(total(&out["totals"]), 400 + 1200);
    let created = total(&current["created"]);
    assert!(
        created > 0,
        "the current rules paid both conversions: {out}"
    );
    assert_eq!(total(&out["difference"]), 1600 - created);
    assert!(out["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["event_id"].as_str().unwrap().starts_with("evt_")));
}

fn expect_json_field<'a>(v: &'a Value, field: &str) -> &'a Value {
    let f = &v[field];
    assert!(!f.is_null(), "{field} missing in {v}");
    f
}

/// The live path and the simulator share the questions, the facts and the decision:
/// replaying the program's own payments under its own rules gives every reward the
/// live path gave, and refuses what it refused, with tiers, a milestone, a cap and a
/// budget all in play.
async fn backtest_of_the_current_rules_reproduces_what_was_paid(app: TestApp) {
    let usd = "USD";
    let program = app
        .program(json!({
            "referrer_reward": {"kind": "credit", "currency": usd, "tiers": [
                {"from": 1, "to": 2, "amount": 1000}, {"from": 3, "amount": 2500}]},
            "referee_reward": {"kind": "credit", "percent": 10, "max_amount": 700},
            "milestones": [{"referrals": 3, "period": "month",
                "reward": {"kind": "credit", "amount": 4000, "currency": usd}}],
            "caps": {"per_advocate": {"period": "month", "max_rewards": 4},
                     "budget": {"amount": 20000, "currency": usd}},
            "fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000,
                      "max_code_referrals_per_day": 1000},
        }))
        .await;
    let pid = program["id"].as_str().unwrap();
    let a = app.advocate(&program, "a@example.com").await;
    let b = app.advocate(&program, "b@example.com").await;
    let mut live_skips = 0;
    for i in 0..9 {
        let adv = if i % 3 == 2 { &b } else { &a };
        let e = app
            .event(json!({"type": "purchase", "program_id": pid,
                "customer": {"email": format!("friend{i}@x.com")},
                "referral_code": adv["referral_code"], "order_id": format!("o{i}"),
                "amount": 3000 + 1000 * i, "currency": "USD"}))
            .await;
        live_skips += e["referral"]["skipped_rewards"].as_array().unwrap().len();
    }
    let out = app
        .post_ok(
            &format!("/api/v1/programs/{pid}/simulate"),
            &json!({"backtest": {"from": "2000-01-01T00:00:00Z"}}),
            200,
        )
        .await;
    assert_eq!(out["events"], 9);
    let usd_total = |v: &Value| -> (i64, i64) {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|t| t["currency"] == "USD")
            .map(|t| {
                (
                    t["amount"].as_i64().unwrap(),
                    t["rewards"].as_i64().unwrap(),
                )
            })
            .fold((0, 0), |s, x| (s.0 + x.0, s.1 + x.1))
    };
    let created = usd_total(&out["current"]["created"]);
    assert!(live_skips > 0, "the limits refused something live: {out}");
    assert_eq!(usd_total(&out["totals"]), created, "{out}");
    assert_eq!(
        out["skipped"].as_array().unwrap().len(),
        live_skips,
        "{out}"
    );
    assert!(
        out["difference"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["amount"] == 0),
        "{out}"
    );
}

//! The leaderboard over days the rollups hold and minutes they do not yet: an advocate
//! outside the rollups' top but ahead with the latest raw rows takes the lead, on both
//! backends.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::TestApp;

crate::both!(
    the_leaderboard_merges_rollups_with_todays_rows,
    a_month_leaderboard_leaves_out_the_days_before_its_start
);

async fn the_leaderboard_merges_rollups_with_todays_rows(app: TestApp) {
    let program = app
        .program(
            json!({"fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000,
            "max_code_referrals_per_day": 1000, "max_code_referrals_per_week": 1000}}),
        )
        .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/programs/{pid}/participants");
    let mut ids = vec![];
    let mut codes = vec![];
    for (email, name) in [
        ("ann@example.com", "Ann Lee"),
        ("bob@example.com", "Bob Stone"),
        ("dee@example.com", "Dee Park"),
    ] {
        let p = app
            .post_ok(&path, &json!({"email": email, "name": name}), 201)
            .await;
        ids.push(p["id"].clone());
        codes.push(p["referral_code"].clone());
    }
    let mut n = 0;
    let mut buy = |who: usize, at: Option<String>| {
        n += 1;
        let mut body = json!({"type": "purchase", "program_id": pid, "order_id": format!("o-{n}"),
            "amount": 2000, "currency": "USD", "referral_code": codes[who],
            "customer": {"email": format!("friend{n}@example.net")}});
        if let Some(at) = at {
            body["occurred_at"] = json!(at);
        }
        body
    };
    // Five days ago (rolled up), the server's clock then too, so the rewards fall on
    // that day as well: Ann 3, Dee 3, Bob 1.
    let today = app.clock.now();
    app.clock.set_to(today - 5 * 86_400_000);
    let mut bodies: Vec<Value> = vec![];
    for who in [0, 0, 0, 2, 2, 2, 1] {
        bodies.push(buy(who, None));
    }
    for b in bodies.drain(..) {
        app.event(b).await;
    }
    // Back to today, past the rollups' margin: they come to hold that day.
    app.clock.set_to(today + 300_000);
    let posted = vouch_domain::views::rfc3339(today);
    let mut settled = false;
    for _ in 0..100 {
        let s = app.get_ok("/api/v1/analytics/status").await;
        let r = app
            .get_ok(&format!("/api/v1/analytics/report?program_id={pid}"))
            .await;
        if s["pending_days"] == 0
            && s["settled_to"].as_str() > Some(posted.as_str())
            && r["totals"]["conversions"] == 7
        {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(settled, "the rollups never caught up");
    // Now (raw rows): Bob 3 more. Asked for the top one, the rollups give their top
    // two (Ann, Dee) and Bob's own rolled-up figures: he leads with 4.
    for who in [1, 1, 1] {
        bodies.push(buy(who, None));
    }
    for b in bodies.drain(..) {
        app.event(b).await;
    }
    let top = app
        .get_ok(&format!(
            "/api/v1/analytics/leaderboard?program_id={pid}&limit=1"
        ))
        .await;
    assert_eq!(top["data"][0]["participant_id"], ids[1], "{top}");
    assert_eq!(top["data"][0]["conversions"], 4, "{top}");
    let all = app
        .get_ok(&format!("/api/v1/analytics/leaderboard?program_id={pid}"))
        .await;
    let got: Vec<_> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["participant_id"].clone(),
                r["conversions"].clone(),
                r["rank"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (ids[1].clone(), json!(4), json!(1)),
            (ids[0].clone(), json!(3), json!(2)),
            (ids[2].clone(), json!(3), json!(2)),
        ],
        "{all}"
    );
    let by_revenue = app
        .get_ok(&format!(
            "/api/v1/analytics/leaderboard?program_id={pid}&by=revenue&limit=2"
        ))
        .await;
    assert_eq!(by_revenue["data"][0]["net_revenue"], 8000, "{by_revenue}");
    assert_eq!(by_revenue["data"][1]["net_revenue"], 6000, "{by_revenue}");

    // All time: the same here; this month: the rolled-up day only if it is this month.
    let all_time = app
        .get_ok(&format!(
            "/api/v1/analytics/leaderboard?program_id={pid}&period=all_time"
        ))
        .await;
    assert_eq!(all_time["data"], all["data"]);
    let month = app
        .get_ok(&format!(
            "/api/v1/analytics/leaderboard?program_id={pid}&period=this_month"
        ))
        .await;
    let now_day = app.clock.now().div_euclid(86_400_000);
    let past_day = now_day - 5;
    let same_month = vouch_domain::analytics::month_start(now_day) <= past_day;
    let bob = if same_month { 4 } else { 3 };
    assert_eq!(month["data"][0]["participant_id"], ids[1], "{month}");
    assert_eq!(month["data"][0]["conversions"], bob, "{month}");
    assert_eq!(
        month["data"].as_array().unwrap().len(),
        if same_month { 3 } else { 1 },
        "{month}"
    );
    crate::harness::expect_problem(
        app.get(&format!(
            "/api/v1/analytics/leaderboard?program_id={pid}&period=this_month&from=2026-01-01T00:00:00Z"
        ))
        .await,
        422,
        "validation_failed",
        Some("period"),
    )
    .await;
    crate::harness::expect_problem(
        app.get(&format!(
            "/api/v1/analytics/leaderboard?program_id={pid}&period=forever"
        ))
        .await,
        422,
        "validation_failed",
        Some("period"),
    )
    .await;

    // A refund of one of Ann's orders, dated on the rolled-up day: that day is
    // recomputed and the all-time totals follow it. Once today is rolled up too (and
    // not yet settled), all time still counts it once: the same as the last 30 days.
    app.event(
        json!({"type": "refund", "program_id": pid, "order_id": "o-1",
        "refund_id": "r-1", "amount": 2000, "currency": "USD",
        "occurred_at": vouch_domain::views::rfc3339(today - 5 * 86_400_000 + 3_600_000)}),
    )
    .await;
    let leaders = |period: &'static str| {
        let app = &app;
        let pid = pid.clone();
        async move {
            app.get_ok(&format!(
                "/api/v1/analytics/leaderboard?program_id={pid}&by=revenue{period}"
            ))
            .await
        }
    };
    let mut caught_up = false;
    for _ in 0..100 {
        let s = app.get_ok("/api/v1/analytics/status").await;
        let all_time = leaders("&period=all_time").await;
        if s["pending_days"] == 0 && all_time["data"][2]["net_revenue"] == 4000 {
            caught_up = true;
            assert_eq!(all_time["data"], leaders("").await["data"], "{all_time}");
            let order: Vec<_> = all_time["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["participant_id"].clone(), r["net_revenue"].clone()))
                .collect();
            assert_eq!(
                order,
                vec![
                    (ids[1].clone(), json!(8000)),
                    (ids[2].clone(), json!(6000)),
                    (ids[0].clone(), json!(4000)),
                ]
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        caught_up,
        "the refund never reached the all-time leaderboard"
    );
}

/// October 2026 from its second day: the month's totals less the first day.
async fn a_month_leaderboard_leaves_out_the_days_before_its_start(app: TestApp) {
    let program = app
        .program(json!({"fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000}}))
        .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let ann = app.advocate(&program, "ann@example.com").await;
    let bob = app.advocate(&program, "bob@example.com").await;
    for (n, (who, at)) in [
        (&ann, "2026-10-01T10:00:00Z"),
        (&ann, "2026-10-01T11:00:00Z"),
        (&bob, "2026-10-03T10:00:00Z"),
        (&ann, "2026-11-02T10:00:00Z"),
    ]
    .into_iter()
    .enumerate()
    {
        app.event(
            json!({"type": "purchase", "program_id": pid, "order_id": format!("o-{n}"),
            "amount": 2000, "currency": "USD", "referral_code": who["referral_code"],
            "occurred_at": at, "customer": {"email": format!("f{n}@example.net")}}),
        )
        .await;
    }
    let board = |from: &'static str| {
        let app = &app;
        let pid = pid.clone();
        async move {
            let r = app
                .get_ok(&format!(
                    "/api/v1/analytics/leaderboard?program_id={pid}&from={from}&to=2026-11-01T00:00:00Z"
                ))
                .await;
            r["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["participant_id"].clone(), r["conversions"].clone()))
                .collect::<Vec<_>>()
        }
    };
    let mut done = false;
    for _ in 0..100 {
        let s = app.get_ok("/api/v1/analytics/status").await;
        if s["pending_days"] == 0 && board("2026-10-01T00:00:00Z").await.len() == 2 {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the rollups never caught up");
    assert_eq!(
        board("2026-10-01T00:00:00Z").await,
        vec![(ann["id"].clone(), json!(2)), (bob["id"].clone(), json!(1))]
    );
    assert_eq!(
        board("2026-10-02T00:00:00Z").await,
        vec![(bob["id"].clone(), json!(1))]
    );
    // From 10:30 on the first: that day less its first ten and a half hours, which
    // take away one of Ann's two.
    let mut got = board("2026-10-01T10:30:00Z").await;
    got.sort_by_key(|(id, _)| id.as_str().map(str::to_owned));
    let mut want = vec![(ann["id"].clone(), json!(1)), (bob["id"].clone(), json!(1))];
    want.sort_by_key(|(id, _)| id.as_str().map(str::to_owned));
    assert_eq!(got, want);
    assert_eq!(
        board("2026-10-01T03:00:00Z").await,
        vec![(ann["id"].clone(), json!(2)), (bob["id"].clone(), json!(1))]
    );
}

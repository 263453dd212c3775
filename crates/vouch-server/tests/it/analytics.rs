//! The analytics report on both backends, against a small data set computed by hand:
//! clicks from three browsers on one share channel, a friend who clicked, signed up and
//! bought; one who typed the code, bought and got a full refund (rewards reversed); one
//! who paid in euros (the dollar rewards are paid; the euros show only in euros);
//! grouped by advocate, channel, day and month; as CSV.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::both!(
    the_report_adds_up_by_hand,
    days_are_counted_in_the_programs_time_zone,
    a_refund_of_the_whole_order_counts_what_the_order_had_left
);

/// A click from a browser of its own (each a different visitor).
async fn click_as(app: &TestApp, code: &str, browser: &str) -> String {
    let resp = app
        .client
        .get(app.url(&format!("/r/{code}?s=whatsapp")))
        .header(
            "user-agent",
            format!("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/13{browser}.0.0.0 Safari/537.36"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let url = reqwest::Url::parse(&location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "vouch_click")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

async fn report(app: &TestApp, query: &str) -> Value {
    app.get_ok(&format!("/api/v1/analytics/report?{query}"))
        .await
}

async fn the_report_adds_up_by_hand(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/programs/{pid}/participants");
    let a = app
        .post_ok(
            &path,
            &json!({"email": "ann@example.com", "name": "Ann Lee"}),
            201,
        )
        .await;
    let b = app
        .post_ok(
            &path,
            &json!({"email": "bob@example.com", "name": "Bob Stone"}),
            201,
        )
        .await;
    let code = a["referral_code"].as_str().unwrap();
    let c1 = click_as(&app, code, "1").await;
    click_as(&app, code, "2").await;
    click_as(&app, code, "3").await;
    // Clicks are written in batches: let them land.
    tokio::time::sleep(Duration::from_millis(500)).await;

    app.event(json!({"type": "signup", "program_id": pid, "click_id": c1,
        "customer": {"email": "f1@example.net"}}))
        .await;
    app.event(json!({"type": "purchase", "program_id": pid, "click_id": c1,
        "customer": {"email": "f1@example.net"}, "order_id": "o-1", "amount": 5000, "currency": "USD"}))
        .await;
    app.event(json!({"type": "purchase", "program_id": pid, "referral_code": code,
        "customer": {"email": "f2@example.net"}, "order_id": "o-2", "amount": 3000, "currency": "USD"}))
        .await;
    app.event(json!({"type": "refund", "program_id": pid, "order_id": "o-2", "amount": 3000, "currency": "USD"}))
        .await;
    // A euro order: it converts, and the rules' fixed dollar rewards are paid.
    app.event(json!({"type": "purchase", "program_id": pid, "referral_code": b["referral_code"],
        "customer": {"email": "f3@example.net"}, "order_id": "o-3", "amount": 2000, "currency": "EUR"}))
        .await;

    let today = vouch_domain::analytics::bucket(
        vouch_domain::analytics::GroupBy::Day,
        vouch_domain::analytics::day_of(app.clock.now()),
    );
    let activity_end = app.clock.now();
    // Counted from the raw rows (nothing is settled yet) ...
    check_by_hand(&app, &pid, &a, &b, &today).await;
    check_leaders(&app, &pid, &a, &b).await;

    // The storefront's social proof: counts and a first name only.
    let slug = program["slug"].as_str().unwrap();
    let proof = app
        .client
        .get(app.url(&format!("/v1/programs/{slug}/social-proof")))
        .send()
        .await
        .unwrap();
    assert_eq!(proof.status(), 200);
    let proof: Value = proof.json().await.unwrap();
    assert!(proof["participants"].as_i64().unwrap() >= 2, "{proof}");
    assert!(
        proof["rewarded_this_week"].as_i64().unwrap() >= 2,
        "{proof}"
    );
    let first = proof["latest_first_name"].as_str().unwrap_or("");
    assert!(!first.contains(' ') && !first.contains('@'), "{proof}");
    assert_eq!(proof.as_object().unwrap().len(), 3, "nothing else: {proof}");
    // ... and, ten minutes later, from the rollups, which must say the same.
    app.clock.advance(Duration::from_secs(600));
    wait_settled(&app, activity_end).await;
    let q = vouch_store::analytics::AnalyticsQuery {
        workspace_id: vouch_domain::ids::WorkspaceId::from_trusted(app.workspace_id.clone()),
        program_id: Some(vouch_domain::ids::ProgramId::from_trusted(pid.clone())),
        from: 0,
        to: (activity_end / 86_400_000 + 1) * 86_400_000,
        currency: "USD".into(),
        by: vouch_store::analytics::Dimension::Total,
        parts: vouch_store::analytics::Parts::All,
    };
    let day = activity_end / 86_400_000;
    for (grain, hi) in [
        (vouch_store::rollups::Grain::Quarters, (day + 1) * 96),
        (vouch_store::rollups::Grain::UtcDays, day + 1),
        (vouch_store::rollups::Grain::Advocates, day + 1),
    ] {
        let rolled = app.store.rollup_analytics(&q, &grain, 0, hi).await.unwrap();
        let c = &rolled[0].1;
        assert_eq!(
            [
                c.clicks,
                c.signups,
                c.conversions,
                c.revenue,
                c.refunds,
                c.reward_approved,
                c.reward_reversed
            ],
            [3, 1, 3, 8000, 3000, 3000, 1500],
            "the {grain:?} rollups hold the day"
        );
    }
    check_by_hand(&app, &pid, &a, &b, &today).await;
    check_leaders(&app, &pid, &a, &b).await;

    // A late refund of the first order takes back rewards earned ten minutes ago: the
    // day they were earned on is recomputed.
    app.event(json!({"type": "refund", "program_id": pid, "order_id": "o-1", "amount": 5000, "currency": "USD"}))
        .await;
    let refunded = app.clock.now();
    app.clock.advance(Duration::from_secs(600));
    wait_settled(&app, refunded).await;
    let r = report(&app, &format!("program_id={pid}")).await;
    let t = &r["totals"];
    assert_eq!(
        ["refunds", "reward_approved", "reward_reversed"].map(|k| t[k].as_i64().unwrap()),
        [8000, 1500, 3000],
        "{r:#}"
    );

    let csv = app
        .client
        .get(app.url(&format!(
            "/api/v1/analytics/report?program_id={pid}&group_by=channel"
        )))
        .bearer_auth(&app.sk)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    let mut lines = body.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("key,clicks,unique_clicks,signups,conversions,revenue"));
    assert!(
        body.contains("\nwhatsapp,3,3,1,1,5000,5000,0,0,0,1500,0,"),
        "{body}"
    );

    let resp = app
        .get("/api/v1/analytics/report?group_by=year&currency=USD")
        .await;
    expect_problem(resp, 422, "validation_failed", Some("group_by")).await;
    let resp = app.get("/api/v1/analytics/report").await;
    expect_problem(resp, 422, "validation_failed", Some("currency")).await;
    let resp = app
        .get("/api/v1/analytics/report?currency=USD&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")
        .await;
    expect_problem(resp, 422, "validation_failed", Some("from")).await;
}

async fn days_are_counted_in_the_programs_time_zone(app: TestApp) {
    use vouch_domain::analytics::{bucket, day_of, GroupBy};
    let hour = 3_600_000;
    // A zone 14 hours ahead of UTC and one 11 hours behind: for most of the day their
    // dates differ from UTC's, and from each other's always.
    for (zone, offset) in [
        ("Pacific/Kiritimati", 14 * hour),
        ("Pacific/Pago_Pago", -11 * hour),
    ] {
        let program = app.program(json!({"time_zone": zone})).await;
        assert_eq!(program["time_zone"], zone);
        let pid = program["id"].as_str().unwrap();
        let a = app
            .advocate(&program, &format!("tz{offset}@example.com"))
            .await;
        click_as(&app, a["referral_code"].as_str().unwrap(), "9").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let r = report(&app, &format!("program_id={pid}&group_by=day")).await;
        let local = bucket(GroupBy::Day, day_of(app.clock.now() + offset));
        assert_eq!(r["time_zone"], zone);
        assert_eq!(r["groups"][0]["key"], local, "{r:#}");
        assert_eq!(r["groups"][0]["clicks"], 1);
        let r = report(&app, &format!("program_id={pid}&group_by=month")).await;
        assert_eq!(r["groups"][0]["key"], local[..7]);

        // Two days on, that day is whole and settled: it comes from the day rollups,
        // counted in the zone, and must say the same.
        let clicked = app.clock.now();
        app.clock.advance(Duration::from_secs(2 * 86_400));
        wait_settled(&app, clicked).await;
        let r = report(&app, &format!("program_id={pid}&group_by=day")).await;
        assert_eq!(r["groups"][0]["key"], local, "{r:#}");
        assert_eq!(r["groups"][0]["clicks"], 1);
        assert_eq!(r["totals"]["clicks"], 1);

        // The program moves to the other zone: at once, and after its days were counted
        // again, the click falls on that zone's date.
        let (other, other_offset) = if offset > 0 {
            ("Pacific/Pago_Pago", -11 * hour)
        } else {
            ("Pacific/Kiritimati", 14 * hour)
        };
        app.patch(
            &format!("/api/v1/programs/{pid}"),
            &json!({"time_zone": other}),
        )
        .await;
        let moved = bucket(GroupBy::Day, day_of(clicked + other_offset));
        let r = report(&app, &format!("program_id={pid}&group_by=day")).await;
        assert_eq!(r["groups"][0]["key"], moved, "{r:#}");
        assert_eq!(r["groups"][0]["clicks"], 1);
        wait_settled(&app, clicked).await;
        let r = report(&app, &format!("program_id={pid}&group_by=day")).await;
        assert_eq!(r["groups"][0]["key"], moved, "{r:#}");
        assert_eq!(r["totals"]["clicks"], 1);
    }
    let resp = app
        .post(
            "/api/v1/programs",
            &json!({"name": "x", "destination_url": "https://shop.example.com/", "time_zone": "Mars/Olympus"}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("time_zone")).await;
}

/// Waits until the rollups reach past `at` with no day left to recompute.
async fn wait_settled(app: &TestApp, at: i64) {
    for _ in 0..100 {
        let st = app.get_ok("/api/v1/analytics/status").await;
        let settled =
            vouch_server::api::common::parse_time("settled_to", st["settled_to"].as_str().unwrap())
                .unwrap_or(0);
        if settled > at && st["pending_days"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the rollups did not settle");
}

async fn check_by_hand(app: &TestApp, pid: &str, a: &Value, b: &Value, today: &str) {
    let r = report(app, &format!("program_id={pid}")).await;
    assert_eq!(r["currency"], "USD", "the program's currency by default");
    let t = &r["totals"];
    let counts = |t: &Value| {
        [
            "clicks",
            "unique_clicks",
            "signups",
            "conversions",
            "revenue",
            "refunds",
            "reward_pending",
            "reward_approved",
            "reward_reversed",
        ]
        .map(|k| t[k].as_i64().unwrap_or(-1))
    };
    // 3 clicks by 3 browsers; f1 signed up; f1, f2 and f3 converted; 50 + 30 USD paid
    // (f3's euros are not dollars), 30 refunded; f1's and f3's purchases each earned 10
    // (the advocate) + 5 (the friend) approved, f2's the same, reversed by the refund.
    assert_eq!(counts(t), [3, 3, 1, 3, 8000, 3000, 0, 3000, 1500], "{r:#}");
    assert_eq!(t["net_revenue"], 5000);
    assert_eq!(t["reward_cost"], 3000);
    assert_eq!(t["cac"], 1000, "30 USD for three new customers");
    assert_eq!(t["roi"], 0.6667, "(50 - 30) / 30");
    assert_eq!(t["click_to_signup"], 0.3333);
    assert_eq!(
        t["signup_to_conversion"], 3.0,
        "f2 and f3 did not sign up first"
    );
    assert!(r["time_to_conversion_hours_median"].as_f64().unwrap() >= 0.0);

    let of = |by: &Value, k: &Value| {
        by["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| &g["key"] == k)
            .cloned()
            .unwrap_or_else(|| panic!("no {k}: {by:#}"))
    };
    let by = report(app, &format!("program_id={pid}&group_by=advocate")).await;
    assert_eq!(by["groups"].as_array().unwrap().len(), 2);
    assert_eq!(
        counts(&of(&by, &a["id"])),
        [3, 3, 1, 2, 8000, 3000, 0, 1500, 1500]
    );
    assert_eq!(counts(&of(&by, &b["id"])), [0, 0, 0, 1, 0, 0, 0, 1500, 0]);

    let by = report(app, &format!("program_id={pid}&group_by=channel")).await;
    assert_eq!(
        counts(&of(&by, &json!("whatsapp"))),
        [3, 3, 1, 1, 5000, 0, 0, 1500, 0]
    );
    assert_eq!(
        counts(&of(&by, &json!("referral_code"))),
        [0, 0, 0, 2, 3000, 3000, 0, 1500, 1500]
    );

    let by = report(app, &format!("program_id={pid}&group_by=day")).await;
    assert_eq!(by["groups"][0]["key"], today);
    assert_eq!(counts(&by["groups"][0]), counts(t));
    let by = report(app, &format!("program_id={pid}&group_by=month")).await;
    assert_eq!(by["groups"][0]["key"], today[..7]);

    // In euros: the same funnel, f3's 20 EUR, and no reward paid in euros.
    let eur = report(app, &format!("program_id={pid}&currency=EUR")).await;
    assert_eq!(
        counts(&eur["totals"]),
        [3, 3, 1, 3, 2000, 0, 0, 0, 0],
        "{eur:#}"
    );
    assert_eq!(eur["totals"]["roi"], Value::Null, "no cost, no ROI");
    // A period before all this is empty.
    let before = report(
        app,
        &format!("program_id={pid}&from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z"),
    )
    .await;
    assert_eq!(counts(&before["totals"]), [0; 9]);
}

/// Ann brought two customers and 50.00 net; Bob one, in euros: the leaderboard ranks
/// them so by conversions and by dollar revenue, with masked names unless asked.
async fn check_leaders(app: &TestApp, pid: &str, a: &Value, b: &Value) {
    let path = format!("/api/v1/analytics/leaderboard?program_id={pid}");
    let l = app.get_ok(&path).await;
    let rows = l["data"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{l:#}");
    assert_eq!(
        [&rows[0]["participant_id"], &rows[1]["participant_id"]],
        [&a["id"], &b["id"]]
    );
    assert_eq!([&rows[0]["rank"], &rows[1]["rank"]], [1, 2]);
    assert_eq!([&rows[0]["conversions"], &rows[1]["conversions"]], [2, 1]);
    assert_eq!([&rows[0]["name"], &rows[1]["name"]], ["Ann L.", "Bob S."]);
    assert_eq!(rows[0]["net_revenue"], 5000);
    let l = app
        .get_ok(&format!("{path}&by=revenue&full_names=true&limit=1"))
        .await;
    assert_eq!(l["data"].as_array().unwrap().len(), 1);
    assert_eq!(l["data"][0]["name"], "Ann Lee");
    let csv = app.get_csv(&path).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "rank,participant_id,name,conversions,net_revenue,reward_cost"
    );
    assert_eq!(
        lines[1],
        format!("1,{},Ann L.,2,5000,1500", a["id"].as_str().unwrap())
    );
    assert_eq!(lines.len(), 3, "{csv}");
}

/// Shops often refund "the whole order" without an amount: the report counts what the
/// order had left after earlier partial refunds, in the order's currency.
async fn a_refund_of_the_whole_order_counts_what_the_order_had_left(app: TestApp) {
    let program = app.program(json!({})).await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let a = app.advocate(&program, "ann@example.com").await;
    let from = app.after(1);
    app.event(
        json!({"type": "purchase", "program_id": pid, "order_id": "o-1",
        "amount": 8000, "currency": "USD", "referral_code": a["referral_code"],
        "customer": {"email": "fay@example.com"}}),
    )
    .await;
    app.after(60);
    app.event(
        json!({"type": "refund", "program_id": pid, "order_id": "o-1",
        "refund_id": "r-1", "amount": 3000, "currency": "USD"}),
    )
    .await;
    app.after(60);
    app.event(json!({"type": "refund", "program_id": pid, "order_id": "o-1", "refund_id": "r-2"}))
        .await;
    let to = app.after(60);
    let r = report(
        &app,
        &format!(
            "program_id={pid}&from={}&to={}",
            from.replace('+', "%2B"),
            to.replace('+', "%2B")
        ),
    )
    .await;
    assert_eq!(r["totals"]["revenue"], 8000, "{r}");
    assert_eq!(r["totals"]["refunds"], 8000, "{r}");
    assert_eq!(r["totals"]["net_revenue"], 0, "{r}");
}

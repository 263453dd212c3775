//! Holdout groups on both backends: the control group is kept out of the program (the
//! API, the join form and invitations), and a simulated program whose lift is known by
//! construction is measured back, exactly and within the reported interval.

use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::both!(
    the_control_group_is_kept_away_from_the_program,
    a_known_lift_is_measured_back,
    each_customer_counts_from_their_first_purchase_on
);

async fn group(app: &TestApp, program: &str, email: &str) -> String {
    let g = app
        .get_ok(&format!("/api/v1/programs/{program}/holdout?email={email}"))
        .await;
    g["group"].as_str().unwrap().to_owned()
}

/// The first address of the form `{prefix}{i}@example.com` in `want`'s group.
async fn someone_in(app: &TestApp, program: &str, prefix: &str, want: &str) -> String {
    for i in 0..200 {
        let email = format!("{prefix}{i}@example.com");
        if group(app, program, &email).await == want {
            return email;
        }
    }
    panic!("nobody of 200 in the {want} group")
}

async fn the_control_group_is_kept_away_from_the_program(app: TestApp) {
    let program = app.program(json!({"holdout_percent": 50})).await;
    assert_eq!(program["holdout_percent"], 50);
    assert!(program["holdout_since"].is_string(), "{program}");
    let pid = program["id"].as_str().unwrap().to_owned();
    let slug = program["slug"].as_str().unwrap().to_owned();
    let control = someone_in(&app, &pid, "c", "control").await;
    let exposed = someone_in(&app, &pid, "e", "exposed").await;

    // The same answer with a publishable key (for the storefront), and with the email
    // written differently.
    let resp = app
        .client
        .get(app.url(&format!(
            "/api/v1/programs/{pid}/holdout?email={}",
            control.to_uppercase()
        )))
        .bearer_auth(&app.pk)
        .send()
        .await
        .unwrap();
    let g = crate::harness::expect_json(resp, 200).await;
    assert_eq!(g["group"], "control", "{g}");
    expect_problem(
        app.get(&format!("/api/v1/programs/{pid}/holdout")).await,
        422,
        "validation_failed",
        Some("email"),
    )
    .await;

    // The API refuses to enrol a control customer; an exposed one joins.
    let path = format!("/api/v1/programs/{pid}/participants");
    expect_problem(
        app.post(&path, &json!({"email": control})).await,
        409,
        "holdout_control",
        None,
    )
    .await;
    let advocate = app.post_ok(&path, &json!({"email": exposed}), 201).await;

    // The join form tells the control customer, in their language, without enrolling.
    let join = |email: String, lang: &'static str| {
        let app = &app;
        let slug = slug.clone();
        async move {
            app.client
                .post(app.url(&format!("/p/{slug}/join")))
                .form(&[("email", email.as_str()), ("lang", lang)])
                .send()
                .await
                .unwrap()
        }
    };
    let resp = join(control.clone(), "ar").await;
    assert_eq!(resp.status(), 403);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("هذا البرنامج غير متاح لحسابك حاليًا"),
        "{page}"
    );
    assert!(!page.contains("/r/"), "no link for a control customer");
    let resp = join(format!("other-{exposed}"), "en").await;
    if group(&app, &pid, &format!("other-{exposed}")).await == "exposed" {
        assert_eq!(resp.status(), 303);
    }

    // Invitations skip control customers.
    let other = someone_in(&app, &pid, "friend", "exposed").await;
    let sent = app
        .post_ok(
            &format!(
                "/api/v1/participants/{}/invitations",
                advocate["id"].as_str().unwrap()
            ),
            &json!({"emails": [control, other]}),
            200,
        )
        .await;
    assert_eq!(sent["results"][0]["status"], "holdout", "{sent}");
    assert_eq!(sent["results"][1]["status"], "queued", "{sent}");

    // An advocate who joined before the holdout began keeps their place.
    let resp = app
        .patch(
            &format!("/api/v1/programs/{pid}"),
            &json!({"holdout_percent": 0}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(group(&app, &pid, &control).await, "exposed");
    let early = app.post_ok(&path, &json!({"email": control}), 201).await;
    let resp = app
        .patch(
            &format!("/api/v1/programs/{pid}"),
            &json!({"holdout_percent": 50}),
        )
        .await;
    let changed = crate::harness::expect_json(resp, 200).await;
    // Enrolled already, so the lookup says exposed (a storefront keeps showing them
    // the program); the hash alone would say control.
    assert_eq!(group(&app, &pid, &control).await, "exposed");
    let again = app.post_ok(&path, &json!({"email": control}), 200).await;
    assert_eq!(again["id"], early["id"]);
    assert!(changed["holdout_since"].as_str() >= program["holdout_since"].as_str());

    expect_problem(
        app.patch(
            &format!("/api/v1/programs/{pid}"),
            &json!({"holdout_percent": 95}),
        )
        .await,
        422,
        "validation_failed",
        Some("holdout_percent"),
    )
    .await;
    let plain = app.program(json!({})).await;
    expect_problem(
        app.get(&format!(
            "/api/v1/analytics/holdout?program_id={}",
            plain["id"].as_str().unwrap()
        ))
        .await,
        422,
        "validation_failed",
        Some("program_id"),
    )
    .await;
}

/// Per group: customers, conversions and revenue (minor units), as simulated.
#[derive(Default, Debug)]
struct Tally {
    customers: u64,
    conversions: Vec<f64>,
    revenue: Vec<f64>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

async fn a_known_lift_is_measured_back(app: TestApp) {
    let program = app.program(json!({"holdout_percent": 50})).await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let n = 300;
    let mut groups = vec![];
    for i in 0..n {
        let email = format!("customer{i}@example.com");
        groups.push(group(&app, &pid, &email).await);
    }
    let control_n = groups.iter().filter(|g| *g == "control").count();
    // Half and half, within five standard deviations of a fair split.
    assert!(
        (control_n as f64 - 150.0).abs() < 5.0 * 75f64.sqrt(),
        "{control_n}"
    );

    // Everyone's first purchase, without a referral.
    app.after(60);
    for i in 0..n {
        app.event(json!({"type": "purchase", "program_id": pid, "order_id": format!("first-{i}"),
            "amount": 5000, "currency": "USD", "customer": {"email": format!("customer{i}@example.com")}}))
            .await;
    }
    app.after(3600);
    // The design: a fifth of the control group buys again (40.00); two fifths of the
    // exposed group do, and a quarter of it joins and brings one friend who buys 60.00.
    // One control repeat is refunded.
    let mut tally: std::collections::HashMap<&str, Tally> = Default::default();
    let mut rank: std::collections::HashMap<&str, usize> = Default::default();
    let mut refunded = false;
    for (i, g) in groups.iter().enumerate() {
        let k = {
            let r = rank.entry(g.as_str()).or_default();
            *r += 1;
            *r - 1
        };
        let email = format!("customer{i}@example.com");
        let (mut conversions, mut revenue) = (0.0, 0.0);
        let repeats = if g == "control" {
            k % 5 == 0
        } else {
            k % 5 < 2
        };
        if repeats {
            app.event(
                json!({"type": "purchase", "program_id": pid, "order_id": format!("again-{i}"),
                "amount": 4000, "currency": "USD", "customer": {"email": email}}),
            )
            .await;
            conversions += 1.0;
            revenue += 4000.0;
            if g == "control" && !refunded {
                refunded = true;
                app.event(
                    json!({"type": "refund", "program_id": pid, "order_id": format!("again-{i}"),
                    "refund_id": format!("rf-{i}")}),
                )
                .await;
                revenue -= 4000.0;
            }
        }
        if g == "exposed" && k % 4 == 0 {
            let a = app.advocate(&program, &email).await;
            app.event(
                json!({"type": "purchase", "program_id": pid, "order_id": format!("friend-{i}"),
                "amount": 6000, "currency": "USD", "referral_code": a["referral_code"],
                "customer": {"email": format!("friend{i}@example.org")}}),
            )
            .await;
            conversions += 1.0;
            revenue += 6000.0;
        }
        let t = tally.entry(g.as_str()).or_default();
        t.customers += 1;
        t.conversions.push(conversions);
        t.revenue.push(revenue);
    }
    let to = app.after(60);
    let r = app
        .get_ok(&format!(
            "/api/v1/analytics/holdout?program_id={pid}&to={}",
            to.replace('+', "%2B")
        ))
        .await;
    let (e, c) = (&tally["exposed"], &tally["control"]);
    assert_eq!(r["exposed"]["customers"], e.customers, "{r}");
    assert_eq!(r["control"]["customers"], c.customers, "{r}");
    assert_eq!(
        r["exposed"]["revenue"],
        e.revenue.iter().sum::<f64>() as i64,
        "{r}"
    );
    assert_eq!(
        r["control"]["revenue"],
        c.revenue.iter().sum::<f64>() as i64,
        "{r}"
    );
    assert_eq!(r["control"]["own_revenue"], r["control"]["revenue"], "{r}");
    for (metric, e, c, designed) in [
        // 2/5 + 1/4 against 1/5 conversions; 2/5·4000 + 1/4·6000 against 1/5·4000 cents.
        ("conversions", &e.conversions, &c.conversions, 0.45),
        ("revenue", &e.revenue, &c.revenue, 2300.0),
    ] {
        let l = &r["lift"][metric];
        let measured = mean(e) - mean(c);
        let absolute = l["absolute"].as_f64().unwrap();
        assert!((absolute - measured).abs() < 1e-6, "{metric}: {l}");
        let (low, high) = (
            l["absolute_low"].as_f64().unwrap(),
            l["absolute_high"].as_f64().unwrap(),
        );
        assert!(
            low < designed && designed < high,
            "{metric}: {designed} outside {l}"
        );
        assert!(
            low > 0.0,
            "{metric}: a lift this large is told apart from none: {l}"
        );
        let relative = l["relative"].as_f64().unwrap();
        assert!(
            (relative - measured / mean(c)).abs() < 1e-6,
            "{metric}: {l}"
        );
    }
    assert!(r["method"].as_str().unwrap().contains("Welch"));

    let csv = app
        .get_csv(&format!("/api/v1/analytics/holdout?program_id={pid}"))
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("metric,exposed_customers,control_customers,exposed_mean"));
    assert!(
        lines[1].starts_with(&format!("conversions,{},{},", e.customers, c.customers)),
        "{csv}"
    );
}

/// Found by independent traffic: a customer who later buys with someone else's code
/// stays in the measurement (that purchase is their own), and an advocate's friends
/// count only from the advocate's own first purchase on.
async fn each_customer_counts_from_their_first_purchase_on(app: TestApp) {
    let program = app.program(json!({"holdout_percent": 50})).await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let x = someone_in(&app, &pid, "x", "exposed").await;
    let e = someone_in(&app, &pid, "e", "exposed").await;
    let y = someone_in(&app, &pid, "y", "exposed").await;
    let c = someone_in(&app, &pid, "c", "control").await;
    let buy = |who: String, order: &'static str, amount: i64, code: Option<Value>| {
        let app = &app;
        let pid = pid.clone();
        async move {
            app.after(1);
            let mut body = json!({"type": "purchase", "program_id": pid, "order_id": order,
                "amount": amount, "currency": "USD", "customer": {"email": who}});
            if let Some(code) = code {
                body["referral_code"] = code;
            }
            app.event(body).await;
        }
    };
    // Y joins before buying; a friend of Y's buys before Y does.
    let y_adv = app.advocate(&program, &y).await;
    buy(
        "friend@example.org".into(),
        "f-1",
        9000,
        Some(y_adv["referral_code"].clone()),
    )
    .await;
    buy(y.clone(), "y-1", 2000, None).await;
    buy(x.clone(), "x-1", 5000, None).await;
    let x_adv = app.advocate(&program, &x).await;
    let code = Some(x_adv["referral_code"].clone());
    buy(e.clone(), "e-1", 4500, None).await;
    buy(e.clone(), "e-2", 1500, None).await;
    buy(e.clone(), "e-3", 2500, code.clone()).await;
    buy(c.clone(), "c-1", 4000, None).await;
    buy(c.clone(), "c-2", 3000, code).await;
    let to = app.after(60);
    let r = app
        .get_ok(&format!(
            "/api/v1/analytics/holdout?program_id={pid}&to={}",
            to.replace('+', "%2B")
        ))
        .await;
    assert_eq!(
        (
            &r["exposed"]["customers"],
            &r["exposed"]["conversions"],
            &r["exposed"]["revenue"]
        ),
        (&json!(3), &json!(2), &json!(4000)),
        "{r}"
    );
    assert_eq!(
        (
            &r["control"]["customers"],
            &r["control"]["conversions"],
            &r["control"]["revenue"]
        ),
        (&json!(1), &json!(1), &json!(3000)),
        "{r}"
    );
    // A report ending before the later purchases does not change afterwards.
    assert_eq!(
        r["lift"]["conversions"]["absolute_low"],
        Value::Null,
        "too few for an interval"
    );
}

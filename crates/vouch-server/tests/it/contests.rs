//! Contests on both backends: standings while open, winners fixed after the period
//! and the hold with ties broken as stated, prizes issued through the ledger once even
//! when two closers race, and cancelling.

use serde_json::{json, Value};
use vouch_domain::ids::{ContestId, WorkspaceId};

use crate::harness::{balance, expect_problem, TestApp};

crate::both!(a_contest_pays_its_winners_once);

async fn buy(app: &TestApp, pid: &str, code: &Value, friend: &str) {
    app.event(
        json!({"type": "purchase", "program_id": pid, "order_id": format!("o-{friend}"),
        "amount": 3000, "currency": "USD", "referral_code": code,
        "customer": {"email": format!("{friend}@example.net")}}),
    )
    .await;
}

async fn wait_closed(app: &TestApp, id: &str) -> Value {
    for _ in 0..100 {
        let c = app.get_ok(&format!("/api/v1/contests/{id}")).await;
        if c["status"] != "open" {
            return c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("contest {id} never closed");
}

async fn a_contest_pays_its_winners_once(app: TestApp) {
    let program = app
        .program(
            json!({"referrer_reward": {"kind": "credit", "amount": 100, "currency": "USD"},
            "fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000,
                      "max_code_referrals_per_day": 1000, "max_code_referrals_per_week": 1000}}),
        )
        .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/programs/{pid}/participants");
    let mut advocates = vec![];
    for (email, name) in [
        ("amal@example.com", "Amal Haddad"),
        ("badr@example.com", "Badr Saleh"),
        ("chen@example.com", "Chen Li"),
        ("dana@example.com", "Dana Fox"),
    ] {
        advocates.push(
            app.post_ok(&path, &json!({"email": email, "name": name}), 201)
                .await,
        );
    }
    let [amal, badr, chen, dana] = [0, 1, 2, 3].map(|i| advocates[i].clone());
    let starts = app.after(1);
    let ends = vouch_domain::views::rfc3339(app.clock.now() + 600_000);
    let prizes = json!([
        {"kind": "credit", "amount": 5000, "currency": "USD"},
        {"kind": "credit", "amount": 2000, "currency": "USD"}]);
    expect_problem(
        app.post(
            "/api/v1/contests",
            &json!({"program_id": pid, "name": "Past", "starts_at": "2020-01-01T00:00:00Z",
                "ends_at": "2020-02-01T00:00:00Z", "prizes": prizes}),
        )
        .await,
        422,
        "validation_failed",
        Some("ends_at"),
    )
    .await;
    expect_problem(
        app.post(
            "/api/v1/contests",
            &json!({"program_id": pid, "name": "Percent", "starts_at": starts, "ends_at": ends,
                "prizes": [{"kind": "credit", "percent": 10, "currency": "USD"}]}),
        )
        .await,
        422,
        "validation_failed",
        Some("prizes[0].percent"),
    )
    .await;
    let contest = app
        .post_ok(
            "/api/v1/contests",
            &json!({"program_id": pid, "name": "November", "starts_at": starts,
                "ends_at": ends, "prizes": prizes}),
            201,
        )
        .await;
    let cid = contest["id"].as_str().unwrap().to_owned();
    assert_eq!(contest["status"], "open");
    assert_eq!(contest["rank_by"], "conversions");
    let called_off = app
        .post_ok(
            "/api/v1/contests",
            &json!({"program_id": pid, "name": "Called off", "starts_at": starts,
                "ends_at": ends, "prizes": prizes}),
            201,
        )
        .await;

    // Badr brings three buyers; Amal and Chen two each, Chen's first (a tie, which
    // goes to Amal, who joined first); Dana none.
    app.after(5);
    for (who, n) in [(&chen, 2), (&badr, 3), (&amal, 2)] {
        for i in 0..n {
            buy(
                &app,
                &pid,
                &who["referral_code"],
                &format!("{}-{i}", who["id"].as_str().unwrap()),
            )
            .await;
        }
    }
    // Eve brings four, then is blocked: she leads nowhere, open or closed.
    let eve = app
        .post_ok(
            &path,
            &json!({"email": "eve@example.com", "name": "Eve Stone"}),
            201,
        )
        .await;
    for i in 0..4 {
        buy(&app, &pid, &eve["referral_code"], &format!("eve-{i}")).await;
    }
    app.post_ok(
        &format!("/api/v1/participants/{}/block", eve["id"].as_str().unwrap()),
        &json!({}),
        200,
    )
    .await;
    let open = app.get_ok(&format!("/api/v1/contests/{cid}")).await;
    let leaders: Vec<_> = open["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["participant_id"].clone(),
                p["conversions"].clone(),
                p["name"].clone(),
            )
        })
        .collect();
    assert_eq!(
        leaders,
        vec![
            (badr["id"].clone(), json!(3), json!("Badr S.")),
            (amal["id"].clone(), json!(2), json!("Amal H.")),
        ],
        "{open}"
    );
    let cancelled = app
        .post_ok(
            &format!(
                "/api/v1/contests/{}/cancel",
                called_off["id"].as_str().unwrap()
            ),
            &json!({}),
            200,
        )
        .await;
    assert_eq!(cancelled["status"], "cancelled");

    // Past the end (the program holds nothing): the worker closes it.
    app.after(700);
    let closed = wait_closed(&app, &cid).await;
    assert_eq!(closed["status"], "closed", "{closed}");
    let winners = closed["winners"].as_array().unwrap();
    assert_eq!(winners.len(), 2, "{closed}");
    assert_eq!(winners[0]["participant_id"], badr["id"]);
    assert_eq!(winners[1]["participant_id"], amal["id"]);
    for (w, amount) in winners.iter().zip([5000, 2000]) {
        let reward = app
            .get_ok(&format!(
                "/api/v1/rewards/{}",
                w["reward_id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(reward["amount"], amount, "{reward}");
        assert_eq!(reward["status"], "approved", "{reward}");
        assert_eq!(reward["participant_id"], w["participant_id"]);
    }
    // 3 × 1.00 for referrals plus 50.00; 2 × 1.00 plus 20.00; Chen only his referrals.
    let expected = [(&badr, 5300), (&amal, 2200), (&chen, 200), (&dana, 0)];
    for (who, available) in expected {
        let p = app.participant(who["id"].as_str().unwrap()).await;
        assert_eq!(balance(&p, "USD").0, available, "{p}");
    }
    expect_problem(
        app.post(&format!("/api/v1/contests/{cid}/cancel"), &json!({}))
            .await,
        409,
        "contest_closed",
        None,
    )
    .await;
    let off = app
        .get_ok(&format!(
            "/api/v1/contests/{}",
            called_off["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(off["status"], "cancelled");
    assert_eq!(off["winners"], json!([]));

    // Two closers racing over one due contest: one closes and pays, the other finds it
    // closed and changes nothing.
    let race = app
        .post_ok(
            "/api/v1/contests",
            &json!({"program_id": pid, "name": "Race", "starts_at": starts,
                "ends_at": vouch_domain::views::rfc3339(app.clock.now() + 60_000),
                "prizes": [{"kind": "credit", "amount": 700, "currency": "USD"}]}),
            201,
        )
        .await;
    let ws = WorkspaceId::from_trusted(app.workspace_id.clone());
    let id = ContestId::parse(race["id"].as_str().unwrap()).unwrap();
    let loaded = app.store.get_contest(&ws, &id).await.unwrap().unwrap();
    let now = app.clock.now() + 61_000;
    let (a, b) = tokio::join!(
        vouch_app::contests::close(app.store.as_ref(), loaded.clone(), now),
        vouch_app::contests::close(app.store.as_ref(), loaded.clone(), now),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a ^ b, "exactly one closer wins: {a} {b}");
    let again = vouch_app::contests::close(app.store.as_ref(), loaded, now + 1000)
        .await
        .unwrap();
    assert!(!again);
    let p = app.participant(badr["id"].as_str().unwrap()).await;
    assert_eq!(balance(&p, "USD").0, 5300 + 700, "{p}");
    let listed = app
        .get_ok(&format!("/api/v1/contests?program_id={pid}"))
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 3);
}

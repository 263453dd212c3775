use serde_json::json;

use crate::both;
use crate::harness::{expect_json, expect_problem, TestApp};

both!(
    program_defaults_are_filled_in,
    program_validation_names_the_field,
    programs_are_listed_with_a_cursor,
    patch_changes_only_what_is_sent,
    keys_and_workspaces_are_enforced,
);

async fn program_defaults_are_filled_in(app: TestApp) {
    let p = app.program(json!({})).await;
    assert!(p["id"].as_str().unwrap().starts_with("prg_"));
    assert_eq!(p["slug"], "spring-referrals");
    assert_eq!(p["attribution_window_days"], 30);
    assert_eq!(p["attribution_model"], "last_click");
    assert_eq!(p["hold_days"], 0);
    assert_eq!(p["allowed_domains"], json!(["shop.example.com"]));
    assert_eq!(p["status"], "active");
    // A second program with the same name gets its own slug.
    let q = app.program(json!({})).await;
    assert_ne!(q["slug"], p["slug"]);
    let got = app
        .get_ok(&format!("/api/v1/programs/{}", p["id"].as_str().unwrap()))
        .await;
    assert_eq!(got, p);
}

async fn program_validation_names_the_field(app: TestApp) {
    let base = json!({"name": "x", "destination_url": "https://shop.example.com/"});
    let cases = [
        (
            json!({"referrer_reward": {"kind": "credit", "amount": -5, "currency": "USD"}}),
            "referrer_reward.amount",
        ),
        (
            json!({"referee_reward": {"kind": "credit", "amount": 5, "currency": "XYZ"}}),
            "referee_reward.currency",
        ),
        (
            json!({"referrer_reward": {"kind": "bitcoin", "amount": 5, "currency": "USD"}}),
            "referrer_reward.kind",
        ),
        (
            json!({"destination_url": "javascript:alert(1)"}),
            "destination_url",
        ),
        (json!({"allowed_domains": ["other.com"]}), "destination_url"),
        (
            json!({"allowed_domains": ["not a host"]}),
            "allowed_domains[0]",
        ),
        (
            json!({"attribution_window_days": 0}),
            "attribution_window_days",
        ),
        (json!({"attribution_model": "random"}), "attribution_model"),
        (json!({"hold_days": -1}), "hold_days"),
        (json!({"name": ""}), "name"),
        (
            json!({"attribution_window_days": "thirty"}),
            "attribution_window_days",
        ),
    ];
    for (extra, field) in cases {
        let mut body = base.clone();
        crate::harness::merge(&mut body, extra);
        let resp = app.post("/api/v1/programs", &body).await;
        expect_problem(resp, 422, "validation_failed", Some(field)).await;
    }
    let resp = app
        .post(
            "/api/v1/programs",
            &json!({"destination_url": "https://a.com"}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("name")).await;
    let resp = app
        .client
        .post(app.url("/api/v1/programs"))
        .bearer_auth(&app.sk)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_problem(resp, 400, "invalid_json", None).await;
    // Nothing was written by any of the refused requests.
    let list = app.get_ok("/api/v1/programs").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}

async fn programs_are_listed_with_a_cursor(app: TestApp) {
    let mut ids = vec![];
    for i in 0..5 {
        let p = app.program(json!({"name": format!("P{i}")})).await;
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    let first = app.get_ok("/api/v1/programs?limit=2").await;
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    assert_eq!(first["data"][0]["id"], ids[4].as_str(), "newest first");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_ok(&format!("/api/v1/programs?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(second["data"][0]["id"], ids[2].as_str());
    let third = app
        .get_ok(&format!(
            "/api/v1/programs?limit=2&cursor={}",
            second["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(third["data"].as_array().unwrap().len(), 1);
    assert!(third["next_cursor"].is_null());
    expect_problem(
        app.get("/api/v1/programs?limit=0").await,
        422,
        "validation_failed",
        Some("limit"),
    )
    .await;
}

async fn patch_changes_only_what_is_sent(app: TestApp) {
    let p = app.program(json!({})).await;
    let path = format!("/api/v1/programs/{}", p["id"].as_str().unwrap());
    let resp = app
        .patch(
            &path,
            &json!({"hold_days": 7, "referee_reward": null, "status": "paused"}),
        )
        .await;
    let q = expect_json(resp, 200).await;
    assert_eq!(q["hold_days"], 7);
    assert!(q["referee_reward"].is_null());
    assert_eq!(q["referrer_reward"], p["referrer_reward"]);
    assert_eq!(q["status"], "paused");
    assert_eq!(q["version"], 2);
    let resp = app
        .patch(&path, &json!({"attribution_window_days": 99999}))
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("attribution_window_days"),
    )
    .await;
    assert_eq!(
        app.get_ok(&path).await["version"],
        2,
        "a refused patch changes nothing"
    );
}

async fn keys_and_workspaces_are_enforced(app: TestApp) {
    let p = app.program(json!({})).await;
    let path = format!("/api/v1/programs/{}", p["id"].as_str().unwrap());
    let anon = app.client.get(app.url(&path)).send().await.unwrap();
    expect_problem(anon, 401, "unauthorized", None).await;
    let wrong = app
        .client
        .get(app.url(&path))
        .bearer_auth("sk_nope")
        .send()
        .await
        .unwrap();
    expect_problem(wrong, 401, "unauthorized", None).await;
    let pk = app
        .client
        .get(app.url(&path))
        .bearer_auth(&app.pk)
        .send()
        .await
        .unwrap();
    expect_problem(pk, 403, "secret_key_required", None).await;
    // Another workspace sees none of it.
    let other = vouch_app::workspaces::create_workspace(app.store.as_ref(), "Other")
        .await
        .unwrap();
    let resp = app
        .client
        .get(app.url(&path))
        .bearer_auth(&other.secret_key)
        .send()
        .await
        .unwrap();
    expect_problem(resp, 404, "not_found", None).await;
    let list = app
        .client
        .get(app.url("/api/v1/programs"))
        .bearer_auth(&other.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(list, 200).await["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let enrol = app
        .client
        .post(app.url(&format!("{path}/participants")))
        .bearer_auth(&other.secret_key)
        .json(&json!({"email": "x@y.com"}))
        .send()
        .await
        .unwrap();
    expect_problem(enrol, 404, "not_found", None).await;
    let event = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&other.secret_key)
        .json(&json!({"type": "signup", "program_id": p["id"], "customer": {"email": "f@x.com"}}))
        .send()
        .await
        .unwrap();
    expect_problem(event, 404, "not_found", None).await;
    // The other workspace's miss does not hide the program from its owner.
    let own = app
        .post(
            "/api/v1/events",
            &json!({"type": "signup", "program_id": p["id"], "customer": {"email": "f@x.com"}}),
        )
        .await;
    expect_json(own, 201).await;
    expect_problem(
        app.get("/api/v1/programs/prg_bogus").await,
        404,
        "not_found",
        None,
    )
    .await;
    expect_problem(
        app.get("/api/v1/nothing-here").await,
        404,
        "not_found",
        None,
    )
    .await;
}

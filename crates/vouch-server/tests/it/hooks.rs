//! Shop webhooks, end to end: real payloads the platforms published (see
//! `tests/fixtures/hooks/SOURCES.md`), signed here with each platform's algorithm,
//! delivered over HTTP, becoming rewards and reversals. Where a test changes a
//! published payload (to carry a referral, or to finish a fixture the platform left
//! half-filled), the change is written next to it.

use reqwest::Response;
use serde_json::{json, Value};
use vouch_server::hooks::signature::{sign_base64, sign_stripe};

use crate::both;
use crate::harness::{expect_json, expect_problem, TestApp};

both!(
    shopify_order_paid_rewards_and_its_refund_reverses,
    shopify_signatures_are_checked_over_the_raw_bytes,
    shopify_rotated_secret_keeps_verifying_for_the_overlap,
    shopify_unknown_topics_are_ignored_and_unreadable_orders_logged,
    woocommerce_ping_orders_and_refunds,
    stripe_checkout_subscription_and_refunds,
    stripe_stale_and_forged_signatures_are_refused,
    integrations_hide_their_secret_and_can_be_changed_and_removed,
    large_and_hostile_deliveries_never_fail_the_server
);

const SHOPIFY_SECRET: &str = "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";
const WOO_SECRET: &str = "woo-secret-Ll9!x";
const STRIPE_SECRET: &str = "whsec_test_secret";

pub fn fixture(path: &str) -> Value {
    let full = format!("{}/tests/fixtures/hooks/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).expect(&full)).expect("json")
}

pub async fn integration(app: &TestApp, program: &Value, platform: &str, extra: Value) -> Value {
    let mut body = json!({"platform": platform, "program_id": program["id"]});
    crate::harness::merge(&mut body, extra);
    app.post_ok("/api/v1/integrations", &body, 201).await
}

/// POSTs raw bytes with headers to an integration's webhook URL.
pub async fn deliver(
    app: &TestApp,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Response {
    let mut req = app
        .client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.send().await.expect("deliver")
}

pub async fn shopify(app: &TestApp, url: &str, topic: &str, id: &str, body: &Value) -> Response {
    let bytes = serde_json::to_vec_pretty(body).unwrap();
    let headers = [
        ("x-shopify-topic", topic.to_owned()),
        ("x-shopify-hmac-sha256", sign_base64(SHOPIFY_SECRET, &bytes)),
        ("x-shopify-webhook-id", id.to_owned()),
        (
            "x-shopify-shop-domain",
            "vouch-test.myshopify.com".to_owned(),
        ),
    ];
    deliver(app, url, &headers, &bytes).await
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

async fn rewards_of(app: &TestApp, participant: &str) -> Vec<Value> {
    app.get_ok(&format!(
        "/api/v1/rewards?participant_id={participant}&limit=100"
    ))
    .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn referrals_of(app: &TestApp, participant: &str) -> Vec<Value> {
    app.get_ok(&format!(
        "/api/v1/referrals?participant_id={participant}&limit=100"
    ))
    .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn shopify_order_paid_rewards_and_its_refund_reverses(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "sara@example.com").await;
    let code = a["referral_code"].as_str().unwrap();
    let click = app.click(code).await;
    let i = integration(&app, &p, "shopify", json!({"secret": SHOPIFY_SECRET})).await;
    let url = i["webhook_url"].as_str().unwrap().to_owned();
    assert!(
        url.ends_with(&format!("/hooks/shopify/{}", id(&i))),
        "{url}"
    );

    // Shopify's order, with the cart attributes the storefront script writes added.
    let mut order = fixture("shopify/orders_paid.json");
    order["note_attributes"].as_array_mut().unwrap().extend([
        json!({"name": "ref", "value": code}),
        json!({"name": "vouch_click", "value": click}),
    ]);
    let first = expect_json(
        shopify(&app, &url, "orders/paid", "wh-1", &order).await,
        200,
    )
    .await;
    assert_eq!(first["verdict"], "processed", "{first}");
    assert_eq!(first["event_ids"].as_array().unwrap().len(), 1);

    let referrals = referrals_of(&app, id(&a)).await;
    assert_eq!(referrals.len(), 1);
    assert_eq!(referrals[0]["status"], "rewarded");
    assert_eq!(referrals[0]["source"], "click");
    let rewards = rewards_of(&app, id(&a)).await;
    assert_eq!(rewards.len(), 1, "{rewards:?}");
    assert_eq!(rewards[0]["amount"], 1000);

    // The same delivery again (Shopify retries), and the same order under another
    // webhook id (orders/paid sent twice): one reward.
    let again = expect_json(
        shopify(&app, &url, "orders/paid", "wh-1", &order).await,
        200,
    )
    .await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["event_ids"], first["event_ids"]);
    let twice = expect_json(
        shopify(&app, &url, "orders/paid", "wh-2", &order).await,
        200,
    )
    .await;
    assert_eq!(twice["event_ids"], first["event_ids"]);
    assert_eq!(rewards_of(&app, id(&a)).await.len(), 1);

    // Shopify's refund of the whole order (the fixture returned 209.00 of it; here its
    // one transaction returns the order's 409.94).
    let mut refund = fixture("shopify/refunds_create.json");
    refund["transactions"][0]["amount"] = json!("409.94");
    let r = expect_json(
        shopify(&app, &url, "refunds/create", "wh-3", &refund).await,
        200,
    )
    .await;
    assert_eq!(r["verdict"], "processed", "{r}");
    let referrals = referrals_of(&app, id(&a)).await;
    assert_eq!(referrals[0]["status"], "reversed");
    let rewards = rewards_of(&app, id(&a)).await;
    assert!(
        matches!(
            rewards[0]["status"].as_str(),
            Some("reversed" | "cancelled")
        ),
        "{rewards:?}"
    );

    // A customer created in the shop is a signup.
    let customer = fixture("shopify/customers_create.json");
    let c = expect_json(
        shopify(&app, &url, "customers/create", "wh-4", &customer).await,
        200,
    )
    .await;
    assert_eq!(c["verdict"], "processed");

    let log = app
        .get_ok(&format!("/api/v1/integrations/{}/deliveries", id(&i)))
        .await;
    let log = log["data"].as_array().unwrap();
    // Four processed deliveries; the repeat of wh-1 was answered from the first.
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.iter().all(|d| d["verdict"] == "processed"));
    assert_eq!(log[3]["delivery_key"], "wh-1");
    assert_eq!(log[3]["topic"], "orders/paid");
}

async fn shopify_signatures_are_checked_over_the_raw_bytes(app: TestApp) {
    let p = app.program(json!({})).await;
    let i = integration(&app, &p, "shopify", json!({"secret": SHOPIFY_SECRET})).await;
    let url = i["webhook_url"].as_str().unwrap().to_owned();
    let order = fixture("shopify/orders_paid.json");
    let bytes = serde_json::to_vec_pretty(&order).unwrap();
    let topic = ("x-shopify-topic", "orders/paid".to_owned());
    // Signed over the pretty bytes, sent compact: the same JSON, other bytes.
    let sig = sign_base64(SHOPIFY_SECRET, &bytes);
    let compact = serde_json::to_vec(&order).unwrap();
    let resp = deliver(
        &app,
        &url,
        &[topic.clone(), ("x-shopify-hmac-sha256", sig.clone())],
        &compact,
    )
    .await;
    expect_problem(resp, 401, "signature_invalid", None).await;
    let resp = deliver(&app, &url, std::slice::from_ref(&topic), &bytes).await;
    expect_problem(resp, 401, "signature_missing", None).await;
    let wrong = sign_base64("another-apps-secret", &bytes);
    let resp = deliver(
        &app,
        &url,
        &[topic.clone(), ("x-shopify-hmac-sha256", wrong)],
        &bytes,
    )
    .await;
    expect_problem(resp, 401, "signature_invalid", None).await;
    // Shopify's own published vector: secret `steffi`, body {"foo":"bar"}.
    assert_eq!(
        sign_base64("steffi", br#"{"foo":"bar"}"#),
        "/Redz4YXHLnSmmSN8grr5/Jl/Ua3d7yX3iWbjb8R8wo="
    );
    // Nothing was written for refused deliveries.
    let log = app
        .get_ok(&format!("/api/v1/integrations/{}/deliveries", id(&i)))
        .await;
    assert_eq!(log["data"].as_array().unwrap().len(), 0);
    // An unknown integration, or the right id under another platform's path.
    let resp = deliver(&app, &url.replace("/shopify/", "/stripe/"), &[], &bytes).await;
    expect_problem(resp, 404, "not_found", None).await;
    let resp = deliver(
        &app,
        &app.url("/hooks/shopify/int_00000000000000000000000000"),
        &[],
        &bytes,
    )
    .await;
    expect_problem(resp, 404, "not_found", None).await;
    // Signed correctly: accepted.
    let resp = deliver(&app, &url, &[topic, ("x-shopify-hmac-sha256", sig)], &bytes).await;
    assert_eq!(resp.status(), 200);
}

async fn shopify_rotated_secret_keeps_verifying_for_the_overlap(app: TestApp) {
    let p = app.program(json!({})).await;
    let i = integration(&app, &p, "shopify", json!({"secret": SHOPIFY_SECRET})).await;
    let url = i["webhook_url"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/integrations/{}", id(&i));
    let rotated = expect_json(app.patch(&path, &json!({"secret": "shpss_new"})).await, 200).await;
    assert!(rotated["previous_secret_until"].is_string());
    assert!(rotated.get("secret").is_none());
    let body = br#"{"id": 1, "topic": "ping"}"#;
    let signed = |s: &str| {
        vec![
            ("x-shopify-topic", "app/uninstalled".to_owned()),
            ("x-shopify-hmac-sha256", sign_base64(s, body)),
        ]
    };
    // Old and new both verify during the overlap (24 hours by default).
    assert_eq!(
        deliver(&app, &url, &signed(SHOPIFY_SECRET), body)
            .await
            .status(),
        200
    );
    assert_eq!(
        deliver(&app, &url, &signed("shpss_new"), body)
            .await
            .status(),
        200
    );
    app.after(25 * 3600);
    let resp = deliver(&app, &url, &signed(SHOPIFY_SECRET), body).await;
    expect_problem(resp, 401, "signature_invalid", None).await;
    assert_eq!(
        deliver(&app, &url, &signed("shpss_new"), body)
            .await
            .status(),
        200
    );
    // With no overlap the old one stops at once.
    app.patch(&path, &json!({"options": {"secret_overlap_hours": 0}}))
        .await;
    app.patch(&path, &json!({"secret": "shpss_newer"})).await;
    let resp = deliver(&app, &url, &signed("shpss_new"), body).await;
    expect_problem(resp, 401, "signature_invalid", None).await;
}

async fn shopify_unknown_topics_are_ignored_and_unreadable_orders_logged(app: TestApp) {
    let p = app.program(json!({})).await;
    let i = integration(&app, &p, "shopify", json!({"secret": SHOPIFY_SECRET})).await;
    let url = i["webhook_url"].as_str().unwrap().to_owned();
    let order = fixture("shopify/orders_paid.json");
    let ignored = expect_json(
        shopify(&app, &url, "products/update", "wh-1", &order).await,
        200,
    )
    .await;
    assert_eq!(ignored["verdict"], "ignored");
    // orders/create is not this integration's purchase topic.
    let other = expect_json(
        shopify(&app, &url, "orders/create", "wh-2", &order).await,
        200,
    )
    .await;
    assert_eq!(other["verdict"], "ignored");
    let mut broken = order.clone();
    broken["total_price"] = json!("four hundred");
    broken["total_price_set"] = Value::Null;
    let resp = shopify(&app, &url, "orders/paid", "wh-3", &broken).await;
    let problem = expect_problem(resp, 422, "unmappable_payload", None).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("total"),
        "{problem}"
    );
    let log = app
        .get_ok(&format!(
            "/api/v1/integrations/{}/deliveries?verdict=unmappable",
            id(&i)
        ))
        .await;
    let log = log["data"].as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], 422);
    assert!(log[0]["body"].as_str().unwrap().contains("four hundred"));
    assert!(log[0]["reason"].as_str().unwrap().contains("total"));
    // A repeat of an unmappable delivery is read again (the merchant may have fixed
    // the integration's options meanwhile); of an ignored one, answered from the log.
    let again = expect_json(
        shopify(&app, &url, "products/update", "wh-1", &order).await,
        200,
    )
    .await;
    assert_eq!(again["duplicate"], true);
}

fn woo_headers(topic: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        (
            "x-wc-webhook-source",
            "https://shop.example.com/".to_owned(),
        ),
        ("x-wc-webhook-topic", topic.to_owned()),
        ("x-wc-webhook-resource", "order".to_owned()),
        ("x-wc-webhook-event", "updated".to_owned()),
        ("x-wc-webhook-signature", sign_base64(WOO_SECRET, body)),
        ("x-wc-webhook-id", "17".to_owned()),
        (
            "x-wc-webhook-delivery-id",
            format!("{:x}", body.len() * 7919),
        ),
    ]
}

async fn woocommerce_ping_orders_and_refunds(app: TestApp) {
    let p = app
        .program(json!({"referrer_reward": {"kind": "credit", "percent": 50, "currency": "USD"}}))
        .await;
    let a = app.advocate(&p, "sara@example.com").await;
    let code = a["referral_code"].as_str().unwrap().to_owned();
    let i = integration(&app, &p, "woocommerce", json!({"secret": WOO_SECRET})).await;
    let url = i["webhook_url"].as_str().unwrap().to_owned();
    // The unsigned ping WooCommerce sends when the webhook is saved.
    let ping = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("webhook_id=17")
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), 200);
    let log = app
        .get_ok(&format!("/api/v1/integrations/{}/deliveries", id(&i)))
        .await;
    assert_eq!(
        log["data"].as_array().unwrap().len(),
        0,
        "a ping changes nothing"
    );

    // WooCommerce's order 723 (completed, 39.00, two refunds of 10.00 and 9.00): first
    // as it was paid, before the refunds (its `refunds` emptied), with the referral in
    // its meta data as the storefront script's hidden field leaves it.
    let mut order = fixture("woocommerce/order_refunded.json");
    let refunds = order["refunds"].take();
    order["refunds"] = json!([]);
    order["meta_data"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": 99, "key": "_vouch_ref", "value": code}));
    let bytes = serde_json::to_vec(&order).unwrap();
    let paid = deliver(&app, &url, &woo_headers("order.updated", &bytes), &bytes).await;
    let paid = expect_json(paid, 200).await;
    assert_eq!(paid["verdict"], "processed", "{paid}");
    let rewards = rewards_of(&app, id(&a)).await;
    assert_eq!(rewards.len(), 1);
    assert_eq!(rewards[0]["amount"], 1950, "half of 39.00");

    // Then as WooCommerce sends it after two partial refunds: the purchase is not
    // counted again, and each refund shrinks the percent reward once.
    order["refunds"] = refunds;
    let bytes = serde_json::to_vec(&order).unwrap();
    let refunded = deliver(&app, &url, &woo_headers("order.updated", &bytes), &bytes).await;
    let refunded = expect_json(refunded, 200).await;
    assert_eq!(
        refunded["event_ids"].as_array().unwrap().len(),
        3,
        "{refunded}"
    );
    let again = deliver(&app, &url, &woo_headers("order.updated", &bytes), &bytes).await;
    assert_eq!(again.status(), 200);
    let rewards = rewards_of(&app, id(&a)).await;
    assert_eq!(rewards.len(), 1);
    assert_eq!(
        rewards[0]["reversed_amount"], 950,
        "half of 19.00 refunded: {rewards:?}"
    );

    // Order 727 (processing, a guest): a purchase without a referral, not rewarded.
    let guest = fixture("woocommerce/order.json");
    let bytes = serde_json::to_vec(&guest).unwrap();
    let resp = deliver(&app, &url, &woo_headers("order.created", &bytes), &bytes).await;
    assert_eq!(expect_json(resp, 200).await["verdict"], "processed");
    // Pending orders do not count.
    let mut pending = guest.clone();
    pending["id"] = json!(728);
    pending["status"] = json!("pending");
    let bytes = serde_json::to_vec(&pending).unwrap();
    let resp = deliver(&app, &url, &woo_headers("order.created", &bytes), &bytes).await;
    assert_eq!(expect_json(resp, 200).await["verdict"], "ignored");
    // A bad signature.
    let mut headers = woo_headers("order.created", &bytes);
    headers[4].1 = sign_base64("not-the-secret", &bytes);
    expect_problem(
        deliver(&app, &url, &headers, &bytes).await,
        401,
        "signature_invalid",
        None,
    )
    .await;
}

fn stripe_headers(body: &[u8], t: i64) -> Vec<(&'static str, String)> {
    vec![("stripe-signature", sign_stripe(STRIPE_SECRET, t, body))]
}

/// Stripe's published Checkout Session event, completed as a paid session: the
/// fixture's session is `open` and `unpaid` with no total, so the fields a paid one
/// has are filled in here.
fn paid_session(event_id: &str, click: &str) -> Value {
    let mut e = fixture("stripe/checkout_session_completed.json");
    e["id"] = json!(event_id);
    let s = &mut e["data"]["object"];
    s["status"] = json!("complete");
    s["payment_status"] = json!("paid");
    s["amount_total"] = json!(4900);
    s["currency"] = json!("usd");
    s["customer"] = json!("cus_friend1");
    s["customer_details"] = json!({"email": "friend@example.net"});
    s["client_reference_id"] = json!(click);
    e
}

async fn stripe_checkout_subscription_and_refunds(app: TestApp) {
    let p = app.program(json!({})).await;
    let a = app.advocate(&p, "sara@example.com").await;
    let click = app.click(a["referral_code"].as_str().unwrap()).await;
    let i = integration(&app, &p, "stripe", json!({"secret": STRIPE_SECRET})).await;
    let url = i["webhook_url"].as_str().unwrap().to_owned();
    let now = app.clock.now() / 1000;

    let session = paid_session("evt_paid_1", &click);
    let bytes = serde_json::to_vec(&session).unwrap();
    let r = expect_json(
        deliver(&app, &url, &stripe_headers(&bytes, now), &bytes).await,
        200,
    )
    .await;
    assert_eq!(r["verdict"], "processed", "{r}");
    assert_eq!(rewards_of(&app, id(&a)).await.len(), 1);
    let referrals = referrals_of(&app, id(&a)).await;
    assert_eq!(referrals[0]["status"], "rewarded");
    // The same event id again: answered from the log.
    let again = expect_json(
        deliver(&app, &url, &stripe_headers(&bytes, now), &bytes).await,
        200,
    )
    .await;
    assert_eq!(again["duplicate"], true);

    // Stripe's charge.refunded, for that payment: 20.00 then the remaining 29.00.
    // (The fixture's charge shows nothing refunded yet; the refunded totals and the
    // previous total, which Stripe sends in `previous_attributes`, are filled in.)
    let refund = |evt: &str, total: i64, before: i64| {
        let mut e = fixture("stripe/charge_refunded.json");
        e["id"] = json!(evt);
        let c = &mut e["data"]["object"];
        c["amount"] = json!(4900);
        c["amount_captured"] = json!(4900);
        c["amount_refunded"] = json!(total);
        c["refunded"] = json!(total == 4900);
        c["payment_intent"] = session["data"]["object"]["payment_intent"].clone();
        e["data"]["previous_attributes"] = json!({"amount_refunded": before});
        serde_json::to_vec(&e).unwrap()
    };
    let part = refund("evt_ref_1", 2000, 0);
    let r = expect_json(
        deliver(&app, &url, &stripe_headers(&part, now), &part).await,
        200,
    )
    .await;
    assert_eq!(r["verdict"], "processed");
    assert_eq!(
        referrals_of(&app, id(&a)).await[0]["status"],
        "rewarded",
        "partial"
    );
    let rest = refund("evt_ref_2", 4900, 2000);
    let r = expect_json(
        deliver(&app, &url, &stripe_headers(&rest, now), &rest).await,
        200,
    )
    .await;
    assert_eq!(r["verdict"], "processed");
    assert_eq!(referrals_of(&app, id(&a)).await[0]["status"], "reversed");

    // A subscription: the session signs the friend up, invoice.paid pays. (Stripe's
    // invoice fixture is a draft with nothing paid: filled in as a paid renewal.)
    let b = app.advocate(&p, "omar@example.com").await;
    let click_b = app.click(b["referral_code"].as_str().unwrap()).await;
    let mut sub = paid_session("evt_sub_1", &click_b);
    sub["data"]["object"]["mode"] = json!("subscription");
    sub["data"]["object"]["customer"] = json!("cus_subscriber");
    sub["data"]["object"]["customer_details"] = json!({"email": "sub@example.net"});
    sub["data"]["object"]["subscription"] = json!("sub_1");
    let bytes = serde_json::to_vec(&sub).unwrap();
    let r = expect_json(
        deliver(&app, &url, &stripe_headers(&bytes, now), &bytes).await,
        200,
    )
    .await;
    assert_eq!(r["verdict"], "processed");
    assert_eq!(referrals_of(&app, id(&b)).await[0]["status"], "signed_up");
    let mut invoice = fixture("stripe/invoice_paid.json");
    invoice["id"] = json!("evt_inv_1");
    let inv = &mut invoice["data"]["object"];
    inv["status"] = json!("paid");
    inv["amount_paid"] = json!(1900);
    inv["customer"] = json!("cus_subscriber");
    inv["subscription"] = json!("sub_1");
    let bytes = serde_json::to_vec(&invoice).unwrap();
    let r = expect_json(
        deliver(&app, &url, &stripe_headers(&bytes, now), &bytes).await,
        200,
    )
    .await;
    assert_eq!(r["verdict"], "processed", "{r}");
    assert_eq!(referrals_of(&app, id(&b)).await[0]["status"], "rewarded");
    assert_eq!(rewards_of(&app, id(&b)).await.len(), 1);
    // The published fixture as it is (a draft invoice, nothing paid): ignored.
    let bytes = serde_json::to_vec(&fixture("stripe/invoice_paid.json")).unwrap();
    let r = expect_json(
        deliver(&app, &url, &stripe_headers(&bytes, now), &bytes).await,
        200,
    )
    .await;
    assert_eq!(r["verdict"], "ignored");
}

async fn stripe_stale_and_forged_signatures_are_refused(app: TestApp) {
    let p = app.program(json!({})).await;
    let i = integration(&app, &p, "stripe", json!({"secret": STRIPE_SECRET})).await;
    let url = i["webhook_url"].as_str().unwrap().to_owned();
    let now = app.clock.now() / 1000;
    let bytes = serde_json::to_vec(&paid_session("evt_1", "x")).unwrap();
    let old = deliver(&app, &url, &stripe_headers(&bytes, now - 301), &bytes).await;
    expect_problem(old, 401, "signature_stale", None).await;
    let ahead = deliver(&app, &url, &stripe_headers(&bytes, now + 301), &bytes).await;
    expect_problem(ahead, 401, "signature_stale", None).await;
    let forged = vec![("stripe-signature", sign_stripe("whsec_other", now, &bytes))];
    expect_problem(
        deliver(&app, &url, &forged, &bytes).await,
        401,
        "signature_invalid",
        None,
    )
    .await;
    // Several v1 signatures (Stripe sends one per secret while a secret rolls): any.
    let good = sign_stripe(STRIPE_SECRET, now, &bytes);
    let v1 = good.split_once(",v1=").unwrap().1;
    let header = format!("t={now},v1={},v1={v1}", "ab".repeat(32));
    let ok = deliver(&app, &url, &[("stripe-signature", header)], &bytes).await;
    assert_eq!(ok.status(), 200);
    // A replay of that delivery outside the window is stale, whatever it carries.
    app.after(400);
    let replay = deliver(&app, &url, &stripe_headers(&bytes, now), &bytes).await;
    expect_problem(replay, 401, "signature_stale", None).await;
}

async fn integrations_hide_their_secret_and_can_be_changed_and_removed(app: TestApp) {
    let p = app.program(json!({})).await;
    // WooCommerce takes any secret: Vouch makes one and shows it once.
    let woo = integration(&app, &p, "woocommerce", json!({"name": "Main shop"})).await;
    let secret = woo["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    assert_eq!(
        woo["topics"],
        json!(["order.created", "order.updated", "customer.created"])
    );
    let path = format!("/api/v1/integrations/{}", id(&woo));
    let got = app.get_ok(&path).await;
    assert!(got.get("secret").is_none());
    assert!(!got.to_string().contains(&secret));
    // Stored sealed: the database never holds the secret in clear.
    let stored = app
        .store
        .find_integration(&vouch_domain::ids::IntegrationId::parse(id(&woo)).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.secret_sealed.contains(&secret));
    // Shopify and Stripe need the platform's secret; Stripe's starts with whsec_.
    let resp = app
        .post(
            "/api/v1/integrations",
            &json!({"platform": "shopify", "program_id": p["id"]}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("secret")).await;
    let resp = app
        .post(
            "/api/v1/integrations",
            &json!({"platform": "stripe", "program_id": p["id"], "secret": "sk_live_oops"}),
        )
        .await;
    expect_problem(resp, 422, "validation_failed", Some("secret")).await;
    let resp = app
        .post(
            "/api/v1/integrations",
            &json!({"platform": "woocommerce", "program_id": p["id"],
                "options": {"purchase_statuses": ["refunded"]}}),
        )
        .await;
    expect_problem(
        resp,
        422,
        "validation_failed",
        Some("options.purchase_statuses"),
    )
    .await;
    let resp = app
        .post(
            "/api/v1/integrations",
            &json!({"platform": "magento", "program_id": p["id"]}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let changed = expect_json(
        app.patch(
            &path,
            &json!({"enabled": false, "options": {"purchase_statuses": ["completed"]}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["enabled"], false);
    assert_eq!(
        changed["options"]["purchase_statuses"],
        json!(["completed"])
    );
    // Disabled: deliveries are refused and change nothing.
    let url = woo["webhook_url"].as_str().unwrap();
    let body = br#"{"id": 1}"#;
    let headers = vec![
        ("x-wc-webhook-topic", "order.created".to_owned()),
        ("x-wc-webhook-signature", sign_base64(&secret, body)),
    ];
    expect_problem(
        deliver(&app, url, &headers, body).await,
        403,
        "integration_disabled",
        None,
    )
    .await;
    let list = app.get_ok("/api/v1/integrations").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let gone = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.sk)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    expect_problem(app.get(&path).await, 404, "not_found", None).await;
    expect_problem(
        deliver(&app, url, &headers, body).await,
        404,
        "not_found",
        None,
    )
    .await;
}

async fn large_and_hostile_deliveries_never_fail_the_server(app: TestApp) {
    let p = app.program(json!({})).await;
    let shop = integration(&app, &p, "shopify", json!({"secret": SHOPIFY_SECRET})).await;
    let url = shop["webhook_url"].as_str().unwrap().to_owned();
    // A big order: 400 line items, about half a megabyte.
    let mut order = fixture("shopify/orders_paid.json");
    let item = order["line_items"][0].clone();
    order["line_items"] = Value::Array(vec![item; 400]);
    order["id"] = json!(5950385831936123456u64);
    let resp = shopify(&app, &url, "orders/paid", "big", &order).await;
    let ok = expect_json(resp, 200).await;
    assert_eq!(ok["verdict"], "processed", "{ok}");
    // NUL and other control characters where ids, emails and topics go.
    let mut nul = fixture("shopify/orders_paid.json");
    nul["id"] = json!("4\u{0}2");
    nul["email"] = json!("a\u{0}@example.com");
    let resp = shopify(&app, &url, "orders/paid", "nul", &nul).await;
    assert!(
        resp.status().is_client_error() || resp.status().is_success(),
        "{}",
        resp.status()
    );
    let bytes = b"{\"id\": 1, \"raw\": \"\x00\xff\"}".to_vec();
    let headers = [
        ("x-shopify-topic", "orders/paid".to_owned()),
        ("x-shopify-hmac-sha256", sign_base64(SHOPIFY_SECRET, &bytes)),
    ];
    let resp = deliver(&app, &url, &headers, &bytes).await;
    expect_problem(resp, 422, "unmappable_payload", None).await;
    let stripe = integration(&app, &p, "stripe", json!({"secret": STRIPE_SECRET})).await;
    let url = stripe["webhook_url"].as_str().unwrap().to_owned();
    let mut e = paid_session("evt_\u{0}nul", "x");
    e["data"]["object"]["customer_details"]["email"] = json!("\u{0}");
    e["data"]["object"]["customer"] = json!("cus_\u{0}");
    let bytes = serde_json::to_vec(&e).unwrap();
    let resp = deliver(
        &app,
        &url,
        &stripe_headers(&bytes, app.clock.now() / 1000),
        &bytes,
    )
    .await;
    assert!(resp.status().as_u16() < 500, "{}", resp.status());
    // Every one was logged and can be read back.
    let log = app
        .get_ok(&format!("/api/v1/integrations/{}/deliveries", id(&shop)))
        .await;
    assert!(log["data"].as_array().unwrap().len() >= 2);
}

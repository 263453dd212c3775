//! Pages in a real browser: Debian's Chromium driven by playwright-core (`e2e/`,
//! installed by `scripts/browser-deps.sh`, which `.ci/run` calls). Without Chromium or
//! the npm packages the tests skip loudly; with `CI` or `VOUCH_REQUIRE_BROWSER` set they
//! fail instead.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

mod common;
use common::serve;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether the browser and the script's packages are here; panics when they must be.
fn browser_ready() -> bool {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = std::path::Path::new(&chromium).exists()
        && repo().join("e2e/node_modules/playwright-core").exists()
        && Command::new("node").arg("--version").output().is_ok();
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("VOUCH_REQUIRE_BROWSER").is_some();
    if !ready {
        assert!(
            !required,
            "browser tests required but Chromium or e2e/node_modules is missing: run scripts/browser-deps.sh"
        );
        eprintln!(
            "SKIPPING browser tests: Chromium or e2e/node_modules is missing (scripts/browser-deps.sh installs them)"
        );
    }
    ready
}

async fn post(base: &str, sk: &str, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(sk)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap()
}

#[tokio::test]
async fn the_friend_page_shows_and_carries_the_coupon_in_both_languages() {
    if !browser_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let server = serve(&["--data-dir", &data]);
    let sk = server.key("sk_");
    let base = server.base.clone();
    let program = post(
        &base,
        &sk,
        "/api/v1/programs",
        json!({
            "name": "Demo Coffee",
            "destination_url": "https://shop.example.com/",
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
            "referee_reward": {"kind": "coupon", "currency": "USD", "on": "arrival",
                "coupon": {"discount_type": "percent_off", "percent": 20}},
            "friend_page": {"enabled": true, "coupon_link": "query"},
        }),
    )
    .await;
    let advocate = post(
        &base,
        &sk,
        &format!(
            "/api/v1/programs/{}/participants",
            program["id"].as_str().unwrap()
        ),
        json!({"email": "sara@example.com", "name": "Sara Haddad"}),
    )
    .await;
    let code = advocate["referral_code"].as_str().unwrap().to_owned();
    let shots = repo().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(repo().join("e2e/friend_page.mjs"))
            .args([&base, &code, &shots.display().to_string()])
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser checks failed:\n{stdout}\n{stderr}"
    );
    // The codes the page showed are the friends' coupon rewards, issued once each.
    let codes: Value = serde_json::from_str(stdout.trim()).unwrap();
    let rewards: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/rewards?limit=100", server.base))
        .bearer_auth(&sk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issued: Vec<&str> = rewards["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["trigger"] == "arrival")
        .filter_map(|r| r["coupon_code"].as_str())
        .collect();
    assert_eq!(issued.len(), 2, "{rewards}");
    assert!(issued.contains(&codes["en"].as_str().unwrap()));
    assert!(issued.contains(&codes["ar"].as_str().unwrap()));
}

/// The storefront script on a shop of another origin, in Chromium: the referral kept
/// in a first-party cookie and storage, forms and the Shopify cart filled, a signup
/// recorded with the publishable key, and nothing stored before consent when the shop
/// asks for consent (`e2e/storefront.mjs`).
#[tokio::test]
async fn the_storefront_script_keeps_the_referral_on_the_shop() {
    if !browser_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let server = serve(&["--data-dir", &data]);
    let (sk, pk) = (server.key("sk_"), server.key("pk_"));
    let base = server.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(repo().join("e2e/storefront.mjs"))
            .args([&base, &sk, &pk])
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "storefront checks failed:\n{stdout}\n{stderr}"
    );
}

/// The API reference at `/api/docs` in Chromium: the vendored bundle renders the
/// document under its strict CSP, makes no request to any other origin, shows request
/// examples, and its try-it console calls this server with the key (`e2e/api_docs.mjs`).
#[tokio::test]
async fn the_api_reference_renders_offline_and_its_console_calls_the_server() {
    if !browser_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let server = serve(&["--data-dir", &data]);
    let sk = server.key("sk_");
    let base = server.base.clone();
    let shots = repo().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(repo().join("e2e/api_docs.mjs"))
            .args([&base, &sk])
            .env("SHOTS", shots)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "API reference checks failed:\n{stdout}\n{stderr}"
    );
}

/// Every email in both languages in Chromium, from the preview API: direction, a
/// 600-pixel column that fits a phone, links, accessibility (`e2e/emails.mjs`).
#[tokio::test]
async fn emails_render_in_both_languages() {
    if !browser_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let server = serve(&["--data-dir", &data]);
    let sk = server.key("sk_");
    let base = server.base.clone();
    let shots = repo().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(repo().join("e2e/emails.mjs"))
            .args([&base, &sk, &shots.display().to_string()])
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "email checks failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

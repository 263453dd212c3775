//! Tests of the `vouch` binary as an operator runs it: real processes, real ports,
//! SIGKILL, two instances on one PostgreSQL database.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vouch_store::prelude::*;

mod common;
use common::{serve, BIN};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("VOUCH_LOG", "warn")
        .output()
        .expect("run vouch");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sqlite_args(dir: &Path) -> Vec<String> {
    vec!["--data-dir".into(), dir.display().to_string()]
}

fn client() -> reqwest::Client {
    // A person's browser: links do not count requests without one as clicks.
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")
        .build()
        .unwrap()
}

async fn post(base: &str, sk: &str, path: &str, body: Value) -> (u16, Value) {
    let resp = client()
        .post(format!("{base}{path}"))
        .bearer_auth(sk)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get(base: &str, sk: &str, path: &str) -> Value {
    client()
        .get(format!("{base}{path}"))
        .bearer_auth(sk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A program (10 USD / 5 USD credit) with one advocate; returns (program id, code).
async fn program_with_advocate(base: &str, sk: &str, extra: Value) -> (String, String, String) {
    let mut body = json!({
        "name": "Process test",
        "destination_url": "https://shop.example.com/",
        "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
        "referee_reward": {"kind": "credit", "amount": 500, "currency": "USD"},
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, p) = post(base, sk, "/api/v1/programs", body).await;
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_str().unwrap().to_owned();
    let (s, a) = post(
        base,
        sk,
        &format!("/api/v1/programs/{pid}/participants"),
        json!({"email": "sara@example.com"}),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    (
        pid,
        a["referral_code"].as_str().unwrap().to_owned(),
        a["id"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn every_command_has_help() {
    for cmd in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["workspace", "create", "--help"],
        vec!["demo", "--help"],
        vec!["import", "participants", "--help"],
        vec!["export", "--help"],
        vec!["analytics", "rebuild", "--help"],
    ] {
        let (ok, out, _) = run(&cmd);
        assert!(ok && out.contains("Usage"), "{cmd:?}: {out}");
    }
    let (ok, out, _) = run(&["openapi"]);
    assert!(ok);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(doc["paths"]["/api/v1/events"].is_object());
}

/// `vouch analytics rebuild` recomputes the rollups of a database with a program and a
/// click (the demo's data), and says how many program-days it counted.
#[test]
fn analytics_rebuild_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let args = sqlite_args(dir.path());
    let mut seed = vec!["demo", "--no-serve"];
    seed.extend(args.iter().map(String::as_str));
    let (ok, _, err) = run(&seed);
    assert!(ok, "{err}");
    let mut rebuild = vec!["analytics", "rebuild"];
    rebuild.extend(args.iter().map(String::as_str));
    let (ok, _, err) = run(&rebuild);
    assert!(ok, "{err}");
    assert!(err.contains("analytics rollups rebuilt:"), "{err}");
    assert!(!err.contains("rebuilt: 0 program-days"), "{err}");
}

/// `vouch import participants` and `vouch export` on the embedded database, beside a
/// running server.
#[tokio::test]
async fn import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let args = sqlite_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = serve(&args);
    let sk = server.key("sk_");
    let (pid, _, _) = program_with_advocate(&server.base, &sk, json!({})).await;
    let file = dir.path().join("customers.csv");
    std::fs::write(
        &file,
        "email,name,locale\nsara@example.com,Sara,ar\nnew@example.com,=cmd|' /C calc'!A0,en\nbad,x,\n",
    )
    .unwrap();
    let file = file.display().to_string();
    let mut cmd = vec![
        "import",
        "participants",
        file.as_str(),
        "--program",
        pid.as_str(),
    ];
    cmd.extend(&args);
    let (ok, out, err) = run(&cmd);
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (report["created"].as_i64(), report["existing"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["refused_rows"][0]["line"], 4);
    let out_file = dir.path().join("participants.csv").display().to_string();
    let mut cmd = vec![
        "export",
        "participants",
        "--program",
        pid.as_str(),
        "--out",
        out_file.as_str(),
    ];
    cmd.extend(&args);
    let (ok, _, err) = run(&cmd);
    assert!(ok, "{err}");
    let csv = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("'=cmd|"), "{csv}");
    let mut cmd = vec![
        "export",
        "referrals",
        "--program",
        pid.as_str(),
        "--format",
        "jsonl",
    ];
    cmd.extend(&args);
    let (ok, out, err) = run(&cmd);
    assert!(ok && out.is_empty(), "{out}{err}");
}

#[tokio::test]
async fn first_start_creates_a_workspace_and_prints_its_keys_once() {
    let dir = tempfile::tempdir().unwrap();
    let args = sqlite_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = serve(&args);
    let out = first.stdout.join("\n");
    assert!(
        out.contains("Vouch is running on http://127.0.0.1:"),
        "{out}"
    );
    let sk = out
        .lines()
        .find_map(|l| l.split_whitespace().find(|w| w.starts_with("sk_")))
        .expect("secret key printed");
    assert!(
        out.lines().any(|l| l.contains("pk_")),
        "publishable key printed"
    );
    assert!(
        dir.path().join("vouch.db").exists(),
        "SQLite database created in the data dir"
    );
    let list = get(&first.base, sk, "/api/v1/programs").await;
    assert!(list["data"].is_array(), "the printed key works: {list}");
    // The secret that keys IP and browser hashes lives beside the database, not in it.
    let key = dir.path().join("hash.key");
    let secret = std::fs::read_to_string(&key).expect("hash.key created");
    assert_eq!(secret.len(), 64, "32 random bytes, hex");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by the owner only");
    }
    drop(first);
    let second = serve(&args);
    assert!(
        !second.stdout.join("\n").contains("sk_"),
        "keys are shown only once"
    );
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        secret,
        "made once, then kept"
    );
}

#[tokio::test]
async fn workspace_create_migrate_and_demo() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let (ok, _, err) = run(&["migrate", "--data-dir", &data]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&["workspace", "create", "Acme", "--data-dir", &data]);
    assert!(ok, "{err}");
    let ws: Value = serde_json::from_str(out.trim()).expect("one JSON object on stdout");
    assert!(ws["workspace_id"].as_str().unwrap().starts_with("ws_"));
    assert!(ws["secret_key"].as_str().unwrap().starts_with("sk_"));
    assert!(ws["publishable_key"].as_str().unwrap().starts_with("pk_"));
    let (ok, out, err) = run(&["demo", "--no-serve", "--data-dir", &data]);
    assert!(ok, "{err}");
    assert!(
        out.contains("/p/demo-coffee") && out.contains("/r/"),
        "{out}"
    );
    let sk = out
        .lines()
        .find_map(|l| l.split_whitespace().find(|w| w.starts_with("sk_")))
        .unwrap()
        .to_owned();
    let args = ["--data-dir", data.as_str()];
    let server = serve(&args);
    let referrals = get(&server.base, &sk, "/api/v1/referrals?limit=100").await;
    assert!(
        referrals["data"].as_array().unwrap().len() >= 9,
        "demo traffic: {referrals}"
    );
    let rewards = get(&server.base, &sk, "/api/v1/rewards?limit=100").await;
    assert!(!rewards["data"].as_array().unwrap().is_empty());
}

/// Two instances on one PostgreSQL database receive the same purchases at the same
/// moment, many times: every referral converts once, with one reward per side.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_reward_each_purchase_exactly_once() {
    let Some(url) = vouch_store::testing::fresh_postgres().await else {
        return;
    };
    let (ok, out, err) = run(&["workspace", "create", "Shared", "--database-url", &url]);
    assert!(ok, "{err}");
    let ws: Value = serde_json::from_str(out.trim()).unwrap();
    let sk = ws["secret_key"].as_str().unwrap().to_owned();
    let a = serve(&["--database-url", &url]);
    let b = serve(&["--database-url", &url]);
    // One advocate bringing 25 friends at once is a velocity signal; this test is about
    // exactly-once, so the limits are raised.
    let (pid, code, advocate) = program_with_advocate(
        &a.base,
        &sk,
        json!({"fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000,
                         "max_code_referrals_per_day": 1000,
                         "max_code_referrals_per_week": 1000}}),
    )
    .await;
    const FRIENDS: usize = 25;
    const COPIES: usize = 4;
    let mut tasks = vec![];
    for i in 0..FRIENDS {
        for copy in 0..COPIES {
            for base in [&a.base, &b.base] {
                let (base, sk, pid, code) = (base.clone(), sk.clone(), pid.clone(), code.clone());
                // Half the copies reuse the order id; the rest are other orders of the
                // same friend, which must not convert the referral a second time.
                let order = if copy % 2 == 0 {
                    format!("order-{i}")
                } else {
                    format!("order-{i}-{copy}")
                };
                tasks.push(tokio::spawn(async move {
                    let body = json!({"type": "purchase", "program_id": pid, "customer": {"email": format!("friend{i}@x.com")},
                                      "referral_code": code, "order_id": order, "amount": 3000, "currency": "USD"});
                    let (status, v) = post(&base, &sk, "/api/v1/events", body).await;
                    assert_eq!(status, 201, "{v}");
                }));
            }
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let referrals = get(
        &a.base,
        &sk,
        &format!("/api/v1/referrals?program_id={pid}&limit=100"),
    )
    .await;
    let referrals = referrals["data"].as_array().unwrap();
    assert_eq!(referrals.len(), FRIENDS, "one referral per friend");
    assert!(referrals.iter().all(|r| r["status"] == "rewarded"));
    let rewards = get(
        &b.base,
        &sk,
        &format!("/api/v1/rewards?program_id={pid}&limit=100"),
    )
    .await;
    let rewards = rewards["data"].as_array().unwrap();
    assert_eq!(rewards.len(), 2 * FRIENDS, "one reward per side per friend");
    for r in referrals {
        let mine: Vec<_> = rewards
            .iter()
            .filter(|w| w["referral_id"] == r["id"])
            .collect();
        assert_eq!(mine.len(), 2);
        assert!(
            mine.iter().any(|w| w["role"] == "referrer")
                && mine.iter().any(|w| w["role"] == "referee")
        );
    }
    let p = get(&a.base, &sk, &format!("/api/v1/participants/{advocate}")).await;
    assert_eq!(p["balance"][0]["available"], 1000 * FRIENDS as i64, "{p}");
    assert_eq!(p["stats"]["conversions"], FRIENDS as i64);
}

/// Two instances on one PostgreSQL, conversions of many advocates at once: the program
/// budget is never exceeded, and every refused reward says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_exceed_the_budget() {
    let Some(url) = vouch_store::testing::fresh_postgres().await else {
        return;
    };
    let (ok, out, err) = run(&["workspace", "create", "Budget", "--database-url", &url]);
    assert!(ok, "{err}");
    let ws: Value = serde_json::from_str(out.trim()).unwrap();
    let sk = ws["secret_key"].as_str().unwrap().to_owned();
    let a = serve(&["--database-url", &url]);
    let b = serve(&["--database-url", &url]);
    const BUDGET_REWARDS: i64 = 7;
    let (pid, _, _) = program_with_advocate(
        &a.base,
        &sk,
        json!({"referee_reward": null,
               "caps": {"budget": {"amount": 1000 * BUDGET_REWARDS, "currency": "USD"}}}),
    )
    .await;
    let mut codes = vec![];
    for i in 0..10 {
        let (s, p) = post(
            &a.base,
            &sk,
            &format!("/api/v1/programs/{pid}/participants"),
            json!({"email": format!("advocate{i}@example.com")}),
        )
        .await;
        assert_eq!(s, 201, "{p}");
        codes.push(p["referral_code"].as_str().unwrap().to_owned());
    }
    let mut tasks = vec![];
    for i in 0..30 {
        let base = if i % 2 == 0 { &a.base } else { &b.base }.clone();
        let (sk, pid, code) = (sk.clone(), pid.clone(), codes[i % codes.len()].clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"type": "purchase", "program_id": pid,
                              "customer": {"email": format!("friend{i}@x.com")},
                              "referral_code": code, "order_id": format!("o{i}"),
                              "amount": 3000, "currency": "USD"});
            let (status, v) = post(&base, &sk, "/api/v1/events", body).await;
            assert_eq!(status, 201, "{v}");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rewards = get(
        &b.base,
        &sk,
        &format!("/api/v1/rewards?program_id={pid}&limit=100"),
    )
    .await;
    let rewards = rewards["data"].as_array().unwrap();
    let total: i64 = rewards.iter().map(|r| r["amount"].as_i64().unwrap()).sum();
    assert_eq!(rewards.len() as i64, BUDGET_REWARDS, "{rewards:?}");
    assert_eq!(total, 1000 * BUDGET_REWARDS);
    let referrals = get(
        &a.base,
        &sk,
        &format!("/api/v1/referrals?program_id={pid}&limit=100"),
    )
    .await;
    let refused = referrals["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["skipped_rewards"][0]["reason"] == "budget")
        .count();
    assert_eq!(refused, 30 - BUDGET_REWARDS as usize);
}

/// The fraud simulation runs from the CLI on a throwaway database and reports
/// precision and recall per kind of attack; it fails when the defaults miss the bar.
#[test]
fn simulate_fraud_reports_recall_and_false_positives() {
    let (ok, out, err) = run(&[
        "simulate-fraud",
        "--honest-advocates",
        "150",
        "--per-attack",
        "10",
        "--seed",
        "7",
    ]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("**Recall "), "{out}");
    for kind in [
        "self-referral, same device",
        "leaked code",
        "buy-then-refund loop",
    ] {
        assert!(out.contains(kind), "{kind} missing: {out}");
    }
}

/// Clicks are committed in groups, but a redirect is answered only after its click is
/// committed: after SIGKILL under load, every click id a client received is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_answered_click_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let (ok, out, err) = run(&["workspace", "create", "Crash", "--data-dir", &data]);
    assert!(ok, "{err}");
    let sk = serde_json::from_str::<Value>(out.trim()).unwrap()["secret_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut server = serve(&["--data-dir", &data]);
    let (_, code, _) = program_with_advocate(&server.base, &sk, json!({})).await;
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = vec![];
    for _ in 0..32 {
        let (url, answered, stop) = (
            format!("{}/r/{code}", server.base),
            answered.clone(),
            stop.clone(),
        );
        workers.push(tokio::spawn(async move {
            let client = client();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(resp) = client.get(&url).send().await else {
                    break;
                };
                if let Some(loc) = resp.headers().get("location").and_then(|l| l.to_str().ok()) {
                    if let Some(id) = loc.split("vouch_click=").nth(1) {
                        answered.lock().unwrap().push(id.to_owned());
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL, mid-load
    server.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() > 100, "load was applied: {}", answered.len());
    let store = vouch_store::connect(&format!("sqlite://{data}/vouch.db?mode=rwc"))
        .await
        .unwrap();

    let mut missing = 0;
    for id in &answered {
        let id = vouch_domain::ids::ClickId::parse(id).expect("click id");
        if store.get_click(&id).await.unwrap().is_none() {
            missing += 1;
        }
    }
    assert_eq!(
        missing,
        0,
        "{missing} of {} answered clicks were lost",
        answered.len()
    );
}

/// A reward's approval is a durable job: it survives the process dying before it ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_approval_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let (ok, out, err) = run(&["workspace", "create", "Jobs", "--data-dir", &data]);
    assert!(ok, "{err}");
    let sk = serde_json::from_str::<Value>(out.trim()).unwrap()["secret_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = serve(&["--data-dir", &data]);
    let (pid, code, advocate) =
        program_with_advocate(&server.base, &sk, json!({"hold_days": 1})).await;
    // Made almost a day ago: the hold ends three seconds from now.
    let occurred = time::OffsetDateTime::now_utc() - time::Duration::seconds(86_400 - 3);
    let occurred = occurred
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (s, e) = post(&server.base, &sk, "/api/v1/events", json!({"type": "purchase", "program_id": pid,
        "customer": {"email": "f@x.com"}, "referral_code": code, "order_id": "o-1", "occurred_at": occurred})).await;
    assert_eq!(s, 201);
    assert_eq!(e["rewards"][0]["status"], "pending");
    drop(server); // SIGKILL before the hold ends
    tokio::time::sleep(Duration::from_secs(3)).await;
    let server = serve(&["--data-dir", &data]);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let p = get(
            &server.base,
            &sk,
            &format!("/api/v1/participants/{advocate}"),
        )
        .await;
        if p["balance"][0]["available"] == 1000 {
            break;
        }
        assert!(Instant::now() < deadline, "never approved: {p}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every activity entry, oldest first, once there are `expected` (or fails after 30 s).
async fn activity(base: &str, sk: &str, expected: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut all = vec![];
        let mut cursor = String::new();
        loop {
            let page = get(base, sk, &format!("/api/v1/activity?limit=100{cursor}")).await;
            all.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        if all.len() >= expected || Instant::now() > deadline {
            all.reverse();
            return all;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Two instances on one PostgreSQL both run the outbox dispatcher while purchases
/// arrive at both: the activity feed holds every change exactly once, numbered in
/// commit order, and a referral walked through every state shows each step in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_dispatch_the_outbox_once_in_order() {
    let Some(url) = vouch_store::testing::fresh_postgres().await else {
        return;
    };
    let (ok, out, err) = run(&["workspace", "create", "Shared", "--database-url", &url]);
    assert!(ok, "{err}");
    let ws: Value = serde_json::from_str(out.trim()).unwrap();
    let sk = ws["secret_key"].as_str().unwrap().to_owned();
    let a = serve(&["--database-url", &url]);
    let b = serve(&["--database-url", &url]);
    let (pid, code, _) = program_with_advocate(
        &a.base,
        &sk,
        json!({"fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000,
                         "max_code_referrals_per_day": 1000,
                         "max_code_referrals_per_week": 1000}}),
    )
    .await;
    const FRIENDS: usize = 25;
    let mut tasks = vec![];
    for i in 0..FRIENDS {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let (base, sk, pid, code) = (base.clone(), sk.clone(), pid.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"type": "purchase", "program_id": pid,
                "customer": {"email": format!("friend{i}@x.com")}, "referral_code": code,
                "order_id": format!("order-{i}"), "amount": 3000, "currency": "USD"});
            let (status, v) = post(&base, &sk, "/api/v1/events", body).await;
            assert_eq!(status, 201, "{v}");
        }));
    }
    // Meanwhile one friend walks through every state, each step on the other instance.
    let (s, signup) = post(
        &a.base,
        &sk,
        "/api/v1/events",
        json!({"type": "signup", "program_id": pid, "referral_code": code,
               "customer": {"external_id": "walker"}}),
    )
    .await;
    assert_eq!(s, 201, "{signup}");
    let rid = signup["referral"]["id"].as_str().unwrap().to_owned();
    let (s, purchase) = post(
        &b.base,
        &sk,
        "/api/v1/events",
        json!({"type": "purchase", "program_id": pid, "referral_code": code,
               "customer": {"external_id": "walker", "email": "walker@guerrillamail.com"},
               "order_id": "walk-1", "amount": 5000, "currency": "USD"}),
    )
    .await;
    assert_eq!(s, 201, "{purchase}");
    assert_eq!(purchase["referral"]["review"], "pending", "{purchase}");
    let (s, approved) = post(
        &a.base,
        &sk,
        &format!("/api/v1/reviews/{rid}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{approved}");
    assert_eq!(approved["status"], "rewarded", "no hold: approved at once");
    let (s, refund) = post(
        &b.base,
        &sk,
        "/api/v1/events",
        json!({"type": "refund", "program_id": pid, "order_id": "walk-1",
               "customer": {"external_id": "walker"}}),
    )
    .await;
    assert_eq!(s, 201, "{refund}");
    for t in tasks {
        t.await.unwrap();
    }
    // Per friend: referral created, converted, rewarded; two rewards created and
    // approved; the friend enrolled. The walk: seven referral steps, two rewards
    // created, approved and reversed, the friend enrolled. And the advocate.
    let expected = FRIENDS * 8 + 7 + 6 + 1 + 1;
    let feed = activity(&a.base, &sk, expected).await;
    assert_eq!(feed.len(), expected, "every change once");
    // Nothing more arrives later (no duplicates delivered by the second dispatcher).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(activity(&b.base, &sk, expected).await.len(), expected);
    let mut ids: Vec<&str> = feed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), expected);
    let seqs: Vec<i64> = feed
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let walk: Vec<&str> = feed
        .iter()
        .filter(|e| e["subject_id"] == rid.as_str())
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        walk,
        [
            "referral.created",
            "referral.signed_up",
            "referral.held",
            "referral.converted",
            "referral.approved",
            "referral.rewarded",
            "referral.reversed"
        ]
    );
    // Each friend's referral: created, converted, rewarded, in that order.
    for r in feed.iter().filter(|e| e["type"] == "referral.created") {
        let subject = r["subject_id"].as_str().unwrap();
        if subject == rid {
            continue;
        }
        let steps: Vec<&str> = feed
            .iter()
            .filter(|e| e["subject_id"] == subject)
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                "referral.created",
                "referral.converted",
                "referral.rewarded"
            ]
        );
    }
}

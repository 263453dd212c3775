//! Importing existing customers: `POST /api/v1/programs/{id}/participants/import` with
//! a CSV file of 100,000 people (email, name, locale) on SQLite over real HTTP, each
//! enrolled through the same use case as one advocate joining (a referral code, the
//! `participant.enrolled` event in the outbox). Baseline, in the same run and process:
//! uploading 100,000 coupon codes to a pool (`POST …/coupon-pools` as CSV), the
//! server's plainest bulk insert of as many rows. Environment: `VOUCH_BENCH_ROWS`
//! (default 100000).
//!
//! Run: `cargo bench -p vouch-server --bench import`

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vouch_app::workspaces::create_workspace;
use vouch_server::Config;
use vouch_store::Store;

async fn send(req: reqwest::RequestBuilder) -> (Duration, Value) {
    let started = Instant::now();
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    let took = started.elapsed();
    assert!(status.is_success(), "{status}: {body}");
    (took, body)
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("VOUCH_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/vouch.db?mode=rwc", dir.path().display());
    let store = vouch_store::connect(&url).await.expect("open SQLite");
    store.migrate().await.expect("migrate");
    let store: Arc<dyn Store> = Arc::new(store);
    let ws = create_workspace(store.as_ref(), "Bench")
        .await
        .expect("workspace");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (_, app) = vouch_server::build(store, Config::for_listen(addr)).expect("build");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let (_, program) = send(
        client
            .post(format!("{base}/api/v1/programs"))
            .bearer_auth(&ws.secret_key)
            .json(&json!({
                "name": "Import bench",
                "destination_url": "https://shop.example.com/",
                "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
            })),
    )
    .await;
    let pid = program["id"].as_str().expect("program id");

    let mut codes = String::from("code\n");
    let mut people = String::from("email,name,locale\n");
    for i in 0..rows {
        codes.push_str(&format!("BENCH-{i:07}\n"));
        let locale = if i % 3 == 0 { "ar" } else { "en" };
        people.push_str(&format!("customer{i}@example.com,Customer {i},{locale}\n"));
    }
    let (baseline, pool) = send(
        client
            .post(format!(
                "{base}/api/v1/programs/{pid}/coupon-pools?name=bench"
            ))
            .bearer_auth(&ws.secret_key)
            .header("content-type", "text/csv")
            .body(codes),
    )
    .await;
    assert_eq!(pool["added"].as_u64(), Some(rows as u64), "{pool}");
    let (import, report) = send(
        client
            .post(format!("{base}/api/v1/programs/{pid}/participants/import"))
            .bearer_auth(&ws.secret_key)
            .header("content-type", "text/csv")
            .body(people),
    )
    .await;
    assert_eq!(report["created"].as_u64(), Some(rows as u64), "{report}");
    println!(
        "import of {rows} participants: {:.2} s ({:.0} rows/s)",
        import.as_secs_f64(),
        rows as f64 / import.as_secs_f64()
    );
    println!(
        "baseline, {rows} coupon codes to a pool: {:.2} s ({:.0} rows/s)",
        baseline.as_secs_f64(),
        rows as f64 / baseline.as_secs_f64()
    );
    println!(
        "import / baseline: {:.1}",
        import.as_secs_f64() / baseline.as_secs_f64()
    );
}

//! Latency of `POST /api/v1/events` purchases (attribution, rewards and ledger, all
//! committed) on SQLite over real HTTP, one request at a time, next to `GET /healthz`
//! over the same client and connection as a baseline that does no store work.
//!
//! Each purchase is a new friend with a new order id, attributed by the referral code
//! of one advocate. The program uses every rule that reads totals at once: tiered
//! referrer rewards, a percent referee reward, a milestone, a boost running now, a
//! per-advocate cap and a program budget (both set high enough that every purchase is
//! still rewarded, so each does the full work). Purchases and health checks are interleaved, so drift on the
//! machine affects both alike. Environment: `VOUCH_BENCH_EVENTS` (measured purchases,
//! default 2000; a warm-up of 200 comes first).
//!
//! Run: `cargo bench -p vouch-server --bench events` (`VOUCH_BENCH_WEBHOOKS=1`: with the
//! worker running, a webhook endpoint taking every event and every email written as an
//! `.eml` file)

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vouch_app::workspaces::create_workspace;
use vouch_server::Config;
use vouch_store::Store;

const WARM_UP: usize = 200;

/// `VOUCH_BENCH_WEBHOOKS=1`: the server runs its worker, a webhook endpoint takes every
/// event and emails are written as files, so purchases are measured while messages
/// and emails are queued and sent.
fn webhooks() -> bool {
    std::env::var_os("VOUCH_BENCH_WEBHOOKS").is_some()
}

/// Messages the bench's receiver got.
static RECEIVED: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicUsize>> =
    std::sync::OnceLock::new();

struct Fixture {
    base: String,
    secret_key: String,
    program_id: String,
    code: String,
    _dir: tempfile::TempDir,
}

async fn post(client: &reqwest::Client, url: &str, key: &str, body: Value) -> Value {
    let resp = client
        .post(url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json body");
    assert_eq!(status.as_u16(), 201, "POST {url}: {body}");
    body
}

async fn start(client: &reqwest::Client) -> Fixture {
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
    if webhooks() {
        // The whole server, with its worker queueing and sending webhooks.
        let mut config = Config::for_listen(addr);
        config.webhook_allow_private = true;
        config.email_dir = Some(dir.path().join("emails"));
        tokio::spawn(vouch_server::serve(
            listener,
            store,
            config,
            std::future::pending(),
        ));
    } else {
        let (_, app) = vouch_server::build(store, Config::for_listen(addr)).expect("build");
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve");
        });
    }

    let base = format!("http://{addr}");
    let program = post(
        client,
        &format!("{base}/api/v1/programs"),
        &ws.secret_key,
        json!({
            "name": "Bench program",
            "destination_url": "https://shop.example.com/x",
            "referrer_reward": {"kind": "credit", "currency": "USD", "tiers": [
                {"from": 1, "to": 2, "amount": 1000},
                {"from": 3, "to": 5, "amount": 1500},
                {"from": 6, "amount": 2500}]},
            "referee_reward": {"kind": "credit", "percent": 10, "max_amount": 2000},
            "milestones": [{"referrals": 3, "period": "month",
                            "reward": {"kind": "credit", "amount": 5000, "currency": "USD"}}],
            "boosts": [{"starts_at": "2000-01-01T00:00:00Z", "ends_at": "2999-01-01T00:00:00Z",
                        "multiplier": 2}],
            "caps": {"per_advocate": {"period": "month", "max_rewards": 1000000,
                                      "max_amount": {"amount": 100000000000i64, "currency": "USD"}},
                     "budget": {"amount": 100000000000i64, "currency": "USD"}},
        }),
    )
    .await;
    let program_id = program["id"].as_str().expect("program id").to_owned();
    if webhooks() {
        let receiver = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let at = receiver.local_addr().expect("addr");
        let hits = RECEIVED.get_or_init(Default::default).clone();
        let app = axum::Router::new().fallback(move || {
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                "ok"
            }
        });
        tokio::spawn(async move { axum::serve(receiver, app).await.expect("receiver") });
        let resp = client
            .post(format!("{base}/api/v1/webhook-endpoints"))
            .bearer_auth(&ws.secret_key)
            .json(&json!({"url": format!("http://{at}/hook")}))
            .send()
            .await
            .expect("endpoint");
        assert_eq!(resp.status().as_u16(), 201);
    }
    let participant = post(
        client,
        &format!("{base}/api/v1/programs/{program_id}/participants"),
        &ws.secret_key,
        json!({"email": "advocate@example.com"}),
    )
    .await;
    Fixture {
        base,
        secret_key: ws.secret_key,
        program_id,
        code: participant["referral_code"]
            .as_str()
            .expect("referral_code")
            .to_owned(),
        _dir: dir,
    }
}

/// One purchase, timed from send to the last byte of the body.
async fn purchase(client: &reqwest::Client, f: &Fixture, i: usize) -> Duration {
    let body = json!({
        "type": "purchase",
        "program_id": f.program_id,
        "customer": {"email": format!("friend{i}@example.net")},
        "referral_code": f.code,
        "order_id": format!("bench-{i}"),
        "amount": 5000,
        "currency": "USD",
    });
    let started = Instant::now();
    let resp = client
        .post(format!("{}/api/v1/events", f.base))
        .bearer_auth(&f.secret_key)
        .json(&body)
        .send()
        .await
        .expect("POST /api/v1/events");
    let status = resp.status();
    let bytes = resp.bytes().await.expect("body");
    let took = started.elapsed();
    assert_eq!(
        status.as_u16(),
        201,
        "purchase {i}: {}",
        String::from_utf8_lossy(&bytes)
    );
    // Every purchase must be attributed and rewarded, or it measured less work.
    let out: Value = serde_json::from_slice(&bytes).expect("event json");
    assert!(
        !out["referral"].is_null() && out["rewards"].as_array().is_some_and(|r| !r.is_empty()),
        "purchase {i} was not attributed or rewarded: {out}"
    );
    took
}

async fn healthz(client: &reqwest::Client, f: &Fixture) -> Duration {
    let started = Instant::now();
    let resp = client
        .get(format!("{}/healthz", f.base))
        .send()
        .await
        .expect("GET /healthz");
    let status = resp.status();
    let _ = resp.bytes().await.expect("body");
    let took = started.elapsed();
    assert_eq!(status.as_u16(), 200);
    took
}

/// Nearest-rank percentile of sorted samples, in milliseconds.
fn pct(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

struct Summary {
    p50: f64,
    p90: f64,
    p99: f64,
    mean: f64,
}

fn summarize(mut xs: Vec<Duration>) -> Summary {
    xs.sort();
    let mean = xs.iter().map(Duration::as_secs_f64).sum::<f64>() / xs.len() as f64 * 1000.0;
    Summary {
        p50: pct(&xs, 50.0),
        p90: pct(&xs, 90.0),
        p99: pct(&xs, 99.0),
        mean,
    }
}

fn main() {
    let n = std::env::var("VOUCH_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&v| v > 0)
        .unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (events, health, emails) = rt.block_on(async {
        // One client, one kept-alive connection: requests are strictly sequential.
        let client = reqwest::Client::new();
        let f = start(&client).await;
        eprintln!("events: {WARM_UP} warm-up + {n} measured purchases, sequential");
        for i in 0..WARM_UP {
            purchase(&client, &f, i).await;
            healthz(&client, &f).await;
        }
        let mut events = Vec::with_capacity(n);
        let mut health = Vec::with_capacity(n);
        for i in WARM_UP..WARM_UP + n {
            events.push(purchase(&client, &f, i).await);
            health.push(healthz(&client, &f).await);
        }
        let emails_dir = f._dir.path().join("emails");
        let count = || {
            let got = RECEIVED
                .get()
                .map_or(0, |r| r.load(std::sync::atomic::Ordering::Relaxed));
            let mails = std::fs::read_dir(&emails_dir).map_or(0, |d| d.count());
            (got, mails)
        };
        let at_end = count();
        // With the purchases over, the worker alone: how fast it works off the backlog
        // (until nothing new arrives for 3 s, or 3 minutes).
        let mut drained = (at_end, Duration::ZERO);
        if webhooks() {
            let started = Instant::now();
            let mut last = at_end;
            let mut quiet = Instant::now();
            while started.elapsed() < Duration::from_secs(180)
                && quiet.elapsed() < Duration::from_secs(3)
            {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let now = count();
                if now != last {
                    last = now;
                    quiet = Instant::now();
                    drained = (now, started.elapsed());
                }
            }
        }
        (events, health, (at_end, drained))
    });
    let ((messages_at_end, emails_at_end), ((messages, emails), drain)) = emails;
    let e = summarize(events);
    let h = summarize(health);

    println!();
    println!(
        "Sequential requests over one HTTP/1.1 connection, {n} purchases after {WARM_UP} \
         warm-up, each followed by a `GET /healthz`."
    );
    println!();
    println!("| Request | Median | p90 | p99 | Mean |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| `POST /api/v1/events` purchase (committed to SQLite) | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms |",
        e.p50, e.p90, e.p99, e.mean
    );
    println!(
        "| Baseline `GET /healthz` (no store) | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms |",
        h.p50, h.p90, h.p99, h.mean
    );
    println!(
        "| **Ratio purchase / healthz** | **{:.1}×** | {:.1}× | {:.1}× | {:.1}× |",
        e.p50 / h.p50,
        e.p90 / h.p90,
        e.p99 / h.p99,
        e.mean / h.mean
    );
    println!();
    if webhooks() {
        let got = RECEIVED
            .get()
            .map_or(0, |r| r.load(std::sync::atomic::Ordering::Relaxed));
        let secs = drain.as_secs_f64().max(0.001);
        println!(
            "With webhooks and emails: {messages_at_end} messages received and {emails_at_end} \
             emails written when the purchases ended ({got} counted); then the worker alone \
             reached {messages} messages and {emails} emails in {secs:.1} s \
             ({:.0} messages/s, {:.0} emails/s).",
            (messages - messages_at_end) as f64 / secs,
            (emails - emails_at_end) as f64 / secs,
        );
    }
    println!(
        "Purchase median {:.3} ms: {} the 2 ms goal.",
        e.p50,
        if e.p50 < 2.0 { "under" } else { "over" }
    );
}

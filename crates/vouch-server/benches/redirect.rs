//! `GET /r/{code}` throughput and p99 at 64 connections, with every click committed to
//! SQLite before the redirect is answered, next to a baseline handler in the same
//! process and router that answers the same redirect without touching the store.
//!
//! Load comes from `wrk` (install it with `scripts/bench.sh`). Rounds alternate
//! baseline and real so that drift on the machine affects both alike; the report is the
//! median of each. Environment: `VOUCH_BENCH_SECONDS` (per round, default 10) and
//! `VOUCH_BENCH_ROUNDS` (per endpoint, default 3).
//!
//! Run: `cargo bench -p vouch-server --bench redirect`

use std::net::SocketAddr;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use vouch_app::workspaces::create_workspace;
use vouch_domain::ids::{ClickId, ParticipantId};
use vouch_domain::redirect::RedirectTemplate;
use vouch_server::{AppState, Config};
use vouch_store::Store;

const CONNECTIONS: u32 = 64;
const WRK_THREADS: u32 = 2;
const DESTINATION: &str = "https://shop.example.com/x";
const WINDOW_DAYS: i64 = 30;

/// What the baseline needs to build the redirect, held in memory: the redirect URL
/// prepared once, as the real link's cache does.
struct BaselineTarget {
    allowed: Vec<String>,
    template: std::sync::OnceLock<Option<RedirectTemplate>>,
}

/// The same response as the real link, built by the same function (302, Location with
/// `ref` and `vouch_click`, the click cookie, the same cache headers), minus the lookup
/// and the click commit.
async fn baseline_redirect(target: &BaselineTarget, code: &str) -> Response {
    let template = target
        .template
        .get_or_init(|| RedirectTemplate::new(DESTINATION, &target.allowed, code).ok());
    let Some(template) = template else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let click = ClickId::new();
    let location = template.with_click(click.as_str());
    vouch_server::links::redirect_response(&location, click.as_str(), WINDOW_DAYS)
}

/// One wrk run, as reported by `wrk --latency`.
#[derive(Debug, Clone)]
struct WrkRun {
    rps: f64,
    p99_ms: f64,
    requests: u64,
    /// "Non-2xx or 3xx responses" plus socket errors: must be zero for a valid round.
    bad: u64,
}

/// `1.23ms`, `850.00us`, `1.02s`, `2.00m` → milliseconds.
fn parse_duration_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    Some(n * factor)
}

fn parse_wrk(out: &str) -> Option<WrkRun> {
    let mut rps = None;
    let mut p99 = None;
    let mut requests = None;
    let mut bad = 0u64;
    for line in out.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            rps = v.trim().parse().ok();
        } else if let Some(v) = t.strip_prefix("99%") {
            p99 = parse_duration_ms(v);
        } else if t.contains(" requests in ") {
            requests = t.split_whitespace().next().and_then(|n| n.parse().ok());
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            bad += v.trim().parse::<u64>().unwrap_or(1);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            bad += v
                .split(',')
                .filter_map(|kv| kv.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    Some(WrkRun {
        rps: rps?,
        p99_ms: p99?,
        requests: requests?,
        bad,
    })
}

/// The browser string of every benchmark request: links count only people's clicks.
const BROWSER: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

fn wrk(url: &str, seconds: u64) -> Result<WrkRun, String> {
    let out = Command::new("wrk")
        .args([
            format!("-t{WRK_THREADS}"),
            format!("-c{CONNECTIONS}"),
            format!("-d{seconds}s"),
            "--latency".to_owned(),
            // A phone's browser, as people's clicks carry (both endpoints get it).
            "-H".to_owned(),
            format!("User-Agent: {BROWSER}"),
            url.to_owned(),
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed ({}): {}{}",
            out.status,
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot parse wrk output:\n{text}"))
}

fn wrk_installed() -> bool {
    // `wrk` with no arguments prints its usage and exits non-zero; only a missing
    // binary matters here.
    Command::new("wrk")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// CPU time used so far, in nanoseconds: this process's threads by role, and waited-for
/// children (wrk). Linux only; `None` elsewhere, and the CPU columns are left out.
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    /// Tokio workers: HTTP, handlers, the click writer task.
    tokio: u64,
    /// sqlx's SQLite connection threads: statements and commits.
    sqlite: u64,
    other: u64,
    children: u64,
}

impl Cpu {
    fn now() -> Option<Cpu> {
        let mut cpu = Cpu::default();
        for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let dir = task.path();
            // Threads may exit between listing and reading; they are skipped.
            let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
                continue;
            };
            let Some(ns) = std::fs::read_to_string(dir.join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            else {
                continue;
            };
            if comm.starts_with("tokio") {
                cpu.tokio += ns;
            } else if comm.starts_with("sqlx-sqlite") {
                cpu.sqlite += ns;
            } else {
                cpu.other += ns;
            }
        }
        // cutime and cstime, fields 16 and 17 of /proc/self/stat, in USER_HZ (100/s).
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
        cpu.children = ticks * 10_000_000;
        Some(cpu)
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            tokio: self.tokio.saturating_sub(before.tokio),
            sqlite: self.sqlite.saturating_sub(before.sqlite),
            other: self.other.saturating_sub(before.other),
            children: self.children.saturating_sub(before.children),
        }
    }
}

/// Microseconds of CPU per answered request, by role.
#[derive(Debug, Clone, Copy)]
struct CpuPerRequest {
    tokio: f64,
    sqlite: f64,
    server: f64,
    wrk: f64,
    /// Share of all cores busy during the round (server and wrk).
    busy: f64,
}

fn per_request(cpu: Cpu, requests: u64, wall: Duration, cpus: usize) -> CpuPerRequest {
    let us = |ns: u64| ns as f64 / 1000.0 / requests.max(1) as f64;
    let all = cpu.tokio + cpu.sqlite + cpu.other + cpu.children;
    CpuPerRequest {
        tokio: us(cpu.tokio),
        sqlite: us(cpu.sqlite),
        server: us(cpu.tokio + cpu.sqlite + cpu.other),
        wrk: us(cpu.children),
        busy: all as f64 / (wall.as_nanos() as f64 * cpus.max(1) as f64),
    }
}

/// The click writer's batch histogram from `/metrics`: (sum of batch sizes, commits).
async fn batch_totals(base: &str) -> Option<(f64, f64)> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| {
        text.lines().find_map(|l| {
            l.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse::<f64>()
                .ok()
        })
    };
    Some((
        value("vouch_click_batch_size_sum")?,
        value("vouch_click_batch_size_count")?,
    ))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

struct Fixture {
    base: String,
    code: String,
    participant: ParticipantId,
    store: Arc<dyn Store>,
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

/// A fresh SQLite database, the app served on 127.0.0.1:0 with the baseline route
/// mounted, and one program with one advocate created through the API.
async fn start() -> Fixture {
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
    let (state, _) = vouch_server::build(store.clone(), Config::for_listen(addr)).expect("build");
    let target = Arc::new(BaselineTarget {
        allowed: vec!["shop.example.com".to_owned()],
        template: std::sync::OnceLock::new(),
    });
    let extra: Router<AppState> = Router::new().route(
        "/baseline/r/{code}",
        get(move |Path(code): Path<String>| {
            let target = target.clone();
            async move { baseline_redirect(&target, &code).await }
        }),
    );
    let app = vouch_server::router(state, extra);
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
    let program = post(
        &client,
        &format!("{base}/api/v1/programs"),
        &ws.secret_key,
        json!({
            "name": "Bench program",
            "destination_url": DESTINATION,
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
        }),
    )
    .await;
    let program_id = program["id"].as_str().expect("program id");
    let participant = post(
        &client,
        &format!("{base}/api/v1/programs/{program_id}/participants"),
        &ws.secret_key,
        json!({"email": "advocate@example.com"}),
    )
    .await;
    Fixture {
        base,
        code: participant["referral_code"]
            .as_str()
            .expect("referral_code")
            .to_owned(),
        participant: ParticipantId::parse(participant["id"].as_str().expect("participant id"))
            .expect("participant id shape"),
        store,
        _dir: dir,
    }
}

/// Both endpoints must answer the same shape, or the comparison means nothing.
async fn check_same_shape(f: &Fixture) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(BROWSER)
        .build()
        .expect("client");
    for path in ["r", "baseline/r"] {
        let url = format!("{}/{path}/{}", f.base, f.code);
        let resp = client.get(&url).send().await.expect("GET");
        assert_eq!(resp.status().as_u16(), 302, "GET {url}");
        let h = resp.headers();
        let location = h[header::LOCATION].to_str().expect("location");
        assert!(
            location.starts_with(DESTINATION)
                && location.contains(&format!("ref={}", f.code))
                && location.contains("vouch_click=clk_"),
            "GET {url}: Location {location}"
        );
        let cookie = h[header::SET_COOKIE].to_str().expect("cookie");
        assert!(
            cookie.starts_with("vouch_click=clk_"),
            "GET {url}: {cookie}"
        );
    }
}

fn main() -> ExitCode {
    if !wrk_installed() {
        eprintln!(
            "wrk is not installed. Run `bash scripts/bench.sh` (it installs wrk with apt-get \
             and runs both benchmarks), or install wrk yourself and run this again."
        );
        return ExitCode::FAILURE;
    }
    let seconds = env_u64("VOUCH_BENCH_SECONDS", 10);
    let rounds = env_u64("VOUCH_BENCH_ROUNDS", 3);

    // The server's runtime; wrk runs as a child process from this thread.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let f = rt.block_on(async {
        let f = start().await;
        check_same_shape(&f).await;
        f
    });
    let real_url = format!("{}/r/{}", f.base, f.code);
    let baseline_url = format!("{}/baseline/r/{}", f.base, f.code);
    let clicks_before = rt
        .block_on(f.store.participant_stats(&f.participant))
        .expect("stats")
        .clicks;

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    eprintln!(
        "redirect: {rounds} rounds x {seconds}s per endpoint, wrk -t{WRK_THREADS} \
         -c{CONNECTIONS}, {cpus} CPUs, SQLite in a temporary directory"
    );
    // Warm-up: connection setup, the link cache, SQLite's first pages.
    let warm = seconds.min(2);
    for url in [&baseline_url, &real_url] {
        if let Err(e) = wrk(url, warm) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }

    let mut baseline = Vec::new();
    let mut real = Vec::new();
    let mut real_requests = 0u64;
    let mut real_clicks = 0i64;
    let mut cpu_runs: Vec<(&str, CpuPerRequest)> = Vec::new();
    let batches_before = rt.block_on(batch_totals(&f.base));
    for round in 1..=rounds {
        for (name, url, runs) in [
            ("baseline", &baseline_url, &mut baseline),
            ("real", &real_url, &mut real),
        ] {
            let before = rt
                .block_on(f.store.participant_stats(&f.participant))
                .expect("stats")
                .clicks;
            let cpu_before = Cpu::now();
            let started = std::time::Instant::now();
            let run = match wrk(url, seconds) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            if run.bad > 0 {
                eprintln!(
                    "{name} round {round}: {} failed requests; aborting",
                    run.bad
                );
                return ExitCode::FAILURE;
            }
            let wall = started.elapsed();
            let cpu = cpu_before
                .zip(Cpu::now())
                .map(|(b, a)| per_request(a.since(b), run.requests, wall, cpus));
            // Redirects still in flight when wrk stops commit their click afterwards.
            std::thread::sleep(Duration::from_millis(300));
            let after = rt
                .block_on(f.store.participant_stats(&f.participant))
                .expect("stats")
                .clicks;
            eprintln!(
                "  round {round} {name:<8} {:>9.0} req/s  p99 {:>7.2} ms  ({} requests, {} clicks committed)",
                run.rps,
                run.p99_ms,
                run.requests,
                after - before
            );
            if let Some(c) = cpu {
                eprintln!(
                    "    CPU per request: tokio {:.1} us, SQLite threads {:.1} us, server {:.1} us, \
                     wrk {:.1} us; cores busy {:.0}%",
                    c.tokio,
                    c.sqlite,
                    c.server,
                    c.wrk,
                    c.busy * 100.0
                );
                cpu_runs.push((name, c));
            }
            if name == "real" {
                real_requests += run.requests;
                real_clicks += after - before;
            } else if after != before {
                eprintln!(
                    "baseline round {round} wrote {} clicks; aborting",
                    after - before
                );
                return ExitCode::FAILURE;
            }
            runs.push(run);
        }
    }

    let batches_after = rt.block_on(batch_totals(&f.base));
    let total_clicks = rt
        .block_on(f.store.participant_stats(&f.participant))
        .expect("stats")
        .clicks;
    if real_clicks <= 0 || (real_clicks as u64) < real_requests {
        eprintln!(
            "only {real_clicks} clicks committed for {real_requests} answered real redirects"
        );
        return ExitCode::FAILURE;
    }

    let b_rps = median(baseline.iter().map(|r| r.rps).collect());
    let r_rps = median(real.iter().map(|r| r.rps).collect());
    let b_p99 = median(baseline.iter().map(|r| r.p99_ms).collect());
    let r_p99 = median(real.iter().map(|r| r.p99_ms).collect());
    let per_round = |runs: &[WrkRun]| {
        runs.iter()
            .map(|r| format!("{:.0}", r.rps))
            .collect::<Vec<_>>()
            .join(" / ")
    };

    println!();
    println!(
        "`GET /r/{{code}}`, wrk -t{WRK_THREADS} -c{CONNECTIONS}, {rounds} rounds x {seconds}s \
         each, alternating; medians."
    );
    println!();
    println!("| Endpoint | Requests/s | p99 latency | Requests/s per round |");
    println!("|---|---:|---:|---|");
    println!(
        "| Baseline `/baseline/r/{{code}}` (same redirect, no store) | {b_rps:.0} | {b_p99:.2} ms | {} |",
        per_round(&baseline)
    );
    println!(
        "| Real `/r/{{code}}` (click committed to SQLite) | {r_rps:.0} | {r_p99:.2} ms | {} |",
        per_round(&real)
    );
    println!(
        "| **Ratio real / baseline** | **{:.2}** (goal ≥ 0.5) | {:.2}× | |",
        r_rps / b_rps,
        r_p99 / b_p99
    );
    if !cpu_runs.is_empty() {
        let med = |name: &str, get: fn(&CpuPerRequest) -> f64| {
            median(
                cpu_runs
                    .iter()
                    .filter(|(n, _)| *n == name)
                    .map(|(_, c)| get(c))
                    .collect(),
            )
        };
        println!();
        println!("CPU time per answered request (medians over rounds, microseconds):");
        println!();
        println!(
            "| Endpoint | Server: tokio workers | Server: SQLite threads | Server total | wrk | Cores busy |"
        );
        println!("|---|---:|---:|---:|---:|---:|");
        for (label, name) in [("Baseline", "baseline"), ("Real", "real")] {
            println!(
                "| {label} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0}% |",
                med(name, |c| c.tokio),
                med(name, |c| c.sqlite),
                med(name, |c| c.server),
                med(name, |c| c.wrk),
                med(name, |c| c.busy) * 100.0
            );
        }
    }
    if let (Some((s0, n0)), Some((s1, n1))) = (batches_before, batches_after) {
        let commits = n1 - n0;
        if commits > 0.0 {
            println!();
            println!(
                "Click writer during the measured rounds: {commits:.0} commits, {:.1} clicks \
                 per commit on average.",
                (s1 - s0) / commits
            );
        }
    }
    println!();
    println!(
        "Clicks committed during the measured real rounds: {real_clicks} for {real_requests} \
         answered redirects ({} in the store for the advocate, warm-up and checks included; \
         {clicks_before} before the runs).",
        total_clicks
    );
    ExitCode::SUCCESS
}
